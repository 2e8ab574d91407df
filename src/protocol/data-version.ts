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
