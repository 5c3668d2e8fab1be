import type { ServerResponse } from 'node:http';
import type { OktaRequest } from './request.js';

/** An Express-style middleware, typed without depending on Express's types. */
export type Middleware<Req extends OktaRequest = OktaRequest> = (
  req: Req,
  res: ServerResponse,
  next: (err?: unknown) => void,
) => void;

/**
 * Runs the asynchronous part of a middleware and then calls `next` at most once:
 * `'next'` calls `next()`, a rejection calls `next(err)`, and `'answered'` (the body sent
 * the response itself) calls nothing. Should `next` throw, the response is ended (500,
 * or the socket destroyed if it had begun) instead of leaving an unhandled rejection,
 * which would end the process.
 */
export function runAsync(res: ServerResponse, next: (err?: unknown) => void, body: () => Promise<'next' | 'answered'>): void {
  body()
    .then(
      (outcome) => {
        if (outcome === 'next') next();
      },
      (err: unknown) => {
        next(err);
      },
    )
    .catch(() => {
      endUnanswered(res);
    });
}

/**
 * Ends a response that an exception left unanswered: 500 if nothing was sent yet, the
 * socket destroyed if the answer had begun; an answer already complete is left alone.
 */
export function endUnanswered(res: ServerResponse): void {
  try {
    if (res.writableEnded) return;
    if (res.headersSent) {
      res.destroy();
    } else {
      res.statusCode = 500;
      res.setHeader('Content-Type', 'text/plain; charset=utf-8');
      res.end('Internal Server Error');
    }
  } catch {
    // Nothing more can be done for this response.
  }
}

export function redirect(res: ServerResponse, location: string): void {
  res.statusCode = 302;
  res.setHeader('Location', location);
  res.end();
}
