package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	rmq "github.com/apache/rocketmq-clients/golang/v5"
	"github.com/apache/rocketmq-clients/golang/v5/credentials"
	v2 "github.com/apache/rocketmq-clients/golang/v5/protocol/v2"
)

// The Apache proxy refuses a receive invisible duration under 10 s (ProxyConfig#minInvisibleTimeMillsForRecv).
const receiveInvisible = 15 * time.Second

// How long one Receive long-polls when nothing is there: the Apache proxy raises anything shorter to 5 s
// (grpcClientConsumerMinLongPollingTimeoutMillis) and refuses the call when the deadline leaves less.
const awaitDuration = 5 * time.Second

// The SDK writes its log under $rocketmq.client.logRoot (the test points it into a temp dir); keep WARN and up.
func quietSdkLogs() {
	if os.Getenv("rocketmq.client.logLevel") == "" {
		os.Setenv("rocketmq.client.logLevel", "warn")
	}
	rmq.ResetLogger()
}

func config(endpoint, group string) *rmq.Config {
	// No ACL on either server: empty credentials (the SDK requires the struct).
	return &rmq.Config{Endpoint: endpoint, ConsumerGroup: group, Credentials: &credentials.SessionCredentials{}}
}

func startProducer(r *run, opts ...rmq.ProducerOption) (rmq.Producer, error) {
	p, err := rmq.NewProducer(config(r.endpoint, ""), append([]rmq.ProducerOption{rmq.WithTopics(r.topic)}, opts...)...)
	if err != nil {
		return nil, fmt.Errorf("NewProducer: %w", err)
	}
	if err := p.Start(); err != nil {
		return nil, fmt.Errorf("producer Start: %w", err)
	}
	return p, nil
}

func startSimpleConsumer(endpoint, group, topic string) (rmq.SimpleConsumer, error) {
	c, err := rmq.NewSimpleConsumer(config(endpoint, group), rmq.WithAwaitDuration(awaitDuration),
		rmq.WithSubscriptionExpressions(map[string]*rmq.FilterExpression{topic: rmq.SUB_ALL}))
	if err != nil {
		return nil, fmt.Errorf("NewSimpleConsumer: %w", err)
	}
	if err := c.Start(); err != nil {
		return nil, fmt.Errorf("simple consumer Start: %w", err)
	}
	return c, nil
}

// receive is one Receive call; "no message" (MESSAGE_NOT_FOUND) is an empty batch, not an error.
func receive(c rmq.SimpleConsumer, max int32, invisible time.Duration) ([]*rmq.MessageView, error) {
	mvs, err := c.Receive(context.Background(), max, invisible)
	var status *rmq.ErrRpcStatus
	if errors.As(err, &status) && status.GetCode() == int32(v2.Code_MESSAGE_NOT_FOUND) {
		return nil, nil
	}
	return mvs, err
}

// receiveUntil receives (and hands each message to onMessage) until done() or the deadline. Errors from
// Receive are counted and retried after a pause (a restart makes the endpoint vanish for a while).
func receiveUntil(r *run, c rmq.SimpleConsumer, invisible time.Duration, within time.Duration, done func() bool,
	onMessage func(mv *rmq.MessageView) error) (errs int, err error) {
	deadline := time.Now().Add(within)
	for !done() {
		if time.Now().After(deadline) {
			return errs, fmt.Errorf("not done within %s", within)
		}
		mvs, rerr := receive(c, 16, invisible)
		if rerr != nil {
			errs++
			if errs <= 5 || errs%20 == 0 {
				r.info("receive error %d: %v", errs, rerr)
			}
			time.Sleep(300 * time.Millisecond)
			continue
		}
		for _, mv := range mvs {
			if err := onMessage(mv); err != nil {
				return errs, err
			}
		}
	}
	return errs, nil
}

func ack(c rmq.SimpleConsumer, mv *rmq.MessageView) error {
	if err := c.Ack(context.Background(), mv); err != nil {
		return fmt.Errorf("ack %s: %w", mv.GetMessageId(), err)
	}
	return nil
}

// serverProps records (topic, name) of the broker-side properties a server handed over as user properties.
var serverProps sync.Map

// serverPropsOf lists them for one topic, sorted.
func serverPropsOf(topic string) []string {
	var names []string
	serverProps.Range(func(key, _ any) bool {
		if t, name, _ := strings.Cut(key.(string), "\x00"); t == topic {
			names = append(names, name)
		}
		return true
	})
	sort.Strings(names)
	return names
}

