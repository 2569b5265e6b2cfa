package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/sirupsen/logrus"
	"github.com/urfave/cli/v2"
)

// Version is set at build time with -ldflags "-X main.Version=...".
var Version = "0.1.0-dev"

func newApp() *cli.App {
	app := &cli.App{
		Name:  "falco-trace",
		Usage: "Falco runtime security for containers without kernel access (ptrace + seccomp)",
		Description: "falco-trace traces a workload from userspace, turns its system calls into Falco events\n" +
			"with the upstream driver fillers and libsinsp, and evaluates Falco rules on them.",
		Version:                Version,
		HideVersion:            true,
		UseShortOptionHandling: true,
		Flags: []cli.Flag{
			&cli.StringFlag{
				Name:    "log-level",
				Value:   "info",
				Usage:   "log level: trace, debug, info, warning, error, fatal",
				EnvVars: []string{"FALCO_TRACE_LOG_LEVEL"},
			},
			&cli.StringFlag{
				Name:    "log-format",
				Value:   "text",
				Usage:   "log format: text or json",
				EnvVars: []string{"FALCO_TRACE_LOG_FORMAT"},
			},
			&cli.StringFlag{
				Name:    "log-output",
				Usage:   "write logs to this file instead of stderr",
				EnvVars: []string{"FALCO_TRACE_LOG_OUTPUT"},
			},
		},
		Before: configureLogging,
		Commands: []*cli.Command{
			launchCommand,
			attachCommand,
			traceCommand,
			replayCommand,
			validateCommand,
			listRulesCommand,
			describeCommand,
			listFieldsCommand,
			versionCommand,
		},
		// Errors are returned to main, which exits exactly once after cleanup.
		ExitErrHandler: func(*cli.Context, error) {},
		OnUsageError: func(cliContext *cli.Context, err error, isSubcommand bool) error {
			return &UsageError{Err: err}
		},
		// Without a known command the root action runs: it reports the
		// unknown name as a usage error (exit 2) instead of printing help and
		// exiting 0.
		Action: func(cliContext *cli.Context) error {
			if cliContext.NArg() == 0 {
				_ = cli.ShowAppHelp(cliContext)
				return usageErrorf("no command given")
			}
			return usageErrorf("unknown command %q; run 'falco-trace --help' for the list", cliContext.Args().First())
		},
		Writer:    os.Stdout,
		ErrWriter: os.Stderr,
	}
	for _, command := range app.Commands {
		command.OnUsageError = app.OnUsageError
	}
	return app
}

// configureLogging sets up logrus once: logs go to stderr (or a file), never to
// stdout, which belongs to the workload and to alerts.
func configureLogging(cliContext *cli.Context) error {
	level, err := logrus.ParseLevel(cliContext.String("log-level"))
	if err != nil {
		return usageErrorf("--log-level: %v", err)
	}
	logrus.SetLevel(level)
	switch strings.ToLower(cliContext.String("log-format")) {
	case "text":
		logrus.SetFormatter(&logrus.TextFormatter{FullTimestamp: true})
	case "json":
		logrus.SetFormatter(&logrus.JSONFormatter{})
	default:
		return usageErrorf("--log-format: %q is not text or json", cliContext.String("log-format"))
	}
	var out io.Writer = os.Stderr
	if path := cliContext.String("log-output"); path != "" {
		f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return fmt.Errorf("--log-output: %w", err)
		}
		out = f
	}
	logrus.SetOutput(out)
	return nil
}
