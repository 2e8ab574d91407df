import { type RemotingCommand, requestBody } from '../../remoting/command.js';
import { RequestCode as C } from '../../protocol/request-code.js';
import { parseFastJson } from '../../codec/fastjson.js';
import { ACCESS_KEY } from '../signature.js';
import { type Action, type Resource, isRetryTopic, ofCluster, ofGroup, ofTopic } from './model.js';
import { HEADER_ACTIONS } from './header-actions.js';
import { AuthorizationError } from './errors.js';
import { AUTHORIZED_AS, PROJECT_CLUSTER_RULES } from './project-rules.js';

/** RequestCode.RECALL_MESSAGE (5.3): not served by this broker, but authorized like the Java one. */
const RECALL_MESSAGE = 370;

/** One thing a request asks to do (DefaultAuthorizationContext): who, on what, which actions, from where. */
export interface AuthzContext {
  /** The AccessKey extField, when the request has one (User.of(accessKey)); undefined: no subject. */
  username?: string;
  resource: Resource;
  actions: readonly Action[];
  sourceIp: string;
}

/**
 * DefaultAuthorizationContextBuilder#build(ChannelHandlerContext, RemotingCommand) of 5.3.3: the codes
 * clients send most (send, pull, heartbeat, offsets, locks, route) are read by hand, as below; every other
 * code by its header class's annotations (header-actions.ts). A request without extFields, or a code with
 * neither, asks for nothing. A body or header that cannot be read refuses the request with Java's
 * "parse authorization context error.".
 */
export function buildContexts(request: RemotingCommand, sourceIp: string, clusterName: string): AuthzContext[] {
  const fields = request.extFields;
  // This project's rules (project-rules.ts) hold even for a request without extFields.
  const clusterActions = PROJECT_CLUSTER_RULES.get(request.code);
  if (clusterActions) {
    const username = fields && ACCESS_KEY in fields ? fields[ACCESS_KEY] : undefined;
    return [{ username, resource: ofCluster(clusterName), actions: clusterActions, sourceIp }];
  }
  if (!fields || Object.keys(fields).length === 0) return [];
  const username = ACCESS_KEY in fields ? fields[ACCESS_KEY] : undefined;
  const out: AuthzContext[] = [];
  const add = (resource: Resource, actions: readonly Action[]): void => {
    out.push({ username, resource, actions, sourceIp });
  };
  try {
    switch (AUTHORIZED_AS.get(request.code) ?? request.code) {
      case C.GET_ROUTEINFO_BY_TOPIC:
        if (isRetryTopic(fields.topic)) add(ofGroup(fields.topic), ['Sub', 'Get']);
        else add(ofTopic(fields.topic), ['Pub', 'Sub', 'Get']);
        break;
      case C.SEND_MESSAGE:
        if (isRetryTopic(fields.topic)) add(ofGroup(notBlank(fields.group) ? fields.group : fields.topic), ['Sub']);
        else add(ofTopic(fields.topic), ['Pub']);
        break;
      case C.SEND_MESSAGE_V2:
      case C.SEND_BATCH_MESSAGE:
        if (isRetryTopic(fields.b)) add(ofGroup(notBlank(fields.a) ? fields.a : fields.b), ['Sub']);
        else add(ofTopic(fields.b), ['Pub']);
        break;
      case RECALL_MESSAGE:
        add(ofTopic(fields.topic), ['Pub']);
        break;
      case C.END_TRANSACTION:
        if (notBlank(fields.topic)) add(ofTopic(fields.topic), ['Pub']);
        break;
      case C.CONSUMER_SEND_MSG_BACK:
        add(ofGroup(fields.group), ['Sub']);
        break;
      case C.PULL_MESSAGE:
        if (!isRetryTopic(fields.topic)) add(ofTopic(fields.topic), ['Sub']);
        add(ofGroup(fields.consumerGroup), ['Sub']);
        break;
      case C.QUERY_MESSAGE:
        add(ofTopic(fields.topic), ['Sub', 'Get']);
        break;
      case C.HEART_BEAT:
        for (const consumer of listOf(jsonBody(request).consumerDataSet)) {
          add(ofGroup(textOf(consumer.groupName)), ['Sub']);
          for (const sub of listOf(consumer.subscriptionDataSet)) {
            const topic = textOf(sub.topic);
            if (!isRetryTopic(topic)) add(ofTopic(topic), ['Sub']);
          }
        }
        break;
      case C.UNREGISTER_CLIENT:
        if (notBlank(fields.consumerGroup)) add(ofGroup(fields.consumerGroup), ['Sub']);
        break;
      case C.GET_CONSUMER_LIST_BY_GROUP:
        add(ofGroup(fields.consumerGroup), ['Sub', 'Get']);
        break;
      case C.QUERY_CONSUMER_OFFSET:
        if (!isRetryTopic(fields.topic)) add(ofTopic(fields.topic), ['Sub', 'Get']);
        add(ofGroup(fields.consumerGroup), ['Sub', 'Get']);
        break;
      case C.UPDATE_CONSUMER_OFFSET:
        if (!isRetryTopic(fields.topic)) add(ofTopic(fields.topic), ['Sub', 'Update']);
        add(ofGroup(fields.consumerGroup), ['Sub', 'Update']);
        break;
      case C.LOCK_BATCH_MQ:
      case C.UNLOCK_BATCH_MQ: {
        const body = jsonBody(request);
        add(ofGroup(textOf(body.consumerGroup)), ['Sub']);
        for (const mq of listOf(body.mqSet)) {
          const topic = textOf(mq.topic);
          if (!isRetryTopic(topic)) add(ofTopic(topic), ['Sub']);
        }
        break;
      }
      default:
        byAnnotation(request, clusterName, add);
    }
  } catch (e) {
    if (e instanceof AuthorizationError) throw e;
    throw new AuthorizationError('parse authorization context error.', { cause: e });
  }
  return out;
}

