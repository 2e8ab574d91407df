import type { NamesrvContext } from '../../namesrv/namesrv-context.js';
import { type RemotingCommand, createResponse, requestBody } from '../../remoting/command.js';
import { ResponseCode } from '../../protocol/response-code.js';
import { parseProperties, propertiesToString } from '../../config/properties.js';

/** Settings an operator may change live; the rest need a restart (as kvConfigPath does on the Java namesrv). */
const LIVE_KEYS = new Set(['orderMessageEnable', 'scanNotActiveBrokerInterval']);

/** GET_NAMESRV_CONFIG (319): properties text. */
export function getNamesrvConfig(ctx: NamesrvContext, req: RemotingCommand): RemotingCommand {
  const text = propertiesToString(Object.entries(ctx.config));
  return createResponse(req, ResponseCode.SUCCESS, undefined, undefined, Buffer.from(text, 'utf8'));
}

/** UPDATE_NAMESRV_CONFIG (318): properties text body. */
export function updateNamesrvConfig(ctx: NamesrvContext, req: RemotingCommand): RemotingCommand {
  const props = parseProperties(requestBody(req)?.toString('utf8') ?? '');
  const refused = [...props.keys()].filter((k) => !LIVE_KEYS.has(k));
  if (refused.length) return createResponse(req, ResponseCode.NO_PERMISSION, `Can not update config in black list: ${refused.join(',')}`);
  const cfg = ctx.config as Record<string, unknown>;
  for (const [k, v] of props) cfg[k] = typeof cfg[k] === 'number' ? Number(v) : typeof cfg[k] === 'boolean' ? v === 'true' : v;
  return createResponse(req, ResponseCode.SUCCESS);
}
