package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"

	"github.com/sirupsen/logrus"
	"github.com/urfave/cli/v2"

	"github.com/falco-trace/falco-trace/bridge/tracer"
)

var traceCommand = &cli.Command{
	Name:      "trace",
	Usage:     "Produce udig events only, for an external consumer such as sysdig -u",
	ArgsUsage: "[-p PID | -- COMMAND [ARG...]]",
	Description: "Writes the events into libscap's default udig ring (/dev/shm/udig_buf, udig_descs), like pdig.\n" +
		"Start the consumer first (sysdig -u), events are recorded only while it captures.",
	Flags: append([]cli.Flag{
		&cli.IntFlag{Name: "pid", Aliases: []string{"p"}, Usage: "attach to this running process and its descendants", EnvVars: []string{"FALCO_TRACE_PID"}},
	}, tracerFlags...),
	Action: func(cliContext *cli.Context) error {
		opts, err := tracerOptionsFromCLI(cliContext, cliContext.Int("pid"), cliContext.Args().Slice())
		if err != nil {
			return err
		}
		opts.RingID = "" // libscap's default names: readable by sysdig -u
		return runTraced(cliContext.Context, opts, nil)
	},
}

// tracerFlags are the tracer options shared by trace, launch and attach.
var tracerFlags = []cli.Flag{
	&cli.BoolFlag{Name: "drop-on-full", Usage: "drop events (counted) instead of slowing the workload when the consumer falls behind", EnvVars: []string{"FALCO_TRACE_DROP_ON_FULL"}},
	&cli.BoolFlag{Name: "no-seccomp", Usage: "launch without a seccomp filter: every system call stops (slow; debugging)", EnvVars: []string{"FALCO_TRACE_NO_SECCOMP"}},
	&cli.StringFlag{Name: "cpu-placement", Value: "auto", Usage: "launch: where tracer and workload run. auto: on one CPU (cheap stops) while the workload is not " +
		"compute-bound, on its own CPUs while it is; shared: always on one CPU (the workload sees a one-CPU affinity mask); spread: the workload's CPUs untouched " +
		"(every stop may then wake another vCPU: several times slower on VMs)", EnvVars: []string{"FALCO_TRACE_CPU_PLACEMENT"}},
	&cli.BoolFlag{Name: "pin-cpu", Usage: "same as --cpu-placement shared", EnvVars: []string{"FALCO_TRACE_PIN_CPU"}},
	&cli.BoolFlag{Name: "detach", Usage: "attach: on SIGINT/SIGTERM detach and leave the process running", EnvVars: []string{"FALCO_TRACE_DETACH"}},
	&cli.BoolFlag{Name: "attach-seccomp", Usage: "attach: install a seccomp filter into the traced processes so that only the traced system calls stop (much faster); " +
		"the processes then depend on falco-trace: no --detach, and if falco-trace dies their traced system calls fail with ENOSYS", EnvVars: []string{"FALCO_TRACE_ATTACH_SECCOMP"}},
}

