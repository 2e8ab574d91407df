/** RebalanceLockManager.REBALANCE_LOCK_MAX_LIVE_TIME: a queue lock not renewed within this is free again. */
export const REBALANCE_LOCK_MAX_LIVE_MS = Number(process.env.ROCKETMQ_TS_REBALANCE_LOCK_MAX_LIVE_MS ?? 60_000);

export interface MessageQueueKey {
  topic: string;
  brokerName: string;
  queueId: number;
}

interface LockEntry {
  clientId: string;
  lastUpdateMs: number;
}

const mqKey = (mq: MessageQueueKey): string => `${mq.topic}\u0001${mq.brokerName}\u0001${mq.queueId}`;

/** Which client of a group holds each queue, for orderly consumption (broker/client/rebalance/RebalanceLockManager.java). */
export class RebalanceLockManager {
  private readonly table = new Map<string, Map<string, LockEntry>>();

  /** Returns the queues now locked by clientId (newly or renewed). */
  tryLockBatch(group: string, mqs: MessageQueueKey[], clientId: string, nowMs = Date.now()): MessageQueueKey[] {
    let g = this.table.get(group);
    if (!g) this.table.set(group, (g = new Map()));
    const locked: MessageQueueKey[] = [];
    for (const mq of mqs) {
      const k = mqKey(mq);
      const e = g.get(k);
      if (!e || e.clientId === clientId || nowMs - e.lastUpdateMs > REBALANCE_LOCK_MAX_LIVE_MS) {
        g.set(k, { clientId, lastUpdateMs: nowMs });
        locked.push(mq);
      }
    }
    return locked;
  }

  /** RebalanceLockManager#isLocked: held by clientId and not expired; renews the lease when so. */
  isLocked(group: string, mq: MessageQueueKey, clientId: string, nowMs = Date.now()): boolean {
    const e = this.table.get(group)?.get(mqKey(mq));
    if (!e || e.clientId !== clientId || nowMs - e.lastUpdateMs > REBALANCE_LOCK_MAX_LIVE_MS) return false;
    e.lastUpdateMs = nowMs;
    return true;
  }

  unlockBatch(group: string, mqs: MessageQueueKey[], clientId: string): void {
    const g = this.table.get(group);
    if (!g) return;
    for (const mq of mqs) {
      const k = mqKey(mq);
      if (g.get(k)?.clientId === clientId) g.delete(k);
    }
  }
}
