package main

import (
	"context"
	"fmt"
	"math/rand"
	"strings"
	"sync"
	"time"

	rmq "github.com/apache/rocketmq-clients/golang/v5"
)

func nonce() string { return fmt.Sprintf("%06d", rand.Intn(1_000_000)) }

// normal: 5 messages with tag, keys and user properties; a SimpleConsumer receives each once with the
// content sent, acks them, and a later receive gets nothing back.
func scenarioNormal(r *run) error {
	c, err := startSimpleConsumer(r.endpoint, r.group, r.topic)
	if err != nil {
		return err
	}
	defer c.GracefulStop()
	p, err := startProducer(r)
	if err != nil {
		return err
	}
	defer p.GracefulStop()
	n := nonce()
	want := map[string]*sent{}
	for i := 0; i < 5; i++ {
		s := &sent{body: fmt.Sprintf("normal-%d-%s", i, n), tag: "TagA", keys: []string{fmt.Sprintf("k%d-%s", i, n), "shared-" + n},
			props: map[string]string{"color": fmt.Sprintf("c%d", i), "unicode": "é中 ok"}}
		if err := sendOne(p, r.topic, s); err != nil {
			return err
		}
		want[s.body] = s
	}
	got := map[string]bool{}
	_, err = receiveUntil(r, c, receiveInvisible, 30*time.Second, func() bool { return len(got) == len(want) }, func(mv *rmq.MessageView) error {
		s, ok := want[string(mv.GetBody())]
		if !ok {
			return fmt.Errorf("unexpected message %q", mv.GetBody())
		}
		if got[s.body] {
			return fmt.Errorf("%q delivered twice before its invisible time ended", s.body)
		}
		if err := checkContent(r.topic, s, mv); err != nil {
			return err
		}
		if mv.GetDeliveryAttempt() != 1 {
			return fmt.Errorf("%q: deliveryAttempt %d on the first delivery", s.body, mv.GetDeliveryAttempt())
		}
		got[s.body] = true
		return ack(c, mv)
	})
	if err != nil {
		return fmt.Errorf("%d of %d received: %w", len(got), len(want), err)
	}
	mvs, err := receive(c, 16, receiveInvisible)
	if err != nil {
		return fmt.Errorf("receive after acks: %w", err)
	}
	if len(mvs) > 0 {
		return fmt.Errorf("receive after acks returned %d messages (%q)", len(mvs), mvs[0].GetBody())
	}
	r.fact("received=%d content=ok acked, nothing after", len(got))
	return nil
}

// fifo: 3 message groups x 6 messages into a FIFO topic; the FIFO group's SimpleConsumer gets each group
// in send order (the next of a group only after the previous is acked), with the message group set.
func scenarioFifo(r *run) error {
	c, err := startSimpleConsumer(r.endpoint, r.group, r.topic)
	if err != nil {
		return err
	}
	defer c.GracefulStop()
	p, err := startProducer(r)
	if err != nil {
		return err
	}
	defer p.GracefulStop()
	n := nonce()
	groups := []string{"ga-" + n, "gb-" + n, "gc-" + n}
	const perGroup = 6
	want := map[string]*sent{}
	for i := 0; i < perGroup; i++ {
		for _, g := range groups {
			s := &sent{body: fmt.Sprintf("%s:%d", g, i), tag: "fifo", keys: []string{fmt.Sprintf("%s-%d", g, i)}, group: g,
				props: map[string]string{"seq": fmt.Sprint(i)}}
			if err := sendOne(p, r.topic, s); err != nil {
				return err
			}
			want[s.body] = s
		}
	}
	next := map[string]int{}
	total := 0
	_, err = receiveUntil(r, c, receiveInvisible, 40*time.Second, func() bool { return total == len(want) }, func(mv *rmq.MessageView) error {
		s, ok := want[string(mv.GetBody())]
		if !ok {
			return fmt.Errorf("unexpected message %q", mv.GetBody())
		}
		if err := checkContent(r.topic, s, mv); err != nil {
			return err
		}
		var seq int
		fmt.Sscan(s.props["seq"], &seq)
		if seq != next[s.group] {
			return fmt.Errorf("group %s: got seq %d, expected %d (out of order or redelivered)", s.group, seq, next[s.group])
		}
		next[s.group]++
		total++
		return ack(c, mv)
	})
	if err != nil {
		return fmt.Errorf("%d of %d received in order (%v): %w", total, len(want), next, err)
	}
	r.fact("groups=%d perGroup=%d inOrder=true messageGroup=ok", len(groups), perGroup)
	return nil
}

