/**
 * Controller mode as the store sees it (RocketMQ 5.x AutoSwitchHAService): the broker's controller client
 * (src/broker/controller/) tells the store which role it has in which epoch, and the store replicates with
 * the AutoSwitchHA frames, keeps the epoch file and the in-sync replica set, and answers sends once the
 * replicas that must have a message have it. Broker ids here are the ids the controller assigned (>= 1).
 */

/** One line of the epoch file: `epoch` began at log offset `startOffset` (endOffset: where the next began, or the log end). */
export interface EpochEntry {
  epoch: number;
  startOffset: number;
  endOffset: number;
}

export interface AutoSwitchHa {
  /** The controller-assigned id of this broker (set once registration with the controller is done). */
  setLocalBrokerId(id: number): void;
  /**
   * Become the master of `epoch`: stop replicating from anyone, cut an unconfirmed tail, start a new epoch
   * at the log end, accept slaves. False when `epoch` is older than the last one here.
   */
  changeToMaster(epoch: number): Promise<boolean>;
  /** Already master, new epoch (the controller re-elected us): only a new epoch entry. */
  changeToMasterWhenLastRoleIsMaster(epoch: number): boolean;
  /**
   * Become a slave in `epoch` of the master `masterAddr` (its remoting address). The HA address comes later
   * from the NameServer's registration answer (updateHaMasterAddress), as in the Java broker.
   */
  changeToSlave(masterAddr: string, epoch: number, selfBrokerId: number): Promise<boolean>;
  /** Same master, new epoch. */
  changeToSlaveWhenMasterNotChange(masterAddr: string, epoch: number): boolean;
  updateHaMasterAddress(haAddr: string): void;
  /** The in-sync set the controller holds (applied on a master after ALTER_SYNC_STATE_SET or a role change). */
  setSyncStateSet(ids: Set<number>): void;
  getSyncStateSet(): Set<number>;
  /** A master saw a slave catch up (expand) or fall behind (shrink): the controller must be asked to change the set. */
  onSyncStateSetChanged(listener: (proposed: Set<number>) => void): void;
  /**
   * Master: the in-sync set without the slaves that have not caught up for haMaxTimeSlaveNotCatchup
   * (AutoSwitchHAService#maybeShrinkSyncStateSet); the controller client asks every checkSyncStateSetPeriod
   * and reports a difference. Optional: without it the client re-reports the last listener proposal.
   */
  maybeShrinkSyncStateSet?(): Set<number>;
  lastEpoch(): number;
  epochEntries(): EpochEntry[];
  /** Highest log offset every in-sync replica has (master), or the master's confirm offset as last heard (slave). */
  confirmOffset(): number;
  maxPhyOffset(): number;
}
