/**
 * rocketmq-spring-boot-starter 2.3.5 (the newest on Maven Central; it brings rocketmq-client 5.3.2 and
 * Spring Boot 2.7.18) against our server: one Spring Boot application (compat-tests/spring) sends with
 * RocketMQTemplate (syncSend with tag and keys, syncSendOrderly, delay level 1 and syncSendDelayTimeMills,
 * sendMessageInTransaction, sendAndReceive) and consumes with @RocketMQMessageListener beans (concurrent,
 * ORDERLY, and a RocketMQReplyListener), checking bodies, tags, keys, order, delays and the transactionId.
 * request-reply is the async sendAndReceive: the starter's client (5.3.2) returns from a sync request as
 * soon as the request is stored (apache/rocketmq#9319), against any broker; the app tries it and accepts that.
 * One JVM runs every case (Spring start-up is most of the cost); each case becomes a matrix row.
 * COMPAT_APACHE_REFERENCE=1 also runs it against the Apache 5.3.3 broker (behind our NameServer).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordMatrix } from './support/matrix.js';
import { SPRING_STARTER_VERSION, runSpringScenario, springClasspath, type SpringRun } from './support/spring.js';
import { apache5Broker, disposeAll, nodeTail, ourNamesrv, type Node } from './support/cluster.js';
import { waitForRoute } from './support/route.js';
import { startOurServer } from '../test/support/our-server.js';
import type { RunningServer } from '../test/support/server.js';

const SETUP_TIMEOUT_MS = 600_000; // a cold ~/.m2 downloads Spring Boot and the starter
const RUN_TIMEOUT_MS = 180_000;
const CASES = ['normal', 'orderly', 'delay', 'transaction', 'request-reply'] as const;
const CLIENT = `Spring Boot starter ${SPRING_STARTER_VERSION}`;

interface Target {
  name: string;
  enabled: boolean;
  start(): Promise<{ namesrvAddr: string; tail(): string; dispose(): Promise<void> }>;
}

const targets: Target[] = [
  {
    name: 'rocketmq-ts',
    enabled: process.env.COMPAT_OURS !== '0',
    start: async () => {
      const s: RunningServer = await startOurServer({ conf: { transactionCheckInterval: 5000 } });
      return { namesrvAddr: s.namesrvAddr, tail: () => s.output().slice(-4000), dispose: () => s.dispose() };
    },
  },
  {
    name: 'rocketmq-ts namesrv + Apache 5.3.3 broker',
    enabled: process.env.COMPAT_APACHE_REFERENCE === '1',
    start: async () => {
      const ns: Node = await ourNamesrv();
      const broker = await apache5Broker('spring-apache5', ns.addr, { transactionCheckInterval: 5000 });
      await waitForRoute(ns.addr, 'TBW102');
      return { namesrvAddr: ns.addr, tail: () => nodeTail(broker), dispose: () => disposeAll([broker, ns]) };
    },
  },
];

for (const target of targets) {
  describe.skipIf(!target.enabled)(`${CLIENT} against ${target.name}`, () => {
    let run: SpringRun | undefined;
    let failure: string | undefined;

    beforeAll(async () => {
      await springClasspath();
      const server = await target.start();
      try {
        run = await runSpringScenario(server.namesrvAddr);
        if (!run.passed) failure = `${run.verdict}\n--- output:\n${run.output.slice(-8000)}\n--- server:\n${server.tail()}`;
      } finally {
        await server.dispose();
      }
    }, SETUP_TIMEOUT_MS + RUN_TIMEOUT_MS);

    afterAll(() => {
      if (!run) return;
      for (const c of CASES) {
        const verdict = run.cases.get(c) ?? 'no verdict';
        recordMatrix({ client: CLIENT, server: target.name, scenario: `spring ${c}`, passed: verdict === 'PASS', verdict, tookMs: run.tookMs });
      }
    });

    for (const c of CASES) {
      it(`RocketMQTemplate / @RocketMQMessageListener: ${c}`, () => {
        expect(run, 'the Spring application did not run').toBeDefined();
        expect(run!.cases.get(c), failure ?? run!.output.slice(-4000)).toBe('PASS');
      });
    }
  });
}
