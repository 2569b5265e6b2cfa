package main

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/sirupsen/logrus"
	"github.com/urfave/cli/v2"
	"golang.org/x/sys/unix"

	"github.com/falco-trace/falco-trace/bridge/sinsp"
	"github.com/falco-trace/falco-trace/bridge/tracer"
)

// supervisionFlags choose what happens when detection dies (launch, attach).
var supervisionFlags = []cli.Flag{
	&cli.BoolFlag{Name: "fail-closed", Usage: "kill the workload (SIGKILL) when the detection engine dies; by default (fail-open) the engine is restarted, the workload keeps running and a Critical alert reports the gap", EnvVars: []string{"FALCO_TRACE_FAIL_CLOSED"}},
}

const (
	// maxEngineRestarts within engineRestartWindow; one more death and the
	// workload runs on without detection (fail-open) rather than loop.
	maxEngineRestarts   = 5
	engineRestartWindow = time.Minute
	// reapInterval is how often orphans are reaped when no SIGCHLD says so.
	reapInterval = time.Second
)

// engineProc is one detection engine process (engine.go).
type engineProc struct {
	cmd   *exec.Cmd
	ctrl  *os.File      // write end of the control pipe; closing it asks for the drain
	ready chan struct{} // closed when the engine captures
	done  chan struct{} // closed once the process is reaped
	// stopped: the engine announced a deliberate end (drop action exit).
	stopped atomic.Bool
	state   *os.ProcessState
}

// startEngine re-executes this binary with the same command line in engine
// mode. restartReason and lost are empty for the first engine.
func startEngine(ringID, restartReason string, lost uint64) (*engineProc, error) {
	exe, err := os.Executable()
	if err != nil {
		exe = "/proc/self/exe"
	}
	ctrlRd, ctrlWr, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("engine control pipe: %w", err)
	}
	statusRd, statusWr, err := os.Pipe()
	if err != nil {
		ctrlRd.Close()
		ctrlWr.Close()
		return nil, fmt.Errorf("engine status pipe: %w", err)
	}
	env := append(os.Environ(), envEngine+"=1", envEngineRing+"="+ringID)
	if restartReason != "" {
		env = append(env, envEngineRestart+"="+restartReason, envEngineLost+"="+strconv.FormatUint(lost, 10))
	}
	cmd := &exec.Cmd{
		Path:       exe,
		Args:       os.Args,
		Env:        env,
		Stdout:     os.Stdout,
		Stderr:     os.Stderr,
		ExtraFiles: []*os.File{ctrlRd, statusWr}, // fds 3 and 4: engineCtrlFD, engineStatusFD
	}
	if err := cmd.Start(); err != nil {
		ctrlRd.Close()
		ctrlWr.Close()
		statusRd.Close()
		statusWr.Close()
		return nil, fmt.Errorf("starting the detection engine: %w", err)
	}
	ctrlRd.Close()
	statusWr.Close()
	e := &engineProc{cmd: cmd, ctrl: ctrlWr, ready: make(chan struct{}), done: make(chan struct{})}
	go func() {
		sc := bufio.NewScanner(statusRd)
		readyClosed := false
		for sc.Scan() {
			switch sc.Text() {
			case "ready":
				if !readyClosed {
					close(e.ready)
					readyClosed = true
				}
			case "stop":
				e.stopped.Store(true)
			}
		}
		statusRd.Close()
		_ = cmd.Wait()
		e.state = cmd.ProcessState
		ctrlWr.Close()
		close(e.done)
	}()
	return e, nil
}

func (e *engineProc) pid() int { return e.cmd.Process.Pid }

// killedBy reports whether the engine ended on signal sig.
func (e *engineProc) killedBy(sig syscall.Signal) bool {
	ws, ok := e.state.Sys().(syscall.WaitStatus)
	return ok && ws.Signaled() && ws.Signal() == sig
}

// restartBudget allows at most maxEngineRestarts restarts within
// engineRestartWindow.
type restartBudget struct{ at []time.Time }

// allow records a restart at now and reports whether it is within budget.
func (b *restartBudget) allow(now time.Time) bool {
	kept := b.at[:0]
	for _, t := range b.at {
		if now.Sub(t) < engineRestartWindow {
			kept = append(kept, t)
		}
	}
	b.at = kept
	if len(b.at) >= maxEngineRestarts {
		return false
	}
	b.at = append(b.at, now)
	return true
}

