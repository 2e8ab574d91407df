import { performance } from 'node:perf_hooks';
import { type RemotingCommand, createResponse, isOneway } from './command.js';
import type { Connection } from './connection.js';
import { ResponseCode } from '../protocol/response-code.js';
import { requestCodeName } from '../protocol/request-code.js';
import { log } from '../logger.js';
import { HeaderError, RequestBodyError } from './header-fields.js';
import { FamilyQueue, QueueDrainer, turnHasBudget, type FamilySpec, type Queued, type Refusal } from './request-queues.js';

/** NettyRemotingAbstract's and BrokerFastFailure's SYSTEM_BUSY remarks, word for word (clients and tools match on the tags). */
export const BUSY_REMARK = {
  overload: '[OVERLOAD]system busy, start flow control for a while',
  reject: '[REJECTREQUEST]system busy, start flow control for a while',
  timeout: (waitedMs: number, size: number) =>
    `[TIMEOUT_CLEAN_QUEUE]broker busy, start flow control for a while, period in queue: ${waitedMs}ms, size of queue: ${size}`,
  pcbusy: (waitedMs: number, size: number) =>
    `[PCBUSY_CLEAN_QUEUE]broker busy, start flow control for a while, period in queue: ${waitedMs}ms, size of queue: ${size}`,
} as const;

export type ProcessorResult = RemotingCommand | null | Promise<RemotingCommand | null>;

/** Every processor has this shape; `null` means "no response" (one-way, or held to be answered later). */
export type Processor<Ctx> = (ctx: Ctx, request: RemotingCommand, conn: Connection) => ProcessorResult;

/** A server-wide permission a request code needs before its processor runs. */
export type PermissionNeed = 'read';

export interface RequestEntry<Ctx> {
  code: number;
  processor: Processor<Ctx>;
  /** Header fields the Java header class marks @CFNotNull: checked once, here, before the processor runs. */
  required?: readonly string[];
  /**
   * The server permission checked right after the header fields, before anything else, as the Java
   * processor checks it first (PullMessageProcessor: the broker must be readable). The server's
   * `checkPermission` option says what the permission means and words the refusal.
   */
  permission?: PermissionNeed;
  /**
   * Java clients send this code one-way (RemotingClient#invokeOneway), so its processor may return no
   * response even when a request arrives without the one-way flag (END_TRANSACTION with UNKNOWN state).
   */
  oneway?: boolean;
  /**
   * The processor may hold a request (return null) for `Dispatcher#resume` to run later; this is what
   * runs then, and it must answer (a held long-poll pull re-run once a message arrives or it times out).
   */
  resume?: Processor<Ctx>;
  /** The queue (DispatcherOptions.families) the code waits in when the server is busy; default `defaultFamily`. */
  family?: string;
}

/**
 * Told of every response handed to the socket (NettyRemotingAbstract#writeResponse, where the Java
 * remoting metrics record rocketmq_rpc_latency): a one-way request whose processor still answered counts
 * as `oneway`; a request answered by nothing is not told. `longPolling`: the request was held and resumed.
 */
export interface RpcObserver {
  rpcCompleted(request: RemotingCommand, responseCode: number, longPolling: boolean, elapsedMs: number): void;
}

/** Held requests remembered for the observer's latency; past this a held request goes unobserved. */
const HELD_OBSERVED_MAX = 100_000;

/** A check every request passes before anything else (the ACL hook; auth/access.ts implements it). */
export interface RequestGate {
  check(remoteIp: string, request: RemotingCommand): { code: number; remark: string } | undefined;
}

export interface DispatcherOptions<Ctx> {
  /**
   * Runs first for every request, known code or not, as the Java broker's RPC hook runs before its
   * processors (its default processor takes unknown codes). A refusal is answered with the gate's code
   * and remark; a one-way request gets no answer.
   */
  gate?: RequestGate;
  /** Answer unknown codes with REQUEST_CODE_NOT_SUPPORTED (otherwise they are dropped). Default true. */
  unknownCodeReply?: boolean;
  /** The refusal when the server lacks an entry's `permission`, or undefined to go on. */
  checkPermission?: (ctx: Ctx, need: PermissionNeed, request: RemotingCommand) => RemotingCommand | undefined;
  /** Request families and their bounded queues (see request-queues.ts); none: every request runs at once. */
  families?: Record<string, FamilySpec<Ctx>>;
  /** The family of entries that name none. */
  defaultFamily?: string;
  /** requestTurnBudgetMills: the longest run of requests in one event-loop turn. */
  turnBudgetMs?: (ctx: Ctx) => number;
  /** brokerFastFailureEnable: whether queued requests past their family's wait time are refused. */
  fastFailure?: (ctx: Ctx) => boolean;
  /** The RPC metrics (remoting/rpc-metrics.ts); none: no clock is read per request. */
  observer?: RpcObserver;
}

