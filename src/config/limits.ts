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
  sendThreadPoolQueueCapacity: {
    value: 10_000,
    min: 1,
    unit: 'requests',
    reason:
      'SEND_MESSAGE(_V2), SEND_BATCH_MESSAGE and CONSUMER_SEND_MSG_BACK waiting to run or to be stored, ' +
      'as the Java broker\'s send pool queue (same key and default). Past it a send is answered SYSTEM_BUSY ' +
      '"[OVERLOAD]system busy, start flow control for a while"; the Java producer then tries another broker.',
  },
  pullThreadPoolQueueCapacity: {
    value: 100_000,
    min: 1,
    unit: 'requests',
    reason:
      'PULL_MESSAGE and LITE_PULL_MESSAGE waiting to run (held long polls are bounded by heldPullRequestsMax ' +
      'instead). Past it: SYSTEM_BUSY [OVERLOAD]. Java key and default.',
  },
  queryThreadPoolQueueCapacity: {
    value: 20_000,
    min: 1,
    unit: 'requests',
    reason:
      'QUERY_MESSAGE and VIEW_MESSAGE_BY_ID waiting to run. Past it: SYSTEM_BUSY [OVERLOAD]. Java key and default.',
  },
  heartbeatThreadPoolQueueCapacity: {
    value: 50_000,
    min: 1,
    unit: 'requests',
    reason:
      'HEART_BEAT waiting to run. Past it: SYSTEM_BUSY [OVERLOAD]. Java key and default.',
  },
  clientManagerThreadPoolQueueCapacity: {
    value: 1_000_000,
    min: 1,
    unit: 'requests',
    reason:
      'UNREGISTER_CLIENT and CHECK_CLIENT_CONFIG waiting to run. Past it: SYSTEM_BUSY [OVERLOAD]. Java key and default.',
  },
  consumerManagerThreadPoolQueueCapacity: {
    value: 1_000_000,
    min: 1,
    unit: 'requests',
    reason:
      'GET_CONSUMER_LIST_BY_GROUP and UPDATE/QUERY_CONSUMER_OFFSET waiting to run. Past it: SYSTEM_BUSY ' +
      '[OVERLOAD]. Java key and default.',
  },
  endTransactionPoolQueueCapacity: {
    value: 100_000,
    min: 1,
    unit: 'requests',
    reason:
      'END_TRANSACTION waiting to run. Past it: SYSTEM_BUSY [OVERLOAD] (a one-way end gets no answer; the ' +
      'check-back settles the transaction later). Java key and default.',
  },
  adminBrokerThreadPoolQueueCapacity: {
    value: 10_000,
    min: 1,
    unit: 'requests',
    reason:
      'Every other broker request code (admin, offsets, locks) waiting to run. Past it: SYSTEM_BUSY ' +
      '[OVERLOAD]. The 5.x key and default (4.9 has the same bound without a key).',
  },
  replyThreadPoolQueueCapacity: {
    value: 10_000,
    min: 1,
    unit: 'requests',
    reason:
      'SEND_REPLY_MESSAGE(_V2) waiting to run (each may wait up to 10 s on the requester it pushes to, without ' +
      'holding the others). Past it: SYSTEM_BUSY [OVERLOAD]. Java key and default.',
  },
  defaultThreadPoolQueueCapacity: {
    value: 10_000,
    min: 1,
    unit: 'requests',
    reason:
      'NameServer requests other than route lookups waiting to run (5.x NamesrvConfig key and default). Past ' +
      'it: SYSTEM_BUSY [OVERLOAD].',
  },
  clientRequestThreadPoolQueueCapacity: {
    value: 50_000,
    min: 1,
    unit: 'requests',
    reason:
      'NameServer GET_ROUTEINFO_BY_TOPIC requests waiting to run (5.x NamesrvConfig key and default). Past ' +
      'it: SYSTEM_BUSY [OVERLOAD].',
  },
  waitTimeMillsInSendQueue: {
    value: 200,
    min: 1,
    unit: 'milliseconds',
    reason:
      'A send that waited this long behind other sends in its queue is answered SYSTEM_BUSY "[TIMEOUT_CLEAN_QUEUE]broker busy, ' +
      'start flow control for a while, period in queue: Nms, size of queue: N" instead of being run, when ' +
      'brokerFastFailureEnable (BrokerFastFailure; Java key and default). The client has mostly given up by then. ' +
      'Time a lone send waited only for the event loop (other work holding it) does not count: refusing it would shorten no backlog.',
  },
  waitTimeMillsInPullQueue: {
    value: 5_000,
    min: 1,
    unit: 'milliseconds',
    reason:
      'The same for pulls (Java key and default).',
  },
  waitTimeMillsInHeartbeatQueue: {
    value: 31_000,
    min: 1,
    unit: 'milliseconds',
    reason:
      'The same for heartbeats (Java key and default).',
  },
  waitTimeMillsInTransactionQueue: {
    value: 3_000,
    min: 1,
    unit: 'milliseconds',
    reason:
      'The same for END_TRANSACTION (Java key and default).',
  },
  osPageCacheBusyTimeOutMills: {
    value: 1_000,
    min: 1,
    unit: 'milliseconds',
    reason:
      'Appended records not yet handed to the OS for this long mean the store is stuck (the event loop ' +
      'was held): new sends are refused SYSTEM_BUSY "[REJECTREQUEST]system busy, ..." at the door and ' +
      '"[PC_SYNCHRONIZED]broker busy, ..." in the store, queued ones "[PCBUSY_CLEAN_QUEUE]...", until the ' +
      'write runs. Java key and default (there: time a put holds the CommitLog lock).',
  },
  requestTurnBudgetMills: {
    value: 20,
    min: 1,
    unit: 'milliseconds',
    reason:
      'Longest run of requests served back to back in one event-loop turn; later arrivals wait in their ' +
      'family queue for the next turn, so a burst from one connection (or a request that works in slices) ' +
      'cannot keep the loop from timers, writes and other sockets. Ours: Node has one thread, not pools.',
  },
} as const satisfies Record<string, Limit>;

export type LimitKey = keyof typeof LIMITS;

/** The limits as config defaults: key → value. */
export function limitDefaults<K extends LimitKey>(keys: readonly K[]): { [P in K]: number } {
  return Object.fromEntries(keys.map((k) => [k, LIMITS[k].value])) as { [P in K]: number };
}
