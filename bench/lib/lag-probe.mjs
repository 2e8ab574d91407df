/**
 * Replication lag probe: about every `intervalMs` (uniformly 0.5x to 1.5x of it, so that the probe does
 * not lock onto the phase of a replicator that polls on a fixed period, as the 4.9.x master's 100 ms wait
 * does) one 128 B message goes to queue 0 of a probe topic on the master (SEND_MESSAGE over the wire, lib/wire.mjs); once the master has answered with its queue offset q,
 * the slave's GET_MAX_OFFSET for that queue is polled every `pollMs` until it is above q.
 *
 * lagMs = (arrival of the first slave answer above q) - (arrival of the master's send answer): how long a
 * message the master has acknowledged takes to be readable on the slave. It is an upper bound by up to
 * one poll interval plus one GET_MAX_OFFSET round trip; 0 when the first poll already sees it. Sends
 * that are not answered SUCCESS are counted by response code (FLUSH_SLAVE_TIMEOUT, SLAVE_NOT_AVAILABLE
 * ...), which the benchmark Producer does not look at.
 */
import { performance } from 'node:perf_hooks';
import { RESPONSE_NAMES, WireClient, createTopic, maxOffset, sendOne } from './wire.mjs';
import { sleep } from './processes.mjs';

export const PROBE_TOPIC = 'BenchLagProbe';
const QUEUE_ID = 0;
/** A message not readable on the slave after this long counts as not seen and the probe moves on. */
const SEEN_TIMEOUT_MS = 10_000;
const BODY = Buffer.alloc(128, 'x');
/** Codes with which the master still stored the message (SendMessageProcessor): the slave should get it. */
const STORED_CODES = new Set([0, 10, 11, 12]);

export class LagProbe {
  /** @param {{ masterAddr: string, slaveAddr: string, intervalMs?: number, pollMs?: number }} o */
  constructor({ masterAddr, slaveAddr, intervalMs = 100, pollMs = 1 }) {
    this.master = new WireClient(masterAddr);
    this.slave = new WireClient(slaveAddr);
    this.intervalMs = intervalMs;
    this.pollMs = pollMs;
    this.samples = [];
    this.running = undefined;
  }

  /** Creates the probe topic (1 queue) on the master; the slave gets it through its log and SlaveSynchronize. */
  async init() {
    await createTopic(this.master, PROBE_TOPIC, 1);
  }

  /** One probe message; returns its sample (also kept under `label`). */
  async probeOnce(label) {
    const t0 = performance.now();
    const sample = { label, at: Date.now() };
    try {
      const r = await sendOne(this.master, PROBE_TOPIC, QUEUE_ID, BODY);
      const t1 = performance.now();
      sample.sendRtMs = round2(t1 - t0);
      sample.code = r.code;
      if (!STORED_CODES.has(r.code) || r.queueOffset === undefined) {
        sample.error = `send: code ${r.code} ${r.remark ?? ''}`.trim();
      } else {
        for (;;) {
          const off = await maxOffset(this.slave, PROBE_TOPIC, QUEUE_ID, SEEN_TIMEOUT_MS);
          const t2 = performance.now();
          if (off > r.queueOffset) {
            sample.lagMs = round2(t2 - t1);
            break;
          }
          if (t2 - t1 > SEEN_TIMEOUT_MS) {
            sample.notSeen = true;
            break;
          }
          await sleep(this.pollMs);
        }
      }
    } catch (err) {
      sample.error = err.message;
    }
    this.samples.push(sample);
    return sample;
  }

  /** Probes every intervalMs (never two at once) under `label` (setLabel() moves it on) until stop(). */
  start(label) {
    if (this.running) throw new Error('probe already running');
    this.label = label;
    let stopped = false;
    const loop = (async () => {
      while (!stopped) {
        const started = performance.now();
        const s = await this.probeOnce(this.label);
        // A broken connection: back off instead of spinning on errors.
        const period = this.intervalMs * (0.5 + Math.random());
        const wait = s.error && !('code' in s) ? 1_000 : period - (performance.now() - started);
        if (wait > 0 && !stopped) await sleep(wait);
      }
    })();
    this.running = { stop: async () => { stopped = true; await loop; } };
  }

