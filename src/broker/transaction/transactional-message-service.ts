/**
 * Transactional messages (the Java broker's broker/transaction package and EndTransactionProcessor).
 *
 * - prepare: the half message goes to RMQ_SYS_TRANS_HALF_TOPIC queue 0 with REAL_TOPIC / REAL_QID and
 *   sysFlag NOT_TYPE, so no consumer sees it. Its half-queue offset is the transaction's identity.
 * - end (commit / rollback): commit puts the final message (sysFlag COMMIT) to the real topic and
 *   queue; both write an op record to RMQ_SYS_TRANS_OP_HALF_TOPIC (tag "d", body = half offset).
 *   A transaction is ended once: a second END_TRANSACTION for it (a late check answer, a retry) is ignored.
 * - check-back: every transactionCheckInterval, each pending half message older than transactionTimeOut
 *   (or its own CHECK_IMMUNITY_TIME_IN_SECONDS) is checked with CHECK_TRANSACTION_STATE on a live
 *   connection of its producer group; after transactionCheckMax checks, or when older than
 *   fileReservedTime, it is moved to TRANS_CHECK_MAX_TIME_TOPIC and forgotten. A check with no producer
 *   online is not counted, so a producer that restarts late is still asked.
 *
 * Where the Java broker re-appends every checked half message to the half queue (its progress pointer
 * must pass it), we keep the pending set in memory and make it durable with a checkpoint,
 * config/transactionCheckpoint.json: the pending set, plus the half and op queue offsets it covers. On
 * start we load it and replay both queues past those offsets (ops last, so an op always wins). Without a
 * checkpoint both queues are replayed from their start. Check counts since the last checkpoint may be
 * lost in a crash, which costs at most one extra check per interval lost.
 */
import path from 'node:path';
import type { BrokerConfig } from '../../config/broker-config.js';
import type { MessageStore, PutMessageResult } from '../../store/types.js';
import type { MessageInner } from '../../codec/message.js';
import { MessageConst } from '../../protocol/message-const.js';
import { MessageSysFlag, resetTransactionType } from '../../protocol/sys-flag.js';
import { PermName } from '../../protocol/perm-name.js';
import { RequestCode } from '../../protocol/request-code.js';
import { getProperty, propertiesToString, tagsCode } from '../../codec/message-properties.js';
import { createOffsetMessageId } from '../../codec/message-id.js';
import { clampToSafe } from '../../protocol/java-number.js';
import { createRequest } from '../../remoting/command.js';
import { StateFile } from '../../config/persist.js';
import type { TopicConfigManager } from '../metadata/topic-config-manager.js';
import type { ProducerManager } from '../client/producer-manager.js';
import { TopicValidator } from '../../protocol/topic-validator.js';
import { editProperties, encodeForClient, isStored, storedMessage, type StoredMessage } from '../message/stored-message.js';
import { log } from '../../logger.js';

export const HALF_TOPIC = TopicValidator.RMQ_SYS_TRANS_HALF_TOPIC;
export const OP_TOPIC = TopicValidator.RMQ_SYS_TRANS_OP_HALF_TOPIC;
export const CHECK_MAX_TIME_TOPIC = TopicValidator.RMQ_SYS_TRANS_CHECK_MAX_TIME_TOPIC;
/** TransactionalMessageUtil.REMOVETAG: the op record's tag. */
const OP_REMOVE_TAG = 'd';
/** An op record's properties: the remove tag, and no waiting for the flush (the op is only bookkeeping). */
const OP_PROPERTIES = propertiesToString(new Map([[MessageConst.PROPERTY_TAGS, OP_REMOVE_TAG], [MessageConst.PROPERTY_WAIT_STORE_MSG_OK, 'false']]));
/** Records read per step when replaying the half / op queues at start. */
const REPLAY_BATCH = 32;
const READER_GROUP = 'CID_RMQ_SYS_TRANS';

interface PendingTx {
  halfOffset: number;
  commitLogOffset: number;
  producerGroup: string;
  /** Only ages come from it: a born time beyond ±2^53 is clamped to ±(2^53 - 1), so JSON never meets a bigint. */
  bornTimestamp: number;
  /** CHECK_IMMUNITY_TIME_IN_SECONDS in ms, if the message set it. */
  immunityMs?: number;
  checkTimes: number;
  /** An END_TRANSACTION is being applied: not checked, not ended twice. */
  ending: boolean;
}

