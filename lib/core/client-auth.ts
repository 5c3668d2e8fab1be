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

/** A client's credential for its method, checked once: what each request carries. */
type Credential =
  | { method: 'client_secret_basic'; secret: string; basic: string }
  | { method: 'client_secret_post'; secret: string }
  | { method: 'none' }
  | SigningCredential;

/** A credential that signs an assertion per request. */
type SigningCredential =
  { method: 'client_secret_jwt'; secret: string } | { method: 'private_key_jwt'; key: PrivateJWK | string };

interface SigningKey {
  key: CryptoKey | Uint8Array;
  alg: string;
  kid?: string | undefined;
}

/**
 * Adds client credentials to a request by one method, never two (Okta refuses a request
 * that carries them twice). JWT assertions (RFC 7523 §2.2) are signed anew for each
 * request: `iss` = `sub` = client id, `aud` = the endpoint URL (as Okta requires),
 * a unique `jti`, and a 60 s lifetime.
 */
export class ClientAuthenticator {
  private signingKey: Promise<SigningKey> | undefined;
  private readonly credential: Credential;

  constructor(private readonly settings: ClientAuthSettings) {
    this.credential = credentialOf(settings);
  }

  /**
   * Puts the credentials into `form` or `headers` for a request to `audience`, and returns
   * what it sent that must never show up in an error (secret, Basic credentials, assertion).
   * Synchronous except for the signed assertions (`client_secret_jwt`, `private_key_jwt`).
   */
  apply(form: URLSearchParams, headers: Record<string, string>, audience: string): string[] | Promise<string[]> {
    const { clientId, clientSecret } = this.settings;
    const { credential } = this;
    switch (credential.method) {
      case 'client_secret_basic':
        headers.authorization = `Basic ${credential.basic}`;
        return [credential.secret, credential.basic];
      case 'client_secret_post':
        form.set('client_id', clientId);
        form.set('client_secret', credential.secret);
        return [credential.secret];
      case 'none':
        form.set('client_id', clientId);
        return [];
      case 'client_secret_jwt':
      case 'private_key_jwt':
        return this.assertion(audience, credential).then((assertion) => {
          form.set('client_id', clientId);
          form.set('client_assertion_type', ASSERTION_TYPE);
          form.set('client_assertion', assertion);
          return clientSecret === undefined ? [assertion] : [clientSecret, assertion];
        });
    }
  }

  private async assertion(audience: string, credential: SigningCredential): Promise<string> {
    const { key, alg, kid } = await (this.signingKey ??= this.loadKey(credential));
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

  private async loadKey(credential: SigningCredential): Promise<SigningKey> {
    if (credential.method === 'client_secret_jwt') return { key: new TextEncoder().encode(credential.secret), alg: 'HS256' };
    const { key } = credential;
    try {
      if (typeof key === 'string') return { key: await importPKCS8(key, 'RS256'), alg: 'RS256', kid: this.settings.privateKeyId };
      const alg = key.alg ?? 'RS256';
      return { key: (await importJWK(key, alg)) as CryptoKey, alg, kid: key.kid };
    } catch (err) {
      // Do not keep a failed import: the next request reports it again.
      this.signingKey = undefined;
      throw new ConfigurationError('privateKey could not be imported for private_key_jwt', { cause: err });
    }
  }
}

/** Checks the settings of the method; throws a {@link ConfigurationError} naming what is missing. */
function credentialOf({ method, clientId, clientSecret, privateKey, privateKeyId }: ClientAuthSettings): Credential {
  switch (method) {
    case 'client_secret_basic': {
      const secret = requiredSecret(method, clientSecret);
      return { method, secret, basic: Buffer.from(`${formEncode(clientId)}:${formEncode(secret)}`).toString('base64') };
    }
    case 'client_secret_post':
      return { method, secret: requiredSecret(method, clientSecret) };
    case 'client_secret_jwt': {
      const secret = requiredSecret(method, clientSecret);
      if (secret.length < 32) {
        throw new ConfigurationError('client_secret_jwt needs a clientSecret of at least 32 characters (HS256)');
      }
      return { method, secret };
    }
    case 'private_key_jwt':
      return { method, key: checkedPrivateKey(privateKey, privateKeyId) };
    case 'none':
      return { method };
  }
}

function requiredSecret(method: TokenEndpointAuthMethod, clientSecret: string | undefined): string {
  if (typeof clientSecret !== 'string' || clientSecret === '') {
    throw new ConfigurationError(`clientSecret is required for tokenEndpointAuthMethod "${method}"`);
  }
  return clientSecret;
}

function checkedPrivateKey(privateKey: PrivateJWK | string | undefined, privateKeyId: string | undefined): PrivateJWK | string {
  if (typeof privateKey === 'string') {
    if (!privateKeyId) throw new ConfigurationError("privateKeyId (the key's kid in Okta) is required with a PEM privateKey");
    return privateKey;
  }
  if (!privateKey || typeof privateKey !== 'object' || typeof privateKey.kid !== 'string' || privateKey.d === undefined) {
    throw new ConfigurationError('private_key_jwt needs privateKey: a private JWK with a kid, or a PEM string with privateKeyId');
  }
  return privateKey;
}

/** application/x-www-form-urlencoded, as RFC 6749 §2.3.1 asks before Basic encoding. */
function formEncode(value: string): string {
  return new URLSearchParams({ v: value }).toString().slice(2);
}
