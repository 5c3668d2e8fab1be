import { ConfigurationError } from '../core/errors.js';
import type { OktaRequest } from '../passport/request.js';
import { loginSecrets } from './login-secrets.js';
import type { OktaAuthenticateOptions } from './options.js';
import type { PendingLogin } from './state/store.js';
import type { Party } from './tenants.js';

const MAX_APP_STATE_BYTES = 2048;

/** A new pending login of `strategy` with `party` (its Okta org), from the sign-in's options. */
export function pendingLogin(
  req: OktaRequest,
  options: OktaAuthenticateOptions,
  party: Party,
  settings: { strategy: string; now: () => number; stateMaxAge: number; responseMode: 'query' | 'form_post' },
): PendingLogin {
  const { state, codeVerifier, nonce } = loginSecrets();
  const login: PendingLogin = {
    state,
    codeVerifier,
    nonce,
    redirectURI: party.redirectURIs.for(req),
    strategy: settings.strategy,
    issuer: party.client.issuer,
    expiresAt: settings.now() + settings.stateMaxAge,
    responseMode: settings.responseMode,
  };
  if (party.tenant !== undefined) login.tenant = { ...party.tenant };
  if (options.maxAge !== undefined) {
    if (!Number.isInteger(options.maxAge) || options.maxAge < 0) {
      throw new ConfigurationError('maxAge must be a whole number of seconds >= 0');
    }
    login.maxAge = options.maxAge;
  }
  if (options.acrValues !== undefined) login.acrValues = options.acrValues;
  if (options.state !== undefined) login.appState = copyAppState(options.state);
  return login;
}

function copyAppState(state: unknown): unknown {
  // A string, or undefined for undefined, a function or a symbol (which TypeScript's lib does not say).
  let json: unknown;
  try {
    json = JSON.stringify(state);
  } catch (err) {
    throw new ConfigurationError('The state option must be JSON-serializable', { cause: err });
  }
  if (typeof json !== 'string') throw new ConfigurationError('The state option must be JSON-serializable');
  if (Buffer.byteLength(json) > MAX_APP_STATE_BYTES) {
    throw new ConfigurationError(`The state option must be at most ${MAX_APP_STATE_BYTES} bytes of JSON`);
  }
  return JSON.parse(json) as unknown;
}
