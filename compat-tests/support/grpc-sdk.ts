/**
 * What the Go v5 and Node.js 5.x SDK suites share (compat-tests/grpc-go.test.ts, grpc-node.test.ts):
 * - the scenario table: each scenario s uses topic <prefix>_s (with its 5.x message type) and group
 *   <prefix>_s_g (FIFO groups consumeMessageOrderly, DLQ groups a small retryMaxTimes), created over remoting
 *   on the broker before the driver starts, as `mqadmin updateTopic -a +message.type=X` / `updateSubGroup` do;
 * - the targets: our standalone server (startOurServer: its gRPC endpoint keeps its address across
 *   restart()), and the Apache 5.3.3 proxy in local mode behind COMPAT_APACHE=1;
 * - the driver protocol: one process runs every scenario and prints "PASS|FAIL <scenario> ..." once per
 *   scenario; "RESTART_NOW" asks for a server restart, answered with "RESTARTED" on its stdin.
 * No vitest imports.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import fs from 'node:fs';
import { startApacheProxy } from './apache-proxy.js';
import { RemotingClient } from '../../src/remoting/client.js';
import { createRequest } from '../../src/remoting/command.js';
import { RequestCode } from '../../src/protocol/request-code.js';
import { ResponseCode } from '../../src/protocol/response-code.js';
import { startOurServer } from '../../test/support/our-server.js';
import { onExitCleanup } from '../../test/support/processes.js';

export type MessageType = 'NORMAL' | 'FIFO' | 'DELAY' | 'TRANSACTION';

export interface GrpcScenario {
  name: string;
  topicType: MessageType;
  orderly?: boolean;
  retryMaxTimes?: number;
  /** What the scenario proves, for test names. */
  title: string;
}

export const GRPC_SCENARIOS: Record<string, GrpcScenario> = {
  normal: { name: 'normal', topicType: 'NORMAL', title: 'producer normal + SimpleConsumer receive/ack, content end to end' },
  fifo: { name: 'fifo', topicType: 'FIFO', orderly: true, title: 'producer FIFO (message group) + ordered per group' },
  delay: { name: 'delay', topicType: 'DELAY', title: 'producer delay (delivery timestamp): not before due' },
  transaction: { name: 'transaction', topicType: 'TRANSACTION', title: 'transaction commit / rollback / check-back through the checker' },
  invisible: { name: 'invisible', topicType: 'NORMAL', title: 'SimpleConsumer changeInvisibleDuration then ack' },
  dlq: { name: 'dlq', topicType: 'NORMAL', retryMaxTimes: 1, title: 'retries end in %DLQ%<group>' },
  fifodlq: { name: 'fifodlq', topicType: 'FIFO', orderly: true, retryMaxTimes: 1, title: 'FIFO PushConsumer retries, then ForwardMessageToDeadLetterQueue' },
  pushfifo: { name: 'pushfifo', topicType: 'FIFO', orderly: true, title: 'PushConsumer FIFO: ordered per message group' },
  restart: { name: 'restart', topicType: 'NORMAL', title: 'server restart mid-consumption: nothing lost' },
};

/** Broker settings both targets get: transaction check-back within seconds, not a minute. */
export const TX_BROKER_CONF = { transactionCheckInterval: 5000, transactionTimeOut: 3000 };

export interface GrpcTarget {
  name: string;
  grpcEndpoint: string;
  namesrvAddr: string;
  brokerAddr: string;
  restart(): Promise<void>;
  tail(): string;
  dispose(): Promise<void>;
}

export async function startOursGrpc(): Promise<GrpcTarget> {
  const s = await startOurServer({ conf: TX_BROKER_CONF });
  return {
    name: 'rocketmq-ts', grpcEndpoint: s.grpcEndpoint, namesrvAddr: s.namesrvAddr, brokerAddr: s.brokerAddr,
    restart: () => s.restart(), tail: () => s.output().slice(-6000), dispose: () => s.dispose(),
  };
}

export async function startApacheGrpc(): Promise<GrpcTarget> {
  const p = await startApacheProxy({ brokerConf: TX_BROKER_CONF });
  return {
    name: 'Apache RocketMQ 5.3.3 proxy (local)', grpcEndpoint: p.grpcEndpoint, namesrvAddr: p.namesrvAddr, brokerAddr: p.brokerAddr,
    restart: () => p.restart(), tail: () => p.output().slice(-6000), dispose: () => p.dispose(),
  };
}

/**
 * Creates each scenario's topic (message.type attribute) and group on the broker and waits until the
 * NameServer routes every topic (the endpoint resolves routes from it).
 */
