/**
 * QUERY_MESSAGE (12), QueryMessageProcessor#queryMessage: messages of a topic by key (each
 * space-separated KEYS entry) or by unique key (UNIQ_KEY), found through the store's IndexFile,
 * at most `maxNum` (the store caps it at 64), stored between beginTimestamp and endTimestamp. The
 * client re-checks topic and key on what it gets, so an index hash collision costs only bandwidth.
 */
import type { BrokerContext } from '../../broker/broker-context.js';
import { type RemotingCommand, createResponse } from '../../remoting/command.js';
import { ResponseCode } from '../../protocol/response-code.js';
import { int, long, str, bool } from '../../remoting/header-fields.js';

export function queryMessage(ctx: BrokerContext, req: RemotingCommand): RemotingCommand {
  const h = req.extFields;
  // QueryMessageRequestHeader: Integer maxNum, Long beginTimestamp / endTimestamp, all parsed before use.
  const requestedMaxNum = int(h, 'maxNum');
  const beginTimestamp = long(h, 'beginTimestamp');
  const endTimestamp = long(h, 'endTimestamp');
  // A unique-key query always asks for defaultQueryMaxNum (QueryMessageProcessor).
  const maxNum = bool(h, '_UNIQUE_KEY_QUERY') ? ctx.config.defaultQueryMaxNum : requestedMaxNum;
  const result = ctx.store.queryMessage(str(h, 'topic'), str(h, 'key'), maxNum, beginTimestamp, endTimestamp);
  const ext = {
    indexLastUpdateTimestamp: String(result.indexLastUpdateTimestamp),
    indexLastUpdatePhyoffset: String(result.indexLastUpdatePhyoffset),
  };
  if (result.buffers.length === 0) {
    return createResponse(req, ResponseCode.QUERY_NOT_FOUND, 'can not find message, maybe time range not correct', ext);
  }
  return createResponse(req, ResponseCode.SUCCESS, undefined, ext, result.buffers);
}
