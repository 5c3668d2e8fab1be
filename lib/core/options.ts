import { ConfigurationError } from './errors.js';

/**
 * Names people bring from other libraries (passport-oauth2, passport-openidconnect, Okta's
 * own SDKs), with what to do instead. Checked before the spelling suggestions.
 */
const FOREIGN_OPTIONS: Readonly<Record<string, string>> = {
  client_id: 'use clientID',
  client_secret: 'use clientSecret',
  redirectUri: 'use callbackURL',
  redirectURI: 'use callbackURL',
  redirect_uri: 'use callbackURL',
  redirectUrl: 'use callbackURL',
  orgUrl: 'use oktaDomain',
  domain: 'use oktaDomain',
  authorizationURL: 'the endpoints follow from oktaDomain and authServerId',
  tokenURL: 'the endpoints follow from oktaDomain and authServerId',
  userInfoURL: 'the endpoints follow from oktaDomain and authServerId',
  pkce: 'PKCE (S256) is always on: remove it',
  state: 'state is always on: remove it (per sign-in data goes in passport.authenticate(name, { state }))',
  nonce: 'a nonce is always sent and checked: remove it',
  scopes: 'use scope',
  skipUserProfile: 'use userInfo: false',
  passReqToCallBack: 'use passReqToCallback',
};

/**
 * Refuses option names that `owner` does not know, with what was probably meant:
 * `clientId` → "did you mean clientID?". An unknown option is always a mistake that
 * would otherwise be silently ignored.
 */
export function checkOptionNames(owner: string, options: object, known: readonly string[]): void {
  for (const name of Object.keys(options)) {
    if (known.includes(name)) continue;
    const hint = FOREIGN_OPTIONS[name] ?? suggestion(name, known);
    const said = `${owner} has no option "${name}"${hint ? `: ${hint}` : ''}`;
    throw new ConfigurationError(`${said}${said.endsWith('?') ? '' : '.'} See docs/configuration.md for the options.`);
  }
}

function suggestion(name: string, known: readonly string[]): string | undefined {
  const lower = name.toLowerCase();
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const distance = candidate.toLowerCase() === lower ? 0 : editDistance(lower, candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  // A few typos, never more than a third of the name: beyond that the guess is noise.
  return best !== undefined && bestDistance <= Math.min(3, Math.ceil(name.length / 3)) ? `did you mean ${best}?` : undefined;
}

/** Levenshtein distance (insertions, deletions, substitutions). */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      // eslint-disable-next-line @typescript-eslint/no-non-null-assertion -- i and j stay within the rows: a.length + 1 by b.length + 1
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  // eslint-disable-next-line @typescript-eslint/no-non-null-assertion -- the last row has b.length + 1 entries
  return previous[b.length]!;
}

/**
 * Whether `value` is an object (not null). The types say options are objects, but a
 * JavaScript caller may pass anything: constructors check before they read.
 */
export function isObject(value: unknown): value is object {
  return value !== null && typeof value === 'object';
}

/**
 * The checks every constructor applies to the options they share (the strategy, the bearer
 * strategy and the client), so that one option means the same everywhere. Each returns the
 * value, or its default when absent, and throws a {@link ConfigurationError} that names it.
 */
export const check = {
  /** Milliseconds, finite and above zero (`timeout`, `verifyTimeout`, `stateMaxAge`...), or from 0 (`jwksCooldown`). */
  milliseconds(name: string, value: unknown, fallback: number, min: 0 | 'positive' = 'positive'): number {
    const ms = value ?? fallback;
    if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0 || (min === 'positive' && ms === 0)) {
      throw new ConfigurationError(
        `${name} must be ${min === 0 ? 'a number of milliseconds >= 0' : 'a positive number of milliseconds'}`,
      );
    }
    return ms;
  },
  /** Seconds, finite and at least `min` (`clockTolerance` from 0, `dpopProofMaxAge` above it). */
  seconds(name: string, value: unknown, fallback: number, min: 0 | 'positive' = 0): number {
    const seconds = value ?? fallback;
    if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds < 0 || (min === 'positive' && seconds === 0)) {
      throw new ConfigurationError(`${name} must be a number of seconds ${min === 0 ? '>= 0' : '> 0'}`);
    }
    return seconds;
  },
  /** JWS algorithms, asymmetric only (`RS256`, `PS384`, `ES256`, `EdDSA`, `Ed25519`...): never `none` or HMAC. */
  algorithms(name: string, value: unknown, fallback: readonly string[], example = 'RS256'): string[] {
    const list = value ?? fallback;
    if (!Array.isArray(list) || list.length === 0 || list.some((a) => typeof a !== 'string' || !ASYMMETRIC.test(a))) {
      throw new ConfigurationError(`${name} must list asymmetric algorithms such as "${example}"`);
    }
    return [...(list as string[])];
  },
  /** A list of non-empty strings (`trustedAudiences`, `clientIds`, `allowedHosts`...). */
  strings(name: string, value: unknown, example: string): string[] | undefined {
    if (value === undefined) return undefined;
    if (!Array.isArray(value) || value.some((v) => typeof v !== 'string' || v === '')) {
      throw new ConfigurationError(`${name} must be a list of non-empty strings, e.g. ${example}`);
    }
    return [...(value as string[])];
  },
  /** A function, when given (`fetch`, `now`, `onReportError`...). */
  fn<F>(name: string, value: F | undefined): F | undefined {
    if (value !== undefined && typeof value !== 'function') throw new ConfigurationError(`${name} must be a function`);
    return value;
  },
  /** One of a few words (`userInfo`, `introspect`, `dpop`...). */
  oneOf<T extends string | boolean>(name: string, value: unknown, allowed: readonly T[], fallback: T): T {
    const chosen = value ?? fallback;
    if (!allowed.includes(chosen as T)) {
      throw new ConfigurationError(
        `${name} must be ${allowed
          .map((a) => JSON.stringify(a))
          .join(', ')
          .replace(/, ([^,]*)$/, ' or $1')}`,
      );
    }
    return chosen as T;
  },
};

const ASYMMETRIC = /^(RS|PS|ES)(256|384|512)$|^EdDSA$|^Ed25519$/;