interface Checkpoint {
  halfNext: number;
  opNext: number;
  pending: Array<[number, number, string, number, number | null, number]>;
}

export interface CheckStats {
  checksSent: number;
  checksNoProducer: number;
  discarded: number;
  committed: number;
  rolledBack: number;
  duplicateEnds: number;
}

export type EndOutcome = { code: 'OK'; final?: MessageInner } | { code: 'IGNORED'; why: string } | { code: 'ERROR'; remark: string };

export class TransactionalMessageService {
  private readonly pending = new Map<number, PendingTx>();
  /** Half / op queue offsets up to which every record is reflected in `pending`. */
  private halfNext = 0;
  private opNext = 0;
  readonly name = 'transaction service';
  private readonly state: StateFile<Checkpoint>;
  private timer?: NodeJS.Timeout;
  private dirty = false;
  /** Never started (slave): nothing to write at shutdown. */
  private started = false;
  readonly stats: CheckStats = { checksSent: 0, checksNoProducer: 0, discarded: 0, committed: 0, rolledBack: 0, duplicateEnds: 0 };

  constructor(
    private readonly config: BrokerConfig,
    private readonly store: MessageStore,
    private readonly topics: TopicConfigManager,
    private readonly producers: ProducerManager,
    private readonly storeHost: { ip: string; port: number },
    private readonly now: () => number = Date.now,
  ) {
    const file = path.join(config.storePathRootDir, 'config', 'transactionCheckpoint.json');
    this.state = new StateFile(file, () => JSON.stringify(this.checkpoint()), JSON.parse);
  }

  get pendingCount(): number {
    return this.pending.size;
  }

  // ------------------------------------------------------------------ lifecycle

  /** Loads the checkpoint: the pending set and the half / op queue offsets it covers. */
  load(): void {
    const cp = this.state.load();
    if (!cp) return;
    this.halfNext = cp.halfNext;
    this.opNext = cp.opNext;
    for (const [halfOffset, commitLogOffset, producerGroup, bornTimestamp, immunityMs, checkTimes] of cp.pending) {
      this.pending.set(halfOffset, { halfOffset, commitLogOffset, producerGroup, bornTimestamp, immunityMs: immunityMs ?? undefined, checkTimes, ending: false });
    }
  }

  /** Replays the half and op queues past the checkpoint and starts checking. The store must be started. */
  start(): void {
    // TransactionalMessageCheckService runs on masters only.
    if (this.config.brokerRole === 'SLAVE') return;
    this.started = true;
    if (this.halfNext > this.store.getMaxOffsetInQueue(HALF_TOPIC, 0) || this.opNext > this.store.getMaxOffsetInQueue(OP_TOPIC, 0)) {
      // The queues are shorter than the checkpoint says (store lost its tail): trust only a full replay.
      log.warn(`transaction: checkpoint (half ${this.halfNext}, op ${this.opNext}) is past the queues' end; replaying both in full`);
      this.pending.clear();
      this.halfNext = 0;
      this.opNext = 0;
    }
    let replayedHalf = 0;
    this.halfNext = this.replay(HALF_TOPIC, this.halfNext, (m) => {
      this.remember(m);
      replayedHalf++;
    });
    let replayedOps = 0;
    this.opNext = this.replay(OP_TOPIC, this.opNext, (m) => {
      const half = Number(m.body.toString('utf8'));
      if (Number.isSafeInteger(half)) this.pending.delete(half);
      replayedOps++;
    });
    this.dirty = replayedHalf + replayedOps > 0;
    log.info(`transaction: ${this.pending.size} pending half messages (replayed ${replayedHalf} half and ${replayedOps} op records past the checkpoint)`);
    this.timer = setInterval(() => this.checkAll(), this.config.transactionCheckInterval);
    this.timer.unref();
  }

  shutdown(): void {
    if (this.timer) clearInterval(this.timer);
    this.persist(true);
  }

