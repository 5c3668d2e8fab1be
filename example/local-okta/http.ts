/** HTTP helpers for the pages the provider serves itself (outside oidc-provider). */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { errorPage } from './html.js';
import type { Settings } from './settings.js';

/** Sends a page that is never cached nor framed. */
export function sendHtml(res: ServerResponse, status: number, html: string): void {
  res.writeHead(status, {
    'Content-Type': 'text/html; charset=utf-8',
    'Cache-Control': 'no-store',
    'X-Frame-Options': 'DENY',
  });
  res.end(html);
}

/** A request body as text, refused beyond 16 KiB. */
export async function readBody(req: IncomingMessage): Promise<string> {
  const limit = 16 * 1024;
  let body = '';
  for await (const chunk of req) {
    body += String(chunk);
    if (body.length > limit) throw new Error('request body too large');
  }
  return body;
}

/** A form body (`application/x-www-form-urlencoded`), refused beyond 16 KiB. */
export async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  return new URLSearchParams(await readBody(req));
}

/** The answer to a request whose handler threw: a 500 page, or a cut connection once headers are out. */
export function failRequest(res: ServerResponse, settings: Settings, err: unknown): void {
  if (!settings.quiet) console.error('[local-okta] request failed:', err);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendHtml(res, 500, errorPage({ error: 'server_error', error_description: 'The local Okta failed on this request.' }));
}
