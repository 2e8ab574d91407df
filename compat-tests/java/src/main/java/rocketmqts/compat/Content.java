package rocketmqts.compat;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.rocketmq.common.UtilAll;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageClientExt;
import org.apache.rocketmq.common.message.MessageConst;
import org.apache.rocketmq.common.message.MessageDecoder;
import org.apache.rocketmq.common.message.MessageExt;
import org.apache.rocketmq.common.message.MessageId;
import org.apache.rocketmq.common.sysflag.MessageSysFlag;

/**
 * The messages scenarios send, built deterministically from (runId, idx) so a later phase (another JVM,
 * after a server restart) can rebuild what was sent, and the one comparison of a received message
 * against what was sent.
 *
 * Bodies cycle through four kinds so every run covers: unicode text, every byte value, a body over the
 * producer's 4 KiB compression threshold (COMPRESSED sysFlag on single sends), and a one-byte body.
 */
final class Content {
    /** The user property every scenario message carries: its index in the run. */
    static final String IDX = "idx";
    static final String RUN = "run";
    /** DefaultMQProducer compresses bodies larger than this (compressMsgBodyOverHowmuch default). */
    static final int COMPRESS_THRESHOLD_BYTES = 4096;

    final String runId;
    final int idx;
    final byte[] body;
    final String tags;
    final String keys;
    final Map<String, String> userProps;

    private Content(String runId, int idx) {
        this.runId = runId;
        this.idx = idx;
        this.body = bodyFor(runId, idx);
        this.tags = idx % 5 == 4 ? "标签-ü" : "Tag" + (char) ('A' + idx % 3);
        // Two keys, space separated: the client's KEY_SEPARATOR.
        this.keys = "key-" + runId + "-" + idx + " second-" + idx;
        this.userProps = new LinkedHashMap<>();
        userProps.put(IDX, Integer.toString(idx));
        userProps.put(RUN, runId);
        userProps.put("eq", "a=b==c&d=" + idx);
        userProps.put("name=with=eq", "x=y");
        userProps.put("unicode", "ünïcødé ✓ 漢字 😀 " + idx);
        userProps.put("spaces", "  padded value  ");
        userProps.put("json-ish", "{\"k\":[1,2],\"s\":\"v:w;z\"}");
    }

    static Content of(String runId, int idx) {
        return new Content(runId, idx);
    }

    static List<Content> range(String runId, int fromIdx, int count) {
        List<Content> out = new ArrayList<>(count);
        for (int i = fromIdx; i < fromIdx + count; i++) {
            out.add(of(runId, i));
        }
        return out;
    }

    static String newRunId() {
        return Long.toString(System.nanoTime() & 0xffffffffL, 36) + Integer.toString((int) (Math.random() * 46656), 36);
    }

    Message toMessage(String topic) {
        Message m = new Message(topic, tags, keys, body);
        userProps.forEach(m::putUserProperty);
        return m;
    }

    private static byte[] bodyFor(String runId, int idx) {
        switch (idx % 4) {
            case 0:
                return ("héllo wörld 你好 🚀 run=" + runId + " idx=" + idx).getBytes(StandardCharsets.UTF_8);
            case 1: {
                byte[] b = new byte[512];
                for (int i = 0; i < b.length; i++) {
                    b[i] = (byte) (i + idx);
                }
                return b;
            }
            case 2: {
                StringBuilder sb = new StringBuilder();
                while (sb.length() < COMPRESS_THRESHOLD_BYTES + 2000) {
                    sb.append("large body ").append(idx).append(" ∑ ");
                }
                return sb.toString().getBytes(StandardCharsets.UTF_8);
            }
            default:
                return new byte[] {(byte) idx};
        }
    }

