/**
 * Broker → controller calls of RocketMQ 5.3 controller mode (BrokerOuterAPI#getControllerMetaData ...
 * #sendHeartbeatToController): the request headers with the field names of the Java header classes
 * (remoting/protocol/header/controller/ and header/namesrv/BrokerHeartbeatRequestHeader), and the JSON
 * bodies (SyncStateSet, ElectMasterResponseBody). A refusal is a ControllerError carrying the response
 * code, as the Java broker's MQBrokerException does; the state machine decides what each code means.
 */
import { RemotingClient, type RemotingClientOptions } from '../../remoting/client.js';
import { type ExtFields, type RemotingCommand, createRequest } from '../../remoting/command.js';
import { RequestCode } from '../../protocol/request-code.js';
import { ResponseCode } from '../../protocol/response-code.js';
import { parseFastJson, toFastJson } from '../../codec/fastjson.js';

/** BrokerOuterAPI's timeout for every controller request but the heartbeat (ms). */
const CONTROLLER_REQUEST_TIMEOUT_MS = 3000;

export class ControllerError extends Error {
  constructor(
    readonly code: number,
    remark: string | undefined,
    addr: string,
  ) {
    super(`controller ${addr} answered code ${code}${remark ? `: ${remark}` : ''}`);
  }
}

/** GetMetaDataResponseHeader. */
export interface ControllerMetadata {
  group?: string;
  controllerLeaderId?: string;
  controllerLeaderAddress?: string;
  isLeader: boolean;
  peers?: string;
}

/** The master of a broker set as the controller holds it (RegisterBrokerToController/ElectMaster/GetReplicaInfo answers). */
export interface MasterInfo {
  masterBrokerId?: number;
  masterAddress?: string;
  masterEpoch?: number;
  syncStateSetEpoch?: number;
  syncStateSet: Set<number>;
}

/** SyncStateSet body. */
export interface SyncStateSetInfo {
  syncStateSet: Set<number>;
  syncStateSetEpoch: number;
}

/** What BrokerHeartbeatRequestHeader carries to the controller. */
export interface ControllerHeartbeat {
  clusterName: string;
  brokerName: string;
  brokerAddr: string;
  /** Absent before the broker has its controller id: Java sends null and the controller refuses it. */
  brokerId?: number;
  epoch: number;
  maxOffset: number;
  confirmOffset: number;
  heartbeatTimeoutMills: number;
  electionPriority: number;
}

/** Header values are strings on the wire; undefined fields are left out, as Java leaves out nulls. */
function header(fields: Record<string, string | number | boolean | undefined>): ExtFields {
  const h: ExtFields = {};
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) h[k] = String(v);
  return h;
}

const optNumber = (h: ExtFields | undefined, name: string): number | undefined => {
  const v = h?.[name];
  if (v == null || v === '' || v === 'null') return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
};

const optString = (h: ExtFields | undefined, name: string): string | undefined => {
  const v = h?.[name];
  return v == null || v === '' ? undefined : v;
};

