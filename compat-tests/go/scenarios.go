package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/apache/rocketmq-client-go/v2"
	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
)

// The same scenario set as compat-tests/java5 (see its classes for the expectations in words).
const (
	sendMessages   = 20
	batchSize      = 10
	groupMessages  = 40
	orders         = 4
	steps          = 10
	delayLevel     = 1
	delayMin       = 800 * time.Millisecond // level 1 is 1 s; the scheduler may fire a little early
	delayMessages  = 5
	retryMessages  = 5
	txMessages     = 6
	txCheckTimeout = 60 * time.Second // transactionTimeOut (6 s) + a check interval + delivery
	rollbackGrace  = 3 * time.Second
	// The Go client learns the %RETRY%<group> route only on its 30 s route poll (the broker creates that
	// topic on the first heartbeat, after the consumer's initial route fetch), so redeliveries take up to ~35 s.
	retryTimeout = 75 * time.Second
	sendMode     = 0
	modeSync     = sendMode + 1
	modeAsync    = sendMode + 2
	modeBatch    = sendMode + 3
)

var modeNames = map[int]string{modeSync: "SYNC", modeAsync: "ASYNC", modeBatch: "BATCH"}

func sendScenario(namesrv string, mode int) *outcome {
	out := &outcome{}
	run := newRunID()
	topic := "GoSend" + modeNames[mode] + "_" + run
	p, err := newProducer(namesrv, "PG_"+run)
	if err != nil {
		out.problem("producer start: %v", err)
		return out
	}
	defer p.Shutdown()
	ctx := context.Background()
	sent := 0
	switch mode {
	case modeSync:
		for i := 0; i < sendMessages; i++ {
			out.problems = append(out.problems, checkResult(p.SendSync(ctx, message(topic, run, i)))...)
			sent++
		}
	case modeAsync:
		// The first send creates the topic; async sends to a topic still unknown would all race for TBW102's route.
		out.problems = append(out.problems, checkResult(p.SendSync(ctx, message(topic, run, 0)))...)
		var wg sync.WaitGroup
		var mu sync.Mutex
		for i := 1; i < sendMessages; i++ {
			wg.Add(1)
			err := p.SendAsync(ctx, func(_ context.Context, r *primitive.SendResult, err error) {
				defer wg.Done()
				mu.Lock()
				out.problems = append(out.problems, checkResult(r, err)...)
				mu.Unlock()
			}, message(topic, run, i))
			if err != nil {
				wg.Done()
				out.problem("async send %d: %v", i, err)
			}
		}
		if !waitGroupTimeout(&wg, 2*sendTimeout) {
			out.problem("async sends: callbacks missing after %s", 2*sendTimeout)
		}
		sent = sendMessages
	case modeBatch:
		for i := 0; i < sendMessages; i += batchSize {
			var batch []*primitive.Message
			for j := i; j < i+batchSize && j < sendMessages; j++ {
				batch = append(batch, message(topic, run, j))
			}
			r, err := p.SendSync(ctx, batch...)
			if err == nil && r.MsgID == "" {
				// v2.1.2 builds a batch's MsgID from UNIQ_KEY properties it never sets on batch members
				// (producer.encodeBatch): always empty, whatever the broker does. Judge the rest.
				r.MsgID = "(empty on the Go client for batches)"
			}
			out.problems = append(out.problems, checkResult(r, err)...)
			sent++
		}
	}
	box := newInbox(run)
	c, err := newConsumer(namesrv, "CG_"+run, "c-"+run, consumer.Clustering)
	if err == nil {
		err = c.Subscribe(topic, consumer.MessageSelector{}, box.listener("c1", nil))
	}
	if err == nil {
		err = c.Start()
	}
	if err != nil {
		out.problem("consumer start: %v", err)
		return out
	}
	defer c.Shutdown()
	all := rangeIdx(0, sendMessages)
	box.await(all, consumeTimeout, duplicateGrace)
	out.problems = append(out.problems, box.verify(topic, all)...)
	out.summary = fmt.Sprintf("%d sends %s, %d consumed", sent, modeNames[mode], len(all)-len(box.missing(all)))
	return out
}