  persist(force = false): void {
    if (!this.started || (!this.dirty && !force)) return;
    this.dirty = !this.state.persist();
  }

  private checkpoint(): Checkpoint {
    return {
      halfNext: this.halfNext,
      opNext: this.opNext,
      pending: [...this.pending.values()].map((t) => [t.halfOffset, t.commitLogOffset, t.producerGroup, t.bornTimestamp, t.immunityMs ?? null, t.checkTimes]),
    };
  }

  /** Reads a system queue from `from` to its end; returns the offset after the last record seen. */
  private replay(topic: string, from: number, onRecord: (m: StoredMessage) => void): number {
    const min = this.store.getMinOffsetInQueue(topic, 0);
    const max = this.store.getMaxOffsetInQueue(topic, 0);
    let offset = from > max ? min : Math.max(from, min);
    while (offset < max) {
      const r = this.store.getMessage(READER_GROUP, topic, 0, offset, REPLAY_BATCH);
      if (r.buffers.length === 0) {
        if (r.nextBeginOffset <= offset) break;
        offset = r.nextBeginOffset;
        continue;
      }
      for (const b of r.buffers) {
        const m = storedMessage(b);
        onRecord(m);
        offset = m.queueOffset + 1;
      }
    }
    return offset;
  }

  private remember(half: StoredMessage): void {
    const immunity = Number(getProperty(half.propertiesString, MessageConst.PROPERTY_CHECK_IMMUNITY_TIME_IN_SECONDS));
    this.pending.set(half.queueOffset, {
      halfOffset: half.queueOffset,
      commitLogOffset: half.commitLogOffset,
      producerGroup: getProperty(half.propertiesString, MessageConst.PROPERTY_PRODUCER_GROUP) ?? '',
      bornTimestamp: clampToSafe(half.bornTimestamp),
      immunityMs: Number.isFinite(immunity) && immunity > 0 ? immunity * 1000 : undefined,
      checkTimes: Number(getProperty(half.propertiesString, MessageConst.PROPERTY_TRANSACTION_CHECK_TIMES) ?? 0) || 0,
      ending: false,
    });
    if (half.queueOffset >= this.halfNext) this.halfNext = half.queueOffset + 1;
    this.dirty = true;
  }

  // ------------------------------------------------------------------ prepare

  /** Whether another half message may be accepted (the pending set is bounded). */
  hasRoom(): boolean {
    return this.pending.size < this.config.transactionPendingMax;
  }

  /** TransactionalMessageBridge#parseHalfMessageInner + putHalfMessage. */
  async prepareMessage(msg: MessageInner): Promise<PutMessageResult> {
    this.topics.createIfAbsent(HALF_TOPIC, 1, PermName.PERM_READ | PermName.PERM_WRITE);
    const half: MessageInner = {
      ...msg,
      topic: HALF_TOPIC,
      queueId: 0,
      sysFlag: resetTransactionType(msg.sysFlag, MessageSysFlag.TRANSACTION_NOT_TYPE),
      propertiesString: editProperties(msg.propertiesString, {
        [MessageConst.PROPERTY_REAL_TOPIC]: msg.topic,
        [MessageConst.PROPERTY_REAL_QUEUE_ID]: String(msg.queueId),
      }),
    };
    const r = await this.store.putMessage(half);
    const a = r.appendResult;
    if (a && isStored(r)) {
      this.remember({ ...half, queueOffset: a.logicsOffset, commitLogOffset: a.wroteOffset, storeTimestamp: a.storeTimestamp });
    }
    return r;
  }

  // ------------------------------------------------------------------ end

