/**
 * The contract between the broker and its message store. The store keeps RocketMQ's layouts
 * (CommitLog records exactly as a PULL_MESSAGE body carries them, 20-byte ConsumeQueue units),
 * so a pull is a read, not a re-encode. Offsets are JS numbers (exact up to 2^53 bytes).
 */
import type { HostAddress, MessageInner } from '../codec/message.js';
import type { ConnectionOptions } from 'node:tls';
import type { TlsServerSide } from '../remoting/tls-accept.js';
import type { AutoSwitchHa } from './ha/autoswitch/types.js';


export type PutMessageStatus =
  | 'PUT_OK'
  | 'FLUSH_DISK_TIMEOUT'
  | 'FLUSH_SLAVE_TIMEOUT'
  | 'SLAVE_NOT_AVAILABLE'
  | 'SERVICE_NOT_AVAILABLE'
  | 'CREATE_MAPEDFILE_FAILED'
  | 'MESSAGE_ILLEGAL'
  | 'PROPERTIES_SIZE_EXCEEDED'
  | 'OS_PAGECACHE_BUSY'
  /** Controller mode: fewer replicas in sync than minInSyncReplicas (CommitLog#asyncPutMessage); not stored. */
  | 'IN_SYNC_REPLICAS_NOT_ENOUGH'
  | 'UNKNOWN_ERROR';

export interface AppendResult {
  /** CommitLog offset of the (first) record. */
  wroteOffset: number;
  wroteBytes: number;
  /** Offset message id(s): 32 hex chars per record, comma-joined for a batch. */
  msgId: string;
  /** ConsumeQueue offset of the (first) record. */
  logicsOffset: number;
  storeTimestamp: number;
  msgNum: number;
}

export interface PutMessageResult {
  status: PutMessageStatus;
  appendResult?: AppendResult;
  /** Human-readable reason when status is not PUT_OK. */
  remark?: string;
}

export type GetMessageStatus =
  | 'FOUND'
  | 'NO_MATCHED_MESSAGE'
  | 'MESSAGE_WAS_REMOVING'
  | 'OFFSET_FOUND_NULL'
  | 'OFFSET_OVERFLOW_BADLY'
  | 'OFFSET_OVERFLOW_ONE'
  | 'OFFSET_TOO_SMALL'
  | 'NO_MATCHED_LOGIC_QUEUE'
  | 'NO_MESSAGE_IN_QUEUE';

export interface GetMessageResult {
  status: GetMessageStatus;
  nextBeginOffset: number;
  minOffset: number;
  maxOffset: number;
  /** Whole stored records, in queue order, byte-for-byte as in the CommitLog. */
  buffers: Buffer[];
  messageCount: number;
  bufferTotalSize: number;
  /** Whether the consumer is far behind (read from disk): the broker then suggests a slave. */
  suggestPullingFromSlave: boolean;
}

/** QUERY_MESSAGE answer (QueryMessageResult): whole records found through the IndexFile. */
export interface QueryMessageResult {
  /** Whole stored records, sorted by CommitLog offset. */
  buffers: Buffer[];
  messageCount: number;
  bufferTotalSize: number;
  /** End timestamp / end CommitLog offset of the newest index file (response header fields). */
  indexLastUpdateTimestamp: number;
  indexLastUpdatePhyoffset: number;
}

/** Broker-side filter over a ConsumeQueue unit (tag hash), then optionally over the record's properties (SQL92). */
export interface MessageFilter {
  isMatchedByConsumeQueue(tagsCode: number): boolean;
  isMatchedByCommitLog?(record: Buffer): boolean;
}

/** Told after a message is dispatched to its ConsumeQueue: wakes held long-poll pulls. */
/** A message reached a ConsumeQueue: `logicOffset` is the queue's new max offset, `msgSize` the record's bytes. */
export type ArrivalListener = (topic: string, queueId: number, logicOffset: number, tagsCode: number, storeTimestamp: number, msgSize: number) => void;

