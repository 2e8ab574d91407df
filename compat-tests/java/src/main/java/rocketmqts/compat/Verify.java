package rocketmqts.compat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.rocketmq.common.message.MessageClientExt;
import org.apache.rocketmq.common.message.MessageConst;
import org.apache.rocketmq.common.message.MessageExt;

/** The delivery checks every scenario shares: nothing missing, nothing foreign, content and send results intact. */
final class Verify {
    /** How many missing indexes to list before summarising. */
    private static final int MISSING_LISTED_MAX = 40;

    static final class Report {
        final List<String> problems = new ArrayList<>();
        int duplicates;
        int deliveries;

        String summary(int expected) {
            return expected + " messages, " + deliveries + " deliveries, " + duplicates + " duplicated";
        }
    }

    /**
     * @param sent what each send returned, by idx (absent for one-way sends)
     * @param duplicatesAreProblems true where no rebalance can explain a second delivery
     */
    static Report delivery(String topic, List<Content> expected, Map<Integer, Sent> sent, Collector c,
        boolean duplicatesAreProblems) {
        Report r = new Report();
        Set<Integer> missing = new TreeSet<>();
        for (Content e : expected) {
            List<Collector.Delivery> ds = c.byIdx.get(e.idx);
            if (ds == null) {
                missing.add(e.idx);
                continue;
            }
            r.deliveries += ds.size();
            if (ds.size() > 1) {
                r.duplicates++;
                if (duplicatesAreProblems) {
                    r.problems.add("idx=" + e.idx + " delivered " + ds.size() + " times: " + describe(ds));
                }
            }
            for (Collector.Delivery d : ds) {
                r.problems.addAll(e.diff(topic, d.msg));
                r.problems.addAll(offsetsBracket(e.idx, d.msg));
                Sent s = sent.get(e.idx);
                if (s != null) {
                    r.problems.addAll(matchesSend(e.idx, s, d.msg));
                }
            }
        }
        if (!missing.isEmpty()) {
            r.problems.add(0, missing.size() + " of " + expected.size() + " messages never delivered: " + describeMissing(missing, sent));
        }
        if (!c.foreign.isEmpty()) {
            MessageExt m = c.foreign.get(0).msg;
            r.problems.add(c.foreign.size() + " deliveries of messages this run never sent; first: topic=" + m.getTopic()
                + " queue=" + m.getQueueId() + " offset=" + m.getQueueOffset() + " properties=" + m.getProperties());
        }
        return r;
    }

    static List<String> matchesSend(int idx, Sent s, MessageExt got) {
        List<String> p = new ArrayList<>();
        String where = "idx=" + idx + " vs its SendResult: ";
        Content.expectEq(p, where + "msgId (UNIQ_KEY)", s.uniqId, got.getMsgId());
        if (s.offsetMsgId != null && got instanceof MessageClientExt) {
            Content.expectEq(p, where + "offsetMsgId", s.offsetMsgId, ((MessageClientExt) got).getOffsetMsgId());
        }
        if (s.queueId >= 0) {
            Content.expectEq(p, where + "queueId", s.queueId, got.getQueueId());
            Content.expectEq(p, where + "queueOffset", s.queueOffset, got.getQueueOffset());
        }
        return p;
    }

    /**
     * The pull response header's minOffset and maxOffset, which the client copies into every message it
     * delivers (MIN_OFFSET / MAX_OFFSET), must bracket the message's queue offset.
     */
    static List<String> offsetsBracket(int idx, MessageExt got) {
        List<String> p = new ArrayList<>();
        String min = got.getProperty(MessageConst.PROPERTY_MIN_OFFSET);
        String max = got.getProperty(MessageConst.PROPERTY_MAX_OFFSET);
        try {
            if (min == null || max == null || Long.parseLong(min) > got.getQueueOffset()
                || Long.parseLong(max) <= got.getQueueOffset()) {
                p.add("idx=" + idx + ": pull response minOffset/maxOffset: expected min <= " + got.getQueueOffset()
                    + " < max, got min=" + min + " max=" + max);
            }
        } catch (NumberFormatException e) {
            p.add("idx=" + idx + ": pull response minOffset/maxOffset not numbers: min=" + min + " max=" + max);
        }
        return p;
    }

    private static String describe(List<Collector.Delivery> ds) {
        StringBuilder sb = new StringBuilder();
        for (Collector.Delivery d : ds) {
            sb.append("[").append(d.consumer).append(" queue ").append(d.msg.getQueueId())
                .append(" offset ").append(d.msg.getQueueOffset()).append("] ");
        }
        return sb.toString().trim();
    }

    private static String describeMissing(Set<Integer> missing, Map<Integer, Sent> sent) {
        StringBuilder sb = new StringBuilder();
        int n = 0;
        for (Integer i : missing) {
            if (n++ == MISSING_LISTED_MAX) {
                sb.append("...");
                break;
            }
            Sent s = sent.get(i);
            sb.append(i);
            if (s != null && s.queueId >= 0) {
                sb.append("(q").append(s.queueId).append("@").append(s.queueOffset).append(")");
            }
            sb.append(' ');
        }
        return sb.toString().trim();
    }

    private Verify() {
    }
}
