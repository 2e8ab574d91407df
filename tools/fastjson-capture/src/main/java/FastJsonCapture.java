/*
 * Prints the JSON that fastjson 1.2.69 writes for real RocketMQ 4.9.8 body classes,
 * one fixture file per case, so test/codec/fastjson.test.ts can compare our codec
 * against the real thing without needing Java.
 *
 * Usage: java -cp <classes>:<deps> FastJsonCapture <output dir>
 * Every value here is fixed (no clocks, seeded randomness) so reruns give the same files.
 */
import com.alibaba.fastjson.JSON;
import com.alibaba.fastjson.serializer.SerializerFeature;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.rocketmq.common.DataVersion;
import org.apache.rocketmq.common.TopicConfig;
import org.apache.rocketmq.common.admin.ConsumeStats;
import org.apache.rocketmq.common.admin.OffsetWrapper;
import org.apache.rocketmq.common.admin.TopicOffset;
import org.apache.rocketmq.common.admin.TopicStatsTable;
import org.apache.rocketmq.common.consumer.ConsumeFromWhere;
import org.apache.rocketmq.common.message.MessageQueue;
import org.apache.rocketmq.common.protocol.body.ClusterInfo;
import org.apache.rocketmq.common.protocol.body.Connection;
import org.apache.rocketmq.common.protocol.body.ConsumerConnection;
import org.apache.rocketmq.common.protocol.body.ConsumerOffsetSerializeWrapper;
import org.apache.rocketmq.common.protocol.body.KVTable;
import org.apache.rocketmq.common.protocol.body.LockBatchResponseBody;
import org.apache.rocketmq.common.protocol.body.RegisterBrokerBody;
import org.apache.rocketmq.common.protocol.body.ResetOffsetBody;
import org.apache.rocketmq.common.protocol.body.SubscriptionGroupWrapper;
import org.apache.rocketmq.common.protocol.body.TopicConfigSerializeWrapper;
import org.apache.rocketmq.common.protocol.body.TopicList;
import org.apache.rocketmq.common.protocol.header.GetConsumerListByGroupResponseBody;
import org.apache.rocketmq.common.protocol.heartbeat.ConsumeType;
import org.apache.rocketmq.common.protocol.heartbeat.ConsumerData;
import org.apache.rocketmq.common.protocol.heartbeat.HeartbeatData;
import org.apache.rocketmq.common.protocol.heartbeat.MessageModel;
import org.apache.rocketmq.common.protocol.heartbeat.ProducerData;
import org.apache.rocketmq.common.protocol.heartbeat.SubscriptionData;
import org.apache.rocketmq.common.protocol.route.BrokerData;
import org.apache.rocketmq.common.protocol.route.QueueData;
import org.apache.rocketmq.common.protocol.route.TopicRouteData;
import org.apache.rocketmq.common.subscription.SubscriptionGroupConfig;
import org.apache.rocketmq.remoting.protocol.LanguageCode;

public class FastJsonCapture {
    private static final long TS = 1690000000000L;
    private static File outDir;

    /** The features NameServer uses for clients that accept standard JSON only (DefaultRequestProcessor#getRouteInfoByTopic). */
    private static final SerializerFeature[] STANDARD = {
        SerializerFeature.BrowserCompatible, SerializerFeature.QuoteFieldNames,
        SerializerFeature.SkipTransientField, SerializerFeature.MapSortField};