/** Replication as the store sees it (HAService on a master, HAClient on a slave), for runtime info and admin. */
export interface HaStatus {
  role: 'ASYNC_MASTER' | 'SYNC_MASTER' | 'SLAVE';
  /** Master: slaves connected now, each with its address and last reported (acknowledged) log offset. */
  slaves: Array<{ addr: string; ackOffset: number }>;
  /** Master: the largest offset any slave has acknowledged (HAService#push2SlaveMaxOffset); 0 without slaves. */
  push2SlaveMaxOffset: number;
  /** Slave: the master HA address it replicates from ('' when not known yet). */
  masterHaAddress: string;
  /** Slave: whether the HA connection to the master is up. */
  connected: boolean;
  /** Slave: ms since the master last sent anything (-1 when never). */
  lastReadAgoMs: number;
}

export interface MessageStore {
  /** Controller mode (enableControllerMode): the AutoSwitchHA side of the store; absent otherwise. */
  readonly autoSwitch?: AutoSwitchHa;
  start(): Promise<void>;
  shutdown(): Promise<void>;
  putMessage(msg: MessageInner): Promise<PutMessageResult>;
  /** A batch for one topic and queue: consecutive queue offsets. */
  putMessages(msgs: MessageInner[]): Promise<PutMessageResult>;
  getMessage(group: string, topic: string, queueId: number, offset: number, maxMsgNums: number, filter?: MessageFilter): GetMessageResult;
  getMaxOffsetInQueue(topic: string, queueId: number): number;
  getMinOffsetInQueue(topic: string, queueId: number): number;
  /** First queue offset whose store time is >= timestamp (the Java store's getOffsetInQueueByTime). */
  getOffsetInQueueByTime(topic: string, queueId: number, timestamp: number): number;
  getEarliestMessageTime(topic: string, queueId: number): number;
  getMessageStoreTimeStamp(topic: string, queueId: number, consumeQueueOffset: number): number;
  /** QUERY_CONSUME_QUEUE (mqadmin queryCq): the queue's bounds and up to `count` units from queue offset `from`; undefined without the queue. */
  consumeQueueUnits(topic: string, queueId: number, from: number, count: number): { minOffset: number; maxOffset: number; units: Array<{ queueOffset: number; phyOffset: number; size: number; tagsCode: number }> } | undefined;
  /** The whole record at a CommitLog offset, or undefined. */
  lookMessageByOffset(commitLogOffset: number): Buffer | undefined;
  getMaxPhyOffset(): number;
  getMinPhyOffset(): number;
  /** Remove a topic's ConsumeQueues (DELETE_TOPIC_IN_BROKER). */
  deleteTopics(topics: Iterable<string>): void;
  onArrival(listener: ArrivalListener): void;
  /**
   * Messages whose UNIQ_KEY or one of whose KEYS equals `key`, stored in [beginTimestamp, endTimestamp]
   * (DefaultMessageStore#queryMessage; at most min(maxNum, 64)). Empty when messageIndexEnable=false.
   */
  queryMessage(topic: string, key: string, maxNum: number, beginTimestamp: number, endTimestamp: number): QueryMessageResult;
  /** Store figures for GET_BROKER_RUNTIME_INFO and diagnostics, as strings (like the Java runtime table). */
  getRuntimeInfo(): Record<string, string>;
  /** Replication state (always present: a master without slaves reports an empty list). */
  haStatus(): HaStatus;
  /** Slave: the master's HA address learned from the NameServer (ignored when haMasterAddress is configured). */
  updateHaMasterAddress(addr: string | undefined): void;
  /** TLS on the HA port (master) and for the HA connection (slave), from the broker's tls.* keys; before start(). */
  useHaTls(t: HaTls): void;
  /** DELETE_EXPIRED_COMMITLOG: delete expired CommitLog segments on the next retention runs, whatever the hour. */
  executeDeleteFilesManually(): void;
  /**
   * How long appended records have waited to be handed to the OS (0 when none wait): the Java store's
   * time in the put lock (pageCacheLockTimeMills), here the time since the first unwritten append.
   */
  lockTimeMills(): number;
  /** lockTimeMills() passed osPageCacheBusyTimeOutMills: puts are refused OS_PAGECACHE_BUSY meanwhile. */
  isOSPageCacheBusy(): boolean;
}

/** TLS for replication, built by the broker from its tls.* keys (the store reads none of them). */
export interface HaTls {
  /** The master's HA port: tls.server.mode and certificate, as on the remoting ports. */
  server?: TlsServerSide;
  /** The slave's connection to its master's HA port (tls.enable). */
  client?: ConnectionOptions;
}
