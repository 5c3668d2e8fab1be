import { hash } from 'node:crypto';
import { BoundedCache } from '../../core/cache.js';
import { ConfigurationError } from '../../core/errors.js';
import { knownFormat, LOGIN_FORMAT, nonceFor, stateFor } from '../login-secrets.js';
import type { OktaRequest } from '../../passport/request.js';
import type { PendingLogin, StateStore, StateStoreContext } from './store.js';

/** Options of {@link SessionStateStore}. */
export interface SessionStateStoreOptions {
  /** Session property under which pending logins are kept. Default `'passport-okta-oidc'`. */
  key?: string | undefined;
  /** Pending logins kept per strategy and session (the oldest goes first). Default 10. */
  maxPending?: number | undefined;
  /** Clock in epoch milliseconds, for pruning expired entries. Default `Date.now`. */
  now?: (() => number) | undefined;
}

/**
 * A pending login as the session keeps it when its `state` and nonce derive from its
 * verifier (the strategy's own sign-ins): `[format, codeVerifier, expiresAt, issuer tag,
 * redirectURI, extras?]`, `format` being the {@link LOGIN_FORMAT} whose labels derived them.
 * The session is serialized on every save (express-session writes it as JSON), so this is
 * about 160 bytes instead of about 370. The issuer is kept as a tag (128 bits of its
 * SHA-256): no issuer an attacker picks can be made to share it.
 */
type CompactLogin = [number, string, number, string, string, Extras?];
/** The same without `format`, as versions before formats were recorded wrote it: format 1. */
type UnversionedLogin = [string, number, string, string, Extras?];

/** What only some sign-ins carry. */
interface Extras {
  /** `responseMode: 'form_post'` (absent: `query`). */
  f?: 1;
  /** `maxAge`. */
  m?: number;
  /** `acrValues`. */
  a?: string;
  /** `appState`. */
  s?: unknown;
}

/** Entries written by earlier versions (whole objects, unversioned arrays) are still read. */
type Stored = PendingLogin | CompactLogin | UnversionedLogin;
type Bag = Record<string, Stored[] | undefined>;

const tags = new BoundedCache<string, string>({ maxEntries: 100 });
function issuerTag(issuer: string): string {
  let tag = tags.get(issuer);
  if (tag === undefined) {
    tag = hash('sha256', issuer, 'base64url').slice(0, 22);
    tags.set(issuer, tag);
  }
  return tag;
}

/**
 * A pending login kept in the session: the login itself while in memory, written
 * compactly when the session is serialized as JSON (see {@link CompactLogin}).
 */
class SessionLogin implements PendingLogin {
  state!: string;
  codeVerifier!: string;
  nonce!: string;
  redirectURI!: string;
  strategy!: string;
  issuer!: string;
  expiresAt!: number;
  maxAge?: number | undefined;
  acrValues?: string | undefined;
  responseMode?: 'query' | 'form_post' | undefined;
  appState?: unknown;

  constructor(login: PendingLogin) {
    Object.assign(this, login);
  }

  toJSON(): CompactLogin {
    return compact(this);
  }
}

/** Whether `login` can be written compactly: its state and nonce derive from its verifier. */
function compactable(login: PendingLogin): boolean {
  const { state, codeVerifier, nonce, responseMode } = login;
  // A tenant's sign-in keeps its issuer and client id: kept whole (the compact form has only a tag of the issuer).
  if (login.tenant !== undefined) return false;
  return responseMode !== undefined && state === stateFor(codeVerifier) && nonce === nonceFor(codeVerifier);
}

function compact(login: PendingLogin): CompactLogin {
  const { codeVerifier, responseMode } = login;
  const entry: CompactLogin = [LOGIN_FORMAT, codeVerifier, login.expiresAt, issuerTag(login.issuer), login.redirectURI];
  const extras: Extras = {};
  if (responseMode === 'form_post') extras.f = 1;
  if (login.maxAge !== undefined) extras.m = login.maxAge;
  if (login.acrValues !== undefined) extras.a = login.acrValues;
  if (login.appState !== undefined) extras.s = login.appState;
  if (Object.keys(extras).length > 0) entry.push(extras);
  return entry;
}

/** A compact entry's fields, whichever format wrote it; undefined for a format this code does not know. */
function unpack(entry: CompactLogin | UnversionedLogin): { format: number; fields: UnversionedLogin } | undefined {
  if (typeof entry[0] === 'string') return { format: 1, fields: entry as UnversionedLogin };
  const [format, ...fields] = entry as CompactLogin;
  return knownFormat(format) ? { format, fields: fields } : undefined;
}

