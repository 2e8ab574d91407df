package rocketmqts.compat;

import org.apache.rocketmq.client.producer.SendResult;

/** What the producer was told about one message; fields it was not told are null / -1. */
final class Sent {
    final String uniqId;
    final String offsetMsgId;
    final int queueId;
    final long queueOffset;
    final long sentAtMs;

    Sent(String uniqId, String offsetMsgId, int queueId, long queueOffset, long sentAtMs) {
        this.uniqId = uniqId;
        this.offsetMsgId = offsetMsgId;
        this.queueId = queueId;
        this.queueOffset = queueOffset;
        this.sentAtMs = sentAtMs;
    }

    static Sent of(SendResult r, long sentAtMs) {
        return new Sent(r.getMsgId(), r.getOffsetMsgId(), r.getMessageQueue().getQueueId(), r.getQueueOffset(), sentAtMs);
    }

    /** The line a state file stores: uniqId offsetMsgId queueId queueOffset. */
    String encode() {
        return uniqId + " " + offsetMsgId + " " + queueId + " " + queueOffset;
    }

    static Sent decode(String line) {
        String[] f = line.trim().split(" ");
        return new Sent(f[0], "null".equals(f[1]) ? null : f[1], Integer.parseInt(f[2]), Long.parseLong(f[3]), 0);
    }
}