// recording wraps the averaging allocation and remembers what it last gave per consumer for the main topic.
type recording struct {
	mu   sync.Mutex
	last map[string][]string
}

func (r *recording) strategy(group, cid string, mqAll []*primitive.MessageQueue, cidAll []string) []*primitive.MessageQueue {
	got := consumer.AllocateByAveragely(group, cid, mqAll, cidAll)
	if len(mqAll) > 0 && !strings.HasPrefix(mqAll[0].Topic, "%RETRY%") {
		var ids []string
		for _, mq := range got {
			ids = append(ids, mq.BrokerName+"/"+strconv.Itoa(mq.QueueId))
		}
		r.mu.Lock()
		if len(cidAll) == 2 {
			r.last[cid] = ids
		}
		r.mu.Unlock()
	}
	return got
}

func (r *recording) covers(queues int) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.last) != 2 {
		return false
	}
	seen := map[string]bool{}
	total := 0
	for _, ids := range r.last {
		if len(ids) == 0 {
			return false
		}
		for _, id := range ids {
			seen[id] = true
		}
		total += len(ids)
	}
	return len(seen) == queues && total == queues
}

func clustering(namesrv string) *outcome {
	out := &outcome{}
	run := newRunID()
	topic := "GoCluster_" + run
	p, err := newProducer(namesrv, "PG_"+run)
	if err != nil {
		out.problem("producer start: %v", err)
		return out
	}
	defer p.Shutdown()
	ctx := context.Background()
	out.problems = append(out.problems, checkResult(p.SendSync(ctx, message(topic, run, 0)))...)
	box := newInbox(run)
	rec := &recording{last: map[string][]string{}}
	for i := 1; i <= 2; i++ {
		name := fmt.Sprintf("c%d", i)
		c, err := newConsumer(namesrv, "CG_"+run, name+"-"+run, consumer.Clustering, consumer.WithStrategy(rec.strategy))
		if err == nil {
			err = c.Subscribe(topic, consumer.MessageSelector{}, box.listener(name, nil))
		}
		if err == nil {
			err = c.Start()
		}
		if err != nil {
			out.problem("consumer %s start: %v", name, err)
			return out
		}
		defer c.Shutdown()
	}
	if !waitFor(func() bool { return rec.covers(topicQueueNums) }, allocTimeout) {
		out.problem("2 consumers never split %d queues: %v", topicQueueNums, rec.last)
		return out
	}
	for i := 1; i <= groupMessages; i++ {
		out.problems = append(out.problems, checkResult(p.SendSync(ctx, message(topic, run, i)))...)
	}
	all := rangeIdx(0, groupMessages+1)
	box.await(all, consumeTimeout, duplicateGrace)
	out.problems = append(out.problems, box.verify(topic, all)...)
	if cs := box.consumers(all); len(cs) != 2 {
		out.problem("expected both consumers to consume, got %v", cs)
	}
	out.summary = fmt.Sprintf("%d queues, 2 consumers, %d messages, %d duplicates", topicQueueNums, len(all), box.duplicates(all))
	return out
}

func broadcasting(namesrv string) *outcome {
	out := &outcome{}
	run := newRunID()
	topic := "GoBcast_" + run
	p, err := newProducer(namesrv, "PG_"+run)
	if err != nil {
		out.problem("producer start: %v", err)
		return out
	}
	defer p.Shutdown()
	ctx := context.Background()
	out.problems = append(out.problems, checkResult(p.SendSync(ctx, message(topic, run, 0)))...)
	var boxes []*inbox
	for i := 1; i <= 2; i++ {
		name := fmt.Sprintf("c%d", i)
		box := newInbox(run)
		boxes = append(boxes, box)
		c, err := newConsumer(namesrv, "CG_"+run, name+"-"+run, consumer.BroadCasting)
		if err == nil {
			err = c.Subscribe(topic, consumer.MessageSelector{}, box.listener(name, nil))
		}
		if err == nil {
			err = c.Start()
		}
		if err != nil {
			out.problem("consumer %s start: %v", name, err)
			return out
		}
		defer c.Shutdown()
	}
	for i := 1; i <= sendMessages; i++ {
		out.problems = append(out.problems, checkResult(p.SendSync(ctx, message(topic, run, i)))...)
	}
	all := rangeIdx(0, sendMessages+1)
	for i, box := range boxes {
		box.await(all, consumeTimeout, 0)
		for _, pr := range box.verify(topic, all) {
			out.problem("consumer c%d: %s", i+1, pr)
		}
	}
	out.summary = fmt.Sprintf("2 broadcasting consumers x %d messages", len(all))
	return out
}

