import { importJWK, importPKCS8, SignJWT, type CryptoKey } from 'jose';
import type { PrivateJWK } from './jwk.js';
import { ConfigurationError } from './errors.js';
import { randomToken } from './random.js';

/** How the client proves its identity to Okta's token, revoke and PAR endpoints. */
export type TokenEndpointAuthMethod =
  'client_secret_basic' | 'client_secret_post' | 'client_secret_jwt' | 'private_key_jwt' | 'none';

export interface ClientAuthSettings {
  method: TokenEndpointAuthMethod;
  clientId: string;
  clientSecret: string | undefined;
  /** For `private_key_jwt`: a private JWK with `kid`, or a PKCS#8 PEM string with `privateKeyId`. */
  privateKey: PrivateJWK | string | undefined;
  privateKeyId: string | undefined;
  now: () => number;
}

const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const ASSERTION_LIFETIME_SECONDS = 60;

/**
 * Adds client credentials to a request by one method, never two (Okta refuses a request
 * that carries them twice). JWT assertions (RFC 7523 §2.2) are signed anew for each
 * request: `iss` = `sub` = client id, `aud` = the endpoint URL (as Okta requires),
 * a unique `jti`, and a 60 s lifetime.
 */
export class ClientAuthenticator {
  private signingKey: Promise<{ key: CryptoKey | Uint8Array; alg: string; kid?: string | undefined }> | undefined;
  /** `client_secret_basic`: the header's credentials, encoded once. */
  private readonly basicCredentials: string | undefined;

  constructor(private readonly settings: ClientAuthSettings) {
    const { method, clientSecret, privateKey, privateKeyId } = settings;
    const needsSecret = method === 'client_secret_basic' || method === 'client_secret_post' || method === 'client_secret_jwt';
    if (needsSecret && (typeof clientSecret !== 'string' || clientSecret === '')) {
      throw new ConfigurationError(`clientSecret is required for tokenEndpointAuthMethod "${method}"`);
    }
    if (method === 'client_secret_jwt' && clientSecret!.length < 32) {
      throw new ConfigurationError('client_secret_jwt needs a clientSecret of at least 32 characters (HS256)');
    }
    if (method === 'private_key_jwt') {
      if (typeof privateKey === 'string') {
        if (!privateKeyId) throw new ConfigurationError("privateKeyId (the key's kid in Okta) is required with a PEM privateKey");
      } else if (
        !privateKey ||
        typeof privateKey !== 'object' ||
        typeof privateKey.kid !== 'string' ||
        privateKey.d === undefined
      ) {
        throw new ConfigurationError(
          'private_key_jwt needs privateKey: a private JWK with a kid, or a PEM string with privateKeyId',
        );
      }
    }
    if (method === 'client_secret_basic') {
      this.basicCredentials = Buffer.from(`${formEncode(settings.clientId)}:${formEncode(clientSecret!)}`).toString('base64');
    }
  }

  /**
   * Puts the credentials into `form` or `headers` for a request to `audience`, and returns
   * what it sent that must never show up in an error (secret, Basic credentials, assertion).
   * Synchronous except for the signed assertions (`client_secret_jwt`, `private_key_jwt`).
   */
  apply(form: URLSearchParams, headers: Record<string, string>, audience: string): string[] | Promise<string[]> {
    const { method, clientId, clientSecret } = this.settings;
    switch (method) {
      case 'client_secret_basic': {
        const credentials = this.basicCredentials!;
        headers.authorization = `Basic ${credentials}`;
        return [clientSecret!, credentials];
      }
      case 'client_secret_post':
        form.set('client_id', clientId);
        form.set('client_secret', clientSecret!);
        return [clientSecret!];
      case 'none':
        form.set('client_id', clientId);
        return [];
      case 'client_secret_jwt':
      case 'private_key_jwt':
        return this.assertion(audience).then((assertion) => {
          form.set('client_id', clientId);
          form.set('client_assertion_type', ASSERTION_TYPE);
          form.set('client_assertion', assertion);
          return clientSecret === undefined ? [assertion] : [clientSecret, assertion];
        });
    }
  }

  private async assertion(audience: string): Promise<string> {
    const { key, alg, kid } = await (this.signingKey ??= this.loadKey());
    const now = Math.floor(this.settings.now() / 1000);
    return new SignJWT({})
      .setProtectedHeader(kid === undefined ? { alg } : { alg, kid })
      .setIssuer(this.settings.clientId)
      .setSubject(this.settings.clientId)
      .setAudience(audience)
      .setJti(randomToken(16))
      .setIssuedAt(now)
      .setExpirationTime(now + ASSERTION_LIFETIME_SECONDS)
      .sign(key);
  }

  private async loadKey(): Promise<{ key: CryptoKey | Uint8Array; alg: string; kid?: string | undefined }> {
    const { method, clientSecret, privateKey, privateKeyId } = this.settings;
    if (method === 'client_secret_jwt') return { key: new TextEncoder().encode(clientSecret), alg: 'HS256' };
    try {
      if (typeof privateKey === 'string') return { key: await importPKCS8(privateKey, 'RS256'), alg: 'RS256', kid: privateKeyId };
      const jwk = privateKey!;
      const alg = jwk.alg ?? 'RS256';
      return { key: (await importJWK(jwk, alg)) as CryptoKey, alg, kid: jwk.kid };
    } catch (err) {
      // Do not keep a failed import: the next request reports it again.
      this.signingKey = undefined;
      throw new ConfigurationError('privateKey could not be imported for private_key_jwt', { cause: err });
    }
  }
}

/** application/x-www-form-urlencoded, as RFC 6749 §2.3.1 asks before Basic encoding. */
function formEncode(value: string): string {
  return new URLSearchParams({ v: value }).toString().slice(2);
}