function bodyObject(res: RemotingCommand): Record<string, unknown> {
  const b = res.body;
  if (!b) return {};
  const buf = Buffer.isBuffer(b) ? b : Buffer.concat(b);
  if (buf.length === 0) return {};
  const v = parseFastJson(buf.toString('utf8'));
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

function idSet(v: unknown): Set<number> {
  const ids = new Set<number>();
  if (Array.isArray(v)) for (const x of v) if (x !== null && x !== undefined) ids.add(Number(x));
  return ids;
}

/** Body of ALTER_SYNC_STATE_SET and NOTIFY_BROKER_ROLE_CHANGED: fastjson of SyncStateSet. */
export function encodeSyncStateSet(s: SyncStateSetInfo): Buffer {
  return Buffer.from(toFastJson({ syncStateSet: [...s.syncStateSet].sort((a, b) => a - b), syncStateSetEpoch: s.syncStateSetEpoch }), 'utf8');
}

export function decodeSyncStateSet(res: RemotingCommand): SyncStateSetInfo {
  const o = bodyObject(res);
  return { syncStateSet: idSet(o.syncStateSet), syncStateSetEpoch: Number(o.syncStateSetEpoch ?? 0) };
}

function masterInfo(h: ExtFields | undefined, syncStateSet: Set<number>): MasterInfo {
  return {
    masterBrokerId: optNumber(h, 'masterBrokerId'),
    masterAddress: optString(h, 'masterAddress'),
    masterEpoch: optNumber(h, 'masterEpoch'),
    syncStateSetEpoch: optNumber(h, 'syncStateSetEpoch'),
    syncStateSet,
  };
}

export class ControllerApi {
  private readonly client: RemotingClient;

  constructor(options: RemotingClientOptions = {}) {
    this.client = new RemotingClient(undefined, options);
  }

  private async call(addr: string, code: number, fields?: ExtFields, body?: Buffer, accept: number[] = [ResponseCode.SUCCESS]): Promise<RemotingCommand> {
    const res = await this.client.invoke(addr, createRequest(code, fields, body), CONTROLLER_REQUEST_TIMEOUT_MS);
    if (!accept.includes(res.code)) throw new ControllerError(res.code, res.remark, addr);
    return res;
  }

  /** Whether a TCP connection to `addr` can be made (BrokerOuterAPI#checkAddressReachable). */
  async reachable(addr: string): Promise<boolean> {
    try {
      await this.client.connect(addr);
      return true;
    } catch {
      return false;
    }
  }

  /** CONTROLLER_GET_METADATA_INFO (1005): any controller names the leader. */
  async getControllerMetadata(addr: string): Promise<ControllerMetadata> {
    const h = (await this.call(addr, RequestCode.CONTROLLER_GET_METADATA_INFO)).extFields;
    return {
      group: optString(h, 'group'),
      controllerLeaderId: optString(h, 'controllerLeaderId'),
      controllerLeaderAddress: optString(h, 'controllerLeaderAddress'),
      isLeader: h?.isLeader === 'true',
      peers: optString(h, 'peers'),
    };
  }

  /** CONTROLLER_GET_NEXT_BROKER_ID (1012). */
  async getNextBrokerId(leader: string, clusterName: string, brokerName: string): Promise<number | undefined> {
    const res = await this.call(leader, RequestCode.CONTROLLER_GET_NEXT_BROKER_ID, header({ clusterName, brokerName }));
    return optNumber(res.extFields, 'nextBrokerId');
  }

  /** CONTROLLER_APPLY_BROKER_ID (1013): any refusal means the id is taken (ReplicasManager#applyBrokerId). */
  async applyBrokerId(leader: string, clusterName: string, brokerName: string, appliedBrokerId: number, registerCheckCode: string): Promise<void> {
    await this.call(leader, RequestCode.CONTROLLER_APPLY_BROKER_ID, header({ clusterName, brokerName, appliedBrokerId, registerCheckCode }));
  }

  /** CONTROLLER_REGISTER_BROKER (1003): the set's master as the controller holds it, and the in-sync set (body). */
  async registerBroker(leader: string, clusterName: string, brokerName: string, brokerId: number, brokerAddress: string): Promise<MasterInfo> {
    const res = await this.call(
      leader, RequestCode.CONTROLLER_REGISTER_BROKER,
      header({ clusterName, brokerName, brokerId, brokerAddress, invokeTime: Date.now() }),
    );
    return masterInfo(res.extFields, decodeSyncStateSet(res).syncStateSet);
  }

  /**
   * CONTROLLER_ELECT_MASTER (1002), broker-triggered (ElectMasterRequestHeader.ofBrokerTrigger):
   * CONTROLLER_MASTER_STILL_EXIST is an answer too, naming the master that still lives.
   */
  async electMaster(leader: string, clusterName: string, brokerName: string, brokerId: number): Promise<MasterInfo> {
    const res = await this.call(
      leader, RequestCode.CONTROLLER_ELECT_MASTER,
      header({ clusterName, brokerName, brokerId, designateElect: false, invokeTime: Date.now() }),
      undefined, [ResponseCode.SUCCESS, ResponseCode.CONTROLLER_MASTER_STILL_EXIST],
    );
    return masterInfo(res.extFields, idSet(bodyObject(res).syncStateSet));
  }

  /** CONTROLLER_GET_REPLICA_INFO (1004): master (header) and in-sync set with its epoch (body). */
  async getReplicaInfo(leader: string, brokerName: string): Promise<MasterInfo & { syncStateSetEpoch: number }> {
    const res = await this.call(leader, RequestCode.CONTROLLER_GET_REPLICA_INFO, header({ brokerName }));
    const s = decodeSyncStateSet(res);
    return { ...masterInfo(res.extFields, s.syncStateSet), syncStateSetEpoch: s.syncStateSetEpoch };
  }

  /** CONTROLLER_ALTER_SYNC_STATE_SET (1001): the master proposes a set; the answer is the set the controller now holds. */
  async alterSyncStateSet(
    leader: string, brokerName: string, masterBrokerId: number, masterEpoch: number, proposed: SyncStateSetInfo,
  ): Promise<SyncStateSetInfo> {
    const res = await this.call(
      leader, RequestCode.CONTROLLER_ALTER_SYNC_STATE_SET,
      header({ brokerName, masterBrokerId, masterEpoch, invokeTime: Date.now() }),
      encodeSyncStateSet(proposed),
    );
    return decodeSyncStateSet(res);
  }

  /** BROKER_HEARTBEAT (904), one-way as BrokerOuterAPI#sendHeartbeatToController sends it. */
  async sendHeartbeat(addr: string, hb: ControllerHeartbeat): Promise<void> {
    await this.client.invokeOneway(addr, createRequest(RequestCode.BROKER_HEARTBEAT, header({ ...hb })));
  }

  close(): void {
    this.client.close();
  }
}
