/**
 * Tools for the replication fault tests (compat-tests/replication-faults.test.ts): the Java ReplDriver
 * driven through command files, black-box requests to one broker address (pull, max offset, runtime info,
 * committed offsets), freezing a node's process (SIGSTOP/SIGCONT) found by its store dir, and a byte
 * comparison of two CommitLogs. No vitest imports.
 */
import fs from 'node:fs';
import path from 'node:path';
import { javaClasspath, baseJvmArgs } from './java.js';
import type { Node } from './cluster.js';
import { startTracked, type Tracked } from '../../test/support/processes.js';
import { makeTempDir, removeDir } from '../../test/support/server.js';
import { RemotingClient } from '../../src/remoting/client.js';
import { createRequest, requestBody, type RemotingCommand } from '../../src/remoting/command.js';
import { RequestCode } from '../../src/protocol/request-code.js';
import { ResponseCode } from '../../src/protocol/response-code.js';
import { decodeRecord, type DecodedRecord } from '../../src/codec/message-record.js';

const DRIVER_MAIN = 'rocketmqts.compat.ReplDriver';
const REQUEST_TIMEOUT_MS = 5000;

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** ReplDriver's body: "seq=<seq>;len=<len>;" then 'a' + (seq + i) % 26 up to len. */
export function expectedBody(seq: number, len: number): Buffer {
  const head = Buffer.from(`seq=${seq};len=${len};`, 'ascii');
  const b = Buffer.alloc(Math.max(len, head.length));
  head.copy(b);
  for (let i = head.length; i < b.length; i++) b[i] = 97 + ((seq + i) % 26);
  return b;
}

/** The seq and length a ReplDriver body announces, or undefined for anything else. */
export function bodyHeader(body: Buffer): { seq: number; len: number } | undefined {
  const m = /^seq=(\d+);len=(\d+);/.exec(body.subarray(0, 48).toString('latin1'));
  return m ? { seq: Number(m[1]), len: Number(m[2]) } : undefined;
}

/** A body is intact when it is exactly what its own header says it should be. */
export function bodyIntact(body: Buffer): boolean {
  const h = bodyHeader(body);
  return h !== undefined && expectedBody(h.seq, h.len).equals(body);
}

export interface Ack {
  seq: number;
  queueId: number;
  queueOffset: number;
}

function parseTriples(file: string): Ack[] {
  if (!fs.existsSync(file)) return [];
  const out: Ack[] = [];
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const p = line.trim().split(' ');
    if (p.length !== 3) continue; // a line being written
    out.push({ seq: Number(p[0]), queueId: Number(p[1]), queueOffset: Number(p[2]) });
  }
  return out;
}

/** The Java 4.9.8 ReplDriver JVM: commands in, `DONE n result` out. */
export class ReplDriver {
  private next = 1;

  private constructor(readonly jvm: Tracked, readonly dir: string) {}

  static async start(namesrvAddr: string, runId: string, topic: string): Promise<ReplDriver> {
    const cp = await javaClasspath();
    const dir = makeTempDir('rocketmq-ts-repl-driver');
    const jvm = startTracked(`java ReplDriver ${runId}`, 'java',
      [...baseJvmArgs(path.join(dir, 'logs')), '-XX:TieredStopAtLevel=1', '-cp', cp, DRIVER_MAIN, namesrvAddr, dir, runId, topic], { cwd: dir });
    await jvm.waitFor([/^INFO driver ready/m], 60_000);
    return new ReplDriver(jvm, dir);
  }

  /** Runs one command and returns its result text (after "DONE n "). */
  async cmd(line: string, timeoutMs: number): Promise<string> {
    const n = this.next++;
    const tmp = path.join(this.dir, `.cmd-${n}`);
    fs.writeFileSync(tmp, line);
    fs.renameSync(tmp, path.join(this.dir, `cmd-${n}`));
    const re = new RegExp(`^DONE ${n} (.*)$`, 'm');
    await this.jvm.waitFor([re], timeoutMs);
    return (re.exec(this.jvm.output) as RegExpExecArray)[1];
  }

  acked(): Ack[] {
    return parseTriples(path.join(this.dir, 'acked.log'));
  }

  /** Lines in acked.log so far (cheap: counts newlines). */
  ackedCount(): number {
    const file = path.join(this.dir, 'acked.log');
    if (!fs.existsSync(file)) return 0;
    const b = fs.readFileSync(file);
    let n = 0;
    for (const c of b) if (c === 10) n++;
    return n;
  }

  consumed(group: string): Ack[] {
    return parseTriples(path.join(this.dir, `consumed-${group}.log`));
  }

