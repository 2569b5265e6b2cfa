package main

import "github.com/urfave/cli/v2"

var versionCommand = &cli.Command{
	Name:      "version",
	Usage:     "Print the versions of falco-trace, the libs, the driver and the event schema",
	ArgsUsage: "",
	Action: func(cliContext *cli.Context) error {
		return notImplemented("version")
	},
}
