package rocketmqts.compat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.rocketmq.client.QueryResult;
import org.apache.rocketmq.client.consumer.DefaultMQPullConsumer;
import org.apache.rocketmq.client.exception.MQClientException;
import org.apache.rocketmq.common.message.MessageQueue;

/**
 * The crash test's final read (compat-tests/crash.test.ts), in a fresh JVM after CrashLoad stopped:
 * every queue of the topic read from its min offset to its max offset with a pull consumer. Every
 * message read must be intact (CrashBody), queue offsets dense, and every acknowledged send in
 * workDir/acked.log at the queue offset its SendResult named, with its seq and msgId; a sample of keys
 * found through the index. Both groups' committed offsets must lie within [min, max].
 *
 * {@code CrashVerify crash-verify <namesrv> <workDir> <runId> <brokerAddr>}: prints {@code INFO committed q:o,...}
 * (push group), {@code INFO pullCommitted q:o,...} and {@code INFO max q:o,...}, then a PASS/FAIL verdict in
 * the Scenarios format (test/support/java.ts).
 */
public final class CrashVerify {
    /** Nothing is being written any more; this only bounds a broker that stopped answering. */
    static final long READ_TIMEOUT_MS = 120_000;
    /** Keys looked up through the index: enough to cover every kill's neighbourhood, few enough to take a second. */
    static final int INDEX_SAMPLE = 200;

    public static void main(String[] argv) {
        if (argv.length != 5) {
            System.out.println("usage: CrashVerify crash-verify <namesrv> <workDir> <runId> <brokerAddr>");
            System.exit(2);
        }
        String label = argv[0] + " [" + System.getProperty("rocketmq.serialize.type", "JSON") + "]";
        long startMs = System.currentTimeMillis();
        Outcome out;
        try {
            out = verify(argv[1], argv[2], argv[3], argv[4]);
        } catch (Throwable t) {
            out = Outcome.failed("threw " + t);
            t.printStackTrace(System.out);
        }
        long tookMs = System.currentTimeMillis() - startMs;
        if (out.problems.isEmpty()) {
            System.out.println("PASS " + label + " in " + tookMs + " ms: " + out.summary);
            System.out.flush();
            System.exit(0);
        }
        System.out.println("FAIL " + label + " in " + tookMs + " ms: " + out.problems.size() + " problem(s); " + out.summary);
        for (String p : out.problems.subList(0, Math.min(Outcome.PROBLEMS_SHOWN_MAX, out.problems.size()))) {
            System.out.println("  - " + p);
        }
        System.out.flush();
        System.exit(1);
    }