func orderly(namesrv string) *outcome {
	out := &outcome{}
	run := newRunID()
	topic := "GoOrder_" + run
	p, err := newProducer(namesrv, "PG_"+run, producer.WithQueueSelector(producer.NewHashQueueSelector()))
	if err != nil {
		out.problem("producer start: %v", err)
		return out
	}
	defer p.Shutdown()
	ctx := context.Background()
	send := func(order, step int) {
		m := message(topic, run, order*steps+step)
		m.WithProperty("order", strconv.Itoa(order))
		m.WithProperty("step", strconv.Itoa(step))
		m.WithShardingKey("order-" + strconv.Itoa(order))
		out.problems = append(out.problems, checkResult(p.SendSync(ctx, m))...)
	}
	for order := 0; order < orders; order++ {
		send(order, 0)
	}
	box := newInbox(run)
	var mu sync.Mutex
	stepsByOrder := map[int][]int{}
	queuesByOrder := map[int]map[int]bool{}
	c, err := newConsumer(namesrv, "CG_"+run, "c-"+run, consumer.Clustering, consumer.WithConsumerOrder(true))
	if err == nil {
		err = c.Subscribe(topic, consumer.MessageSelector{}, func(ctx context.Context, msgs ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
			for _, m := range msgs {
				if _, ok := box.record(m, "c1"); ok {
					order, _ := strconv.Atoi(m.GetProperty("order"))
					step, _ := strconv.Atoi(m.GetProperty("step"))
					mu.Lock()
					stepsByOrder[order] = append(stepsByOrder[order], step)
					if queuesByOrder[order] == nil {
						queuesByOrder[order] = map[int]bool{}
					}
					queuesByOrder[order][m.Queue.QueueId] = true
					mu.Unlock()
				}
			}
			return consumer.ConsumeSuccess, nil
		})
	}
	if err == nil {
		err = c.Start()
	}
	if err != nil {
		out.problem("consumer start: %v", err)
		return out
	}
	defer c.Shutdown()
	for step := 1; step < steps; step++ {
		for order := 0; order < orders; order++ {
			send(order, step)
		}
	}
	all := rangeIdx(0, orders*steps)
	box.await(all, consumeTimeout, duplicateGrace)
	out.problems = append(out.problems, box.verify(topic, all)...)
	mu.Lock()
	defer mu.Unlock()
	for order := 0; order < orders; order++ {
		var seen []int
		had := map[int]bool{}
		for _, s := range stepsByOrder[order] {
			if !had[s] {
				had[s] = true
				seen = append(seen, s)
			}
		}
		if fmt.Sprint(seen) != fmt.Sprint(rangeIdx(0, steps)) {
			out.problem("order %d consumed steps %v, expected %v", order, stepsByOrder[order], rangeIdx(0, steps))
		}
		if len(queuesByOrder[order]) != 1 {
			out.problem("order %d came from queues %v", order, queuesByOrder[order])
		}
	}
	out.summary = fmt.Sprintf("%d orders x %d steps in order", orders, steps)
	return out
}

