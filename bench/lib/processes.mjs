/**
 * Child processes of a benchmark run (servers, benchmark JVMs), tracked so that every one of them is
 * killed when run.mjs exits, however it exits (normal end, thrown error, Ctrl-C, SIGTERM).
 * Each child's output is teed to a log file under the run's directory, for evidence after the run.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';

/** Output kept in memory per process for pattern matching; the log file has all of it. */
const OUTPUT_KEPT_CHARS_MAX = 2 * 1024 * 1024;

const alive = new Set();
const exitCleanups = new Set();
let hooksInstalled = false;

function killAllNow() {
  for (const child of alive) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
  alive.clear();
  for (const fn of exitCleanups) {
    try {
      fn();
    } catch {
      // best effort: the process is exiting
    }
  }
  exitCleanups.clear();
}

/** Runs fn (synchronous) if the process exits before the returned function is called. */
export function atExit(fn) {
  installExitHooks();
  exitCleanups.add(fn);
  return () => exitCleanups.delete(fn);
}

function installExitHooks() {
  if (hooksInstalled) return;
  hooksInstalled = true;
  // 'exit' handlers must be synchronous: process.kill is.
  process.on('exit', killAllNow);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.once(sig, () => {
      process.stderr.write(`\n[bench] ${sig}: killing ${alive.size} child process(es)\n`);
      killAllNow();
      process.exit(130);
    });
  }
}

export class Tracked {
  /**
   * @param {string} name
   * @param {string} command
   * @param {string[]} args
   * @param {{ cwd?: string, env?: NodeJS.ProcessEnv, logFile?: string }} options
   */
  constructor(name, command, args, options = {}) {
    installExitHooks();
    this.name = name;
    this.out = '';
    this.listeners = [];
    this.exitStatus = undefined;
    this.log = options.logFile ? fs.createWriteStream(options.logFile) : undefined;
    this.log?.write(`$ ${command} ${args.join(' ')}\n`);
    this.child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    alive.add(this.child);
    this.startedAtMs = Date.now();
    const append = (chunk) => {
      const s = chunk.toString('utf8');
      this.log?.write(s);
      this.out += s;
      if (this.out.length > OUTPUT_KEPT_CHARS_MAX) this.out = this.out.slice(-OUTPUT_KEPT_CHARS_MAX / 2);
      for (const l of [...this.listeners]) l(s);
    };
    this.child.stdout.on('data', append);
    this.child.stderr.on('data', append);
    this.exited = new Promise((resolve) => {
      this.child.once('error', (err) => {
        append(Buffer.from(`\n[spawn error] ${err.message}\n`));
        alive.delete(this.child);
        this.exitStatus = { code: -1, signal: null };
        this.log?.end();
        resolve(this.exitStatus);
        for (const l of [...this.listeners]) l('');
      });
      this.child.once('close', (code, signal) => {
        alive.delete(this.child);
        this.exitStatus = { code, signal };
        this.log?.end(`\n[exited code=${code} signal=${signal}]\n`);
        resolve(this.exitStatus);
        for (const l of [...this.listeners]) l('');
      });
    });
  }

  get pid() {
    return this.child.pid;
  }

  get running() {
    return this.exitStatus === undefined;
  }

  /** Calls fn with each new chunk of output (and '' on exit); returns an unsubscribe function. */
  onOutput(fn) {
    this.listeners.push(fn);
    return () => {
      this.listeners = this.listeners.filter((l) => l !== fn);
    };
  }

  /** Resolves once every pattern has matched the output; rejects on exit or timeout, with the output tail. */
  waitFor(patterns, timeoutMs) {
    return new Promise((resolve, reject) => {
      let off = () => {};
      const timer = setTimeout(() => done(new Error(`${this.name}: no ${patterns.join(', ')} within ${timeoutMs} ms:\n${this.tail()}`)), timeoutMs);
      const done = (err) => {
        clearTimeout(timer);
        off();
        if (err) reject(err);
        else resolve();
      };
      const check = () => {
        if (patterns.every((p) => p.test(this.out))) return done();
        if (!this.running) done(new Error(`${this.name} exited (${JSON.stringify(this.exitStatus)}) before printing ${patterns.join(', ')}:\n${this.tail()}`));
      };
      off = this.onOutput(check);
      check();
    });
  }

  /** Sends signal, waits up to graceMs for exit, then SIGKILLs. Returns how it exited. */
  async stop(signal = 'SIGTERM', graceMs = 20_000) {
    if (!this.running) return { ...this.exitStatus, killed: false };
    this.child.kill(signal);
    let timer;
    const timedOut = Symbol('timeout');
    const r = await Promise.race([this.exited, new Promise((res) => { timer = setTimeout(() => res(timedOut), graceMs); })]);
    clearTimeout(timer);
    if (r !== timedOut) return { ...r, killed: false };
    this.child.kill('SIGKILL');
    return { ...(await this.exited), killed: true };
  }

  tail(chars = 4000) {
    return this.out.length <= chars ? this.out : '...' + this.out.slice(-chars);
  }
}

/** Writes a Java-style properties file body from an object. */
export function toProperties(conf) {
  return Object.entries(conf).map(([k, v]) => `${k}=${String(v)}`).join('\n') + '\n';
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
