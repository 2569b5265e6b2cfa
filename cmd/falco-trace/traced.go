package main

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/falco-trace/falco-trace/bridge/sinsp"
	"github.com/falco-trace/falco-trace/bridge/tracer"
)

// batchSize is the number of events read per cgo crossing.
const batchSize = 1024

// newRingID returns a fresh udig ring id for one tracer/consumer pair, so
// several falco-trace instances on one host never share a ring (contract B).
func newRingID() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%d-%s", os.Getpid(), hex.EncodeToString(b[:]))
}

// inspectorSource adapts a live sinsp.Inspector to tracer.EventSource: one
// Next per batch, handed to onBatch.
type inspectorSource struct {
	insp    *sinsp.Inspector
	onBatch func(sinsp.Batch) error
}

// Abandon closes the inspector: libscap clears m_capturing_pid, so the tracer
// stops recording instead of waiting for a consumer that is gone.
func (s *inspectorSource) Abandon() { _ = s.insp.Close() }

func (s *inspectorSource) ReadBatch() (bool, error) {
	b, err := s.insp.Next(batchSize)
	if err != nil {
		return false, err
	}
	if s.onBatch != nil {
		if err := s.onBatch(b); err != nil {
			return false, err
		}
	}
	return b.Timeout && b.Events == 0, nil
}

// runWithInspector is the reusable "consumer + tracer" path of launch and
// attach --print-events: in the supervisor it supervises the engine and the
// tracer (superviseRun); in the engine process it opens a libsinsp consumer
// on the supervisor's ring, lets setup install the event printer, and hands
// every batch to onBatch until the workload has ended and the ring is
// drained (runEngine).
func runWithInspector(cliContext *cli.Context, opts tracer.SessionOptions,
	setup func(*sinsp.Inspector) error, onBatch func(sinsp.Batch) error) error {
	return runWithConsumer(cliContext, opts, consumerHooks{New: sinsp.New, Setup: setup, OnBatch: onBatch})
}

// consumerHooks customise the consumer (engine) of a traced run.
type consumerHooks struct {
	// New creates the inspector (e.g. with a static container).
	New func() (*sinsp.Inspector, error)
	// Setup runs before the ring is opened (compile and install rules).
	Setup func(*sinsp.Inspector) error
	// Opened runs once the consumer captures, before the tracer starts
	// (e.g. start writing a capture file).
	Opened func(*sinsp.Inspector) error
	// OnBatch handles every batch read.
	OnBatch func(sinsp.Batch) error
	// Reopen reopens the outputs (SIGUSR1); nil when there are none.
	Reopen func()
	// Alert raises a Critical internal alert (engine restarted, tracer
	// died); nil when there are no outputs.
	Alert func(rule, msg string, fields map[string]string)
}

// runWithConsumer is runWithInspector with every hook: superviseRun in the
// supervisor, runEngine in the engine process.
func runWithConsumer(cliContext *cli.Context, opts tracer.SessionOptions, hooks consumerHooks) error {
	if !isEngineProcess() {
		removeStaleRings("/dev/shm")
		return superviseRun(cliContext.Context, opts, cliContext.Bool("fail-closed"))
	}
	return runEngine(hooks)
}

// printEventsFlags enable the event printer of launch and attach.
var printEventsFlags = []cli.Flag{
	&cli.BoolFlag{Name: "print-events", Usage: "print every event (or those matching the FILTER argument) in sysdig's format to stdout", EnvVars: []string{"FALCO_TRACE_PRINT_EVENTS"}},
	&cli.StringFlag{Name: "print-format", Usage: "sysdig output format for --print-events (default: sysdig's line format)", EnvVars: []string{"FALCO_TRACE_PRINT_FORMAT"}},
	&cli.BoolFlag{Name: "print-json", Usage: "print events as JSON field maps", EnvVars: []string{"FALCO_TRACE_PRINT_JSON"}},
}

// eventPrinter installs the --print-events printer and returns the batch
// handler that writes the printed lines to out.
func eventPrinter(cliContext *cli.Context, filterExpr string, out io.Writer) (func(*sinsp.Inspector) error, func(sinsp.Batch) error) {
	setup := func(insp *sinsp.Inspector) error {
		var filter *sinsp.Filter
		if strings.TrimSpace(filterExpr) != "" {
			f, err := insp.CompileFilter(filterExpr)
			if err != nil {
				return usageErrorf("--print-events filter: %v", err)
			}
			filter = f
		}
		return insp.SetEventPrinter(cliContext.String("print-format"), filter, cliContext.Bool("print-json"))
	}
	onBatch := func(b sinsp.Batch) error {
		for _, line := range b.Printed {
			if _, err := fmt.Fprintln(out, line); err != nil {
				return err
			}
		}
		return nil
	}
	return setup, onBatch
}

// splitFilterAndCommand separates `[FILTER] -- COMMAND...`: when a filter
// precedes "--", the flag parser leaves the "--" in the arguments.
func splitFilterAndCommand(args []string) (filter string, command []string) {
	for i, a := range args {
		if a == "--" {
			return strings.Join(args[:i], " "), args[i+1:]
		}
	}
	return "", args
}
