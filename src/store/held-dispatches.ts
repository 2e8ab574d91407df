/**
 * ConsumeQueue units held back to the confirm offset (controller mode only). The Java store's reput
 * dispatches only up to CommitLog#getConfirmOffset (readUnCommitted=false, the default): a record past it
 * is not on every in-sync replica yet, and the next failover may cut it, so no consumer may read it. Our
 * write pipeline dispatches at the end of each write tick instead; in controller mode it hands the tick's
 * units here, and they are written (and the arrival listeners told) once the confirm offset passes their
 * record's end, in log order. Queue offsets stay taken at append (QueueState.next), so a held unit keeps its
 * place. A plain or 4.x-replicated store has no instance of this class.
 */
import type { QueueState } from './queue-table.js';

/** A ConsumeQueue unit to write once its record is in the OS (and, in controller mode, confirmed). */
export interface Dispatch {
  q: QueueState;
  queueOffset: number;
  phyOffset: number;
  size: number;
  tagsCode: number;
  storeTimestamp: number;
}

/** Released entries before the array is compacted (release pops from the front by moving an index). */
const COMPACT_AT = 4096;

export class HeldDispatches {
  private held: Dispatch[] = [];
  /** Index of the first entry not yet released. */
  private head = 0;
  /** The confirm offset now; set by the controller-mode replication (AutoSwitchService). */
  bound: () => number = () => -1;

  /** `emit` writes the units and tells the listeners (the write pipeline's own dispatch). */
  constructor(private readonly emit: (ds: Dispatch[]) => void) {}

  get size(): number {
    return this.held.length - this.head;
  }

  /** Where the first held record starts (everything before it is dispatched), undefined when none is held. */
  firstOffset(): number | undefined {
    return this.head < this.held.length ? this.held[this.head].phyOffset : undefined;
  }

  /** Units of records now in the log, after every unit already held. */
  add(ds: readonly Dispatch[]): void {
    for (const d of ds) this.held.push(d);
  }

  /** Writes every held unit whose record ends at or before `offset`, in log order. */
  release(offset: number): void {
    const from = this.head;
    let to = from;
    const held = this.held;
    while (to < held.length && held[to].phyOffset + held[to].size <= offset) to++;
    if (to === from) return;
    const out = held.slice(from, to);
    this.head = to;
    if (to === held.length) {
      this.held = [];
      this.head = 0;
    } else if (to >= COMPACT_AT) {
      this.held = held.slice(to);
      this.head = 0;
    }
    this.emit(out);
  }

  /**
   * The log was cut at `offset` (DefaultMessageStore#truncateTo): units of cut records go. The truncation set
   * each queue's next offset to its written units' end; the units still held keep theirs, so it is raised past them.
   */
  cut(offset: number): void {
    const kept = this.held.slice(this.head).filter((d) => d.phyOffset + d.size <= offset);
    this.held = kept;
    this.head = 0;
    for (const d of kept) if (d.q.next <= d.queueOffset) d.q.next = d.queueOffset + 1;
  }

  /**
   * Drops every held unit (the broker becomes a slave: its replica log dispatches from the log itself, from
   * firstOffset(), bounded by the new master's confirm offset; or the store stops). Returns where they began.
   */
  clear(): number | undefined {
    const first = this.firstOffset();
    this.held = [];
    this.head = 0;
    return first;
  }
}
