/**
 * grpc-js (1.14) turns a call's grpc-timeout header into milliseconds with `| 0` and arms a
 * setTimeout with it: a deadline past 2^31 - 1 ms (24.8 days) wraps negative and the call ends at once
 * with DEADLINE_EXCEEDED. rocketmq-client-java opens its Telemetry stream with a 60-year deadline
 * (ClientImpl.TELEMETRY_TIMEOUT), so without this every Java client loses its stream (and its
 * settings) right after the handshake. This drops such a header before grpc-js reads it: a deadline
 * that far is no deadline. The HTTP/2 servers grpc-js keeps are private; when they cannot be found the
 * guard reports false and the endpoint runs without it.
 */
import type * as grpc from '@grpc/grpc-js';
import type http2 from 'node:http2';

const TIMEOUT_HEADER = 'grpc-timeout';
/** The largest delay setTimeout honours. */
const TIMER_MAX_MS = 2 ** 31 - 1;
const UNIT_MS: Record<string, number> = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 0.001, n: 0.000001 };

/** Whether a grpc-timeout value (digits + unit) is beyond what grpc-js can time. */
export function timeoutTooLong(value: string): boolean {
  const m = /^(\d{1,8})([HMSmun])$/.exec(value);
  return m !== null && Number(m[1]) * UNIT_MS[m[2]] > TIMER_MAX_MS;
}

function dropLongTimeout(_stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): void {
  const value = headers[TIMEOUT_HEADER];
  if (typeof value === 'string' && timeoutTooLong(value)) delete headers[TIMEOUT_HEADER];
}

/** Installs the guard on the HTTP/2 servers `server` made so far (call after createConnectionInjector). */
export function guardLongDeadlines(server: grpc.Server): boolean {
  const servers = (server as unknown as { http2Servers?: Map<http2.Http2Server, unknown> }).http2Servers;
  if (!(servers instanceof Map) || servers.size === 0) return false;
  for (const h2 of servers.keys()) h2.prependListener('stream', dropLongTimeout);
  return true;
}
