package rocketmqts.compat;

import java.io.BufferedWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.consumer.listener.ConsumeConcurrentlyStatus;
import org.apache.rocketmq.client.consumer.listener.MessageListenerConcurrently;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.client.producer.SendStatus;
import org.apache.rocketmq.common.consumer.ConsumeFromWhere;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageExt;

/**
 * The client side of compat-tests/replication-faults.test.ts: one JVM (rocketmq-client 4.9.8) that the
 * harness drives through command files while it kills, stops and freezes brokers.
 *
 * {@code ReplDriver <namesrv> <controlDir> <runId> <topic>}
 *
 * The harness writes controlDir/cmd-N (N = 1, 2, ...; written elsewhere and renamed in) holding one command
 * line; the driver runs it and prints {@code DONE N <result>}. Every SEND_OK goes to controlDir/acked.log as
 * {@code seq queueId queueOffset}, flushed before the next send, so the file is the record of what was
 * promised. Bodies are {@link #body}: the harness rebuilds them from seq and length and compares bytes.
 *
 * Commands:
 * - {@code probe <count> <parallel>}: count sync sends, parallel at a time, each with a 10 s timeout;
 *   result {@code statuses={..} latencies=ms,ms,..}.
 * - {@code await-ok <timeoutMs>}: one send every 200 ms until one is SEND_OK; {@code ok afterMs=.. seen={..}}.
 * - {@code load-start <threads> <bodyBytes> [pauseMs]} / {@code load-stop}: sync sends (pauseMs between
 *   a thread's sends, none by default) in the background (a failed or non-OK send pauses that thread 50 ms); load-stop reports totals.
 * - {@code fill-start <count> <bodyBytes> <threads>} / {@code fill-wait <timeoutMs>}: count sends in the
 *   background; fill-wait reports totals and the elapsed time.
 * - {@code consume-start <group> <sleepMsPerMessage>} / {@code consume-stop <group>}: a push consumer
 *   (clustering, from the first offset) with small pull batches and a small per-queue threshold so it
 *   keeps pulling while it works; every delivery is appended to controlDir/consumed-<group>.log as
 *   {@code seq queueId queueOffset}.
 * - {@code quit}.
 */
public final class ReplDriver {
    static final long CONTROL_POLL_MS = 10;
    static final int SEND_TIMEOUT_MS = 10_000;
    static final long FAILED_SEND_PAUSE_MS = 50;
    /**
     * Background load sends: the 4.9.8 client fails a request in flight to a broker that died only at its
     * timeout, so a long one stalls every load thread at each master kill. Above slaveTimeout (3 s in the
     * test), so a FLUSH_SLAVE_TIMEOUT answer still arrives in time.
     */
    static final int LOAD_SEND_TIMEOUT_MS = 4_000;
    static final long AWAIT_OK_PAUSE_MS = 200;
    static final int AWAIT_OK_SEND_TIMEOUT_MS = 5_000;
    static final int TOPIC_QUEUES = 4;
    /** Consumers: few messages per pull and per queue in memory, so a kill lands while they still pull. */
    static final int PULL_BATCH = 8;
    static final int PULL_THRESHOLD_FOR_QUEUE = 16;
    /** The harness's whole test is shorter; past this the harness is gone and the JVM stops by itself. */
    static final long RUN_MS_MAX = 20 * 60_000;

    private final String namesrv;
    private final Path dir;
    private final String runId;
    private final String topic;
    private DefaultMQProducer producer;
    private BufferedWriter ackLog;
    private final AtomicLong nextSeq = new AtomicLong();
    private final AtomicLong acked = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final Map<String, AtomicLong> statuses = new ConcurrentHashMap<>();
    private final AtomicBoolean loadStopping = new AtomicBoolean();
    private final List<Thread> loadThreads = new ArrayList<>();
    private final Map<String, DefaultMQPushConsumer> consumers = new ConcurrentHashMap<>();
    private final Map<String, BufferedWriter> consumeLogs = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> deliveries = new ConcurrentHashMap<>();
    private long loadStartedMs;
    private long fillStartedMs;

    private ReplDriver(String namesrv, Path dir, String runId, String topic) {
        this.namesrv = namesrv;
        this.dir = dir;
        this.runId = runId;
        this.topic = topic;
    }

