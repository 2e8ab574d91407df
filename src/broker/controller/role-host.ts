/**
 * What the controller client (replicas-manager.ts) asks of the broker around it when the controller
 * changes this broker's role: the store's side is AutoSwitchHa (src/store/ha/autoswitch/types.ts); this is
 * the rest of the broker (ReplicasManager#changeToMaster / #changeToSlave in the Java broker: brokerRole and
 * brokerId in the config, the master-only services, the slave's metadata sync, and a registration with every
 * NameServer at once so clients see the new master through the routes).
 */
export interface RoleChange {
  /** A controller-elected master is SYNC_MASTER, as in the Java broker. */
  role: 'SYNC_MASTER' | 'SLAVE';
  /** 0 as master; the controller-assigned id as slave. */
  brokerId: number;
  /** Slave: the master's remoting address (metadata sync); the HA address comes from the NameServer's answer. */
  masterAddr?: string;
  /**
   * The controller's master epoch of this change. The Java broker stamps it into the topic config's
   * DataVersion (nextVersion(epoch)) before registering with every NameServer, whose RouteInfoManager
   * compares that stateVersion. A change with the same role and a new epoch comes again (the master did
   * not change): the broker then only bumps the version and re-registers.
   */
  epoch?: number;
}

export interface RoleHost {
  applyRole(change: RoleChange): Promise<void>;
}
