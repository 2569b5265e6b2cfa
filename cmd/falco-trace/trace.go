package main

import "github.com/urfave/cli/v2"

var traceCommand = &cli.Command{
	Name:      "trace",
	Usage:     "Produce udig events only, for an external consumer such as sysdig -u",
	ArgsUsage: "[-p PID | -- COMMAND [ARG...]]",
	Action: func(cliContext *cli.Context) error {
		return notImplemented("trace")
	},
}
