/**
 * The statuses the gRPC endpoint answers with. Every MessagingService response carries an
 * apache.rocketmq.v2.Status { code, message } in its body (the gRPC call itself ends OK), as
 * rocketmq-proxy 5.3.3's GrpcMessagingApplication writes it: a handler throws a ProxyError (or a
 * broker's remoting answer becomes one through `fromRemoting`), and the server turns it into the
 * response's status (grpc/server-binding.ts).
 */
import { ResponseCode } from '../protocol/response-code.js';

/** apache.rocketmq.v2.Code names (definition.proto); the loader encodes a name as its number. */
export type StatusCode =
  | 'OK' | 'MULTIPLE_RESULTS' | 'BAD_REQUEST' | 'ILLEGAL_ACCESS_POINT' | 'ILLEGAL_TOPIC' | 'ILLEGAL_CONSUMER_GROUP'
  | 'ILLEGAL_MESSAGE_TAG' | 'ILLEGAL_MESSAGE_KEY' | 'ILLEGAL_MESSAGE_GROUP' | 'ILLEGAL_MESSAGE_PROPERTY_KEY'
  | 'INVALID_TRANSACTION_ID' | 'ILLEGAL_MESSAGE_ID' | 'ILLEGAL_FILTER_EXPRESSION' | 'ILLEGAL_INVISIBLE_TIME'
  | 'ILLEGAL_DELIVERY_TIME' | 'INVALID_RECEIPT_HANDLE' | 'MESSAGE_PROPERTY_CONFLICT_WITH_TYPE'
  | 'UNRECOGNIZED_CLIENT_TYPE' | 'MESSAGE_CORRUPTED' | 'CLIENT_ID_REQUIRED' | 'ILLEGAL_POLLING_TIME' | 'ILLEGAL_OFFSET'
  | 'UNAUTHORIZED' | 'FORBIDDEN' | 'NOT_FOUND' | 'MESSAGE_NOT_FOUND' | 'TOPIC_NOT_FOUND' | 'CONSUMER_GROUP_NOT_FOUND'
  | 'OFFSET_NOT_FOUND' | 'REQUEST_TIMEOUT' | 'PAYLOAD_TOO_LARGE' | 'MESSAGE_BODY_TOO_LARGE' | 'MESSAGE_BODY_EMPTY'
  | 'PRECONDITION_FAILED' | 'TOO_MANY_REQUESTS' | 'REQUEST_HEADER_FIELDS_TOO_LARGE' | 'MESSAGE_PROPERTIES_TOO_LARGE'
  | 'INTERNAL_ERROR' | 'INTERNAL_SERVER_ERROR' | 'HA_NOT_AVAILABLE' | 'NOT_IMPLEMENTED' | 'PROXY_TIMEOUT'
  | 'MASTER_PERSISTENCE_TIMEOUT' | 'SLAVE_PERSISTENCE_TIMEOUT' | 'UNSUPPORTED' | 'VERSION_UNSUPPORTED'
  | 'VERIFY_FIFO_MESSAGE_UNSUPPORTED' | 'FAILED_TO_CONSUME_MESSAGE';

export interface Status {
  code: StatusCode;
  message: string;
}

/** An expected refusal: becomes the response's status. */
export class ProxyError extends Error {
  constructor(
    readonly code: StatusCode,
    message?: string,
  ) {
    super(message ?? code);
  }
}

/**
 * A broker's or NameServer's remoting response code as a gRPC Code: ResponseBuilder's
 * RESPONSE_CODE_MAPPING (SUCCESS, SYSTEM_BUSY, REQUEST_CODE_NOT_SUPPORTED, SUBSCRIPTION_GROUP_NOT_EXIST)
 * plus TopicRouteHelper#isTopicNotExistError (TOPIC_NOT_EXIST); everything else is
 * INTERNAL_SERVER_ERROR, as there. NO_PERMISSION is one more here: the 5.3.3 proxy answers it
 * INTERNAL_SERVER_ERROR with the broker's remark; FORBIDDEN tells a client the same thing by its code.
 */
export function codeOfRemoting(responseCode: number): StatusCode {
  switch (responseCode) {
    case ResponseCode.SUCCESS: return 'OK';
    case ResponseCode.SYSTEM_BUSY: return 'TOO_MANY_REQUESTS';
    case ResponseCode.REQUEST_CODE_NOT_SUPPORTED: return 'NOT_IMPLEMENTED';
    case ResponseCode.SUBSCRIPTION_GROUP_NOT_EXIST: return 'CONSUMER_GROUP_NOT_FOUND';
    case ResponseCode.TOPIC_NOT_EXIST: return 'TOPIC_NOT_FOUND';
    case ResponseCode.NO_PERMISSION: return 'FORBIDDEN';
    default: return 'INTERNAL_SERVER_ERROR';
  }
}

/** A remoting refusal as a ProxyError: the remark is the message, or the number when there is none. */
export function fromRemoting(responseCode: number, remark: string | undefined): ProxyError {
  return new ProxyError(codeOfRemoting(responseCode), remark ?? String(responseCode));
}

/** Marks a failure to reach a broker or NameServer in time (ClientErrorCode.ACCESS_BROKER_TIMEOUT → PROXY_TIMEOUT). */
export class BrokerTimeoutError extends ProxyError {
  constructor(message: string) {
    super('PROXY_TIMEOUT', message);
  }
}

/** Any thrown value as the status a response carries (ResponseBuilder#buildStatus(Throwable)). */
export function statusOf(e: unknown): Status {
  if (e instanceof ProxyError) return { code: e.code, message: e.message };
  const message = e instanceof Error ? e.message : String(e);
  if (/timed? ?out/i.test(message)) return { code: 'PROXY_TIMEOUT', message };
  return { code: 'INTERNAL_SERVER_ERROR', message };
}

export const OK_STATUS: Status = Object.freeze({ code: 'OK', message: 'OK' }) as Status;