  /**
   * EndTransactionProcessor for COMMIT (8) and ROLLBACK (12): checks the half message against the
   * header, then (commit) builds the final message, which the caller puts; `finish` then records the op.
   */
  beginEnd(h: { producerGroup: string; tranStateTableOffset: number; commitLogOffset: number; commit: boolean }): EndOutcome & { half?: StoredMessage } {
    const record = this.store.lookMessageByOffset(h.commitLogOffset);
    if (!record) return { code: 'ERROR', remark: 'Find prepared transaction message failed' };
    const half = storedMessage(record);
    if (half.topic !== HALF_TOPIC) return { code: 'ERROR', remark: 'Find prepared transaction message failed' };
    if (getProperty(half.propertiesString, MessageConst.PROPERTY_PRODUCER_GROUP) !== h.producerGroup) return { code: 'ERROR', remark: 'The producer group wrong' };
    if (half.queueOffset !== h.tranStateTableOffset) return { code: 'ERROR', remark: 'The transaction state table offset wrong' };
    if (half.commitLogOffset !== h.commitLogOffset) return { code: 'ERROR', remark: 'The commit log offset wrong' };
    const tx = this.pending.get(half.queueOffset);
    if (!tx || tx.ending) {
      this.stats.duplicateEnds++;
      return { code: 'IGNORED', why: tx ? 'being ended now' : 'already ended' };
    }
    tx.ending = true;
    if (!h.commit) return { code: 'OK', half };
    return { code: 'OK', half, final: finalMessage(half) };
  }

  /** After the final message is stored (commit) or at once (rollback): op record, forget the half. */
  async finishEnd(half: StoredMessage, committed: boolean | 'failed'): Promise<void> {
    const tx = this.pending.get(half.queueOffset);
    if (committed === 'failed') {
      if (tx) tx.ending = false;
      return;
    }
    if (committed) this.stats.committed++;
    else this.stats.rolledBack++;
    this.pending.delete(half.queueOffset);
    this.dirty = true;
    this.topics.createIfAbsent(OP_TOPIC, 1, PermName.PERM_READ | PermName.PERM_WRITE);
    const op: MessageInner = {
      topic: OP_TOPIC,
      queueId: half.queueId,
      flag: 0,
      body: Buffer.from(String(half.queueOffset), 'utf8'),
      propertiesString: OP_PROPERTIES,
      tagsCode: tagsCode(OP_REMOVE_TAG),
      sysFlag: 0,
      bornTimestamp: this.now(),
      bornHost: this.storeHost,
      storeHost: this.storeHost,
      reconsumeTimes: 0,
      preparedTransactionOffset: 0,
    };
    const r = await this.store.putMessage(op);
    if (r.status === 'PUT_OK' && r.appendResult) {
      if (r.appendResult.logicsOffset >= this.opNext) this.opNext = r.appendResult.logicsOffset + 1;
    } else {
      // The outcome stands in memory; after a crash before the next checkpoint the half may be checked again.
      log.error(`transaction: op record for half ${half.queueOffset} not stored: ${r.status} ${r.remark ?? ''}`);
    }
  }

  // ------------------------------------------------------------------ check-back

  /** TransactionalMessageServiceImpl#check, one round. */
  checkAll(): void {
    const now = this.now();
    const reservedMs = this.config.fileReservedTime * 3_600_000;
    const offline = new Map<string, number>();
    for (const tx of [...this.pending.values()]) {
      if (tx.ending) continue;
      const age = now - tx.bornTimestamp;
      if (tx.checkTimes >= this.config.transactionCheckMax || age > reservedMs) {
        void this.discard(tx, tx.checkTimes >= this.config.transactionCheckMax ? 'checked too many times' : 'older than fileReservedTime');
        continue;
      }
      // A born time in the future (clock skew) is checked at once, as Java does for valueOfCurrentMinusBorn <= -1.
      if (age >= 0 && age < (tx.immunityMs ?? this.config.transactionTimeOut)) continue;
      if (!this.check(tx)) offline.set(tx.producerGroup, (offline.get(tx.producerGroup) ?? 0) + 1);
    }
    for (const [group, n] of offline) log.warn(`transaction: no producer of group ${group} online to check ${n} half message(s)`);
    this.persist();
  }

