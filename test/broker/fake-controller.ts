/**
 * A small stand-in for the Apache 5.3 controller, speaking our remoting on a loopback port: one broker set,
 * ids handed out as ControllerManager/ReplicasInfoManager hand them (next id = largest + 1, from 1; an id
 * applied for with another check code is refused), an election that picks the first live asker, replica
 * info, and ALTER_SYNC_STATE_SET checked against the master epoch and set epoch. Every request is kept so
 * tests can check what the broker sent. Not a controller: no Raft, no heartbeat timeouts.
 */
import { RemotingServer } from '../../src/remoting/server.js';
import type { Connection } from '../../src/remoting/connection.js';
import { type ExtFields, type RemotingCommand, createResponse, isOneway, requestBody } from '../../src/remoting/command.js';
import { RequestCode as C } from '../../src/protocol/request-code.js';
import { ResponseCode as R } from '../../src/protocol/response-code.js';
import { toFastJson } from '../../src/codec/fastjson.js';

export interface Seen {
  code: number;
  oneway: boolean;
  ext: ExtFields;
  body?: unknown;
  at: number;
}

export class FakeController {
  readonly seen: Seen[] = [];
  /** brokerId → [address, registerCheckCode] */
  readonly brokers = new Map<number, { addr?: string; checkCode: string }>();
  masterId: number | undefined;
  masterEpoch = 0;
  syncStateSet = new Set<number>();
  syncStateSetEpoch = 0;
  /** Set to answer CONTROLLER_BROKER_METADATA_NOT_EXIST to GET_REPLICA_INFO (a controller that lost the set). */
  forgetBrokers = false;
  private server: RemotingServer;

  constructor() {
    this.server = new RemotingServer({ host: '127.0.0.1', port: 0 }, (conn, req) => this.handle(conn, req));
  }

  get addr(): string {
    return `127.0.0.1:${this.server.port}`;
  }

  async start(): Promise<this> {
    await this.server.listen();
    return this;
  }

  close(): Promise<void> {
    return this.server.close();
  }

  codes(): number[] {
    return this.seen.map((s) => s.code);
  }

  /** What an election in the controller does: a new master, a new epoch, a set of just the master. */
  elect(id: number | undefined): void {
    this.masterId = id;
    this.masterEpoch++;
    this.syncStateSet = new Set(id === undefined ? [] : [id]);
    this.syncStateSetEpoch++;
  }

  private masterHeader(): ExtFields {
    const h: ExtFields = { masterEpoch: String(this.masterEpoch), syncStateSetEpoch: String(this.syncStateSetEpoch) };
    if (this.masterId !== undefined) {
      h.masterBrokerId = String(this.masterId);
      h.masterAddress = this.brokers.get(this.masterId)?.addr ?? '';
    }
    return h;
  }

  private setBody(): Buffer {
    return Buffer.from(toFastJson({ syncStateSet: [...this.syncStateSet], syncStateSetEpoch: this.syncStateSetEpoch }));
  }

  private handle(conn: Connection, req: RemotingCommand): void {
    const ext = req.extFields ?? {};
    const raw = requestBody(req);
    this.seen.push({ code: req.code, oneway: isOneway(req), ext, body: raw && raw.length ? JSON.parse(raw.toString('utf8')) : undefined, at: Date.now() });
    const res = this.answer(req, ext, raw);
    if (res && !isOneway(req)) conn.send(res);
  }

  private answer(req: RemotingCommand, ext: ExtFields, raw: Buffer | undefined): RemotingCommand | undefined {
    switch (req.code) {
      case C.CONTROLLER_GET_METADATA_INFO:
        return createResponse(req, R.SUCCESS, undefined, { group: 'g', controllerLeaderId: 'n0', controllerLeaderAddress: this.addr, isLeader: 'true', peers: `n0-${this.addr}` });
      case C.CONTROLLER_GET_NEXT_BROKER_ID: {
        const next = Math.max(0, ...this.brokers.keys()) + 1;
        return createResponse(req, R.SUCCESS, undefined, { clusterName: ext.clusterName, brokerName: ext.brokerName, nextBrokerId: String(next) });
      }
      case C.CONTROLLER_APPLY_BROKER_ID: {
        const id = Number(ext.appliedBrokerId);
        const had = this.brokers.get(id);
        if (had && had.checkCode !== ext.registerCheckCode) return createResponse(req, R.CONTROLLER_BROKER_ID_INVALID, `id ${id} taken`);
        this.brokers.set(id, { checkCode: ext.registerCheckCode });
        return createResponse(req, R.SUCCESS, undefined, { clusterName: ext.clusterName, brokerName: ext.brokerName });
      }
      case C.CONTROLLER_REGISTER_BROKER: {
        const b = this.brokers.get(Number(ext.brokerId));
        if (!b) return createResponse(req, R.CONTROLLER_BROKER_METADATA_NOT_EXIST, 'not applied');
        b.addr = ext.brokerAddress;
        return createResponse(req, R.SUCCESS, undefined, { clusterName: ext.clusterName, brokerName: ext.brokerName, ...this.masterHeader() }, this.setBody());
      }
      case C.BROKER_HEARTBEAT:
        return undefined;
      case C.CONTROLLER_ELECT_MASTER: {
        const code = this.masterId === undefined ? R.SUCCESS : R.CONTROLLER_MASTER_STILL_EXIST;
        if (this.masterId === undefined) this.elect(Number(ext.brokerId));
        const body = Buffer.from(toFastJson({ syncStateSet: [...this.syncStateSet] }));
        return createResponse(req, code, undefined, this.masterHeader(), body);
      }
      case C.CONTROLLER_GET_REPLICA_INFO:
        if (this.forgetBrokers) return createResponse(req, R.CONTROLLER_BROKER_METADATA_NOT_EXIST, 'no broker set');
        return createResponse(req, R.SUCCESS, undefined, this.masterHeader(), this.setBody());
      case C.CONTROLLER_ALTER_SYNC_STATE_SET: {
        const proposed = JSON.parse(raw!.toString('utf8')) as { syncStateSet: number[]; syncStateSetEpoch: number };
        if (Number(ext.masterEpoch) !== this.masterEpoch) return createResponse(req, R.CONTROLLER_FENCED_MASTER_EPOCH, 'stale master epoch');
        if (proposed.syncStateSetEpoch !== this.syncStateSetEpoch) return createResponse(req, R.CONTROLLER_FENCED_SYNC_STATE_SET_EPOCH, 'stale set epoch');
        this.syncStateSet = new Set(proposed.syncStateSet);
        this.syncStateSetEpoch++;
        return createResponse(req, R.SUCCESS, undefined, { newSyncStateSetEpoch: String(this.syncStateSetEpoch) }, this.setBody());
      }
      default:
        return createResponse(req, R.REQUEST_CODE_NOT_SUPPORTED, `${req.code} not supported`);
    }
  }
}
