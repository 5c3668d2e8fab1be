import type { OktaRequest } from '../passport/request.js';
import { AccessTokenError, type BearerErrorCode } from '../core/errors.js';

/** `allowed`: Bearer and DPoP; `required`: DPoP only; `disabled`: Bearer only. */
export type DPoPMode = 'allowed' | 'required' | 'disabled';

export type Scheme = 'Bearer' | 'DPoP';

/** The largest access token accepted (its characters), as the issue asks: 8 KiB. */
export const MAX_TOKEN_LENGTH = 8192;

export interface ChallengeSettings {
  realm: string | undefined;
  dpop: DPoPMode;
  /** Algorithms accepted for DPoP proofs, announced as `algs`. */
  algs: readonly string[];
}

export interface Refusal {
  error: BearerErrorCode;
  description: string;
  /** The scheme the request used; the error goes on that scheme's challenge when it is offered. */
  scheme?: Scheme | undefined;
  /** For `insufficient_scope`: the scopes needed. */
  scope?: string | undefined;
  /** More auth-params (RFC 9470's `acr_values`, `max_age`), quotable values. */
  extra?: Readonly<Record<string, string>> | undefined;
}

/**
 * The `WWW-Authenticate` value (RFC 9110 §11.6.1): one challenge per accepted scheme in
 * one header, as RFC 9449 §7.2 shows (`Bearer, DPoP algs="ES256"`); the error, if any,
 * on the challenge of the scheme the request used. Without an error (no credentials), no
 * error attribute at all (RFC 6750 §3.1).
 */
export function wwwAuthenticate(settings: ChallengeSettings, refusal?: Refusal): string {
  const offered: Scheme[] =
    settings.dpop === 'allowed' ? ['Bearer', 'DPoP'] : settings.dpop === 'required' ? ['DPoP'] : ['Bearer'];
  const failing =
    refusal === undefined
      ? undefined
      : refusal.scheme !== undefined && offered.includes(refusal.scheme)
        ? refusal.scheme
        : offered[0];
  return offered
    .map((scheme) => {
      const params: string[] = [];
      if (settings.realm !== undefined) params.push(`realm="${settings.realm}"`);
      if (refusal !== undefined && scheme === failing) {
        params.push(`error="${refusal.error}"`, `error_description="${refusal.description}"`);
        if (refusal.scope !== undefined) params.push(`scope="${refusal.scope}"`);
        for (const [name, value] of Object.entries(refusal.extra ?? {})) params.push(`${name}="${value}"`);
      }
      if (scheme === 'DPoP') params.push(`algs="${settings.algs.join(' ')}"`);
      return params.length === 0 ? scheme : `${scheme} ${params.join(', ')}`;
    })
    .join(', ');
}

/** A quoted-string value we put in a header: printable ASCII without `"` and `\`. */
export function isQuotable(value: string): boolean {
  return /^[\x20\x21\x23-\x5B\x5D-\x7E]*$/.test(value);
}

export interface Credentials {
  scheme: Scheme;
  token: string;
  /** Whether the token has the shape of a compact JWS: three base64url parts, none empty. */
  jwt: boolean;
}

const AUTH_SCHEME = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+)(?: +(.*))?$/;
/** RFC 6750 §2.1 b64token. */
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;
/** A compact JWS: three base64url parts, none empty. */
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
/** The usual header, read with one pass over the token: `Bearer <JWT>` or `DPoP <JWT>`, nothing around them. */
const JWT_CREDENTIALS = /^(?:(bearer)|dpop) +([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)$/i;

/** How many times the request carries a header, counted on the raw headers (Node keeps only the first Authorization). */
export function headerCount(req: OktaRequest, name: string): number {
  const raw = req.rawHeaders;
  if (!Array.isArray(raw)) {
    const value = req.headers[name];
    return value === undefined ? 0 : Array.isArray(value) ? value.length : 1;
  }
  let count = 0;
  for (let i = 0; i < raw.length; i += 2) {
    const header = raw[i];
    if (header?.length === name.length && header.toLowerCase() === name) count++;
  }
  return count;
}

/**
 * The access token of `Authorization: Bearer <token>` or `Authorization: DPoP <token>`
 * (schemes are case-insensitive, RFC 9110 §11.1). Undefined when the request carries no
 * Authorization header, or one of another scheme. A repeated, malformed or oversized header
 * is an `invalid_request` (RFC 6750 §3.1). Tokens in the query or body (RFC 6750 §2.2, §2.3)
 * are not read.
 */
export function readCredentials(req: OktaRequest): Credentials | undefined {
  const value = req.headers.authorization;
  if (value === undefined) return undefined;
  if (headerCount(req, 'authorization') > 1) {
    throw new AccessTokenError('invalid_request', 'The request carries several Authorization headers');
  }
  return usualCredentials(value) ?? otherCredentials(value);
}

/** `Bearer <JWT>` or `DPoP <JWT>` within the size limit, read in one pass; else undefined. */
function usualCredentials(value: string): Credentials | undefined {
  const usual = JWT_CREDENTIALS.exec(value);
  const token = usual?.[2];
  if (token === undefined || token.length > MAX_TOKEN_LENGTH) return undefined;
  return { scheme: usual?.[1] === undefined ? 'DPoP' : 'Bearer', token, jwt: true };
}

/** Any other Authorization value: spaces around, other schemes, malformed or oversized tokens. */
function otherCredentials(value: string): Credentials | undefined {
  const match = AUTH_SCHEME.exec(value.trim());
  if (!match) throw new AccessTokenError('invalid_request', 'The Authorization header is malformed');
  const name = match[1]?.toLowerCase();
  const scheme: Scheme | undefined = name === 'bearer' ? 'Bearer' : name === 'dpop' ? 'DPoP' : undefined;
  if (scheme === undefined) return undefined;
  const token = match[2]?.trim() ?? '';
  if (token === '') throw new AccessTokenError('invalid_request', `The Authorization header has no ${scheme} token`);
  if (token.length > MAX_TOKEN_LENGTH) {
    throw new AccessTokenError('invalid_request', `The access token is longer than ${MAX_TOKEN_LENGTH} characters`);
  }
  if (!B64TOKEN.test(token)) throw new AccessTokenError('invalid_request', 'The Authorization header is malformed');
  return { scheme, token, jwt: JWT_SHAPE.test(token) };
}
