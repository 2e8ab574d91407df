/** The timer's parked messages in delivery order (timer-message-service.ts). */
export interface TimerEntry {
  deliverMs: number;
  queueOffset: number;
  phyOffset: number;
}

/** Min-heap on (deliverMs, queueOffset). */
export class TimerHeap {
  private readonly a: TimerEntry[] = [];

  get size(): number {
    return this.a.length;
  }

  peek(): TimerEntry | undefined {
    return this.a[0];
  }

  entries(): readonly TimerEntry[] {
    return this.a;
  }

  push(e: TimerEntry): void {
    const a = this.a;
    a.push(e);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!less(a[i], a[p])) break;
      [a[i], a[p]] = [a[p], a[i]];
      i = p;
    }
  }

  pop(): TimerEntry | undefined {
    const a = this.a;
    if (a.length === 0) return undefined;
    const top = a[0];
    const last = a.pop()!;
    if (a.length > 0) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && less(a[l], a[m])) m = l;
        if (r < a.length && less(a[r], a[m])) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m], a[i]];
        i = m;
      }
    }
    return top;
  }
}

const less = (x: TimerEntry, y: TimerEntry): boolean => x.deliverMs < y.deliverMs || (x.deliverMs === y.deliverMs && x.queueOffset < y.queueOffset);
