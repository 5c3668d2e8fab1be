/**
 * The bare baseline: the least code that does a sign-in's protocol work by hand, as a
 * Passport strategy so that Express, the session and Passport cost the same as for the
 * real strategies. It is the limit a strategy could reach, not something to ship: no
 * error taxonomy, one pending sign-in per session, no key rotation, no azp/iat checks.
 *
 * - start: random state, PKCE verifier and nonce (256 bits each) kept in the session;
 *   redirect to `/v1/authorize` with the S256 challenge;
 * - callback: take the pending entry out (one use), compare state, one token POST over a
 *   keep-alive node:http agent, one RS256 signature check (node:crypto) with the key
 *   imported once, then iss, aud, exp and nonce.
 *
 * With `verifier: 'jose'` (the "bare baseline, jose" row) the signature is checked by
 * `jose.compactVerify` with the same key imported once, instead of `node:crypto.verify`:
 * jose 6 only uses WebCrypto, whose calls run on libuv's pool. That is the limit for a
 * strategy that keeps its JOSE code in jose.
 */
import { createHash, createPublicKey, randomBytes, verify, type JsonWebKey, type KeyObject } from 'node:crypto';
import type { Request } from 'express';
import { compactVerify } from 'jose';
import { Strategy } from 'passport-strategy';
import { httpRequest } from './http-request.js';

export interface BareOptions {
  issuer: string;
  clientID: string;
  clientSecret: string;
  redirectURI: string;
  /** How the ID token signature is checked: node:crypto (default) or jose's compactVerify. */
  verifier?: 'node' | 'jose' | undefined;
}

interface Pending {
  state: string;
  verifier: string;
  nonce: string;
}

interface IdTokenClaims {
  iss?: unknown;
  aud?: unknown;
  exp?: unknown;
  sub?: unknown;
  nonce?: unknown;
}

const SESSION_KEY = 'bare';

export class BareStrategy extends Strategy {
  name = 'bare';
  private readonly authorizeURL: string;
  private readonly basicAuth: string;
  // Passport calls authenticate() on Object.create(strategy): state shared across requests
  // must live in an object of its own, not in fields assigned during a request.
  private readonly cache: { key?: Promise<{ kid: string | undefined; key: KeyObject }> | undefined } = {};

  constructor(private readonly options: BareOptions) {
    super();
    const query = new URLSearchParams({
      response_type: 'code',
      client_id: options.clientID,
      redirect_uri: options.redirectURI,
      scope: 'openid',
    });
    this.authorizeURL = `${options.issuer}/v1/authorize?${query}`;
    const credentials = `${encodeURIComponent(options.clientID)}:${encodeURIComponent(options.clientSecret)}`;
    this.basicAuth = `Basic ${Buffer.from(credentials).toString('base64')}`;
  }

  override authenticate(req: Request): void {
    const { code, state } = req.query;
    if (code === undefined) return this.start(req);
    if (typeof code !== 'string' || typeof state !== 'string') return this.fail({ message: 'malformed callback' }, 400);
    this.finish(req, code, state).then(
      (user) => (user ? this.success(user) : this.fail({ message: 'unknown or used state' }, 403)),
      (err: unknown) => this.error(err instanceof Error ? err : new Error(String(err))),
    );
  }

  private start(req: Request): void {
    const pending: Pending = {
      state: randomBytes(32).toString('base64url'),
      verifier: randomBytes(32).toString('base64url'),
      nonce: randomBytes(32).toString('base64url'),
    };
    (req.session as unknown as Record<string, unknown>)[SESSION_KEY] = pending;
    const challenge = createHash('sha256').update(pending.verifier).digest('base64url');
    this.redirect(
      `${this.authorizeURL}&state=${pending.state}&nonce=${pending.nonce}&code_challenge=${challenge}&code_challenge_method=S256`,
    );
  }

  private async finish(req: Request, code: string, state: string): Promise<{ id: string } | undefined> {
    const session = req.session as unknown as Record<string, unknown>;
    const pending = session[SESSION_KEY] as Pending | undefined;
    delete session[SESSION_KEY];
    if (!pending || pending.state !== state) return undefined;
    const form = new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      code_verifier: pending.verifier,
      redirect_uri: this.options.redirectURI,
    });
    const answer = await httpRequest(`${this.options.issuer}/v1/token`, {
      method: 'POST',
      headers: {
        authorization: this.basicAuth,
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
      },
      body: form.toString(),
    });
    if (answer.status !== 200) throw new Error(`token endpoint answered ${answer.status}`);
    const { id_token } = JSON.parse(answer.body.toString('utf8')) as { id_token?: unknown };
    if (typeof id_token !== 'string') throw new Error('no id_token');
    const claims = await this.verifyIdToken(id_token);
    const now = Date.now() / 1000;
    if (claims.iss !== this.options.issuer) throw new Error('iss');
    if (claims.aud !== this.options.clientID && !(Array.isArray(claims.aud) && claims.aud.includes(this.options.clientID))) {
      throw new Error('aud');
    }
    if (typeof claims.exp !== 'number' || claims.exp + 60 < now) throw new Error('exp');
    if (claims.nonce !== pending.nonce) throw new Error('nonce');
    if (typeof claims.sub !== 'string') throw new Error('sub');
    return { id: claims.sub };
  }

  private async verifyIdToken(jwt: string): Promise<IdTokenClaims> {
    const [header, payload, signature] = jwt.split('.');
    if (header === undefined || payload === undefined || signature === undefined) throw new Error('malformed ID token');
    const { alg, kid } = JSON.parse(Buffer.from(header, 'base64url').toString()) as { alg?: unknown; kid?: unknown };
    if (alg !== 'RS256') throw new Error('alg');
    this.cache.key ??= this.loadKey().catch((err: unknown) => {
      this.cache.key = undefined;
      throw err;
    });
    const cached = await this.cache.key;
    if (cached.kid !== kid) throw new Error('kid');
    if (this.options.verifier === 'jose') {
      // Throws on a bad signature; the algorithm list pins RS256 as the header check above does.
      await compactVerify(jwt, cached.key, { algorithms: ['RS256'] });
    } else {
      const ok = verify('sha256', Buffer.from(`${header}.${payload}`), cached.key, Buffer.from(signature, 'base64url'));
      if (!ok) throw new Error('signature');
    }
    return JSON.parse(Buffer.from(payload, 'base64url').toString()) as IdTokenClaims;
  }

  /** The provider's (single) signing key, fetched and imported once. */
  private async loadKey(): Promise<{ kid: string | undefined; key: KeyObject }> {
    const answer = await httpRequest(`${this.options.issuer}/v1/keys`, { headers: { accept: 'application/json' } });
    const { keys } = JSON.parse(answer.body.toString('utf8')) as { keys: Array<JsonWebKey & { kid?: string }> };
    const jwk = keys[0];
    if (!jwk) throw new Error('empty key set');
    return { kid: jwk.kid, key: createPublicKey({ key: jwk, format: 'jwk' }) };
  }
}
