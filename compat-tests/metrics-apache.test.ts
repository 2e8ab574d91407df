/**
 * COMPAT_APACHE=1: recaptures what the Apache RocketMQ 5.3.3 broker's own Prometheus exporter prints
 * (metricsExporterType=PROM) under a small load: the Java 5.3.3 client's send-sync, push-clustering,
 * transaction and delay scenarios, scraped once a second while each runs (the connection and lag gauges
 * exist only while a client is online), then a topic and a group created and a message sent past its retry
 * budget (test/support/metrics-traffic.ts), and scraped once more. The families seen in any scrape (name, type,
 * sample names, label keys) must equal test/fixtures/metrics/apache-5.3.3-broker.json, the capture
 * test/broker/metrics-names.test.ts diffs our exporter against. METRICS_FIXTURE_WRITE=1 rewrites the
 * fixture (and apache-5.3.3-broker.txt, the richest single scrape, for reading).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { apache5Broker, apacheNamesrv, disposeAll, nodeTail, type Node } from './support/cluster.js';
import { describeJava5Failure, finishJava5Scenario, startJava5Scenario } from './support/java5.js';
import { freePort } from '../test/support/ports.js';
import { familySignature, mergeFamilies, parsePromText, type PromFamily } from '../test/support/prom-text.js';
import { REPO_ROOT } from '../test/support/server.js';
import { adminAndDlqTraffic } from '../test/support/metrics-traffic.js';
import { RemotingClient } from '../src/remoting/client.js';

const FIXTURE_DIR = path.join(REPO_ROOT, 'test', 'fixtures', 'metrics');
const FIXTURE = path.join(FIXTURE_DIR, 'apache-5.3.3-broker.json');
const RUN = process.env.COMPAT_APACHE === '1';
const SCENARIOS = ['send-sync', 'push-clustering', 'transaction', 'delay'];

async function scrape(port: number): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  expect(res.status).toBe(200);
  return res.text();
}

export function familiesJson(fams: Map<string, PromFamily>): object[] {
  return [...fams.values()].sort((a, b) => a.name.localeCompare(b.name)).map((f) => ({
    name: f.name, type: f.type, help: f.help, samples: f.sampleNames, labels: f.labelKeys,
  }));
}

describe.skipIf(!RUN)('Apache 5.3.3 broker Prometheus exporter', () => {
  const nodes: Node[] = [];
  afterAll(async () => disposeAll(nodes), 60_000);

  it('prints the families the fixture records', async () => {
    const namesrv = await apacheNamesrv();
    nodes.push(namesrv);
    const metricsPort = await freePort();
    const broker = await apache5Broker('broker-a', namesrv.addr, { metricsExporterType: 'PROM', metricsPromExporterPort: metricsPort });
    nodes.push(broker);
    const scrapes: Array<Map<string, PromFamily>> = [];
    let richest = '';
    const take = async () => {
      const text = await scrape(metricsPort);
      const fams = parsePromText(text);
      scrapes.push(fams);
      if (fams.size >= parsePromText(richest).size) richest = text;
    };
    for (const scenario of SCENARIOS) {
      const started = Date.now();
      const { jvm, dir } = await startJava5Scenario(scenario, namesrv.addr);
      let running = true;
      void jvm.exited.then(() => { running = false; });
      while (running) {
        await take();
        await new Promise((r) => setTimeout(r, 1000));
      }
      const r = await finishJava5Scenario(scenario, '5.3.3', jvm, dir, started);
      expect(r.passed, describeJava5Failure(r, nodeTail(broker))).toBe(true);
    }
    // The admin and DLQ families appear only once such requests come.
    const client = new RemotingClient(() => {});
    try {
      await adminAndDlqTraffic((req) => client.invoke(broker.addr, req, 10_000));
    } finally {
      client.close();
    }
    await take();
    const merged = mergeFamilies(scrapes);
    const captured = {
      captured: new Date().toISOString(),
      how: 'compat-tests/metrics-apache.test.ts with COMPAT_APACHE=1 METRICS_FIXTURE_WRITE=1: Apache RocketMQ 5.3.3 broker '
        + '(metricsExporterType=PROM) behind the Apache 4.9.7 NameServer, the Java 5.3.3 client running '
        + `${SCENARIOS.join(', ')}; /metrics scraped every second during each; then test/support/metrics-traffic.ts (topic and group `
        + 'created, a send past the retry budget) and one more scrape; families of all scrapes merged',
      families: familiesJson(merged),
    };
    // The live capture, for a look when it differs from the fixture (test-output/ is not committed).
    fs.mkdirSync(path.join(REPO_ROOT, 'test-output'), { recursive: true });
    fs.writeFileSync(path.join(REPO_ROOT, 'test-output', 'metrics-apache-5.3.3.json'), JSON.stringify(captured, null, 2));
    if (process.env.METRICS_FIXTURE_WRITE === '1') {
      fs.writeFileSync(FIXTURE, `${JSON.stringify(captured, null, 2)}\n`);
      fs.writeFileSync(path.join(FIXTURE_DIR, 'apache-5.3.3-broker.txt'),
        `# One scrape of the capture described in apache-5.3.3-broker.json (${captured.captured}).\n${richest}`);
    }
    const recorded = (JSON.parse(fs.readFileSync(FIXTURE, 'utf8')) as { families: Array<{ name: string }> }).families;
    const live = captured.families as Array<{ name: string }>;
    expect(live.map((f) => JSON.stringify(f))).toEqual(recorded.map((f) => JSON.stringify(f)));
  }, 600_000);
});
