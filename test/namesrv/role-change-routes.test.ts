/**
 * What a controller-mode group asks of the NameServer's routes (RouteInfoManager#registerBroker and
 * #onChannelDestroy, 5.3.3): a slave promoted to master re-registers its address as id 0 and leaves its old
 * id; a new master's address replaces a dead one's under id 0; a stale master (lower stateVersion, the
 * controller's epoch) cannot take id 0 back from a live newer one; a slave's answer names the live master;
 * a master whose connection closes leaves the routes at once.
 */
import { describe, expect, it } from 'vitest';
import { RouteInfoManager } from '../../src/namesrv/route-info-manager.js';
import type { Connection } from '../../src/remoting/connection.js';
import type { DataVersion } from '../../src/protocol/data-version.js';

const topic = { topicName: 'T', readQueueNums: 4, writeQueueNums: 4, perm: 6 };
const A = '127.0.0.1:20911';
const B = '127.0.0.1:20921';
const C = '127.0.0.1:20931';
/** Only identity matters to the route table: it remembers which connection registered which address. */
const conn = (): Connection => ({}) as Connection;

function reg(routes: RouteInfoManager, addr: string, id: number, dv: DataVersion, c?: Connection) {
  return routes.registerBroker('C1', addr, 'broker-a', id, addr.replace(/:(\d+)$/, (_, p) => `:${Number(p) + 1}`), dv, [topic], [], c);
}

function ids(routes: RouteInfoManager): Record<number, string> {
  return Object.fromEntries(routes.pickupTopicRouteData('T')?.brokerDatas[0]?.brokerAddrs ?? []);
}

describe('routes of a controller-mode group', () => {
  it('a slave re-registering as id 0 leaves its old id; the answer to a slave names the live master and its HA address', () => {
    const routes = new RouteInfoManager();
    const ca = conn();
    reg(routes, A, 0, { counter: 1, timestamp: 1, stateVersion: 1 }, ca);
    const answer = reg(routes, B, 2, { counter: 1, timestamp: 1, stateVersion: 1 });
    expect(answer).toEqual({ masterAddr: A, haServerAddr: '127.0.0.1:20912' });
    expect(ids(routes)).toEqual({ 0: A, 2: B });

    // The master dies: its connection closes, its address leaves at once, the queue data stays (a slave is left).
    routes.onConnectionClosed(ca);
    expect(ids(routes)).toEqual({ 2: B });
    expect(reg(routes, B, 2, { counter: 1, timestamp: 1, stateVersion: 1 })).toEqual({});

    // The controller elects B (epoch 2): it registers as 0 and its id 2 goes.
    reg(routes, B, 0, { counter: 2, timestamp: 2, stateVersion: 2 });
    expect(ids(routes)).toEqual({ 0: B });
    // A comes back as a slave with its controller id: it is told B is the master.
    expect(reg(routes, A, 1, { counter: 2, timestamp: 3, stateVersion: 2 })).toEqual({ masterAddr: B, haServerAddr: '127.0.0.1:20922' });
    expect(ids(routes)).toEqual({ 0: B, 1: A });
  });

  it('a new id-0 address replaces the old one unless the live holder has a newer stateVersion', () => {
    const routes = new RouteInfoManager();
    reg(routes, A, 0, { counter: 5, timestamp: 1, stateVersion: 3 });
    // A stale master (epoch 2) cannot take id 0 from the live one of epoch 3, and is not kept as alive.
    expect(reg(routes, C, 0, { counter: 9, timestamp: 9, stateVersion: 2 })).toEqual({});
    expect(ids(routes)).toEqual({ 0: A });
    expect(routes.brokerDataVersion(C)).toBeUndefined();
    // The master of epoch 4 replaces it.
    reg(routes, C, 0, { counter: 1, timestamp: 9, stateVersion: 4 });
    expect(ids(routes)).toEqual({ 0: C });
    // Brokers that send no stateVersion (4.x) keep the old rule: the last id-0 registration wins.
    const plain = new RouteInfoManager();
    reg(plain, A, 0, { counter: 1, timestamp: 1 });
    reg(plain, C, 0, { counter: 1, timestamp: 1 });
    expect(ids(plain)).toEqual({ 0: C });
  });

  it('the routes of a group whose last broker disconnects are removed', () => {
    const routes = new RouteInfoManager();
    const ca = conn();
    const cb = conn();
    reg(routes, A, 0, { counter: 1, timestamp: 1 }, ca);
    reg(routes, B, 1, { counter: 1, timestamp: 1 }, cb);
    routes.onConnectionClosed(ca);
    expect(routes.pickupTopicRouteData('T')?.queueDatas).toHaveLength(1);
    routes.onConnectionClosed(cb);
    expect(routes.pickupTopicRouteData('T')).toBeUndefined();
    expect(routes.brokerAddrTable.size).toBe(0);
  });
});
