/**
 * The store's ConsumeQueues by topic and queue id, with the next queue offset each hands out
 * (DefaultMessageStore#consumeQueueTable and CommitLog#topicQueueTable in one): each queue lives in
 * consumequeue/<topic>/<queueId>/ under the store root.
 */
import path from 'node:path';
import { log } from '../logger.js';
import { ConsumeQueue } from './consume-queue.js';
import type { StoreFiles } from './store-files.js';

export interface QueueState {
  cq: ConsumeQueue;
  /** Next queue offset to assign (topicQueueTable): ahead of cq.maxOffset while a tick is pending. */
  next: number;
}

export class QueueTable {
  private readonly queues = new Map<string, Map<number, QueueState>>();
  private readonly root: string;

  constructor(rootDir: string, private readonly segmentBytes: number, private readonly files: StoreFiles) {
    this.root = path.join(rootDir, 'consumequeue');
  }

  /** A queue's state; with `create`, a missing queue is made (its files appear with its first unit). */
  get(topic: string, queueId: number, create: boolean): QueueState | undefined {
    let byId = this.queues.get(topic);
    let q = byId?.get(queueId);
    if (q || !create) return q;
    if (!byId) {
      byId = new Map();
      this.queues.set(topic, byId);
    }
    const cq = new ConsumeQueue(topic, queueId, path.join(this.root, topic, String(queueId)), this.segmentBytes, this.files);
    q = { cq, next: 0 };
    byId.set(queueId, q);
    return q;
  }

  *all(): Iterable<QueueState> {
    for (const byId of this.queues.values()) yield* byId.values();
  }

  count(): number {
    let n = 0;
    for (const byId of this.queues.values()) n += byId.size;
    return n;
  }

  /**
   * The topic names a directory under consumequeue/: it must not climb out of it. (The broker applies
   * TopicValidator's stricter rules; this is the store's own guard.) Known topics are cached.
   */
  isSafeTopic(topic: string): boolean {
    if (this.queues.has(topic)) return true;
    return topic !== '.' && topic !== '..' && !/[/\\\0]/.test(topic);
  }

  /** Opens every queue found on disk; returns those whose tail was invalid and cut. */
  load(logEnd: number): QueueState[] {
    const damaged: QueueState[] = [];
    for (const topic of this.files.list(this.root)) {
      for (const id of this.files.list(path.join(this.root, topic))) {
        const queueId = Number(id);
        if (!Number.isInteger(queueId) || String(queueId) !== id) continue;
        const q = this.get(topic, queueId, true)!;
        if (q.cq.load(logEnd)) damaged.push(q);
        q.next = q.cq.maxOffset;
      }
    }
    return damaged;
  }

  /** DELETE_TOPIC_IN_BROKER: removes the topics' queues and their directories. */
  deleteTopics(topics: Iterable<string>): void {
    for (const topic of topics) {
      // Only ever a direct child of consumequeue/: a blank name would resolve to the root itself.
      const dir = path.join(this.root, topic);
      if (!this.isSafeTopic(topic) || path.dirname(dir) !== this.root) continue;
      const qs = this.queues.get(topic);
      if (qs) for (const q of qs.values()) q.cq.destroy();
      this.queues.delete(topic);
      this.files.removeTree(dir);
      log.info(`store: deleted consume queues of topic ${topic}`);
    }
  }

  close(): void {
    for (const q of this.all()) q.cq.close();
  }
}
