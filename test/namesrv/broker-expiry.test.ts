/**
 * The NameServer's broker expiry (brokerChannelExpiredTime): a broker that stops registering is
 * dropped from every route once the expiry passes, and kept while it keeps registering. The failover compat
 * test covers the other path (a SIGKILLed broker's connection closes and it is dropped at once).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { RouteInfoManager } from '../../src/namesrv/route-info-manager.js';

const EXPIRY_MS = 1000;
const topic = { topicName: 'T', readQueueNums: 4, writeQueueNums: 4, perm: 6 };

function register(routes: RouteInfoManager, name: string, addr: string, counter: number): void {
  routes.registerBroker('DefaultCluster', addr, name, 0, addr, { counter, timestamp: 1 }, [topic], [], undefined);
}

describe('RouteInfoManager broker expiry', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('drops a broker silent for brokerChannelExpiredTime and keeps the one still registering', () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const t0 = Date.now();
    const routes = new RouteInfoManager(EXPIRY_MS);
    register(routes, 'broker-a', '127.0.0.1:10911', 1);
    register(routes, 'broker-b', '127.0.0.1:10921', 1);
    expect(routes.pickupTopicRouteData('T')?.queueDatas.map((q) => q.brokerName).sort()).toEqual(['broker-a', 'broker-b']);

    vi.setSystemTime(t0 + 800);
    expect(routes.scanNotActiveBroker()).toBe(0);
    register(routes, 'broker-a', '127.0.0.1:10911', 1); // broker-a keeps registering, broker-b has gone silent

    vi.setSystemTime(t0 + EXPIRY_MS + 500);
    expect(routes.scanNotActiveBroker()).toBe(1);
    expect([...routes.brokerAddrTable.keys()]).toEqual(['broker-a']);
    expect(routes.pickupTopicRouteData('T')?.queueDatas.map((q) => q.brokerName)).toEqual(['broker-a']);
  });

  it('keeps the Java default of 120 s when not configured', () => {
    const routes = new RouteInfoManager();
    register(routes, 'broker-a', '127.0.0.1:10911', 1);
    expect(routes.scanNotActiveBroker(Date.now() + 119_000)).toBe(0);
    expect(routes.scanNotActiveBroker(Date.now() + 121_000)).toBe(1);
  });
});
