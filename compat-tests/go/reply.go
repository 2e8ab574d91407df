package main

// Request/reply with the Go client, the same two programs and lines as compat-tests/java5's
// RequestReplyScenarios (one harness, compat-tests/request-reply.test.ts, drives both):
//
//	reply-responder <topic> <label> <controlDir>   answers every request until <controlDir>/stop exists
//	request-reply <topic>=<label>... [timeout=<topic>]
//
// What v2.1.2 offers and lacks: Producer.Request (sync) and RequestAsync (callback); no request with a
// MessageQueueSelector argument (the producer-wide WithQueueSelector applies to requests, which is how the
// selector style is run here); consumer.CreateReplyMessage parses the body it is given as properties and
// leaves the reply's body empty, so the responder sets Body itself; a reply goes out as SEND_REPLY_MESSAGE
// (324, V1 header); an async request that is never answered gets its callback only when the future cache
// evicts it (every 10 minutes), so the async timeout is not checked; and a requester heartbeats before its
// first request only if the NameServer does not know the topic (see requestReply).

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/apache/rocketmq-client-go/v2"
	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
)

const (
	rrQueues          = 4
	rrRequestTimeout  = 10 * time.Second
	rrWarmupTimeout   = 30 * time.Second
	rrNoReplyTimeout  = 2 * time.Second
	rrGoneDelay       = 2500 * time.Millisecond
	rrPerStyle        = 3
	rrResponderMaxRun = 170 * time.Second
)

var brokerCodePattern = regexp.MustCompile(`CODE: (\d+), DESC: (.*)`)

// brokerRefusal is "CODE <n> <remark>" of a send error that carries the broker's answer.
func brokerRefusal(err error) string {
	if m := brokerCodePattern.FindStringSubmatch(err.Error()); m != nil {
		return "CODE " + m[1] + " " + m[2]
	}
	return "no broker refusal: " + err.Error()
}

// ------------------------------------------------------------------ responder