func delay(namesrv string) *outcome {
	out := &outcome{}
	run := newRunID()
	topic := "GoDelay_" + run
	p, err := newProducer(namesrv, "PG_"+run)
	if err != nil {
		out.problem("producer start: %v", err)
		return out
	}
	defer p.Shutdown()
	ctx := context.Background()
	out.problems = append(out.problems, checkResult(p.SendSync(ctx, message(topic, run, 0)))...)
	box := newInbox(run)
	c, err := newConsumer(namesrv, "CG_"+run, "c-"+run, consumer.Clustering)
	if err == nil {
		err = c.Subscribe(topic, consumer.MessageSelector{}, box.listener("c1", nil))
	}
	if err == nil {
		err = c.Start()
	}
	if err != nil {
		out.problem("consumer start: %v", err)
		return out
	}
	defer c.Shutdown()
	box.await([]int{0}, consumeTimeout, 0)
	sentAt := map[int]time.Time{}
	for i := 1; i <= delayMessages; i++ {
		m := message(topic, run, i)
		m.WithDelayTimeLevel(delayLevel)
		out.problems = append(out.problems, checkResult(p.SendSync(ctx, m))...)
		sentAt[i] = time.Now()
	}
	all := rangeIdx(0, delayMessages+1)
	box.await(all, consumeTimeout, 200*time.Millisecond)
	out.problems = append(out.problems, box.verify(topic, all)...)
	earliest := time.Hour
	for i := 1; i <= delayMessages; i++ {
		ds := box.get(i)
		if len(ds) == 0 {
			continue
		}
		waited := ds[0].at.Sub(sentAt[i])
		if waited < earliest {
			earliest = waited
		}
		if waited < delayMin {
			out.problem("idx %d (delay level %d) delivered %d ms after send", i, delayLevel, waited.Milliseconds())
		}
	}
	out.summary = fmt.Sprintf("%d delayed messages, earliest after %d ms", delayMessages, earliest.Milliseconds())
	return out
}

func retry(namesrv string) *outcome {
	out := &outcome{}
	run := newRunID()
	topic := "GoRetry_" + run
	p, err := newProducer(namesrv, "PG_"+run)
	if err != nil {
		out.problem("producer start: %v", err)
		return out
	}
	defer p.Shutdown()
	ctx := context.Background()
	out.problems = append(out.problems, checkResult(p.SendSync(ctx, message(topic, run, 0)))...)
	box := newInbox(run)
	c, err := newConsumer(namesrv, "CG_"+run, "c-"+run, consumer.Clustering, consumer.WithConsumeMessageBatchMaxSize(1))
	if err == nil {
		// The first delivery of each message fails; the redelivery is acknowledged.
		err = c.Subscribe(topic, consumer.MessageSelector{}, box.listener("c1", func(d delivery) consumer.ConsumeResult {
			if d.msg.ReconsumeTimes == 0 {
				return consumer.ConsumeRetryLater
			}
			return consumer.ConsumeSuccess
		}))
	}
	if err == nil {
		err = c.Start()
	}
	if err != nil {
		out.problem("consumer start: %v", err)
		return out
	}
	defer c.Shutdown()
	for i := 1; i < retryMessages; i++ {
		out.problems = append(out.problems, checkResult(p.SendSync(ctx, message(topic, run, i)))...)
	}
	all := rangeIdx(0, retryMessages)
	waitFor(func() bool {
		for _, i := range all {
			if box.count(i) < 2 {
				return false
			}
		}
		return true
	}, retryTimeout)
	out.problems = append(out.problems, box.verify(topic, all)...)
	for _, i := range all {
		ds := box.get(i)
		if len(ds) < 2 {
			out.problem("idx %d delivered %d time(s), expected a redelivery after RECONSUME_LATER", i, len(ds))
			continue
		}
		if ds[1].msg.GetProperty("RETRY_TOPIC") == "" {
			out.problem("idx %d redelivery did not come through the broker's retry topic (no RETRY_TOPIC)", i)
		}
		if ds[1].msg.ReconsumeTimes != 1 {
			out.problem("idx %d redelivery reconsumeTimes %d, expected 1", i, ds[1].msg.ReconsumeTimes)
		}
		if ds[1].msg.MsgId != ds[0].msg.MsgId {
			out.problem("idx %d redelivered with msgId %s, first %s", i, ds[1].msg.MsgId, ds[0].msg.MsgId)
		}
		out.problems = append(out.problems, contentProblems(ds[1].msg, topic, run, i)...)
	}
	out.summary = fmt.Sprintf("%d messages each redelivered once", len(all))
	return out
}

// txListener: idx%3 == 0 commit, 1 rollback, 2 unknown (the check-back then commits).
type txListener struct {
	mu      sync.Mutex
	checked map[int]bool
}