    public static void main(String[] args) throws Exception {
        outDir = new File(args.length > 0 ? args[0] : "test/fixtures/fastjson");
        outDir.mkdirs();

        TopicRouteData route = route();
        write("topic-route-plain", route.toJson());
        write("topic-route-standard", JSON.toJSONString(route, STANDARD));
        TopicRouteData routeMinimal = routeMinimal();
        write("topic-route-minimal-plain", routeMinimal.toJson());
        write("topic-route-minimal-standard", JSON.toJSONString(routeMinimal, STANDARD));

        write("cluster-info", clusterInfo().toJson());

        ConsumeStats cs = consumeStats();
        write("consume-stats", cs.toJson());
        write("consume-stats-browser", JSON.toJSONString(cs, SerializerFeature.BrowserCompatible));
        ConsumeStats nan = new ConsumeStats();
        nan.setConsumeTps(Double.NaN);
        write("consume-stats-nan", nan.toJson());

        write("topic-stats-table", topicStats().toJson());
        write("reset-offset-body", resetOffset().toJson());

        HeartbeatData hb = heartbeat();
        write("heartbeat-data", hb.toJson());
        write("heartbeat-data-browser", JSON.toJSONString(hb, SerializerFeature.BrowserCompatible));

        write("lock-batch-response-body", lockBatch().toJson());
        write("consumer-connection", consumerConnection().toJson());

        SubscriptionGroupWrapper sgw = subscriptionGroups();
        write("subscription-group-wrapper", sgw.toJson());
        write("subscription-group-wrapper-pretty", sgw.toJson(true));

        TopicConfigSerializeWrapper tcw = topicConfigs();
        write("topic-config-wrapper", tcw.toJson());
        write("topic-config-wrapper-pretty", tcw.toJson(true));

        ConsumerOffsetSerializeWrapper offsets = consumerOffsets();
        write("consumer-offset", offsets.toJson());
        write("consumer-offset-pretty", offsets.toJson(true));

        KVTable kv = new KVTable();
        kv.getTable().put("brokerVersion", "409");
        kv.getTable().put("msgPutTotalTodayNow", "12");
        kv.getTable().put("bootTimestamp", "1690000000000");
        kv.getTable().put("putTps", "0.0 0.0 0.0");
        kv.getTable().put("commitLogDirCapacity", "Total : 100 GiB, Free : 50 GiB.");
        write("kv-table", kv.toJson());

        TopicList tl = new TopicList();
        tl.getTopicList().addAll(Arrays.asList("TopicTest", "TBW102", "%RETRY%cg", "SELF_TEST_TOPIC", "DefaultCluster"));
        write("topic-list", tl.toJson());
        tl.setBrokerAddr("192.168.0.10:10911");
        write("topic-list-broker-addr", tl.toJson());

        GetConsumerListByGroupResponseBody cl = new GetConsumerListByGroupResponseBody();
        cl.setConsumerIdList(Arrays.asList("192.168.0.5@12345#123456789", "192.168.0.6@23456#223456789"));
        write("consumer-list-by-group", cl.toJson());

        RegisterBrokerBody rb = new RegisterBrokerBody();
        rb.setTopicConfigSerializeWrapper(topicConfigs());
        rb.getFilterServerList().add("192.168.0.10:30000");
        write("register-broker-body", new String(rb.encode(false), StandardCharsets.UTF_8));

        // Doubles: Java's Double.toString style through fastjson's own formatter.
        write("doubles", JSON.toJSONString(Arrays.asList(
            0.0, 0.1, 1.5, 1e20, 123456789.125, -0.0, 1.0, 100.0, 0.001, 0.0001, 1e-5, 1e7, 9999999.0,
            12345678.9, 1e21, 1e22, 1e23, 2.5e-3, 1.0 / 3, 2.0 / 3, 10.0 / 3, -1.25, 4.35, 0.3,
            1e-300, Double.MIN_VALUE, Double.MAX_VALUE, Double.MIN_NORMAL, 9007199254740993.0,
            123456.789e-10, 5e-324, 1.7976931348623157e308, 65536.0, 1234567.0)));
        write("doubles-special", JSON.toJSONString(Arrays.asList(
            Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, 1.0)));
        write("doubles-random", JSON.toJSONString(randomDoubles()));
        List<Double> subnormal = new ArrayList<Double>();
        Random sr = new Random(7L);
        for (int i = 1; i <= 20; i++) {
            subnormal.add(Double.MIN_VALUE * i);
        }
        for (int i = 0; i < 40; i++) {
            subnormal.add(Double.longBitsToDouble(sr.nextLong() & 0x000FFFFFFFFFFFFFL));
        }
        subnormal.add(1e-310);
        subnormal.add(2.5e-320);
        write("doubles-subnormal", JSON.toJSONString(subnormal));

        // Longs: plain and BrowserCompatible (which quotes longs beyond +-(2^53-1)).
        List<Long> longs = Arrays.asList(0L, -1L, 9007199254740991L, 9007199254740992L, -9007199254740991L,
            -9007199254740992L, Long.MAX_VALUE, Long.MIN_VALUE, 1690000000000L);
        write("longs", JSON.toJSONString(longs));
        write("longs-browser", JSON.toJSONString(longs, SerializerFeature.BrowserCompatible));
        HashMap<Long, String> bigKeys = new HashMap<Long, String>();
        bigKeys.put(Long.MAX_VALUE, "max");
        bigKeys.put(0L, "zero");
        write("long-keys", JSON.toJSONString(bigKeys));
        write("long-keys-browser", JSON.toJSONString(bigKeys, SerializerFeature.BrowserCompatible));
        List<Integer> ints = Arrays.asList(0, Integer.MAX_VALUE, Integer.MIN_VALUE);
        write("ints-browser", JSON.toJSONString(ints, SerializerFeature.BrowserCompatible));

        // Strings needing escapes, as values and as map keys.
        List<String> strings = escapeStrings();
        write("strings", JSON.toJSONString(strings));
        write("strings-browser", JSON.toJSONString(strings, SerializerFeature.BrowserCompatible));
        LinkedHashMap<String, String> keyed = new LinkedHashMap<String, String>();
        keyed.put("a\"b", "q");
        keyed.put("c\\d", "bs");
        keyed.put("e\nf", "nl");
        keyed.put("中/文", "cjk");
        write("string-keys", JSON.toJSONString(keyed));
        write("string-keys-browser", JSON.toJSONString(keyed, SerializerFeature.BrowserCompatible));

        // Nulls: map values, list elements, bean properties.
        LinkedHashMap<String, Object> nulls = new LinkedHashMap<String, Object>();
        nulls.put("a", "x");
        nulls.put("b", null);
        nulls.put("c", Arrays.asList("y", null, "z"));
        HashMap<Integer, String> intNull = new HashMap<Integer, String>();
        intNull.put(1, null);
        intNull.put(2, "two");
        nulls.put("d", intNull);
        nulls.put("e", new TopicList());
        write("nulls", JSON.toJSONString(nulls));

        // Repeated references: fastjson writes {"$ref":...} for a repeated instance.
        MessageQueue mq = new MessageQueue("TopicTest", "broker-a", 0);
        write("repeated-ref", JSON.toJSONString(Arrays.asList(mq, mq)));

        // A map with String keys sorted by MapSortField, and mixed empty containers pretty-printed.
        LinkedHashMap<String, Object> pretty = new LinkedHashMap<String, Object>();
        pretty.put("list", Arrays.asList("a", "b"));
        pretty.put("emptyList", new ArrayList<String>());
        pretty.put("emptyMap", new HashMap<String, String>());
        pretty.put("set", new HashSet<String>(Arrays.asList("s1")));
        pretty.put("beans", Arrays.asList(new MessageQueue("T", "b", 1)));
        pretty.put("emptyBean", new TopicList());
        HashMap<Long, String> addrs = new HashMap<Long, String>();
        addrs.put(0L, "addr0");
        pretty.put("addrs", addrs);
        HashMap<MessageQueue, Long> mqs = new HashMap<MessageQueue, Long>();
        mqs.put(new MessageQueue("T", "b", 1), 5L);
        pretty.put("mqs", mqs);
        pretty.put("double", 1.5);
        pretty.put("bool", true);
        write("generic-pretty", JSON.toJSONString(pretty, SerializerFeature.PrettyFormat));
        write("generic", JSON.toJSONString(pretty));

        // Pretty edge cases: a bean whose properties are all null, a map whose values are all null.
        LinkedHashMap<String, Object> empties = new LinkedHashMap<String, Object>();
        TopicList nullBean = new TopicList();
        nullBean.setTopicList(null);
        empties.put("nullBean", nullBean);
        HashMap<String, String> nullMap = new HashMap<String, String>();
        nullMap.put("k", null);
        empties.put("nullMap", nullMap);
        write("pretty-nulls", JSON.toJSONString(empties, SerializerFeature.PrettyFormat));

        // What the parser accepts: [input, "ok" | "error", result or message] per input.
        String[] inputs = {
            "{'a':'b'}", "{a:1,b_c$:2}", "{\"a\":1,,\"b\":2,}", "[1,,2,]", "[\"\\x41\\v\\0\\'\\/\\u4E2d\"]",
            "[12L,1.5D,3F,-0,1e3]", "[\"raw\ttab\"]", "{\"a\":1}x", "{\"a\":1,2:3}", "{0:\"x\",{\"t\":1}:2}",
            "[1 2]", "{\"a\" 1}", "{\"a\":tru}", "[-]", "[1.]", "[1e+]", "[\"\\q\"]", "[1,2", "{\"a\":\"open}",
            " { \"a\" : 1 } ", "{\"a\":1}\n", "[0009007199254740993]", "{:1}", "", "[\"\\u12G4\"]",
            "{a:1}", "{$a:1}", "{_a:1}", "{a1:2}", "{a$:1}", "{\"a\":1 \"b\":2}", "   ", "[1,2] x", "{\"a\":1}}", "[true false]",
            "[1 -2]", "{\"a\":[1 {\"b\":2}]}"};
        List<List<String>> results = new ArrayList<List<String>>();
        for (String in : inputs) {
            try {
                Object parsed = JSON.parse(in, com.alibaba.fastjson.parser.Feature.OrderedField);
                results.add(Arrays.asList(in, "ok", JSON.toJSONString(parsed)));
            } catch (Exception e) {
                results.add(Arrays.asList(in, "error", String.valueOf(e.getMessage())));
            }
        }
        write("parser-cases", JSON.toJSONString(results));
    }