  async dispose(): Promise<void> {
    if (this.jvm.running) {
      try {
        await this.cmd('quit', 30_000);
      } catch {
        // stuck or gone: killed below
      }
      await this.jvm.stop('SIGTERM', 5000);
    }
    removeDir(this.dir);
  }
}

/** "{SEND_OK=3,X=1}" → Map. */
export function parseStatuses(text: string): Map<string, number> {
  const m = /\{([^}]*)\}/.exec(text);
  const out = new Map<string, number>();
  if (!m || !m[1]) return out;
  for (const kv of m[1].split(',')) {
    const [k, v] = kv.split('=');
    out.set(k, Number(v));
  }
  return out;
}

export function field(text: string, name: string): string | undefined {
  return new RegExp(`(?:^|\\s)${name}=(\\S+)`).exec(text)?.[1];
}

/** Black-box requests to one broker address. */
export class BrokerWire {
  readonly client = new RemotingClient();

  private async call(addr: string, req: RemotingCommand): Promise<RemotingCommand> {
    return this.client.invoke(addr, req, REQUEST_TIMEOUT_MS);
  }

  /** GET_MAX_OFFSET (30) of one queue, or undefined when the broker refuses or cannot be reached. */
  async maxOffset(addr: string, topic: string, queueId: number): Promise<number | undefined> {
    try {
      const res = await this.call(addr, createRequest(RequestCode.GET_MAX_OFFSET, { topic, queueId: String(queueId) }));
      return res.code === ResponseCode.SUCCESS ? Number(res.extFields?.offset) : undefined;
    } catch {
      return undefined;
    }
  }

  async maxOffsets(addr: string, topic: string, queues: number): Promise<Array<number | undefined>> {
    const out: Array<number | undefined> = [];
    for (let q = 0; q < queues; q++) out.push(await this.maxOffset(addr, topic, q));
    return out;
  }

  /** GET_BROKER_RUNTIME_INFO (28) table, or undefined. */
  async runtime(addr: string): Promise<Record<string, string> | undefined> {
    try {
      const res = await this.call(addr, createRequest(RequestCode.GET_BROKER_RUNTIME_INFO));
      if (res.code !== ResponseCode.SUCCESS) return undefined;
      return (JSON.parse(String(requestBody(res))) as { table: Record<string, string> }).table;
    } catch {
      return undefined;
    }
  }

  async commitLogRange(addr: string): Promise<{ min: number; max: number } | undefined> {
    const t = await this.runtime(addr);
    if (!t || t.commitLogMaxOffset === undefined) return undefined;
    return { min: Number(t.commitLogMinOffset), max: Number(t.commitLogMaxOffset) };
  }

  /** QUERY_CONSUMER_OFFSET (14): the group's committed offset of one queue, or undefined. */
  async committedOffset(addr: string, group: string, topic: string, queueId: number): Promise<number | undefined> {
    try {
      const res = await this.call(addr, createRequest(RequestCode.QUERY_CONSUMER_OFFSET, { consumerGroup: group, topic, queueId: String(queueId) }));
      return res.code === ResponseCode.SUCCESS ? Number(res.extFields?.offset) : undefined;
    } catch {
      return undefined;
    }
  }

  /** UPDATE_AND_CREATE_TOPIC (17) on one broker, as `mqadmin updateTopic -b` sends it. */
  async createTopic(addr: string, topic: string, queueNums: number): Promise<RemotingCommand> {
    return this.call(addr, createRequest(RequestCode.UPDATE_AND_CREATE_TOPIC, {
      topic, defaultTopic: 'TBW102', readQueueNums: String(queueNums), writeQueueNums: String(queueNums),
      perm: '6', topicFilterType: 'SINGLE_TAG', topicSysFlag: '0', order: 'false',
    }));
  }

  /**
   * PULL_MESSAGE (11) as DefaultMQPullConsumer sends it (sysFlag FLAG_SUBSCRIPTION 0x4: subscription "*" in the request; no suspension, no
   * commit), so any broker answers it without a registered consumer.
   */
  async pull(addr: string, group: string, topic: string, queueId: number, offset: number, maxMsgNums: number):
    Promise<{ code: number; records: DecodedRecord[]; nextBeginOffset: number; maxOffset: number; remark?: string }> {
    const res = await this.call(addr, createRequest(RequestCode.PULL_MESSAGE, {
      consumerGroup: group, topic, queueId: String(queueId), queueOffset: String(offset), maxMsgNums: String(maxMsgNums),
      sysFlag: '4', commitOffset: '0', suspendTimeoutMillis: '0', subscription: '*', subVersion: '0', expressionType: 'TAG',
    }));
    const records: DecodedRecord[] = [];
    const body = res.code === ResponseCode.SUCCESS ? requestBody(res) : undefined;
    if (body) for (let pos = 0; pos < body.length; pos += body.readInt32BE(pos)) records.push(decodeRecord(body, pos));
    return {
      code: res.code, records, remark: res.remark,
      nextBeginOffset: Number(res.extFields?.nextBeginOffset ?? offset), maxOffset: Number(res.extFields?.maxOffset ?? -1),
    };
  }