/** DefaultAuthorizationContextBuilder#buildContextByAnnotation. */
function byAnnotation(request: RemotingCommand, clusterName: string, add: (r: Resource, a: readonly Action[]) => void): void {
  const spec = HEADER_ACTIONS.get(request.code);
  if (!spec) return;
  const fields = request.extFields ?? {};
  // CreateTopicRequestHeader#checkFields runs while the header is decoded: TopicFilterType.valueOf.
  if (spec.header === 'CreateTopicRequestHeader' && fields.topicFilterType !== 'SINGLE_TAG' && fields.topicFilterType !== 'MULTI_TAG') {
    throw new Error(`topicFilterType = [${fields.topicFilterType}] value invalid`);
  }
  let named = false;
  for (const [field, type, splitter] of spec.fields) {
    const value = fields[field] ?? spec.defaults?.[field];
    if (value === undefined || value === null) continue;
    for (const name of splitter ? splitAny(value, splitter) : [value]) {
      named = true;
      if (type === 'Topic' && isRetryTopic(name)) add(ofGroup(name), spec.actions);
      else add({ type, name, pattern: 'LITERAL' }, spec.actions);
    }
  }
  if (!named && spec.resource === 'Cluster') add(ofCluster(clusterName), spec.actions);
}

/** StringUtils#split(text, chars): split on any of `chars`, no empty parts. */
function splitAny(text: string, chars: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (const ch of text) {
    if (chars.includes(ch)) {
      if (cur) out.push(cur);
      cur = '';
    } else cur += ch;
  }
  if (cur) out.push(cur);
  return out;
}

const notBlank = (s: string | undefined): s is string => typeof s === 'string' && s.trim() !== '';

type JsonObject = Record<string, unknown>;

/** A JSON body Java decodes into a bean: missing or not an object is a failure (a NullPointerException there). */
function jsonBody(request: RemotingCommand): JsonObject {
  const body = requestBody(request);
  if (!body) throw new Error('no body');
  const value = parseFastJson(body.toString('utf8'));
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error('body is not an object');
  return value as JsonObject;
}

/** A collection property of a bean; Java's beans start with an empty set, so an absent one is empty. */
function listOf(v: unknown): JsonObject[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw new Error('not a collection');
  return v.map((x) => {
    if (x === null || typeof x !== 'object') throw new Error('not an object');
    return x as JsonObject;
  });
}

function textOf(v: unknown): string | null {
  if (v === undefined || v === null) return null;
  return typeof v === 'string' ? v : String(v);
}