// endReason describes how a reaped engine ended, e.g. "killed by signal 9".
func (e *engineProc) endReason() string {
	if e.state == nil {
		return "unknown"
	}
	if ws, ok := e.state.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return fmt.Sprintf("killed by signal %d, %s", int(ws.Signal()), unix.SignalName(ws.Signal()))
	}
	return fmt.Sprintf("exit status %d", e.state.ExitCode())
}

// alert asks the engine to raise a Critical internal alert.
func (e *engineProc) alert(rule, msg, reason string) {
	clean := func(s string) string { return strings.NewReplacer("\n", " ", "\t", " ").Replace(s) }
	line := "alert " + clean(rule) + "\t" + clean(msg) + "\t" + clean(reason) + "\n"
	_, _ = e.ctrl.WriteString(line)
}

// reaper collects orphans reparented to this process (pid 1 of a container,
// or a subreaper) without taking the exit status of our own children: only
// exited children that are not in known are reaped.
type reaper struct{ known map[int]bool }

// reap collects every exited orphan; it stops at an exited child of ours
// whose own Wait has not run yet (retried at the next tick).
func (r *reaper) reap() int {
	n := 0
	for {
		pid := peekExitedChild()
		if pid <= 0 || r.known[pid] {
			return n
		}
		var ws unix.WaitStatus
		if got, err := unix.Wait4(pid, &ws, unix.WNOHANG, nil); err != nil || got != pid {
			return n
		}
		n++
	}
}

// supervisor is the state of one supervised launch/attach.
type supervisor struct {
	opts       tracer.SessionOptions
	failClosed bool
	ringID     string
	log        *logrus.Entry
	reaper     *reaper
	engine     *engineProc // nil: no detection (given up, stopped, killed)
	restarts   restartBudget
	// tracerRestarts: attach-mode tracers started again after dying.
	tracerRestarts restartBudget
	// failedClosed: the workload was killed because detection died.
	failedClosed error
	// detectionLost: detection ended before the workload (fail-open).
	detectionLost bool
	// engineStopped: the engine ended deliberately (drop action exit).
	engineStopped bool
}

