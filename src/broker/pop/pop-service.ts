import path from 'node:path';
import type { BrokerConfig } from '../../config/broker-config.js';
import type { RemotingCommand } from '../../remoting/command.js';
import type { Connection } from '../../remoting/connection.js';
import { log } from '../../logger.js';
import { PopJournal } from './pop-journal.js';
import { PopHold } from './pop-hold.js';
import { PopState, keyOf, type CheckPoint, type PopRecord } from './pop-state.js';
import { MessageRequestModeManager } from './message-request-mode-manager.js';
import { TopicRouteCache } from './topic-route-cache.js';

/**
 * POP consumption's state and background work, with the lifecycle of the broker's other services
 * (BrokerController's BrokerService): the journal is replayed at load, the revive timer runs from
 * start, `persist` compacts the journal, shutdown answers held pops and closes the journal.
 */
export class PopService {
  readonly name = 'pop';
  readonly state = new PopState();
  readonly modes: MessageRequestModeManager;
  readonly hold: PopHold;
  /** The topic's queues on every broker, for QUERY_ASSIGNMENT. */
  readonly routes: TopicRouteCache;
  private readonly journal: PopJournal;
  private timer?: NodeJS.Timeout;
  /** Checkpoints being re-put now (a revive round is asynchronous). */
  private readonly reviving = new Set<string>();
  /** Round-robin counter for reviveQid (PopMessageProcessor's ckMessageNumber). */
  private ckNumber = 0;

  constructor(
    private readonly config: BrokerConfig,
    /**
     * Re-puts a checkpoint's un-acked offsets (pop-revive.ts reviveCheckPoint, given by the broker so this
     * service, which the broker context holds, does not import the context back); true once stored.
     */
    private readonly reviveCheckPoint: (ck: CheckPoint, offsets: readonly number[]) => Promise<boolean>,
    wake: (conn: Connection, req: RemotingCommand) => void,
  ) {
    this.modes = new MessageRequestModeManager(config);
    this.routes = new TopicRouteCache(config);
    this.journal = new PopJournal(path.join(config.storePathRootDir, 'config'), () => config.flushDiskType === 'SYNC_FLUSH');
    this.hold = new PopHold(wake, () => ({ perKey: config.popPollingSize, total: config.maxPopPollingSize }));
  }

  load(): void {
    this.modes.load();
    for (const r of this.journal.load()) this.state.apply(r);
  }

  start(): void {
    // PopReviveService runs on a master only (BrokerController#changeSpecialServiceStatus); the role is read
    // each round because in controller mode it changes while the broker runs. A slave's puts would fail anyway.
    this.timer = setInterval(() => {
      if (this.config.brokerRole !== 'SLAVE') void this.revive();
    }, this.config.reviveInterval);
    this.timer.unref();
  }

  persist(): void {
    try {
      this.journal.compact(this.state.toRecords());
    } catch (e) {
      log.warn(`pop: journal compaction failed (records stay in the journal): ${(e as Error).message}`);
    }
  }

  async shutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.hold.releaseAll();
    this.routes.close();
    this.persist();
    this.journal.close();
    await this.modes.persist();
  }

  /** Applies a change and writes it to the journal before the caller answers (see pop-journal.ts). */
  record(r: PopRecord): void {
    this.journal.append(r);
    this.state.apply(r);
  }

  nextReviveQid(): number {
    return this.ckNumber++ % this.config.reviveQueueNum;
  }

  /** A message arrived on `topic`: long-polled pops waiting on it run again. */
  onArrival(topic: string): void {
    this.hold.notify(topic);
  }

  /**
   * PopReviveService's job: every checkpoint (but orderly ones, which their next pop re-delivers)
   * whose invisible time has passed has its un-acked messages re-put to the POP retry topic (or the
   * DLQ), then is dropped. A failed put leaves the checkpoint for the next round: a message may then
   * be re-delivered twice, never lost.
   */
  async revive(now = Date.now()): Promise<number> {
    let revived = 0;
    const due: CheckPoint[] = [];
    for (const ck of this.state.cks.values()) {
      if (!ck.order && ck.popTime + ck.invisibleTime <= now && !this.reviving.has(keyOf(ck))) due.push(ck);
    }
    for (const ck of due) {
      const key = keyOf(ck);
      const live = this.state.cks.get(key);
      if (!live) continue;
      this.reviving.add(key);
      try {
        const pending = live.offsets.filter((o) => !live.acked.has(o));
        if (await this.reviveCheckPoint(live, pending)) {
          if (this.state.cks.has(key)) this.record({ k: 'done', key });
          revived += pending.length;
        }
      } catch (e) {
        log.warn(`pop: revive of ${key} failed, retried next round: ${(e as Error).message}`);
      } finally {
        this.reviving.delete(key);
      }
    }
    return revived;
  }
}