    /**
     * Every way the received message differs from this one, as "expected X, got Y" text.
     * Checks body, tags, keys, every user property (and no stray ones), topic, reconsume count,
     * the body CRC for uncompressed bodies, and that the offset message id names the store host and
     * CommitLog offset the message carries.
     */
    List<String> diff(String topic, MessageExt got) {
        List<String> p = new ArrayList<>();
        String where = "idx=" + idx + " (queue " + got.getQueueId() + " offset " + got.getQueueOffset() + "): ";
        expectEq(p, where + "topic", topic, got.getTopic());
        if (!Arrays.equals(body, got.getBody())) {
            p.add(where + "body differs: expected " + describeBody(body) + ", got " + describeBody(got.getBody()));
        }
        expectEq(p, where + "tags", tags, got.getTags());
        expectEq(p, where + "keys", keys, got.getKeys());
        for (Map.Entry<String, String> e : userProps.entrySet()) {
            expectEq(p, where + "user property '" + e.getKey() + "'", e.getValue(), got.getUserProperty(e.getKey()));
        }
        for (String name : got.getProperties().keySet()) {
            if (!userProps.containsKey(name) && !isSystemProperty(name)) {
                p.add(where + "unexpected property '" + name + "'='" + got.getProperties().get(name)
                    + "'; all properties: " + got.getProperties());
            }
        }
        expectEq(p, where + "reconsumeTimes", 0, got.getReconsumeTimes());
        if ((got.getSysFlag() & MessageSysFlag.COMPRESSED_FLAG) == 0 && got.getBody() != null
            && got.getBodyCRC() != UtilAll.crc32(got.getBody())) {
            p.add(where + "bodyCRC: expected crc32(body)=" + UtilAll.crc32(got.getBody()) + ", got " + got.getBodyCRC());
        }
        p.addAll(checkOffsetMsgId(where, got));
        return p;
    }

    private static List<String> checkOffsetMsgId(String where, MessageExt got) {
        List<String> p = new ArrayList<>();
        if (!(got instanceof MessageClientExt)) {
            return p;
        }
        String offsetMsgId = ((MessageClientExt) got).getOffsetMsgId();
        try {
            MessageId id = MessageDecoder.decodeMessageId(offsetMsgId);
            expectEq(p, where + "offsetMsgId " + offsetMsgId + " commitLogOffset", got.getCommitLogOffset(), id.getOffset());
            expectEq(p, where + "offsetMsgId " + offsetMsgId + " store host", String.valueOf(got.getStoreHost()),
                String.valueOf(id.getAddress()));
        } catch (Exception e) {
            p.add(where + "offsetMsgId '" + offsetMsgId + "' does not decode: " + e);
        }
        return p;
    }

    /** Properties the client or broker adds (MessageConst's reserved names, and a few not listed there). */
    static boolean isSystemProperty(String name) {
        return MessageConst.STRING_HASH_SET.contains(name)
            || name.equals(MessageConst.PROPERTY_CLUSTER)
            || name.equals(MessageConst.PROPERTY_MESSAGE_TYPE)
            || name.equals(MessageConst.PROPERTY_INNER_MULTI_DISPATCH)
            || name.equals(MessageConst.PROPERTY_INNER_MULTI_QUEUE_OFFSET);
    }

    static void expectEq(List<String> problems, String what, Object expected, Object got) {
        if (expected == null ? got != null : !expected.equals(got)) {
            problems.add(what + ": expected " + quote(expected) + ", got " + quote(got));
        }
    }

    private static String quote(Object o) {
        return o instanceof String ? "'" + o + "'" : String.valueOf(o);
    }

    static String describeBody(byte[] b) {
        if (b == null) {
            return "null";
        }
        String head = new String(b, 0, Math.min(b.length, 40), StandardCharsets.UTF_8).replaceAll("\\p{Cntrl}", "?");
        return b.length + " bytes sha256=" + sha256(b).substring(0, 12) + " starting '" + head + "'";
    }

    private static String sha256(byte[] b) {
        try {
            StringBuilder sb = new StringBuilder();
            for (byte x : MessageDigest.getInstance("SHA-256").digest(b)) {
                sb.append(String.format("%02x", x));
            }
            return sb.toString();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
