import type { RateLimit } from './errors.js';

/** An answer's headers, looked up by name (case-insensitive). */
export interface AnswerHeaders {
  get(name: string): string | null;
}

/**
 * Okta's rate-limit headers. `reset` is `X-Rate-Limit-Reset` (epoch seconds), else
 * `Retry-After` (RFC 9110 §10.2.3: seconds after `now`, or an HTTP date); a value that is
 * not one of these is ignored.
 */
export function readRateLimit(headers: AnswerHeaders, now: number): RateLimit {
  const count = (name: string): number | undefined => {
    const raw = headers.get(name)?.trim();
    return raw !== undefined && DIGITS.test(raw) ? Number(raw) : undefined;
  };
  const reset = count('x-rate-limit-reset');
  return {
    limit: count('x-rate-limit-limit'),
    remaining: count('x-rate-limit-remaining'),
    reset: reset === undefined ? retryAfter(headers.get('retry-after'), now) : validDate(reset * 1000),
  };
}

const DIGITS = /^\d+$/;
/**
 * RFC 9110 §5.6.7: an IMF-fixdate, or one of the two obsolete forms a recipient must
 * still accept (RFC 850 and asctime).
 */
const HTTP_DATE = new RegExp(
  '^(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), \\d{2} [A-Z][a-z]{2} \\d{4} \\d{2}:\\d{2}:\\d{2} GMT' +
    '|(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day, \\d{2}-[A-Z][a-z]{2}-\\d{2} \\d{2}:\\d{2}:\\d{2} GMT' +
    '|(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) [A-Z][a-z]{2} [ \\d]\\d \\d{2}:\\d{2}:\\d{2} \\d{4})$',
);

/** `Retry-After` (RFC 9110 §10.2.3) as a date: delta-seconds after `now`, or an HTTP date. */
function retryAfter(raw: string | null, now: number): Date | undefined {
  const value = raw?.trim();
  if (value === undefined) return undefined;
  if (DIGITS.test(value)) return validDate(now + Number(value) * 1000);
  if (!HTTP_DATE.test(value)) return undefined;
  // asctime carries no zone: HTTP dates are always UTC.
  return validDate(Date.parse(value.endsWith(' GMT') ? value : `${value} GMT`));
}

function validDate(time: number): Date | undefined {
  const date = new Date(time);
  return Number.isNaN(date.getTime()) ? undefined : date;
}
