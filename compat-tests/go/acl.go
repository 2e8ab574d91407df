package main

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
)

// ACL 1.0 scenarios (compat-tests/acl-v1.test.ts): the Go client signing with
// producer.WithCredentials / consumer.WithCredentials.
//
//	acl-send-consume <namesrv> <accessKey> <secretKey> <topic> <group>: 3 messages sent and consumed back by a
//	  new push-consumer group from the first offset, both with the credentials.
//	acl-send-refused <namesrv> <accessKey> <secretKey> <topic>: one send must fail; the error is printed as
//	  `RESULT {"error": ...}` so the test can compare the broker's code and remark with another broker's.

const aclMessages = 3

func aclArgs(n int) ([]string, *outcome) {
	if len(scenarioArgs) < n {
		return nil, &outcome{problems: []string{fmt.Sprintf("usage: %d arguments after <namesrv>, got %v", n, scenarioArgs)}}
	}
	return scenarioArgs, nil
}

func aclSendConsume(namesrv string) *outcome {
	args, bad := aclArgs(4)
	if bad != nil {
		return bad
	}
	cred := primitive.Credentials{AccessKey: args[0], SecretKey: args[1]}
	topic, group := args[2], args[3]
	out := &outcome{}
	run := newRunID()
	p, err := newProducer(namesrv, "PG_ACL_GO_"+run, producer.WithCredentials(cred))
	if err != nil {
		out.problem("producer start: %v", err)
		return out
	}
	defer func() { _ = p.Shutdown() }()
	idxs := rangeIdx(0, aclMessages)
	for _, i := range idxs {
		r, err := p.SendSync(context.Background(), message(topic, run, i))
		for _, pr := range checkResult(r, err) {
			out.problem("send %d: %s", i, pr)
		}
	}
	if len(out.problems) > 0 {
		return out
	}
	box := newInbox(run)
	c, err := newConsumer(namesrv, group, "c-"+run, consumer.Clustering, consumer.WithCredentials(cred))
	if err != nil {
		out.problem("consumer: %v", err)
		return out
	}
	if err := c.Subscribe(topic, consumer.MessageSelector{}, box.listener("c", nil)); err != nil {
		out.problem("subscribe: %v", err)
		return out
	}
	if err := c.Start(); err != nil {
		out.problem("consumer start: %v", err)
		return out
	}
	defer func() { _ = c.Shutdown() }()
	box.await(idxs, consumeTimeout, 0)
	out.problems = append(out.problems, box.verify(topic, idxs)...)
	out.summary = fmt.Sprintf("%d sent and consumed with accessKey %s", aclMessages, cred.AccessKey)
	return out
}

func aclSendRefused(namesrv string) *outcome {
	args, bad := aclArgs(3)
	if bad != nil {
		return bad
	}
	cred := primitive.Credentials{AccessKey: args[0], SecretKey: args[1]}
	out := &outcome{}
	p, err := newProducer(namesrv, "PG_ACL_GO_REFUSED", producer.WithCredentials(cred))
	if err != nil {
		out.problem("producer start: %v", err)
		return out
	}
	defer func() { _ = p.Shutdown() }()
	r, err := p.SendSync(context.Background(), message(args[2], newRunID(), 0))
	if err == nil {
		out.problem("send with accessKey %s accepted: %v", cred.AccessKey, r)
		return out
	}
	line, _ := json.Marshal(map[string]string{"error": err.Error()})
	fmt.Printf("RESULT %s\n", line)
	out.summary = "refused: " + err.Error()
	return out
}