// superviseRun is launch and attach: start the engine, wait until it
// captures, start the tracer, forward signals, reap orphans, restart the
// engine if it dies (fail-open) or kill the workload (fail-closed); when the
// workload ends, let the engine drain the ring and flush its outputs, then
// return the workload's exit status.
func superviseRun(ctx context.Context, opts tracer.SessionOptions, failClosed bool) error {
	if ctx == nil {
		ctx = context.Background()
	}
	s := &supervisor{
		opts: opts, failClosed: failClosed, ringID: newRingID(),
		log:    logrus.WithField("component", "supervisor"),
		reaper: &reaper{known: map[int]bool{}},
	}
	s.opts.RingID = s.ringID
	defer func() {
		if err := sinsp.RemoveRing(s.ringID); err != nil {
			s.log.WithError(err).Warn("removing the udig ring")
		}
	}()
	sigs := make(chan os.Signal, 2048)
	signal.Notify(sigs)
	defer signal.Stop(sigs)

	eng, err := startEngine(s.ringID, "", 0)
	if err != nil {
		return &ExitError{Code: 1, Err: err}
	}
	s.engine = eng
	s.reaper.known[eng.pid()] = true
	// Configuration and rules are checked by the engine before it captures:
	// a mistake ends the run here, before the workload starts.
	for waiting := true; waiting; {
		select {
		case <-eng.ready:
			waiting = false
		case <-eng.done:
			delete(s.reaper.known, eng.pid())
			if ws, ok := eng.state.Sys().(syscall.WaitStatus); ok && ws.Exited() && ws.ExitStatus() != 0 {
				return &ExitError{Code: ws.ExitStatus()} // the engine printed why
			}
			return &ExitError{Code: 1, Err: fmt.Errorf("the detection engine ended before capturing (%s)", eng.endReason())}
		case sig := <-sigs:
			if code, stop := s.signalBeforeStart(sig); stop {
				_ = eng.cmd.Process.Kill()
				<-eng.done
				return &ExitError{Code: code}
			}
		}
	}

	t, err := tracer.Start(s.opts.Options)
	if err != nil {
		s.drainEngine(sigs, nil)
		var execErr *tracer.ExecError
		if errors.As(err, &execErr) {
			return &ExitError{Code: execErr.Code, Err: err}
		}
		return &ExitError{Code: 1, Err: err}
	}
	s.reaper.known[t.TracerPID()] = true
	if s.opts.OnStart != nil {
		s.opts.OnStart(t)
	}
	ttyGroup := tracer.InTerminalGroup()
	tick := time.NewTicker(reapInterval)
	defer tick.Stop()
	ctxDone := ctx.Done()
	for running := true; running; {
		var engineDone <-chan struct{}
		if s.engine != nil {
			engineDone = s.engine.done
		}
		select {
		case sig := <-sigs:
			s.handleSignal(t, sig, ttyGroup)
		case <-tick.C:
			s.reaper.reap()
		case <-engineDone:
			s.engineDied(t)
		case <-t.Done():
			if next := s.reattach(t); next != nil {
				t = next
				continue
			}
			running = false
		case <-ctxDone:
			ctxDone = nil
			if s.opts.Mode == tracer.Attach {
				_ = t.Detach()
			} else {
				_ = t.Signal(unix.SIGTERM)
			}
		}
	}
	res, terr := t.Wait()
	delete(s.reaper.known, t.TracerPID())
	tracerDied := terr != nil && errors.Is(terr, tracer.ErrTracerDied)
	if tracerDied && s.failedClosed == nil {
		// Launch: the workload died with its tracer. Attach: re-attaching
		// failed or was not possible.
		s.reportTracerDeath(terr)
	}
	s.drainEngine(sigs, t)
	s.reaper.reap()
	return s.exitStatus(res, terr, tracerDied)
}

// signalBeforeStart: before the workload exists, a stop signal ends the run
// with 128+signal; others are ignored.
func (s *supervisor) signalBeforeStart(sig os.Signal) (int, bool) {
	ss, ok := sig.(syscall.Signal)
	if !ok {
		return 0, false
	}
	switch ss {
	case unix.SIGINT, unix.SIGTERM, unix.SIGHUP, unix.SIGQUIT:
		return 128 + int(ss), true
	case unix.SIGCHLD:
		s.reaper.reap()
	}
	return 0, false
}

func (s *supervisor) handleSignal(t *tracer.Tracer, sig os.Signal, ttyGroup bool) {
	switch sig {
	case unix.SIGCHLD:
		s.reaper.reap()
		return
	case unix.SIGUSR1:
		// Falco reopens its outputs on SIGUSR1 (log rotation); the workload
		// gets it too, as every forwarded signal.
		if s.engine != nil {
			_ = s.engine.cmd.Process.Signal(unix.SIGUSR1)
		}
	}
	tracer.ForwardSignal(t, sig, s.opts, ttyGroup)
}

// engineDied handles the end of the engine while the workload runs.
func (s *supervisor) engineDied(t *tracer.Tracer) {
	eng := s.engine
	s.engine = nil
	delete(s.reaper.known, eng.pid())
	reason := eng.endReason()
	if !eng.stopped.Load() {
		// The dead engine left its pid as the ring's consumer: mark the
		// ring stopped so the tracer neither writes into it nor waits for
		// room (it counts these events as dropped) until the next engine
		// resets the ring and captures.
		if err := stopRing(s.ringID); err != nil {
			s.log.WithError(err).Warn("marking the ring stopped")
		}
	}
	if eng.stopped.Load() {
		s.engineStopped = true
		s.log.Warn("detection stopped (syscall_event_drops action exit); the workload keeps running without detection")
		if s.failClosed {
			s.killWorkload(t, "detection stopped (drop action exit)")
		}
		return
	}
	if s.failClosed {
		s.log.WithField("engine", reason).Error("CRITICAL: the detection engine died; --fail-closed: killing the workload")
		s.killWorkload(t, "the detection engine died ("+reason+")")
		return
	}
	if eng.killedBy(unix.SIGPIPE) {
		// Its stdout was closed (e.g. `| head`): a new engine would die the
		// same way. Nobody reads the alerts any more; the workload goes on.
		s.detectionLost = true
		s.log.Warn("the detection engine's output was closed (SIGPIPE); detection stopped, the workload keeps running")
		return
	}
	if !s.restarts.allow(time.Now()) {
		s.detectionLost = true
		s.log.WithField("engine", reason).WithField("restarts", maxEngineRestarts).
			Error("CRITICAL: the detection engine keeps dying; detection stopped, the workload keeps running without it (fail-open)")
		return
	}
	lost := unreadRingEvents(s.ringID)
	s.log.WithFields(logrus.Fields{"engine": reason, "lost_events": lost}).
		Error("CRITICAL: the detection engine died; restarting it, the workload keeps running (fail-open)")
	next, err := startEngine(s.ringID, reason, lost)
	if err != nil {
		s.detectionLost = true
		s.log.WithError(err).Error("CRITICAL: cannot restart the detection engine; the workload keeps running without detection")
		return
	}
	s.engine = next
	s.reaper.known[next.pid()] = true
}

