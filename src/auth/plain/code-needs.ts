/**
 * What each request code needs from an account, read from the request as PlainAccessValidator.parse (4.9.7)
 * reads it, plus the admin codes. Codes not listed here need only a valid signature. The table is
 * declarative so the README's table and the ACL fuzz test can be generated from it (PLAIN_CODE_NEEDS).
 */
import { RequestCode } from '../../protocol/request-code.js';
import { TopicValidator } from '../../protocol/topic-validator.js';
import { parseFastJson } from '../../codec/fastjson.js';
import { Perm, isRetryTopic, retryTopicOf } from './permission.js';

/** A resource a request touches and the bit it needs; put twice, a resource keeps its first place (HashMap.put). */
export type Needs = Map<string, number>;

/** Why a request could not be read (PlainAccessValidator.parse wraps the cause's message in an AclException). */
export class NeedsError extends Error {
  constructor(readonly javaMessage: string | null) {
    super(javaMessage ?? 'null');
  }
}

interface CodeRule {
  /** What the code needs, in words (README table, fuzz test). */
  need: string;
  collect(fields: Record<string, string>, body: Buffer | undefined, out: Needs): void;
}

function add(out: Needs, resource: string | undefined, perm: number): void {
  // PlainAccessResource.addResourceAndPerm ignores a null resource (an absent header field).
  if (resource !== undefined && resource !== null) out.set(resource, perm);
}

const group = (g: string | undefined): string | undefined => (g == null ? undefined : retryTopicOf(g));

/** A send: PUB on the topic, or, for a retry topic, SUB on the retry topic of the named group. */
function send(topicField: string, groupField: string): CodeRule['collect'] {
  return (f, _b, out) => {
    const topic = f[topicField];
    if (topic != null && isRetryTopic(topic)) add(out, group(f[groupField]), Perm.SUB);
    else add(out, topic, Perm.PUB);
  };
}

/** A read of a topic's messages for a consumer group: SUB on the topic, then on the group's retry topic. */
const pull: CodeRule['collect'] = (f, _b, out) => {
  add(out, f.topic, Perm.SUB);
  add(out, group(f.consumerGroup), Perm.SUB);
};

const RULES: ReadonlyArray<[number, CodeRule]> = [
  [RequestCode.SEND_MESSAGE, {
    // SendMessageRequestHeader has no `group` field, so a retry-topic send normally adds nothing.
    need: 'topic PUB; for a %RETRY% topic instead SUB on the retry topic of extField `group` (Java clients send none, so nothing is checked)',
    collect: send('topic', 'group'),
  }],
  [RequestCode.SEND_MESSAGE_V2, {
    need: 'topic (`b`) PUB; for a %RETRY% topic instead group (`a`, the producer group) SUB',
    collect: send('b', 'a'),
  }],
  // Added by rocketmq-ts: 4.9.7 checks only the signature of a batch send, so an account DENYed a topic
  // could still write to it in batches.
  [RequestCode.SEND_BATCH_MESSAGE, {
    need: 'as SEND_MESSAGE_V2 (added by rocketmq-ts)',
    collect: send('b', 'a'),
  }],
  [RequestCode.CONSUMER_SEND_MSG_BACK, {
    need: 'group SUB',
    collect: (f, _b, out) => add(out, group(f.group), Perm.SUB),
  }],
  [RequestCode.PULL_MESSAGE, {
    need: 'topic SUB and consumerGroup SUB',
    collect: pull,
  }],
  // Added by rocketmq-ts: the 5.x lite-pull code reads messages as PULL_MESSAGE does, same header.
  [RequestCode.LITE_PULL_MESSAGE, {
    need: 'as PULL_MESSAGE (added by rocketmq-ts)',
    collect: pull,
  }],
  // Added by rocketmq-ts: the 5.x POP codes read (or settle) messages of a topic for a group, as a pull
  // does; 4.9 has no POP, so nothing in Java decides what an account needs for them.
  ...[RequestCode.POP_MESSAGE, RequestCode.PEEK_MESSAGE, RequestCode.ACK_MESSAGE, RequestCode.CHANGE_MESSAGE_INVISIBLETIME,
    RequestCode.NOTIFICATION, RequestCode.POLLING_INFO].map((code): [number, CodeRule] => [code, {
    need: 'topic SUB and consumerGroup SUB (added by rocketmq-ts)',
    collect: pull,
  }]),
  [RequestCode.QUERY_MESSAGE, {
    need: 'topic SUB',
    collect: (f, _b, out) => add(out, f.topic, Perm.SUB),
  }],
  [RequestCode.HEART_BEAT, {
    need: 'for each consumer in the body: its group SUB and every subscribed topic SUB (producer groups are not checked)',
    collect: (_f, body, out) => heartbeatNeeds(body, out),
  }],
  [RequestCode.UNREGISTER_CLIENT, {
    need: 'consumerGroup SUB (when present)',
    collect: (f, _b, out) => add(out, group(f.consumerGroup), Perm.SUB),
  }],
  [RequestCode.GET_CONSUMER_LIST_BY_GROUP, {
    need: 'consumerGroup SUB',
    collect: (f, _b, out) => add(out, group(f.consumerGroup), Perm.SUB),
  }],
  [RequestCode.UPDATE_CONSUMER_OFFSET, {
    need: 'consumerGroup SUB and topic SUB',
    collect: (f, _b, out) => {
      add(out, group(f.consumerGroup), Perm.SUB);
      add(out, f.topic, Perm.SUB);
    },
  }],
];

