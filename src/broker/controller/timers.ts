/**
 * The controller client's scheduled tasks (ReplicasManager's scheduleAtFixedRate calls): a task never
 * overlaps itself (a slow round delays the next, as on Java's scheduled executor), named tasks can be
 * replaced or cancelled, and `clear` stops everything and wakes every pending sleep so loops can end.
 */
import { log } from '../../logger.js';

interface Task {
  timer: NodeJS.Timeout;
  running: boolean;
}

export class Timers {
  private readonly tasks = new Set<Task>();
  private readonly named = new Map<string, Task>();
  private readonly sleepers = new Set<() => void>();
  private stopped = false;

  /** Runs `fn` after `delayMs`, then every `periodMs`; a task with the same `name` is replaced. */
  every(delayMs: number, periodMs: number, fn: () => unknown, name?: string): void {
    if (this.stopped) return;
    if (name) this.cancel(name);
    const task: Task = { timer: undefined as unknown as NodeJS.Timeout, running: false };
    const tick = async (): Promise<void> => {
      if (task.running || this.stopped) return;
      task.running = true;
      try {
        await fn();
      } catch (e) {
        log.warn(`controller: scheduled task failed: ${(e as Error).stack ?? e}`);
      } finally {
        task.running = false;
      }
    };
    task.timer = setTimeout(() => {
      if (!this.tasks.has(task)) return;
      task.timer = setInterval(() => void tick(), periodMs);
      task.timer.unref();
      void tick();
    }, delayMs);
    task.timer.unref();
    this.tasks.add(task);
    if (name) this.named.set(name, task);
  }

  cancel(name: string): void {
    const t = this.named.get(name);
    if (!t) return;
    this.named.delete(name);
    this.stop(t);
  }

  private stop(t: Task): void {
    clearTimeout(t.timer);
    clearInterval(t.timer);
    this.tasks.delete(t);
  }

  /** Resolves after `ms`, or at once when the timers are cleared. */
  sleep(ms: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        this.sleepers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      timer.unref();
      this.sleepers.add(wake);
    });
  }

  clear(): void {
    this.stopped = true;
    for (const t of [...this.tasks]) this.stop(t);
    this.named.clear();
    for (const wake of [...this.sleepers]) wake();
  }
}
