package rocketmqts.compat5;

import java.io.File;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.client.producer.SendStatus;
import org.apache.rocketmq.common.message.MessageExt;
import org.apache.rocketmq.common.message.MessageQueue;

/**
 * Scenarios over several brokers (mixed clusters, failover). The producer keeps the client's own retries
 * (2) and fault avoidance: surviving a broker loss is the client's job, the brokers only have to behave.
 *
 * spread N: a topic on all N brokers; one producer spreads over all of them; a two-consumer group drains
 * every queue of every broker.
 * failover DIR: two brokers; the test kills broker-b and restarts it when this program asks (it prints
 * "AWAIT <name>" and waits for the file DIR/<name>). Checks: sends keep succeeding through broker-a, consumers
 * keep consuming broker-a, the NameServer drops broker-b, broker-b's backlog is consumed once it is back,
 * and every acknowledged message is consumed.
 */
final class ClusterScenarios {
    static final int QUEUES_PER_BROKER = 4;
    static final int PHASE_MESSAGES = 32;
    static final long AWAIT_CONTROL_MS = 180_000;
    static final long ROUTE_DROP_TIMEOUT_MS = 30_000;
    static final long RECOVERY_TIMEOUT_MS = 90_000;

    static Outcome spread(String namesrv, int brokers) throws Exception {
        String run = Kit.newRunId();
        String topic = "J5Spread_" + run;
        Outcome out = new Outcome();
        DefaultMQProducer producer = Kit.producer(namesrv, "PG_" + run, 2);
        List<DefaultMQPushConsumer> consumers = new ArrayList<>();
        try {
            List<MessageQueue> mqs = Kit.createTopic(producer, topic, QUEUES_PER_BROKER, brokers);
            Main.info("topic " + topic + " on " + Kit.brokerNames(mqs));
            Inbox inbox = new Inbox(run);
            List<BasicScenarios.Recording> allocs = startGroup(namesrv, "CG_" + run, topic, run, inbox, consumers);
            if (!waitForSplit(allocs, mqs.size())) {
                out.problem("the group never covered all " + mqs.size() + " queues: " + allocs.get(0).last + " / " + allocs.get(1).last);
            }
            Map<Integer, SendResult> sent = send(producer, topic, run, 0, PHASE_MESSAGES * 2, out);
            Set<String> usedBrokers = new TreeSet<>();
            for (SendResult r : sent.values()) {
                usedBrokers.add(r.getMessageQueue().getBrokerName());
            }
            if (usedBrokers.size() != brokers) {
                out.problem("producer used brokers " + usedBrokers + ", expected " + brokers);
            }
            Set<Integer> all = sent.keySet();
            inbox.await(all, Kit.CONSUME_TIMEOUT_MS, 500);
            out.problems(inbox.verify(topic, all));
            Set<String> hosts = storeHosts(inbox, all);
            if (hosts.size() != brokers) {
                out.problem("consumed from store hosts " + hosts + ", expected " + brokers + " brokers");
            }
            return out.summary(all.size() + " messages over " + usedBrokers + ", consumed from " + hosts);
        } finally {
            for (DefaultMQPushConsumer c : consumers) {
                c.shutdown();
            }
            producer.shutdown();
        }
    }

