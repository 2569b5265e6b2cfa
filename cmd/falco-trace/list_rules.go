package main

import "github.com/urfave/cli/v2"

var listRulesCommand = &cli.Command{
	Name:      "list-rules",
	Usage:     "List the loaded rules",
	ArgsUsage: "[flags]",
	Action: func(cliContext *cli.Context) error {
		return notImplemented("list-rules")
	},
}
