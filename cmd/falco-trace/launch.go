package main

import "github.com/urfave/cli/v2"

var launchCommand = &cli.Command{
	Name:      "launch",
	Usage:     "Start a command under the tracer and raise Falco alerts while it runs",
	ArgsUsage: "[flags] -- COMMAND [ARG...]",
	Action: func(cliContext *cli.Context) error {
		return notImplemented("launch")
	},
}
