/**
 * The Prometheus text exposition as the Apache broker's exporter prints it (OpenTelemetry Java's
 * PrometheusHttpServer, captured in test/fixtures/metrics/apache-5.3.3-broker.txt): `# TYPE` then `# HELP`
 * per family, the `target_info` and `otel_scope_info` lines first, samples labelled
 * `otel_scope_name` first and then the other labels sorted by key, values as Java prints doubles, a
 * millisecond timestamp on each sample, and a unit (`_milliseconds`, `_bytes`) on the sample names the
 * TYPE line leaves out. Metric state keeps plain numbers and pre-rendered label text, so counting costs
 * no allocation; the text is built only when /metrics is read.
 */

/** Label pairs rendered once: `k1="v1",k2="v2"` with keys sorted, values escaped. */
export function labelText(labels: Record<string, string>): string {
  return Object.keys(labels)
    .sort()
    .map((k) => `${k}="${labels[k].replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"')}"`)
    .join(',');
}

/** Double.toString: `3.0`, `0.25`, `1.9421835264E10` (Prometheus reads all of them). */
export function javaDouble(n: number): string {
  if (!Number.isFinite(n)) return Number.isNaN(n) ? 'NaN' : n > 0 ? '+Inf' : '-Inf';
  const abs = Math.abs(n);
  if (abs !== 0 && (abs >= 1e7 || abs < 1e-3)) {
    const [mant, exp] = n.toExponential().split('e');
    return `${mant.includes('.') ? mant : `${mant}.0`}E${Number(exp)}`;
  }
  return Number.isInteger(n) ? `${n}.0` : String(n);
}

/** An explicit-bucket histogram: counts per upper bound (the last one +Inf), sum and count. */
export class Histogram {
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(readonly bounds: readonly number[]) {
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(v: number): void {
    const b = this.bounds;
    let i = 0;
    while (i < b.length && v > b[i]) i++;
    this.counts[i]++;
    this.sum += v;
    this.count++;
  }
}

/** The OpenTelemetry instrumentation scope every broker metric comes from (BrokerMetricsConstant.OPEN_TELEMETRY_METER_NAME). */
export const OTEL_SCOPE = 'broker-meter';
const SCOPE_LABEL = `otel_scope_name="${OTEL_SCOPE}"`;

/** Builds one scrape's text: families in the order first written, each family's samples together. */
export class PromWriter {
  private readonly families = new Map<string, string[]>();
  private current: string[] = [];
  readonly timestamp = Date.now();

  constructor() {
    this.families.set('', ['# TYPE target info', '# HELP target Target metadata', 'target_info{} 1',
      '# TYPE otel_scope_info info', '# HELP otel_scope_info Scope metadata', `otel_scope_info{${SCOPE_LABEL}} 1`]);
  }

  /** Starts or resumes a family: samples written next go under its header (two sources may share one). */
  family(name: string, type: 'gauge' | 'counter' | 'histogram', help: string): this {
    let lines = this.families.get(name);
    if (!lines) this.families.set(name, (lines = [`# TYPE ${name} ${type}`, `# HELP ${name} ${help}`]));
    this.current = lines;
    return this;
  }

  sample(name: string, labels: string, value: number): void {
    this.current.push(`${name}{${SCOPE_LABEL}${labels ? `,${labels}` : ''}} ${javaDouble(value)} ${this.timestamp}`);
  }

  /** `name` with its unit (rocketmq_rpc_latency_milliseconds): _count, _sum, then the cumulative buckets. */
  histogram(name: string, labels: string, h: Histogram): void {
    const l = `${SCOPE_LABEL}${labels ? `,${labels}` : ''}`;
    const ts = this.timestamp;
    const out = this.current;
    out.push(`${name}_count{${l}} ${javaDouble(h.count)} ${ts}`, `${name}_sum{${l}} ${javaDouble(h.sum)} ${ts}`);
    let cum = 0;
    for (let i = 0; i <= h.bounds.length; i++) {
      cum += h.counts[i];
      const le = i < h.bounds.length ? javaDouble(h.bounds[i]) : '+Inf';
      out.push(`${name}_bucket{${l},le="${le}"} ${javaDouble(cum)} ${ts}`);
    }
  }

  /** The exposition; a family that got a header but no sample is left out, as the OpenTelemetry exporter leaves it. */
  text(): string {
    const parts: string[] = [];
    for (const lines of this.families.values()) if (lines.length > 2 || lines[0] === '# TYPE target info') parts.push(lines.join('\n'));
    return `${parts.join('\n')}\n`;
  }
}

/** What a /metrics endpoint asks each part of the process for at scrape time. */
export interface MetricsSource {
  write(w: PromWriter): void;
}