// tracerOptionsFromCLI validates -p PID / COMMAND and builds the tracer options.
func tracerOptionsFromCLI(cliContext *cli.Context, pid int, command []string) (tracer.SessionOptions, error) {
	var opts tracer.SessionOptions
	switch {
	case pid != 0 && len(command) > 0:
		return opts, usageErrorf("give either -p PID or a command, not both")
	case pid != 0:
		if err := validateAttachPID(pid); err != nil {
			return opts, err
		}
		opts.Mode = tracer.Attach
		opts.PID = pid
		opts.DetachOnSignal = cliContext.Bool("detach")
		opts.AttachSeccomp = cliContext.Bool("attach-seccomp")
		if opts.AttachSeccomp && opts.DetachOnSignal {
			return opts, usageErrorf("--detach cannot be combined with --attach-seccomp: a process carrying the seccomp filter " +
				"cannot be detached safely (without a tracer its traced system calls fail with ENOSYS)")
		}
		if !isEngineProcess() { // said once, by the supervisor
			log := logrus.WithField("component", "tracer").WithField("pid", pid)
			if opts.AttachSeccomp {
				log.Info("attaching with --attach-seccomp: a seccomp filter is installed into each process at one of its next system calls; " +
					"the process then depends on falco-trace (no detach; if falco-trace dies its traced system calls fail with ENOSYS)")
			} else {
				log.Info("attaching without a seccomp filter: every system call of the process stops once (slower than launch)")
			}
		}
	case len(command) > 0:
		opts.Mode = tracer.Launch
		opts.Command = command
		if !cliContext.Bool("no-seccomp") {
			filter, err := tracer.DefaultFilter()
			if err != nil {
				return opts, fmt.Errorf("building the seccomp filter: %w", err)
			}
			opts.Filter = filter
		}
	default:
		return opts, usageErrorf("missing COMMAND (after --) or -p PID")
	}
	opts.DropOnFull = cliContext.Bool("drop-on-full")
	placement, err := tracer.ParsePlacement(cliContext.String("cpu-placement"))
	if err != nil {
		return opts, usageErrorf("--cpu-placement (FALCO_TRACE_CPU_PLACEMENT): %v", err)
	}
	if cliContext.Bool("pin-cpu") {
		if cliContext.IsSet("cpu-placement") && placement != tracer.PlaceShared {
			return opts, usageErrorf("--pin-cpu contradicts --cpu-placement %s", placement)
		}
		placement = tracer.PlaceShared
	}
	if opts.Mode == tracer.Attach {
		if cliContext.IsSet("cpu-placement") && placement != tracer.PlaceSpread || cliContext.Bool("pin-cpu") {
			return opts, usageErrorf("--cpu-placement %s is for launch: attach leaves the CPUs of a running process alone", placement)
		}
		placement = tracer.PlaceSpread
	}
	opts.Placement = placement
	opts.Verbose = logrus.IsLevelEnabled(logrus.DebugLevel)
	log := logrus.WithField("component", "tracer")
	opts.Logf = func(level int, msg string) {
		switch level {
		case 0:
			log.Info(msg)
		case 1:
			log.Warn(msg)
		default:
			log.Debug(msg)
		}
	}
	return opts, nil
}

func validateAttachPID(pid int) error {
	if pid <= 0 {
		return usageErrorf("-p %d: not a process id", pid)
	}
	if pid == os.Getpid() || pid == os.Getppid() {
		return usageErrorf("-p %d: cannot trace falco-trace itself or its parent", pid)
	}
	if _, err := os.Stat("/proc/" + strconv.Itoa(pid)); err != nil {
		return &ExitError{Code: 1, Err: fmt.Errorf("-p %d: no such process", pid)}
	}
	return nil
}

// runTraced runs the tracer (and src, the consumer, when not nil) and maps
// the workload's end to the process exit code.
func runTraced(ctx context.Context, opts tracer.SessionOptions, src tracer.EventSource) error {
	if ctx == nil {
		ctx = context.Background()
	}
	res, err := tracer.Run(ctx, opts, src)
	log := logrus.WithField("component", "tracer").WithFields(logrus.Fields{
		"events": res.Events, "drops": res.Drops, "filler_errors": res.FillerErrors, "bad_memory": res.BadMemory,
	})
	if res.Drops > 0 || res.FillerErrors > 0 {
		log.Warn("events were lost: dropped on a full ring (--drop-on-full) or not built by a filler")
	} else {
		log.Debug("tracer finished")
	}
	if err != nil {
		var execErr *tracer.ExecError
		if errors.As(err, &execErr) {
			return &ExitError{Code: execErr.Code, Err: err}
		}
		return &ExitError{Code: 1, Err: err}
	}
	return workloadExit(res)
}

// workloadExit maps how the traced workload ended to falco-trace's exit: its
// own exit code (128+signal when killed), or success when attach detached.
func workloadExit(res tracer.Result) error {
	if res.Detached {
		logrus.WithField("component", "tracer").Info("detached; the process keeps running")
		return nil
	}
	if res.ExitCode != 0 {
		return &ExitError{Code: res.ExitCode}
	}
	return nil
}
