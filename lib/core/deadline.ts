/**
 * `value` if it settles within `ms` milliseconds, else a rejection with `onTimeout()`.
 * A value that is not a promise passes through at once (the common, synchronous case of
 * the in-memory stores), with no timer. The timer never keeps the process alive.
 */
export function withDeadline<T>(value: T | PromiseLike<T>, ms: number, onTimeout: () => Error): T | Promise<T> {
  if (!isPromiseLike(value)) return value;
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(onTimeout());
    }, ms);
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- a fake clock's timers (Jest, sinon) may have no unref
    timer.unref?.();
    value.then(
      (settled) => {
        clearTimeout(timer);
        resolve(settled);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}

function isPromiseLike<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return value !== null && typeof value === 'object' && typeof (value as { then?: unknown }).then === 'function';
}
