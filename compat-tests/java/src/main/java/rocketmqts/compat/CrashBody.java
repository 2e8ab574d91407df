package rocketmqts.compat;

import java.nio.ByteBuffer;
import java.util.Random;
import java.util.zip.CRC32;
import org.apache.rocketmq.common.UtilAll;
import org.apache.rocketmq.common.message.MessageExt;
import org.apache.rocketmq.common.sysflag.MessageSysFlag;

/**
 * The crash test's message body (compat-tests/crash.test.ts): it carries its own sequence number and a
 * checksum of itself, so any reader can tell an intact body from a torn, shifted or corrupt one without
 * knowing what was sent.
 *
 * Layout, big-endian: int MAGIC, long seq, int payloadBytes, payload, long crc32(everything before).
 */
final class CrashBody {
    static final int MAGIC = 0x52544d43; // "RTMC"
    private static final int HEADER_BYTES = 4 + 8 + 4;
    private static final int TRAILER_BYTES = 8;
    /** Sizes straddle the producer's 4 KiB compression threshold, so compressed and plain bodies both cross crashes. */
    static final int PAYLOAD_BYTES_MIN = 16;
    static final int PAYLOAD_BYTES_MAX = 6000;
    static final String TAGS = "crash";

    static byte[] make(long seq, Random rnd) {
        int payloadBytes = PAYLOAD_BYTES_MIN + rnd.nextInt(PAYLOAD_BYTES_MAX - PAYLOAD_BYTES_MIN + 1);
        ByteBuffer b = ByteBuffer.allocate(HEADER_BYTES + payloadBytes + TRAILER_BYTES);
        b.putInt(MAGIC).putLong(seq).putInt(payloadBytes);
        // Half random, half a run of one byte: compressible enough that the client's compression matters.
        byte[] payload = new byte[payloadBytes];
        rnd.nextBytes(payload);
        for (int i = payloadBytes / 2; i < payloadBytes; i++) {
            payload[i] = (byte) seq;
        }
        b.put(payload);
        b.putLong(crc(b.array(), HEADER_BYTES + payloadBytes));
        return b.array();
    }

    /** The seq an intact body carries; throws IllegalArgumentException saying what is wrong otherwise. */
    static long check(byte[] body) {
        if (body == null || body.length < HEADER_BYTES + TRAILER_BYTES) {
            throw new IllegalArgumentException("body of " + (body == null ? "null" : body.length + " bytes") + " is shorter than header + trailer");
        }
        ByteBuffer b = ByteBuffer.wrap(body);
        int magic = b.getInt();
        long seq = b.getLong();
        int payloadBytes = b.getInt();
        if (magic != MAGIC) {
            throw new IllegalArgumentException("magic " + Integer.toHexString(magic) + " is not " + Integer.toHexString(MAGIC));
        }
        if (payloadBytes < 0 || HEADER_BYTES + payloadBytes + TRAILER_BYTES != body.length) {
            throw new IllegalArgumentException("seq " + seq + ": payload length " + payloadBytes + " does not fit a body of " + body.length + " bytes");
        }
        long stored = ByteBuffer.wrap(body, HEADER_BYTES + payloadBytes, TRAILER_BYTES).getLong();
        long actual = crc(body, HEADER_BYTES + payloadBytes);
        if (stored != actual) {
            throw new IllegalArgumentException("seq " + seq + ": crc32 " + actual + " does not match the stored " + stored);
        }
        return seq;
    }

    /**
     * Problems with a message as delivered: its body, its key against the body's seq, and the broker's
     * body CRC for uncompressed bodies (compressed ones carry the CRC of the compressed bytes). Null if intact.
     */
    static String problem(String runId, MessageExt m) {
        try {
            long seq = check(m.getBody());
            if (!key(runId, seq).equals(m.getKeys())) {
                return "body says seq " + seq + " but keys are '" + m.getKeys() + "'";
            }
            if ((m.getSysFlag() & MessageSysFlag.COMPRESSED_FLAG) == 0 && m.getBodyCRC() != UtilAll.crc32(m.getBody())) {
                return "seq " + seq + ": broker's bodyCRC " + m.getBodyCRC() + " is not crc32(body) " + UtilAll.crc32(m.getBody());
            }
            return null;
        } catch (IllegalArgumentException e) {
            return e.getMessage();
        }
    }

    static String where(MessageExt m) {
        return "queue " + m.getQueueId() + " offset " + m.getQueueOffset() + " (commitlog " + m.getCommitLogOffset() + ")";
    }

    static String key(String runId, long seq) {
        return "crash-" + runId + "-" + seq;
    }

    static String topic(String runId) {
        return "Crash_" + runId;
    }

    /** The push consumer's group. */
    static String group(String runId) {
        return "CG_Crash_" + runId;
    }

    /** The group of CrashLoad's pull loop, which commits its offsets itself. */
    static String pullGroup(String runId) {
        return "CG_CrashPull_" + runId;
    }

    private static long crc(byte[] b, int len) {
        CRC32 c = new CRC32();
        c.update(b, 0, len);
        return c.getValue();
    }

    /** One acknowledged send, as a line of the acked log: seq queueId queueOffset msgId offsetMsgId status. */
    static final class Ack {
        final long seq;
        final int queueId;
        final long queueOffset;
        final String msgId;
        final String offsetMsgId;
        final String status;

        Ack(long seq, int queueId, long queueOffset, String msgId, String offsetMsgId, String status) {
            this.seq = seq;
            this.queueId = queueId;
            this.queueOffset = queueOffset;
            this.msgId = msgId;
            this.offsetMsgId = offsetMsgId;
            this.status = status;
        }

        String line() {
            return seq + " " + queueId + " " + queueOffset + " " + msgId + " " + offsetMsgId + " " + status;
        }

        static Ack parse(String line) {
            String[] f = line.trim().split(" ");
            return new Ack(Long.parseLong(f[0]), Integer.parseInt(f[1]), Long.parseLong(f[2]), f[3], f[4], f[5]);
        }

        @Override
        public String toString() {
            return "seq " + seq + " (q" + queueId + "@" + queueOffset + ", " + status + ")";
        }
    }

    private CrashBody() {
    }
}