    private static TopicRouteData route() {
        TopicRouteData r = new TopicRouteData();
        List<BrokerData> brokers = new ArrayList<BrokerData>();
        HashMap<Long, String> a = new HashMap<Long, String>();
        a.put(0L, "192.168.0.10:10911");
        a.put(1L, "192.168.0.11:10911");
        brokers.add(new BrokerData("DefaultCluster", "broker-a", a));
        HashMap<Long, String> b = new HashMap<Long, String>();
        b.put(0L, "192.168.0.12:10911");
        brokers.add(new BrokerData("DefaultCluster", "broker-b", b));
        r.setBrokerDatas(brokers);
        List<QueueData> queues = new ArrayList<QueueData>();
        queues.add(queueData("broker-a", 4, 6));
        queues.add(queueData("broker-b", 8, 4));
        r.setQueueDatas(queues);
        HashMap<String, List<String>> filters = new HashMap<String, List<String>>();
        filters.put("192.168.0.10:10911", Arrays.asList("192.168.0.10:30000"));
        r.setFilterServerTable(filters);
        r.setOrderTopicConf("broker-a:4;broker-b:8");
        return r;
    }

    private static TopicRouteData routeMinimal() {
        TopicRouteData r = new TopicRouteData();
        HashMap<Long, String> a = new HashMap<Long, String>();
        a.put(0L, "192.168.0.10:10911");
        a.put(1L, "192.168.0.11:10911");
        r.setBrokerDatas(new ArrayList<BrokerData>(Arrays.asList(new BrokerData("DefaultCluster", "broker-a", a))));
        r.setQueueDatas(new ArrayList<QueueData>(Arrays.asList(queueData("broker-a", 4, 6))));
        r.setFilterServerTable(new HashMap<String, List<String>>());
        return r;
    }