    public static void main(String[] argv) throws Exception {
        if (argv.length != 4) {
            System.out.println("usage: ReplDriver <namesrv> <controlDir> <runId> <topic>");
            System.exit(2);
        }
        new ReplDriver(argv[0], Paths.get(argv[1]), argv[2], argv[3]).run();
        System.exit(0);
    }

    /** seq=<seq>;len=<len>; then filler bytes 'a' + (seq + i) % 26 up to len: rebuilt by the harness from the header. */
    static byte[] body(long seq, int len) {
        byte[] head = ("seq=" + seq + ";len=" + len + ";").getBytes(StandardCharsets.US_ASCII);
        byte[] b = new byte[Math.max(len, head.length)];
        System.arraycopy(head, 0, b, 0, head.length);
        for (int i = head.length; i < b.length; i++) {
            b[i] = (byte) ('a' + (int) ((seq + i) % 26));
        }
        return b;
    }

    static long seqOf(byte[] body) {
        String s = new String(body, 0, Math.min(body.length, 40), StandardCharsets.US_ASCII);
        if (!s.startsWith("seq=")) {
            return -1;
        }
        int end = s.indexOf(';');
        return end < 0 ? -1 : Long.parseLong(s.substring(4, end));
    }

    private void run() throws Exception {
        ackLog = Files.newBufferedWriter(dir.resolve("acked.log"), StandardCharsets.UTF_8);
        producer = new DefaultMQProducer(Clients.unique("PG_Repl", runId));
        producer.setNamesrvAddr(namesrv);
        producer.setInstanceName("repl-producer-" + runId);
        producer.setPollNameServerInterval(Clients.POLL_NAMESRV_INTERVAL_MS);
        producer.setSendMsgTimeout(SEND_TIMEOUT_MS);
        producer.setDefaultTopicQueueNums(TOPIC_QUEUES);
        // Bodies are stored as sent (the client zips bodies of 4 KiB and more by default), so the harness's
        // byte counts are the log's and it can compare the stored bodies with the ones it rebuilds.
        producer.setCompressMsgBodyOverHowmuch(Integer.MAX_VALUE);
        // A non-OK store status (SLAVE_NOT_AVAILABLE, FLUSH_SLAVE_TIMEOUT) comes back as the SendResult: the
        // client's default retryAnotherBrokerWhenNotStoreOK=false, and one broker name has nowhere else to go.
        producer.start();
        System.out.println("INFO driver ready: topic=" + topic);
        System.out.flush();
        long deadline = System.currentTimeMillis() + RUN_MS_MAX;
        int next = 1;
        while (System.currentTimeMillis() < deadline) {
            Path cmd = dir.resolve("cmd-" + next);
            if (!Files.exists(cmd)) {
                Thread.sleep(CONTROL_POLL_MS);
                continue;
            }
            String line = new String(Files.readAllBytes(cmd), StandardCharsets.UTF_8).trim();
            String result;
            try {
                result = execute(line.split("\\s+"));
            } catch (Exception e) {
                result = "ERROR " + e;
            }
            System.out.println("DONE " + next + " " + result);
            System.out.flush();
            next++;
            if (line.equals("quit")) {
                break;
            }
        }
        loadStopping.set(true);
        for (Thread t : loadThreads) {
            t.join();
        }
        Clients.markFinalShutdown();
        for (String g : new ArrayList<>(consumers.keySet())) {
            stopConsumer(g);
        }
        producer.shutdown();
        synchronized (ackLog) {
            ackLog.close();
        }
    }

    private String execute(String[] a) throws Exception {
        switch (a[0]) {
            case "probe":
                return probe(Integer.parseInt(a[1]), Integer.parseInt(a[2]));
            case "await-ok":
                return awaitOk(Long.parseLong(a[1]));
            case "load-start":
                startSenders(Integer.parseInt(a[1]), Integer.parseInt(a[2]), Long.MAX_VALUE, a.length > 3 ? Long.parseLong(a[3]) : 0);
                loadStartedMs = System.currentTimeMillis();
                return "started";
            case "load-stop":
                return stopSenders(loadStartedMs);
            case "fill-start":
                startSenders(Integer.parseInt(a[3]), Integer.parseInt(a[2]), Long.parseLong(a[1]), 0);
                fillStartedMs = System.currentTimeMillis();
                return "started";
            case "fill-wait":
                return waitSenders(Long.parseLong(a[1]), fillStartedMs);
            case "consume-start":
                startConsumer(a[1], Long.parseLong(a[2]));
                return "started";
            case "consume-stop":
                return stopConsumer(a[1]);
            case "quit":
                return "bye";
            default:
                return "ERROR unknown command " + a[0];
        }
    }

