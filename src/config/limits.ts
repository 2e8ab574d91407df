/**
 * The operator-facing bounds on what the servers hold in memory or accept from one peer, in one place.
 * Each is a config key (broker.conf, and namesrv.conf for the frame size) with its unit last in the name
 * where the Java broker has no key of its own, and Java's own key where it has one. A bound is there so
 * that a flood of clients or a misbehaving peer meets a refusal, not an out-of-memory crash.
 */
export interface Limit {
  value: number;
  /** Smallest value accepted in a config file. */
  min: number;
  unit: 'bytes' | 'requests' | 'transactions' | 'messages' | 'milliseconds' | 'fields';
  reason: string;
}

export const LIMITS = {
  frameMaxLength: {
    value: 16 * 1024 * 1024,
    min: 64 * 1024,
    unit: 'bytes',
    reason:
      'Largest remoting frame read from a connection; a longer length prefix closes the connection before ' +
      'anything is buffered. Java reads the same bound from the system property ' +
      'com.rocketmq.remoting.frameMaxLength (NettyDecoder), default 16 MiB. It must exceed maxMessageSize.',
  },
  commitLogRecentCacheBytes: {
    value: 32 * 1024 * 1024,
    min: 0,
    unit: 'bytes',
    reason:
      'Most recently written CommitLog bytes kept in memory, so consumers that keep up read without touching ' +
      'the disk; the Java broker gets the same from the page cache of its memory-mapped files. 0 turns it off.',
  },
  heldPullRequestsMax: {
    value: 100_000,
    min: 1,
    unit: 'requests',
    reason:
      'Long-poll pulls held at once (each keeps its request and connection until a message or its timeout). ' +
      'Past it a pull that found nothing is answered PULL_NOT_FOUND at once instead of being held.',
  },
  transactionPendingMax: {
    value: 1_000_000,
    min: 1,
    unit: 'transactions',
    reason:
      'Half messages neither committed nor rolled back, each indexed in memory for the check-back. Past it a ' +
      'new half message is refused, so a producer that never ends its transactions cannot exhaust memory.',
  },
  timerPendingMax: {
    value: 2_000_000,
    min: 1,
    unit: 'messages',
    reason:
      'Timer messages parked and not yet due, each indexed in memory (about 24 bytes plus the heap). Past it ' +
      'a new timer message is refused.',
  },
  remotingHeaderMaxBytes: {
    value: 512 * 1024,
    min: 4 * 1024,
    unit: 'bytes',
    reason:
      'Largest request header (the JSON or binary part before the body). A Java client\'s largest header is a ' +
      'send with 32 KiB of properties; a longer one closes the connection before it is parsed, so one frame ' +
      'cannot hold the event loop in a huge parse.',
  },
  remotingHeaderMaxFields: {
    value: 1000,
    min: 16,
    unit: 'fields',
    reason:
      'Most extFields entries in one request header (a send has about 15). More closes the connection: each ' +
      'field costs a map entry and a string, so 200,000 of them stalled the loop for seconds.',
  },
  frameReadTimeoutMills: {
    value: 30_000,
    min: 100,
    unit: 'milliseconds',
    reason:
      'Time a started frame has to arrive whole. A client that stops mid-frame (or trickles it a byte at a ' +
      'time) is closed after this, releasing the bytes held for it; the Java clients give up on a request ' +
      'after 3 s, so a frame slower than this has no one waiting for it.',
  },
  pendingFrameBytesTotalMax: {
    value: 256 * 1024 * 1024,
    min: 1024 * 1024,
    unit: 'bytes',
    reason:
      'Bytes held in unfinished frames over all connections of the process (each connection holds at most ' +
      'one, bounded by frameMaxLength). A connection whose frame would pass it is closed, so many connections ' +
      'each parking a half-sent 16 MiB frame cannot exhaust memory.',
  },
  writeBufferHighWaterMark: {
    value: 4 * 1024 * 1024,
    min: 64 * 1024,
    unit: 'bytes',
    reason:
      'Unsent reply bytes queued for one connection above which the server stops reading its requests, until ' +
      'the peer has read them all (Netty\'s channel writability, the Java key of the same name). A client that ' +
      'pipelines requests and never reads its socket stalls itself, not the server.',
  },
  writeBufferMaxBytes: {
    value: 64 * 1024 * 1024,
    min: 64 * 1024,
    unit: 'bytes',
    reason:
      'Unsent reply bytes for one connection past which it is closed (replies already in flight, such as held ' +
      'pulls answered later, can pass the high-water mark after reading stopped).',
  },
  writeBufferTotalMaxBytes: {
    value: 512 * 1024 * 1024,
    min: 1024 * 1024,
    unit: 'bytes',
    reason:
      'Unsent reply bytes over all connections of the process. Past it, a connection that is itself above ' +
      'writeBufferHighWaterMark is closed when more is written to it; shown as remotingWriteBufferBytes in brokerStatus.',
  },
} as const satisfies Record<string, Limit>;

export type LimitKey = keyof typeof LIMITS;

/** The limits as config defaults: key → value. */
export function limitDefaults<K extends LimitKey>(keys: readonly K[]): { [P in K]: number } {
  return Object.fromEntries(keys.map((k) => [k, LIMITS[k].value])) as { [P in K]: number };
}
