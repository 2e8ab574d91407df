package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
)

const (
	// Few messages per pull and per queue in memory, so a master kill lands while the consumer still pulls.
	replReadPullBatch      = 8
	replReadQueueThreshold = 16
	replReadRunMax         = 15 * time.Minute
)

// replread <controlDir> <topic> <group> <sleepMsPerMessage>: the Go push consumer of the replication
// read-failover test (compat-tests/replication-faults.test.ts). It consumes <topic> from the first offset,
// appending "seq queueId queueOffset" per delivery to <controlDir>/consumed-<group>.log (seq is parsed from
// the body "seq=<n>;..." written by the Java ReplDriver), until the test creates <controlDir>/stop-<group>;
// then it shuts down (committing its offsets) and passes. The test judges the log.
func replread(namesrv string) *outcome {
	out := &outcome{}
	if len(scenarioArgs) < 4 {
		out.problem("usage: replread <namesrv> <controlDir> <topic> <group> <sleepMsPerMessage>")
		return out
	}
	controlDir, topic, group := scenarioArgs[0], scenarioArgs[1], scenarioArgs[2]
	sleepMs, _ := strconv.Atoi(scenarioArgs[3])
	f, err := os.Create(filepath.Join(controlDir, "consumed-"+group+".log"))
	if err != nil {
		out.problem("create log: %v", err)
		return out
	}
	defer f.Close()
	w := bufio.NewWriter(f)
	var mu sync.Mutex
	var deliveries int64
	c, err := newConsumer(namesrv, group, "go-repl-"+group, consumer.Clustering,
		consumer.WithPullBatchSize(replReadPullBatch),
		consumer.WithPullThresholdForQueue(replReadQueueThreshold),
		consumer.WithConsumeMessageBatchMaxSize(1),
		// One consuming goroutine (default 20), like the Java consumer's one thread: the backlog lasts.
		consumer.WithConsumeGoroutineNums(1),
	)
	if err != nil {
		out.problem("new consumer: %v", err)
		return out
	}
	err = c.Subscribe(topic, consumer.MessageSelector{}, func(ctx context.Context, msgs ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
		for _, m := range msgs {
			seq := int64(-1)
			if s := string(m.Body[:minInt(len(m.Body), 40)]); strings.HasPrefix(s, "seq=") {
				if end := strings.IndexByte(s, ';'); end > 4 {
					seq, _ = strconv.ParseInt(s[4:end], 10, 64)
				}
			}
			atomic.AddInt64(&deliveries, 1)
			mu.Lock()
			fmt.Fprintf(w, "%d %d %d\n", seq, m.Queue.QueueId, m.QueueOffset)
			_ = w.Flush()
			mu.Unlock()
			if sleepMs > 0 {
				time.Sleep(time.Duration(sleepMs) * time.Millisecond)
			}
		}
		return consumer.ConsumeSuccess, nil
	})
	if err != nil {
		out.problem("subscribe: %v", err)
		return out
	}
	if err := c.Start(); err != nil {
		out.problem("start: %v", err)
		return out
	}
	info("consumer started: group=%s", group)
	stop := filepath.Join(controlDir, "stop-"+group)
	waitFor(func() bool { _, err := os.Stat(stop); return err == nil }, replReadRunMax)
	_ = c.Shutdown()
	out.summary = fmt.Sprintf("deliveries=%d", atomic.LoadInt64(&deliveries))
	return out
}

func minInt(a, b int) int {
	if a < b {
		return a
	}
	return b
}
