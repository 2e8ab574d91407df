/** Transaction bookkeeping (filled below). */
import type { ProxyContext } from './context.js';

export class TransactionRelay {
  constructor(private readonly ctx: ProxyContext) {}
  start(): void {}
}