/** A family's queue as GET_BROKER_RUNTIME_INFO shows it. */
export interface QueueStat {
  size: number;
  headWaitMs: number;
  capacity: number;
  overloaded: number;
}

/**
 * One dispatch table per server. The generic answers live here: unknown codes, missing header fields,
 * missing server permission, thrown errors, a processor that gave no answer; processors only deal with
 * their feature. Fresh and resumed (held, then woken) requests take the same road out.
 */
export class Dispatcher<Ctx> {
  private readonly table = new Map<number, RequestEntry<Ctx>>();
  private readonly queueOf = new Map<number, FamilyQueue<Ctx, RequestEntry<Ctx>>>();
  private readonly queues: Array<FamilyQueue<Ctx, RequestEntry<Ctx>>> = [];
  private readonly drainer: QueueDrainer<Ctx, RequestEntry<Ctx>>;
  /** When each held request (returned null, to be resumed) arrived, for the observer. */
  private readonly heldSince = new Map<RemotingCommand, number>();

  constructor(
    private readonly ctx: Ctx,
    entries: ReadonlyArray<RequestEntry<Ctx>>,
    private readonly options: DispatcherOptions<Ctx> = {},
  ) {
    for (const e of entries) {
      if (this.table.has(e.code)) throw new Error(`request code ${e.code} registered twice`);
      if (e.permission && !options.checkPermission) throw new Error(`request code ${e.code} needs a permission check the server does not provide`);
      this.table.set(e.code, e);
    }
    const byName = new Map<string, FamilyQueue<Ctx, RequestEntry<Ctx>>>();
    for (const [name, spec] of Object.entries(options.families ?? {})) {
      const q = new FamilyQueue<Ctx, RequestEntry<Ctx>>(name, spec);
      byName.set(name, q);
      this.queues.push(q);
    }
    for (const e of entries) {
      const name = e.family ?? options.defaultFamily;
      if (name === undefined) continue;
      const q = byName.get(name);
      if (!q) throw new Error(`request code ${e.code} names family ${name}, which the server does not define`);
      this.queueOf.set(e.code, q);
    }
    this.drainer = new QueueDrainer(
      ctx,
      this.queues,
      () => options.turnBudgetMs?.(ctx) ?? Infinity,
      () => options.fastFailure?.(ctx) ?? false,
      (q) => this.run(q.conn, q.request, q.entry, q.entry.processor, q.at),
      (q, why) => this.refuseQueued(q, why),
    );
  }

  /** Each family's queue now (size, the head's wait, capacity, refusals since start). */
  queueStats(): Map<string, QueueStat> {
    const now = performance.now();
    return new Map(this.queues.map((q) => [q.name, {
      size: q.size, headWaitMs: q.headWaitMs(now), capacity: q.spec.capacity(this.ctx), overloaded: q.overloaded,
    }]));
  }

  has(code: number): boolean {
    return this.table.has(code);
  }

  readonly handle = (conn: Connection, request: RemotingCommand): void => {
    const t0 = this.options.observer ? performance.now() : 0;
    const gate = this.options.gate;
    if (gate) {
      const refusal = gate.check(conn.remoteAddress, request);
      if (refusal) {
        log.client('request refused', `${requestCodeName(request.code)} from ${conn.remoteAddr}: ${refusal.remark}`);
        this.reply(conn, request, createResponse(request, refusal.code, refusal.remark), t0);
        return;
      }
    }
    const entry = this.table.get(request.code);
    if (!entry) {
      log.debug(`unsupported request code ${request.code} from ${conn.remoteAddr}`);
      if (this.options.unknownCodeReply ?? true) {
        // Same remark as AdminBrokerProcessor#getUnknownCmdResponse.
        this.reply(conn, request, createResponse(request, ResponseCode.REQUEST_CODE_NOT_SUPPORTED, ` request type ${request.code} not supported`), t0);
      }
      return;
    }
    const queue = this.queueOf.get(request.code);
    if (!queue) {
      this.run(conn, request, entry, entry.processor, t0);
      return;
    }
    if (queue.spec.busy?.(this.ctx)) {
      log.client('request rejected', `${requestCodeName(request.code)} from ${conn.remoteAddr}: ${queue.name} is busy`);
      this.reply(conn, request, createResponse(request, ResponseCode.SYSTEM_BUSY, BUSY_REMARK.reject), t0);
      return;
    }
    const now = performance.now();
    if (queue.size === 0 && turnHasBudget(now, this.options.turnBudgetMs?.(this.ctx) ?? Infinity)) {
      this.run(conn, request, entry, entry.processor, t0);
      return;
    }
    if (queue.size >= queue.spec.capacity(this.ctx)) {
      queue.overloaded++;
      log.client('request overload', `${requestCodeName(request.code)} from ${conn.remoteAddr}: ${queue.name} queue full (${queue.size})`);
      this.reply(conn, request, createResponse(request, ResponseCode.SYSTEM_BUSY, BUSY_REMARK.overload), t0);
      return;
    }
    queue.push({ conn, request, entry, at: now });
    this.drainer.schedule();
  };