    private static QueueData queueData(String broker, int nums, int perm) {
        QueueData q = new QueueData();
        q.setBrokerName(broker);
        q.setReadQueueNums(nums);
        q.setWriteQueueNums(nums);
        q.setPerm(perm);
        q.setTopicSysFlag(0);
        return q;
    }

    private static ClusterInfo clusterInfo() {
        ClusterInfo ci = new ClusterInfo();
        HashMap<String, BrokerData> brokers = new HashMap<String, BrokerData>();
        HashMap<String, java.util.Set<String>> clusters = new HashMap<String, java.util.Set<String>>();
        for (String name : new String[] {"broker-a", "broker-b"}) {
            HashMap<Long, String> addrs = new HashMap<Long, String>();
            addrs.put(0L, name.equals("broker-a") ? "192.168.0.10:10911" : "192.168.0.12:10911");
            if (name.equals("broker-a")) {
                addrs.put(1L, "192.168.0.11:10911");
            }
            brokers.put(name, new BrokerData("DefaultCluster", name, addrs));
        }
        clusters.put("DefaultCluster", new HashSet<String>(Arrays.asList("broker-a", "broker-b")));
        ci.setBrokerAddrTable(brokers);
        ci.setClusterAddrTable(clusters);
        return ci;
    }

    private static ConsumeStats consumeStats() {
        ConsumeStats cs = new ConsumeStats();
        for (int i = 0; i < 3; i++) {
            OffsetWrapper w = new OffsetWrapper();
            w.setBrokerOffset(100 + i);
            w.setConsumerOffset(98 + i);
            w.setLastTimestamp(i == 2 ? 0 : TS + i);
            cs.getOffsetTable().put(new MessageQueue("TopicTest", i == 2 ? "broker-b" : "broker-a", i), w);
        }
        cs.setConsumeTps(10.0 / 3);
        return cs;
    }