func decide(idx int) primitive.LocalTransactionState {
	switch idx % 3 {
	case 0:
		return primitive.CommitMessageState
	case 1:
		return primitive.RollbackMessageState
	default:
		return primitive.UnknowState
	}
}

func (l *txListener) ExecuteLocalTransaction(m *primitive.Message) primitive.LocalTransactionState {
	idx, _ := strconv.Atoi(m.GetProperty("idx"))
	return decide(idx)
}

func (l *txListener) CheckLocalTransaction(m *primitive.MessageExt) primitive.LocalTransactionState {
	idx, _ := strconv.Atoi(m.GetProperty("idx"))
	l.mu.Lock()
	l.checked[idx] = true
	l.mu.Unlock()
	return primitive.CommitMessageState
}

func transaction(namesrv string) *outcome {
	out := &outcome{}
	run := newRunID()
	topic := "GoTx_" + run
	ctx := context.Background()
	// A plain message creates the topic first.
	plain, err := newProducer(namesrv, "PG_"+run)
	if err != nil {
		out.problem("producer start: %v", err)
		return out
	}
	out.problems = append(out.problems, checkResult(plain.SendSync(ctx, message(topic, run, 100)))...)
	_ = plain.Shutdown()
	listener := &txListener{checked: map[int]bool{}}
	tp, err := rocketmq.NewTransactionProducer(listener,
		producer.WithNsResolver(ns(namesrv)),
		producer.WithGroupName("TPG_"+run),
		producer.WithInstanceName("tp-"+run),
		producer.WithSendMsgTimeout(sendTimeout),
		producer.WithRetry(0))
	if err == nil {
		err = tp.Start()
	}
	if err != nil {
		out.problem("transaction producer start: %v", err)
		return out
	}
	defer tp.Shutdown()
	box := newInbox(run)
	c, err := newConsumer(namesrv, "CG_"+run, "c-"+run, consumer.Clustering)
	if err == nil {
		err = c.Subscribe(topic, consumer.MessageSelector{}, box.listener("c1", nil))
	}
	if err == nil {
		err = c.Start()
	}
	if err != nil {
		out.problem("consumer start: %v", err)
		return out
	}
	defer c.Shutdown()
	var delivered, rolledBack, unknown []int
	for i := 0; i < txMessages; i++ {
		r, err := tp.SendMessageInTransaction(ctx, message(topic, run, i))
		if err != nil {
			out.problem("idx %d transactional send: %v", i, err)
			continue
		}
		out.problems = append(out.problems, checkResult(r.SendResult, nil)...)
		if r.State != decide(i) {
			out.problem("idx %d local state %d, expected %d", i, r.State, decide(i))
		}
		switch decide(i) {
		case primitive.RollbackMessageState:
			rolledBack = append(rolledBack, i)
		case primitive.UnknowState:
			unknown = append(unknown, i)
			delivered = append(delivered, i)
		default:
			delivered = append(delivered, i)
		}
	}
	info("sent %d half messages; waiting for commits and check-backs of %v", txMessages, unknown)
	box.await(delivered, txCheckTimeout, rollbackGrace)
	out.problems = append(out.problems, box.verify(topic, delivered)...)
	for _, i := range rolledBack {
		if box.count(i) > 0 {
			out.problem("idx %d was rolled back but consumed", i)
		}
	}
	listener.mu.Lock()
	for _, i := range unknown {
		if !listener.checked[i] {
			out.problem("check-back never asked about idx %d (asked: %v)", i, listener.checked)
		}
	}
	listener.mu.Unlock()
	out.summary = fmt.Sprintf("committed %v delivered, rolled back %v not", delivered, rolledBack)
	return out
}

func waitGroupTimeout(wg *sync.WaitGroup, d time.Duration) bool {
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return true
	case <-time.After(d):
		return false
	}
}

