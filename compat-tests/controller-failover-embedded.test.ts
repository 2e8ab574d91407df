/**
 * Controller mode (issue #19) with the controller embedded in the Apache 5.3.3 NameServer
 * (NamesrvStartup, enableControllerInNamesrv=true), which also gives the routes: our brokers and an Apache
 * 5.3.3 broker in one group, the master SIGKILLed 10 times in a row under Java client load, each failover
 * within the all-Apache group's (APACHE_BASELINE). The loop and its checks: compat-tests/controller-suite.ts;
 * the standalone-controller variant: controller-failover.test.ts (a separate file so the two npm test lanes
 * run them side by side).
 */
import { apacheNamesrvWithController } from './support/controller.js';
import { MIXED_KINDS, failoverSuite, mixedGroup, withinApache } from './controller-suite.js';
import { snapshotDist } from '../test/support/our-server.js';

failoverSuite('controller mode: ours, ours, Apache 5.3.3; controller embedded in the Apache NameServer', async () => {
  const dist = snapshotDist();
  const both = await apacheNamesrvWithController();
  return mixedGroup(both, both, dist);
}, withinApache, MIXED_KINDS);
