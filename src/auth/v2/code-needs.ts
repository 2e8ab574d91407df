import { RequestCode as C } from '../../protocol/request-code.js';
import { HEADER_ACTIONS } from './header-actions.js';
import { AUTHORIZED_AS, PROJECT_CLUSTER_RULES } from './project-rules.js';

/**
 * What each request code needs under ACL 2.0 authorization, in words, for every code 5.3.3's
 * DefaultAuthorizationContextBuilder covers (its switch, then the header annotations). Every request
 * also needs authentication when `authenticationEnabled` (a known user, enabled, a valid signature);
 * a Super user passes every authorization. A resource is `Type:{extField}`, `<cluster>` being this
 * broker's brokerClusterName; "A/B" means any one of the actions suffices (PolicyEntry#isMatchAction);
 * several resources are checked in order and each must be allowed; a header field that is absent
 * asks nothing; in the rows from annotations a %RETRY% value of a Topic field is checked as its Group.
 * Codes not listed need authentication only, and so do the ones marked so. This table documents; the
 * gate runs context-builder.ts, which the tests hold to the same answers.
 */
const RETRY = 'a %RETRY% topic is checked as its group';

const BY_RULE: ReadonlyArray<readonly [number, string]> = [
  [C.GET_ROUTEINFO_BY_TOPIC, `Topic:{topic} Pub/Sub/Get; ${RETRY} with Sub/Get`],
  [C.SEND_MESSAGE, 'Topic:{topic} Pub; to a %RETRY% topic: Group:{group, else the topic\'s group} Sub'],
  [C.SEND_MESSAGE_V2, 'Topic:{b} Pub; to a %RETRY% topic: Group:{a, else the topic\'s group} Sub'],
  [C.SEND_BATCH_MESSAGE, 'Topic:{b} Pub; to a %RETRY% topic: Group:{a, else the topic\'s group} Sub'],
  [370, 'Topic:{topic} Pub (RECALL_MESSAGE)'],
  [C.END_TRANSACTION, 'Topic:{topic} Pub when the header names a topic, else authenticated only'],
  [C.CONSUMER_SEND_MSG_BACK, 'Group:{group} Sub'],
  [C.PULL_MESSAGE, 'Topic:{topic} Sub (not for a %RETRY% topic), then Group:{consumerGroup} Sub'],
  [C.QUERY_MESSAGE, 'Topic:{topic} Sub/Get'],
  [C.HEART_BEAT, 'per consumer in the body: Group:{groupName} Sub, then each subscribed Topic Sub (%RETRY% topics skipped); producers: nothing'],
  [C.UNREGISTER_CLIENT, 'Group:{consumerGroup} Sub when the header names one, else authenticated only'],
  [C.GET_CONSUMER_LIST_BY_GROUP, 'Group:{consumerGroup} Sub/Get'],
  [C.QUERY_CONSUMER_OFFSET, 'Topic:{topic} Sub/Get (not for a %RETRY% topic), then Group:{consumerGroup} Sub/Get'],
  [C.UPDATE_CONSUMER_OFFSET, 'Topic:{topic} Sub/Update (not for a %RETRY% topic), then Group:{consumerGroup} Sub/Update'],
  [C.LOCK_BATCH_MQ, 'Group:{body consumerGroup} Sub, then each queue\'s Topic Sub (%RETRY% topics skipped)'],
  [C.UNLOCK_BATCH_MQ, 'Group:{body consumerGroup} Sub, then each queue\'s Topic Sub (%RETRY% topics skipped)'],
];

function byAnnotation(): Array<readonly [number, string]> {
  const out: Array<readonly [number, string]> = [];
  for (const [code, spec] of HEADER_ACTIONS) {
    const actions = spec.actions.join('/');
    const named = spec.fields.map(([field, type, splitter]) => {
      const dflt = spec.defaults?.[field];
      return `${type}:{${field}${dflt === undefined ? '' : `, else '${dflt}'`}}${splitter ? ` (each of a '${splitter}'-separated list)` : ''}`;
    });
    let text: string;
    if (named.length > 0) {
      text = `${named.join(', ')} ${actions}`;
      const always = spec.fields.some(([field]) => spec.defaults?.[field] !== undefined);
      if (spec.resource === 'Cluster' && !always) text += `; when none is present: Cluster:<cluster> ${actions}`;
    } else if (spec.resource === 'Cluster') {
      text = `Cluster:<cluster> ${actions}`;
    } else {
      text = 'authenticated only (the annotation names no resource field)';
    }
    out.push([code, text]);
  }
  return out;
}

const SUPER_ONLY: ReadonlyMap<number, string> = new Map([
  [C.AUTH_CREATE_USER, '; creating a Super user also takes a Super user (AdminBrokerProcessor)'],
  [C.AUTH_UPDATE_USER, '; making or changing a Super user also takes a Super user (AdminBrokerProcessor)'],
  [C.AUTH_DELETE_USER, '; deleting a Super user also takes a Super user (AdminBrokerProcessor)'],
]);

function build(): Map<number, string> {
  const m = new Map<number, string>(byAnnotation());
  // The switch wins over the annotation, as the builder tries it first.
  for (const [code, text] of BY_RULE) m.set(code, text);
  for (const [code, extra] of SUPER_ONLY) m.set(code, (m.get(code) ?? '') + extra);
  for (const [code, actions] of PROJECT_CLUSTER_RULES) m.set(code, `Cluster:<cluster> ${actions.join('/')} (added by rocketmq-ts)`);
  for (const [code, as] of AUTHORIZED_AS) m.set(code, `as ${m.get(as) ?? ''} (added by rocketmq-ts)`);
  return new Map([...m].sort((a, b) => a[0] - b[0]));
}

export const AUTH_CODE_NEEDS: ReadonlyMap<number, string> = build();