  private refuseQueued(q: Queued<RequestEntry<Ctx>>, why: Refusal): void {
    const remark = why.kind === 'timeout' ? BUSY_REMARK.timeout(why.waitedMs, why.sizeAfter) : BUSY_REMARK.pcbusy(why.waitedMs, why.sizeAfter);
    log.client('request expired in queue', `${requestCodeName(q.request.code)} from ${q.conn.remoteAddr}: ${remark}`);
    this.reply(q.conn, q.request, createResponse(q.request, ResponseCode.SYSTEM_BUSY, remark), q.at);
  }

  /**
   * Runs a held request again on a tick of its own (never inside the caller's, which is a producer's
   * write when a message arrival wakes a pull), through the same checks, error answers and reply as a
   * fresh request: a throw reaches the client as SYSTEM_ERROR instead of a timeout.
   */
  resume(conn: Connection, request: RemotingCommand): void {
    const entry = this.table.get(request.code);
    if (!entry?.resume) throw new Error(`request code ${request.code} cannot be resumed`);
    const resume = entry.resume;
    const since = this.heldSince.get(request);
    if (since !== undefined) this.heldSince.delete(request);
    setImmediate(() => {
      if (!conn.closed) this.run(conn, request, entry, resume, since ?? 0, since !== undefined);
    });
  }

  private run(conn: Connection, request: RemotingCommand, entry: RequestEntry<Ctx>, processor: Processor<Ctx>, t0: number, resumed = false): void {
    const refusal = this.check(request, entry);
    if (refusal) {
      this.reply(conn, request, refusal, t0, resumed);
      return;
    }
    // Silence is allowed for one-way requests and codes, and for a first run that may hold the request.
    const mayBeSilent = isOneway(request) || entry.oneway === true || (processor === entry.processor && entry.resume !== undefined);
    const done = (response: RemotingCommand | null): void => {
      if (response || mayBeSilent) {
        // A first run that held its request: the answer comes from resume(), which reports the latency.
        if (!response && this.options.observer && entry.resume && processor === entry.processor && this.heldSince.size < HELD_OBSERVED_MAX) {
          this.heldSince.set(request, t0);
        }
        this.reply(conn, request, response, t0, resumed);
        return;
      }
      log.error(`processing ${requestCodeName(request.code)} from ${conn.remoteAddr} gave no response`);
      this.reply(conn, request, createResponse(request, ResponseCode.SYSTEM_ERROR, `${requestCodeName(request.code)} gave no response`), t0, resumed);
    };
    let result: ProcessorResult;
    try {
      result = processor(this.ctx, request, conn);
    } catch (e) {
      this.fail(conn, request, e, t0, resumed);
      return;
    }
    if (result && typeof (result as Promise<RemotingCommand | null>).then === 'function') {
      (result as Promise<RemotingCommand | null>).then(done, (e) => this.fail(conn, request, e, t0, resumed));
    } else {
      done(result as RemotingCommand | null);
    }
  }

  /** The generic refusal for a request, in the Java order: header fields first, then permission. */
  private check(request: RemotingCommand, entry: RequestEntry<Ctx>): RemotingCommand | undefined {
    const missing = entry.required?.find((f) => request.extFields?.[f] == null);
    if (missing) return createResponse(request, ResponseCode.SYSTEM_ERROR, `the custom field <${missing}> is null`);
    if (entry.permission) return this.options.checkPermission!(this.ctx, entry.permission, request);
    return undefined;
  }

  private reply(conn: Connection, request: RemotingCommand, response: RemotingCommand | null, t0: number, resumed = false): void {
    if (!response) return;
    const observer = this.options.observer;
    if (observer) observer.rpcCompleted(request, response.code, resumed, performance.now() - t0);
    if (isOneway(request)) return;
    response.opaque = request.opaque;
    conn.send(response);
  }

  private fail(conn: Connection, request: RemotingCommand, e: unknown, t0: number, resumed: boolean): void {
    const err = e as Error;
    if (err instanceof HeaderError || err instanceof RequestBodyError) {
      // A bad header or body is the client's mistake: answer with the reason, no stack in our log.
      log.client(err instanceof HeaderError ? 'bad request header' : 'bad request body', `${requestCodeName(request.code)} from ${conn.remoteAddr}: ${err.message}`);
      this.reply(conn, request, createResponse(request, ResponseCode.SYSTEM_ERROR, err.message), t0, resumed);
      return;
    }
    // Not the client's mistake as far as we know: our bug or our resource, so the stack is kept (the logger
    // bounds how many stacks an interval prints when one request keeps failing).
    log.error(`processing ${requestCodeName(request.code)} from ${conn.remoteAddr} failed: ${err.stack ?? err}`);
    this.reply(conn, request, createResponse(request, ResponseCode.SYSTEM_ERROR, `${err.name}: ${err.message}`), t0, resumed);
  }
}
