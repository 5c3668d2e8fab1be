import { TokenError } from './errors.js';
import { redact } from './answers.js';
import type { HttpAnswer } from './http.js';

/** A scheme, or an auth-param (RFC 9110 §11.2): a token, then `=` and a token or quoted-string. */
const PARAM = /[\s,]*([!#$%&'*+.^_`|~0-9A-Za-z-]+)(?:[ \t]*(=)[ \t]*("(?:[^"\\]|\\[\s\S])*"|[!#$%&'*+.^_`|~0-9A-Za-z/-]+=*)?)?/y;

/**
 * Each challenge's scheme (lower case) and parameters, in order. What is not an auth-param
 * (a token68 such as Basic's `abc==`, a stray character) is skipped up to the next comma.
 */
export function readChallenges(header: string): { scheme: string; params: Map<string, string> }[] {
  const challenges: { scheme: string; params: Map<string, string> }[] = [];
  let at = 0;
  while (at < header.length) {
    PARAM.lastIndex = at;
    const match = PARAM.exec(header);
    if (match === null || (match[2] !== undefined && match[3] === undefined)) {
      // Not a scheme nor a whole auth-param: skip it.
      const comma = header.indexOf(',', match === null ? at : at + match[0].indexOf('=') + 1);
      if (comma === -1) break;
      at = comma + 1;
      continue;
    }
    at = PARAM.lastIndex;
    const [, name, , value] = match as unknown as [string, string, string | undefined, string | undefined];
    if (value === undefined) {
      challenges.push({ scheme: name.toLowerCase(), params: new Map() });
      continue;
    }
    const text = value.startsWith('"') ? value.slice(1, -1).replace(/\\([\s\S])/g, '$1') : value;
    const params = challenges.at(-1)?.params;
    if (params !== undefined && !params.has(name.toLowerCase())) params.set(name.toLowerCase(), text);
  }
  return challenges;
}

/**
 * A resource's refusal as RFC 6750 §3 gives it: a 401 or 403 whose `WWW-Authenticate` has a
 * `Bearer` (or `DPoP`, RFC 9449 §7.1) challenge with an `error`. Okta's `/v1/userinfo` says
 * why only there, with an empty body. Undefined when the answer is not such a refusal. The
 * fields are scrubbed of `secrets` (the access token sent) before the error cleans them.
 */
export function challengeFailure(answer: HttpAnswer, what: string, secrets: readonly string[]): TokenError | undefined {
  if (answer.status !== 401 && answer.status !== 403) return undefined;
  const header = answer.headers.get('www-authenticate');
  if (header === null) return undefined;
  for (const { scheme, params } of readChallenges(header)) {
    const error = params.get('error');
    if ((scheme !== 'bearer' && scheme !== 'dpop') || error === undefined) continue;
    const description = params.get('error_description');
    const uri = params.get('error_uri');
    return new TokenError({
      endpoint: what,
      oktaStatus: answer.status,
      error: redact(error, secrets),
      description: description === undefined ? undefined : redact(description, secrets),
      uri: uri === undefined ? undefined : redact(uri, secrets),
    });
  }
  return undefined;
}
