package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/apache/rocketmq-client-go/v2"
	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
)

// clientVersion is the rocketmq-client-go release in go.mod (reported in the verdict line).
const clientVersion = "v2.1.2"

const (
	sendTimeout    = 10 * time.Second
	consumeTimeout = 40 * time.Second
	allocTimeout   = 45 * time.Second
	tag            = "TagA"
	propText       = "värde ü 中"
	duplicateGrace = 500 * time.Millisecond
	pollStep       = 50 * time.Millisecond
	topicQueueNums = 4
)

var offsetIDPattern = regexp.MustCompile(`^[0-9A-F]{32}(,[0-9A-F]{32})*$`)

func newRunID() string {
	b := make([]byte, 5)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func ns(namesrv string) primitive.NsResolver {
	return primitive.NewPassthroughResolver([]string{namesrv})
}

func newProducer(namesrv, group string, extra ...producer.Option) (rocketmq.Producer, error) {
	opts := append([]producer.Option{
		producer.WithNsResolver(ns(namesrv)),
		producer.WithGroupName(group),
		producer.WithInstanceName("p-" + group),
		producer.WithSendMsgTimeout(sendTimeout),
		producer.WithDefaultTopicQueueNums(topicQueueNums),
		// A failed send must fail the scenario, not hide behind a retry.
		producer.WithRetry(0),
	}, extra...)
	p, err := rocketmq.NewProducer(opts...)
	if err != nil {
		return nil, err
	}
	return p, p.Start()
}

func newConsumer(namesrv, group, instance string, model consumer.MessageModel, extra ...consumer.Option) (rocketmq.PushConsumer, error) {
	opts := append([]consumer.Option{
		consumer.WithNsResolver(ns(namesrv)),
		consumer.WithGroupName(group),
		consumer.WithInstance(instance),
		consumer.WithConsumerModel(model),
		consumer.WithConsumeFromWhere(consumer.ConsumeFromFirstOffset),
	}, extra...)
	return rocketmq.NewPushConsumer(opts...)
}

func body(run string, idx int) []byte {
	return []byte(fmt.Sprintf("body %s #%d ünïcödé", run, idx))
}

func message(topic, run string, idx int) *primitive.Message {
	m := primitive.NewMessage(topic, body(run, idx))
	m.WithTag(tag)
	m.WithKeys([]string{fmt.Sprintf("K-%s-%d", run, idx)})
	m.WithProperty("run", run)
	m.WithProperty("idx", strconv.Itoa(idx))
	m.WithProperty("text", propText)
	return m
}

func checkResult(r *primitive.SendResult, err error) []string {
	if err != nil {
		return []string{"send failed: " + err.Error()}
	}
	var p []string
	if r.Status != primitive.SendOK {
		p = append(p, fmt.Sprintf("send status %d for %s", r.Status, r.MsgID))
	}
	if r.MsgID == "" || !offsetIDPattern.MatchString(r.OffsetMsgID) {
		p = append(p, fmt.Sprintf("send result ids: msgId %q, offsetMsgId %q", r.MsgID, r.OffsetMsgID))
	}
	if r.MessageQueue == nil || r.QueueOffset < 0 {
		p = append(p, fmt.Sprintf("send result queue %v offset %d", r.MessageQueue, r.QueueOffset))
	}
	return p
}

func contentProblems(m *primitive.MessageExt, topic, run string, idx int) []string {
	var p []string
	at := fmt.Sprintf("idx %d: ", idx)
	if m.Topic != topic {
		p = append(p, at+"topic "+m.Topic)
	}
	if string(m.Body) != string(body(run, idx)) {
		p = append(p, at+"body "+string(m.Body))
	}
	if m.GetTags() != tag {
		p = append(p, at+"tag "+m.GetTags())
	}
	if m.GetKeys() != fmt.Sprintf("K-%s-%d", run, idx) {
		p = append(p, at+"keys "+m.GetKeys())
	}
	if m.GetProperty("text") != propText {
		p = append(p, at+"property text "+m.GetProperty("text"))
	}
	if m.MsgId == "" {
		p = append(p, at+"no msgId")
	}
	return p
}

type delivery struct {
	msg      *primitive.MessageExt
	consumer string
	at       time.Time
}

// inbox records every delivery of this run's messages, keyed by the "idx" property.
type inbox struct {
	run   string
	mu    sync.Mutex
	byIdx map[int][]delivery
}

func newInbox(run string) *inbox {
	return &inbox{run: run, byIdx: map[int][]delivery{}}
}

func (b *inbox) record(m *primitive.MessageExt, consumerName string) (delivery, bool) {
	idx, err := strconv.Atoi(m.GetProperty("idx"))
	if err != nil || m.GetProperty("run") != b.run {
		return delivery{}, false
	}
	d := delivery{msg: m, consumer: consumerName, at: time.Now()}
	b.mu.Lock()
	b.byIdx[idx] = append(b.byIdx[idx], d)
	b.mu.Unlock()
	return d, true
}

func (b *inbox) count(idx int) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.byIdx[idx])
}

