/**
 * What POP consumption must remember: per group/topic/queue the next offset to pop, and the
 * checkpoints (ck) of messages popped and not yet acked, each with its invisible-time deadline.
 * Changes arrive as records (`PopRecord`); the live broker and the replay after a restart apply the
 * same records in the same order through `apply`, so the two cannot disagree.
 */

/** A checkpoint: one pop of one queue (PopCheckPoint: so, pt, it, q, t, c, d as `offsets`). */
export interface CheckPoint {
  group: string;
  /** The topic popped: the real topic, or the group's POP retry topic. */
  topic: string;
  queueId: number;
  /** The queue's pop offset when popped: the ckQueueOffset of every message's extraInfo. */
  startOffset: number;
  /** Queue offsets delivered, ascending. */
  offsets: number[];
  popTime: number;
  invisibleTime: number;
  reviveQid: number;
  /** Orderly pop: the queue stays locked to this ck until every offset is acked. */
  order: boolean;
  /** How many times these offsets were delivered orderly (orderCountInfo); 0 for the first. */
  attempt: number;
}

export type PopRecord =
  /** A pop: the checkpoint, and the queue's next pop offset after it. */
  | { k: 'ck'; ck: CheckPoint; next: number }
  /** The queue's pop offset moved without a checkpoint (first pop, filtered-out messages). */
  | { k: 'off'; g: string; t: string; q: number; o: number }
  /** Offset `o` of checkpoint `key` acked. */
  | { k: 'ack'; key: string; o: number }
  /** Checkpoint `key` dropped: every offset acked, or the un-acked ones re-put for re-delivery. */
  | { k: 'done'; key: string };

export const queueKey = (group: string, topic: string, queueId: number): string => `${group}@${topic}@${queueId}`;
/** A checkpoint's identity, from what every ACK's extraInfo carries (group, real topic, queue, ckQueueOffset, popTime). */
export const ckKey = (group: string, topic: string, queueId: number, startOffset: number, popTime: number): string =>
  `${group}@${topic}@${queueId}@${startOffset}@${popTime}`;
export const keyOf = (ck: CheckPoint): string => ckKey(ck.group, ck.topic, ck.queueId, ck.startOffset, ck.popTime);

export interface LiveCheckPoint extends CheckPoint {
  acked: Set<number>;
}

export class PopState {
  /** queueKey → next offset to pop. */
  readonly offsets = new Map<string, number>();
  /** ckKey → checkpoint with its acked offsets. */
  readonly cks = new Map<string, LiveCheckPoint>();
  /** queueKey → ckKeys of that queue (in-flight count, orderly lock). */
  private readonly byQueue = new Map<string, Set<string>>();

  apply(r: PopRecord): void {
    switch (r.k) {
      case 'ck': {
        const key = keyOf(r.ck);
        const qk = queueKey(r.ck.group, r.ck.topic, r.ck.queueId);
        this.cks.set(key, { ...r.ck, acked: new Set() });
        let set = this.byQueue.get(qk);
        if (!set) this.byQueue.set(qk, (set = new Set()));
        set.add(key);
        if (r.next > (this.offsets.get(qk) ?? -1)) this.offsets.set(qk, r.next);
        return;
      }
      case 'off':
        this.offsets.set(queueKey(r.g, r.t, r.q), r.o);
        return;
      case 'ack': {
        const ck = this.cks.get(r.key);
        if (!ck) return;
        ck.acked.add(r.o);
        if (ck.offsets.every((o) => ck.acked.has(o))) this.drop(r.key, ck);
        return;
      }
      case 'done': {
        const ck = this.cks.get(r.key);
        if (ck) this.drop(r.key, ck);
        return;
      }
    }
  }

  private drop(key: string, ck: CheckPoint): void {
    this.cks.delete(key);
    const qk = queueKey(ck.group, ck.topic, ck.queueId);
    const set = this.byQueue.get(qk);
    set?.delete(key);
    if (set?.size === 0) this.byQueue.delete(qk);
  }

  /** The checkpoints of one queue. */
  queueCks(group: string, topic: string, queueId: number): LiveCheckPoint[] {
    const set = this.byQueue.get(queueKey(group, topic, queueId));
    return set ? [...set].map((k) => this.cks.get(k)!).filter(Boolean) : [];
  }

  /** Messages popped and not acked on one queue (PopInflightMessageCounter). */
  inflight(group: string, topic: string, queueId: number): number {
    let n = 0;
    for (const ck of this.queueCks(group, topic, queueId)) n += ck.offsets.length - ck.acked.size;
    return n;
  }

  /** Records that rebuild this state from nothing (the snapshot). */
  toRecords(): PopRecord[] {
    const out: PopRecord[] = [];
    for (const [qk, o] of this.offsets) {
      const i = qk.lastIndexOf('@');
      const j = qk.indexOf('@');
      out.push({ k: 'off', g: qk.slice(0, j), t: qk.slice(j + 1, i), q: Number(qk.slice(i + 1)), o });
    }
    for (const [key, ck] of this.cks) {
      const { acked, ...plain } = ck;
      out.push({ k: 'ck', ck: plain, next: -1 });
      for (const o of acked) out.push({ k: 'ack', key, o });
    }
    return out;
  }
}
