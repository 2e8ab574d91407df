/** DataVersion (common/DataVersion.java): lets the NameServer skip a registration whose topics did not change. */
export interface DataVersion {
  counter: number;
  timestamp: number;
  /**
   * 5.x: the controller's master epoch a broker stamped in at its last role change (0 after any other
   * change). A NameServer keeps the id-0 address whose registration carried the higher one
   * (RouteInfoManager#registerBroker). Absent on a broker that never changed role, and then not written.
   */
  stateVersion?: number;
}

/** DataVersion#nextVersion(stateVersion): counter + 1, timestamp = now, stateVersion = the epoch given or 0. */
export function nextVersion(dv: DataVersion, stateVersion?: number): void {
  dv.timestamp = Date.now();
  dv.counter++;
  if (stateVersion !== undefined) dv.stateVersion = stateVersion;
  else if (dv.stateVersion !== undefined) dv.stateVersion = 0;
}

export function newDataVersion(): DataVersion {
  return { counter: 0, timestamp: Date.now() };
}

/** DataVersion#equals (4.9.8: timestamp and counter): a slave replaces its table only when this is false. */
export function sameDataVersion(a: DataVersion, b: DataVersion): boolean {
  return a.timestamp === b.timestamp && a.counter === b.counter;
}

/**
 * A DataVersion read from a fastjson body (numbers may arrive as bigint past 2^53; 5.x's `stateVersion`
 * kept when present). Undefined when the body has none.
 */
export function readDataVersion(v: unknown): DataVersion | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const o = v as Record<string, unknown>;
  const counter = Number(o.counter);
  const timestamp = Number(o.timestamp);
  if (!Number.isFinite(counter) || !Number.isFinite(timestamp)) return undefined;
  const stateVersion = Number(o.stateVersion);
  return Number.isFinite(stateVersion) && o.stateVersion !== undefined ? { counter, timestamp, stateVersion } : { counter, timestamp };
}
