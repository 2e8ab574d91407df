package rocketmqts.compat5;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Entry point: {@code Main <scenario> <namesrvAddr> [args...]}.
 *
 * Prints "INFO ..." progress lines, then exactly one "PASS <scenario> ..." or "FAIL <scenario> ..." line
 * followed by one "  - <problem>" line per broken expectation. Exit code 0 on PASS, 1 on FAIL, 2 on bad
 * usage. The same lines as compat-tests/java prints, so one harness reads both (test/support/java5.ts).
 */
public final class Main {
    interface Scenario {
        Outcome run(String namesrv, List<String> args) throws Exception;
    }

    static final Map<String, Scenario> SCENARIOS = new LinkedHashMap<>();

    static {
        SCENARIOS.put("send-sync", (n, a) -> BasicScenarios.send(n, BasicScenarios.Mode.SYNC));
        SCENARIOS.put("send-async", (n, a) -> BasicScenarios.send(n, BasicScenarios.Mode.ASYNC));
        SCENARIOS.put("send-batch", (n, a) -> BasicScenarios.send(n, BasicScenarios.Mode.BATCH));
        SCENARIOS.put("push-clustering", (n, a) -> BasicScenarios.clustering(n));
        SCENARIOS.put("push-broadcasting", (n, a) -> BasicScenarios.broadcasting(n));
        SCENARIOS.put("tag-filter", (n, a) -> BasicScenarios.tagFilter(n));
        SCENARIOS.put("lite-pull", (n, a) -> BasicScenarios.litePull(n));
        SCENARIOS.put("orderly", (n, a) -> FeatureScenarios.orderly(n));
        SCENARIOS.put("delay", (n, a) -> FeatureScenarios.delay(n));
        SCENARIOS.put("retry", (n, a) -> FeatureScenarios.retry(n));
        SCENARIOS.put("transaction", (n, a) -> FeatureScenarios.transaction(n));
        // 5.x-only answers (Java5Answers uses 5.x client API): tx-id; timer <timerMaxDelaySec>.
        SCENARIOS.put("tx-id", (n, a) -> Java5Answers.transactionId(n));
        SCENARIOS.put("timer", (n, a) -> Java5Answers.timer(n, Long.parseLong(arg(a, 0, "timerMaxDelaySec"))));
        // Cluster scenarios: spread <brokerCount>; failover <controlDir> (driven by the test through files).
        SCENARIOS.put("spread", (n, a) -> ClusterScenarios.spread(n, Integer.parseInt(arg(a, 0, "brokerCount"))));
        SCENARIOS.put("failover", (n, a) -> ClusterScenarios.failover(n, arg(a, 0, "controlDir")));
        // Request/reply: reply-responder <topic> <label> <controlDir>; request-reply <topic>=<label>... [timeout=<topic>].
        SCENARIOS.put("reply-responder", (n, a) -> RequestReplyScenarios.responder(n, arg(a, 0, "topic"), arg(a, 1, "label"), arg(a, 2, "controlDir")));
        SCENARIOS.put("request-reply", (n, a) -> RequestReplyScenarios.requester(n, a));
    }

    public static void main(String[] argv) {
        if (argv.length < 2 || !SCENARIOS.containsKey(argv[0])) {
            System.out.println("usage: Main <scenario> <namesrvAddr> [args]; scenarios: " + SCENARIOS.keySet());
            System.exit(2);
        }
        String label = argv[0] + " [client " + Kit.clientVersion() + "]";
        long startMs = System.currentTimeMillis();
        Outcome outcome;
        try {
            outcome = SCENARIOS.get(argv[0]).run(argv[1], new ArrayList<>(Arrays.asList(argv).subList(2, argv.length)));
        } catch (Throwable t) {
            outcome = Outcome.failed("threw " + describe(t));
            t.printStackTrace(System.out);
        }
        long tookMs = System.currentTimeMillis() - startMs;
        if (outcome.problems.isEmpty()) {
            System.out.println("PASS " + label + " in " + tookMs + " ms: " + outcome.summary);
            System.out.flush();
            System.exit(0);
        }
        System.out.println("FAIL " + label + " in " + tookMs + " ms: " + outcome.problems.size() + " problem(s)"
            + (outcome.summary.isEmpty() ? "" : "; " + outcome.summary));
        int shown = 0;
        for (String p : outcome.problems) {
            if (shown++ == Outcome.PROBLEMS_SHOWN_MAX) {
                System.out.println("  - ... and " + (outcome.problems.size() - Outcome.PROBLEMS_SHOWN_MAX) + " more");
                break;
            }
            System.out.println("  - " + p);
        }
        System.out.flush();
        System.exit(1);
    }

    static String describe(Throwable t) {
        StringBuilder sb = new StringBuilder(t.toString());
        for (Throwable c = t.getCause(); c != null && c != c.getCause(); c = c.getCause()) {
            sb.append(" <- ").append(c);
        }
        return sb.toString();
    }

    static void info(String line) {
        System.out.println("INFO " + line);
        System.out.flush();
    }

    private static String arg(List<String> args, int i, String what) {
        if (args.size() <= i) {
            throw new IllegalArgumentException("missing argument <" + what + ">");
        }
        return args.get(i);
    }

    private Main() {
    }
}
