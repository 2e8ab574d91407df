package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/apache/rocketmq-client-go/v2"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
)

// Registered here rather than in main.go's table: the replication groups own this file alone.
func init() {
	scenarios["repl-send"] = replSend
}

const (
	replSingles     = 6
	replBatch       = 4
	replDelayed     = 2
	replDelayLevel  = 1
	replTxCommitted = 2
)

// replLine is one message of the state file compat-tests/java ReplicaReader judges (the Java sender writes the same).
type replLine struct {
	Rk          string            `json:"rk"`
	Kind        string            `json:"kind"`
	Sender      string            `json:"sender"`
	Body        []byte            `json:"body"` // base64, as encoding/json writes []byte
	Tags        string            `json:"tags"`
	Keys        string            `json:"keys"`
	Props       map[string]string `json:"props"`
	MsgID       string            `json:"msgId"`
	OffsetMsgID string            `json:"offsetMsgId"`
	QueueID     int               `json:"queueId"`
	QueueOffset int64             `json:"queueOffset"`
	Status      string            `json:"status"`
}

// replMessage builds message idx of a kind: a unicode body or one with every byte value, two keys, a tag and
// user properties with non-ASCII text, '=' and padding; the "rk" property names it for the reader.
func replMessage(topic, run, kind string, idx int) (*primitive.Message, replLine) {
	var body []byte
	if idx%2 == 0 {
		body = []byte(fmt.Sprintf("go %s #%d ünïcødé 漢字 😀 run=%s", kind, idx, run))
	} else {
		body = make([]byte, 300)
		for i := range body {
			body[i] = byte(i + idx)
		}
	}
	rk := fmt.Sprintf("go-%s-%d", kind, idx)
	props := map[string]string{
		"rk":      rk,
		"run":     run,
		"idx":     strconv.Itoa(idx),
		"unicode": "värde ü 中 " + strconv.Itoa(idx),
		"eq":      "a=b==c",
		"spaces":  "  padded  ",
	}
	if strings.HasPrefix(kind, "tx-") {
		props["decide"] = strings.TrimPrefix(kind, "tx-")
	}
	keys := []string{"K-" + run + "-" + strconv.Itoa(idx), "second-" + strconv.Itoa(idx)}
	m := primitive.NewMessage(topic, body)
	m.WithTag("GoTag" + string(rune('A'+idx%3)))
	m.WithKeys(keys)
	for k, v := range props {
		m.WithProperty(k, v)
	}
	return m, replLine{Rk: rk, Kind: kind, Sender: "go " + clientVersion, Body: body, Tags: m.GetTags(),
		Keys: strings.Join(keys, " "), Props: props}
}

func sendStatusName(s primitive.SendStatus) string {
	switch s {
	case primitive.SendOK:
		return "SEND_OK"
	case primitive.SendFlushDiskTimeout:
		return "FLUSH_DISK_TIMEOUT"
	case primitive.SendFlushSlaveTimeout:
		return "FLUSH_SLAVE_TIMEOUT"
	case primitive.SendSlaveNotAvailable:
		return "SLAVE_NOT_AVAILABLE"
	default:
		return fmt.Sprintf("status %d", s)
	}
}

func (l *replLine) fill(r *primitive.SendResult, out *outcome) {
	l.MsgID, l.OffsetMsgID, l.QueueOffset, l.Status = r.MsgID, r.OffsetMsgID, r.QueueOffset, sendStatusName(r.Status)
	if r.MessageQueue != nil {
		l.QueueID = r.MessageQueue.QueueId
	}
	if r.Status != primitive.SendOK {
		out.problem("%s: expected SEND_OK, got %s", l.Rk, l.Status)
	}
}

type replTxListener struct{}

func replDecide(m *primitive.Message) primitive.LocalTransactionState {
	switch m.GetProperty("decide") {
	case "commit":
		return primitive.CommitMessageState
	case "rollback":
		return primitive.RollbackMessageState
	}
	return primitive.UnknowState
}

func (replTxListener) ExecuteLocalTransaction(m *primitive.Message) primitive.LocalTransactionState {
	return replDecide(m)
}

func (replTxListener) CheckLocalTransaction(m *primitive.MessageExt) primitive.LocalTransactionState {
	return replDecide(&m.Message)
}

