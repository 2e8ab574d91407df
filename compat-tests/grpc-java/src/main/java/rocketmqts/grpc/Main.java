package rocketmqts.grpc;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Drives the RocketMQ 5.x gRPC Java SDK against one endpoint.
 *
 * Usage: Main <endpoint> <scenario:topic:group> ... [--then <scenario:topic:group> ...]
 * Scenarios before "--then" run in parallel (each has its own topic and group, made by the caller with
 * the message type and group settings it needs); those after it run one by one once the first ones are
 * done (the restart scenario asks the caller to restart the server, which would disturb the others).
 *
 * Output, one line each, for the caller to check:
 *   SCENARIO <name> PASS <key=value ...>
 *   SCENARIO <name> FAIL <reason>
 *   ASK <key> <args>             (a question to the caller, answered on stdin with "REPLY <key> <value>":
 *                                 "ASK restart": restart the server now; "ASK dlq <group> <id>": is the
 *                                 message in %DLQ%group?)
 *   DONE <passed>/<total>
 * plus "  - ..." detail lines. Exit code 0 when every scenario passed.
 */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 2) {
            System.err.println("usage: Main <endpoint> <scenario:topic:group> ... [--then <scenario:topic:group> ...]");
            System.exit(2);
        }
        String endpoint = args[0];
        List<String> parallel = new ArrayList<>();
        List<String> after = new ArrayList<>();
        boolean then = false;
        for (int i = 1; i < args.length; i++) {
            if (args[i].equals("--then")) {
                then = true;
            } else {
                (then ? after : parallel).add(args[i]);
            }
        }
        Scenarios scenarios = new Scenarios(endpoint);
        List<Boolean> results = Collections.synchronizedList(new ArrayList<>());
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, parallel.size()));
        List<Future<?>> futures = new ArrayList<>();
        for (String spec : parallel) {
            futures.add(pool.submit(() -> results.add(runOne(scenarios, spec))));
        }
        for (Future<?> f : futures) {
            f.get();
        }
        pool.shutdown();
        pool.awaitTermination(5, TimeUnit.SECONDS);
        for (String spec : after) {
            results.add(runOne(scenarios, spec));
        }
        long passed = results.stream().filter(b -> b).count();
        System.out.println("DONE " + passed + "/" + results.size());
        System.out.flush();
        // The SDK's client threads are not all daemons; exit explicitly.
        System.exit(passed == results.size() ? 0 : 1);
    }

    private static boolean runOne(Scenarios scenarios, String spec) {
        String[] parts = spec.split(":", 3);
        String name = parts[0];
        String topic = parts.length > 1 ? parts[1] : "";
        String group = parts.length > 2 ? parts[2] : "";
        long started = System.currentTimeMillis();
        try {
            String facts = scenarios.run(name, topic, group);
            Scenarios.print("SCENARIO " + name + " PASS " + facts + " tookMs=" + (System.currentTimeMillis() - started));
            return true;
        } catch (Throwable t) {
            StringBuilder sb = new StringBuilder("SCENARIO " + name + " FAIL " + oneLine(t) + " tookMs=" + (System.currentTimeMillis() - started));
            for (Throwable c = t.getCause(); c != null; c = c.getCause()) {
                sb.append("\n  - caused by ").append(oneLine(c));
            }
            Scenarios.print(sb.toString());
            return false;
        }
    }

    static String oneLine(Throwable t) {
        String m = t.getMessage() == null ? "" : t.getMessage();
        return (t instanceof AssertionError ? "" : t.getClass().getSimpleName() + ": ") + m.replace('\n', ' ');
    }

    static String utf8(java.nio.ByteBuffer b) {
        byte[] bytes = new byte[b.remaining()];
        b.duplicate().get(bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
