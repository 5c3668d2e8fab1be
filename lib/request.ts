import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * The parts of an incoming request the strategy reads. Express's `Request` fits it,
 * as does any Node request with the same fields added by middleware.
 */
export interface OktaRequest extends IncomingMessage {
  /** Parsed query string (Express). */
  query?: unknown;
  /** Parsed body: needed for `responseMode: 'form_post'` (`express.urlencoded()`). */
  body?: unknown;
  /** The session (express-session), where the default store keeps pending logins. */
  session?: object | undefined;
  /** `http` or `https`, honouring Express's `trust proxy` setting. */
  protocol?: string;
  /** The response, which Express links to its request. */
  res?: ServerResponse | undefined;
}
