package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"

	"github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"
)

// The detection engine runs in its own process, a re-executed copy of the
// supervisor with the same command line and these variables set: a libsinsp
// crash (or a SIGKILL of the engine) then ends detection only, never the
// workload or the container whose pid 1 is the supervisor (supervise.go).
const (
	// envEngine marks the engine process.
	envEngine = "FALCO_TRACE_ENGINE"
	// envEngineRing is the udig ring id created by the supervisor.
	envEngineRing = "FALCO_TRACE_ENGINE_RING"
	// envEngineRestart is set on a restarted engine: why the previous one
	// ended ("killed by signal 9"), for the Critical internal alert.
	envEngineRestart = "FALCO_TRACE_ENGINE_RESTART"
	// envEngineLost is the number of events the previous engine left
	// unread in the ring when it died (lost: the new consumer resets it).
	envEngineLost = "FALCO_TRACE_ENGINE_LOST"

	// engineCtrlFD (supervisor -> engine): "alert RULE\tMESSAGE" lines; end
	// of file asks the engine to drain the ring and exit.
	engineCtrlFD = 3
	// engineStatusFD (engine -> supervisor): "ready" once capturing,
	// "stop" before a deliberate exit (drop action exit).
	engineStatusFD = 4
)

// engineSignals receives SIGTERM (drain and exit) and SIGUSR1 (reopen the
// outputs) in the engine. It is set up in init, before flags are parsed, so
// the terminal's SIGINT (sent to the whole process group) never ends the
// engine: the supervisor decides when detection stops.
var engineSignals chan os.Signal

func init() {
	if !isEngineProcess() {
		return
	}
	signal.Ignore(unix.SIGINT, unix.SIGQUIT, unix.SIGHUP, unix.SIGUSR2, unix.SIGTSTP, unix.SIGTTIN, unix.SIGTTOU)
	engineSignals = make(chan os.Signal, 8)
	signal.Notify(engineSignals, unix.SIGTERM, unix.SIGUSR1)
}

// isEngineProcess reports whether this process is the detection engine of a
// supervisor.
func isEngineProcess() bool { return os.Getenv(envEngine) == "1" }

// engineRestartMessage is the text of the Critical internal alert a restarted
// engine raises: the rule name, and the message with the reason and the loss.
func engineRestartMessage(reason, lost string) (rule, msg string) {
	rule = "Falco internal: detection restarted"
	msg = fmt.Sprintf("Falco internal: detection restarted after the engine died (%s).", reason)
	if lost != "" && lost != "0" {
		msg += fmt.Sprintf(" %s events left unread in the ring were lost; events of the workload during the restart were not analysed.", lost)
	} else {
		msg += " Events of the workload during the restart were not analysed."
	}
	return rule, msg
}

// runEngine is the consumer half of a supervised launch/attach: open the
// inspector, install the rules (hooks.Setup), capture on the supervisor's
// ring, say "ready", then read batches until the supervisor asks for the end
// (its control pipe closes, or SIGTERM), and drain the ring before returning.
func runEngine(hooks consumerHooks) error {
	ctrl := os.NewFile(engineCtrlFD, "supervisor-control")
	status := os.NewFile(engineStatusFD, "supervisor-status")
	if ctrl == nil || status == nil {
		return errors.New("engine: the supervisor's pipes are missing")
	}
	unix.CloseOnExec(engineCtrlFD)
	unix.CloseOnExec(engineStatusFD)
	defer status.Close()

	insp, err := hooks.New()
	if err != nil {
		return err
	}
	defer insp.Close()
	if hooks.Setup != nil {
		if err := hooks.Setup(insp); err != nil {
			return err
		}
	}
	ringID := os.Getenv(envEngineRing)
	if err := insp.OpenUdig(ringID); err != nil {
		return err
	}
	if hooks.Opened != nil {
		if err := hooks.Opened(insp); err != nil {
			return err
		}
	}
	if reason := os.Getenv(envEngineRestart); reason != "" && hooks.Alert != nil {
		rule, msg := engineRestartMessage(reason, os.Getenv(envEngineLost))
		hooks.Alert(rule, msg, map[string]string{"reason": reason, "lost_events": os.Getenv(envEngineLost)})
	}
	if _, err := status.WriteString("ready\n"); err != nil {
		return fmt.Errorf("engine: telling the supervisor: %w", err)
	}

	type internalAlert struct{ rule, msg, reason string }
	alerts := make(chan internalAlert, 16)
	drain := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(ctrl)
		for sc.Scan() {
			if text, ok := strings.CutPrefix(sc.Text(), "alert "); ok {
				parts := strings.SplitN(text, "\t", 3)
				for len(parts) < 3 {
					parts = append(parts, "")
				}
				alerts <- internalAlert{parts[0], parts[1], parts[2]}
			}
		}
		close(drain)
	}()
	handleAlert := func(a internalAlert) {
		if hooks.Alert != nil {
			hooks.Alert(a.rule, a.msg, map[string]string{"reason": a.reason})
		}
	}
	src := &inspectorSource{insp: insp, onBatch: hooks.OnBatch}
	draining := false
	for {
		select {
		case sig := <-engineSignals:
			if sig == unix.SIGUSR1 {
				if hooks.Reopen != nil {
					hooks.Reopen()
				}
			} else {
				draining = true
			}
		case a := <-alerts:
			handleAlert(a)
		case <-drain:
			draining = true
			drain = nil
		default:
		}
		// The end is decided before the read: a batch that comes back idle
		// after the request proves the ring is empty.
		wasDraining := draining
		idle, err := src.ReadBatch()
		if err != nil {
			var stop *stopDetectionError
			if errors.As(err, &stop) {
				_, _ = status.WriteString("stop\n")
			}
			return err
		}
		if idle && wasDraining {
			break
		}
	}
	for {
		select {
		case a := <-alerts:
			handleAlert(a)
			continue
		default:
		}
		break
	}
	logrus.WithField("component", "engine").WithField("stats", fmt.Sprintf("%+v", insp.Stats())).Debug("consumer finished")
	return nil
}

// stopDetectionError is a deliberate end of detection (Falco's drop action
// "exit"): the supervisor does not restart the engine.
type stopDetectionError struct{ msg string }

func (e *stopDetectionError) Error() string { return e.msg }
