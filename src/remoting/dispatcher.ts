import { type RemotingCommand, createResponse, isOneway } from './command.js';
import type { Connection } from './connection.js';
import { ResponseCode } from '../protocol/response-code.js';
import { requestCodeName } from '../protocol/request-code.js';
import { log } from '../logger.js';
import { HeaderError } from './header-fields.js';

export type ProcessorResult = RemotingCommand | null | Promise<RemotingCommand | null>;

/** Every processor has this shape; `null` means "no response" (one-way, or answered later). */
export type Processor<Ctx> = (ctx: Ctx, request: RemotingCommand, conn: Connection) => ProcessorResult;

export interface RequestEntry<Ctx> {
  code: number;
  processor: Processor<Ctx>;
  /** Header fields the Java header class marks @CFNotNull: checked once, here, before the processor runs. */
  required?: readonly string[];
}

/**
 * One dispatch table per server. The generic answers live here: unknown codes, missing header
 * fields, thrown errors; processors only deal with their feature.
 */
export class Dispatcher<Ctx> {
  private readonly table = new Map<number, RequestEntry<Ctx>>();

  constructor(
    private readonly ctx: Ctx,
    entries: ReadonlyArray<RequestEntry<Ctx>>,
    private readonly unknownCodeReply = true,
  ) {
    for (const e of entries) {
      if (this.table.has(e.code)) throw new Error(`request code ${e.code} registered twice`);
      this.table.set(e.code, e);
    }
  }

  has(code: number): boolean {
    return this.table.has(code);
  }

  readonly handle = (conn: Connection, request: RemotingCommand): void => {
    const entry = this.table.get(request.code);
    if (!entry) {
      log.debug(`unsupported request code ${request.code} from ${conn.remoteAddr}`);
      if (this.unknownCodeReply) {
        // Same remark as AdminBrokerProcessor#getUnknownCmdResponse.
        this.reply(conn, request, createResponse(request, ResponseCode.REQUEST_CODE_NOT_SUPPORTED, ` request type ${request.code} not supported`));
      }
      return;
    }
    const missing = entry.required?.find((f) => request.extFields?.[f] == null);
    if (missing) {
      this.reply(conn, request, createResponse(request, ResponseCode.SYSTEM_ERROR, `the custom field <${missing}> is null`));
      return;
    }
    let result: ProcessorResult;
    try {
      result = entry.processor(this.ctx, request, conn);
    } catch (e) {
      this.fail(conn, request, e);
      return;
    }
    if (result && typeof (result as Promise<RemotingCommand | null>).then === 'function') {
      (result as Promise<RemotingCommand | null>).then(
        (r) => this.reply(conn, request, r),
        (e) => this.fail(conn, request, e),
      );
    } else {
      this.reply(conn, request, result as RemotingCommand | null);
    }
  };

  private reply(conn: Connection, request: RemotingCommand, response: RemotingCommand | null): void {
    if (!response || isOneway(request)) return;
    response.opaque = request.opaque;
    conn.send(response);
  }

  private fail(conn: Connection, request: RemotingCommand, e: unknown): void {
    const err = e as Error;
    if (err instanceof HeaderError) {
      // A bad header is the client's mistake: answer with the reason, no stack in our log.
      log.debug(`${requestCodeName(request.code)} from ${conn.remoteAddr}: ${err.message}`);
      this.reply(conn, request, createResponse(request, ResponseCode.SYSTEM_ERROR, err.message));
      return;
    }
    log.error(`processing ${requestCodeName(request.code)} from ${conn.remoteAddr} failed: ${err.stack ?? err}`);
    this.reply(conn, request, createResponse(request, ResponseCode.SYSTEM_ERROR, `${err.name}: ${err.message}`));
  }
}
