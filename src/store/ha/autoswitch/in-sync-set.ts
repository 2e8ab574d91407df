/**
 * A controller-mode master's in-sync replica set (AutoSwitchHAService 5.3.3): the set the controller last
 * applied (local), the set proposed to it and not yet answered (remote, while "synchronizing"), when each
 * slave last caught up, and the confirm offset they give. The master proposes: a slave that reached the
 * confirm offset inside the current epoch joins (maybeExpand), one that has not caught up for
 * haMaxTimeSlaveNotCatchup or lost its connection leaves (maybeShrink, onDisconnect); the controller
 * decides (ALTER_SYNC_STATE_SET), and setSyncStateSet applies its answer.
 */
import { log } from '../../../logger.js';

/** What the set needs to know about the master and its slaves. */
export interface InSyncView {
  maxOffset(): number;
  /** Start offset of this master's current (last) epoch; -1 without one. */
  lastEpochStart(): number;
  /** Connected slaves that completed a handshake: broker id and acknowledged offset. */
  slaves(): Iterable<{ slaveId: number; slaveAckOffset: number }>;
  readonly allAckInSyncStateSet: boolean;
  readonly haMaxTimeSlaveNotCatchupMs: number;
}

export class InSyncSet {
  /** The set the controller applied, master included. */
  private local = new Set<number>();
  /** The set proposed to the controller while `synchronizing`. */
  private remote = new Set<number>();
  private synchronizing = false;
  private readonly caughtUpAt = new Map<number, number>();
  private readonly listeners: Array<(proposed: Set<number>) => void> = [];
  /** CommitLog#confirmOffset as stored (-1: not computed yet). */
  private storedConfirm = -1;
  localBrokerId: number | undefined;

  constructor(private readonly view: InSyncView) {}

  onChanged(listener: (proposed: Set<number>) => void): void {
    this.listeners.push(listener);
  }

  /** The applied set, or its union with the proposed one while the controller has not answered. */
  get(): Set<number> {
    return this.synchronizing ? new Set([...this.local, ...this.remote]) : new Set(this.local);
  }

  getLocal(): Set<number> {
    return new Set(this.local);
  }

  /** The controller's answer (or a role change): no longer synchronizing; the confirm offset follows. */
  apply(ids: Set<number>): void {
    this.synchronizing = false;
    this.local = new Set(ids);
    this.storedConfirm = this.compute();
  }

  /** HAService#inSyncReplicasNums: replicas that count for minInSyncReplicas. */
  inSyncReplicasNums(): number {
    return this.synchronizing ? Math.max(this.local.size, this.remote.size) : this.local.size;
  }

  caughtUp(slaveId: number, atMs: number): void {
    this.caughtUpAt.set(slaveId, Math.max(this.caughtUpAt.get(slaveId) ?? 0, atMs));
  }

  /** A slave reported `offset` (AutoSwitchHAConnection#maybeExpandInSyncStateSet and updateConfirmOffsetWhenSlaveAck). */
  onAck(slaveId: number, offset: number, asyncLearner: boolean, lastMasterMaxOffset: number, lastTransferAtMs: number): void {
    if (!asyncLearner && offset >= lastMasterMaxOffset) {
      this.caughtUp(slaveId, this.view.maxOffset() === offset ? Date.now() : lastTransferAtMs);
      this.maybeExpand(slaveId, offset);
    }
    if (this.local.has(slaveId)) this.storedConfirm = this.compute();
  }

  private maybeExpand(slaveId: number, offset: number): void {
    if (this.local.has(slaveId)) return;
    const confirm = this.confirmOffset();
    // Caught up to what is confirmed, and inside this master's epoch (not only to an older master's end).
    if (offset < confirm || offset < this.view.lastEpochStart()) return;
    log.info(`ha: slave ${slaveId} caught up at ${offset} (confirm offset ${confirm}); proposing it for the in-sync set`);
    const proposed = this.getLocal();
    proposed.add(slaveId);
    this.propose(proposed);
  }

  /** AutoSwitchHAService#maybeShrinkSyncStateSet: the set without slaves not caught up for too long or never connected. */
  maybeShrink(): Set<number> {
    const next = this.getLocal();
    let changed = false;
    const now = Date.now();
    for (const [id, at] of this.caughtUpAt) {
      if (next.has(id) && now - at > this.view.haMaxTimeSlaveNotCatchupMs) {
        next.delete(id);
        changed = true;
      }
    }
    for (const id of [...next]) {
      if (id !== this.localBrokerId && !this.caughtUpAt.has(id)) {
        next.delete(id);
        changed = true;
      }
    }
    if (changed) this.mark(next);
    return next;
  }

  /** A slave's connection closed (AutoSwitchHAService#removeConnection): it leaves the set at once. */
  onDisconnect(slaveId: number): void {
    if (!this.local.has(slaveId)) return;
    const next = this.getLocal();
    next.delete(slaveId);
    this.propose(next);
  }

  private propose(next: Set<number>): void {
    this.mark(next);
    const copy = new Set(next);
    log.info(`ha: in-sync set change proposed: {${[...copy].join(',')}}`);
    // As Java's single-thread executor: listeners run after the current step, never inside it.
    setImmediate(() => {
      for (const l of this.listeners) {
        try {
          l(new Set(copy));
        } catch (e) {
          log.error(`ha: in-sync set listener failed: ${(e as Error).message}`);
        }
      }
    });
  }

  private mark(next: Set<number>): void {
    this.synchronizing = true;
    this.remote = new Set(next);
  }

  /**
   * CommitLog#getConfirmOffset on a master: the log end unless sends wait for the whole set and the set has
   * slaves; then the smallest acknowledged offset over the in-sync slaves. (No set applied yet counts as the
   * master alone: held ConsumeQueue units would otherwise wait for a value computed once and never again.)
   */
  confirmOffset(): number {
    if (this.local.size <= 1 || !this.view.allAckInSyncStateSet) return this.view.maxOffset();
    if (this.storedConfirm < 0) this.storedConfirm = this.compute();
    return this.storedConfirm;
  }

  /** AutoSwitchHAService#computeConfirmOffset. */
  compute(): number {
    const set = this.get();
    const connected = new Map<number, number>();
    for (const s of this.view.slaves()) connected.set(s.slaveId, Math.max(connected.get(s.slaveId) ?? -1, s.slaveAckOffset));
    // A member without a connection cannot be asked: keep the last value (apache/rocketmq#6662).
    for (const id of set) {
      if (!connected.has(id) && this.localBrokerId !== undefined && id !== this.localBrokerId) return this.storedConfirm;
    }
    let confirm = this.view.maxOffset();
    for (const [id, ack] of connected) if (set.has(id) && ack > 0) confirm = Math.min(confirm, ack);
    return confirm;
  }

  /**
   * changeToMaster: the confirm offset computed once for the new role. `from`: the confirm offset this broker
   * had as a slave, kept while an in-sync member is not connected (Java's CommitLog#confirmOffset is one value
   * across roles).
   */
  recompute(from?: number): void {
    if (from !== undefined) this.storedConfirm = from;
    this.storedConfirm = this.compute();
  }
}