export async function createGrpcResources(t: GrpcTarget, prefix: string, scenarios: string[]): Promise<void> {
  const client = new RemotingClient();
  try {
    for (const name of scenarios) {
      const sc = GRPC_SCENARIOS[name];
      const topic = `${prefix}_${name}`;
      const res = await client.invoke(t.brokerAddr, createRequest(RequestCode.UPDATE_AND_CREATE_TOPIC, {
        topic, defaultTopic: 'TBW102', readQueueNums: '4', writeQueueNums: '4', perm: '6', topicFilterType: 'SINGLE_TAG',
        topicSysFlag: '0', order: 'false', attributes: `+message.type=${sc.topicType}`,
      }), 5000);
      if (res.code !== ResponseCode.SUCCESS) throw new Error(`creating ${topic}: code ${res.code} ${res.remark ?? ''}`);
      const group = {
        groupName: `${topic}_g`, consumeEnable: true, consumeFromMinEnable: true, consumeBroadcastEnable: true,
        consumeMessageOrderly: sc.orderly === true, retryQueueNums: 1, retryMaxTimes: sc.retryMaxTimes ?? 16,
        brokerId: 0, whichBrokerWhenConsumeSlowly: 1, notifyConsumerIdsChangedEnable: true,
      };
      const g = await client.invoke(t.brokerAddr,
        createRequest(RequestCode.UPDATE_AND_CREATE_SUBSCRIPTIONGROUP, {}, Buffer.from(JSON.stringify(group))), 5000);
      if (g.code !== ResponseCode.SUCCESS) throw new Error(`creating group ${group.groupName}: code ${g.code} ${g.remark ?? ''}`);
    }
    const deadline = Date.now() + 20_000;
    for (const name of scenarios) {
      const topic = `${prefix}_${name}`;
      for (;;) {
        const route = await client.invoke(t.namesrvAddr, createRequest(RequestCode.GET_ROUTEINFO_BY_TOPIC, { topic }), 5000);
        if (route.code === ResponseCode.SUCCESS) break;
        if (Date.now() > deadline) throw new Error(`the NameServer never routed ${topic}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  } finally {
    client.close();
  }
}

export interface ScenarioResult {
  scenario: string;
  passed: boolean;
  verdict: string;
  tookMs: number;
}

/**
 * One driver process running several scenarios. result(s) resolves when s prints its verdict, or
 * when the process ends without one. On "RESTART_NOW" it calls onRestart and then writes "RESTARTED".
 */
export class ScenarioDriver {
  private readonly child: ChildProcessWithoutNullStreams;
  private out = '';
  private pending = '';
  private readonly results = new Map<string, ScenarioResult>();
  private waiters: Array<() => void> = [];
  private exited: string | undefined;
  readonly startedMs = Date.now();
  restartMs: number | undefined;
  restartError: Error | undefined;

  constructor(command: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv; onRestart: () => Promise<void> }) {
    this.child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ['pipe', 'pipe', 'pipe'] });
    // GRPC_DRIVER_LOG=<file>: a copy of the driver's output while it runs (vitest prints only at the end).
    const tee = process.env.GRPC_DRIVER_LOG;
    const onData = (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      if (tee) fs.appendFileSync(tee, text);
      this.out += text;
      if (this.out.length > 4_000_000) this.out = this.out.slice(-2_000_000);
    };
    this.child.stderr.on('data', onData);
    this.child.stdout.on('data', (chunk: Buffer) => {
      onData(chunk);
      this.pending += chunk.toString('utf8');
      let nl: number;
      while ((nl = this.pending.indexOf('\n')) >= 0) {
        const line = this.pending.slice(0, nl);
        this.pending = this.pending.slice(nl + 1);
        this.onLine(line, options.onRestart);
      }
    });
    const unregister = onExitCleanup(() => this.child.kill('SIGKILL'));
    this.child.once('close', (code, signal) => {
      unregister();
      this.exited = `exited code=${code} signal=${signal}`;
      this.wake();
    });
  }

  private onLine(line: string, onRestart: () => Promise<void>): void {
    const m = /^(PASS|FAIL) (\S+) ?(.*)$/.exec(line);
    if (m) {
      const took = /\((\d+) ms\)$/.exec(m[3]);
      this.results.set(m[2], { scenario: m[2], passed: m[1] === 'PASS', verdict: line, tookMs: took ? Number(took[1]) : Date.now() - this.startedMs });
      this.wake();
    } else if (line === 'RESTART_NOW') {
      const t0 = Date.now();
      onRestart().then(
        () => { this.restartMs = Date.now() - t0; },
        (err: Error) => { this.restartError = err; },
      ).finally(() => this.child.stdin.write('RESTARTED\n'));
    }
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }

  get output(): string {
    return this.out;
  }

  /** The scenario's verdict; a process that ends (or times out) without one is a failure. */
  result(scenario: string, timeoutMs: number): Promise<ScenarioResult> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => finish(`no verdict within ${timeoutMs} ms`), timeoutMs);
      const finish = (why?: string) => {
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== check);
        resolve(this.results.get(scenario) ?? { scenario, passed: false, verdict: `FAIL ${scenario} ${why}`, tookMs: Date.now() - this.startedMs });
      };
      const check = () => {
        if (this.results.has(scenario)) finish();
        else if (this.exited) finish(`driver ${this.exited} without a verdict`);
      };
      this.waiters.push(check);
      check();
    });
  }

  /** Lines of the driver's output about one scenario (INFO/PASS/FAIL), for failure messages. */
  linesOf(scenario: string): string {
    return this.out.split('\n').filter((l) => l.includes(` ${scenario} `) || !/^(INFO|PASS|FAIL) /.test(l)).slice(-60).join('\n');
  }

  async stop(): Promise<void> {
    if (this.exited) return;
    const closed = new Promise<void>((r) => this.child.once('close', () => r()));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await closed;
    clearTimeout(timer);
  }
}
