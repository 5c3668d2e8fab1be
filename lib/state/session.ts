import { ConfigurationError } from '../errors.js';
import type { OktaRequest } from '../request.js';
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

type Bag = Record<string, PendingLogin[] | undefined>;

/**
 * Keeps pending logins in the session (express-session or any `req.session` object),
 * several per session so that sign-ins started in two tabs can both finish.
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
    const list = (bag[login.strategy] ?? []).filter((entry) => entry.expiresAt > now);
    list.push(login);
    bag[login.strategy] = list.slice(-this.maxPending);
    // A new object, assigned: sessions that only notice assignments (@fastify/secure-session) save it.
    session.write(bag);
  }

  take(req: OktaRequest, state: string, context: StateStoreContext): PendingLogin | undefined {
    const session = this.session(req);
    const bag = { ...session.read() };
    const list = bag[context.strategy];
    if (!list) return undefined;
    const index = list.findIndex((entry) => entry.state === state);
    const found = index === -1 ? undefined : list[index];
    const now = this.now();
    const rest = list.filter((entry, i) => i !== index && entry.expiresAt > now);
    if (rest.length > 0) bag[context.strategy] = rest;
    else delete bag[context.strategy];
    session.write(Object.keys(bag).length === 0 ? undefined : bag);
    return found;
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
    const accessors = typeof session.get === 'function' && typeof session.set === 'function';
    return {
      read(): Bag {
        const existing = accessors ? session.get!(key) : session[key];
        return existing !== null && typeof existing === 'object' ? (existing as Bag) : {};
      },
      write(bag: Bag | undefined): void {
        if (accessors) session.set!(key, bag);
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
