package main

import (
	"os"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"
)

var attachCommand = &cli.Command{
	Name:      "attach",
	Usage:     "Trace a running process, its threads and descendants, and raise Falco alerts",
	ArgsUsage: "[flags] -p PID [--print-events [FILTER]]",
	Flags: append(append(append(append([]cli.Flag{
		&cli.IntFlag{Name: "pid", Aliases: []string{"p"}, Usage: "process to trace (with its threads and descendants)", EnvVars: []string{"FALCO_TRACE_PID"}},
	}, tracerFlags...), supervisionFlags...), printEventsFlags...), liveDetectionFlags()...),
	Action: func(cliContext *cli.Context) error {
		pid := cliContext.Int("pid")
		args := cliContext.Args().Slice()
		if pid == 0 && len(args) > 0 {
			// `attach PID` is accepted too.
			if n, err := strconv.Atoi(args[0]); err == nil {
				pid, args = n, args[1:]
			}
		}
		if pid == 0 {
			return usageErrorf("missing -p PID")
		}
		filterExpr := strings.Join(args, " ")
		if filterExpr != "" && !cliContext.Bool("print-events") {
			return usageErrorf("unexpected arguments: %q", filterExpr)
		}
		opts, err := tracerOptionsFromCLI(cliContext, pid, nil)
		if err != nil {
			return err
		}
		if !cliContext.Bool("print-events") {
			return runDetection(cliContext, opts)
		}
		setup, onBatch := eventPrinter(cliContext, filterExpr, os.Stdout)
		return runWithInspector(cliContext, opts, setup, onBatch)
	},
}
