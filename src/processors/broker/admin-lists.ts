/**
 * The 5.x batch forms of topic and group creation (mqadmin updateTopicList, updateSubGroupList): each
 * item goes through the single-item processor, so a list item is checked and stored exactly as one
 * `updateTopic` / `updateSubGroup` would be; the first refused item ends the list with its answer, as
 * AdminBrokerProcessor#updateAndCreateTopicList validates before it stores.
 */
import type { BrokerContext } from '../../broker/broker-context.js';
import { type RemotingCommand, createRequest, createResponse } from '../../remoting/command.js';
import { RequestCode } from '../../protocol/request-code.js';
import { ResponseCode } from '../../protocol/response-code.js';
import { toFastJson } from '../../codec/fastjson.js';
import { jsonObjectBody } from '../request-body.js';
import { updateAndCreateTopic } from './topic-admin.js';
import { updateAndCreateSubscriptionGroup } from './admin-group.js';

/** Java's String.valueOf for a header field built from a JSON value. */
const text = (v: unknown): string | undefined => (v === undefined || v === null ? undefined : String(v));

/** UPDATE_AND_CREATE_TOPIC_LIST (18): body CreateTopicListRequestBody {topicConfigList: [TopicConfig]}. */
export async function updateAndCreateTopicList(ctx: BrokerContext, req: RemotingCommand): Promise<RemotingCommand> {
  const body = jsonObjectBody<{ topicConfigList?: Array<Record<string, unknown>> }>(req, 'topic config list', true);
  const list = Array.isArray(body.topicConfigList) ? body.topicConfigList : [];
  for (const tc of list) {
    const attributes = tc.attributes && typeof tc.attributes === 'object'
      ? Object.entries(tc.attributes as Record<string, unknown>).map(([k, v]) => `${k.startsWith('+') ? k : `+${k}`}=${String(v)}`).join(',')
      : undefined;
    const fields: Record<string, string | undefined> = {
      topic: text(tc.topicName), readQueueNums: text(tc.readQueueNums ?? 16), writeQueueNums: text(tc.writeQueueNums ?? 16),
      perm: text(tc.perm ?? 6), topicFilterType: text(tc.topicFilterType), topicSysFlag: text(tc.topicSysFlag),
      order: text(tc.order), attributes: attributes || undefined,
    };
    const extFields = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as Record<string, string>;
    const one = await updateAndCreateTopic(ctx, createRequest(RequestCode.UPDATE_AND_CREATE_TOPIC, extFields));
    if (one.code !== ResponseCode.SUCCESS) return createResponse(req, one.code, one.remark);
  }
  return createResponse(req, ResponseCode.SUCCESS);
}

/** UPDATE_AND_CREATE_SUBSCRIPTIONGROUP_LIST (225): body SubscriptionGroupList {groupConfigList: [SubscriptionGroupConfig]}. */
export async function updateAndCreateSubscriptionGroupList(ctx: BrokerContext, req: RemotingCommand): Promise<RemotingCommand> {
  const body = jsonObjectBody<{ groupConfigList?: unknown[] }>(req, 'subscription group list', true);
  for (const sg of Array.isArray(body.groupConfigList) ? body.groupConfigList : []) {
    const one = await updateAndCreateSubscriptionGroup(ctx,
      createRequest(RequestCode.UPDATE_AND_CREATE_SUBSCRIPTIONGROUP, {}, Buffer.from(toFastJson(sg), 'utf8')));
    if (one.code !== ResponseCode.SUCCESS) return createResponse(req, one.code, one.remark);
  }
  return createResponse(req, ResponseCode.SUCCESS);
}