    private static TopicStatsTable topicStats() {
        TopicStatsTable t = new TopicStatsTable();
        for (int i = 0; i < 2; i++) {
            TopicOffset o = new TopicOffset();
            o.setMinOffset(i);
            o.setMaxOffset(10 + i);
            o.setLastUpdateTimestamp(TS + i);
            t.getOffsetTable().put(new MessageQueue("TopicTest", "broker-a", i), o);
        }
        return t;
    }

    private static ResetOffsetBody resetOffset() {
        ResetOffsetBody r = new ResetOffsetBody();
        HashMap<MessageQueue, Long> m = new HashMap<MessageQueue, Long>();
        m.put(new MessageQueue("TopicTest", "broker-a", 0), 12L);
        m.put(new MessageQueue("TopicTest", "broker-a", 1), 13L);
        m.put(new MessageQueue("TopicTest", "broker-b", 0), 9007199254740993L);
        r.setOffsetTable(m);
        return r;
    }

    private static SubscriptionData subscription(String topic, String... tags) {
        SubscriptionData sd = new SubscriptionData();
        sd.setTopic(topic);
        sd.setSubVersion(TS);
        if (tags.length == 0) {
            sd.setSubString("*");
        } else {
            sd.setSubString(String.join(" || ", tags));
            for (String t : tags) {
                sd.getTagsSet().add(t);
                sd.getCodeSet().add(t.hashCode());
            }
        }
        sd.setFilterClassSource("never serialized");
        return sd;
    }

    private static HeartbeatData heartbeat() {
        HeartbeatData hb = new HeartbeatData();
        hb.setClientID("192.168.0.5@12345#123456789");
        ProducerData pd = new ProducerData();
        pd.setGroupName("生产组");
        hb.getProducerDataSet().add(pd);
        ConsumerData cd = new ConsumerData();
        cd.setGroupName("消费组-cg");
        cd.setConsumeType(ConsumeType.CONSUME_PASSIVELY);
        cd.setMessageModel(MessageModel.CLUSTERING);
        cd.setConsumeFromWhere(ConsumeFromWhere.CONSUME_FROM_LAST_OFFSET);
        cd.getSubscriptionDataSet().add(subscription("TopicTest", "TagA", "TagB", "标签"));
        cd.setUnitMode(false);
        hb.getConsumerDataSet().add(cd);
        return hb;
    }

    private static LockBatchResponseBody lockBatch() {
        LockBatchResponseBody b = new LockBatchResponseBody();
        b.getLockOKMQSet().add(new MessageQueue("TopicTest", "broker-a", 0));
        b.getLockOKMQSet().add(new MessageQueue("TopicTest", "broker-a", 1));
        return b;
    }

