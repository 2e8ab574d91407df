/**
 * A request's FilterExpression as the proxy builds its SubscriptionData (FilterAPI#build over
 * GrpcConverter#buildExpressionType: SQL is SQL92, anything else TAG) and the check
 * PopMessageResultFilterImpl repeats on each popped message (FilterUtils#isTagMatched).
 */
import { ExpressionType, buildSubscriptionData, type SubscriptionData } from '../../broker/filter/subscription-data.js';
import { compileSql92, Sql92SyntaxError } from '../../filter/sql92.js';
import { ProxyError } from '../proxy-error.js';

/** The loader's FilterExpression: { type: 'TAG' | 'SQL' | 'FILTER_TYPE_UNSPECIFIED', expression }. */
export interface FilterExpressionPb {
  type?: string;
  expression?: string;
}

/**
 * The subscription for `topic`. ILLEGAL_FILTER_EXPRESSION for an empty SQL expression (FilterAPI's
 * "Expression can't be null! SQL92") and, here before the broker would refuse it with
 * SUBSCRIPTION_PARSE_FAILED (which the 5.3.3 proxy answers INTERNAL_SERVER_ERROR), for SQL92 that does
 * not parse.
 */
export function subscriptionOf(topic: string, f: FilterExpressionPb | null | undefined): SubscriptionData {
  const type = f?.type === 'SQL' ? ExpressionType.SQL92 : ExpressionType.TAG;
  const expression = f?.expression ?? '';
  if (type === ExpressionType.SQL92) {
    if (expression === '') throw new ProxyError('ILLEGAL_FILTER_EXPRESSION', `Expression can't be null! ${type}`);
    try {
      compileSql92(expression);
    } catch (e) {
      if (e instanceof Sql92SyntaxError) throw new ProxyError('ILLEGAL_FILTER_EXPRESSION', e.message);
      throw e;
    }
  }
  return buildSubscriptionData(topic, expression, type);
}

/** FilterUtils#isTagMatched: no tag set (all, or SQL92) matches everything; else the message's tag must be in it. */
export function tagMatches(sub: SubscriptionData, tag: string | undefined): boolean {
  if (sub.tagsSet.length === 0) return true;
  return tag !== undefined && sub.tagsSet.includes(tag);
}