// delay: 3 messages into a DELAY topic with a delivery timestamp 4 s ahead; none is received before it
// and each carries the timestamp it was sent with.
func scenarioDelay(r *run) error {
	c, err := startSimpleConsumer(r.endpoint, r.group, r.topic)
	if err != nil {
		return err
	}
	defer c.GracefulStop()
	p, err := startProducer(r)
	if err != nil {
		return err
	}
	defer p.GracefulStop()
	n := nonce()
	due := time.Now().Add(4 * time.Second).Truncate(time.Millisecond)
	want := map[string]*sent{}
	for i := 0; i < 3; i++ {
		s := &sent{body: fmt.Sprintf("delay-%d-%s", i, n), tag: "later", keys: []string{"d-" + n}, deliveryAt: due,
			props: map[string]string{"i": fmt.Sprint(i)}}
		if err := sendOne(p, r.topic, s); err != nil {
			return err
		}
		want[s.body] = s
	}
	got := map[string]bool{}
	var earliest time.Duration = time.Hour
	_, err = receiveUntil(r, c, receiveInvisible, 30*time.Second, func() bool { return len(got) == len(want) }, func(mv *rmq.MessageView) error {
		at := time.Now()
		s, ok := want[string(mv.GetBody())]
		if !ok {
			return fmt.Errorf("unexpected message %q", mv.GetBody())
		}
		if err := checkContent(r.topic, s, mv); err != nil {
			return err
		}
		// Same machine, same clock: a delivery before the timestamp is early.
		if at.Before(due) {
			return fmt.Errorf("%q received %d ms before its delivery timestamp", s.body, due.Sub(at).Milliseconds())
		}
		if d := at.Sub(due); d < earliest {
			earliest = d
		}
		got[s.body] = true
		return ack(c, mv)
	})
	if err != nil {
		return fmt.Errorf("%d of %d received: %w", len(got), len(want), err)
	}
	r.fact("received=%d notBeforeDue=true firstAfterDueMs=%d deliveryTimestamp=ok", len(got), earliest.Milliseconds())
	return nil
}

