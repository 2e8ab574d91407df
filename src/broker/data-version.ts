import type { DataVersion } from '../namesrv/route-info-manager.js';

/** DataVersion#nextVersion: counter + 1, timestamp = now. */
export function nextVersion(dv: DataVersion): void {
  dv.timestamp = Date.now();
  dv.counter++;
}

export function newDataVersion(): DataVersion {
  return { counter: 0, timestamp: Date.now() };
}
