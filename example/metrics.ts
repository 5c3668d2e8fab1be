/**
 * Counters from passport-okta-oidc's diagnostics channels, in Prometheus' text format, for
 * `/metrics` (docs/diagnostics.md): sign-ins by outcome, failures by reason or error code,
 * the latency of Okta's endpoints (a histogram), key set fetches and rotations, refreshes,
 * API token checks and logouts. No client library: the format is a few lines of text.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
// A real app imports these from 'passport-okta-oidc'; the example uses the sources.
import { diagnosticsChannels, type DiagnosticsMessages } from '../lib/index.js';

type M = DiagnosticsMessages;
/** Upper bounds of the latency buckets, in seconds. */
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Counts by label set: `{ '{outcome="success"}': 3 }`. */
class Counter {
  readonly counts = new Map<string, number>();
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}
  add(labels: Record<string, string | number | undefined>, by = 1): void {
    const key = labelText(labels);
    this.counts.set(key, (this.counts.get(key) ?? 0) + by);
  }
  text(): string[] {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
    for (const [labels, count] of this.counts) lines.push(`${this.name}${labels} ${count}`);
    return lines;
  }
}

class Histogram {
  private readonly series = new Map<string, { buckets: number[]; sum: number; count: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}
  observe(label: string, seconds: number): void {
    let series = this.series.get(label);
    if (!series) this.series.set(label, (series = { buckets: BUCKETS.map(() => 0), sum: 0, count: 0 }));
    BUCKETS.forEach((bound, i) => {
      if (seconds <= bound) series.buckets[i]!++;
    });
    series.sum += seconds;
    series.count++;
  }
  text(): string[] {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    for (const [endpoint, { buckets, sum, count }] of this.series) {
      BUCKETS.forEach((bound, i) => lines.push(`${this.name}_bucket${labelText({ endpoint, le: bound })} ${buckets[i]}`));
      lines.push(`${this.name}_bucket${labelText({ endpoint, le: '+Inf' })} ${count}`);
      lines.push(`${this.name}_sum${labelText({ endpoint })} ${sum}`, `${this.name}_count${labelText({ endpoint })} ${count}`);
    }
    return lines;
  }
}

function labelText(labels: Record<string, string | number | undefined>): string {
  const pairs = Object.entries(labels)
    .filter(([, value]) => value !== undefined)
    .map(([name, value]) => `${name}="${String(value).replace(/[\\"\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`))}"`);
  return pairs.length === 0 ? '' : `{${pairs.join(',')}}`;
}

export interface OktaMetrics {
  /** The exposition, for `GET /metrics` (`text/plain; version=0.0.4`). */
  text(): string;
  stop(): void;
}

/** Subscribes to the channels and counts; `stop()` unsubscribes. */
export function oktaMetrics(): OktaMetrics {
  const p = 'passport_okta_oidc';
  const signIns = new Counter(`${p}_sign_ins_total`, 'Sign-in callbacks by outcome.');
  const failures = new Counter(`${p}_sign_in_failures_total`, 'Sign-in callbacks that failed, by reason or error code.');
  const latency = new Histogram(`${p}_okta_request_duration_seconds`, 'Requests to Okta by endpoint.');
  const requests = new Counter(`${p}_okta_requests_total`, 'Requests to Okta by endpoint and status (0: no answer).');
  const keyFetches = new Counter(`${p}_key_set_fetches_total`, 'Key set fetches by reason.');
  const rotations = new Counter(`${p}_key_rotations_total`, 'Key sets fetched with keys the previous one had not.');
  const refreshes = new Counter(`${p}_refreshes_total`, 'Token refreshes by outcome.');
  const api = new Counter(`${p}_api_requests_total`, 'API requests checked by OktaBearerStrategy, by outcome and reason.');
  const logouts = new Counter(`${p}_logouts_total`, 'Sign-outs and Okta-initiated logouts by kind and status.');
  const all = [signIns, failures, latency, requests, keyFetches, rotations, refreshes, api, logouts];

  const stops: (() => void)[] = [];
  const on = <N extends keyof M>(name: N, count: (message: M[N]) => void): void => {
    const handler = (message: unknown): void => count(message as M[N]);
    subscribe(name, handler);
    stops.push(() => unsubscribe(name, handler));
  };

  const onEnd = <N extends keyof M>(name: N, count: (message: M[N]) => void): void => {
    // A tracing channel's events are channels of their own: `tracing:<name>:asyncEnd` is each step's end.
    on(`tracing:${name}:asyncEnd` as N, count);
  };
  onEnd(diagnosticsChannels.callback, (m) => {
    signIns.add({ outcome: m.outcome });
    if (m.outcome !== 'success') failures.add({ code: m.reason ?? m.code });
  });
  onEnd(diagnosticsChannels.oktaRequest, (m) => {
    latency.observe(m.endpoint, (m.duration ?? 0) / 1000);
    requests.add({ endpoint: m.endpoint, status: m.status ?? 0 });
  });
  onEnd(diagnosticsChannels.keySetFetch, (m) => keyFetches.add({ reason: m.reason, outcome: m.code ?? 'ok' }));
  on(diagnosticsChannels.keyRotation, () => rotations.add({}));
  onEnd(diagnosticsChannels.refresh, (m) => refreshes.add({ outcome: m.outcome, reason: m.reason ?? m.code }));
  onEnd(diagnosticsChannels.bearer, (m) => api.add({ outcome: m.outcome, reason: m.reason ?? m.code }));
  on(diagnosticsChannels.logout, (m) => logouts.add({ kind: m.kind, status: m.status }));

  return {
    text: () => `${all.flatMap((metric) => metric.text()).join('\n')}\n`,
    stop: () => {
      for (const stop of stops) stop();
    },
  };
}