// reattach handles the death of an attach-mode tracer: the kernel detached
// the target, which keeps running. Fail-open: a new tracer seizes it again
// (bounded like engine restarts). Fail-closed: the target is killed. It
// returns the new tracer, or nil when the run ends.
func (s *supervisor) reattach(t *tracer.Tracer) *tracer.Tracer {
	if s.opts.Mode != tracer.Attach {
		return nil
	}
	_, terr := t.Wait()
	if terr == nil || !errors.Is(terr, tracer.ErrTracerDied) {
		return nil
	}
	delete(s.reaper.known, t.TracerPID())
	if s.failClosed {
		s.log.WithError(terr).Error("CRITICAL: the tracer died; --fail-closed: killing the attached process")
		s.killWorkload(t, terr.Error())
		return nil
	}
	if unix.Kill(s.opts.PID, 0) != nil {
		return nil // the target ended too
	}
	if !s.tracerRestarts.allow(time.Now()) {
		return nil
	}
	reason := strings.TrimPrefix(terr.Error(), tracer.ErrTracerDied.Error()+": ")
	msg := fmt.Sprintf("Falco internal: the tracer died (%s); attaching to process %d again, its system calls in between were not seen.", reason, s.opts.PID)
	s.log.Error("CRITICAL: " + msg)
	if s.engine != nil {
		s.engine.alert("Falco internal: tracer restarted", msg, reason)
	}
	next, err := tracer.Start(s.opts.Options)
	if err != nil {
		s.log.WithError(err).Error("CRITICAL: cannot attach again; the process keeps running without detection")
		return nil
	}
	s.reaper.known[next.TracerPID()] = true
	return next
}

// killWorkload ends the workload with SIGKILL (fail-closed).
func (s *supervisor) killWorkload(t *tracer.Tracer, why string) {
	s.failedClosed = fmt.Errorf("%s: the workload was killed (--fail-closed)", why)
	if err := unix.Kill(t.PID(), unix.SIGKILL); err != nil && !errors.Is(err, unix.ESRCH) {
		s.log.WithError(err).Error("killing the workload")
	}
	// In launch mode the tracer then exits and PTRACE_O_EXITKILL takes the
	// rest of the workload's tree with it.
}

// reportTracerDeath: without its tracer a launched workload cannot run (its
// traced system calls would fail with ENOSYS; PTRACE_O_EXITKILL kills it),
// so tracer death is never fail-open in launch mode.
func (s *supervisor) reportTracerDeath(err error) {
	var msg string
	reason := strings.TrimPrefix(err.Error(), tracer.ErrTracerDied.Error()+": ")
	if s.opts.Mode == tracer.Launch {
		msg = fmt.Sprintf("Falco internal: %v; the workload was killed with it (a traced workload cannot run without its tracer).", err)
	} else {
		msg = fmt.Sprintf("Falco internal: %v; the attached process keeps running without detection.", err)
	}
	s.log.Error("CRITICAL: " + msg)
	if s.engine != nil {
		s.engine.alert("Falco internal: tracer died", msg, reason)
	}
}

