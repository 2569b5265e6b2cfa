package main

import (
	"os"

	"github.com/urfave/cli/v2"
)

var launchCommand = &cli.Command{
	Name:      "launch",
	Usage:     "Start a command under the tracer and raise Falco alerts while it runs",
	ArgsUsage: "[flags] [--print-events [FILTER]] -- COMMAND [ARG...]",
	Flags:     append(append(append(append([]cli.Flag{}, tracerFlags...), supervisionFlags...), printEventsFlags...), liveDetectionFlags()...),
	Action: func(cliContext *cli.Context) error {
		filterExpr, command := splitFilterAndCommand(cliContext.Args().Slice())
		if filterExpr != "" && !cliContext.Bool("print-events") {
			return usageErrorf("unexpected arguments before --: %q", filterExpr)
		}
		opts, err := tracerOptionsFromCLI(cliContext, 0, command)
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