    private Message message(long seq, int len) {
        return new Message(topic, "repl", runId + "-" + seq, body(seq, len));
    }

    /** Counts the status; a SEND_OK goes to the ack log. True for SEND_OK. */
    private boolean record(SendResult r, long seq) throws Exception {
        statuses.computeIfAbsent(r.getSendStatus().name(), s -> new AtomicLong()).incrementAndGet();
        if (r.getSendStatus() == SendStatus.SEND_OK) {
            synchronized (ackLog) {
                ackLog.write(seq + " " + r.getMessageQueue().getQueueId() + " " + r.getQueueOffset());
                ackLog.newLine();
                ackLog.flush();
            }
            acked.incrementAndGet();
            return true;
        }
        return false;
    }

    private static String outcomeName(Exception e) {
        String m = String.valueOf(e.getMessage()).replaceAll("\\s+", " ");
        return e.getClass().getSimpleName() + ":" + (m.length() > 60 ? m.substring(0, 60) : m);
    }

    private String probe(int count, int parallel) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(parallel);
        Map<String, Integer> seen = new TreeMap<>();
        List<Future<String>> futures = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            futures.add(pool.submit(() -> {
                long seq = nextSeq.getAndIncrement();
                long t0 = System.nanoTime();
                String what;
                try {
                    SendResult r = producer.send(message(seq, 256), SEND_TIMEOUT_MS);
                    record(r, seq);
                    what = r.getSendStatus().name();
                } catch (Exception e) {
                    what = outcomeName(e);
                }
                return what + "@" + (System.nanoTime() - t0) / 1_000_000;
            }));
        }
        List<String> latencies = new ArrayList<>();
        for (Future<String> f : futures) {
            String s = f.get();
            int at = s.lastIndexOf('@');
            seen.merge(s.substring(0, at).replace(' ', '_'), 1, Integer::sum);
            latencies.add(s.substring(at + 1));
        }
        pool.shutdown();
        return "statuses=" + seen.toString().replace(" ", "") + " latencies=" + String.join(",", latencies);
    }

    private String awaitOk(long timeoutMs) throws Exception {
        long t0 = System.currentTimeMillis();
        Map<String, Integer> seen = new TreeMap<>();
        while (System.currentTimeMillis() - t0 < timeoutMs) {
            long seq = nextSeq.getAndIncrement();
            String what;
            try {
                SendResult r = producer.send(message(seq, 256), AWAIT_OK_SEND_TIMEOUT_MS);
                record(r, seq);
                what = r.getSendStatus().name();
            } catch (Exception e) {
                what = e.getClass().getSimpleName();
            }
            seen.merge(what, 1, Integer::sum);
            if (what.equals("SEND_OK")) {
                return "ok afterMs=" + (System.currentTimeMillis() - t0) + " seen=" + seen.toString().replace(" ", "");
            }
            Thread.sleep(AWAIT_OK_PAUSE_MS);
        }
        return "timeout afterMs=" + (System.currentTimeMillis() - t0) + " seen=" + seen.toString().replace(" ", "");
    }

    private final AtomicLong remaining = new AtomicLong();

    private void startSenders(int threads, int bodyBytes, long count, long pauseMs) {
        loadStopping.set(false);
        remaining.set(count);
        for (int i = 0; i < threads; i++) {
            Thread t = new Thread(() -> send(bodyBytes, pauseMs), "repl-sender-" + i);
            t.start();
            loadThreads.add(t);
        }
    }

    private void send(int bodyBytes, long pauseMs) {
        while (!loadStopping.get() && remaining.getAndDecrement() > 0) {
            long seq = nextSeq.getAndIncrement();
            try {
                // A non-OK status (SLAVE_NOT_AVAILABLE while the slave reconnects) is answered at once: pause as
                // after a failure, or the threads spin and fill the master's log with unreplicated messages.
                boolean ok = record(producer.send(message(seq, bodyBytes), LOAD_SEND_TIMEOUT_MS), seq);
                long pause = ok ? pauseMs : FAILED_SEND_PAUSE_MS;
                if (pause > 0) {
                    Thread.sleep(pause);
                }
            } catch (InterruptedException e) {
                return;
            } catch (Exception e) {
                failed.incrementAndGet();
                try {
                    Thread.sleep(FAILED_SEND_PAUSE_MS);
                } catch (InterruptedException ie) {
                    return;
                }
            }
        }
    }

    private String totals(long startedMs) {
        return "acked=" + acked.get() + " sends=" + nextSeq.get() + " failed=" + failed.get() + " ms="
            + (System.currentTimeMillis() - startedMs) + " statuses=" + new TreeMap<>(statuses).toString().replace(" ", "");
    }

    private String stopSenders(long startedMs) throws Exception {
        loadStopping.set(true);
        for (Thread t : loadThreads) {
            t.join();
        }
        loadThreads.clear();
        return totals(startedMs);
    }

    private String waitSenders(long timeoutMs, long startedMs) throws Exception {
        long deadline = System.currentTimeMillis() + timeoutMs;
        for (Thread t : loadThreads) {
            t.join(Math.max(1, deadline - System.currentTimeMillis()));
        }
        boolean done = loadThreads.stream().noneMatch(Thread::isAlive);
        String r = (done ? "" : "unfinished ") + totals(startedMs);
        if (done) {
            loadThreads.clear();
        }
        return r;
    }

    private void startConsumer(String group, long sleepMs) throws Exception {
        BufferedWriter log = Files.newBufferedWriter(dir.resolve("consumed-" + group + ".log"), StandardCharsets.UTF_8);
        consumeLogs.put(group, log);
        AtomicLong count = deliveries.computeIfAbsent(group, g -> new AtomicLong());
        DefaultMQPushConsumer c = new DefaultMQPushConsumer(group);
        c.setNamesrvAddr(namesrv);
        c.setInstanceName("repl-consumer-" + group);
        c.setPollNameServerInterval(Clients.POLL_NAMESRV_INTERVAL_MS);
        c.setConsumeFromWhere(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
        c.setConsumeThreadMin(1);
        c.setConsumeThreadMax(1);
        c.setPullBatchSize(PULL_BATCH);
        c.setPullThresholdForQueue(PULL_THRESHOLD_FOR_QUEUE);
        // Commit every second (default 5 s) so the master's offsets visibly converge within the test;
        // heartbeat every second so a restarted master knows the consumer before its first pull.
        c.setPersistConsumerOffsetInterval(1000);
        c.setHeartbeatBrokerInterval(1000);
        c.subscribe(topic, "*");
        c.registerMessageListener((MessageListenerConcurrently) (msgs, ctx) -> {
            try {
                for (MessageExt m : msgs) {
                    count.incrementAndGet();
                    synchronized (log) {
                        log.write(seqOf(m.getBody()) + " " + m.getQueueId() + " " + m.getQueueOffset());
                        log.newLine();
                        log.flush();
                    }
                    if (sleepMs > 0) {
                        Thread.sleep(sleepMs);
                    }
                }
            } catch (Exception e) {
                return ConsumeConcurrentlyStatus.RECONSUME_LATER;
            }
            return ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
        });
        c.getDefaultMQPushConsumerImpl().setPullTimeDelayMillsWhenException(500);
        c.start();
        consumers.put(group, c);
    }

    private String stopConsumer(String group) throws Exception {
        DefaultMQPushConsumer c = consumers.remove(group);
        if (c != null) {
            c.shutdown(); // persists the group's offsets
        }
        BufferedWriter log = consumeLogs.remove(group);
        if (log != null) {
            synchronized (log) {
                log.close();
            }
        }
        AtomicLong n = deliveries.getOrDefault(group, new AtomicLong());
        return "deliveries=" + n.get();
    }
}
