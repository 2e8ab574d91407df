/**
 * Transactions through the proxy, as rocketmq-proxy 5.3.3's cluster mode runs them
 * (ClusterTransactionService, TransactionDataManager, ProxyClientRemotingProcessor, GrpcClientChannel):
 *
 * - A half message sent here leaves its broker, queue offset and CommitLog offset behind, keyed by
 *   producer group (= topic) and transaction id, for the EndTransaction that follows
 *   (transactionDataExpireMillis; after that EndTransaction answers "cannot found transaction data").
 * - Every transactionHeartbeatPeriodSecond (and at once when a producer's settings arrive) the proxy
 *   heartbeats each producer group its gRPC producers publish to, to every broker of the topic, as
 *   client "rmq-proxy-producer-client": the broker then sends its CHECK_TRANSACTION_STATE for those
 *   groups' orphaned halves on our connection.
 * - Such a check is remembered like a send and handed to one of the group's producers with an open
 *   Telemetry stream as a RecoverOrphanedTransactionCommand; the SDK answers with EndTransaction
 *   (source SOURCE_SERVER_CHECK). No producer online: the check is dropped, the broker asks again.
 */
import { RequestCode } from '../protocol/request-code.js';
import { MessageConst } from '../protocol/message-const.js';
import { createRequest, type RemotingCommand } from '../remoting/command.js';
import type { Connection } from '../remoting/connection.js';
import { log } from '../logger.js';
import { decodeMessages, toGrpcMessage } from './convert/from-remoting.js';
import type { BrokerApi } from './broker-api.js';
import type { ClientRegistry } from './client-registry.js';
import type { ProxyConfig } from './proxy-config.js';
import type { TopicRoutes } from './topic-routes.js';

/** The parts of the ProxyContext the relay uses (the context builds the relay, so it is not imported here). */
export interface RelayDeps {
  readonly config: ProxyConfig;
  readonly brokers: BrokerApi;
  readonly routes: TopicRoutes;
  readonly clients: ClientRegistry;
  every(periodMs: number, task: () => void | Promise<void>): void;
}

export const TRANS_HEARTBEAT_CLIENT_ID = 'rmq-proxy-producer-client';
/** Transaction records kept at most; the oldest goes first past it. */
const TRANSACTION_DATA_MAX = 100_000;

export interface TransactionData {
  brokerName: string;
  brokerAddr: string;
  tranStateTableOffset: number;
  commitLogOffset: number;
}

interface Kept extends TransactionData {
  expiresAtMs: number;
}

export class TransactionRelay {
  private readonly data = new Map<string, Kept>();
  /** Producer groups already heartbeated, so a new one is sent at once. */
  private readonly announced = new Set<string>();

  constructor(private readonly ctx: RelayDeps) {}

  start(): void {
    this.ctx.brokers.onBrokerRequest(RequestCode.CHECK_TRANSACTION_STATE, (conn, req) => this.onCheck(conn, req));
    this.ctx.every(this.ctx.config.transactionHeartbeatPeriodSecond * 1000, () => this.heartbeat());
    this.ctx.every(10_000, () => this.expire());
    this.ctx.clients.onChange((client, event) => {
      if (event === 'settings' && client.producerTopics.some((t) => !this.announced.has(t))) void this.heartbeat();
    });
  }

  remember(producerGroup: string, transactionId: string, d: TransactionData): void {
    const key = `${producerGroup}\u0001${transactionId}`;
    this.data.delete(key);
    if (this.data.size >= TRANSACTION_DATA_MAX) this.data.delete(this.data.keys().next().value as string);
    this.data.set(key, { ...d, expiresAtMs: Date.now() + this.ctx.config.transactionDataExpireMillis });
  }

  /** The record for an EndTransaction, removed; undefined when unknown or expired. */
  take(producerGroup: string, transactionId: string): TransactionData | undefined {
    const key = `${producerGroup}\u0001${transactionId}`;
    const d = this.data.get(key);
    this.data.delete(key);
    return d && d.expiresAtMs >= Date.now() ? d : undefined;
  }

  /** One HEART_BEAT per broker naming every producer group gRPC producers publish to. */
  async heartbeat(): Promise<void> {
    const groups = [...this.ctx.clients.producerTopics()];
    const byBroker = new Map<string, Set<string>>();
    for (const group of groups) {
      this.announced.add(group);
      try {
        const route = await this.ctx.routes.route(group);
        for (const b of route.brokerDatas) {
          for (const addr of b.brokerAddrs.values()) {
            let set = byBroker.get(addr);
            if (!set) byBroker.set(addr, (set = new Set()));
            set.add(group);
          }
        }
      } catch {
        // A topic without a route has no broker to check from.
      }
    }
    for (const [addr, set] of byBroker) {
      const body = JSON.stringify({
        clientID: TRANS_HEARTBEAT_CLIENT_ID,
        consumerDataSet: [],
        producerDataSet: [...set].map((groupName) => ({ groupName })),
      });
      this.ctx.brokers.invoke(addr, createRequest(RequestCode.HEART_BEAT, undefined, Buffer.from(body))).catch((e) =>
        log.debug(`proxy: transaction heartbeat to ${addr}: ${(e as Error).message}`),
      );
    }
  }

  private expire(): void {
    const now = Date.now();
    for (const [k, d] of this.data) if (d.expiresAtMs < now) this.data.delete(k);
  }

  private onCheck(conn: Connection, req: RemotingCommand): void {
    const h = req.extFields ?? {};
    const message = decodeMessages(req.body as Buffer | undefined)[0];
    if (!message) return;
    const group = message.properties.get(MessageConst.PROPERTY_PRODUCER_GROUP);
    const transactionId = h.transactionId || message.properties.get(MessageConst.PROPERTY_UNIQ_CLIENT_MESSAGE_ID_KEYIDX);
    if (!group || !transactionId) return;
    const brokerAddr = conn.remoteAddr;
    let brokerName = '';
    for (const [name, addr] of this.ctx.routes.knownMasters()) if (addr === brokerAddr) brokerName = name;
    this.remember(group, transactionId, {
      brokerName,
      brokerAddr,
      tranStateTableOffset: Number(h.tranStateTableOffset ?? 0),
      commitLogOffset: Number(h.commitLogOffset ?? 0),
    });
    const producers = this.ctx.clients.producersWithTelemetry(group);
    if (producers.length === 0) {
      log.debug(`proxy: check of transaction ${transactionId} (group ${group}): no producer online`);
      return;
    }
    const target = producers[Math.floor(Math.random() * producers.length)];
    this.ctx.clients.sendTelemetry(target.clientId, {
      recoverOrphanedTransactionCommand: { message: toGrpcMessage(message), transactionId },
    });
  }
}