    private static ConsumerConnection consumerConnection() {
        ConsumerConnection cc = new ConsumerConnection();
        for (int i = 0; i < 2; i++) {
            Connection c = new Connection();
            c.setClientId("192.168.0." + (5 + i) + "@1234" + i);
            c.setClientAddr("192.168.0." + (5 + i) + ":5300" + i);
            c.setLanguage(i == 0 ? LanguageCode.JAVA : LanguageCode.GO);
            c.setVersion(409);
            cc.getConnectionSet().add(c);
        }
        cc.getSubscriptionTable().put("TopicTest", subscription("TopicTest", "TagA"));
        cc.getSubscriptionTable().put("%RETRY%cg", subscription("%RETRY%cg"));
        cc.setConsumeType(ConsumeType.CONSUME_PASSIVELY);
        cc.setMessageModel(MessageModel.CLUSTERING);
        cc.setConsumeFromWhere(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
        return cc;
    }

    private static DataVersion dataVersion(long counter) {
        DataVersion dv = new DataVersion();
        dv.setTimestamp(TS);
        dv.setCounter(new AtomicLong(counter));
        return dv;
    }

    private static SubscriptionGroupWrapper subscriptionGroups() {
        SubscriptionGroupWrapper w = new SubscriptionGroupWrapper();
        for (String g : new String[] {"cg", "TOOLS_CONSUMER", "SELF_TEST_C_GROUP"}) {
            SubscriptionGroupConfig c = new SubscriptionGroupConfig();
            c.setGroupName(g);
            if (g.equals("cg")) {
                c.setConsumeBroadcastEnable(false);
                c.setRetryMaxTimes(3);
            }
            w.getSubscriptionGroupTable().put(g, c);
        }
        w.setDataVersion(dataVersion(3));
        return w;
    }

    private static TopicConfigSerializeWrapper topicConfigs() {
        TopicConfigSerializeWrapper w = new TopicConfigSerializeWrapper();
        TopicConfig tbw = new TopicConfig("TBW102", 8, 8, 7);
        w.getTopicConfigTable().put("TBW102", tbw);
        TopicConfig t = new TopicConfig("TopicTest", 4, 4, 6);
        t.setOrder(true);
        w.getTopicConfigTable().put("TopicTest", t);
        TopicConfig retry = new TopicConfig("%RETRY%cg", 1, 1, 6);
        w.getTopicConfigTable().put("%RETRY%cg", retry);
        w.setDataVersion(dataVersion(2));
        return w;
    }

    private static ConsumerOffsetSerializeWrapper consumerOffsets() {
        ConsumerOffsetSerializeWrapper w = new ConsumerOffsetSerializeWrapper();
        ConcurrentMap<Integer, Long> a = new ConcurrentHashMap<Integer, Long>();
        a.put(0, 250L);
        a.put(1, 251L);
        a.put(2, 0L);
        w.getOffsetTable().put("TopicTest@cg", a);
        ConcurrentMap<Integer, Long> b = new ConcurrentHashMap<Integer, Long>();
        b.put(0, 9007199254740993L);
        w.getOffsetTable().put("%RETRY%cg@cg", b);
        w.getOffsetTable().put("Empty@cg", new ConcurrentHashMap<Integer, Long>());
        return w;
    }

    private static List<String> escapeStrings() {
        List<String> s = new ArrayList<String>();
        s.add("plain");
        s.add("");
        s.add("he said \"hi\"");
        s.add("back\\slash");
        s.add("tab\there");
        s.add("new\nline");
        s.add("cr\rlf\n");
        s.add("slash/and</script>");
        s.add("single'quote");
        StringBuilder control = new StringBuilder();
        for (char c = 0; c < 0x20; c++) {
            control.append(c);
        }
        s.add(control.toString());
        s.add("del\u007f");
        s.add("c1\u0080\u009f\u00a0\u00ff");
        s.add("line\u2028para\u2029");
        s.add("中文");
        s.add("é");
        s.add("emoji\uD83D\uDE00");
        s.add("bom\uFEFF");
        s.add("\uFFFF");
        return s;
    }

    private static List<Double> randomDoubles() {
        Random r = new Random(20260101L);
        List<Double> out = new ArrayList<Double>();
        while (out.size() < 300) {
            double d;
            switch (out.size() % 3) {
                case 0:
                    d = Double.longBitsToDouble(r.nextLong());
                    break;
                case 1:
                    d = r.nextDouble() * Math.pow(10, r.nextInt(40) - 20);
                    break;
                default:
                    d = (r.nextInt(2000000) - 1000000) / Math.pow(10, r.nextInt(8));
            }
            if (!Double.isNaN(d) && !Double.isInfinite(d)) {
                out.add(d);
            }
        }
        return out;
    }

    private static void write(String name, String json) throws Exception {
        Files.write(new File(outDir, name + ".json").toPath(), json.getBytes(StandardCharsets.UTF_8));
    }
}
