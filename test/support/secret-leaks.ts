import { expect } from 'chai';
import { CLIENT_ID, CLIENT_SECRET } from './hostile-okta.js';
import type { Outcome } from './passport.js';

/**
 * The search for secrets in what the strategy reports: no error message or property, no
 * `fail` challenge, may hold the client secret, a code verifier, an authorization code or a
 * token, in plain or encoded form. Each test file searches the outcomes it produces, against
 * the secrets its hostile providers saw or issued (`HostileOkta.secrets`): the harness's
 * `signIn` does it for every sign-in, other tests call {@link expectNoLeak}.
 */

export interface Observed {
  where: string;
  outcome: Outcome;
  /** Values the request itself carried: finding one in a message about that request is no leak. */
  reflected?: string[] | undefined;
}

/** Every string reachable from a value: messages, stacks, own properties, causes. */
function strings(value: unknown, out: string[] = [], seen = new Set<object>(), depth = 0): string[] {
  if (value === null || value === undefined || depth > 6) return out;
  if (typeof value === 'string') {
    out.push(value);
    return out;
  }
  if (typeof value !== 'object' && typeof value !== 'function') {
    out.push(String(value));
    return out;
  }
  if (seen.has(value)) return out;
  seen.add(value);
  if (ArrayBuffer.isView(value)) {
    out.push(Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('latin1'));
    return out;
  }
  if (typeof value === 'function') return out;
  // Sockets, agents and the like hold no error text, and are large.
  if (/Socket|Agent|Server|Pool|Client|Dispatcher/.test(value.constructor?.name ?? '')) return out;
  if (value instanceof Error) out.push(value.name, value.message, value.stack ?? '');
  if (value instanceof Headers) {
    for (const [name, header] of value) out.push(name, header);
    return out;
  }
  for (const key of Reflect.ownKeys(value)) {
    let child: unknown;
    try {
      child = (value as Record<string | symbol, unknown>)[key];
    } catch {
      continue;
    }
    if (typeof key === 'string') out.push(key);
    strings(child, out, seen, depth + 1);
  }
  return out;
}

const formEncode = (value: string): string => new URLSearchParams({ v: value }).toString().slice(2);

/** Each secret as it might appear: as it is, URL-encoded, form-encoded, in Basic credentials, base64. */
export function secretForms(secrets: Iterable<string>): Map<string, string> {
  const forms = new Map<string, string>();
  const add = (form: string, secret: string): void => {
    if (form.length >= 12) forms.set(form, secret);
  };
  for (const secret of [CLIENT_SECRET, ...secrets]) {
    if (secret.length < 12) continue;
    add(secret, secret);
    add(encodeURIComponent(secret), secret);
    add(formEncode(secret), secret);
    add(Buffer.from(secret).toString('base64'), secret);
  }
  add(Buffer.from(`${formEncode(CLIENT_ID)}:${formEncode(CLIENT_SECRET)}`).toString('base64'), CLIENT_SECRET);
  return forms;
}

/** Finds secrets in the outcomes' texts: each text is scanned once, with a 12-character index. */
export function leaks(observed: readonly Observed[], secrets: Iterable<string>): string[] {
  const forms = secretForms(secrets);
  const byPrefix = new Map<string, string[]>();
  for (const form of forms.keys()) {
    const prefix = form.slice(0, 12);
    byPrefix.set(prefix, [...(byPrefix.get(prefix) ?? []), form]);
  }
  const found: string[] = [];
  for (const { where, outcome, reflected = [] } of observed) {
    const subject = outcome.kind === 'error' ? outcome.error : outcome.kind === 'fail' ? outcome.challenge : undefined;
    if (subject === undefined) continue; // success and redirect carry tokens and state by design
    const text = strings(subject).join('\n');
    for (let i = 0; i + 12 <= text.length; i++) {
      for (const form of byPrefix.get(text.slice(i, i + 12)) ?? []) {
        if (text.startsWith(form, i) && !reflected.some((value) => value.includes(forms.get(form)!))) {
          const name = (subject as Error).name ?? 'fail';
          found.push(
            `${where} (${name}) holds ${JSON.stringify(forms.get(form)!.slice(0, 16))}… as ${JSON.stringify(form.slice(0, 20))}…`,
          );
        }
      }
    }
  }
  return [...new Set(found)];
}

/** Asserts that an error or fail outcome holds none of `secrets` (nor the client secret), in any form. */
export function expectNoLeak(observed: Observed, secrets: Iterable<string>): void {
  expect(leaks([observed], secrets), `secrets in the ${observed.outcome.kind} outcome of ${observed.where}`).to.deep.equal([]);
}