// tagFilter: a consumer subscribed to "TagA || TagC" gets the TagA messages and none of the TagB ones. The Go
// client sends its subscription's codeSet as JSON strings and hashes tags over UTF-8 bytes.
func tagFilter(namesrv string) *outcome {
	out := &outcome{}
	run := newRunID()
	topic := "GoTag_" + run
	p, err := newProducer(namesrv, "PG_"+run)
	if err != nil {
		out.problem("producer start: %v", err)
		return out
	}
	defer p.Shutdown()
	ctx := context.Background()
	var wanted, unwanted []int
	for i := 0; i < sendMessages; i++ {
		m := message(topic, run, i)
		if i%2 == 1 {
			m.WithTag("TagB")
			unwanted = append(unwanted, i)
		} else {
			wanted = append(wanted, i)
		}
		out.problems = append(out.problems, checkResult(p.SendSync(ctx, m))...)
	}
	box := newInbox(run)
	c, err := newConsumer(namesrv, "CG_"+run, "c-"+run, consumer.Clustering)
	if err == nil {
		err = c.Subscribe(topic, consumer.MessageSelector{Type: consumer.TAG, Expression: "TagA || TagC"}, box.listener("c1", nil))
	}
	if err == nil {
		err = c.Start()
	}
	if err != nil {
		out.problem("consumer start: %v", err)
		return out
	}
	defer c.Shutdown()
	box.await(wanted, consumeTimeout, 2*time.Second)
	out.problems = append(out.problems, box.verify(topic, wanted)...)
	var leaked []int
	for _, i := range unwanted {
		if box.count(i) > 0 {
			leaked = append(leaked, i)
		}
	}
	if len(leaked) > 0 {
		out.problem("TagB messages delivered to a TagA || TagC subscription: %v", leaked)
	}
	out.summary = fmt.Sprintf("%d TagA consumed, %d TagB filtered", len(wanted), len(unwanted))
	return out
}

// spread <brokerCount>: a new topic auto-created through TBW102's route on every broker, one producer
// spreading over all of them, and a two-consumer group draining every queue. Exercises the Go client's
// own route parsing on a route with several brokers.
func spread(namesrv string) *outcome {
	out := &outcome{}
	brokers := 1
	if len(scenarioArgs) > 0 {
		brokers, _ = strconv.Atoi(scenarioArgs[0])
	}
	run := newRunID()
	topic := "GoSpread_" + run
	// The test passes a topic it created on every broker (see test/support/topics.ts).
	if len(scenarioArgs) > 1 {
		topic = scenarioArgs[1]
	}
	p, err := newProducer(namesrv, "PG_"+run, producer.WithRetry(2))
	if err != nil {
		out.problem("producer start: %v", err)
		return out
	}
	defer p.Shutdown()
	ctx := context.Background()
	usedBrokers := map[string]bool{}
	const messages = 64
	for i := 0; i < messages; i++ {
		r, err := p.SendSync(ctx, message(topic, run, i))
		out.problems = append(out.problems, checkResult(r, err)...)
		if err == nil && r.MessageQueue != nil {
			usedBrokers[r.MessageQueue.BrokerName] = true
		}
	}
	if len(usedBrokers) != brokers {
		out.problem("producer used brokers %v, expected %d", usedBrokers, brokers)
	}
	box := newInbox(run)
	for i := 1; i <= 2; i++ {
		name := fmt.Sprintf("c%d", i)
		c, err := newConsumer(namesrv, "CG_"+run, name+"-"+run, consumer.Clustering)
		if err == nil {
			err = c.Subscribe(topic, consumer.MessageSelector{}, box.listener(name, nil))
		}
		if err == nil {
			err = c.Start()
		}
		if err != nil {
			out.problem("consumer %s start: %v", name, err)
			return out
		}
		defer c.Shutdown()
	}
	all := rangeIdx(0, messages)
	box.await(all, consumeTimeout, duplicateGrace)
	out.problems = append(out.problems, box.verify(topic, all)...)
	hosts := map[string]bool{}
	for _, i := range all {
		for _, d := range box.get(i) {
			hosts[d.msg.StoreHost] = true
		}
	}
	if len(hosts) != brokers {
		out.problem("consumed from store hosts %v, expected %d brokers", hosts, brokers)
	}
	out.summary = fmt.Sprintf("%d messages over %d broker(s), consumed from %d store host(s)", messages, len(usedBrokers), len(hosts))
	return out
}