func replyResponder(namesrv string) *outcome {
	out := &outcome{}
	if len(scenarioArgs) < 3 {
		out.problem("usage: reply-responder <topic> <label> <controlDir>")
		return out
	}
	topic, label, controlDir := scenarioArgs[0], scenarioArgs[1], scenarioArgs[2]
	p, err := newProducer(namesrv, "rr-responder-"+label)
	if err != nil {
		out.problem("producer: %v", err)
		return out
	}
	defer p.Shutdown()

	var mu sync.Mutex
	var problems []string
	replied := 0
	owned := map[int]bool{}
	allocate := func(group, cid string, mqAll []*primitive.MessageQueue, cidAll []string) []*primitive.MessageQueue {
		mine := consumer.AllocateByAveragely(group, cid, mqAll, cidAll)
		mu.Lock()
		for _, mq := range mine {
			if mq.Topic == topic {
				owned[mq.QueueId] = true
			}
		}
		mu.Unlock()
		return mine
	}
	c, err := newConsumer(namesrv, "rr-responder-"+label, "c-"+label, consumer.Clustering, consumer.WithStrategy(allocate))
	if err != nil {
		out.problem("consumer: %v", err)
		return out
	}
	answer := func(req *primitive.MessageExt) {
		at := "request " + req.MsgId + ": "
		for _, k := range []string{primitive.PropertyCluster, primitive.PropertyMessageReplyToClient, primitive.PropertyCorrelationID, primitive.PropertyMessageTTL} {
			if req.GetProperty(k) == "" {
				mu.Lock()
				problems = append(problems, at+"arrived without "+k)
				mu.Unlock()
			}
		}
		mode := req.GetProperty("mode")
		reqKey := req.GetProperty("reqKey")
		send := func(m *primitive.Message) error {
			ctx, cancel := context.WithTimeout(context.Background(), sendTimeout)
			defer cancel()
			_, err := p.SendSync(ctx, m)
			return err
		}
		reply := func(body string) (*primitive.Message, error) {
			m, err := consumer.CreateReplyMessage(req, []byte(body))
			if err != nil {
				return nil, err
			}
			m.Body = []byte(body) // v2.1.2 leaves it empty (see the file comment)
			return m, nil
		}
		if mode == "gone" {
			d, _ := strconv.Atoi(req.GetProperty("delayMs"))
			time.Sleep(time.Duration(d) * time.Millisecond)
			m, err := reply("too late")
			if err == nil {
				err = send(m)
			}
			if err == nil {
				info("REPLY-ERROR gone none")
			} else {
				info("REPLY-ERROR gone %s", brokerRefusal(err))
			}
			return
		}
		body := fmt.Sprintf("reply[%s]:%s|%s|q=%d", label, string(req.Body), reqKey, req.Queue.QueueId)
		if mode == "no-reply-to" {
			bad, err := reply("no reply-to")
			refusal := "accepted"
			if err == nil {
				bad.RemoveProperty(primitive.PropertyMessageReplyToClient)
				if err = send(bad); err != nil {
					refusal = brokerRefusal(err)
				}
			} else {
				refusal = err.Error()
			}
			body = "no-reply-to:" + refusal
		}
		m, err := reply(body)
		if err == nil {
			m.WithProperty("replyKey", "r-"+reqKey)
			err = send(m)
		}
		mu.Lock()
		if err != nil && strings.Contains(err.Error(), "not found.") {
			info("REPLY-ERROR late %s", brokerRefusal(err)) // the requester left first
		} else if err != nil {
			problems = append(problems, at+"reply failed: "+err.Error())
		} else {
			replied++
		}
		mu.Unlock()
	}
	err = c.Subscribe(topic, consumer.MessageSelector{}, func(ctx context.Context, msgs ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
		for _, m := range msgs {
			answer(m)
		}
		return consumer.ConsumeSuccess, nil
	})
	if err != nil {
		out.problem("subscribe: %v", err)
		return out
	}
	if err := c.Start(); err != nil {
		out.problem("consumer start: %v", err)
		return out
	}
	defer c.Shutdown()
	if !waitFor(func() bool { mu.Lock(); defer mu.Unlock(); return len(owned) == rrQueues }, allocTimeout) {
		out.problem("the responder never owned the %d queues of %s", rrQueues, topic)
		return out
	}
	info("READY %s %s", label, topic)
	stop := filepath.Join(controlDir, "stop")
	waitFor(func() bool { _, err := os.Stat(stop); return err == nil }, rrResponderMaxRun)
	mu.Lock()
	defer mu.Unlock()
	out.problems = append(out.problems, problems...)
	out.summary = fmt.Sprintf("replied %d request(s) on %s", replied, topic)
	return out
}

// ------------------------------------------------------------------ requester

// argSelector is the selector style: a request with property queueArg goes to queue queueArg % n
// (the Java requester's MessageQueueSelector does the same with its arg); others round robin.
type argSelector struct{ rr producer.QueueSelector }

func (s argSelector) Select(m *primitive.Message, mqs []*primitive.MessageQueue, last string) *primitive.MessageQueue {
	if v := m.GetProperty("queueArg"); v != "" {
		i, _ := strconv.Atoi(v)
		return mqs[i%len(mqs)]
	}
	return s.rr.Select(m, mqs, last)
}

func requestReply(namesrv string) *outcome {
	out := &outcome{}
	run := newRunID()
	p, err := newProducer(namesrv, "rr-requester-"+run, producer.WithQueueSelector(argSelector{producer.NewRoundRobinQueueSelector()}))
	if err != nil {
		out.problem("producer: %v", err)
		return out
	}
	defer p.Shutdown()
	// v2.1.2 heartbeats before a request only when the topic is unknown to the NameServer
	// (prepareSendRequest asks CheckTopicRouteHasTopic, which queries the server), so for an existing topic
	// the broker learns this client id only at the periodic heartbeat, up to 30 s later, and cannot push
	// replies until then. A push consumer on the same client (same instance name) heartbeats when it starts.
	first := strings.SplitN(scenarioArgs[0], "=", 2)
	topic := first[0]
	if topic == "timeout" {
		topic = first[1]
	}
	hb, err := newConsumer(namesrv, "rr-requester-hb-"+run, "p-rr-requester-"+run, consumer.Clustering)
	if err == nil {
		err = hb.Subscribe(topic, consumer.MessageSelector{}, func(context.Context, ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
			return consumer.ConsumeSuccess, nil
		})
	}
	if err == nil {
		err = hb.Start()
	}
	if err != nil {
		out.problem("heartbeat consumer: %v", err)
		return out
	}
	defer hb.Shutdown()
	var summary []string
	for _, target := range scenarioArgs {
		kv := strings.SplitN(target, "=", 2)
		if kv[0] == "timeout" {
			ps := goTimeouts(p, kv[1])
			out.problems = append(out.problems, ps...)
			summary = append(summary, "timeouts "+okOrFail(ps))
			continue
		}
		ps := goPair(namesrv, p, kv[0], kv[1], run)
		if len(ps) == 0 {
			info("PAIR %s PASS", kv[1])
		} else {
			info("PAIR %s FAIL %s", kv[1], strings.Join(ps, "; "))
		}
		for _, x := range ps {
			out.problem("%s: %s", kv[1], x)
		}
		summary = append(summary, kv[1]+" "+okOrFail(ps))
	}
	out.summary = strings.Join(summary, ", ")
	return out
}

