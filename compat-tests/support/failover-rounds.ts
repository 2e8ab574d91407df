/**
 * The controller-mode failover loop of the issue #19 suites and the all-Apache baseline: under the Java
 * load client, SIGKILL whoever the controller says is master, time the election (kill → the controller
 * names another master, polled every 100 ms) and the failover (kill → the first send acknowledged by the
 * new master, as the client's own clock stamps it), check that every acknowledged message can still be
 * read, then restart the killed broker on its data and wait until it is back in the in-sync set as a
 * slave. No vitest imports.
 */
import { brokerRuntimeInfo, type Node } from './cluster.js';
import { checkKeys, replicaInfo, routedMaster, waitForReplicaInfo, type LoadClient, type ReplicaInfo } from './controller.js';

export interface Round {
  round: number;
  killed: string;
  killedKind: string;
  newMaster: string;
  newMasterKind: string;
  electionMs: number;
  failoverMs: number;
  /** Acknowledged before this round's check; missing of those. */
  acked: number;
  missing: number;
  missingKeys: string[];
  /** Kill → the restarted broker is back in the in-sync set. */
  rejoinMs: number;
}

export interface RoundsOptions {
  controllerAddr: string;
  namesrvAddr: string;
  brokerName: string;
  brokers: Node[];
  topic: string;
  load: LoadClient;
  kills: number;
  /** Bound on one election / first ack on the new master / rejoin. */
  failoverTimeoutMs?: number;
  rejoinTimeoutMs?: number;
  log?: (line: string) => void;
}

function byAddr(brokers: Node[], addr: string): Node {
  const n = brokers.find((b) => b.addr === addr);
  if (!n) throw new Error(`the controller named ${addr}, which is none of ${brokers.map((b) => b.addr).join(', ')}`);
  return n;
}

/** Waits until the whole group is in the in-sync set, the NameServer routes its master and the load reaches it. */
export async function waitForHealthyGroup(o: RoundsOptions, timeoutMs: number): Promise<ReplicaInfo> {
  const r = await waitForReplicaInfo(o.controllerAddr, o.brokerName,
    (x) => x.masterAddress !== '' && x.syncStateSet.length === o.brokers.length, timeoutMs);
  const deadline = Date.now() + timeoutMs;
  while ((await routedMaster(o.namesrvAddr, o.brokerName)) !== r.masterAddress) {
    if (Date.now() > deadline) throw new Error(`the NameServer never routed ${o.brokerName} to ${r.masterAddress}`);
    await new Promise((res) => setTimeout(res, 100));
  }
  await o.load.waitForAck(r.masterAddress, Date.now(), timeoutMs);
  return r;
}

export async function failoverRounds(o: RoundsOptions): Promise<Round[]> {
  const failoverTimeout = o.failoverTimeoutMs ?? 60_000;
  const rejoinTimeout = o.rejoinTimeoutMs ?? 90_000;
  const rounds: Round[] = [];
  for (let i = 1; i <= o.kills; i++) {
    const before = await waitForHealthyGroup(o, rejoinTimeout);
    const victim = byAddr(o.brokers, before.masterAddress);
    const killAt = Date.now();
    await victim.kill();
    const elected = await waitForReplicaInfo(o.controllerAddr, o.brokerName,
      (x) => x.masterAddress !== '' && x.masterAddress !== victim.addr && x.masterEpoch > before.masterEpoch, failoverTimeout);
    const electionMs = Date.now() - killAt;
    const first = await o.load.waitForAck(elected.masterAddress, killAt, failoverTimeout);
    const failoverMs = first.atMs - killAt;
    const keys = o.load.acks().map((a) => a.key);
    const check = await checkKeys(o.namesrvAddr, o.topic, keys);
    await victim.start();
    await waitForReplicaInfo(o.controllerAddr, o.brokerName,
      (x) => x.syncStateSet.length === o.brokers.length && x.masterAddress === elected.masterAddress, rejoinTimeout, 200);
    const round: Round = {
      round: i, killed: victim.addr, killedKind: victim.kind, newMaster: elected.masterAddress,
      newMasterKind: byAddr(o.brokers, elected.masterAddress).kind, electionMs, failoverMs,
      acked: keys.length, missing: check.missing, missingKeys: check.missingKeys, rejoinMs: Date.now() - killAt,
    };
    o.log?.(`round ${i}: killed ${round.killedKind} ${round.killed}; elected ${round.newMasterKind} ${round.newMaster} in ${electionMs} ms; `
      + `first ack after ${failoverMs} ms; ${keys.length} acked, ${check.missing} missing; rejoined after ${round.rejoinMs} ms`);
    rounds.push(round);
  }
  return rounds;
}

/**
 * After the load stopped: every broker's commit log ends where the master's does (a rejoined broker that
 * kept a tail the group never acknowledged would end elsewhere). Returns the offsets seen.
 */
export async function waitForEqualLogs(controllerAddr: string, brokerName: string, brokers: Node[], timeoutMs: number): Promise<Record<string, number>> {
  const deadline = Date.now() + timeoutMs;
  let seen: Record<string, number> = {};
  while (Date.now() < deadline) {
    const r = await replicaInfo(controllerAddr, brokerName);
    seen = {};
    for (const b of brokers) {
      try {
        seen[b.addr] = Number((await brokerRuntimeInfo(b.addr)).commitLogMaxOffset);
      } catch {
        seen[b.addr] = -1;
      }
    }
    const m = seen[r.masterAddress];
    if (m !== undefined && Object.values(seen).every((v) => v === m)) return seen;
    await new Promise((res) => setTimeout(res, 300));
  }
  throw new Error(`the commit logs of ${brokerName} never ended at one offset: ${JSON.stringify(seen)}`);
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}
