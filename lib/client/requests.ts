import type { ClientAuthenticator } from '../core/client-auth.js';
import { ResponseError } from '../core/errors.js';
import { failureFrom, parseJSONObject } from '../core/answers.js';
import { send, type HttpAnswer, type HttpSettings } from '../core/http.js';
import type { DPoPProver } from './dpop.js';
import { readTokenResponse, type OktaRefreshedTokens } from './tokens.js';

/** An answer, with the credentials the request carried (for scrubbing Okta's error text). */
export type SentAnswer = HttpAnswer & { sent: string[] };

/**
 * The client's requests to Okta's endpoints that take its credentials: a form POSTed with
 * client authentication (by one method, never two) and, to the token endpoint, a DPoP proof,
 * retried once if Okta asks for a DPoP nonce. Every failure is scrubbed of what was sent.
 */
export class ClientRequests {
  constructor(
    private readonly settings: {
      http: HttpSettings;
      auth: ClientAuthenticator;
      dpop: DPoPProver | undefined;
      clientSecret: string | undefined;
      now: () => number;
    },
  ) {}

  /** A token grant (RFC 6749 §4.1.3, §6): the tokens, checked; `sent` are the grant's secrets (code, verifier, token). */
  async token(
    url: string,
    form: URLSearchParams,
    requestedScopes: readonly string[],
    sent: string[],
  ): Promise<OktaRefreshedTokens> {
    return (await this.grant(url, form, requestedScopes, sent, this.settings.dpop !== undefined)).tokens;
  }

  /**
   * {@link token} with the answer's body too (for a grant's own fields), and a DPoP proof
   * only when `withDPoP` (then the token must be DPoP-bound).
   */
  async grant(
    url: string,
    form: URLSearchParams,
    requestedScopes: readonly string[],
    sent: string[],
    withDPoP: boolean,
  ): Promise<{ tokens: OktaRefreshedTokens; body: Record<string, unknown> }> {
    const what = 'token endpoint';
    const answer = await this.post(url, form, what, withDPoP);
    if (answer.status !== 200) throw this.failure(answer, what, sent);
    const body = parseJSONObject(answer, what);
    const tokens = readTokenResponse(body, { status: answer.status, now: this.settings.now(), requestedScopes });
    if (withDPoP && this.settings.dpop && tokens.tokenType !== 'DPoP') {
      throw new ResponseError(`Okta's ${what} answered with a ${tokens.tokenType} token although DPoP was used`, answer.status);
    }
    return { tokens, body };
  }

  /**
   * POSTs a form with the client's credentials and, when `withDPoP`, a DPoP proof; retries
   * once if the server asks for a DPoP nonce.
   */
  async post(url: string, form: URLSearchParams, what: string, withDPoP: boolean): Promise<SentAnswer> {
    const { auth, http } = this.settings;
    const sent: string[] = [];
    const dpop = withDPoP ? this.settings.dpop : undefined;
    const attempt = async (retry = false): Promise<HttpAnswer> => {
      const body = new URLSearchParams(form);
      const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
      let applied = auth.apply(body, headers, url);
      if (!Array.isArray(applied)) applied = await applied;
      for (const secret of applied) sent.push(secret);
      if (dpop) headers.dpop = await dpop.proof('POST', url);
      return send(http, url, { method: 'POST', headers, body: body.toString() }, what, retry);
    };
    let answer = await attempt();
    if (dpop?.observe(url, answer)) answer = await attempt(true);
    return { status: answer.status, headers: answer.headers, text: answer.text, sent };
  }

  /** The error for a failed answer, scrubbed of the credentials sent and of `extra`. */
  failure(answer: HttpAnswer & { sent?: string[] }, what: string, extra: string[]): Error {
    return failureFrom(answer, what, this.secrets(extra, answer), this.settings.now());
  }

  /** What Okta's error text must be scrubbed of: the credentials sent with `answer`'s request, and `extra`. */
  secrets(extra: string[], answer?: { sent?: string[] }): string[] {
    const sent = answer?.sent ?? [];
    const { clientSecret } = this.settings;
    return clientSecret === undefined ? [...sent, ...extra] : [clientSecret, ...sent, ...extra];
  }
}
