package main

import "github.com/urfave/cli/v2"

var describeCommand = &cli.Command{
	Name:      "describe",
	Usage:     "Describe one rule",
	ArgsUsage: "[flags] RULE",
	Action: func(cliContext *cli.Context) error {
		return notImplemented("describe")
	},
}