// drainEngine asks the engine to process what is left in the ring, flush
// its outputs and exit, and waits for it while forwarding nothing (the
// workload is gone) and reaping orphans.
func (s *supervisor) drainEngine(sigs chan os.Signal, t *tracer.Tracer) {
	eng := s.engine
	if eng == nil {
		return
	}
	_ = eng.ctrl.Close()
	tick := time.NewTicker(reapInterval)
	defer tick.Stop()
	for {
		select {
		case <-eng.done:
			delete(s.reaper.known, eng.pid())
			if eng.stopped.Load() {
				s.engineStopped = true
			} else if ws, ok := eng.state.Sys().(syscall.WaitStatus); ok && !(ws.Exited() && ws.ExitStatus() == 0) {
				s.detectionLost = true
				s.log.WithField("engine", eng.endReason()).Error("CRITICAL: the detection engine failed while draining the ring")
			}
			return
		case sig := <-sigs:
			if sig == unix.SIGCHLD {
				s.reaper.reap()
			}
		case <-tick.C:
			s.reaper.reap()
		}
	}
}

// exitStatus maps the end of the run to the exit code: the workload's, 128+9
// when it was killed with its tracer or by --fail-closed; 1 when the workload
// succeeded but detection stopped on its own (drop action exit).
func (s *supervisor) exitStatus(res tracer.Result, terr error, tracerDied bool) error {
	log := logrus.WithField("component", "tracer").WithFields(logrus.Fields{
		"events": res.Events, "drops": res.Drops, "filler_errors": res.FillerErrors, "bad_memory": res.BadMemory,
	})
	if res.Drops > 0 || res.FillerErrors > 0 {
		log.Warn("events were lost: dropped on a full ring (--drop-on-full), while no engine captured, or not built by a filler")
	} else {
		log.Debug("tracer finished")
	}
	if s.failedClosed != nil {
		return &ExitError{Code: 128 + int(unix.SIGKILL), Err: s.failedClosed}
	}
	if terr != nil {
		var execErr *tracer.ExecError
		if errors.As(terr, &execErr) {
			return &ExitError{Code: execErr.Code, Err: terr}
		}
		if tracerDied && s.opts.Mode == tracer.Launch {
			return &ExitError{Code: 128 + int(unix.SIGKILL), Err: terr}
		}
		return &ExitError{Code: 1, Err: terr}
	}
	if err := workloadExit(res); err != nil || res.Detached {
		return err
	}
	if s.engineStopped {
		return &ExitError{Code: 1}
	}
	return nil
}

// stopRing sets m_stopped in the ring's status (udig_descs: the 48-byte
// ppm_ring_buffer_info, then udig_ring_buffer_status with m_stopped at 16,
// tracer-facts.md §1.2). libscap clears it when the next consumer begins.
func stopRing(ringID string) error {
	_, descsPath, err := sinsp.RingObjectPaths(ringID)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(descsPath, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = f.WriteAt([]byte{1, 0, 0, 0}, 48+16)
	return err
}

// unreadRingEvents counts the records between tail and head of the ring
// (left by a dead consumer, lost when the next one resets the ring) plus the
// producer's drops since that consumer began. A snapshot: the tracer keeps
// writing, so the loss is at least this.
func unreadRingEvents(ringID string) uint64 {
	bufPath, descsPath, err := sinsp.RingObjectPaths(ringID)
	if err != nil {
		return 0
	}
	descs, err := os.ReadFile(descsPath)
	if err != nil || len(descs) < 24 {
		return 0
	}
	le := binary.LittleEndian
	head, tail, drops := le.Uint32(descs[0:]), le.Uint32(descs[4:]), le.Uint64(descs[16:])
	buf, err := os.ReadFile(bufPath)
	if err != nil || len(buf) == 0 {
		return drops
	}
	size := uint32(len(buf))
	var n uint64
	for pos := tail % size; pos != head%size && n < uint64(size); n++ {
		var lenBytes [4]byte
		for i := uint32(0); i < 4; i++ {
			lenBytes[i] = buf[(pos+16+i)%size]
		}
		l := le.Uint32(lenBytes[:])
		if l < 26 || l > size {
			break // torn or corrupt: stop counting
		}
		pos = (pos + l) % size
	}
	return n + drops
}
