/**
 * The controller-mode failover suite of issue #19, shared by compat-tests/controller-failover.test.ts
 * (standalone controller; all-Apache reference) and compat-tests/controller-failover-embedded.test.ts
 * (controller inside the Apache NameServer), which the two npm test lanes run side by side.
 *
 * A 3-broker group managed by the Apache RocketMQ 5.3.3 controller (Maven Central:
 * compat-tests/controller/pom.xml), under load from the Java 5.3.3 producer (sync sends, every acknowledged
 * key recorded: compat-tests/controller/src). Whoever the controller names master is SIGKILLed KILLS times in
 * a row; each time the controller must elect another broker, the new master must acknowledge a send within
 * the all-Apache group's own failover time on this machine (APACHE_BASELINE), every message acknowledged so
 * far (allAckInSyncStateSet=true) must read back, and the killed broker, restarted on its store, must rejoin
 * the in-sync set as a slave. In a mixed group each kind must have been killed as master: a kind the kills never
 * hit is made master (a designated election, CONTROLLER_ELECT_MASTER as `mqadmin electMaster` sends it), must
 * take writes, and is killed once more (one round past KILLS). After the load stops every
 * commit log holds the master's bytes up to the master's end (a rejoined broker that kept a tail nobody
 * acknowledged would not) and every acknowledged message reads back once more.
 *
 * Failover = kill → the first send acknowledged by the new master, on the client's clock (the client polls
 * routes every second: pollNameServerInterval 1000 instead of 30 s, the same for every group). Election =
 * kill → GET_REPLICA_INFO names another master (polled every 100 ms). Every broker gets GROUP_TIMING
 * (controller heartbeat, metadata sync and in-sync-set check every second). Our brokers run from a snapshot
 * of dist/ (`npm run build` first).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Node } from './support/cluster.js';
import {
  apacheControllerBroker, checkKeys, createGroupTopic, ourControllerBroker, replicaInfo, startLoad, waitForReplicaInfo,
  type ControllerNode, type LoadClient,
} from './support/controller.js';
import { designateMaster, failoverRounds, median, waitForEqualLogs, waitForHealthyGroup, type Round } from './support/failover-rounds.js';
import { commitLogDir, compareCommitLogs } from './support/replication.js';

export const KILLS = 10;
const TOPIC = 'ControllerFailover';
export const BROKER_NAME = 'ctrl-group';
/** brokerClusterName of every controller-mode broker the harness starts (support/controller.ts). */
const CLUSTER = 'ControllerCluster';

/**
 * The all-Apache group (3 × Apache 5.3.3 broker, standalone controller, Apache 5.3.3 NameServer, the keys,
 * load and loop of this file) on this machine (2 cores shared with other work), captured 2026-11-29 with
 * COMPAT_APACHE=1: 10 SIGKILLs of the master, 4994 acknowledged messages, 0 missing, commit logs identical.
 * Failover ms 1029,1569,1201,1251,1209,779,1127,1758,954,904; election ms 270,286,237,356,112,181,703,390,
 * 294,573; back in the in-sync set 24.5–35.3 s after the kill (JVM restart included). A run that waited for
 * the full in-sync set before each kill gave failover median 1116 / max 1860 ms, election 294.5 / 553 ms.
 */
export const APACHE_BASELINE = {
  captured: '2026-11-29',
  failoverMsMedian: 1164,
  failoverMsMax: 1758,
  electionMsMedian: 290,
  electionMsMax: 703,
  rejoinMsMedian: 31_090,
} as const;

export interface Group {
  controller: ControllerNode;
  namesrv: Node;
  brokers: Node[];
  load?: LoadClient;
}

function summary(rounds: Round[]): string {
  const f = rounds.map((r) => r.failoverMs);
  const e = rounds.map((r) => r.electionMs);
  return `failover ms ${f.join(',')} (median ${median(f)}, max ${Math.max(...f)}); election ms ${e.join(',')} `
    + `(median ${median(e)}, max ${Math.max(...e)}); masters: ${rounds.map((r) => r.newMasterKind).join(', ')}`;
}

async function teardown(g: Partial<Group>): Promise<void> {
  await g.load?.stop().catch(() => undefined);
  // SIGKILL, not SIGTERM: nothing is checked after this, and a controller-mode Apache broker takes ~15 s to stop.
  const all = [...(g.brokers ?? []), g.namesrv, g.controller].filter((n): n is Node => n !== undefined);
  await Promise.all(all.map((n) => n.kill()));
  await Promise.all(all.map((n) => n.dispose()));
}

