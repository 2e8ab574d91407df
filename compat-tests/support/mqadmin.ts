/**
 * mqadmin (rocketmq-tools 4.9.8 and 5.3.3) and a small Java traffic program, each as ONE long-lived
 * JVM driven line by line on stdin (compat-tests/mqadmin/MqadminBatch.java, AdminTraffic.java):
 * JVM start-up is most of what a command costs, so a test file pays it once per tool version.
 * No vitest imports.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import path from 'node:path';
import { mavenClasspath } from './maven.js';
import { REPO_ROOT } from '../../test/support/server.js';

export const MQADMIN_DIR = path.join(REPO_ROOT, 'compat-tests', 'mqadmin');
export const MQADMIN_VERSIONS = { '4.9.8': 'v4', '5.3.3': 'v5' } as const;
export type MqadminVersion = keyof typeof MQADMIN_VERSIONS;

/** mqadmin's own RPCs time out after 5 s (3 × for some); a command past this is stuck. */
const COMMAND_TIMEOUT_MS_DEFAULT = 60_000;
/** Compiling the single-file program and starting the client takes a few seconds on 2 busy cores. */
const START_TIMEOUT_MS = 120_000;
const OUTPUT_KEPT_CHARS_MAX = 8 * 1024 * 1024;

const classpaths = new Map<string, Promise<string>>();

/** The rocketmq-tools classpath of one version (compat-tests/mqadmin/v4|v5/pom.xml), built once and cached on disk. */
export function mqadminClasspath(version: MqadminVersion): Promise<string> {
  const dir = path.join(MQADMIN_DIR, MQADMIN_VERSIONS[version]);
  let cp = classpaths.get(dir);
  if (!cp) classpaths.set(dir, (cp = mavenClasspath(dir, false)));
  return cp;
}

const alive = new Set<ChildProcessWithoutNullStreams>();
process.on('exit', () => {
  for (const c of alive) c.kill('SIGKILL');
});

/** One JVM reading commands on stdin; output accumulates and is matched by the caller. */
export class LineDrivenJvm {
  private readonly child: ChildProcessWithoutNullStreams;
  private out = '';
  private listeners: Array<() => void> = [];
  exitCode: number | null | undefined;

  constructor(
    readonly name: string,
    args: string[],
    cwd: string,
  ) {
    this.child = spawn('java', args, { cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    alive.add(this.child);
    const append = (chunk: Buffer) => {
      this.out += chunk.toString('utf8');
      if (this.out.length > OUTPUT_KEPT_CHARS_MAX) this.out = this.out.slice(-OUTPUT_KEPT_CHARS_MAX / 2);
      for (const l of [...this.listeners]) l();
    };
    this.child.stdout.on('data', append);
    this.child.stderr.on('data', append);
    this.child.once('close', (code) => {
      alive.delete(this.child);
      this.exitCode = code;
      for (const l of [...this.listeners]) l();
    });
  }

  get output(): string {
    return this.out;
  }

  send(line: string): void {
    this.child.stdin.write(line + '\n');
  }

  /** Resolves with the output from `from` once `done` matches it; rejects on exit or timeout. */
  waitFor(from: number, done: RegExp, timeoutMs: number): Promise<string> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const text = this.out.slice(from);
        const m = done.exec(text);
        if (m) return finish(undefined, text.slice(0, m.index + m[0].length));
        if (this.exitCode !== undefined) finish(new Error(`${this.name} exited (${this.exitCode}) waiting for ${done}:\n${text.slice(-6000)}`));
      };
      const timer = setTimeout(() => finish(new Error(`${this.name}: no ${done} within ${timeoutMs} ms:\n${this.out.slice(from).slice(-6000)}`)), timeoutMs);
      const finish = (err: Error | undefined, text?: string) => {
        clearTimeout(timer);
        this.listeners = this.listeners.filter((l) => l !== check);
        if (err) reject(err);
        else resolve(text!);
      };
      this.listeners.push(check);
      check();
    });
  }

  async stop(): Promise<void> {
    if (this.exitCode !== undefined) return;
    this.child.stdin.end();
    const exited = new Promise<void>((r) => this.child.once('close', () => r()));
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  }
}

/** A command's output and whether the tool reported it as failed. */
export interface CommandResult {
  args: string[];
  output: string;
  failed: boolean;
}

/**
 * What mqadmin prints when a command fails: MQAdminStartup catches the SubCommandException and
 * prints its stack trace ("XxxSubCommand command failed", "Caused by: ...").
 */
export const FAILED = /command failed|SubCommandException|^Caused by: |^\s+at org\.apache\.rocketmq\./m;

export class MqadminSession {
  private jvm!: LineDrivenJvm;
  private n = 0;

  private constructor(
    readonly version: MqadminVersion,
    readonly namesrvAddr: string,
  ) {}

