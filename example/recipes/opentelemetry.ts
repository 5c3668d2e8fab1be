// OpenTelemetry spans from passport-okta-oidc's tracing channels: a span per sign-in
// callback, request to Okta, key set fetch, refresh, API token check and introspection,
// each request to Okta a child of the step that made it. Needs only @opentelemetry/api
// (and an SDK that the app sets up, as for any other instrumentation).
import { AsyncLocalStorage } from 'node:async_hooks';
import { tracingChannel } from 'node:diagnostics_channel';
import { context, SpanStatusCode, trace, type Context, type Span, type Tracer } from '@opentelemetry/api';
import { diagnosticsChannels, type DiagnosticsMessages } from 'passport-okta-oidc';

type Message = DiagnosticsMessages[keyof DiagnosticsMessages] & Record<string, unknown>;

/** The tracing channels and the name of their spans. */
const SPANS = {
  callback: () => 'okta sign-in callback',
  oktaRequest: (m: Message) => `okta ${String(m.endpoint)}`,
  keySetFetch: () => 'okta key set fetch',
  refresh: () => 'okta refresh',
  bearer: () => 'okta access token check',
  introspection: () => 'okta introspection',
} as const;

/** Starts tracing; returns the function that stops it. */
export function traceOkta(tracer: Tracer): () => void {
  // Which span is current, along the async calls a step makes: the parent of the steps it traces.
  const current = new AsyncLocalStorage<Context>();
  const spans = new WeakMap<object, Span>();
  const stops: (() => void)[] = [];
  for (const [key, spanName] of Object.entries(SPANS)) {
    const channel = tracingChannel<unknown, Message>(diagnosticsChannels[key as keyof typeof SPANS]);
    // Runs as each step starts, before the step's own code: its span becomes the current one.
    channel.start.bindStore(current, (message) => {
      const parent = current.getStore() ?? context.active();
      const span = tracer.startSpan(spanName(message), { attributes: attributesOf(message) }, parent);
      spans.set(message, span);
      return trace.setSpan(parent, span);
    });
    const handlers = {
      start() {},
      end() {},
      asyncStart() {},
      error(message: Message) {
        if (message.error instanceof Error) spans.get(message)?.recordException(message.error);
      },
      asyncEnd(message: Message) {
        const span = spans.get(message);
        if (span === undefined) return;
        span.setAttributes(attributesOf(message));
        const failed = message.outcome === 'error' || message.error !== undefined;
        if (failed) span.setStatus({ code: SpanStatusCode.ERROR, message: String(message.code) });
        span.end();
      },
    };
    channel.subscribe(handlers);
    stops.push(() => {
      channel.unsubscribe(handlers);
      channel.start.unbindStore(current);
    });
  }
  return () => {
    for (const stop of stops) stop();
  };
}

/** The message's fields as span attributes: `okta.outcome`, `okta.error_code`, `http.response.status_code`... */
function attributesOf(message: Message): Record<string, string | number | boolean> {
  const attributes: Record<string, string | number | boolean> = {};
  for (const [field, value] of Object.entries(message)) {
    if (field === 'error' || value === undefined) continue;
    if (field === 'code') attributes['okta.error_code'] = String(value);
    else if (field === 'status') attributes['http.response.status_code'] = Number(value);
    else if (field === 'method') attributes['http.request.method'] = String(value);
    else if (field === 'rateLimit') {
      for (const [name, count] of Object.entries(value as Record<string, number>)) attributes[`okta.rate_limit.${name}`] = count;
    } else if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
      attributes[`okta.${field}`] = value;
    }
  }
  return attributes;
}
