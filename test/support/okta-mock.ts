import { exportJWK, generateKeyPair, SignJWT, type JWK, type JWTPayload, type CryptoKey } from 'jose';
import nock from 'nock';

export const CLIENT_ID = '0oa1clientid';
/** A secret with characters that form-encoding must escape (RFC 6749 §2.3.1). */
export const CLIENT_SECRET = 'sec:ret%with+odd chars';
export const DOMAIN = 'https://acme.okta.com';
export const REDIRECT_URI = 'https://app.example/auth/okta/callback';

export interface TestKey {
  kid: string;
  alg: string;
  privateKey: CryptoKey;
  jwk: JWK;
}

/** A fresh signing key with its public JWK, like one of Okta's. */
export async function makeKey(kid: string, alg = 'RS256'): Promise<TestKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  return { kid, alg, privateKey, jwk };
}

/**
 * The body Okta sends with a 429 (E0000047), as its OAuth endpoints answer it: an Okta
 * API error, not an OAuth one. The id is made up for these tests.
 */
export function rateLimitedBody(errorId = 'oaeTestRateLimit0000000001'): Record<string, unknown> {
  return {
    errorCode: 'E0000047',
    errorSummary: 'API call exceeded rate limit due to too many requests.',
    errorLink: 'E0000047',
    errorId,
    errorCauses: [],
  };
}

let sharedKey: Promise<TestKey> | undefined;

/** One Okta authorization server, mocked at the HTTP level with nock. */
export class FakeOkta {
  readonly issuer: string;
  readonly path: string;
  keys: TestKey[] = [];

  readonly authServerId: string | undefined;

  /** `server` is a custom authorization server id, or null for the org server. */
  constructor(server: string | null = 'default') {
    const authServerId = server ?? undefined;
    this.authServerId = authServerId;
    this.issuer = authServerId === undefined ? DOMAIN : `${DOMAIN}/oauth2/${authServerId}`;
    this.path = authServerId === undefined ? '/oauth2/v1' : `/oauth2/${authServerId}/v1`;
  }

  static async create(server: string | null = 'default'): Promise<FakeOkta> {
    const okta = new FakeOkta(server);
    // RSA key generation is slow; tests share one key unless they make their own.
    sharedKey ??= makeKey('key-1');
    okta.keys = [await sharedKey];
    return okta;
  }

  get key(): TestKey {
    return this.keys[0]!;
  }

  /** Claims Okta puts in a code-flow ID token, for the given nonce. */
  claims(nonce: string | undefined, extra: Record<string, unknown> = {}): JWTPayload {
    const now = Math.floor(Date.now() / 1000);
    return {
      iss: this.issuer,
      aud: CLIENT_ID,
      sub: '00u1alice',
      iat: now,
      exp: now + 3600,
      auth_time: now - 5,
      ver: 1,
      idp: '00o1okta',
      amr: ['pwd'],
      name: 'Alice Example',
      preferred_username: 'alice@example.com',
      email: 'alice@example.com',
      ...(nonce === undefined ? {} : { nonce }),
      ...extra,
    };
  }

  /** Signs claims as an ID token with `key` (default: the current key). */
  async sign(claims: JWTPayload, key: TestKey = this.key, header: Record<string, unknown> = {}): Promise<string> {
    return new SignJWT(claims).setProtectedHeader({ alg: key.alg, kid: key.kid, ...header }).sign(key.privateKey);
  }

  scope(): nock.Scope {
    return nock(DOMAIN);
  }

  /**
   * `/v1/keys` answering with the current public keys; the org server's asked with this
   * client's `client_id` (where it publishes an app's manually rotated key), a custom
   * server's with no query.
   */
  mockKeys(times = 1): nock.Scope {
    return this.scope()
      .get(`${this.path}/keys`)
      .query(this.authServerId === undefined ? { client_id: CLIENT_ID } : {})
      .times(times)
      .reply(200, () => ({ keys: this.keys.map((k) => k.jwk) }));
  }

  /** A token response for an ID token. */
  tokenBody(idToken: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
    return {
      token_type: 'Bearer',
      expires_in: 3600,
      access_token: 'at-0123456789abcdef',
      scope: 'openid profile email',
      id_token: idToken,
      ...extra,
    };
  }
}

/**
 * Mocha hooks for a describe block whose Okta is mocked with nock: no real network,
 * a fresh FakeOkta (custom server `default`) per test, mocks cleaned after. Read the
 * current FakeOkta through the returned getter.
 */
export function mockedOkta(): () => FakeOkta {
  let okta: FakeOkta | undefined;
  beforeEach(async () => {
    nock.disableNetConnect();
    okta = await FakeOkta.create();
  });
  afterEach(() => {
    nock.cleanAll();
    nock.enableNetConnect();
  });
  return () => okta!;
}
