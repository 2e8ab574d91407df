/**
 * Child processes the tests start (our server, Apache namesrv/broker, Java scenario JVMs), tracked so
 * that every one of them is killed when the test process exits, however it exits.
 * No vitest imports: benchmarks use this too.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';

/** Output kept per process for diagnostics; older output is dropped. */
const OUTPUT_KEPT_CHARS_MAX = 4 * 1024 * 1024;

const alive = new Set<ChildProcess>();
let hooksInstalled = false;

function installExitHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  // 'exit' handlers must be synchronous: process.kill is.
  process.on('exit', killAllNow);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      killAllNow();
      process.kill(process.pid, sig);
    });
  }
}

/** Synchronous clean-ups (e.g. removing a dist snapshot) to run if the process exits before they ran. */
const exitCleanups = new Set<() => void>();

/** Registers fn to run at process exit; returns a function that runs it now (once) and unregisters it. */
export function onExitCleanup(fn: () => void): () => void {
  installExitHooks();
  exitCleanups.add(fn);
  return () => {
    if (exitCleanups.delete(fn)) fn();
  };
}

function killAllNow(): void {
  for (const fn of exitCleanups) {
    try {
      fn();
    } catch {
      // best effort at exit
    }
  }
  exitCleanups.clear();
  for (const child of alive) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
  alive.clear();
}

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export class Tracked {
  readonly child: ChildProcess;
  readonly name: string;
  readonly exited: Promise<ExitStatus>;
  private out = '';
  private listeners: Array<() => void> = [];
  private exitStatus: ExitStatus | undefined;

  constructor(name: string, command: string, args: string[], options: SpawnOptions) {
    installExitHooks();
    this.name = name;
    this.child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    alive.add(this.child);
    const append = (chunk: Buffer) => {
      this.out += chunk.toString('utf8');
      if (this.out.length > OUTPUT_KEPT_CHARS_MAX) this.out = this.out.slice(-OUTPUT_KEPT_CHARS_MAX / 2);
      for (const l of this.listeners) l();
    };
    this.child.stdout?.on('data', append);
    this.child.stderr?.on('data', append);
    this.exited = new Promise((resolve) => {
      this.child.once('error', (err) => {
        this.out += `\n[spawn error] ${err.message}\n`;
        alive.delete(this.child);
        this.exitStatus = { code: -1, signal: null };
        resolve(this.exitStatus);
        for (const l of this.listeners) l();
      });
      this.child.once('close', (code, signal) => {
        alive.delete(this.child);
        this.exitStatus = { code, signal };
        resolve(this.exitStatus);
        for (const l of this.listeners) l();
      });
    });
  }

  get output(): string {
    return this.out;
  }

  get running(): boolean {
    return this.exitStatus === undefined;
  }

  /** Resolves once every pattern has matched the output; rejects on exit or timeout, with the output. */
  waitFor(patterns: RegExp[], timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (patterns.every((p) => p.test(this.out))) return done(undefined);
        if (!this.running) {
          return done(new Error(`${this.name} exited (${JSON.stringify(this.exitStatus)}) before printing ${patterns.join(', ')}:\n${this.tail()}`));
        }
      };
      const timer = setTimeout(
        () => done(new Error(`${this.name}: no ${patterns.join(', ')} within ${timeoutMs} ms:\n${this.tail()}`)),
        timeoutMs,
      );
      const done = (err: Error | undefined) => {
        clearTimeout(timer);
        this.listeners = this.listeners.filter((l) => l !== check);
        if (err) reject(err);
        else resolve();
      };
      this.listeners.push(check);
      check();
    });
  }

  /** Sends signal, waits up to graceMs for exit, then SIGKILLs. Returns how it exited. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = 20_000): Promise<ExitStatus & { killed: boolean }> {
    if (!this.running) return { ...(this.exitStatus as ExitStatus), killed: false };
    this.child.kill(signal);
    const timedOut = Symbol('timeout');
    let timer: NodeJS.Timeout | undefined;
    const r = await Promise.race([
      this.exited,
      new Promise<typeof timedOut>((res) => {
        timer = setTimeout(() => res(timedOut), graceMs);
      }),
    ]);
    clearTimeout(timer);
    if (r !== timedOut) return { ...r, killed: false };
    this.child.kill('SIGKILL');
    return { ...(await this.exited), killed: true };
  }

  kill(): Promise<ExitStatus> {
    if (this.running) this.child.kill('SIGKILL');
    return this.exited;
  }

  tail(chars = 6000): string {
    return this.out.length <= chars ? this.out : '...' + this.out.slice(-chars);
  }
}

export function startTracked(name: string, command: string, args: string[], options: SpawnOptions = {}): Tracked {
  return new Tracked(name, command, args, options);
}

/** Writes a Java-style properties file body from an object. */
export function toProperties(conf: Record<string, string | number | boolean>): string {
  return Object.entries(conf)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join('\n') + '\n';
}
