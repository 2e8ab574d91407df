/**
 * Controller mode (issue #19), black-box: our brokers and an Apache 5.3.3 broker in one group managed by the
 * standalone Apache 5.3.3 controller (ControllerStartup), routes from our NameServer, the master SIGKILLed
 * 10 times in a row under Java client load. The loop and its checks: compat-tests/controller-suite.ts. The
 * same group with the controller inside the Apache NameServer: controller-failover-embedded.test.ts.
 * COMPAT_APACHE=1 adds the all-Apache group (standalone controller, Apache 5.3.3 NameServer), which is how
 * APACHE_BASELINE (the failover time ours must stay within) was measured.
 */
import { describe } from 'vitest';
import { ourNamesrv } from './support/cluster.js';
import { apache5Namesrv, apacheController, apacheControllerBroker } from './support/controller.js';
import { BROKER_NAME, MIXED_KINDS, failoverSuite, mixedGroup, withinApache, type Group } from './controller-suite.js';
import { snapshotDist } from '../test/support/our-server.js';

failoverSuite('controller mode: ours, ours, Apache 5.3.3; standalone controller, our NameServer', async () => {
  const dist = snapshotDist();
  const [controller, namesrv] = await Promise.all([apacheController(), ourNamesrv({}, { cliPath: `${dist}/cli.js` })]);
  return mixedGroup(controller, namesrv, dist);
}, withinApache, MIXED_KINDS);

describe.runIf(process.env.COMPAT_APACHE === '1')('all-Apache reference', () => {
  failoverSuite('controller mode: Apache 5.3.3 × 3; standalone controller, Apache NameServer', async () => {
    const [controller, namesrv] = await Promise.all([apacheController(), apache5Namesrv()]);
    const g: Group = { controller, namesrv, brokers: [] };
    for (let i = 0; i < 3; i++) g.brokers.push(await apacheControllerBroker(BROKER_NAME, namesrv.addr, controller.controllerAddr));
    return g;
  }, () => undefined);
});
