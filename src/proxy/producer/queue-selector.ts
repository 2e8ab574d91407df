/**
 * Which queue a gRPC send goes to. The SDK names a queue, but the Apache proxy chooses again
 * (SendMessageActivity.SendMessageQueueSelector): a single message with a message group goes to the
 * write queue Guava's Hashing.consistentHash(group.hashCode(), queues) picks, so one group stays on
 * one queue (FIFO) and the same group lands where the Apache proxy would put it; anything else goes
 * round-robin over the writable queues (selectOneByPipeline), skipping a broker that just failed.
 */
import { javaStringHash } from '../../codec/message-properties.js';
import { isWriteable } from '../../protocol/perm-name.js';
import { MASTER_ID, type TopicRoute } from '../topic-routes.js';

export interface WriteQueue {
  brokerName: string;
  brokerAddr: string;
  queueId: number;
}

/** Writable queues of brokers with a master, in route order (brokers sorted by name). */
export function writeQueues(route: TopicRoute): WriteQueue[] {
  const out: WriteQueue[] = [];
  for (const q of route.queueDatas) {
    if (!isWriteable(q.perm)) continue;
    const addr = route.brokerDatas.find((b) => b.brokerName === q.brokerName)?.brokerAddrs.get(MASTER_ID);
    if (!addr) continue;
    for (let i = 0; i < q.writeQueueNums; i++) out.push({ brokerName: q.brokerName, brokerAddr: addr, queueId: i });
  }
  return out;
}

const LCG_MULTIPLIER = 2862933555777941757n;
const MASK64 = (1n << 64n) - 1n;

/** Guava Hashing.consistentHash(long input, int buckets), LinearCongruentialGenerator and all. */
export function consistentHash(input: number, buckets: number): number {
  let state = BigInt.asUintN(64, BigInt(input));
  let candidate = 0;
  for (;;) {
    state = (LCG_MULTIPLIER * state + 1n) & MASK64;
    // (int) (state >>> 33) + 1, as a double over 2^31.
    const next = Math.trunc((candidate + 1) / ((Number(BigInt.asIntN(32, state >> 33n)) + 1) / 2 ** 31));
    if (next >= 0 && next < buckets) candidate = next;
    else return candidate;
  }
}

/** How long a broker that failed a send is passed over by round-robin. */
const FAULT_AVOID_MS = 30_000;

export class QueueSelector {
  private readonly counters = new Map<string, number>();
  private readonly faults = new Map<string, number>();

  select(topic: string, queues: WriteQueue[], messageGroup: string | undefined): WriteQueue | undefined {
    if (queues.length === 0) return undefined;
    if (messageGroup) return queues[consistentHash(javaStringHash(messageGroup), queues.length)];
    const start = (this.counters.get(topic) ?? Math.floor(Math.random() * queues.length)) + 1;
    this.counters.set(topic, start % 1_000_000_000);
    const now = Date.now();
    for (let i = 0; i < queues.length; i++) {
      const q = queues[(start + i) % queues.length];
      const until = this.faults.get(q.brokerName);
      if (until === undefined || until < now) return q;
    }
    return queues[start % queues.length];
  }

  /** A send to `brokerName` failed: pass it over for a while (TopicRouteService#updateFaultItem). */
  fault(brokerName: string): void {
    this.faults.set(brokerName, Date.now() + FAULT_AVOID_MS);
  }

  ok(brokerName: string): void {
    this.faults.delete(brokerName);
  }
}