// transaction: three half messages into a TRANSACTION topic: one committed, one rolled back, one left
// open that the server resolves by asking the producer's TransactionChecker (which answers COMMIT).
// The committed and checked ones are delivered, the rolled-back one never.
func scenarioTransaction(r *run) error {
	n := nonce()
	var mu sync.Mutex
	var checked []string
	checker := &rmq.TransactionChecker{Check: func(mv *rmq.MessageView) rmq.TransactionResolution {
		mu.Lock()
		checked = append(checked, string(mv.GetBody()))
		mu.Unlock()
		// 5.x brokers batch the op messages of ended transactions, so a check can also come for an ended
		// one: answer what the producer decided.
		if strings.HasPrefix(string(mv.GetBody()), "tx-rollback-") {
			return rmq.ROLLBACK
		}
		return rmq.COMMIT
	}}
	c, err := startSimpleConsumer(r.endpoint, r.group, r.topic)
	if err != nil {
		return err
	}
	defer c.GracefulStop()
	p, err := startProducer(r, rmq.WithTransactionChecker(checker))
	if err != nil {
		return err
	}
	defer p.GracefulStop()
	want := map[string]*sent{}
	for _, kind := range []string{"commit", "rollback", "check"} {
		s := &sent{body: fmt.Sprintf("tx-%s-%s", kind, n), tag: "tx", keys: []string{"tx-" + kind + "-" + n}, props: map[string]string{"kind": kind}}
		tx := p.BeginTransaction()
		receipts, err := p.SendWithTransaction(context.Background(), newMessage(r.topic, s), tx)
		if err != nil {
			return fmt.Errorf("SendWithTransaction %s: %w", kind, err)
		}
		s.id = receipts[0].MessageID
		want[s.body] = s
		switch kind {
		case "commit":
			err = tx.Commit()
		case "rollback":
			err = tx.RollBack()
		}
		if err != nil {
			return fmt.Errorf("%s: %w", kind, err)
		}
	}
	got := map[string]time.Time{}
	start := time.Now()
	onMessage := func(mv *rmq.MessageView) error {
		s, ok := want[string(mv.GetBody())]
		if !ok {
			return fmt.Errorf("unexpected message %q", mv.GetBody())
		}
		if s.props["kind"] == "rollback" {
			return fmt.Errorf("the rolled-back message was delivered")
		}
		if err := checkContent(r.topic, s, mv); err != nil {
			return err
		}
		got[s.body] = time.Now()
		return ack(c, mv)
	}
	if _, err := receiveUntil(r, c, receiveInvisible, 70*time.Second, func() bool { return len(got) == 2 }, onMessage); err != nil {
		mu.Lock()
		defer mu.Unlock()
		return fmt.Errorf("received %d of 2 (checker asked about %v): %w", len(got), checked, err)
	}
	// The rolled-back one must stay away a while longer.
	quiet := time.Now().Add(3 * time.Second)
	if _, err := receiveUntil(r, c, receiveInvisible, time.Minute, func() bool { return time.Now().After(quiet) }, onMessage); err != nil {
		return err
	}
	mu.Lock()
	defer mu.Unlock()
	checkOk := false
	for _, b := range checked {
		if b == "tx-check-"+n {
			checkOk = true
		}
	}
	if !checkOk {
		return fmt.Errorf("the open transaction was delivered without the checker being asked (asked: %v)", checked)
	}
	r.fact("commit=delivered rollback=not-delivered checkBack=committed checkedAfterMs=%d", got["tx-check-"+n].Sub(start).Milliseconds())
	return nil
}

// invisible: receive with a 15 s invisible duration, ChangeInvisibleDuration to 2 s, the message comes
// back after about 2 s as delivery attempt 2 with the same content, is acked, and does not come back.
func scenarioInvisible(r *run) error {
	c, err := startSimpleConsumer(r.endpoint, r.group, r.topic)
	if err != nil {
		return err
	}
	defer c.GracefulStop()
	p, err := startProducer(r)
	if err != nil {
		return err
	}
	defer p.GracefulStop()
	s := &sent{body: "invisible-" + nonce(), tag: "inv", keys: []string{"inv"}, props: map[string]string{"a": "b"}}
	if err := sendOne(p, r.topic, s); err != nil {
		return err
	}
	var first *rmq.MessageView
	if _, err := receiveUntil(r, c, receiveInvisible, 30*time.Second, func() bool { return first != nil }, func(mv *rmq.MessageView) error {
		if err := checkContent(r.topic, s, mv); err != nil {
			return err
		}
		first = mv
		return nil
	}); err != nil {
		return err
	}
	oldHandle := first.GetReceiptHandle()
	if err := c.ChangeInvisibleDuration(first, 2*time.Second); err != nil {
		return fmt.Errorf("ChangeInvisibleDuration: %w", err)
	}
	changedAt := time.Now()
	if first.GetReceiptHandle() == "" || first.GetReceiptHandle() == oldHandle {
		return fmt.Errorf("ChangeInvisibleDuration answered no new receipt handle")
	}
	var again *rmq.MessageView
	if _, err := receiveUntil(r, c, receiveInvisible, 14*time.Second, func() bool { return again != nil }, func(mv *rmq.MessageView) error {
		if err := checkContent(r.topic, s, mv); err != nil {
			return err
		}
		again = mv
		return nil
	}); err != nil {
		return fmt.Errorf("not back within 14 s of ChangeInvisibleDuration(2s) (the first receive's 15 s had not ended): %w", err)
	}
	back := time.Since(changedAt)
	if back < 1500*time.Millisecond {
		return fmt.Errorf("back %d ms after ChangeInvisibleDuration(2s)", back.Milliseconds())
	}
	if again.GetDeliveryAttempt() != 2 {
		return fmt.Errorf("deliveryAttempt %d on the redelivery (first was %d)", again.GetDeliveryAttempt(), first.GetDeliveryAttempt())
	}
	if err := ack(c, again); err != nil {
		return err
	}
	quiet := time.Now().Add(4 * time.Second)
	if _, err := receiveUntil(r, c, receiveInvisible, time.Minute, func() bool { return time.Now().After(quiet) }, func(mv *rmq.MessageView) error {
		return fmt.Errorf("%q delivered again after its ack", mv.GetBody())
	}); err != nil {
		return err
	}
	r.fact("firstAttempt=%d backAfterMs=%d secondAttempt=2 acked", first.GetDeliveryAttempt(), back.Milliseconds())
	return nil
}

