package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	rmq "github.com/apache/rocketmq-clients/golang/v5"
)

const restartBefore, restartAfter = 200, 100

// restart: 200 messages sent, a SimpleConsumer receiving and acking them; once about 40 % are in, the
// driver prints RESTART_NOW and the test restarts the server (our process, or the Apache proxy JVM with
// its broker) while the consumer keeps polling. After "RESTARTED" on stdin the same producer sends 100
// more. Every one of the 300 must arrive (duplicates allowed: acks lost in the restart redeliver).
func scenarioRestart(r *run) error {
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
	body := func(i int) string { return fmt.Sprintf("restart-%s-%d", n, i) }
	for i := 0; i < restartBefore; i++ {
		if err := sendOne(p, r.topic, &sent{body: body(i), keys: []string{fmt.Sprint(i)}}); err != nil {
			return err
		}
	}
	var mu sync.Mutex
	seen := map[string]int{}
	signalled := false
	restarted := make(chan struct{})
	sendErrs := 0
	go func() {
		<-restarted
		for i := restartBefore; i < restartBefore+restartAfter; i++ {
			for try := 0; ; try++ {
				err := sendOne(p, r.topic, &sent{body: body(i), keys: []string{fmt.Sprint(i)}})
				if err == nil {
					break
				}
				mu.Lock()
				sendErrs++
				mu.Unlock()
				if try == 30 {
					r.info("send %d gave up: %v", i, err)
					break
				}
				time.Sleep(500 * time.Millisecond)
			}
		}
	}()
	total := restartBefore + restartAfter
	ackErrs := 0
	recvErrs, err := receiveUntil(r, c, receiveInvisible, 90*time.Second, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(seen) == total
	}, func(mv *rmq.MessageView) error {
		mu.Lock()
		seen[string(mv.GetBody())]++
		count := len(seen)
		mu.Unlock()
		if c.Ack(context.Background(), mv) != nil {
			ackErrs++
		}
		if !signalled && count >= restartBefore*2/5 {
			signalled = true
			fmt.Println("RESTART_NOW")
			go func() {
				for r.stdin.Scan() {
					if r.stdin.Text() == "RESTARTED" {
						close(restarted)
						return
					}
				}
			}()
		}
		return nil
	})
	mu.Lock()
	defer mu.Unlock()
	dups := 0
	for _, k := range seen {
		dups += k - 1
	}
	if err != nil {
		missing := []int{}
		for i := 0; i < total && len(missing) < 10; i++ {
			if seen[body(i)] == 0 {
				missing = append(missing, i)
			}
		}
		return fmt.Errorf("%d of %d received (first missing %v; receive errors %d, ack errors %d, send errors %d): %w",
			len(seen), total, missing, recvErrs, ackErrs, sendErrs, err)
	}
	r.fact("received=%d/%d duplicates=%d receiveErrors=%d ackErrors=%d sendRetries=%d", len(seen), total, dups, recvErrs, ackErrs, sendErrs)
	return nil
}