    static Outcome failover(String namesrv, String controlDir) throws Exception {
        String run = Kit.newRunId();
        String topic = "J5Failover_" + run;
        Outcome out = new Outcome();
        DefaultMQProducer producer = new DefaultMQProducer("PG_" + run);
        Kit.configure(producer, namesrv, "PG_" + run, 2);
        producer.setSendLatencyFaultEnable(true);
        producer.start();
        List<DefaultMQPushConsumer> consumers = new ArrayList<>();
        try {
            List<MessageQueue> mqs = Kit.createTopic(producer, topic, QUEUES_PER_BROKER, 2);
            Main.info("topic " + topic + " on " + Kit.brokerNames(mqs));
            Inbox inbox = new Inbox(run);
            List<BasicScenarios.Recording> allocs = startGroup(namesrv, "CG_" + run, topic, run, inbox, consumers);
            if (!waitForSplit(allocs, mqs.size())) {
                return out.problem("the group never covered all " + mqs.size() + " queues");
            }

            // Phase 1: both brokers up; sends spread, the group drains both.
            Map<Integer, SendResult> phase1 = send(producer, topic, run, 0, PHASE_MESSAGES, out);
            Set<String> used = brokersOf(phase1);
            if (used.size() != 2) {
                out.problem("phase 1 used brokers " + used + ", expected broker-a and broker-b");
            }
            inbox.await(phase1.keySet(), Kit.CONSUME_TIMEOUT_MS, 0);
            out.problems(inbox.verify(topic, phase1.keySet()));
            Main.info("phase 1: " + phase1.size() + " sent over " + used + " and consumed");

            // Phase 2: consumers paused, so part of what goes to broker-b is still unconsumed when it dies.
            for (DefaultMQPushConsumer c : consumers) {
                c.suspend();
            }
            Thread.sleep(1000);
            Map<Integer, SendResult> phase2 = send(producer, topic, run, 1000, PHASE_MESSAGES, out);
            Set<Integer> phase2OnB = new TreeSet<>();
            for (Map.Entry<Integer, SendResult> e : phase2.entrySet()) {
                if ("broker-b".equals(e.getValue().getMessageQueue().getBrokerName())) {
                    phase2OnB.add(e.getKey());
                }
            }
            Thread.sleep(500);
            Set<Integer> backlogOnB = inbox.missing(phase2OnB);
            Main.info("phase 2: " + phase2.size() + " sent, " + phase2OnB.size() + " on broker-b, " + backlogOnB.size() + " of those unconsumed");
            if (backlogOnB.isEmpty()) {
                out.problem("setup: no unconsumed message on broker-b before the kill, the recovery check would prove nothing");
            }

            awaitControl(controlDir, "killed-b");
            long killedAtMs = System.currentTimeMillis();
            for (DefaultMQPushConsumer c : consumers) {
                c.resume();
            }
            // Phase 3: broker-b is dead; every send must still succeed, within the client's own retries.
            Map<Integer, SendResult> phase3 = send(producer, topic, run, 2000, PHASE_MESSAGES, out);
            Set<String> used3 = brokersOf(phase3);
            if (!used3.equals(Set.of("broker-a"))) {
                out.problem("phase 3 (broker-b dead) sends went to " + used3);
            }
            Main.info("phase 3: " + phase3.size() + " of " + PHASE_MESSAGES + " sent OK via " + used3 + " in "
                + (System.currentTimeMillis() - killedAtMs) + " ms");
            boolean dropped = Kit.waitFor(() -> {
                try {
                    return !Kit.brokerNames(producer.fetchPublishMessageQueues(topic)).contains("broker-b");
                } catch (Exception e) {
                    return false;
                }
            }, ROUTE_DROP_TIMEOUT_MS);
            if (!dropped) {
                out.problem("NameServer still routes " + topic + " to broker-b " + ROUTE_DROP_TIMEOUT_MS + " ms after the kill");
            }
            Set<Integer> onA = new TreeSet<>(phase3.keySet());
            for (Integer i : phase2.keySet()) {
                if (!phase2OnB.contains(i)) {
                    onA.add(i);
                }
            }
            inbox.await(onA, RECOVERY_TIMEOUT_MS, 0);
            for (String p : inbox.verify(topic, onA)) {
                out.problem("while broker-b was down, from broker-a: " + p);
            }
            Main.info("broker-b down: " + (onA.size() - inbox.missing(onA).size()) + "/" + onA.size() + " broker-a messages consumed");

            awaitControl(controlDir, "restarted-b");
            inbox.await(phase2OnB, RECOVERY_TIMEOUT_MS, 500);
            for (String p : inbox.verify(topic, phase2OnB)) {
                out.problem("after broker-b returned, its backlog: " + p);
            }
            Set<Integer> acked = new TreeSet<>();
            acked.addAll(phase1.keySet());
            acked.addAll(phase2.keySet());
            acked.addAll(phase3.keySet());
            Set<Integer> lost = inbox.missing(acked);
            if (!lost.isEmpty()) {
                out.problem("acknowledged but never consumed: " + Inbox.abbreviate(lost));
            }
            return out.summary(acked.size() + " acknowledged, " + (acked.size() - lost.size()) + " consumed, "
                + backlogOnB.size() + " were broker-b backlog at the kill, " + inbox.duplicates(acked) + " duplicates");
        } finally {
            for (DefaultMQPushConsumer c : consumers) {
                c.shutdown();
            }
            producer.shutdown();
        }
    }

