/**
 * Child process for kill.test.ts: appends messages as fast as it can and prints one line per
 * acknowledged send ("ack <queueId> <queueOffset> <body>"), until it is killed with SIGKILL.
 * Usage: vite-node test/store/kill-child.ts <storeDir> <ASYNC_FLUSH|SYNC_FLUSH> <firstSeq>
 */
import { brokerConfig } from '../../src/config/broker-config.js';
import { DefaultMessageStore } from '../../src/store/default-message-store.js';
import { msg } from './helpers.js';

const [dir, flushDiskType, firstSeq] = process.argv.slice(2);
const store = new DefaultMessageStore(brokerConfig({
  storePathRootDir: dir, flushDiskType, mappedFileSizeCommitLog: 256 * 1024, mappedFileSizeConsumeQueue: 20 * 1000,
  maxHashSlotNum: 1000, maxIndexNum: 5000, flushIntervalCommitLog: 20, flushIntervalConsumeQueue: 30,
}), { replication: false });
await store.start();
process.stdout.write('ready\n');
let seq = Number(firstSeq);
const INFLIGHT = 64;
let inflight = 0;
function pump(): void {
  while (inflight < INFLIGHT) {
    const body = `seq-${seq++}-${'p'.repeat(seq % 300)}`;
    const queueId = seq % 4;
    inflight++;
    store.putMessage(msg('Kill', queueId, body, { keys: `s${seq}` })).then((r) => {
      inflight--;
      if (r.status === 'PUT_OK') process.stdout.write(`ack ${queueId} ${r.appendResult!.logicsOffset} ${body}\n`);
      setImmediate(pump);
    });
  }
}
pump();
