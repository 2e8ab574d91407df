import { type StatsItem, StatsItemSet, MINUTE_SAMPLE_MS, HOUR_SAMPLE_MS, DAY_SAMPLE_MS } from './stats-item.js';

/** Stats set names as BrokerStatsManager names them (VIEW_BROKER_STATS_DATA statsName). */
export const StatsName = {
  TOPIC_PUT_NUMS: 'TOPIC_PUT_NUMS',
  TOPIC_PUT_SIZE: 'TOPIC_PUT_SIZE',
  GROUP_GET_NUMS: 'GROUP_GET_NUMS',
  GROUP_GET_SIZE: 'GROUP_GET_SIZE',
} as const;

/** Keys per stats set: far above any real topic/group count, a bound against runaway clients. */
const STATS_KEYS_MAX = 100_000;

/** Counters the admin tools read (BrokerStatsManager): puts and gets, totals and per-minute rates. */
export class BrokerStats {
  putTotal = 0;
  getTotal = 0;
  putBytesTotal = 0;
  /** Totals at the last two local midnights (BrokerStats#record), for clusterList -m. */
  putTotalYesterdayMorning = 0;
  putTotalTodayMorning = 0;
  getTotalYesterdayMorning = 0;
  getTotalTodayMorning = 0;
  readonly sets = new Map<string, StatsItemSet>(
    Object.values(StatsName).map((n) => [n, new StatsItemSet(n, STATS_KEYS_MAX)]),
  );
  private readonly statsTimers: NodeJS.Timeout[] = [];
  readonly topicPut = new Map<string, number>();
  readonly groupGet = new Map<string, number>();
  private putSamples: Array<[number, number]> = [];
  private getSamples: Array<[number, number]> = [];
  /** Store reads (getMessage calls) that found messages / found none (StoreStatsService found/miss). */
  getFoundTimes = 0;
  getMissTimes = 0;
  /** Slowest single store read since boot, in ms (getMessageEntireTimeMax). */
  getMessageTimeMaxMs = 0;
  private foundSamples: Array<[number, number]> = [];
  private missSamples: Array<[number, number]> = [];
  private timer?: NodeJS.Timeout;
  readonly bootTimestamp = Date.now();

  start(): void {
    this.sample();
    this.timer = setInterval(() => this.sample(), 1000);
    this.timer.unref();
    const every = (ms: number, fn: (item: StatsItem, now: number) => void): void => {
      const t = setInterval(() => {
        const now = Date.now();
        for (const set of this.sets.values()) for (const item of set.items.values()) fn(item, now);
      }, ms);
      t.unref();
      this.statsTimers.push(t);
    };
    every(MINUTE_SAMPLE_MS, (i, now) => i.sampleMinute(now));
    every(HOUR_SAMPLE_MS, (i, now) => i.sampleHour(now));
    every(DAY_SAMPLE_MS, (i, now) => i.sampleDay(now));
    this.scheduleMorningRecord();
  }

  stop(): void {
    clearInterval(this.timer);
    for (const t of this.statsTimers.splice(0)) clearTimeout(t);
  }

  incPut(topic: string, n: number, bytes = 0): void {
    this.putTotal += n;
    this.putBytesTotal += bytes;
    this.topicPut.set(topic, (this.topicPut.get(topic) ?? 0) + n);
    this.sets.get(StatsName.TOPIC_PUT_NUMS)!.add(topic, n, 1);
    if (bytes > 0) this.sets.get(StatsName.TOPIC_PUT_SIZE)!.add(topic, bytes, 1);
  }

  incGet(group: string, topic: string, n: number, bytes = 0): void {
    this.getTotal += n;
    const k = `${topic}@${group}`;
    this.groupGet.set(k, (this.groupGet.get(k) ?? 0) + n);
    this.sets.get(StatsName.GROUP_GET_NUMS)!.add(k, n, 1);
    if (bytes > 0) this.sets.get(StatsName.GROUP_GET_SIZE)!.add(k, bytes, 1);
  }

  /** Next offset handed to the group by its last successful pull, per topic@group and queue (5.x pullOffset). */
  private readonly pullOffsets = new Map<string, Map<number, number>>();

