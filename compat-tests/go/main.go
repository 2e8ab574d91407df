// Command compat-go runs one client-compatibility scenario with the official Go client
// (github.com/apache/rocketmq-client-go/v2) against a NameServer:
//
//	compat-go <scenario> <namesrvAddr> [args...]
//
// It prints "INFO ..." progress lines, then exactly one "PASS <scenario> ..." or "FAIL <scenario> ..." line
// followed by one "  - <problem>" line per broken expectation, and exits 0 on PASS, 1 on FAIL, 2 on bad
// usage: the same lines as the Java scenario programs, so one harness reads all of them.
// Built by compat-tests/go-client.test.ts (go build) before the scenarios run.
package main

import (
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/apache/rocketmq-client-go/v2/rlog"
)

type scenario func(namesrv string) *outcome

var scenarios = map[string]scenario{
	"send-sync":         func(n string) *outcome { return sendScenario(n, modeSync) },
	"send-async":        func(n string) *outcome { return sendScenario(n, modeAsync) },
	"send-batch":        func(n string) *outcome { return sendScenario(n, modeBatch) },
	"push-clustering":   clustering,
	"push-broadcasting": broadcasting,
	"orderly":           orderly,
	"delay":             delay,
	"retry":             retry,
	"transaction":       transaction,
	"tag-filter":        tagFilter,
	// Cluster scenarios: spread <brokerCount> (mixed-cluster test), failover <controlDir> (failover test).
	"spread":   spread,
	"failover": failover,
	// replread <controlDir> <topic> <group> <sleepMs> (replication read-failover test).
	"replread": replread,
	// ACL 1.0: acl-send-consume <ak> <sk> <topic> <group>, acl-send-refused <ak> <sk> <topic> (acl.go).
	"acl-send-consume": aclSendConsume,
	"acl-send-refused": aclSendRefused,
	// Request/reply (reply.go): reply-responder <topic> <label> <controlDir>; request-reply <topic>=<label>... [timeout=<topic>].
	"reply-responder": replyResponder,
	"request-reply":   requestReply,
}

// scenarioArgs are the command-line arguments after <namesrvAddr>.
var scenarioArgs []string

// problemsShownMax: enough to diagnose; the rest are usually the same fault repeated.
const problemsShownMax = 30

type outcome struct {
	problems []string
	summary  string
}

func (o *outcome) problem(format string, args ...interface{}) {
	o.problems = append(o.problems, fmt.Sprintf(format, args...))
}

func info(format string, args ...interface{}) {
	fmt.Printf("INFO "+format+"\n", args...)
}

func main() {
	if len(os.Args) < 3 || scenarios[os.Args[1]] == nil {
		names := make([]string, 0, len(scenarios))
		for k := range scenarios {
			names = append(names, k)
		}
		sort.Strings(names)
		fmt.Printf("usage: compat-go <scenario> <namesrvAddr>; scenarios: %s\n", strings.Join(names, ", "))
		os.Exit(2)
	}
	// The client logs every heartbeat and rebalance at info; warnings are what a failure needs.
	rlog.SetLogLevel("warn")
	name := os.Args[1]
	scenarioArgs = os.Args[3:]
	started := time.Now()
	var out *outcome
	func() {
		defer func() {
			if r := recover(); r != nil {
				out = &outcome{problems: []string{fmt.Sprintf("panic: %v", r)}}
			}
		}()
		out = scenarios[name](os.Args[2])
	}()
	took := time.Since(started).Milliseconds()
	label := name + " [client go " + clientVersion + "]"
	if len(out.problems) == 0 {
		fmt.Printf("PASS %s in %d ms: %s\n", label, took, out.summary)
		os.Exit(0)
	}
	suffix := ""
	if out.summary != "" {
		suffix = "; " + out.summary
	}
	fmt.Printf("FAIL %s in %d ms: %d problem(s)%s\n", label, took, len(out.problems), suffix)
	for i, p := range out.problems {
		if i == problemsShownMax {
			fmt.Printf("  - ... and %d more\n", len(out.problems)-problemsShownMax)
			break
		}
		fmt.Printf("  - %s\n", p)
	}
	os.Exit(1)
}
