import { LIMITS, limitDefaults } from '../config/limits.js';

/** The bounds the remoting layer enforces per connection and over the process (meanings in config/limits.ts). */
export interface RemotingLimits {
  frameMaxLength: number;
  remotingHeaderMaxBytes: number;
  remotingHeaderMaxFields: number;
  frameReadTimeoutMills: number;
  pendingFrameBytesTotalMax: number;
  writeBufferHighWaterMark: number;
  writeBufferMaxBytes: number;
  writeBufferTotalMaxBytes: number;
}

const KEYS = [
  'frameMaxLength', 'remotingHeaderMaxBytes', 'remotingHeaderMaxFields', 'frameReadTimeoutMills',
  'pendingFrameBytesTotalMax', 'writeBufferHighWaterMark', 'writeBufferMaxBytes', 'writeBufferTotalMaxBytes',
] as const satisfies ReadonlyArray<keyof RemotingLimits & keyof typeof LIMITS>;

export const REMOTING_LIMIT_DEFAULTS: Readonly<RemotingLimits> = Object.freeze(limitDefaults(KEYS));

/**
 * The remoting keys of `source` over the defaults. `source` may be a whole broker or namesrv config: only
 * these keys are read, once, so a server's connections all work to the bounds it was started with.
 */
export function remotingLimits(source: Partial<RemotingLimits> = {}): Readonly<RemotingLimits> {
  const out = { ...REMOTING_LIMIT_DEFAULTS };
  for (const k of KEYS) {
    const v = source[k];
    if (typeof v === 'number' && Number.isFinite(v)) out[k] = v;
  }
  return Object.freeze(out);
}

/**
 * Process-wide totals, shared by every server in the process (a standalone broker and namesrv too),
 * since the memory they bound is the process's. Each connection adds and removes its own share as it
 * changes (a delta), so reading or updating a total never walks the connections.
 */
export const remotingTotals = {
  /** Reply bytes handed to sockets and not yet taken by the kernel. */
  writeBufferBytes: 0,
  /** Connections whose reading is stopped because their peer does not read its replies. */
  pausedConnections: 0,
  /** Bytes allocated for frames that have started to arrive and are not whole yet. */
  pendingFrameBytes: 0,
};

export interface RemotingMemoryStats {
  writeBufferBytes: number;
  pausedConnections: number;
  pendingFrameBytes: number;
}

/** A snapshot of the totals (for brokerStatus and tests). */
export function remotingMemoryStats(): RemotingMemoryStats {
  return { ...remotingTotals };
}
