package main

import "github.com/urfave/cli/v2"

var attachCommand = &cli.Command{
	Name:      "attach",
	Usage:     "Trace a running process, its threads and descendants, and raise Falco alerts",
	ArgsUsage: "[flags] -p PID",
	Action: func(cliContext *cli.Context) error {
		return notImplemented("attach")
	},
}
