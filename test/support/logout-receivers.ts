import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { SignJWT, type JWTPayload } from 'jose';
import type { OktaAnswer } from '../../lib/app/answers.js';
import { MemoryRevocationStore, Revocations, type RevocationStore } from '../../lib/app/revocation.js';
import { recordOf, type SignInRecord } from '../../lib/app/session-record.js';
import type { OktaRequest } from '../../lib/passport/request.js';
import { OktaStrategy, type OktaStrategyOptions } from '../../lib/index.js';
import { CLIENT_ID, CLIENT_SECRET, DOMAIN, REDIRECT_URI, type TestKey } from './okta-mock.js';

// What the unit tests of the three logout receivers (lib/app/*-logout.ts) share: the
// strategy and revocation record they receive for, requests as Node gives them, and tokens
// signed as the senders sign them.

export const BACKCHANNEL_EVENT = 'http://schemas.openid.net/event/backchannel-logout';

/** An `OktaStrategy` of the mocked Okta (custom server `default` unless told). */
export function receiverStrategy(options: Partial<OktaStrategyOptions> = {}): OktaStrategy {
  return new OktaStrategy(
    {
      oktaDomain: DOMAIN,
      authServerId: 'default',
      clientID: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      callbackURL: REDIRECT_URI,
      ...options,
    },
    async () => ({ id: 'user' }),
  );
}

/** A revocation record over `store` (a fresh memory store by default), with no local cache. */
export function revocationsOver(store: RevocationStore = new MemoryRevocationStore(), timeout = 200): Revocations {
  return new Revocations({ store, keepFor: 3_600_000, cacheFor: 0, timeout, now: Date.now });
}

/** A store whose every call throws, or never settles. */
export function brokenStore(kind: 'throws' | 'hangs'): RevocationStore {
  const fail = (): never => {
    throw new Error('connection refused');
  };
  const hang = (): Promise<never> => new Promise<never>(() => undefined);
  return kind === 'throws' ? { put: fail, get: fail, claim: fail } : { put: hang, get: hang, claim: hang };
}

/** A session's sign-in record, signed in a second ago (before anything the test revokes). */
export function signedIn(claims: Record<string, unknown>, signedInAt = Date.now() - 1000): SignInRecord {
  return recordOf({ iss: `${DOMAIN}/oauth2/default`, sub: '00u1alice', ...claims }, signedInAt);
}

export interface FakeRequestInit {
  method?: string;
  url?: string;
  headers?: Record<string, string>;
  /** Sent as the request stream. */
  body?: string | Buffer;
  /** What a body parser left on `req.body`. */
  parsed?: unknown;
  session?: object;
}

/** A request as Node gives it: a readable stream with a method, URL and headers (lower case). */
export function fakeRequest(init: FakeRequestInit = {}): OktaRequest {
  const chunks = init.body === undefined ? [] : [Buffer.from(init.body)];
  const stream = Readable.from(chunks, { objectMode: false });
  const headers = Object.fromEntries(Object.entries(init.headers ?? {}).map(([name, value]) => [name.toLowerCase(), value]));
  return Object.assign(stream, {
    method: init.method ?? 'POST',
    url: init.url ?? '/',
    headers,
    ...(init.parsed === undefined ? {} : { body: init.parsed }),
    ...(init.session === undefined ? {} : { session: init.session }),
  }) as unknown as OktaRequest;
}

/** A compact JWS signed with `key`, its header given whole (alg and kid from the key unless set). */
export async function signToken(claims: JWTPayload, key: TestKey, header: Record<string, unknown> = {}): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: key.alg, kid: key.kid, ...header }).sign(key.privateKey);
}

/** An unsigned token (`alg: none`), as an attacker would send it. */
export function unsignedToken(claims: JWTPayload, header: Record<string, unknown> = {}): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'none', ...header })}.${part(claims)}.`;
}

/** Seconds since the epoch, now. */
export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** A fresh `jti`. */
export function jti(): string {
  return randomUUID();
}

/** The answer's header, as one string. */
export function header(answer: OktaAnswer, name: string): string | undefined {
  const value = answer.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}
