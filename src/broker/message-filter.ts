import type { MessageFilter } from '../store/types.js';
import { isTagType, SUB_ALL, type SubscriptionData } from './subscription-data.js';

export class FilterParseError extends Error {}

/**
 * ExpressionMessageFilter for TAG subscriptions: a ConsumeQueue unit matches when the
 * subscription is `*` or its tag hash is in codeSet (the client re-checks the tag string).
 */
export function buildMessageFilter(sub: SubscriptionData): MessageFilter {
  if (!isTagType(sub.expressionType)) {
    throw new FilterParseError(`expression type ${sub.expressionType} is not supported yet`);
  }
  if (sub.classFilterMode || sub.subString === SUB_ALL || sub.codeSet.length === 0) return MATCH_ALL;
  const codes = new Set(sub.codeSet);
  return { isMatchedByConsumeQueue: (tagsCode) => codes.has(tagsCode | 0) };
}

export const MATCH_ALL: MessageFilter = { isMatchedByConsumeQueue: () => true };
