/**
 * One call per key at a time: callers that come while it runs share its promise, and it
 * leaves `inFlight` once settled (so a failure is shared by those waiting, never cached).
 */
export function sharedCall<K, T>(inFlight: Map<K, Promise<T>>, key: K, start: () => Promise<T>): Promise<T> {
  let call = inFlight.get(key);
  if (call === undefined) {
    call = start().finally(() => inFlight.delete(key));
    inFlight.set(key, call);
  }
  return call;
}