func okOrFail(ps []string) string {
	if len(ps) == 0 {
		return "ok"
	}
	return "FAIL"
}

func rrRequest(topic, run, style string, i int) *primitive.Message {
	m := primitive.NewMessage(topic, []byte(fmt.Sprintf("ask %s %s #%d ünïcödé", run, style, i)))
	m.WithTag(tag)
	m.WithKeys([]string{fmt.Sprintf("RR-%s-%s-%d", run, style, i)})
	m.WithProperty("reqKey", fmt.Sprintf("%s-%d-%s", style, i, propText))
	return m
}

// awaitAsync runs RequestAsync and waits for its (first) callback: v2.1.2 calls it again when the
// answered future is deleted from its cache.
func awaitAsync(p rocketmq.Producer, m *primitive.Message, timeout time.Duration) (*primitive.Message, error) {
	ch := make(chan struct {
		m   *primitive.Message
		err error
	}, 2)
	err := p.RequestAsync(context.Background(), timeout, func(_ context.Context, r *primitive.Message, e error) {
		ch <- struct {
			m   *primitive.Message
			err error
		}{r, e}
	}, m)
	if err != nil {
		return nil, err
	}
	select {
	case r := <-ch:
		return r.m, r.err
	case <-time.After(timeout + 5*time.Second):
		return nil, fmt.Errorf("no callback within %v", timeout+5*time.Second)
	}
}