// replSend <topic> <stateFile>: the Go side of compat-tests/replication-groups.test.ts. Sends single, batch,
// delayed (level 1) and transactional messages (committed, and one rolled back) to the master through the
// NameServer, every send SEND_OK, and appends one JSON line per message to <stateFile>. The Java
// ReplicaReader then reads them back from the master and from the slave and judges them.
func replSend(namesrv string) *outcome {
	out := &outcome{}
	if len(scenarioArgs) < 2 {
		out.problem("usage: repl-send <namesrv> <topic> <stateFile>")
		return out
	}
	topic, stateFile := scenarioArgs[0], scenarioArgs[1]
	run := newRunID()
	ctx := context.Background()
	p, err := newProducer(namesrv, "ReplGoP_"+run)
	if err != nil {
		out.problem("producer start: %v", err)
		return out
	}
	defer p.Shutdown()
	var lines []replLine
	idx := 0
	for i := 0; i < replSingles; i, idx = i+1, idx+1 {
		m, l := replMessage(topic, run, "single", idx)
		r, err := p.SendSync(ctx, m)
		if err != nil {
			out.problem("%s: %v", l.Rk, err)
			continue
		}
		l.fill(r, out)
		lines = append(lines, l)
	}
	var batch []*primitive.Message
	var batchLines []replLine
	for i := 0; i < replBatch; i, idx = i+1, idx+1 {
		m, l := replMessage(topic, run, "batch", idx)
		batch = append(batch, m)
		batchLines = append(batchLines, l)
	}
	if r, err := p.SendSync(ctx, batch...); err != nil {
		out.problem("batch: %v", err)
	} else {
		// v2.1.2 leaves a batch's MsgID empty (its members carry no UNIQ_KEY); offsetMsgIds are comma-joined
		// and QueueOffset is the first member's.
		offs := strings.Split(r.OffsetMsgID, ",")
		if len(offs) != replBatch {
			out.problem("batch: expected %d offsetMsgIds, got %q", replBatch, r.OffsetMsgID)
		}
		for i, l := range batchLines {
			l.fill(r, out)
			l.MsgID = ""
			if i < len(offs) {
				l.OffsetMsgID = offs[i]
			}
			l.QueueOffset = r.QueueOffset + int64(i)
			lines = append(lines, l)
		}
	}
	for i := 0; i < replDelayed; i, idx = i+1, idx+1 {
		m, l := replMessage(topic, run, "delay", idx)
		m.WithDelayTimeLevel(replDelayLevel)
		r, err := p.SendSync(ctx, m)
		if err != nil {
			out.problem("%s: %v", l.Rk, err)
			continue
		}
		l.fill(r, out)
		lines = append(lines, l)
	}
	tp, err := rocketmq.NewTransactionProducer(replTxListener{},
		producer.WithNsResolver(ns(namesrv)),
		producer.WithGroupName("ReplGoTxP_"+run),
		producer.WithInstanceName("repl-tx-"+run),
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
	for i := 0; i <= replTxCommitted; i, idx = i+1, idx+1 {
		kind := "tx-commit"
		if i == replTxCommitted {
			kind = "tx-rollback"
		}
		m, l := replMessage(topic, run, kind, idx)
		r, err := tp.SendMessageInTransaction(ctx, m)
		if err != nil {
			out.problem("%s: %v", l.Rk, err)
			continue
		}
		l.fill(r.SendResult, out)
		if r.State != replDecide(m) {
			out.problem("%s: local transaction state %d, expected %d", l.Rk, r.State, replDecide(m))
		}
		lines = append(lines, l)
	}
	f, err := os.OpenFile(stateFile, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		out.problem("state file: %v", err)
		return out
	}
	defer f.Close()
	enc := json.NewEncoder(f)
	enc.SetEscapeHTML(false)
	for _, l := range lines {
		if err := enc.Encode(l); err != nil {
			out.problem("state file: %v", err)
		}
	}
	out.summary = fmt.Sprintf("%d messages sent (%d single, %d in a batch, %d delayed, %d committed + 1 rolled back transactional)",
		len(lines), replSingles, replBatch, replDelayed, replTxCommitted)
	return out
}
