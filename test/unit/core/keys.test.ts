import { expect } from 'chai';
import { exportJWK, generateKeyPair } from 'jose';
import { KeyStore } from '../../../lib/core/keys.js';

// KeyStore's fetch beside a token request (warm): its outcome belongs to the getKey that
// follows it, never to a later caller once it has settled.

describe('core/keys: KeyStore.warm', () => {
  // Through the client: test/security/provider-failures.test.ts (a callback gets the failure of
  // the fetch made beside its token request) and test/integration/sign-in-latency.test.ts.
  const URL_ = 'https://acme.okta.com/oauth2/default/v1/keys';

  async function publishedKey(): Promise<Record<string, unknown>> {
    const { publicKey } = await generateKeyPair('RS256');
    return { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256' };
  }

  it("does not hand a failed fetch's old error to a getKey made after the backoff, when Okta is back", async () => {
    const jwk = await publishedKey();
    let calls = 0;
    const fetch = (): Promise<Response> => {
      calls++;
      const answer =
        calls === 1
          ? new Response('down', { status: 503 })
          : new Response(JSON.stringify({ keys: [jwk] }), { status: 200, headers: { 'content-type': 'application/json' } });
      return Promise.resolve(answer);
    };
    const store = new KeyStore({ fetch, timeout: 1000 }, URL_, { cooldown: 10, maxAge: 3_600_000, now: Date.now });
    const warming = store.warm(); // beside a token request that then failed: no getKey takes this outcome
    await new Promise((resolve) => setTimeout(resolve, 60)); // past the 10 ms backoff
    store.unwarm(warming); // what the client does when its sign-in ends before asking for a key
    const key = await store.getKey({ alg: 'RS256', kid: 'k1' });
    expect(key).to.not.equal(undefined);
    expect(calls).to.equal(2);
  });

  it("gives the sign-in's own getKey the failure of the fetch made beside its token request", async () => {
    let calls = 0;
    const fetch = (): Promise<Response> => {
      calls++;
      return Promise.resolve(new Response('down', { status: 503 }));
    };
    const store = new KeyStore({ fetch, timeout: 1000 }, URL_, { cooldown: 10, maxAge: 3_600_000, now: Date.now });
    void store.warm();
    await new Promise((resolve) => setTimeout(resolve, 30)); // the token request takes longer than the key set
    const failure = await store.getKey({ alg: 'RS256', kid: 'k1' }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(failure).to.have.property('name', 'ResponseError');
    expect(calls).to.equal(1);
  });

  it('gives a getKey made while the fetch is under way that fetch, without a second request', async () => {
    const jwk = await publishedKey();
    let calls = 0;
    const fetch = async (): Promise<Response> => {
      calls++;
      await new Promise((resolve) => setTimeout(resolve, 20));
      return new Response(JSON.stringify({ keys: [jwk] }), { status: 200, headers: { 'content-type': 'application/json' } });
    };
    const store = new KeyStore({ fetch, timeout: 1000 }, URL_, { cooldown: 10, maxAge: 3_600_000, now: Date.now });
    void store.warm();
    await store.getKey({ alg: 'RS256', kid: 'k1' });
    expect(calls).to.equal(1);
  });
});
