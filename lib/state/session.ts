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
    const bag = this.bag(req, true)!;
    const now = this.now();
    const list = (bag[login.strategy] ?? []).filter((entry) => entry.expiresAt > now);
    list.push(login);
    bag[login.strategy] = list.slice(-this.maxPending);
  }

  take(req: OktaRequest, state: string, context: StateStoreContext): PendingLogin | undefined {
    const bag = this.bag(req, false);
    const list = bag?.[context.strategy];
    if (!bag || !list) return undefined;
    const index = list.findIndex((entry) => entry.state === state);
    const found = index === -1 ? undefined : list[index];
    const now = this.now();
    const rest = list.filter((entry, i) => i !== index && entry.expiresAt > now);
    if (rest.length > 0) bag[context.strategy] = rest;
    else delete bag[context.strategy];
    if (Object.keys(bag).length === 0) delete (req.session as Record<string, unknown>)[this.key];
    return found;
  }

  private bag(req: OktaRequest, create: boolean): Bag | undefined {
    const session = req.session as Record<string, unknown> | undefined;
    if (!session || typeof session !== 'object') {
      throw new ConfigurationError(
        'OktaStrategy keeps pending logins in req.session, but there is none: add express-session ' +
          '(app.use(session({...}))) before passport, or pass a store such as CookieStateStore',
      );
    }
    const existing = session[this.key];
    if (existing !== null && typeof existing === 'object') return existing as Bag;
    if (!create) return undefined;
    const bag: Bag = {};
    session[this.key] = bag;
    return bag;
  }
}
