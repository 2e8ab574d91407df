/**
 * AutoSwitchHA against the Apache 5.3.3 broker (store side of issue #19), under the Apache 5.3.3
 * controller: an Apache master with our broker as its slave (Java master → our slave), then the Apache
 * broker killed, ours elected, and the Apache broker restarted as our slave (our master → Java slave).
 * Each time the slave must join the in-sync set (the master saw it caught up) and both commit logs must
 * hold the same bytes. Opt-in (COMPAT_APACHE=1, ~80 s): compat-tests/controller-failover.test.ts covers the
 * mixed group in `npm test`; this one isolates the HA stream in both directions. H1_CLI picks our cli.js
 * (default dist/cli.js). Captured 2026-11-29 on this machine: Apache master → our slave 36,476 bytes identical,
 * our slave in the in-sync set when first asked; our master → restarted Apache slave 215,692 bytes identical,
 * the Apache slave back in the in-sync set 6.4 s after its restart began.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { disposeAll, ourNamesrv, type Node } from './support/cluster.js';
import {
  apacheController, apacheControllerBroker, ourControllerBroker, startLoad, waitForReplicaInfo, type ControllerNode,
} from './support/controller.js';
import { brokerIdentityId, waitForEqualLogs } from './support/failover-rounds.js';

const CLI = process.env.H1_CLI ?? path.resolve('dist/cli.js');
const NAME = 'as-group';
const TOPIC = 'AutoSwitchCompat';

function logBytes(n: Node, end: number): Buffer {
  const file = path.join(n.dir, 'store', 'commitlog', '00000000000000000000');
  const fd = fs.openSync(file, 'r');
  const out = Buffer.alloc(end);
  fs.readSync(fd, out, 0, end, 0);
  fs.closeSync(fd);
  return out;
}

const nodes: Node[] = [];
afterAll(async () => {
  await disposeAll(nodes);
}, 60_000);

describe.runIf(process.env.COMPAT_APACHE === '1')('AutoSwitchHA with the Apache 5.3.3 broker', () => {
  it('Apache master → our slave, then our master → Apache slave, byte for byte', async () => {
    const ctrl: ControllerNode = await apacheController();
    nodes.push(ctrl);
    const ns = await ourNamesrv({}, { cliPath: CLI });
    nodes.push(ns);
    const apache = await apacheControllerBroker(NAME, ns.addr, ctrl.controllerAddr);
    nodes.push(apache);
    await waitForReplicaInfo(ctrl.controllerAddr, NAME, (r) => r.masterAddress === apache.addr, 60_000);
    const ours = await ourControllerBroker(NAME, ns.addr, ctrl.controllerAddr, {}, { cliPath: CLI });
    nodes.push(ours);
    const load = await startLoad(ns.addr, TOPIC);
    await load.waitForAck(apache.addr, 0, 60_000);
    await new Promise((r) => setTimeout(r, 3_000));
    const t0 = Date.now();
    const joined = await waitForReplicaInfo(ctrl.controllerAddr, NAME, (r) => r.syncStateSet.length === 2, 60_000);
    console.log(`our slave in the in-sync set after ${Date.now() - t0} ms: ${JSON.stringify(joined)}`);
    await load.stop();
    const ends = await waitForEqualLogs(ctrl.controllerAddr, NAME, [apache, ours], 60_000);
    const end = ends[apache.addr];
    expect(end).toBeGreaterThan(0);
    expect(logBytes(ours, end).equals(logBytes(apache, end))).toBe(true);
    console.log(`Apache master → our slave: ${end} bytes identical, ${load.acks().length} acks`);

    // Our broker takes over; the Apache broker comes back as its slave.
    await apache.kill();
    const oursId = brokerIdentityId(ours);
    await waitForReplicaInfo(ctrl.controllerAddr, NAME, (r) => r.masterBrokerId === oursId, 60_000);
    const load2 = await startLoad(ns.addr, TOPIC);
    await load2.waitForAck(ours.addr, 0, 60_000);
    await apache.start();
    const t1 = Date.now();
    const back = await waitForReplicaInfo(ctrl.controllerAddr, NAME, (r) => r.masterBrokerId === oursId && r.syncStateSet.length === 2, 90_000);
    console.log(`Apache slave in the in-sync set after ${Date.now() - t1} ms: ${JSON.stringify(back)}`);
    await load2.stop();
    const ends2 = await waitForEqualLogs(ctrl.controllerAddr, NAME, [apache, ours], 60_000);
    const end2 = ends2[ours.addr];
    expect(end2).toBeGreaterThan(end);
    expect(logBytes(apache, end2).equals(logBytes(ours, end2))).toBe(true);
    console.log(`our master → Apache slave: ${end2} bytes identical, ${load2.acks().length} more acks`);
  }, 600_000);
});