func goPair(namesrv string, p rocketmq.Producer, topic, label, run string) []string {
	var problems []string
	check := func(what string, req, reply *primitive.Message, expectQueue int) {
		if reply == nil {
			problems = append(problems, what+": no reply")
			return
		}
		reqKey := req.GetProperty("reqKey")
		body := string(reply.Body)
		expect := fmt.Sprintf("reply[%s]:%s|%s|q=", label, string(req.Body), reqKey)
		if !strings.HasPrefix(body, expect) {
			problems = append(problems, fmt.Sprintf("%s: body '%s', expected '%s<queue>'", what, body, expect))
		} else if expectQueue >= 0 && body != expect+strconv.Itoa(expectQueue) {
			problems = append(problems, fmt.Sprintf("%s: the selector chose queue %d but the responder got '%s'", what, expectQueue, body[len(expect)-2:]))
		}
		corr := req.GetProperty(primitive.PropertyCorrelationID)
		if corr == "" || corr != reply.GetProperty(primitive.PropertyCorrelationID) {
			problems = append(problems, fmt.Sprintf("%s: CORRELATION_ID sent %s, reply has %s", what, corr, reply.GetProperty(primitive.PropertyCorrelationID)))
		}
		to := req.GetProperty(primitive.PropertyMessageReplyToClient)
		if to == "" || to != reply.GetProperty(primitive.PropertyMessageReplyToClient) {
			problems = append(problems, fmt.Sprintf("%s: REPLY_TO_CLIENT sent %s, reply has %s", what, to, reply.GetProperty(primitive.PropertyMessageReplyToClient)))
		}
		if reply.GetProperty(primitive.PropertyMsgType) != "reply" {
			problems = append(problems, what+": MSG_TYPE "+reply.GetProperty(primitive.PropertyMsgType))
		}
		if reply.GetProperty("replyKey") != "r-"+reqKey {
			problems = append(problems, fmt.Sprintf("%s: replyKey %s, expected r-%s", what, reply.GetProperty("replyKey"), reqKey))
		}
		if reply.GetProperty("PUSH_REPLY_TIME") == "" {
			problems = append(problems, what+": no PUSH_REPLY_TIME on the pushed reply")
		}
		if !strings.HasSuffix(reply.Topic, "_REPLY_TOPIC") {
			problems = append(problems, what+": reply topic "+reply.Topic)
		}
	}
	warm := rrRequest(topic, run, "warm", 0)
	r, err := p.Request(context.Background(), rrWarmupTimeout, warm)
	if err != nil {
		return append(problems, "warm-up: "+err.Error())
	}
	check("warm-up", warm, r, -1)
	syncOK, asyncOK := 0, 0
	for i := 0; i < rrPerStyle; i++ {
		m := rrRequest(topic, run, "sync", i)
		if r, err := p.Request(context.Background(), rrRequestTimeout, m); err != nil {
			problems = append(problems, fmt.Sprintf("sync #%d: %v", i, err))
		} else {
			check(fmt.Sprintf("sync #%d", i), m, r, -1)
			syncOK++
		}
		sm := rrRequest(topic, run, "selector", i)
		sm.WithProperty("queueArg", strconv.Itoa(i))
		if r, err := p.Request(context.Background(), rrRequestTimeout, sm); err != nil {
			problems = append(problems, fmt.Sprintf("selector #%d: %v", i, err))
		} else {
			check(fmt.Sprintf("selector #%d", i), sm, r, i%rrQueues)
			syncOK++
		}
	}
	type res struct {
		what  string
		req   *primitive.Message
		reply *primitive.Message
		err   error
		queue int
	}
	results := make(chan res, 2*rrPerStyle)
	for i := 0; i < rrPerStyle; i++ {
		for _, sel := range []bool{false, true} {
			m := rrRequest(topic, run, map[bool]string{false: "async", true: "selector-async"}[sel], i)
			what, queue := fmt.Sprintf("async #%d", i), -1
			if sel {
				m.WithProperty("queueArg", strconv.Itoa(i))
				what, queue = fmt.Sprintf("selector-async #%d", i), i%rrQueues
			}
			go func() {
				r, err := awaitAsync(p, m, rrRequestTimeout)
				results <- res{what, m, r, err, queue}
			}()
		}
	}
	for k := 0; k < 2*rrPerStyle; k++ {
		x := <-results
		if x.err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", x.what, x.err))
			continue
		}
		check(x.what, x.req, x.reply, x.queue)
		asyncOK++
	}
	info("STYLES %s sync=%d/%d early=0 async=%d/%d", label, syncOK, 2*rrPerStyle, asyncOK, 2*rrPerStyle)

	probe := rrRequest(topic, run, "probe", 0)
	probe.WithProperty("mode", "no-reply-to")
	if r, err := p.Request(context.Background(), rrRequestTimeout, probe); err != nil {
		info("NO-REPLY-TO %s no reply: %v", label, err)
	} else {
		info("NO-REPLY-TO %s %s", label, string(r.Body))
	}

	gone, err := newProducer(namesrv, "rr-gone-"+label+"-"+run)
	if err != nil {
		return append(problems, "gone producer: "+err.Error())
	}
	m := rrRequest(topic, run, "gone", 0)
	m.WithProperty("mode", "gone")
	m.WithProperty("delayMs", strconv.Itoa(int(rrGoneDelay/time.Millisecond)))
	if _, err := gone.Request(context.Background(), time.Second, m); err == nil {
		problems = append(problems, "gone: a reply arrived before the responder's delay")
	}
	info("GONE-CLIENT %s %s", label, m.GetProperty(primitive.PropertyMessageReplyToClient))
	_ = gone.Shutdown()
	return problems
}

// goTimeouts: a sync request to a topic nobody answers fails with v2.1.2's own text.
func goTimeouts(p rocketmq.Producer, topic string) []string {
	var problems []string
	_, err := p.Request(context.Background(), rrNoReplyTimeout, primitive.NewMessage(topic, []byte("nobody answers")))
	if err == nil {
		problems = append(problems, "sync request to "+topic+" got a reply")
	} else {
		info("TIMEOUT sync %v", err)
	}
	return problems
}
