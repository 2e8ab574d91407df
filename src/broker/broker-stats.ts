/** Counters the admin tools read (BrokerStatsManager): puts and gets, totals and per-minute rates. */
export class BrokerStats {
  putTotal = 0;
  getTotal = 0;
  readonly topicPut = new Map<string, number>();
  readonly groupGet = new Map<string, number>();
  private putSamples: Array<[number, number]> = [];
  private getSamples: Array<[number, number]> = [];
  private timer?: NodeJS.Timeout;
  readonly bootTimestamp = Date.now();

  start(): void {
    this.sample();
    this.timer = setInterval(() => this.sample(), 1000);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  incPut(topic: string, n: number): void {
    this.putTotal += n;
    this.topicPut.set(topic, (this.topicPut.get(topic) ?? 0) + n);
  }

  incGet(group: string, topic: string, n: number): void {
    this.getTotal += n;
    const k = `${topic}@${group}`;
    this.groupGet.set(k, (this.groupGet.get(k) ?? 0) + n);
  }

  private sample(): void {
    const now = Date.now();
    this.putSamples.push([now, this.putTotal]);
    this.getSamples.push([now, this.getTotal]);
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
}

function rate(samples: Array<[number, number]>, windowSec: number): number {
  if (samples.length < 2) return 0;
  const last = samples[samples.length - 1];
  const first = samples[Math.max(0, samples.length - 1 - windowSec)];
  const dt = (last[0] - first[0]) / 1000;
  return dt > 0 ? (last[1] - first[1]) / dt : 0;
}
