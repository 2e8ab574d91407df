/**
 * The producer side and the client plumbing of the MessagingService: QueryRoute, Heartbeat,
 * SendMessage, EndTransaction, Telemetry, NotifyClientTermination. RecallMessage and
 * SyncLiteSubscription (newer than the SDKs we serve) are left to server-binding's NOT_IMPLEMENTED.
 */
import { heartbeat, notifyClientTermination } from '../client/heartbeat.js';
import { telemetry } from '../client/telemetry.js';
import { endTransaction } from '../producer/end-transaction.js';
import { queryRoute } from '../producer/query-route.js';
import { sendMessage } from '../producer/send-message.js';
import type { RpcTable } from './rpc-types.js';

export const PRODUCER_RPCS: RpcTable = {
  QueryRoute: { kind: 'unary', handle: queryRoute },
  Heartbeat: { kind: 'unary', handle: heartbeat },
  SendMessage: { kind: 'unary', handle: sendMessage },
  EndTransaction: { kind: 'unary', handle: (ctx, req) => endTransaction(ctx, req) },
  NotifyClientTermination: { kind: 'unary', handle: notifyClientTermination },
  Telemetry: { kind: 'bidi', handle: telemetry },
};
