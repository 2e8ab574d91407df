/**
 * The Telemetry stream (ClientActivity#telemetry): the client's Settings in, the proxy's completed
 * Settings out (settings.ts; a consumer's through ctx.hooks.subscriptionSettings), and the stream
 * kept as the client's channel for commands the proxy starts (RecoverOrphanedTransactionCommand from
 * transaction-relay.ts). Thread-stack and verify-message results are accepted and logged: this
 * endpoint sends those commands to nobody yet (the Apache proxy relays them from a broker's
 * GET_CONSUMER_RUNNING_INFO / CONSUME_MESSAGE_DIRECTLY, which needs consumers registered with brokers).
 *
 * A bad command ends the stream as the Apache proxy ends it: INVALID_ARGUMENT for a 4xxxx status
 * (an illegal topic or group, settings without publishing or subscription), INTERNAL otherwise.
 */
import * as grpc from '@grpc/grpc-js';
import { log } from '../../logger.js';
import type { ProxyContext } from '../context.js';
import { OK_STATUS, ProxyError, statusOf } from '../proxy-error.js';
import type { RequestMeta } from '../grpc/rpc-types.js';
import { producerSettings } from '../settings.js';
import { validateGroupName, validateTopicName } from '../validate.js';

/** When the settings answer is written a second time (see onCommand). */
const SETTINGS_REPEAT_MS = 1_000;

export function telemetry(ctx: ProxyContext, call: grpc.ServerDuplexStream<any, any>, meta: RequestMeta): void {
  let ended = false;
  const fail = (e: unknown): void => {
    if (ended) return;
    ended = true;
    const s = statusOf(e);
    const number = STATUS_NUMBERS[s.code] ?? 50000;
    const code = number >= 40000 && number < 50000 ? grpc.status.INVALID_ARGUMENT : grpc.status.INTERNAL;
    call.emit('error', { code, details: `process client telemetryCommand failed. ${s.message}` });
  };
  call.on('data', (command: any) => {
    onCommand(ctx, call, meta, command).catch(fail);
  });
  call.on('end', () => {
    if (!ended) {
      ended = true;
      call.end();
    }
  });
  const detach = (): void => {
    const client = ctx.clients.get(meta.clientId);
    if (client?.telemetry === call) client.telemetry = undefined;
  };
  call.on('close', detach);
  call.on('cancelled', detach);
  call.on('error', () => detach());
}

async function onCommand(ctx: ProxyContext, call: grpc.ServerDuplexStream<any, any>, meta: RequestMeta, command: any): Promise<void> {
  const client = ctx.clients.touch(meta);
  switch (command.command) {
    case 'settings': {
      const settings = command.settings ?? {};
      if (settings.pubSub === 'publishing') {
        for (const t of settings.publishing?.topics ?? []) validateTopicName(t.name);
      } else if (settings.pubSub === 'subscription') {
        validateGroupName(settings.subscription?.group?.name);
      } else {
        throw new ProxyError('BAD_REQUEST', 'there is no publishing or subscription data in settings');
      }
      client.telemetry = call;
      ctx.clients.setSettings(client, settings);
      const answer = settings.pubSub === 'publishing'
        ? producerSettings(ctx.config, settings)
        : await ctx.hooks.subscriptionSettings(settings);
      call.write({ status: OK_STATUS, settings: answer });
      // rocketmq-client-nodejs 1.0.8 opens this stream while it still fetches the routes of its other
      // topics, and waits for a settings command only after the last one: an answer that came before
      // is missed and its startup hangs until the 5-minute settings sync. Saying it once more a moment
      // later costs the other SDKs nothing (they take settings whenever they come).
      const again = setTimeout(() => {
        if (!call.cancelled && !call.destroyed && call.writable) call.write({ status: OK_STATUS, settings: answer });
      }, SETTINGS_REPEAT_MS);
      again.unref();
      call.once('close', () => clearTimeout(again));
      return;
    }
    case 'threadStackTrace':
    case 'verifyMessageResult':
      log.debug(`grpc telemetry ${command.command} from ${meta.clientId}: ${command.status?.code}`);
      return;
    default:
      return;
  }
}

/** The numbers of the codes statusOf can give, for the 4xxxx test above. */
const STATUS_NUMBERS: Partial<Record<string, number>> = {
  BAD_REQUEST: 40000, ILLEGAL_TOPIC: 40002, ILLEGAL_CONSUMER_GROUP: 40003, UNRECOGNIZED_CLIENT_TYPE: 40015,
  CLIENT_ID_REQUIRED: 40017, TOPIC_NOT_FOUND: 40402, CONSUMER_GROUP_NOT_FOUND: 40403, FORBIDDEN: 40300,
  TOO_MANY_REQUESTS: 42900,
};
