package rocketmqts.compat;

import java.io.BufferedWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.rocketmq.client.consumer.DefaultMQPullConsumer;
import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.consumer.PullResult;
import org.apache.rocketmq.client.consumer.PullStatus;
import org.apache.rocketmq.client.consumer.listener.ConsumeConcurrentlyStatus;
import org.apache.rocketmq.client.consumer.listener.MessageListenerConcurrently;
import org.apache.rocketmq.client.consumer.store.RemoteBrokerOffsetStore;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.client.producer.SendStatus;
import org.apache.rocketmq.common.consumer.ConsumeFromWhere;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageExt;
import org.apache.rocketmq.common.message.MessageQueue;

/**
 * The load side of the crash test (compat-tests/crash.test.ts): runs while the harness SIGKILLs and
 * restarts the broker, and checks after each restart.
 *
 * {@code CrashLoad <namesrv> <brokerAddr> <workDir> <runId>}
 *
 * - Producers (PRODUCER_THREADS, sync sends, the client's default retries) send CrashBody messages
 *   without pause for the broker's downtime: a failed send is counted and the thread moves on. Every send
 *   the broker acknowledged is appended to workDir/acked.log: SEND_OK, and FLUSH_DISK_TIMEOUT too, which
 *   the Java broker answers once the message is written but not yet synced. A SIGKILL (process death, not
 *   power loss) keeps everything written, so the test demands those back as well.
 * - Two consumer groups consume concurrently and commit offsets; every body they are given is checked.
 *   CrashBody.group: a push consumer, as applications use it. The Java client gives up on a pull in flight
 *   when the broker dies only after 30 s (no fail-fast on a closed channel in 4.9.8), so this group mostly
 *   waits. CrashBody.pullGroup: a loop of non-blocking pulls over all queues that commits its offsets
 *   (UPDATE_CONSUMER_OFFSET, answered) every COMMIT_INTERVAL_MS, so committed offsets move all the time.
 * - When the harness creates workDir/check-K (after restart K), the acks not yet checked are read back at
 *   their queue offsets with a pull consumer, both groups' committed offsets are queried
 *   (QUERY_CONSUMER_OFFSET), and one line is printed:
 *   {@code CHECK K acked=.. verified=.. failedSends=.. consumed=.. corrupt=.. problems=N offsets=q:o,...
 *   pullOffsets=q:o,... pullCommitsSent=q:o,...} preceded by N {@code PROBLEM ...} lines. pullCommitsSent is
 *   the highest offset the pull group has sent per queue: the broker can never have stored more.
 * - workDir/stop ends it: producers stop, clients shut down, {@code DONE ...} is printed.
 */
public final class CrashLoad {
    static final int PRODUCER_THREADS = 4;
    static final int TOPIC_QUEUES = 4;
    /** Per producer thread between sends: a little air, so the load leaves CPU for the broker's restarts on 2 cores. */
    static final long SEND_PAUSE_MS = 2;
    /** After a failed send (broker down): try again soon, without spinning. */
    static final long FAILED_SEND_PAUSE_MS = 50;
    /**
     * A request in flight when the broker dies is only given up at its timeout (the 4.9.8 client does not
     * fail it when the channel closes), so a long one would stall every producer thread at each kill.
     */
    static final int SEND_TIMEOUT_MS = 1_500;
    /** A check reads back what was acknowledged before it; the broker just started, so allow for dispatch and a slow box. */
    static final long CHECK_TIMEOUT_MS = 30_000;
    static final long CONTROL_POLL_MS = 50;
    /** The harness's whole run is far shorter; past this the harness is gone and the JVM stops by itself. */
    static final long RUN_MS_MAX = 20 * 60_000;
    static final int CONSUME_THREADS = 4;
    /** The pull group commits this often; the broker persists every flushConsumerOffsetInterval (200 ms in the test). */
    static final long COMMIT_INTERVAL_MS = 100;
    /** The pull group's loop rests this long when no queue had anything new. */
    static final long IDLE_PULL_PAUSE_MS = 20;