// dlq (the Go SDK has no PushConsumer): the group allows 1 retry (retryMaxTimes=1, so maxAttempts 2).
// The SimpleConsumer receives and gives the message back (ChangeInvisibleDuration 1 s) twice; the server
// then moves it to %DLQ%<group>, where a SimpleConsumer of another group reads it with its content.
func scenarioDlq(r *run) error {
	c, err := startSimpleConsumer(r.endpoint, r.group, r.topic)
	if err != nil {
		return err
	}
	defer c.GracefulStop()
	p, err := startProducer(r)
	if err != nil {
		return err
	}
	defer p.GracefulStop()
	s := &sent{body: "dlq-" + nonce(), tag: "dead", keys: []string{"dlq-key"}, props: map[string]string{"why": "always fails"}}
	if err := sendOne(p, r.topic, s); err != nil {
		return err
	}
	var attempts []int32
	if _, err := receiveUntil(r, c, receiveInvisible, 60*time.Second, func() bool { return len(attempts) == 2 }, func(mv *rmq.MessageView) error {
		if string(mv.GetBody()) != s.body {
			return fmt.Errorf("unexpected message %q", mv.GetBody())
		}
		attempts = append(attempts, mv.GetDeliveryAttempt())
		return c.ChangeInvisibleDuration(mv, time.Second)
	}); err != nil {
		return fmt.Errorf("attempts %v: %w", attempts, err)
	}
	if attempts[0] != 1 || attempts[1] != 2 {
		return fmt.Errorf("deliveryAttempt %v, expected [1 2]", attempts)
	}
	dlqTopic := "%DLQ%" + r.group
	var dlqMsg *rmq.MessageView
	deadline := time.Now().Add(60 * time.Second)
	extra := 0
	// The DLQ topic exists once the server moved the message; until then the consumer cannot start.
	var dc rmq.SimpleConsumer
	for dc == nil {
		if time.Now().After(deadline) {
			return fmt.Errorf("%s never became consumable after attempts %v", dlqTopic, attempts)
		}
		// The original group must not get the message a third time.
		mvs, err := receive(c, 16, receiveInvisible)
		if err == nil && len(mvs) > 0 {
			extra += len(mvs)
			return fmt.Errorf("delivered a third time (attempt %d) with retryMaxTimes=1", mvs[0].GetDeliveryAttempt())
		}
		if dc, err = startSimpleConsumer(r.endpoint, r.group+"_dlq", dlqTopic); err != nil {
			dc = nil
		}
	}
	defer dc.GracefulStop()
	if _, err := receiveUntil(r, dc, receiveInvisible, time.Until(deadline), func() bool { return dlqMsg != nil }, func(mv *rmq.MessageView) error {
		dlqMsg = mv
		return nil
	}); err != nil {
		return fmt.Errorf("nothing in %s: %w", dlqTopic, err)
	}
	if string(dlqMsg.GetBody()) != s.body || sortedKeys(dlqMsg.GetKeys()) != sortedKeys(s.keys) || dlqMsg.GetProperties()["why"] != s.props["why"] ||
		dlqMsg.GetTag() == nil || *dlqMsg.GetTag() != s.tag {
		return fmt.Errorf("DLQ message differs: body %q keys %v tag %v props %v", dlqMsg.GetBody(), dlqMsg.GetKeys(), dlqMsg.GetTag(), dlqMsg.GetProperties())
	}
	if err := ack(dc, dlqMsg); err != nil {
		return err
	}
	r.fact("attempts=%v then %s body/tag/keys/properties=ok dlqMessageId=%s", attempts, dlqTopic, dlqMsg.GetMessageId())
	return nil
}