func (b *inbox) get(idx int) []delivery {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]delivery(nil), b.byIdx[idx]...)
}

func (b *inbox) missing(idxs []int) []int {
	var m []int
	for _, i := range idxs {
		if b.count(i) == 0 {
			m = append(m, i)
		}
	}
	return m
}

// listener records and acknowledges (or answers what decide says about each message).
func (b *inbox) listener(name string, decide func(delivery) consumer.ConsumeResult) func(context.Context, ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
	return func(ctx context.Context, msgs ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
		result := consumer.ConsumeSuccess
		for _, m := range msgs {
			d, ok := b.record(m, name)
			if ok && decide != nil && decide(d) == consumer.ConsumeRetryLater {
				result = consumer.ConsumeRetryLater
			}
		}
		if cc, ok := primitive.GetConcurrentlyCtx(ctx); ok {
			// Retry after delay level 1 (1 s) instead of the broker's 3 + reconsumeTimes (10 s and up).
			cc.DelayLevelWhenNextConsume = 1
		}
		return result, nil
	}
}

func (b *inbox) await(idxs []int, timeout, grace time.Duration) []int {
	waitFor(func() bool { return len(b.missing(idxs)) == 0 }, timeout)
	time.Sleep(grace)
	return b.missing(idxs)
}

func (b *inbox) verify(topic string, idxs []int) []string {
	var p []string
	if m := b.missing(idxs); len(m) > 0 {
		p = append(p, fmt.Sprintf("not consumed: %d of %d %v", len(m), len(idxs), abbreviate(m)))
	}
	for _, i := range idxs {
		if ds := b.get(i); len(ds) > 0 {
			p = append(p, contentProblems(ds[0].msg, topic, b.run, i)...)
		}
	}
	return p
}

func (b *inbox) consumers(idxs []int) []string {
	set := map[string]bool{}
	for _, i := range idxs {
		for _, d := range b.get(i) {
			set[d.consumer] = true
		}
	}
	var s []string
	for k := range set {
		s = append(s, k)
	}
	sort.Strings(s)
	return s
}

func (b *inbox) duplicates(idxs []int) int {
	n := 0
	for _, i := range idxs {
		if c := b.count(i); c > 1 {
			n += c - 1
		}
	}
	return n
}

func waitFor(cond func() bool, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if cond() {
			return true
		}
		time.Sleep(pollStep)
	}
	return cond()
}

func rangeIdx(from, count int) []int {
	r := make([]int, count)
	for i := range r {
		r[i] = from + i
	}
	return r
}

func abbreviate(v interface{}) string {
	s := fmt.Sprint(v)
	if len(s) > 200 {
		return s[:200] + "...]"
	}
	return s
}
