package main

import (
	"fmt"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/falco-trace/falco-trace/bridge/sinsp"
)

var replayCommand = &cli.Command{
	Name:      "replay",
	Usage:     "Run the rules over a capture file and print the alerts and the summary",
	ArgsUsage: "[flags] FILE.scap",
	Description: "Like 'falco -e FILE': every event of the capture (written by 'launch --capture',\n" +
		"'sysdig -w' or 'sysdig -u -w') goes through the rules; alerts go to the configured\n" +
		"outputs and the end-of-run summary follows.",
	Flags: detectionFlags(),
	Action: func(cliContext *cli.Context) error {
		if cliContext.NArg() != 1 {
			return usageErrorf("replay: expected exactly one capture file, got %d arguments", cliContext.NArg())
		}
		return runReplay(cliContext, cliContext.Args().First())
	},
}

// runReplay evaluates the rules over a capture file until its end.
func runReplay(cliContext *cli.Context, path string) error {
	dopts, err := detectionOptionsFromCLI(cliContext)
	if err != nil {
		return err
	}
	// Like Falco -e: an unreadable capture is an error before anything else
	// runs (no outputs, no summary).
	if err := checkCapture(path); err != nil {
		return &ExitError{Code: 1, Err: err}
	}
	stdout, stderr := cliContext.App.Writer, cliContext.App.ErrWriter
	det, err := newDetection(dopts, stdout, stderr)
	if err != nil {
		return &ExitError{Code: 1, Err: err}
	}
	started := time.Now()
	var last sinsp.Stats
	runErr := func() error {
		insp, err := sinsp.New()
		if err != nil {
			return err
		}
		defer insp.Close()
		if err := det.install(insp); err != nil {
			return err
		}
		if err := insp.OpenFile(path); err != nil {
			return err
		}
		for {
			b, err := insp.Next(batchSize)
			if err != nil {
				return err
			}
			if err := det.handleBatch(b); err != nil {
				return err
			}
			if b.EOF {
				last = insp.Stats()
				return nil
			}
		}
	}()
	det.finish(stdout, stderr, &last, time.Since(started))
	if runErr != nil {
		return &ExitError{Code: 1, Err: runErr}
	}
	return nil
}

// checkCapture opens path as a capture file and closes it again.
func checkCapture(path string) error {
	insp, err := sinsp.New()
	if err != nil {
		return err
	}
	defer insp.Close()
	if err := insp.OpenFile(path); err != nil {
		return fmt.Errorf("%s is not a readable capture file: %w", path, err)
	}
	return nil
}