// sent is what a scenario sent, to compare with what came back.
type sent struct {
	id         string
	body       string
	tag        string
	keys       []string
	props      map[string]string
	group      string
	deliveryAt time.Time
}

func newMessage(topic string, s *sent) *rmq.Message {
	m := &rmq.Message{Topic: topic, Body: []byte(s.body)}
	if s.tag != "" {
		m.SetTag(s.tag)
	}
	if len(s.keys) > 0 {
		m.SetKeys(s.keys...)
	}
	for k, v := range s.props {
		m.AddProperty(k, v)
	}
	if s.group != "" {
		m.SetMessageGroup(s.group)
	}
	if !s.deliveryAt.IsZero() {
		m.SetDelayTimestamp(s.deliveryAt)
	}
	return m
}

func sendOne(p rmq.Producer, topic string, s *sent) error {
	receipts, err := p.Send(context.Background(), newMessage(topic, s))
	if err != nil {
		return fmt.Errorf("send %q: %w", s.body, err)
	}
	if len(receipts) != 1 || receipts[0].MessageID == "" {
		return fmt.Errorf("send %q: receipts %v", s.body, receipts)
	}
	s.id = receipts[0].MessageID
	return nil
}

func sortedKeys(keys []string) string {
	k := append([]string(nil), keys...)
	sort.Strings(k)
	return strings.Join(k, ",")
}

// checkContent compares a received message with what was sent: id, topic, body, tag, keys, user
// properties, message group and delivery timestamp (millisecond precision, as the protocol carries it).
func checkContent(topic string, s *sent, mv *rmq.MessageView) error {
	var bad []string
	if s.id != "" && mv.GetMessageId() != s.id {
		bad = append(bad, fmt.Sprintf("messageId %s, sent %s", mv.GetMessageId(), s.id))
	}
	if mv.GetTopic() != topic {
		bad = append(bad, fmt.Sprintf("topic %q", mv.GetTopic()))
	}
	if string(mv.GetBody()) != s.body {
		bad = append(bad, fmt.Sprintf("body %q", mv.GetBody()))
	}
	tag := ""
	if mv.GetTag() != nil {
		tag = *mv.GetTag()
	}
	if tag != s.tag {
		bad = append(bad, fmt.Sprintf("tag %q, sent %q", tag, s.tag))
	}
	if sortedKeys(mv.GetKeys()) != sortedKeys(s.keys) {
		bad = append(bad, fmt.Sprintf("keys %v, sent %v", mv.GetKeys(), s.keys))
	}
	props := mv.GetProperties()
	for k, v := range s.props {
		if props[k] != v {
			bad = append(bad, fmt.Sprintf("property %s=%q, sent %q", k, props[k], v))
		}
	}
	for k, v := range props {
		if _, ok := s.props[k]; ok {
			continue
		}
		// The Apache 5.3.3 proxy also hands these broker-side properties to the SDK as user properties.
		switch {
		case k == "__SHARDINGKEY" && v == s.group, k == "__transactionId__" && v != "", k == "TRANSACTION_CHECK_TIMES" && v != "":
			serverProps.Store(topic+"\x00"+k, true)
		default:
			bad = append(bad, fmt.Sprintf("extra user property %s=%q", k, v))
		}
	}
	group := ""
	if mv.GetMessageGroup() != nil {
		group = *mv.GetMessageGroup()
	}
	if group != s.group {
		bad = append(bad, fmt.Sprintf("messageGroup %q, sent %q", group, s.group))
	}
	if !s.deliveryAt.IsZero() {
		at := mv.GetDeliveryTimestamp()
		if at == nil || at.UnixMilli() != s.deliveryAt.UnixMilli() {
			bad = append(bad, fmt.Sprintf("deliveryTimestamp %v, sent %d", at, s.deliveryAt.UnixMilli()))
		}
	} else if at := mv.GetDeliveryTimestamp(); at != nil {
		bad = append(bad, fmt.Sprintf("deliveryTimestamp %d on a message sent without one", at.UnixMilli()))
	}
	if mv.GetBornTimestamp() == nil || mv.GetBornHost() == nil || *mv.GetBornHost() == "" {
		bad = append(bad, "born timestamp or born host missing")
	}
	if len(bad) > 0 {
		return fmt.Errorf("message %q: %s", s.body, strings.Join(bad, "; "))
	}
	return nil
}
