import { javaStringHash } from '../../codec/message-properties.js';

export const SUB_ALL = '*';
export const ExpressionType = { TAG: 'TAG', SQL92: 'SQL92' } as const;

/** common/protocol/heartbeat/SubscriptionData.java. */
export interface SubscriptionData {
  topic: string;
  subString: string;
  tagsSet: string[];
  codeSet: number[];
  subVersion: number;
  expressionType: string;
  classFilterMode: boolean;
}

export const isTagType = (t: string | undefined): boolean => !t || t === ExpressionType.TAG;

/**
 * FilterAPI#buildSubscriptionData for TAG expressions: `*` or blank subscribes to all; otherwise
 * tags split on `||`, trimmed, each with its Java hash in codeSet.
 */
export function buildSubscriptionData(topic: string, subString: string | undefined, expressionType?: string): SubscriptionData {
  const sd: SubscriptionData = {
    topic,
    subString: subString ?? SUB_ALL,
    tagsSet: [],
    codeSet: [],
    subVersion: Date.now(),
    expressionType: expressionType || ExpressionType.TAG,
    classFilterMode: false,
  };
  if (!isTagType(sd.expressionType)) return sd;
  if (!subString || !subString.trim() || subString === SUB_ALL) {
    sd.subString = SUB_ALL;
    return sd;
  }
  for (const raw of subString.split('||')) {
    const tag = raw.trim();
    if (!tag) continue;
    sd.tagsSet.push(tag);
    sd.codeSet.push(javaStringHash(tag));
  }
  return sd;
}

/** SubscriptionData from a heartbeat body (Go sends codeSet entries as strings). */
export function subscriptionFromJson(o: Record<string, unknown>): SubscriptionData {
  return {
    topic: String(o.topic),
    subString: o.subString == null ? SUB_ALL : String(o.subString),
    tagsSet: Array.isArray(o.tagsSet) ? o.tagsSet.map(String) : [],
    codeSet: Array.isArray(o.codeSet) ? o.codeSet.map(Number) : [],
    subVersion: Number(o.subVersion ?? 0),
    expressionType: typeof o.expressionType === 'string' ? o.expressionType : ExpressionType.TAG,
    classFilterMode: o.classFilterMode === true,
  };
}
