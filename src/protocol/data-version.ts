/** DataVersion (common/DataVersion.java): lets the NameServer skip a registration whose topics did not change. */
export interface DataVersion {
  counter: number;
  timestamp: number;
}

/** DataVersion#nextVersion: counter + 1, timestamp = now. */
export function nextVersion(dv: DataVersion): void {
  dv.timestamp = Date.now();
  dv.counter++;
}

export function newDataVersion(): DataVersion {
  return { counter: 0, timestamp: Date.now() };
}

/** DataVersion#equals (4.9.8: timestamp and counter): a slave replaces its table only when this is false. */
export function sameDataVersion(a: DataVersion, b: DataVersion): boolean {
  return a.timestamp === b.timestamp && a.counter === b.counter;
}

/**
 * A DataVersion read from a fastjson body (numbers may arrive as bigint past 2^53; 5.x adds a
 * `stateVersion` we do not keep). Undefined when the body has none.
 */
export function readDataVersion(v: unknown): DataVersion | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const o = v as Record<string, unknown>;
  const counter = Number(o.counter);
  const timestamp = Number(o.timestamp);
  if (!Number.isFinite(counter) || !Number.isFinite(timestamp)) return undefined;
  return { counter, timestamp };
}
