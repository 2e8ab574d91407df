package rocketmqts.compat;

import org.apache.rocketmq.client.exception.MQBrokerException;
import org.apache.rocketmq.client.impl.MQClientAPIImpl;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.client.producer.SendStatus;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.protocol.ResponseCode;

/**
 * A real client's view of a server under attack (test/hostile): one DefaultMQProducer sends one message
 * every intervalMs, and every fifth tick also asks the NameServer for the topic's route, each on the
 * client's own connections, until the JVM is killed. Every round trip is printed as
 *
 *   PROBE send|route &lt;startEpochMs&gt; &lt;rttMs&gt; OK|BUSY|FAIL &lt;detail&gt;
 *
 * (BUSY: the broker answered SYSTEM_BUSY, its flow control telling the client to back off.)
 * and "PROBE ready" once ten sends in a row succeeded (routes fetched, connections open, code warm).
 * A send gets the Java default timeout (3 s) and no retry, so a stalled server shows up as a slow or
 * failed line, never as a hidden second attempt.
 *
 * Args: namesrvAddr topic [intervalMs=100] [timeoutMs=3000]
 */
public final class SendProbe {
    private static final int READY_AFTER_OK_SENDS = 10;
    private static final int ROUTE_EVERY_TICKS = 5;
    private static final int BODY_BYTES = 128;

    private SendProbe() {
    }

    public static void main(String[] args) throws Exception {
        String namesrv = args[0];
        String topic = args[1];
        int intervalMs = args.length > 2 ? Integer.parseInt(args[2]) : 100;
        int timeoutMs = args.length > 3 ? Integer.parseInt(args[3]) : 3000;

        String group = "hostile_probe_" + ProcessHandle.current().pid();
        DefaultMQProducer p = new DefaultMQProducer(group);
        p.setNamesrvAddr(namesrv);
        p.setInstanceName(group);
        p.setSendMsgTimeout(timeoutMs);
        p.setRetryTimesWhenSendFailed(0);
        p.setRetryTimesWhenSendAsyncFailed(0);
        p.start();
        MQClientAPIImpl api = p.getDefaultMQProducerImpl().getmQClientFactory().getMQClientAPIImpl();

        byte[] body = new byte[BODY_BYTES];
        java.util.Arrays.fill(body, (byte) 'p');
        int okInARow = 0;
        boolean ready = false;
        for (long tick = 0; ; tick++) {
            long tickStart = System.currentTimeMillis();
            long t0 = System.nanoTime();
            String outcome;
            try {
                SendResult r = p.send(new Message(topic, "probe", body));
                outcome = r.getSendStatus() == SendStatus.SEND_OK ? "OK" : "FAIL " + r.getSendStatus();
            } catch (MQBrokerException e) {
                outcome = (e.getResponseCode() == ResponseCode.SYSTEM_BUSY ? "BUSY " : "FAIL ") + oneLine(e);
            } catch (Throwable e) {
                outcome = "FAIL " + oneLine(e);
            }
            long rtt = (System.nanoTime() - t0) / 1_000_000;
            System.out.println("PROBE send " + tickStart + " " + rtt + " " + outcome);
            okInARow = outcome.equals("OK") ? okInARow + 1 : 0;
            if (!ready && okInARow >= READY_AFTER_OK_SENDS) {
                ready = true;
                System.out.println("PROBE ready");
            }
            if (tick % ROUTE_EVERY_TICKS == 0) {
                long routeStart = System.currentTimeMillis();
                long r0 = System.nanoTime();
                String routeOutcome;
                try {
                    routeOutcome = api.getTopicRouteInfoFromNameServer(topic, timeoutMs) != null ? "OK" : "FAIL no route";
                } catch (Throwable e) {
                    routeOutcome = "FAIL " + oneLine(e);
                }
                System.out.println("PROBE route " + routeStart + " " + (System.nanoTime() - r0) / 1_000_000 + " " + routeOutcome);
            }
            System.out.flush();
            long sleep = intervalMs - (System.currentTimeMillis() - tickStart);
            if (sleep > 0) Thread.sleep(sleep);
        }
    }

    private static String oneLine(Throwable e) {
        return (e.getClass().getSimpleName() + ": " + e.getMessage()).replace('\n', ' ').replace('\r', ' ');
    }
}
