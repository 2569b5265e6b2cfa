package tracer

import (
	"context"
	"errors"
	"os"
	"os/signal"
	"syscall"

	"golang.org/x/sys/unix"
)

// EventSource is the consumer side of a session, already capturing on the
// session's ring before the tracer starts (bridge/sinsp.Inspector adapted by
// the caller). ReadBatch reads and handles one batch of events; idle reports
// that no event was ready (the ring is drained).
type EventSource interface {
	ReadBatch() (idle bool, err error)
}

// Abandoner is implemented by event sources that can stop capturing. Run calls
// Abandon when ReadBatch failed, so that the tracer (which waits for a
// capturing consumer when the ring is full) stops recording instead of
// blocking the workload.
type Abandoner interface {
	Abandon()
}

// SessionOptions add supervision choices to Options.
type SessionOptions struct {
	Options
	// DetachOnSignal (attach): SIGINT/SIGTERM detach the tracer and leave the
	// targets running instead of being forwarded to the target.
	DetachOnSignal bool
	// OnStart is called once the workload runs (or the targets are seized).
	OnStart func(t *Tracer)
}

// Run starts the tracer, forwards signals to the workload, and calls
// src.ReadBatch until the tracer has exited and the ring is drained. src may
// be nil (producer only, e.g. `trace` for an external sysdig -u).
// The returned Result carries the workload's exit code.
func Run(ctx context.Context, opts SessionOptions, src EventSource) (Result, error) {
	sigs := make(chan os.Signal, 2048)
	signal.Notify(sigs)
	defer signal.Stop(sigs)

	t, err := Start(opts.Options)
	if err != nil {
		return Result{}, err
	}
	if opts.OnStart != nil {
		opts.OnStart(t)
	}
	// Signals the terminal sends to the whole foreground process group already
	// reached the workload: forwarding them again would deliver them twice.
	_, ttyErr := unix.IoctlGetTermios(int(os.Stdin.Fd()), unix.TCGETS)
	ttyGroup := ttyErr == nil

	var srcErr error
	tracerDone := false
	ctxDone := ctx.Done()
	// On cancellation (once): detach (attach) or ask the workload to stop.
	cancel := func() {
		if opts.Mode == Attach {
			_ = t.Detach()
		} else {
			_ = t.Signal(unix.SIGTERM)
		}
	}
	for {
		select {
		case sig := <-sigs:
			handleSignal(t, sig, opts, ttyGroup)
			continue
		case <-ctxDone:
			ctxDone = nil
			cancel()
		default:
		}
		if !tracerDone {
			select {
			case <-t.Done():
				tracerDone = true
			default:
			}
		}
		if src == nil || srcErr != nil {
			if tracerDone {
				break
			}
			select {
			case sig := <-sigs:
				handleSignal(t, sig, opts, ttyGroup)
			case <-t.Done():
			case <-ctxDone:
				ctxDone = nil
				cancel()
			}
			continue
		}
		idle, err := src.ReadBatch()
		if err != nil {
			// The consumer failing must not kill or block the workload: stop
			// capturing and keep supervising.
			srcErr = err
			if a, ok := src.(Abandoner); ok {
				a.Abandon()
			}
			continue
		}
		if idle && tracerDone {
			break
		}
	}
	res, err := t.Wait()
	if err == nil && srcErr != nil {
		err = srcErr
	}
	return res, err
}

func handleSignal(t *Tracer, sig os.Signal, opts SessionOptions, ttyGroup bool) {
	s, ok := sig.(syscall.Signal)
	if !ok {
		return
	}
	switch s {
	case unix.SIGURG, unix.SIGCHLD, unix.SIGPIPE, unix.SIGWINCH:
		return
	}
	if opts.Mode == Attach && opts.DetachOnSignal && (s == unix.SIGINT || s == unix.SIGTERM) {
		_ = t.Detach()
		return
	}
	if ttyGroup && (s == unix.SIGINT || s == unix.SIGQUIT || s == unix.SIGTSTP) && opts.Mode == Launch {
		return
	}
	if err := t.Signal(s); err != nil && !errors.Is(err, unix.ESRCH) {
		return
	}
}

// ForwardSignal passes sig on as Run does: to the workload (launch) or the
// target (attach; SIGINT/SIGTERM detach with DetachOnSignal), skipping the
// signals a terminal already sent to the whole process group (ttyGroup, see
// InTerminalGroup). For supervisors that run their own loop around Start.
func ForwardSignal(t *Tracer, sig os.Signal, opts SessionOptions, ttyGroup bool) {
	handleSignal(t, sig, opts, ttyGroup)
}

// InTerminalGroup reports whether stdin is a terminal: the terminal's
// signals (SIGINT, SIGQUIT, SIGTSTP) then reach the workload directly.
func InTerminalGroup() bool {
	_, err := unix.IoctlGetTermios(int(os.Stdin.Fd()), unix.TCGETS)
	return err == nil
}