  /** Sends one check; false when no producer of the group is online (the check is not counted). */
  private check(tx: PendingTx): boolean {
    const channel = this.producers.availableChannel(tx.producerGroup);
    if (!channel) {
      this.stats.checksNoProducer++;
      return false;
    }
    const record = this.store.lookMessageByOffset(tx.commitLogOffset);
    if (!record) {
      void this.discard(tx, 'half message record is gone');
      return true;
    }
    tx.checkTimes++;
    this.dirty = true;
    const half = storedMessage(record);
    const uniqKey = getProperty(half.propertiesString, MessageConst.PROPERTY_UNIQ_CLIENT_MESSAGE_ID_KEYIDX);
    // The body is the half message with its real topic and queue restored (AbstractTransactionalMessageCheckListener#sendCheckMessage).
    const body = encodeForClient({
      ...half,
      topic: getProperty(half.propertiesString, MessageConst.PROPERTY_REAL_TOPIC) ?? half.topic,
      queueId: Number(getProperty(half.propertiesString, MessageConst.PROPERTY_REAL_QUEUE_ID) ?? half.queueId),
      propertiesString: editProperties(half.propertiesString, { [MessageConst.PROPERTY_TRANSACTION_CHECK_TIMES]: String(tx.checkTimes) }),
    });
    const header: Record<string, string> = {
      tranStateTableOffset: String(tx.halfOffset),
      commitLogOffset: String(tx.commitLogOffset),
      offsetMsgId: createOffsetMessageId(half.storeHost, half.commitLogOffset),
    };
    if (uniqKey) {
      header.msgId = uniqKey;
      header.transactionId = uniqKey;
    }
    const req = createRequest(RequestCode.CHECK_TRANSACTION_STATE, header, body);
    channel.conn.invokeOneway(req);
    this.stats.checksSent++;
    log.debug(`transaction: checked half ${tx.halfOffset} (${tx.checkTimes}) with ${channel.clientId}`);
    return true;
  }

  /** DefaultTransactionalMessageCheckListener#resolveDiscardMsg. */
  private async discard(tx: PendingTx, why: string): Promise<void> {
    this.pending.delete(tx.halfOffset);
    this.dirty = true;
    this.stats.discarded++;
    const record = this.store.lookMessageByOffset(tx.commitLogOffset);
    log.error(`transaction: half ${tx.halfOffset} of ${tx.producerGroup} ${why} (${tx.checkTimes} checks); moved to ${CHECK_MAX_TIME_TOPIC}`);
    if (!record) return;
    this.topics.createIfAbsent(CHECK_MAX_TIME_TOPIC, 1, PermName.PERM_READ | PermName.PERM_WRITE);
    const half = storedMessage(record);
    const r = await this.store.putMessage({
      ...half,
      topic: CHECK_MAX_TIME_TOPIC,
      queueId: 0,
      tagsCode: tagsCode(getProperty(half.propertiesString, MessageConst.PROPERTY_TAGS)),
      propertiesString: editProperties(half.propertiesString, { [MessageConst.PROPERTY_TRANSACTION_CHECK_TIMES]: String(tx.checkTimes) }),
    });
    if (r.status !== 'PUT_OK') log.error(`transaction: could not store discarded half ${tx.halfOffset}: ${r.status}`);
  }
}

/**
 * EndTransactionProcessor#endMessageTransaction: the committed message on its real topic and queue,
 * sysFlag COMMIT, preparedTransactionOffset = the half's CommitLog offset. The property string is the
 * half message's, as the Java broker builds it before clearing REAL_TOPIC / REAL_QID / TRAN_MSG from its
 * in-memory map only (a consumer sees TRAN_MSG and sets the transaction id from UNIQ_KEY).
 */
export function finalMessage(half: StoredMessage): MessageInner {
  const props = half.propertiesString;
  return {
    topic: getProperty(props, MessageConst.PROPERTY_REAL_TOPIC) ?? half.topic,
    queueId: Number(getProperty(props, MessageConst.PROPERTY_REAL_QUEUE_ID) ?? 0),
    flag: half.flag,
    body: half.body,
    propertiesString: props,
    tagsCode: tagsCode(getProperty(props, MessageConst.PROPERTY_TAGS)),
    sysFlag: resetTransactionType(half.sysFlag, MessageSysFlag.TRANSACTION_COMMIT_TYPE),
    bornTimestamp: half.bornTimestamp,
    bornHost: half.bornHost,
    storeHost: half.storeHost,
    reconsumeTimes: half.reconsumeTimes,
    preparedTransactionOffset: half.commitLogOffset,
  };
}
