package rocketmqts.compat;

/**
 * Entry point for the consumption-style scenarios: {@code ConsumeStyleScenarios <scenario> <namesrvAddr> [args]}.
 * Registers them next to the base scenarios and hands over to {@link Scenarios#main}, so the output
 * (INFO lines, one PASS/FAIL verdict, "  - problem" lines) and exit codes are the same.
 */
public final class ConsumeStyleScenarios {
    /**
     * Argument saying the server is the Apache broker, for the one place where we deliberately differ
     * (a malformed SQL92 expression in a pull header: Java delivers everything, we refuse).
     */
    static final String JAVA_BROKER = "--java-broker";

    static {
        Scenarios.SCENARIOS.put("clustering-members", (n, a) -> GroupScenarios.clusteringMembers(n));
        Scenarios.SCENARIOS.put("broadcasting", (n, a) -> GroupScenarios.broadcasting(n));
        Scenarios.SCENARIOS.put("orderly", (n, a) -> GroupScenarios.orderly(n));
        Scenarios.SCENARIOS.put("pull-consumer", (n, a) -> PullScenarios.pullConsumer(n));
        Scenarios.SCENARIOS.put("lite-pull-subscribe", (n, a) -> PullScenarios.litePullSubscribe(n));
        Scenarios.SCENARIOS.put("lite-pull-assign", (n, a) -> PullScenarios.litePullAssign(n));
        Scenarios.SCENARIOS.put("filter-tags", (n, a) -> FilterScenarios.tags(n));
        Scenarios.SCENARIOS.put("filter-sql92", (n, a) -> FilterScenarios.sql92(n, a.contains(JAVA_BROKER)));
        Scenarios.SCENARIOS.put("filter-sql92-disabled", (n, a) -> FilterScenarios.sql92Disabled(n));
        Scenarios.SCENARIOS.put("consume-from-where", (n, a) -> ReplayScenarios.consumeFromWhere(n));
        Scenarios.SCENARIOS.put("replay-by-time", (n, a) -> ReplayScenarios.replayByTime(n));
        Scenarios.SCENARIOS.put("large-bodies", (n, a) -> BodyScenarios.largeBodies(n));
        Scenarios.SCENARIOS.put("compressed-bodies", (n, a) -> BodyScenarios.compressedBodies(n));
    }

    public static void main(String[] argv) {
        Scenarios.main(argv);
    }

    private ConsumeStyleScenarios() {
    }
}
