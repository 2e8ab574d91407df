/**
 * Malformed sends mixed into the crash test's load: while the Java producers send to the load topic, this
 * sends SEND_MESSAGE_V2 requests to the same topic whose header values no Java client would send (numbers
 * out of their Java type's range, exponents, blanks, a DELAY that is not a number). Each must be refused
 * without touching the store: CrashVerify's dense-offset check finds any queue offset a refused send took.
 * Valid but extreme values (bornTimestamp = Long.MAX_VALUE) go to a side topic; each acknowledged one must
 * read back at its offset with exactly that born timestamp.
 */
import { RemotingClient } from '../src/remoting/client.js';
import type { RemotingCommand } from '../src/remoting/command.js';
import { ResponseCode } from '../src/protocol/response-code.js';
import { consumerHeartbeat, pullRequest, pulledRecords, sendV2 } from '../test/support/wire.js';

/** Pause between two malformed sends: a steady trickle beside the ~300 good sends a second. */
const INTERVAL_MS = 15;
const TIMEOUT_MS = 2_000;
const LONG_MAX = '9223372036854775807';

/** Header overrides that a Java broker refuses while parsing the header (NumberFormatException) or checking it. */
const REFUSED: Array<Record<string, string>> = [
  { g: '1e308' }, { g: '-100000000000000000000' }, { g: '9223372036854775808' }, { g: '' }, { g: '12.5' }, { g: 'now' },
  { e: '2147483648' }, { e: '0x1' }, { e: ' 1' }, { f: '1e3' }, { h: '99999999999' }, { j: '-' }, { d: '' },
];

export class MalformedSender {
  readonly refused: string[] = [];
  /** Malformed sends the broker acknowledged (each one is a bug: it must never happen). */
  readonly wronglyAccepted: string[] = [];
  /** Side-topic sends with bornTimestamp = Long.MAX_VALUE that were acknowledged, by queue offset. */
  readonly extremeAcked = new Map<number, string>();
  sent = 0;
  private stopped = false;
  private loop: Promise<void> | undefined;
  private readonly client = new RemotingClient(() => {});

  constructor(private readonly brokerAddr: string, private readonly topic: string, readonly sideTopic = `${topic}_extreme`) {}

  start(): void {
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }

  private async run(): Promise<void> {
    for (let i = 0; !this.stopped; i++) {
      await this.sendOne(i);
      await new Promise((r) => setTimeout(r, INTERVAL_MS));
    }
  }

  private async sendOne(i: number): Promise<void> {
    this.sent++;
    let res: RemotingCommand;
    if (i % 5 === 4) {
      const body = `extreme-${i}`;
      try {
        res = await this.client.invoke(this.brokerAddr, sendV2(this.sideTopic, body, { header: { g: LONG_MAX }, producerGroup: 'malformed' }), TIMEOUT_MS);
      } catch {
        return; // broker down (killed): nothing was acknowledged
      }
      if (res.code === ResponseCode.SUCCESS) this.extremeAcked.set(Number(res.extFields!.queueOffset), body);
      return;
    }
    const header = REFUSED[i % REFUSED.length];
    const props = i % 7 === 0 ? { DELAY: 'soon' } : undefined;
    const what = `${JSON.stringify(header)}${props ? ' DELAY=soon' : ''}`;
    try {
      res = await this.client.invoke(this.brokerAddr, sendV2(this.topic, `malformed-${i}`, { header, props, queueId: i % 4, producerGroup: 'malformed' }), TIMEOUT_MS);
    } catch {
      return;
    }
    if (res.code === ResponseCode.SUCCESS) this.wronglyAccepted.push(`${what} → offset ${res.extFields?.queueOffset}`);
    else this.refused.push(`${what} → ${res.code}`);
  }

  /** Problems found reading the side topic back (queue 0, where sendV2 sends). */
  async verifyExtreme(): Promise<string[]> {
    const problems: string[] = [];
    const hb = await this.client.invoke(this.brokerAddr, consumerHeartbeat('malformed-check@1', 'malformed-check', this.sideTopic), TIMEOUT_MS);
    if (hb.code !== ResponseCode.SUCCESS) return [`heartbeat for the side topic failed: ${hb.code} ${hb.remark}`];
    const seen = new Map<number, { body: string; born: string }>();
    for (let offset = 0; ; ) {
      const res = await this.client.invoke(this.brokerAddr, pullRequest('malformed-check', this.sideTopic, 0, offset), TIMEOUT_MS);
      if (res.code !== ResponseCode.SUCCESS) break;
      for (const r of pulledRecords(res)) seen.set(r.queueOffset, { body: r.body.toString(), born: bornTimestampText(r.bornTimestamp) });
      offset = Number(res.extFields!.nextBeginOffset);
    }
    for (const [offset, body] of this.extremeAcked) {
      const got = seen.get(offset);
      if (!got) problems.push(`side topic: acknowledged ${body} missing at offset ${offset}`);
      else if (got.body !== body || got.born !== LONG_MAX) problems.push(`side topic offset ${offset}: ${got.body} born ${got.born}, expected ${body} born ${LONG_MAX}`);
    }
    return problems;
  }

  close(): void {
    this.client.close();
  }

  summary(): string {
    return `malformed sends: ${this.sent} sent, ${this.refused.length} refused, ${this.wronglyAccepted.length} wrongly accepted; ` +
      `${this.extremeAcked.size} with bornTimestamp=Long.MAX_VALUE acknowledged`;
  }
}

/** The born timestamp as its exact decimal text, whatever number type the decoder gives. */
function bornTimestampText(v: unknown): string {
  return typeof v === 'bigint' ? v.toString() : String(v);
}