const RULE_BY_CODE = new Map<number, CodeRule>(RULES);

/**
 * Codes that need `admin: true`. Java's Permission.ADMIN_CODE is 17, 25, 215, 200, 207. This project adds
 * the codes that change ACL itself (50, 51, 53: in Java any signed account may rewrite plain_acl.yml), 54
 * (its answer carries every account's secret key), 401 (switches a group between PULL and POP), the
 * store-cleaning admin codes 306, 316, 329, which delete data, and the 5.x codes listed last; their
 * refusal reads as Java's admin refusal.
 */
export const JAVA_ADMIN_CODES: ReadonlySet<number> = new Set([
  RequestCode.UPDATE_AND_CREATE_TOPIC, RequestCode.UPDATE_BROKER_CONFIG, RequestCode.DELETE_TOPIC_IN_BROKER,
  RequestCode.UPDATE_AND_CREATE_SUBSCRIPTIONGROUP, RequestCode.DELETE_SUBSCRIPTIONGROUP,
]);
export const PROJECT_ADMIN_CODES: ReadonlySet<number> = new Set([
  RequestCode.UPDATE_AND_CREATE_ACL_CONFIG, RequestCode.DELETE_ACL_CONFIG, RequestCode.UPDATE_GLOBAL_WHITE_ADDRS_CONFIG,
  RequestCode.GET_BROKER_CLUSTER_ACL_CONFIG, RequestCode.SET_MESSAGE_REQUEST_MODE, RequestCode.CLEAN_EXPIRED_CONSUMEQUEUE, RequestCode.CLEAN_UNUSED_TOPIC, RequestCode.DELETE_EXPIRED_COMMITLOG,
  // 5.x codes with no 4.9 rule: the list forms of 17 and 200 (admin in Java), and broker-wide store switches.
  RequestCode.UPDATE_AND_CREATE_TOPIC_LIST, RequestCode.UPDATE_AND_CREATE_SUBSCRIPTIONGROUP_LIST, RequestCode.UPDATE_COLD_DATA_FLOW_CTR_CONFIG,
  RequestCode.REMOVE_COLD_DATA_FLOW_CTR_CONFIG, RequestCode.SET_COMMITLOG_READ_MODE, RequestCode.RESET_MASTER_FLUSH_OFFSET, RequestCode.POP_ROLLBACK,
]);
export const PLAIN_ADMIN_CODES: ReadonlySet<number> = new Set([...JAVA_ADMIN_CODES, ...PROJECT_ADMIN_CODES]);

