/**
 * The console's own history for the charts: every consoleSampleIntervalMills it asks the brokers for
 * their TPS (GET_BROKER_RUNTIME_INFO) and each group for its lag and consume TPS (GET_CONSUME_STATS), and
 * keeps one hour of points in memory. Nothing is written to disk: a restarted console starts a new hour.
 */
import type { ConsoleQueries } from './console-queries.js';
import { log } from '../logger.js';

/** How far back the charts reach (the issue asks for the last hour). */
export const HISTORY_MS = 60 * 60 * 1000;
/** Series kept at most (brokers + groups): a cluster with more groups charts the first ones by name. */
export const SERIES_MAX = 200;

/** [time ms, value, value]: broker put/get TPS, or group lag/consume TPS. */
export type Point = [number, number, number];

export interface History {
  intervalMs: number;
  brokers: Record<string, Point[]>;
  groups: Record<string, Point[]>;
}

export class Sampler {
  private readonly brokers = new Map<string, Point[]>();
  private readonly groups = new Map<string, Point[]>();
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  constructor(
    private readonly queries: ConsoleQueries,
    readonly intervalMs: number,
  ) {}

  start(): void {
    void this.sampleNow();
    this.timer = setInterval(() => void this.sampleNow(), this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** One sample; overlapping calls share the one in progress (a slow broker never stacks them up). */
  sampleNow(): Promise<void> {
    this.running ??= this.sample().finally(() => (this.running = undefined));
    return this.running;
  }

  private async sample(): Promise<void> {
    const now = Date.now();
    try {
      const [brokers, groups] = await Promise.all([this.queries.brokers(), this.queries.groups(false)]);
      for (const b of brokers) if (!b.error) this.push(this.brokers, `${b.brokerName}/${b.brokerId} ${b.addr}`, [now, b.putTps, b.getTps]);
      for (const g of groups) this.push(this.groups, g.group, [now, g.lag, g.consumeTps]);
    } catch (e) {
      log.warn(`console: sample failed: ${(e as Error).message}`);
    }
    this.trim(now);
  }

  private push(table: Map<string, Point[]>, name: string, p: Point): void {
    let series = table.get(name);
    if (!series) {
      if (this.brokers.size + this.groups.size >= SERIES_MAX) return;
      table.set(name, (series = []));
    }
    series.push(p);
  }

  private trim(now: number): void {
    for (const table of [this.brokers, this.groups]) {
      for (const [name, series] of table) {
        const keep = series.findIndex((p) => p[0] >= now - HISTORY_MS);
        if (keep === -1) table.delete(name);
        else if (keep > 0) series.splice(0, keep);
      }
    }
  }

  history(): History {
    return { intervalMs: this.intervalMs, brokers: Object.fromEntries(this.brokers), groups: Object.fromEntries(this.groups) };
  }
}
