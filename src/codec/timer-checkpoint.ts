/**
 * TimerCheckpoint#encode / #decode (rocketmq-store 5.x), the body of GET_TIMER_CHECK_POINT (60): seven
 * big-endian longs, lastReadTimeMs, lastTimerLogFlushPos, lastTimerQueueOffset, masterTimerQueueOffset,
 * then its DataVersion (stateVersion, timestamp, counter). Older brokers stop after the first four.
 */
export interface TimerCheckpointView {
  /** The timer slot (ms) below which every parked message has been delivered. */
  lastReadTimeMs: number;
  /** The timer-queue offset up to which messages are parked. */
  lastTimerQueueOffset: number;
}

const LONG_BYTES = 8;
const FIELDS = 7;
/** lastReadTimeMs .. masterTimerQueueOffset: what every version writes. */
const MIN_BYTES = 4 * LONG_BYTES;

/** We keep no timer log (flush position 0) and no version of the checkpoint's own (0, now, 0). */
export function encodeTimerCheckpoint(cp: TimerCheckpointView, nowMs = Date.now()): Buffer {
  const body = Buffer.alloc(FIELDS * LONG_BYTES);
  const longs = [cp.lastReadTimeMs, 0, cp.lastTimerQueueOffset, cp.lastTimerQueueOffset, 0, nowMs, 0];
  longs.forEach((v, i) => body.writeBigInt64BE(BigInt(Math.trunc(v)), i * LONG_BYTES));
  return body;
}

/** Undefined when the body is shorter than the four fields every version writes. */
export function decodeTimerCheckpoint(body: Buffer | undefined): TimerCheckpointView | undefined {
  if (!body || body.length < MIN_BYTES) return undefined;
  return { lastReadTimeMs: Number(body.readBigInt64BE(0)), lastTimerQueueOffset: Number(body.readBigInt64BE(2 * LONG_BYTES)) };
}