    private final String namesrv;
    private final String brokerAddr;
    private final Path dir;
    private final String runId;
    private final String topic;
    private final String group;
    private final String pullGroup;
    /** Per queue, the highest offset the pull group sent to the broker (whether or not it was answered). */
    private final Map<Integer, Long> pullCommitsSent = new ConcurrentHashMap<>();
    private final AtomicLong pullConsumed = new AtomicLong();
    private final List<CrashBody.Ack> acked = new ArrayList<>();
    private final AtomicLong nextSeq = new AtomicLong();
    private final AtomicLong failedSends = new AtomicLong();
    private final AtomicLong consumed = new AtomicLong();
    private final AtomicLong corrupt = new AtomicLong();
    private final Map<String, AtomicLong> statuses = new ConcurrentHashMap<>();
    private final AtomicBoolean stopping = new AtomicBoolean();
    private BufferedWriter ackLog;
    private int verifiedAcks;
    private String brokerName;

    private CrashLoad(String namesrv, String brokerAddr, Path dir, String runId) {
        this.namesrv = namesrv;
        this.brokerAddr = brokerAddr;
        this.dir = dir;
        this.runId = runId;
        this.topic = CrashBody.topic(runId);
        this.group = CrashBody.group(runId);
        this.pullGroup = CrashBody.pullGroup(runId);
    }

    public static void main(String[] argv) throws Exception {
        if (argv.length != 4) {
            System.out.println("usage: CrashLoad <namesrv> <brokerAddr> <workDir> <runId>");
            System.exit(2);
        }
        new CrashLoad(argv[0], argv[1], Paths.get(argv[2]), argv[3]).run();
        System.exit(0);
    }

