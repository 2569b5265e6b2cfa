package main

import "github.com/urfave/cli/v2"

var listFieldsCommand = &cli.Command{
	Name:      "list-fields",
	Usage:     "List every field libsinsp offers, grouped by class",
	ArgsUsage: "[flags]",
	Action: func(cliContext *cli.Context) error {
		return notImplemented("list-fields")
	},
}
