package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/apache/rocketmq-client-go/v2"
	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
)

const (
	failoverPhaseMessages = 32
	awaitControlTimeout   = 180 * time.Second
	// The Go client refreshes routes every 30 s and rebalances every 20 s (both fixed), so seeing broker-b
	// gone, and back, takes up to ~50 s each way.
	failoverRecoveryTimeout = 120 * time.Second
	// v2.1.2's sendSync shadows the queue it just tried, so a retry never avoids the failed broker: it only
	// moves to the next queue of the cached route. Enough retries to step past broker-b's 4 queues.
	failoverSendRetries = 8
)

// failover <controlDir> [topic]: the Go version of the Java failover scenario (compat-tests/java5 ClusterScenarios):
// two brokers; the test SIGKILLs broker-b when this prints "AWAIT killed-b" and restarts it on
// "AWAIT restarted-b" (each answered by creating the file <controlDir>/<name>).
func failover(namesrv string) *outcome {
	out := &outcome{}
	if len(scenarioArgs) < 1 {
		out.problem("usage: failover <namesrv> <controlDir>")
		return out
	}
	controlDir := scenarioArgs[0]
	run := newRunID()
	topic := "GoFailover_" + run
	// The test passes a topic it created on both brokers: auto-creation through TBW102 is racy for Go,
	// which adopts the topic's own route (then on one broker only) as soon as the topic exists anywhere.
	if len(scenarioArgs) > 1 {
		topic = scenarioArgs[1]
	}
	p, err := newProducer(namesrv, "PG_"+run, producer.WithRetry(failoverSendRetries))
	if err != nil {
		out.problem("producer start: %v", err)
		return out
	}
	defer p.Shutdown()
	box := newInbox(run)

	// Phase 1: sends spread over both brokers.
	phase1 := sendPhase(p, topic, run, 0, out)
	if b := brokersOf(phase1); len(b) != 2 {
		out.problem("phase 1 used brokers %v, expected broker-a and broker-b", b)
	}
	var consumers []rocketmq.PushConsumer
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
		consumers = append(consumers, c)
	}
	box.await(keys(phase1), consumeTimeout, 0)
	out.problems = append(out.problems, box.verify(topic, keys(phase1))...)
	info("phase 1: %d sent over %v and consumed", len(phase1), brokersOf(phase1))

	// Phase 2: consumers paused, so part of broker-b's share is still unconsumed when it dies.
	for _, c := range consumers {
		c.Suspend()
	}
	time.Sleep(time.Second)
	phase2 := sendPhase(p, topic, run, 1000, out)
	var onB []int
	for idx, broker := range phase2 {
		if broker == "broker-b" {
			onB = append(onB, idx)
		}
	}
	sort.Ints(onB)
	time.Sleep(500 * time.Millisecond)
	backlog := box.missing(onB)
	info("phase 2: %d sent, %d on broker-b, %d of those unconsumed", len(phase2), len(onB), len(backlog))
	if len(backlog) == 0 {
		out.problem("setup: no unconsumed message on broker-b before the kill, the recovery check would prove nothing")
	}

	if err := awaitControl(controlDir, "killed-b"); err != nil {
		out.problem("%v", err)
		return out
	}
	for _, c := range consumers {
		c.Resume()
	}
	// Phase 3: broker-b is dead; every send must still succeed within the client's retries.
	phase3 := sendPhase(p, topic, run, 2000, out)
	if b := brokersOf(phase3); len(b) != 1 || b[0] != "broker-a" {
		out.problem("phase 3 (broker-b dead) sends went to %v", b)
	}
	info("phase 3: %d of %d sent OK via %v", len(phase3), failoverPhaseMessages, brokersOf(phase3))
	var onA []int
	for idx, broker := range phase2 {
		if broker != "broker-b" {
			onA = append(onA, idx)
		}
	}
	onA = append(onA, keys(phase3)...)
	box.await(onA, failoverRecoveryTimeout, 0)
	for _, pr := range box.verify(topic, onA) {
		out.problem("while broker-b was down, from broker-a: %s", pr)
	}

	if err := awaitControl(controlDir, "restarted-b"); err != nil {
		out.problem("%v", err)
		return out
	}
	box.await(onB, failoverRecoveryTimeout, duplicateGrace)
	for _, pr := range box.verify(topic, onB) {
		out.problem("after broker-b returned, its backlog: %s", pr)
	}
	acked := append(append(keys(phase1), keys(phase2)...), keys(phase3)...)
	if lost := box.missing(acked); len(lost) > 0 {
		out.problem("acknowledged but never consumed: %v", abbreviate(lost))
	}
	out.summary = fmt.Sprintf("%d acknowledged, %d consumed, %d were broker-b backlog at the kill, %d duplicates",
		len(acked), len(acked)-len(box.missing(acked)), len(backlog), box.duplicates(acked))
	return out
}

// sendPhase sends failoverPhaseMessages from idx from; returns idx -> broker of each successful send.
func sendPhase(p rocketmq.Producer, topic, run string, from int, out *outcome) map[int]string {
	ok := map[int]string{}
	for i := from; i < from+failoverPhaseMessages; i++ {
		r, err := p.SendSync(context.Background(), message(topic, run, i))
		if err != nil || r.Status != primitive.SendOK {
			out.problem("idx %d send failed: %v %v", i, err, r)
			continue
		}
		ok[i] = r.MessageQueue.BrokerName
	}
	return ok
}

func brokersOf(sent map[int]string) []string {
	set := map[string]bool{}
	for _, b := range sent {
		set[b] = true
	}
	var s []string
	for b := range set {
		s = append(s, b)
	}
	sort.Strings(s)
	return s
}

func keys(m map[int]string) []int {
	var k []int
	for i := range m {
		k = append(k, i)
	}
	sort.Ints(k)
	return k
}

func awaitControl(dir, name string) error {
	info("AWAIT %s", name)
	f := filepath.Join(dir, name)
	if !waitFor(func() bool { _, err := os.Stat(f); return err == nil }, awaitControlTimeout) {
		return fmt.Errorf("the test never created %s", f)
	}
	info("GOT %s", name)
	return nil
}
