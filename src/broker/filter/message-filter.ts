import type { MessageFilter } from '../../store/types.js';
import { readPropertiesString } from '../../codec/message-record.js';
import { parseProperties } from '../../codec/message-properties.js';
import { isTagType, SUB_ALL, type SubscriptionData } from './subscription-data.js';
import type { ConsumerFilterData } from './consumer-filter-manager.js';

/**
 * The broker-side filter of one pull (broker/filter/ExpressionMessageFilter.java):
 * - TAG: a ConsumeQueue unit matches when the subscription is `*` or its tag hash is in codeSet
 *   (hash collisions pass; the client re-checks the tag string);
 * - SQL92: every unit passes the ConsumeQueue stage (we keep no bloom bit maps, as the Java broker
 *   with enableCalcFilterBitMap=false), then the record's properties are evaluated. Without compiled
 *   filter data everything passes, as in Java.
 */
export function buildMessageFilter(sub: SubscriptionData, filterData?: ConsumerFilterData): MessageFilter {
  if (sub.classFilterMode) return MATCH_ALL;
  if (isTagType(sub.expressionType)) {
    if (sub.subString === SUB_ALL || sub.codeSet.length === 0) return MATCH_ALL;
    const codes = new Set(sub.codeSet);
    return { isMatchedByConsumeQueue: (tagsCode) => codes.has(tagsCode | 0) };
  }
  const compiled = filterData?.compiled;
  if (!compiled) return MATCH_ALL;
  return {
    isMatchedByConsumeQueue: () => true,
    isMatchedByCommitLog: (record) => compiled.matches(parseProperties(readPropertiesString(record))),
  };
}

export const MATCH_ALL: MessageFilter = { isMatchedByConsumeQueue: () => true };
