/**
 * One counter of the broker's stats table (common/stats/StatsItem.java): a running value and
 * call count, sampled into three windows. The admin tools read them through
 * VIEW_BROKER_STATS_DATA (statsAll) and GET_CONSUME_STATS (the group's consume TPS).
 *
 * Window semantics follow the Java class so the figures match: the minute window holds up to 7
 * samples taken every 10 s, the hour window up to 7 taken every 10 min, the day window up to 25
 * taken every hour; the first sample of each window is seeded with a zero one window-step earlier.
 */

/** Samples kept per window (StatsItem#samplingInSeconds/InMinutes/InHour). */
const MINUTE_SAMPLES_MAX = 7;
const HOUR_SAMPLES_MAX = 7;
const DAY_SAMPLES_MAX = 25;
export const MINUTE_SAMPLE_MS = 10_000;
export const HOUR_SAMPLE_MS = 10 * 60_000;
export const DAY_SAMPLE_MS = 60 * 60_000;

interface CallSnapshot {
  timestampMs: number;
  times: number;
  value: number;
}

/** StatsSnapshot: sum over the window, per-second rate, average value per call. */
export interface StatsSnapshot {
  sum: number;
  tps: number;
  avgpt: number;
}

export class StatsItem {
  value = 0;
  times = 0;
  private readonly minute: CallSnapshot[] = [];
  private readonly hour: CallSnapshot[] = [];
  private readonly day: CallSnapshot[] = [];

  add(value: number, times: number): void {
    this.value += value;
    this.times += times;
  }

  sampleMinute(nowMs: number): void {
    this.sample(this.minute, nowMs, MINUTE_SAMPLE_MS, MINUTE_SAMPLES_MAX);
  }

  sampleHour(nowMs: number): void {
    this.sample(this.hour, nowMs, HOUR_SAMPLE_MS, HOUR_SAMPLES_MAX);
  }

  sampleDay(nowMs: number): void {
    this.sample(this.day, nowMs, DAY_SAMPLE_MS, DAY_SAMPLES_MAX);
  }

  inMinute(): StatsSnapshot {
    return snapshot(this.minute);
  }

  inHour(): StatsSnapshot {
    return snapshot(this.hour);
  }

  inDay(): StatsSnapshot {
    return snapshot(this.day);
  }

  private sample(list: CallSnapshot[], nowMs: number, stepMs: number, max: number): void {
    if (list.length === 0) list.push({ timestampMs: nowMs - stepMs, times: 0, value: 0 });
    list.push({ timestampMs: nowMs, times: this.times, value: this.value });
    if (list.length > max) list.shift();
  }
}

/** StatsItem#computeStatsData: first and last sample of the window. */
function snapshot(list: CallSnapshot[]): StatsSnapshot {
  if (list.length === 0) return { sum: 0, tps: 0, avgpt: 0 };
  const first = list[0];
  const last = list[list.length - 1];
  const sum = last.value - first.value;
  const dtMs = last.timestampMs - first.timestampMs;
  const tps = dtMs > 0 ? (sum * 1000) / dtMs : 0;
  const times = last.times - first.times;
  return { sum, tps, avgpt: times > 0 ? sum / times : 0 };
}

/**
 * Named sets of stats items (BrokerStatsManager): statsName → statsKey → item. Items are created on
 * first use and sampled by the owner's timers. The number of keys per set is bounded so a client
 * inventing topics cannot grow it without limit.
 */
export class StatsItemSet {
  readonly items = new Map<string, StatsItem>();

  constructor(
    readonly statsName: string,
    private readonly keysMax: number,
  ) {}

  add(key: string, value: number, times: number): void {
    let item = this.items.get(key);
    if (!item) {
      if (this.items.size >= this.keysMax) return;
      item = new StatsItem();
      // Seed the minute window at creation, as StatsItem#init schedules the first sampling at once.
      item.sampleMinute(Date.now());
      this.items.set(key, item);
    }
    item.add(value, times);
  }

  get(key: string): StatsItem | undefined {
    return this.items.get(key);
  }

  delete(predicate: (key: string) => boolean): void {
    for (const k of [...this.items.keys()]) if (predicate(k)) this.items.delete(k);
  }
}
