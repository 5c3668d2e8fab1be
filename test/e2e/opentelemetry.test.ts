import type { RequestListener } from 'node:http';
import { trace } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { expect } from 'chai';
import { createApp } from '../../example/app.js';
import { DEMO_USERS, startLocalOkta, type DemoUser, type LocalOkta } from '../../example/local-okta/index.js';
import { traceOkta } from '../../example/recipes/opentelemetry.js';
import { ScriptedBrowser } from '../support/browser.js';
import { signIn } from '../support/okta-login.js';
import { openSlot, type Slot } from '../support/server.js';

// The OpenTelemetry recipe of docs/diagnostics.md (example/recipes/opentelemetry.ts) with the
// SDK's in-memory exporter, around sign-ins through the example app and the local provider.

const alice = DEMO_USERS.find((user) => user.username.startsWith('alice')) as DemoUser;

describe('OpenTelemetry spans from the tracing channels (example/recipes/opentelemetry.ts)', function () {
  this.timeout(30_000);
  let okta: LocalOkta;
  let slot: Slot;
  let stop: () => void;
  const exporter = new InMemorySpanExporter();

  before(async () => {
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    stop = traceOkta(provider.getTracer('test'));
    slot = await openSlot();
    okta = await startLocalOkta({
      clients: [{ clientId: 'otel-app', clientSecret: 'otel-app-secret', redirectUris: [`${slot.origin}/auth/okta/callback`] }],
    });
    const { app } = createApp({
      oktaDomain: okta.origin,
      authServerId: 'default',
      clientID: 'otel-app',
      clientSecret: 'otel-app-secret',
      baseURL: slot.origin,
      sessionSecret: 'otel-session-secret',
      logger: { warn: () => undefined, error: () => undefined },
    });
    slot.serve(app as unknown as RequestListener);
  });

  after(async () => {
    stop();
    await slot.close();
    await okta.close();
  });

  /** The spans before the first test: the key set fetched in the background at start-up. */
  let startUpSpans: ReadableSpan[] = [];
  let startUpFetch: ReadableSpan | undefined;
  beforeEach(async () => {
    if (startUpFetch === undefined) {
      for (let i = 0; i < 100 && startUpFetch === undefined; i++) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        startUpSpans = exporter.getFinishedSpans();
        startUpFetch = startUpSpans.find((span) => span.name === 'okta key set fetch');
      }
    }
    exporter.reset();
  });

  const parentOf = (span: ReadableSpan): string | undefined => span.parentSpanContext?.spanId;

  it('makes a span tree of a sign-in: the token, keys and userinfo calls are children of the callback span', async () => {
    const page = await signIn(new ScriptedBrowser(), `${slot.origin}/login`, alice);
    expect(page.url).to.equal(`${slot.origin}/profile`);
    const spans = exporter.getFinishedSpans();
    const callback = spans.find((span) => span.name === 'okta sign-in callback');
    expect(callback, spans.map((span) => span.name).join(', ')).to.not.equal(undefined);
    expect(parentOf(callback!)).to.equal(undefined);
    expect(callback!.attributes).to.include({ 'okta.outcome': 'success', 'okta.strategy': 'okta' });
    const token = spans.find((span) => span.name === 'okta token')!;
    expect(token.attributes).to.include({
      'okta.endpoint': 'token',
      'http.response.status_code': 200,
      'http.request.method': 'POST',
    });
    expect(token.spanContext().traceId).to.equal(callback!.spanContext().traceId);
    expect(parentOf(token)).to.equal(callback!.spanContext().spanId);
    // The key set was fetched when the strategy was made (a trace of its own, before any
    // sign-in): the callback's only children are the token and userinfo calls.
    expect(startUpFetch, 'the start-up key set fetch').to.not.equal(undefined);
    expect(parentOf(startUpFetch!)).to.equal(undefined);
    expect(startUpFetch!.attributes).to.include({ 'okta.reason': 'start-up' });
    const keys = startUpSpans.find((span) => span.name === 'okta keys')!;
    expect(parentOf(keys)).to.equal(startUpFetch!.spanContext().spanId);
    expect(spans.filter((span) => parentOf(span) === callback!.spanContext().spanId).map((span) => span.name)).to.have.members([
      'okta token',
      'okta userinfo',
    ]);
    const userinfo = spans.find((span) => span.name === 'okta userinfo')!;
    // Children end before their parent.
    for (const child of [token, userinfo]) {
      expect(child.endTime[0] * 1e9 + child.endTime[1]).to.be.at.most(callback!.endTime[0] * 1e9 + callback!.endTime[1]);
    }
  });

  it('gives a failed callback the error code as an attribute and an error status', async () => {
    // A sign-in started for real, to which "Okta" answers server_error.
    const browser = new ScriptedBrowser();
    const start = await browser.request(`${slot.origin}/login`, { method: 'GET' });
    const state = new URL(start.headers.get('location')!).searchParams.get('state')!;
    const page = await browser.get(`${slot.origin}/auth/okta/callback?error=server_error&state=${state}`);
    expect(page.status).to.equal(500);
    const callback = exporter.getFinishedSpans().find((span) => span.name === 'okta sign-in callback')!;
    expect(callback.attributes).to.include({
      'okta.outcome': 'error',
      'okta.error_code': 'ERR_OKTA_AUTHORIZATION',
      'http.response.status_code': 502,
    });
    expect(callback.status).to.deep.include({ code: 2, message: 'ERR_OKTA_AUTHORIZATION' });
    expect(callback.events.map((event) => event.name)).to.deep.equal(['exception']);
    // No token call was made.
    expect(exporter.getFinishedSpans().map((span) => span.name)).to.not.include('okta token');
  });

  it('a failure the user caused (access_denied) is a failure with its reason, not an error', async () => {
    const browser = new ScriptedBrowser();
    const start = await browser.request(`${slot.origin}/login`, { method: 'GET' });
    const state = new URL(start.headers.get('location')!).searchParams.get('state')!;
    await browser.get(`${slot.origin}/auth/okta/callback?error=access_denied&state=${state}`);
    const callback = exporter.getFinishedSpans().find((span) => span.name === 'okta sign-in callback')!;
    expect(callback.attributes).to.include({
      'okta.outcome': 'fail',
      'okta.reason': 'access_denied',
      'http.response.status_code': 403,
    });
    expect(callback.status.code).to.equal(0);
    expect(trace.getActiveSpan()).to.equal(undefined);
  });
});