  notePullOffset(group: string, topic: string, queueId: number, nextOffset: number): void {
    const k = `${topic}@${group}`;
    let m = this.pullOffsets.get(k);
    if (!m) this.pullOffsets.set(k, (m = new Map()));
    m.set(queueId, nextOffset);
  }

  /** -1 if the group never pulled messages from the queue since the broker started. */
  pullOffset(group: string, topic: string, queueId: number): number {
    return this.pullOffsets.get(`${topic}@${group}`)?.get(queueId) ?? -1;
  }

  /** BrokerStatsManager#tpsGroupGetNums: the group's pull rate on a topic over the last minute. */
  groupGetTps(group: string, topic: string): number {
    return this.sets.get(StatsName.GROUP_GET_NUMS)!.get(`${topic}@${group}`)?.inMinute().tps ?? 0;
  }

  /** Drop a deleted topic's or group's counters (BrokerStatsManager#onTopicDeleted / onGroupDeleted). */
  forget(topic?: string, group?: string): void {
    for (const k of [...this.pullOffsets.keys()]) {
      const at = k.lastIndexOf('@');
      if (k.slice(0, at) === topic || k.slice(at + 1) === group) this.pullOffsets.delete(k);
    }
    for (const set of this.sets.values()) {
      set.delete((k) => {
        const at = k.lastIndexOf('@');
        const t = at >= 0 ? k.slice(0, at) : k;
        const g = at >= 0 ? k.slice(at + 1) : undefined;
        return (topic !== undefined && t === topic) || (group !== undefined && g === group);
      });
    }
  }

  /** BrokerStats#record at every local midnight: shift the morning totals. */
  private scheduleMorningRecord(): void {
    const now = new Date();
    const nextMorning = new Date(now.getFullYear(), now.getMonth(), now.getDate() + 1).getTime();
    const t = setTimeout(() => {
      this.putTotalYesterdayMorning = this.putTotalTodayMorning;
      this.putTotalTodayMorning = this.putTotal;
      this.getTotalYesterdayMorning = this.getTotalTodayMorning;
      this.getTotalTodayMorning = this.getTotal;
      this.statsTimers.splice(this.statsTimers.indexOf(t), 1);
      this.scheduleMorningRecord();
    }, nextMorning - now.getTime());
    t.unref();
    this.statsTimers.push(t);
  }

  private sample(): void {
    const now = Date.now();
    this.putSamples.push([now, this.putTotal]);
    this.getSamples.push([now, this.getTotal]);
    this.foundSamples.push([now, this.getFoundTimes]);
    this.missSamples.push([now, this.getMissTimes]);
    if (this.foundSamples.length > 601) this.foundSamples.shift();
    if (this.missSamples.length > 601) this.missSamples.shift();
    // keep 10 minutes of one-second samples
    if (this.putSamples.length > 601) this.putSamples.shift();
    if (this.getSamples.length > 601) this.getSamples.shift();
  }

  /** Messages per second over the last `windowSec` seconds. */
  putTps(windowSec: number): number {
    return rate(this.putSamples, windowSec);
  }

  getTps(windowSec: number): number {
    return rate(this.getSamples, windowSec);
  }

  /** One store read by a pull: whether it found messages and how long it took. */
  noteGetMessage(found: boolean, elapsedMs: number): void {
    if (found) this.getFoundTimes++;
    else this.getMissTimes++;
    if (elapsedMs > this.getMessageTimeMaxMs) this.getMessageTimeMaxMs = elapsedMs;
  }

  getFoundTps(windowSec: number): number {
    return rate(this.foundSamples, windowSec);
  }

  getMissTps(windowSec: number): number {
    return rate(this.missSamples, windowSec);
  }
}

function rate(samples: Array<[number, number]>, windowSec: number): number {
  if (samples.length < 2) return 0;
  const last = samples[samples.length - 1];
  const first = samples[Math.max(0, samples.length - 1 - windowSec)];
  const dt = (last[0] - first[0]) / 1000;
  return dt > 0 ? (last[1] - first[1]) / dt : 0;
}
