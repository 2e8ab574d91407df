package rocketmqts.controller;

import java.io.File;
import java.io.FileWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.rocketmq.client.consumer.DefaultMQPullConsumer;
import org.apache.rocketmq.client.consumer.PullResult;
import org.apache.rocketmq.client.consumer.PullStatus;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.client.producer.SendStatus;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageDecoder;
import org.apache.rocketmq.common.message.MessageExt;
import org.apache.rocketmq.common.message.MessageQueue;

/**
 * The controller-mode failover client (compat-tests/support/controller.ts runs it).
 *
 * send NAMESRV TOPIC OUT STOPFILE: sync sends one after another until STOPFILE exists; every send answered
 * SEND_OK is one line "ACK key storeHost timeMs" in OUT, every other outcome "ERR key timeMs reason".
 * storeHost comes from the offset message id (the broker that wrote it). Routes are polled every second
 * (pollNameServerInterval, 30 s by default) so a new master is seen as soon as the NameServer has it: the
 * measured failover is the servers' own, the same for every group.
 *
 * check NAMESRV TOPIC KEYSFILE: reads every queue of TOPIC from its min to its max offset and prints
 * "FOUND n", "MISSING m" and up to 20 "MISSING-KEY k" lines for the keys listed in KEYSFILE.
 */
public final class Load {
    private Load() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length == 4 && args[0].equals("send")) {
            send(args[1], args[2], args[3]);
        } else if (args.length == 5 && args[0].equals("send")) {
            send(args[1], args[2], args[3], args[4]);
        } else if (args.length == 4 && args[0].equals("check")) {
            System.exit(check(args[1], args[2], args[3]));
        } else {
            System.err.println("usage: send NAMESRV TOPIC OUT STOPFILE | check NAMESRV TOPIC KEYSFILE");
            System.exit(2);
        }
    }

    private static void send(String namesrv, String topic, String out) throws Exception {
        send(namesrv, topic, out, out + ".stop");
    }

    private static void send(String namesrv, String topic, String out, String stopFile) throws Exception {
        DefaultMQProducer producer = new DefaultMQProducer("controller_failover_producer");
        producer.setNamesrvAddr(namesrv);
        producer.setPollNameServerInterval(1000);
        producer.setSendMsgTimeout(3000);
        producer.setRetryTimesWhenSendFailed(0);
        producer.start();
        System.out.println("LOAD STARTED");
        long seq = 0;
        try (PrintWriter w = new PrintWriter(new FileWriter(out, StandardCharsets.UTF_8, true))) {
            while (!new File(stopFile).exists()) {
                String key = "k" + (seq++);
                Message msg = new Message(topic, "T", key, ("failover " + key).getBytes(StandardCharsets.UTF_8));
                try {
                    SendResult r = producer.send(msg);
                    long now = System.currentTimeMillis();
                    if (r.getSendStatus() == SendStatus.SEND_OK) {
                        String host = MessageDecoder.decodeMessageId(r.getOffsetMsgId()).getAddress().toString();
                        w.println("ACK " + key + " " + host.replaceFirst("^.*/", "") + " " + now);
                    } else {
                        w.println("ERR " + key + " " + now + " " + r.getSendStatus());
                    }
                } catch (Exception e) {
                    String reason = String.valueOf(e.getMessage()).split("\n")[0];
                    w.println("ERR " + key + " " + System.currentTimeMillis() + " " + reason);
                    Thread.sleep(100);
                }
                w.flush();
                Thread.sleep(10);
            }
        } finally {
            producer.shutdown();
        }
        System.out.println("LOAD STOPPED after " + seq + " sends");
    }

    @SuppressWarnings("deprecation")
    private static int check(String namesrv, String topic, String keysFile) throws Exception {
        Set<String> want = new HashSet<>();
        for (String l : Files.readAllLines(Paths.get(keysFile), StandardCharsets.UTF_8)) {
            if (!l.isBlank()) want.add(l.trim());
        }
        DefaultMQPullConsumer consumer = new DefaultMQPullConsumer("controller_failover_check");
        consumer.setNamesrvAddr(namesrv);
        consumer.start();
        Set<String> found = new HashSet<>();
        long read = 0;
        try {
            for (MessageQueue mq : consumer.fetchSubscribeMessageQueues(topic)) {
                long offset = consumer.minOffset(mq);
                long max = consumer.maxOffset(mq);
                while (offset < max) {
                    PullResult pr = consumer.pull(mq, "*", offset, 32, 5000);
                    if (pr.getPullStatus() != PullStatus.FOUND) {
                        if (pr.getNextBeginOffset() <= offset) break;
                        offset = pr.getNextBeginOffset();
                        continue;
                    }
                    List<MessageExt> msgs = pr.getMsgFoundList();
                    for (MessageExt m : msgs) {
                        found.add(m.getKeys());
                        read++;
                    }
                    offset = pr.getNextBeginOffset();
                }
            }
        } finally {
            consumer.shutdown();
        }
        int missing = 0;
        StringBuilder sb = new StringBuilder();
        for (String k : want) {
            if (!found.contains(k)) {
                if (missing < 20) sb.append("MISSING-KEY ").append(k).append('\n');
                missing++;
            }
        }
        System.out.println("READ " + read);
        System.out.println("FOUND " + (want.size() - missing));
        System.out.println("MISSING " + missing);
        System.out.print(sb);
        return 0;
    }
}
