import { type RemotingCommand, createResponse } from '../../remoting/command.js';
import { ResponseCode } from '../../protocol/response-code.js';
import type { PutMessageResult } from '../../store/types.js';

/** The one switch from store status to response code (SendMessageProcessor#handlePutMessageResult). */
export function putResultToResponse(req: RemotingCommand, result: PutMessageResult, maxMessageSize: number, ext: Record<string, string>): RemotingCommand {
  const r = (code: number, remark?: string): RemotingCommand => createResponse(req, code, remark, { ...ext });
  switch (result.status) {
    case 'PUT_OK':
      return r(ResponseCode.SUCCESS);
    case 'FLUSH_DISK_TIMEOUT':
      return r(ResponseCode.FLUSH_DISK_TIMEOUT);
    case 'FLUSH_SLAVE_TIMEOUT':
      return r(ResponseCode.FLUSH_SLAVE_TIMEOUT);
    case 'SLAVE_NOT_AVAILABLE':
      return r(ResponseCode.SLAVE_NOT_AVAILABLE);
    case 'CREATE_MAPEDFILE_FAILED':
      return r(ResponseCode.SYSTEM_ERROR, 'create mapped file failed, server is busy or broken.');
    case 'MESSAGE_ILLEGAL':
    case 'PROPERTIES_SIZE_EXCEEDED':
      return r(
        ResponseCode.MESSAGE_ILLEGAL,
        result.remark ??
          `the message is illegal, maybe msg body or properties length not matched. msg body length limit ${maxMessageSize}B, msg properties length limit 32KB.`,
      );
    case 'SERVICE_NOT_AVAILABLE':
      return r(
        ResponseCode.SERVICE_NOT_AVAILABLE,
        `service not available now. It may be caused by one of the following reasons: the broker's disk is full${result.remark ? ` [${result.remark}]` : ''}, messages are put to the slave, message store has been shut down, etc.`,
      );
    case 'OS_PAGECACHE_BUSY':
      return r(ResponseCode.SYSTEM_ERROR, '[PC_SYNCHRONIZED]broker busy, start flow control for a while');
    default:
      return r(ResponseCode.SYSTEM_ERROR, result.remark ?? 'UNKNOWN_ERROR');
  }
}

/** True for statuses where the message was stored (the client may still see a non-SUCCESS code). */
export const isStored = (r: PutMessageResult): boolean =>
  r.status === 'PUT_OK' || r.status === 'FLUSH_DISK_TIMEOUT' || r.status === 'FLUSH_SLAVE_TIMEOUT' || r.status === 'SLAVE_NOT_AVAILABLE';