    static Outcome verify(String namesrv, String workDir, String runId, String brokerAddr) throws Exception {
        List<CrashBody.Ack> acks = new ArrayList<>();
        for (String line : Files.readAllLines(Paths.get(workDir, "acked.log"), StandardCharsets.UTF_8)) {
            if (!line.isBlank()) {
                acks.add(CrashBody.Ack.parse(line));
            }
        }
        String topic = CrashBody.topic(runId);
        String group = CrashBody.group(runId);
        Outcome out = new Outcome();
        DefaultMQPullConsumer pull = new DefaultMQPullConsumer(Clients.unique("CG_CrashVerify", runId));
        pull.setNamesrvAddr(namesrv);
        pull.setInstanceName("crash-verify-" + runId);
        pull.start();
        try {
            long deadline = System.currentTimeMillis() + READ_TIMEOUT_MS;
            Map<Integer, CrashScan.Found> found = new TreeMap<>();
            Map<Integer, Long> maxByQueue = new TreeMap<>();
            for (MessageQueue mq : pull.fetchSubscribeMessageQueues(topic)) {
                long min = pull.minOffset(mq);
                long max = pull.maxOffset(mq);
                maxByQueue.put(mq.getQueueId(), max);
                if (min != 0) {
                    out.problem("queue " + mq.getQueueId() + ": min offset " + min + ", expected 0 (nothing is old enough to delete)");
                }
                found.put(mq.getQueueId(), CrashScan.read(pull, runId, mq, min, max, deadline, out.problems));
            }
            Map<Integer, Long> committed = CrashScan.committed(pull, brokerAddr, topic, group, maxByQueue.size());
            Map<Integer, Long> pullCommitted = CrashScan.committed(pull, brokerAddr, topic, CrashBody.pullGroup(runId), maxByQueue.size());
            for (Map.Entry<Integer, Long> e : maxByQueue.entrySet()) {
                for (Map<Integer, Long> c : List.of(committed, pullCommitted)) {
                    long off = c.getOrDefault(e.getKey(), -2L);
                    if (off > e.getValue() || off == -2) {
                        out.problem("queue " + e.getKey() + ": committed offset " + off + " of " + (c == committed ? group : CrashBody.pullGroup(runId))
                            + (off == -2 ? " could not be queried" : " is past the max offset " + e.getValue()));
                    }
                }
            }
            int matched = CrashScan.matchAcks(acks, found, out.problems);
            int read = 0;
            int corrupt = 0;
            Map<Long, Integer> copies = new HashMap<>();
            for (CrashScan.Found f : found.values()) {
                read += f.messages;
                corrupt += f.corrupt;
                for (Long seq : f.seqByOffset.values()) {
                    copies.merge(seq, 1, Integer::sum);
                }
            }
            String index = checkIndex(pull, runId, acks, out.problems);
            long duplicated = copies.values().stream().filter(n -> n > 1).count();
            long notAcked = copies.size() - acks.stream().map(a -> a.seq).distinct().filter(copies::containsKey).count();
            System.out.println("INFO committed " + render(committed));
            System.out.println("INFO pullCommitted " + render(pullCommitted));
            System.out.println("INFO max " + render(maxByQueue));
            return out.summary(acks.size() + " acknowledged, " + matched + " at their offsets; " + read + " messages read, "
                + corrupt + " corrupt, " + notAcked + " stored but never acknowledged (sends cut off by a kill), " + duplicated
                + " stored twice (client retries); " + index + "; committed " + render(committed) + " and " + render(pullCommitted) + " within max " + render(maxByQueue));
        } finally {
            Clients.markFinalShutdown();
            pull.shutdown();
        }
    }

    /**
     * The index survived the crashes too: a sample of acknowledged keys, spread over the whole run, found by
     * queryMessage (QUERY_MESSAGE on the IndexFile) with the message the send named.
     */
    static String checkIndex(DefaultMQPullConsumer pull, String runId, List<CrashBody.Ack> acks, List<String> problems)
        throws InterruptedException {
        int step = Math.max(1, acks.size() / INDEX_SAMPLE);
        int asked = 0;
        List<String> missing = new ArrayList<>();
        for (int i = 0; i < acks.size(); i += step) {
            CrashBody.Ack a = acks.get(i);
            asked++;
            try {
                QueryResult r = pull.queryMessage(CrashBody.topic(runId), CrashBody.key(runId, a.seq), 32, 0, Long.MAX_VALUE);
                boolean hit = r.getMessageList().stream().anyMatch(m -> m.getQueueId() == a.queueId && m.getQueueOffset() == a.queueOffset
                    && CrashBody.problem(runId, m) == null && CrashBody.check(m.getBody()) == a.seq);
                if (!hit) {
                    missing.add(a + " (query found " + r.getMessageList().size() + ")");
                }
            } catch (MQClientException e) {
                missing.add(a + " (" + e.getErrorMessage() + ")");
            }
        }
        if (!missing.isEmpty()) {
            problems.add("index: " + missing.size() + " of " + asked + " sampled acknowledged keys not found by queryMessage: "
                + String.join(", ", missing.subList(0, Math.min(CrashScan.LISTED_MAX, missing.size()))));
        }
        return asked + " sampled keys found by queryMessage";
    }

    static String render(Map<Integer, Long> m) {
        StringBuilder sb = new StringBuilder();
        m.forEach((q, o) -> sb.append(sb.length() == 0 ? "" : ",").append(q).append(':').append(o));
        return sb.toString();
    }

    private CrashVerify() {
    }
}
