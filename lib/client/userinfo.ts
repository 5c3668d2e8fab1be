import { failureFrom, parseJSONObject } from '../core/answers.js';
import { ResponseError, UserInfoError } from '../core/errors.js';
import { send, type HttpAnswer, type HttpSettings } from '../core/http.js';
import { challengeFailure } from '../core/www-authenticate.js';
import type { DPoPProver } from './dpop.js';
import type { ClientRequests } from './requests.js';

/** Claims from `/v1/userinfo`. */
export interface UserInfo {
  sub: string;
  [claim: string]: unknown;
}

/** `GET /v1/userinfo` with the access token, as a DPoP-bound token when the client has a DPoP key (see `OktaClient.fetchUserInfo`). */
export async function fetchUserInfo(
  settings: { http: HttpSettings; url: string; dpop: DPoPProver | undefined; requests: ClientRequests; now: () => number },
  accessToken: string,
): Promise<UserInfo> {
  const what = 'userinfo endpoint';
  const { url, dpop } = settings;
  const request = async (retry = false): Promise<HttpAnswer> => {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (dpop) {
      headers.authorization = `DPoP ${accessToken}`;
      headers.dpop = await dpop.proof('GET', url, accessToken);
    } else {
      headers.authorization = `Bearer ${accessToken}`;
    }
    return send(settings.http, url, { method: 'GET', headers }, what, retry);
  };
  let answer = await request();
  if (dpop?.observe(url, answer)) answer = await request(true);
  if (answer.status !== 200) {
    const secrets = settings.requests.secrets([accessToken]);
    throw challengeFailure(answer, what, secrets) ?? failureFrom(answer, what, secrets, settings.now());
  }
  const contentType = answer.headers.get('content-type') ?? '';
  if (/application\/jwt/i.test(contentType)) {
    throw new ResponseError(`Okta's ${what} answered with a signed JWT; only JSON userinfo is supported`, 200);
  }
  const body = parseJSONObject(answer, what);
  if (typeof body.sub !== 'string' || body.sub === '') throw new UserInfoError(`Okta's ${what} answered without a sub`);
  return body as UserInfo;
}
