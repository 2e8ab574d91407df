package rocketmqts.compat;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Entry point: {@code Scenarios <scenario> <namesrvAddr> [args...]}.
 *
 * Prints progress as "INFO ..." lines, then exactly one "PASS <scenario> [<serialize>] ..." or
 * "FAIL <scenario> [<serialize>] ..." line followed by one "  - <problem>" line per broken expectation
 * (expected vs got). Exit code 0 on PASS, 1 on FAIL, 2 on bad usage. The harness
 * (test/support/java.ts) matches these lines; keep them stable.
 */
public final class Scenarios {
    /** One scenario: runs against the namesrv and returns its problems (empty = pass) plus a summary. */
    interface Scenario {
        Outcome run(String namesrv, List<String> args) throws Exception;
    }

    static final Map<String, Scenario> SCENARIOS = new LinkedHashMap<>();

    static {
        SCENARIOS.put("send-sync", (n, a) -> SendScenarios.run(n, SendScenarios.Mode.SYNC));
        SCENARIOS.put("send-async", (n, a) -> SendScenarios.run(n, SendScenarios.Mode.ASYNC));
        SCENARIOS.put("send-oneway", (n, a) -> SendScenarios.run(n, SendScenarios.Mode.ONEWAY));
        SCENARIOS.put("send-batch", (n, a) -> SendScenarios.run(n, SendScenarios.Mode.BATCH));
        SCENARIOS.put("push-clustering", (n, a) -> QueueScenarios.clustering(n));
        SCENARIOS.put("shared-queues", (n, a) -> QueueScenarios.sharedQueues(n));
        SCENARIOS.put("restart-send", (n, a) -> RestartScenarios.send(n, arg(a, 0, "stateFile")));
        SCENARIOS.put("restart-consume", (n, a) -> RestartScenarios.consume(n, arg(a, 0, "stateFile")));
    }

    public static void main(String[] argv) {
        if (argv.length < 2 || !SCENARIOS.containsKey(argv[0])) {
            System.out.println("usage: Scenarios <scenario> <namesrvAddr> [args]; scenarios: " + SCENARIOS.keySet());
            System.exit(2);
        }
        String name = argv[0];
        String label = name + " [" + System.getProperty("rocketmq.serialize.type", "JSON") + "]";
        long startMs = System.currentTimeMillis();
        Outcome outcome;
        try {
            outcome = SCENARIOS.get(name).run(argv[1], new ArrayList<>(Arrays.asList(argv).subList(2, argv.length)));
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

    private Scenarios() {
    }
}
