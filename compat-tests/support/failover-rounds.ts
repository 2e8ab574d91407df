/**
 * The controller-mode failover loop of the issue #19 suites and the all-Apache baseline: under the Java
 * load client, SIGKILL whoever the controller says is master, time the election (kill → the controller
 * names another master, polled every 100 ms) and the failover (kill → the first send acknowledged by the
 * new master, as the client's own clock stamps it), check that every acknowledged message can still be
 * read, then restart the killed broker on its data and wait until it is back in the in-sync set as a
 * slave. No vitest imports.
 */
import fs from 'node:fs';
import path from 'node:path';
import { brokerRuntimeInfo, type Node } from './cluster.js';
import { RemotingClient } from '../../src/remoting/client.js';
import { createRequest } from '../../src/remoting/command.js';
import { RequestCode } from '../../src/protocol/request-code.js';
import { ResponseCode } from '../../src/protocol/response-code.js';
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
  /** Number of the first round in logs and results (default 1). */
  firstRound?: number;
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

/**
 * The kills of one run. The killed broker restarts in the background while the next round starts as soon as
 * the new master takes writes and has one more in-sync member (a candidate for the next election), so a
 * round costs about half a restart: with 3 brokers each one is killed every third round and must be back in
 * the in-sync set by then (the round waits for that). The end waits for every restart and the full set.
 */
export async function failoverRounds(o: RoundsOptions): Promise<Round[]> {
  const failoverTimeout = o.failoverTimeoutMs ?? 60_000;
  const rejoinTimeout = o.rejoinTimeoutMs ?? 90_000;
  const rounds: Round[] = [];
  const rejoins: Array<Promise<void>> = [];
  let before = await waitForHealthyGroup(o, rejoinTimeout);
  const from = o.firstRound ?? 1;
  for (let i = from; i < from + o.kills; i++) {
    const victim = byAddr(o.brokers, before.masterAddress);
    const victimId = brokerIdentityId(victim);
    const killAt = Date.now();
    await victim.kill();
    const elected = await waitForReplicaInfo(o.controllerAddr, o.brokerName,
      (x) => x.masterAddress !== '' && x.masterAddress !== victim.addr && x.masterEpoch > before.masterEpoch, failoverTimeout);
    const electionMs = Date.now() - killAt;
    const first = await o.load.waitForAck(elected.masterAddress, killAt, failoverTimeout);
    const failoverMs = first.atMs - killAt;
    const keys = o.load.acks().map((a) => a.key);
    const check = await checkKeys(o.namesrvAddr, o.topic, keys);
    const round: Round = {
      round: i, killed: victim.addr, killedKind: victim.kind, newMaster: elected.masterAddress,
      newMasterKind: byAddr(o.brokers, elected.masterAddress).kind, electionMs, failoverMs,
      acked: keys.length, missing: check.missing, missingKeys: check.missingKeys, rejoinMs: -1,
    };
    rounds.push(round);
    o.log?.(`round ${i}: killed ${round.killedKind} ${round.killed}; elected ${round.newMasterKind} ${round.newMaster} in ${electionMs} ms; `
      + `first ack after ${failoverMs} ms; ${keys.length} acked, ${check.missing} missing`);
    rejoins.push((async () => {
      await victim.start();
      // The election set is {new master}: the victim is in the set again only after it caught up as a slave
      // (it may be elected master again later, which is fine).
      await waitForReplicaInfo(o.controllerAddr, o.brokerName, (x) => x.syncStateSet.includes(victimId), rejoinTimeout, 200);
      round.rejoinMs = Date.now() - killAt;
      o.log?.(`round ${i}: ${round.killedKind} ${round.killed} back in the in-sync set as a slave ${round.rejoinMs} ms after its kill`);
    })());
    if (i === from + o.kills - 1) break;
    // The next victim is this round's master; the one after it must have rejoined by the time it is elected.
    before = await waitForReplicaInfo(o.controllerAddr, o.brokerName,
      (x) => x.masterAddress === elected.masterAddress && x.syncStateSet.length >= 2, rejoinTimeout, 100);
    await o.load.waitForAck(before.masterAddress, Date.now(), failoverTimeout);
  }
  await Promise.all(rejoins);
  await waitForHealthyGroup(o, rejoinTimeout);
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

/** The controller-assigned id a controller-mode broker keeps in <store>/brokerIdentity (`cluster#brokerName#brokerId`). */
export function brokerIdentityId(n: Node): number {
  const text = fs.readFileSync(path.join(n.dir, 'store', 'brokerIdentity'), 'utf8').trim();
  return Number(text.split('#')[2]);
}

/**
 * CONTROLLER_ELECT_MASTER with designateElect (what `mqadmin electMaster` sends): makes `target` master if it is
 * alive and in the in-sync set. Resolves with the controller's answer header.
 */
export async function designateMaster(controllerAddr: string, clusterName: string, brokerName: string, target: Node): Promise<Record<string, string>> {
  const client = new RemotingClient();
  try {
    const res = await client.invoke(controllerAddr, createRequest(RequestCode.CONTROLLER_ELECT_MASTER, {
      clusterName, brokerName, brokerId: String(brokerIdentityId(target)), designateElect: 'true', invokeTime: String(Date.now()),
    }), 5000);
    if (res.code !== ResponseCode.SUCCESS) throw new Error(`ELECT_MASTER ${target.addr}: code ${res.code} ${res.remark ?? ''}`);
    return res.extFields ?? {};
  } finally {
    client.close();
  }
}