  /**
   * Starts the batch JVM; `workDir` receives the files some commands write (consumerStatus). `homeDir` is
   * its rocketmq.home.dir (default compat-tests/mqadmin): mqadmin signs every request with the accessKey and
   * secretKey of <homeDir>/conf/tools.yml when that file has them. `jvmArgs` go before the class (e.g.
   * -Dtls.enable=true).
   */
  static async start(version: MqadminVersion, namesrvAddr: string, workDir: string, homeDir = MQADMIN_DIR,
    jvmArgs: string[] = []): Promise<MqadminSession> {
    const cp = await mqadminClasspath(version);
    const s = new MqadminSession(version, namesrvAddr);
    s.jvm = new LineDrivenJvm(`mqadmin ${version}`, [
      '-Xms64m', '-Xmx256m', '-XX:TieredStopAtLevel=1',
      `-Duser.home=${workDir}`,
      `-Drocketmq.home.dir=${homeDir}`,
      // 5.3.3 configures its logging from this property; 4.9.8 reads ${rocketmq.home.dir}/conf/logback_tools.xml.
      `-Drmq.logback.configurationFile=${path.join(MQADMIN_DIR, 'conf', 'logback_tools.xml')}`,
      '-Duser.language=en',
      ...jvmArgs,
      '-cp', cp,
      path.join(MQADMIN_DIR, 'MqadminBatch.java'),
    ], workDir);
    return s;
  }

  /** Runs `mqadmin <command> -n <namesrv> <args...>` and returns what it printed. */
  async run(command: string, args: string[] = [], timeoutMs = COMMAND_TIMEOUT_MS_DEFAULT): Promise<CommandResult> {
    const n = this.n++;
    const all = [command, '-n', this.namesrvAddr, ...args];
    const from = this.jvm.output.length;
    this.jvm.send(all.join('\t'));
    const text = await this.jvm.waitFor(from, new RegExp(`@@@ END ${n}\\n`), n === 0 ? START_TIMEOUT_MS : timeoutMs);
    const begin = text.indexOf(`@@@ BEGIN ${n}\n`);
    const output = text.slice(begin < 0 ? 0 : begin + `@@@ BEGIN ${n}\n`.length, text.lastIndexOf(`@@@ END ${n}`));
    return { args: all, output, failed: FAILED.test(output) };
  }

  stop(): Promise<void> {
    return this.jvm.stop();
  }
}

export interface SentMessage {
  uniqId: string;
  offsetMsgId: string;
  queueId: number;
  queueOffset: number;
  key: string;
}

/** The Java producer/consumer of AdminTraffic.java (rocketmq-client 4.9.8). */
export class TrafficSession {
  private constructor(private readonly jvm: LineDrivenJvm) {}

  static async start(namesrvAddr: string, producerGroup: string, workDir: string): Promise<TrafficSession> {
    const cp = await mqadminClasspath('4.9.8');
    const jvm = new LineDrivenJvm('admin traffic', [
      '-Xms64m', '-Xmx256m', '-XX:TieredStopAtLevel=1',
      `-Duser.home=${workDir}`,
      '-Duser.language=en',
      // Rebalance every second instead of 20 s; the client's own log into the work dir.
      '-Drocketmq.client.rebalance.waitInterval=1000',
      '-Drocketmq.client.logUseSlf4j=false',
      `-Drocketmq.client.logRoot=${workDir}`,
      '-cp', cp,
      path.join(MQADMIN_DIR, 'AdminTraffic.java'),
      namesrvAddr, producerGroup,
    ], workDir);
    return new TrafficSession(jvm);
  }

  /** One command; resolves with its output lines, rejects on "ERR". */
  async run(line: string, timeoutMs = START_TIMEOUT_MS): Promise<string[]> {
    const verb = line.split(' ')[0];
    const from = this.jvm.output.length;
    this.jvm.send(line);
    const text = await this.jvm.waitFor(from, new RegExp(`^(OK|ERR) ${verb}\\b.*$`, 'm'), timeoutMs);
    if (/^ERR /m.test(text)) throw new Error(`traffic "${line}" failed:\n${text}`);
    return text.split('\n');
  }

  async produce(topic: string, count: number, keyPrefix: string): Promise<SentMessage[]> {
    const lines = await this.run(`produce ${topic} ${count} ${keyPrefix}`);
    return lines.filter((l) => l.startsWith('SENT ')).map((l) => {
      const [, uniqId, offsetMsgId, queueId, queueOffset, key] = l.split(' ');
      return { uniqId, offsetMsgId, queueId: Number(queueId), queueOffset: Number(queueOffset), key };
    });
  }

  /** Starts a push consumer whose listener holds every message until open(group); returns its client id. */
  async consume(group: string, topic: string): Promise<string> {
    const lines = await this.run(`consume ${group} ${topic}`);
    const line = lines.find((l) => l.startsWith('CONSUMER '));
    if (!line) throw new Error(`no client id from consume ${group}: ${lines.join('\n')}`);
    return line.slice('CONSUMER '.length).trim();
  }

  async open(group: string): Promise<void> {
    await this.run(`open ${group}`);
  }

  get output(): string {
    return this.jvm.output;
  }

  async stop(): Promise<void> {
    try {
      await this.run('quit', 20_000);
    } catch {
      // already gone, or shutting down slowly: stop() below ends it
    }
    await this.jvm.stop();
  }
}