/** What a code needs beyond a valid signature when it is in no table. */
export const PLAIN_DEFAULT_NEED = 'valid signature';

/** Code -> what it needs, in words: the resource codes, then the admin codes. */
export const PLAIN_CODE_NEEDS: ReadonlyMap<number, string> = new Map<number, string>([
  ...RULES.map(([code, r]): [number, string] => [code, r.need]),
  ...[...JAVA_ADMIN_CODES].map((c): [number, string] => [c, 'admin: true (Java Permission.ADMIN_CODE)']),
  ...[...PROJECT_ADMIN_CODES].map((c): [number, string] => [c, 'admin: true (added by rocketmq-ts)']),
]);

/** The resources a request needs, in put order; undefined when the code checks none. Throws NeedsError. */
export function requestNeeds(code: number, fields: Record<string, string>, body: Buffer | undefined): Needs | undefined {
  const rule = RULE_BY_CODE.get(code);
  if (!rule) return undefined;
  const out: Needs = new Map();
  rule.collect(fields, body, out);
  return out.size > 0 ? out : undefined;
}

/** Trace messages (a send to RMQ_SYS_TRACE_TOPIC) skip the permission check. */
export const isTraceSend = (needs: Needs): boolean => needs.get(TopicValidator.RMQ_SYS_TRACE_TOPIC) === Perm.PUB;

const NPE_NO_BODY = 'Cannot read the array length because "bytes" is null';
const NPE_NULL_DATA = 'Cannot invoke "org.apache.rocketmq.common.protocol.heartbeat.HeartbeatData.getConsumerDataSet()" because "heartbeatData" is null';
const npeNullSet = (getter: string): string => `Cannot invoke "java.util.Set.iterator()" because the return value of "org.apache.rocketmq.common.protocol.heartbeat.${getter}()" is null`;

/**
 * HEART_BEAT: HeartbeatData.decode of the body, then each consumerData's group and subscriptions. The
 * messages of the NullPointerExceptions are JDK 17's for the Java code paths (an absent body, a body that
 * reads as null, a null set); a body fastjson cannot read gives our parser's message instead of fastjson's.
 */
function heartbeatNeeds(body: Buffer | undefined, out: Needs): void {
  if (!body || body.length === 0) throw new NeedsError(NPE_NO_BODY);
  let hb: unknown;
  try {
    hb = parseFastJson(body.toString('utf8'));
  } catch (e) {
    throw new NeedsError((e as Error).message);
  }
  if (hb === null) throw new NeedsError(NPE_NULL_DATA);
  if (typeof hb !== 'object' || Array.isArray(hb)) throw new NeedsError(`heartbeat body is not an object`);
  const consumers = (hb as Record<string, unknown>).consumerDataSet;
  if (consumers === undefined) return;
  if (consumers === null) throw new NeedsError(npeNullSet('HeartbeatData.getConsumerDataSet'));
  if (!Array.isArray(consumers)) throw new NeedsError('consumerDataSet is not a list');
  for (const cd of consumers) {
    if (cd === null || typeof cd !== 'object') continue;
    const c = cd as Record<string, unknown>;
    add(out, group(javaText(c.groupName)), Perm.SUB);
    const subs = c.subscriptionDataSet;
    if (subs === undefined) continue;
    if (subs === null) throw new NeedsError(npeNullSet('ConsumerData.getSubscriptionDataSet'));
    if (!Array.isArray(subs)) throw new NeedsError('subscriptionDataSet is not a list');
    for (const sd of subs) {
      if (sd !== null && typeof sd === 'object') add(out, javaText((sd as Record<string, unknown>).topic), Perm.SUB);
    }
  }
}

/** A JSON value read into a Java String field (fastjson turns numbers and booleans into their text). */
function javaText(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  return typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v);
}
