/**
 * OAuth 2.0 Token Exchange (RFC 8693) as Okta's "On-Behalf-Of Token Exchange" does it on a
 * custom authorization server: a service app sends a user's access token
 * (`subject_token_type` `urn:ietf:params:oauth:token-type:access_token`), the server's own
 * `audience` and the API scopes it needs, and gets a JWT access token for that API that
 * still names the user (`sub`, `uid`, `auth_time`) with the service app as `cid`. The
 * subject token may come from this server or, as Okta's "trusted servers", from another
 * custom server of the same org. Errors are Okta's (its OAuth error catalogue).
 */
import { randomUUID } from 'node:crypto';
import { createLocalJWKSet, decodeJwt, errors as joseErrors, jwtVerify, type JWK } from 'jose';
import type { KoaContextWithOIDC } from 'oidc-provider';
import { API_SCOPES, apiResourceServer, OIDC_SCOPES, type SubjectSignIn } from './access-tokens.js';
import { oidc } from './oidc.js';

/** The `grant_type` of RFC 8693 token exchange. */
export const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';

/** What one issuer's token exchange needs to know. */
export interface ExchangeContext {
  /** This server's API audience; undefined for the org server, which has no token exchange. */
  audience: string | undefined;
  /** The custom servers of this org whose access tokens may be exchanged, by issuer. */
  trustedServers(): ReadonlyMap<string, { audience: string; publicKey: JWK }>;
}

/** The user a subject token stands for. */
interface Subject extends SubjectSignIn {
  accountId: string;
  grantId?: string;
}

/** The token endpoint's handler of the token exchange grant at one issuer. */
export function tokenExchangeHandler(exchange: ExchangeContext) {
  return async (ctx: KoaContextWithOIDC): Promise<void> => {
    const { errors } = oidc();
    const { params, provider, client } = ctx.oidc;
    const { audience } = exchange;
    if (audience === undefined) {
      throw new errors.UnsupportedGrantType(`'${TOKEN_EXCHANGE}' grant type is not supported.`);
    }
    if (params?.subject_token_type !== ACCESS_TOKEN_TYPE) {
      throw new errors.InvalidRequest("'subject_token_type' is invalid or not supported.");
    }
    if (params.audience !== audience) {
      throw new errors.InvalidTarget('Token Exchange requests must include a valid audience of the authorization server.');
    }
    const scopes = requestedScopes(params.scope);
    const subject = await resolveSubject(ctx, exchange, params.subject_token);

    const token = new provider.AccessToken({
      accountId: subject.accountId,
      client: client!,
      grantId: subject.grantId ?? randomUUID(),
      gty: TOKEN_EXCHANGE,
      scope: scopes.join(' '),
      resourceServer: apiResourceServer(audience),
    });
    ctx.oidc.entity('SubjectSignIn', { authTime: subject.authTime, acr: subject.acr } satisfies SubjectSignIn);
    ctx.oidc.entity('AccessToken', token);
    const accessToken = await token.save();
    ctx.body = {
      token_type: 'Bearer',
      expires_in: token.expiration,
      access_token: accessToken,
      scope: token.scope,
      issued_token_type: ACCESS_TOKEN_TYPE,
    };
  };
}

/** The API scopes asked for: Okta refuses none, OpenID Connect scopes and unknown ones. */
function requestedScopes(scope: unknown): string[] {
  const { InvalidScope } = oidc().errors;
  const scopes = typeof scope === 'string' ? scope.split(' ').filter(Boolean) : [];
  if (scopes.length === 0) throw new InvalidScope('No scopes were requested.', '');
  const oidcScope = scopes.find((s) => OIDC_SCOPES.has(s));
  if (oidcScope) {
    throw new InvalidScope(`Can't request '${oidcScope}' scopes using the Token Exchange flow for a service app.`, oidcScope);
  }
  const unknown = scopes.find((s) => !API_SCOPES.includes(s));
  if (unknown) throw new InvalidScope('The requested scope is invalid, unknown, or malformed.', unknown);
  return scopes;
}

/**
 * The user of a subject token: a JWT access token of a trusted custom server (its signature,
 * issuer, audience and expiry checked), or an opaque access token this server issued.
 */
async function resolveSubject(ctx: KoaContextWithOIDC, exchange: ExchangeContext, value: unknown): Promise<Subject> {
  const { InvalidRequest, InvalidGrant, AccessDenied } = oidc().errors;
  if (typeof value !== 'string' || value === '') throw new InvalidRequest("'subject_token' is invalid.");
  const issuer = jwtIssuer(value);
  if (issuer === undefined) {
    const stored = await ctx.oidc.provider.AccessToken.find(value);
    if (!stored?.accountId || stored.isExpired) throw new InvalidRequest("'subject_token' is invalid.");
    const signIn = (stored.extra ?? {}) as { auth_time?: number; acr?: string };
    return { accountId: stored.accountId, grantId: stored.grantId, authTime: signIn.auth_time, acr: signIn.acr };
  }
  const server = exchange.trustedServers().get(issuer);
  if (!server) {
    const denied = new AccessDenied("The 'subject_token' issuer isn't a trusted authorization server.");
    Object.assign(denied, { status: 403, statusCode: 403 });
    throw denied;
  }
  try {
    const { payload } = await jwtVerify(value, createLocalJWKSet({ keys: [server.publicKey] }), {
      issuer,
      audience: server.audience,
      algorithms: ['RS256'],
    });
    if (typeof payload.uid !== 'string') throw new InvalidRequest('The subject token must represent an end user.');
    const acr = typeof payload.acr === 'string' ? payload.acr : undefined;
    return { accountId: payload.uid, authTime: typeof payload.auth_time === 'number' ? payload.auth_time : undefined, acr };
  } catch (err) {
    if (err instanceof joseErrors.JWTExpired) {
      throw new InvalidGrant("The 'subject_token' either expired or the session associated with it was terminated.");
    }
    if (err instanceof Error && 'error' in err) throw err;
    throw new InvalidRequest("'subject_token' is invalid.");
  }
}

/** The `iss` of a JWT, or undefined for an opaque token. */
function jwtIssuer(value: string): string | undefined {
  try {
    const { iss } = decodeJwt(value);
    return typeof iss === 'string' ? iss : undefined;
  } catch {
    return undefined;
  }
}