const expiresAt = (entry: Stored): number => (Array.isArray(entry) ? (unpack(entry)?.fields[1] ?? 0) : entry.expiresAt);
const stateOf = (entry: Stored): string | undefined => {
  if (!Array.isArray(entry)) return entry.state;
  const unpacked = unpack(entry);
  return unpacked && stateFor(unpacked.fields[0], unpacked.format);
};

function expand(entry: Stored, context: StateStoreContext): PendingLogin | undefined {
  if (!Array.isArray(entry)) return entry;
  const unpacked = unpack(entry);
  if (unpacked === undefined) return undefined;
  const { format } = unpacked;
  const [codeVerifier, expires, tag, redirectURI, extras] = unpacked.fields;
  const login: PendingLogin = {
    state: stateFor(codeVerifier, format),
    codeVerifier,
    nonce: nonceFor(codeVerifier, format),
    redirectURI,
    strategy: context.strategy,
    // Another tag: started against another authorization server, which the strategy refuses.
    issuer: tag === issuerTag(context.issuer) ? context.issuer : 'another authorization server',
    expiresAt: expires,
    responseMode: extras?.f === 1 ? 'form_post' : 'query',
  };
  if (extras?.m !== undefined) login.maxAge = extras.m;
  if (extras?.a !== undefined) login.acrValues = extras.a;
  if (extras?.s !== undefined) login.appState = extras.s;
  return login;
}

/**
 * Keeps pending logins in the session (express-session or any `req.session` object),
 * several per session so that sign-ins started in two tabs can both finish. A session
 * serialized as JSON holds about 150 bytes per pending sign-in: the PKCE verifier (its
 * `state` and nonce derive from it), the expiry, the redirect URI and a tag of the issuer.
 */
export class SessionStateStore implements StateStore {
  private readonly key: string;
  private readonly maxPending: number;
  private readonly now: () => number;

  constructor(options: SessionStateStoreOptions = {}) {
    this.key = options.key ?? 'passport-okta-oidc';
    this.maxPending = options.maxPending ?? 10;
    this.now = options.now ?? Date.now;
    if (!Number.isInteger(this.maxPending) || this.maxPending < 1) {
      throw new ConfigurationError('maxPending must be a whole number >= 1');
    }
  }

  save(req: OktaRequest, login: PendingLogin): void {
    const session = this.session(req);
    const bag = { ...session.read() };
    const now = this.now();
    const list = (bag[login.strategy] ?? []).filter((entry) => expiresAt(entry) > now);
    list.push(compactable(login) ? new SessionLogin(login) : login);
    bag[login.strategy] = list.slice(-this.maxPending);
    // A new object, assigned: sessions that only notice assignments (@fastify/secure-session) save it.
    session.write(bag);
  }

  take(req: OktaRequest, state: string, context: StateStoreContext): PendingLogin | undefined {
    const session = this.session(req);
    const bag = { ...session.read() };
    const list = bag[context.strategy];
    if (!list) return undefined;
    const index = list.findIndex((entry) => stateOf(entry) === state);
    const found = index === -1 ? undefined : list[index];
    const now = this.now();
    const rest = list.filter((entry, i) => i !== index && expiresAt(entry) > now);
    if (rest.length > 0) bag[context.strategy] = rest;
    // eslint-disable-next-line @typescript-eslint/no-dynamic-delete -- the bag is a plain object: the session keeps it as JSON
    else delete bag[context.strategy];
    session.write(Object.keys(bag).length === 0 ? undefined : bag);
    return found === undefined ? undefined : expand(found, context);
  }

  /**
   * Reads and writes the bag through the session's `get`/`set` when it has them
   * (@fastify/secure-session, @fastify/session), else as a property (express-session, koa-session).
   */
  private session(req: OktaRequest): { read(): Bag; write(bag: Bag | undefined): void } {
    const session = req.session as (Record<string, unknown> & Partial<AccessorSession>) | undefined;
    if (!session || typeof session !== 'object') {
      throw new ConfigurationError(
        'OktaStrategy keeps pending logins in req.session, but there is none: add express-session ' +
          '(app.use(session({...}))) before passport, or pass a store such as CookieStateStore',
      );
    }
    const key = this.key;
    const accessors =
      typeof session.get === 'function' && typeof session.set === 'function' ? (session as AccessorSession) : undefined;
    return {
      read(): Bag {
        const existing = accessors ? accessors.get(key) : session[key];
        return existing !== null && typeof existing === 'object' ? (existing as Bag) : {};
      },
      write(bag: Bag | undefined): void {
        if (accessors) accessors.set(key, bag);
        // eslint-disable-next-line @typescript-eslint/no-dynamic-delete -- the bag's property on the app's session object (express-session, koa-session) goes, not just its value
        else if (bag === undefined) delete session[key];
        else session[key] = bag;
      },
    };
  }
}

interface AccessorSession {
  get(key: string): unknown;
  set(key: string, value: unknown): void;
}