  setLabel(label) {
    this.label = label;
  }

  async stop() {
    const r = this.running;
    this.running = undefined;
    await r?.stop();
  }

  /**
   * Probes until one message is readable on the slave within `perTryMs` (the slave is attached and
   * caught up), or throws after timeoutMs. A 4.9.x slave reports its offset ~5 s after connecting, and
   * a SYNC_MASTER answers SLAVE_NOT_AVAILABLE until then.
   */
  async waitForSlave(timeoutMs, perTryMs = 2_000) {
    const deadline = Date.now() + timeoutMs;
    let last;
    while (Date.now() < deadline) {
      last = await this.probeOnce('attach');
      if (last.code === 0 && last.lagMs !== undefined && last.lagMs < perTryMs) return last;
      await sleep(500);
    }
    throw new Error(`slave never caught up within ${timeoutMs} ms; last probe ${JSON.stringify(last)}`);
  }

  summary(label) {
    const ss = this.samples.filter((s) => s.label === label);
    const lags = ss.filter((s) => s.lagMs !== undefined).map((s) => s.lagMs).sort((a, b) => a - b);
    const rts = ss.filter((s) => s.sendRtMs !== undefined).map((s) => s.sendRtMs).sort((a, b) => a - b);
    const codes = {};
    for (const s of ss) if (s.code !== undefined && s.code !== 0) codes[RESPONSE_NAMES[s.code] ?? `code ${s.code}`] = (codes[RESPONSE_NAMES[s.code] ?? `code ${s.code}`] ?? 0) + 1;
    const errors = [...new Set(ss.filter((s) => s.error && s.code === undefined).map((s) => s.error))].slice(0, 5);
    return {
      probes: ss.length,
      seen: lags.length,
      notSeen: ss.filter((s) => s.notSeen).length,
      lagP50Ms: pct(lags, 0.5),
      lagP90Ms: pct(lags, 0.9),
      lagP99Ms: pct(lags, 0.99),
      lagMaxMs: lags.length ? lags[lags.length - 1] : undefined,
      lagMeanMs: lags.length ? round2(lags.reduce((a, b) => a + b, 0) / lags.length) : undefined,
      probeSendRtP50Ms: pct(rts, 0.5),
      probeSendRtP99Ms: pct(rts, 0.99),
      nonSuccessCodes: codes,
      errors,
      histogramMs: histogram(lags),
      // The slow ones, in probe order: [ms since this label's first probe, lag ms (null: not seen), send RT ms].
      spikes: ss.filter((x) => x.notSeen || x.lagMs > SPIKE_MS).slice(0, SPIKES_KEPT_MAX).map((x) => [x.at - ss[0].at, x.lagMs ?? null, x.sendRtMs ?? null]),
    };
  }

  close() {
    this.master.close();
    this.slave.close();
  }
}

/** Probes slower than this are listed one by one in a summary (to line up with the servers' logs). */
const SPIKE_MS = 10;
const SPIKES_KEPT_MAX = 50;
const BUCKETS_MS = [1, 2, 5, 10, 20, 50, 100, 200];

/** Lag counts per bucket: "<1", "1-2", ..., ">=200" (ms). */
export function histogram(lags) {
  const out = {};
  const names = [`<${BUCKETS_MS[0]}`, ...BUCKETS_MS.slice(1).map((b, i) => `${BUCKETS_MS[i]}-${b}`), `>=${BUCKETS_MS[BUCKETS_MS.length - 1]}`];
  for (const n of names) out[n] = 0;
  for (const l of lags) {
    const i = BUCKETS_MS.findIndex((b) => l < b);
    out[names[i < 0 ? names.length - 1 : i]]++;
  }
  return out;
}

/** Nearest-rank percentile of sorted xs. */
const pct = (xs, p) => (xs.length ? xs[Math.min(xs.length - 1, Math.ceil(p * xs.length) - 1)] : undefined);
const round2 = (x) => Math.round(x * 100) / 100;
