import type { NamesrvContext } from '../../namesrv/namesrv-context.js';
import { type RemotingCommand, createResponse } from '../../remoting/command.js';
import { ResponseCode } from '../../protocol/response-code.js';
import { toFastJson } from '../../codec/fastjson.js';

/** PUT_KV_CONFIG (100). */
export function putKVConfig(ctx: NamesrvContext, req: RemotingCommand): RemotingCommand {
  const h = req.extFields!;
  ctx.kv.put(h.namespace, h.key, h.value);
  return createResponse(req, ResponseCode.SUCCESS);
}

/** GET_KV_CONFIG (101): QUERY_NOT_FOUND with the Java remark when absent. */
export function getKVConfig(ctx: NamesrvContext, req: RemotingCommand): RemotingCommand {
  const h = req.extFields!;
  const value = ctx.kv.get(h.namespace, h.key);
  if (value === undefined) return createResponse(req, ResponseCode.QUERY_NOT_FOUND, `No config item, Namespace: ${h.namespace} Key: ${h.key}`);
  return createResponse(req, ResponseCode.SUCCESS, undefined, { value });
}

/** DELETE_KV_CONFIG (102). */
export function deleteKVConfig(ctx: NamesrvContext, req: RemotingCommand): RemotingCommand {
  const h = req.extFields!;
  ctx.kv.delete(h.namespace, h.key);
  return createResponse(req, ResponseCode.SUCCESS);
}

/** GET_KVLIST_BY_NAMESPACE (219): a KVTable. */
export function getKVListByNamespace(ctx: NamesrvContext, req: RemotingCommand): RemotingCommand {
  const ns = req.extFields!.namespace;
  const table = ctx.kv.list(ns);
  if (!table) return createResponse(req, ResponseCode.QUERY_NOT_FOUND, `No config item, Namespace: ${ns}`);
  return createResponse(req, ResponseCode.SUCCESS, undefined, undefined, Buffer.from(toFastJson({ table: new Map(table) }), 'utf8'));
}
