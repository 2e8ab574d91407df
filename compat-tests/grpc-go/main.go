// Scenario driver for the official RocketMQ 5.x Go SDK (github.com/apache/rocketmq-clients/golang/v5, the
// release pinned in go.mod) against a gRPC endpoint (ours, or the Apache 5.3.3 proxy).
//
//	compat-grpc-go <endpoint> <prefix> <scenario>...
//
// Scenario s uses topic <prefix>_<s> and consumer group <prefix>_<s>_g, which the test creates beforehand
// with the message type and group settings of compat-tests/support/grpc-sdk.ts (GRPC_SCENARIOS). Each
// scenario prints exactly one verdict line, "PASS <scenario> <facts>" or "FAIL <scenario> <reason>", plus
// "INFO <scenario> ..." lines. All scenarios but "restart" run side by side; "restart" runs last alone:
// it prints "RESTART_NOW" and waits for a "RESTARTED" line on stdin (the test restarts the server between).
package main

import (
	"bufio"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"
)

// Each scenario bounds its own waits; this is the backstop.
const scenarioTimeout = 100 * time.Second

type scenarioFunc func(s *run) error

var scenarios = map[string]scenarioFunc{
	"normal":      scenarioNormal,
	"fifo":        scenarioFifo,
	"delay":       scenarioDelay,
	"transaction": scenarioTransaction,
	"invisible":   scenarioInvisible,
	"dlq":         scenarioDlq,
	"restart":     scenarioRestart,
}

// run is one scenario's context: its names and its output.
type run struct {
	name     string
	endpoint string
	topic    string
	group    string
	facts    []string
	stdin    *bufio.Scanner
}

func (r *run) info(format string, args ...any) {
	fmt.Printf("INFO %s %s\n", r.name, fmt.Sprintf(format, args...))
}

func (r *run) fact(format string, args ...any) {
	r.facts = append(r.facts, fmt.Sprintf(format, args...))
}

func main() {
	if len(os.Args) < 4 {
		fmt.Fprintln(os.Stderr, "usage: compat-grpc-go <endpoint> <prefix> <scenario>...")
		os.Exit(2)
	}
	quietSdkLogs()
	endpoint, prefix := os.Args[1], os.Args[2]
	stdin := bufio.NewScanner(os.Stdin)
	var parallel, last []string
	for _, name := range os.Args[3:] {
		if _, ok := scenarios[name]; !ok {
			fmt.Printf("FAIL %s unknown scenario\n", name)
			continue
		}
		if name == "restart" {
			last = append(last, name)
		} else {
			parallel = append(parallel, name)
		}
	}
	runOne := func(name string) {
		r := &run{name: name, endpoint: endpoint, topic: prefix + "_" + name, group: prefix + "_" + name + "_g", stdin: stdin}
		started := time.Now()
		done := make(chan error, 1)
		go func() {
			defer func() {
				if p := recover(); p != nil {
					done <- fmt.Errorf("panic: %v", p)
				}
			}()
			done <- scenarios[name](r)
		}()
		var err error
		select {
		case err = <-done:
		case <-time.After(scenarioTimeout):
			err = fmt.Errorf("no verdict within %s", scenarioTimeout)
		}
		took := time.Since(started).Milliseconds()
		if err != nil {
			fmt.Printf("FAIL %s %v (%d ms)\n", name, err, took)
		} else {
			if extra := serverPropsOf(r.topic); len(extra) > 0 {
				r.fact("serverUserProps=%s", strings.Join(extra, ","))
			}
			fmt.Printf("PASS %s %v (%d ms)\n", name, r.facts, took)
		}
	}
	var wg sync.WaitGroup
	for _, name := range parallel {
		wg.Add(1)
		go func(n string) {
			defer wg.Done()
			runOne(n)
		}(name)
	}
	wg.Wait()
	for _, name := range last {
		runOne(name)
	}
	fmt.Println("DONE")
}