  /** Every record of queue [from, to) on addr, retrying until deadline for what is not there yet. */
  async readQueue(addr: string, group: string, topic: string, queueId: number, from: number, to: number, deadlineMs: number,
    batch = 32): Promise<Map<number, DecodedRecord>> {
    const out = new Map<number, DecodedRecord>();
    let offset = from;
    while (offset < to) {
      let r;
      try {
        r = await this.pull(addr, group, topic, queueId, offset, batch);
      } catch {
        r = undefined;
      }
      if (r && r.records.length > 0) {
        for (const rec of r.records) out.set(rec.queueOffset, rec);
        offset = Math.max(offset + 1, r.nextBeginOffset);
        continue;
      }
      if (Date.now() > deadlineMs) break;
      await sleep(100);
    }
    return out;
  }

  close(): void {
    this.client.close();
  }
}

/** PIDs whose command line names this node's config file (its own temp dir): the node's process and nothing else. */
export function pidsOfNode(node: Node): number[] {
  const needle = path.join(node.dir, 'broker.conf');
  const out: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (cmdline.includes(needle)) out.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** Sends sig (SIGSTOP / SIGCONT) to the node's process; returns the PIDs signalled. */
export function signalNode(node: Node, sig: NodeJS.Signals): number[] {
  const pids = pidsOfNode(node);
  for (const pid of pids) {
    try {
      process.kill(pid, sig);
    } catch {
      // exited meanwhile
    }
  }
  return pids;
}

export function commitLogDir(node: Node): string {
  return path.join(node.dir, 'store', 'commitlog');
}

/** CommitLog segment files of a store: base offset and path, by offset. */
export function commitLogFiles(dir: string): Array<{ base: number; file: string; size: number }> {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).filter((f) => /^\d{20}$/.test(f)).map((f) => {
    const file = path.join(dir, f);
    return { base: Number(f), file, size: fs.statSync(file).size };
  }).sort((a, b) => a.base - b.base);
}

export interface LogComparison {
  comparedBytes: number;
  /** Absolute offset of the first differing byte, if any. */
  firstMismatch?: number;
  /** Why a range could not be compared (a file missing on one side). */
  missing?: string;
}

const COMPARE_CHUNK_BYTES = 4 * 1024 * 1024;

/** Compares [from, to) of two CommitLog directories byte for byte (same segment size on both sides). */
export function compareCommitLogs(aDir: string, bDir: string, from: number, to: number): LogComparison {
  const a = commitLogFiles(aDir);
  const b = commitLogFiles(bDir);
  let compared = 0;
  const bufA = Buffer.alloc(COMPARE_CHUNK_BYTES);
  const bufB = Buffer.alloc(COMPARE_CHUNK_BYTES);
  let pos = from;
  while (pos < to) {
    const fa = [...a].reverse().find((f) => f.base <= pos);
    const fb = [...b].reverse().find((f) => f.base <= pos);
    if (!fa || !fb || fa.base !== fb.base) {
      return { comparedBytes: compared, missing: `no common segment for offset ${pos} (a: ${fa?.base}, b: ${fb?.base})` };
    }
    const segEnd = Math.min(to, fa.base + Math.min(fa.size, fb.size));
    if (segEnd <= pos) return { comparedBytes: compared, missing: `segment ${fa.base} ends before ${pos}` };
    const da = fs.openSync(fa.file, 'r');
    const db = fs.openSync(fb.file, 'r');
    try {
      while (pos < segEnd) {
        const n = Math.min(COMPARE_CHUNK_BYTES, segEnd - pos);
        fs.readSync(da, bufA, 0, n, pos - fa.base);
        fs.readSync(db, bufB, 0, n, pos - fb.base);
        if (bufA.compare(bufB, 0, n, 0, n) !== 0) {
          for (let i = 0; i < n; i++) if (bufA[i] !== bufB[i]) return { comparedBytes: compared + i, firstMismatch: pos + i };
        }
        compared += n;
        pos += n;
      }
    } finally {
      fs.closeSync(da);
      fs.closeSync(db);
    }
  }
  return { comparedBytes: compared };
}

/** Lines of a node's output matching re (last `max`), for reports. */
export function grepOutput(node: Node, re: RegExp, max = 12): string[] {
  return node.output().split('\n').filter((l) => re.test(l)).slice(-max);
}