/** The loop and checks on a started group; `bound` limits each round's failover (undefined: measure only). */
export function failoverSuite(name: string, start: () => Promise<Group>, bound: (r: Round) => void, masterKinds: string[] = [],
  kills = KILLS): void {
  describe(name, () => {
    const g: Partial<Group> = {};
    beforeAll(async () => {
      Object.assign(g, await start());
      const group = g as Group;
      await createGroupTopic(group.namesrv.addr, group.controller.controllerAddr, BROKER_NAME, group.brokers, TOPIC);
      g.load = await startLoad(group.namesrv.addr, TOPIC);
    }, 240_000);
    afterAll(() => teardown(g), 120_000);

    it(`elects a new master ${kills} times in a row under load; no acknowledged message lost; the killed broker rejoins`, async () => {
      const group = g as Required<Group>;
      const o = {
        controllerAddr: group.controller.controllerAddr, namesrvAddr: group.namesrv.addr, brokerName: BROKER_NAME,
        brokers: group.brokers, topic: TOPIC, load: group.load, kills,
        log: (l: string) => console.log(l),
      };
      await waitForHealthyGroup(o, 90_000);
      const rounds = await failoverRounds(o);
      console.log(`${name}: ${summary(rounds)}`);
      // Each kind must have been master and been killed as master under load (then rejoined as a slave): a kind
      // the kills never hit is made master by the controller (a designated election, as `mqadmin electMaster`
      // asks for), must take writes, and is killed once more.
      for (const kind of masterKinds.filter((k) => !rounds.some((r) => r.killedKind.startsWith(k)))) {
        const now = await waitForHealthyGroup(o, 90_000);
        const target = group.brokers.find((b) => b.kind.startsWith(kind)) as Node;
        if (now.masterAddress !== target.addr) {
          const since = Date.now();
          await designateMaster(group.controller.controllerAddr, CLUSTER, BROKER_NAME, target);
          await waitForReplicaInfo(group.controller.controllerAddr, BROKER_NAME, (x) => x.masterAddress === target.addr, 30_000);
          const ack = await group.load.waitForAck(target.addr, since, 60_000);
          console.log(`${name}: designated ${target.kind} ${target.addr} master; first ack after ${ack.atMs - since} ms`);
        }
        rounds.push(...await failoverRounds({ ...o, kills: 1, firstRound: rounds.length + 1 }));
      }
      for (const r of rounds) {
        expect(r.missing, `round ${r.round}: acknowledged keys missing ${r.missingKeys.join(',')}`).toBe(0);
        bound(r);
      }
      await group.load.stop();
      const acks = group.load.acks();
      const ends = await waitForEqualLogs(group.controller.controllerAddr, BROKER_NAME, group.brokers, 60_000);
      // Same bytes, not only the same length: a rejoined broker that kept an unacknowledged tail and took the
      // master's stream after it would end at the same offset with different bytes in between.
      const master = (await replicaInfo(group.controller.controllerAddr, BROKER_NAME)).masterAddress;
      const masterNode = group.brokers.find((b) => b.addr === master) as Node;
      for (const b of group.brokers.filter((x) => x !== masterNode)) {
        const cmp = compareCommitLogs(commitLogDir(masterNode), commitLogDir(b), 0, ends[master]);
        expect(cmp, `${b.kind} ${b.addr} against master ${masterNode.kind} ${master}`).toEqual({ comparedBytes: ends[master] });
      }
      const final = await checkKeys(group.namesrv.addr, TOPIC, acks.map((a) => a.key));
      expect(final.missing, `after the last failover: ${final.missingKeys.join(',')}`).toBe(0);
      expect(acks.length).toBeGreaterThan(kills);
    }, 600_000);
  });
}

/** Within the all-Apache group's failover time on this machine (its slowest of KILLS rounds). */
export function withinApache(r: Round): void {
  expect(r.failoverMs, `round ${r.round}: first ack on ${r.newMasterKind} ${r.newMaster} after ${r.failoverMs} ms`)
    .toBeLessThanOrEqual(APACHE_BASELINE.failoverMsMax);
}

/** Node kinds (cluster.ts, controller.ts) that must each have been master in a mixed group. */
export const MIXED_KINDS = ['rocketmq-ts', 'Apache 5.3.3'];

export async function mixedGroup(controller: ControllerNode, namesrv: Node, dist: string): Promise<Group> {
  const g: Group = { controller, namesrv, brokers: [] };
  try {
    const conf = { cliPath: `${dist}/cli.js` };
    g.brokers.push(
      await ourControllerBroker(BROKER_NAME, namesrv.addr, controller.controllerAddr, {}, conf),
      await ourControllerBroker(BROKER_NAME, namesrv.addr, controller.controllerAddr, {}, conf),
      await apacheControllerBroker(BROKER_NAME, namesrv.addr, controller.controllerAddr),
    );
    return g;
  } catch (err) {
    await teardown(g);
    throw err;
  }
}

