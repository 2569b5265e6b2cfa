package main

import "github.com/urfave/cli/v2"

var replayCommand = &cli.Command{
	Name:      "replay",
	Usage:     "Run the rules over a capture file and print the alerts and the summary",
	ArgsUsage: "[flags] FILE.scap",
	Action: func(cliContext *cli.Context) error {
		return notImplemented("replay")
	},
}
