package main

import "github.com/urfave/cli/v2"

var validateCommand = &cli.Command{
	Name:      "validate",
	Usage:     "Load and compile rules files and report errors and warnings",
	ArgsUsage: "-r FILE [-r FILE...]",
	Action: func(cliContext *cli.Context) error {
		return notImplemented("validate")
	},
}
