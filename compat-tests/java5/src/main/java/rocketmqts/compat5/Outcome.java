package rocketmqts.compat5;

import java.util.ArrayList;
import java.util.List;

/** What a scenario found: every broken expectation as "expected X, got Y" text, and a one-line summary. */
final class Outcome {
    /** Enough to diagnose; the rest are usually the same fault repeated. */
    static final int PROBLEMS_SHOWN_MAX = 30;

    final List<String> problems = new ArrayList<>();
    String summary = "";

    static Outcome failed(String problem) {
        return new Outcome().problem(problem);
    }

    Outcome problem(String p) {
        problems.add(p);
        return this;
    }

    Outcome problems(List<String> ps) {
        problems.addAll(ps);
        return this;
    }

    Outcome summary(String s) {
        summary = s;
        return this;
    }
}