    private static List<BasicScenarios.Recording> startGroup(String namesrv, String group, String topic, String run, Inbox inbox,
        List<DefaultMQPushConsumer> consumers) throws Exception {
        List<BasicScenarios.Recording> allocs = new ArrayList<>();
        for (int i = 1; i <= 2; i++) {
            BasicScenarios.Recording alloc = new BasicScenarios.Recording();
            allocs.add(alloc);
            DefaultMQPushConsumer c = Kit.consumer(namesrv, group, topic, "c" + i + "-" + run, "CLUSTERING", alloc);
            c.registerMessageListener(inbox.listener("c" + i));
            c.start();
            consumers.add(c);
        }
        return allocs;
    }

    private static boolean waitForSplit(List<BasicScenarios.Recording> allocs, int queues) throws InterruptedException {
        return Kit.waitFor(() -> {
            Set<MessageQueue> union = new HashSet<>();
            for (BasicScenarios.Recording a : allocs) {
                if (a.consumersSeen != allocs.size()) {
                    return false;
                }
                union.addAll(a.last);
            }
            return union.size() == queues;
        }, Kit.ALLOCATION_TIMEOUT_MS);
    }

    /** Sends count messages from idx from, synchronously; a failed send is a problem, successes are returned. */
    private static Map<Integer, SendResult> send(DefaultMQProducer p, String topic, String run, int from, int count, Outcome out) {
        Map<Integer, SendResult> ok = new HashMap<>();
        for (int i = from; i < from + count; i++) {
            try {
                SendResult r = p.send(Kit.message(topic, run, i));
                if (r.getSendStatus() == SendStatus.SEND_OK) {
                    ok.put(i, r);
                } else {
                    out.problem("idx " + i + " send status " + r.getSendStatus());
                }
            } catch (Exception e) {
                out.problem("idx " + i + " send failed: " + Main.describe(e));
            }
        }
        return ok;
    }

    private static Set<String> brokersOf(Map<Integer, SendResult> sent) {
        Set<String> s = new TreeSet<>();
        for (SendResult r : sent.values()) {
            s.add(r.getMessageQueue().getBrokerName());
        }
        return s;
    }

    private static Set<String> storeHosts(Inbox inbox, Set<Integer> idxs) {
        Set<String> s = new TreeSet<>();
        for (Integer i : idxs) {
            for (Inbox.Delivery d : inbox.byIdx.getOrDefault(i, List.of())) {
                MessageExt m = d.msg;
                InetSocketAddress a = (InetSocketAddress) m.getStoreHost();
                s.add(a.getAddress().getHostAddress() + ":" + a.getPort());
            }
        }
        return s;
    }

    private static void awaitControl(String dir, String name) throws InterruptedException {
        File f = new File(dir, name);
        Main.info("AWAIT " + name);
        if (!Kit.waitFor(f::exists, AWAIT_CONTROL_MS)) {
            throw new IllegalStateException("the test never created " + f);
        }
        Main.info("GOT " + name);
    }

    private ClusterScenarios() {
    }
}