    private void run() throws Exception {
        ackLog = Files.newBufferedWriter(dir.resolve("acked.log"), StandardCharsets.UTF_8);
        DefaultMQProducer producer = new DefaultMQProducer(Clients.unique("PG_Crash", runId));
        producer.setNamesrvAddr(namesrv);
        producer.setInstanceName("crash-producer-" + runId);
        producer.setPollNameServerInterval(Clients.POLL_NAMESRV_INTERVAL_MS);
        producer.setSendMsgTimeout(SEND_TIMEOUT_MS);
        producer.setDefaultTopicQueueNums(TOPIC_QUEUES);
        // retryTimesWhenSendFailed stays at the client's default (2): the load is an ordinary application.
        producer.start();
        DefaultMQPushConsumer consumer = startConsumer();
        DefaultMQPullConsumer checker = new DefaultMQPullConsumer(Clients.unique("CG_CrashCheck", runId));
        checker.setNamesrvAddr(namesrv);
        checker.setInstanceName("crash-check-" + runId);
        checker.start();
        DefaultMQPullConsumer committer = new DefaultMQPullConsumer(pullGroup);
        committer.setNamesrvAddr(namesrv);
        committer.setInstanceName("crash-pull-group-" + runId);
        committer.start();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < PRODUCER_THREADS; i++) {
            Thread t = new Thread(() -> produce(producer), "crash-producer-" + i);
            t.start();
            threads.add(t);
        }
        Thread pullLoop = new Thread(() -> consumeAndCommit(committer), "crash-pull-group");
        pullLoop.start();
        threads.add(pullLoop);
        awaitFirstAck();
        System.out.println("INFO load running: topic=" + topic + " group=" + group);
        System.out.flush();
        long deadline = System.currentTimeMillis() + RUN_MS_MAX;
        int nextCheck = 1;
        while (!Files.exists(dir.resolve("stop")) && System.currentTimeMillis() < deadline) {
            if (Files.exists(dir.resolve("check-" + nextCheck))) {
                check(nextCheck++, checker);
            } else {
                Thread.sleep(CONTROL_POLL_MS);
            }
        }
        stopping.set(true);
        for (Thread t : threads) {
            t.join();
        }
        Clients.markFinalShutdown();
        consumer.shutdown(); // commits the group's offsets
        checker.shutdown();
        committer.shutdown();
        producer.shutdown();
        synchronized (acked) {
            ackLog.close();
        }
        System.out.println("DONE acked=" + acked.size() + " sends=" + nextSeq.get() + " failedSends=" + failedSends.get()
            + " consumed=" + consumed.get() + " pullConsumed=" + pullConsumed.get() + " corrupt=" + corrupt.get()
            + " statuses=" + new TreeMap<>(statuses));
        System.out.flush();
    }

    private void produce(DefaultMQProducer producer) {
        Random rnd = new Random();
        while (!stopping.get()) {
            long seq = nextSeq.getAndIncrement();
            Message m = new Message(topic, CrashBody.TAGS, CrashBody.key(runId, seq), CrashBody.make(seq, rnd));
            long pauseMs = SEND_PAUSE_MS;
            try {
                SendResult r = producer.send(m);
                statuses.computeIfAbsent(r.getSendStatus().name(), s -> new AtomicLong()).incrementAndGet();
                // SEND_OK, or stored but not synced / not replicated: all of them are in the broker's log.
                if (r.getSendStatus() == SendStatus.SEND_OK || r.getSendStatus() == SendStatus.FLUSH_DISK_TIMEOUT) {
                    ack(new CrashBody.Ack(seq, r.getMessageQueue().getQueueId(), r.getQueueOffset(), r.getMsgId(),
                        r.getOffsetMsgId(), r.getSendStatus().name()));
                }
            } catch (Exception e) {
                failedSends.incrementAndGet();
                pauseMs = FAILED_SEND_PAUSE_MS;
            }
            try {
                Thread.sleep(pauseMs);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** Appended and flushed to the OS before the next send: the log is the test's record of what was promised. */
    private void ack(CrashBody.Ack a) throws Exception {
        synchronized (acked) {
            acked.add(a);
            ackLog.write(a.line());
            ackLog.newLine();
            ackLog.flush();
        }
    }

    private void awaitFirstAck() throws InterruptedException {
        long deadline = System.currentTimeMillis() + 60_000;
        while (System.currentTimeMillis() < deadline) {
            synchronized (acked) {
                if (!acked.isEmpty()) {
                    return;
                }
            }
            Thread.sleep(50);
        }
        System.out.println("PROBLEM no send acknowledged within 60 s; failed sends: " + failedSends.get());
    }

    private DefaultMQPushConsumer startConsumer() throws Exception {
        DefaultMQPushConsumer c = new DefaultMQPushConsumer(group);
        c.setNamesrvAddr(namesrv);
        c.setInstanceName("crash-consumer-" + runId);
        c.setPollNameServerInterval(Clients.POLL_NAMESRV_INTERVAL_MS);
        c.setConsumeFromWhere(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
        c.setConsumeThreadMin(CONSUME_THREADS);
        c.setConsumeThreadMax(CONSUME_THREADS);
        // The client's defaults suit a broker that rarely restarts; this one dies every couple of seconds.
        // Commit every second (default 5 s) so the broker has fresh offsets at each kill; heartbeat every
        // second (default 30 s) because a restarted broker knows no consumers until the next heartbeat and
        // refuses their pulls; retry a failed pull after 0.5 s (default 3 s).
        c.setPersistConsumerOffsetInterval(1000);
        c.setHeartbeatBrokerInterval(1000);
        c.subscribe(topic, "*");
        c.registerMessageListener((MessageListenerConcurrently) (msgs, ctx) -> {
            for (MessageExt m : msgs) {
                consumed.incrementAndGet();
                String bad = CrashBody.problem(runId, m);
                if (bad != null && corrupt.incrementAndGet() <= CrashScan.LISTED_MAX) {
                    System.out.println("PROBLEM push consumer was delivered a corrupt message at " + CrashBody.where(m) + ": " + bad);
                }
            }
            return ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
        });
        c.getDefaultMQPushConsumerImpl().setPullTimeDelayMillsWhenException(500);
        c.start();
        return c;
    }

    /**
     * The pull group: reads every queue from offset 0 with non-blocking pulls, checks each body, and commits
     * where it got to every COMMIT_INTERVAL_MS with the client's own UPDATE_CONSUMER_OFFSET (answered, not
     * one-way). Its offsets only grow: it never re-reads them from the broker.
     */
    private void consumeAndCommit(DefaultMQPullConsumer c) {
        RemoteBrokerOffsetStore store = (RemoteBrokerOffsetStore) c.getOffsetStore();
        Map<Integer, Long> next = new TreeMap<>();
        List<MessageQueue> queues = null;
        long lastCommitMs = 0;
        while (!stopping.get()) {
            try {
                if (queues == null) {
                    queues = new ArrayList<>(c.fetchSubscribeMessageQueues(topic));
                    queues.sort((a, b) -> Integer.compare(a.getQueueId(), b.getQueueId()));
                }
                boolean got = false;
                for (MessageQueue mq : queues) {
                    long offset = next.getOrDefault(mq.getQueueId(), 0L);
                    PullResult r = c.pull(mq, "*", offset, CrashScan.PULL_BATCH, SEND_TIMEOUT_MS);
                    if (r.getPullStatus() == PullStatus.FOUND) {
                        got = true;
                        for (MessageExt m : r.getMsgFoundList()) {
                            pullConsumed.incrementAndGet();
                            String bad = CrashBody.problem(runId, m);
                            if (bad != null && corrupt.incrementAndGet() <= CrashScan.LISTED_MAX) {
                                System.out.println("PROBLEM pull group was served a corrupt message at " + CrashBody.where(m) + ": " + bad);
                            }
                        }
                        next.put(mq.getQueueId(), r.getNextBeginOffset());
                    } else if (r.getPullStatus() == PullStatus.OFFSET_ILLEGAL) {
                        // Only ever past messages it read: the queue has shrunk below them.
                        System.out.println("PROBLEM pull group at queue " + mq.getQueueId() + " offset " + offset
                            + " got OFFSET_ILLEGAL (min " + r.getMinOffset() + ", max " + r.getMaxOffset() + ")");
                        next.put(mq.getQueueId(), r.getNextBeginOffset());
                    }
                }
                if (System.currentTimeMillis() - lastCommitMs >= COMMIT_INTERVAL_MS) {
                    lastCommitMs = System.currentTimeMillis();
                    for (MessageQueue mq : queues) {
                        Long offset = next.get(mq.getQueueId());
                        if (offset != null && offset > pullCommitsSent.getOrDefault(mq.getQueueId(), -1L)) {
                            // Recorded before sending: the broker may store it even if the answer never comes.
                            pullCommitsSent.put(mq.getQueueId(), offset);
                            store.updateConsumeOffsetToBroker(mq, offset, false);
                        }
                    }
                }
                if (!got) {
                    Thread.sleep(IDLE_PULL_PAUSE_MS);
                }
            } catch (InterruptedException e) {
                return;
            } catch (Exception e) {
                try {
                    Thread.sleep(FAILED_SEND_PAUSE_MS);
                } catch (InterruptedException ie) {
                    return;
                }
            }
        }
    }

    /** After restart k: every ack not yet checked is at its offset, intact; then the committed offsets. */
    private void check(int k, DefaultMQPullConsumer checker) throws Exception {
        List<CrashBody.Ack> fresh;
        int total;
        synchronized (acked) {
            total = acked.size();
            fresh = new ArrayList<>(acked.subList(verifiedAcks, total));
        }
        List<String> problems = new ArrayList<>();
        long deadline = System.currentTimeMillis() + CHECK_TIMEOUT_MS;
        Map<Integer, CrashScan.Found> found = new TreeMap<>();
        for (Map.Entry<Integer, TreeMap<Long, CrashBody.Ack>> e : CrashScan.byQueue(fresh).entrySet()) {
            MessageQueue mq = new MessageQueue(topic, brokerName(checker), e.getKey());
            found.put(e.getKey(), CrashScan.read(checker, runId, mq, e.getValue().firstKey(), e.getValue().lastKey() + 1, deadline, problems));
        }
        int matched = CrashScan.matchAcks(fresh, found, problems);
        verifiedAcks = total;
        for (String p : problems) {
            System.out.println("PROBLEM check " + k + ": " + p);
        }
        System.out.println("CHECK " + k + " acked=" + total + " verified=" + matched + " sends=" + nextSeq.get()
            + " failedSends=" + failedSends.get() + " consumed=" + consumed.get() + " corrupt=" + corrupt.get()
            + " problems=" + problems.size() + " offsets=" + CrashVerify.render(CrashScan.committed(checker, brokerAddr, topic, group, TOPIC_QUEUES))
            + " pullOffsets=" + CrashVerify.render(CrashScan.committed(checker, brokerAddr, topic, pullGroup, TOPIC_QUEUES)) + " pullCommitsSent=" + CrashVerify.render(new TreeMap<>(pullCommitsSent)));
        System.out.flush();
    }

    /** The broker's name as the route names it (the harness only passes its address). */
    private String brokerName(DefaultMQPullConsumer checker) throws Exception {
        if (brokerName == null) {
            for (MessageQueue mq : checker.fetchSubscribeMessageQueues(topic)) {
                brokerName = mq.getBrokerName();
            }
        }
        return brokerName;
    }
}
