package stats

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Capture is a snapshot of the capture counters (scap_stats) the drop
// monitor needs. Counters are cumulative since the capture opened. Events
// counts every event the producer saw, dropped ones included (the kernel
// driver and the udig producer both increment it before writing).
type Capture struct {
	Events          uint64
	Drops           uint64
	DropsBuffer     uint64
	DropsScratchMap uint64
	DropsPF         uint64
	DropsBug        uint64
}

func (c Capture) sub(prev Capture) Capture {
	return Capture{
		Events:          c.Events - prev.Events,
		Drops:           c.Drops - prev.Drops,
		DropsBuffer:     c.DropsBuffer - prev.DropsBuffer,
		DropsScratchMap: c.DropsScratchMap - prev.DropsScratchMap,
		DropsPF:         c.DropsPF - prev.DropsPF,
		DropsBug:        c.DropsBug - prev.DropsBug,
	}
}

// DropActions is the set of syscall_event_drops actions.
type DropActions uint8

const (
	DropIgnore DropActions = 1 << iota
	DropLog
	DropAlert
	DropExit
)

// Has reports whether every action of a is in s.
func (s DropActions) Has(a DropActions) bool { return s&a == a }

func (s DropActions) String() string {
	var names []string
	for _, a := range []struct {
		bit  DropActions
		name string
	}{{DropIgnore, "ignore"}, {DropLog, "log"}, {DropAlert, "alert"}, {DropExit, "exit"}} {
		if s.Has(a.bit) {
			names = append(names, a.name)
		}
	}
	return "[" + strings.Join(names, ", ") + "]"
}

// ErrDropActions is wrapped by ParseDropActions errors.
var ErrDropActions = errors.New("invalid syscall event drop actions")

type dropActionError struct{ msg string }

func (e *dropActionError) Error() string { return e.msg }
func (e *dropActionError) Unwrap() error { return ErrDropActions }

// ParseDropActions parses syscall_event_drops.actions like Falco: log and
// alert may not follow ignore (ignore after them is accepted, as in
// Falco), an unknown name is an error, and an empty list means ignore. The
// messages are Falco's, without its "Error reading config file (f): "
// prefix.
func ParseDropActions(names []string) (DropActions, error) {
	var s DropActions
	for _, n := range names {
		switch n {
		case "ignore":
			s |= DropIgnore
		case "log", "alert":
			if s.Has(DropIgnore) {
				return 0, &dropActionError{fmt.Sprintf("syscall event drop action %q does not make sense with the \"ignore\" action", n)}
			}
			if n == "log" {
				s |= DropLog
			} else {
				s |= DropAlert
			}
		case "exit":
			s |= DropExit
		default:
			return 0, &dropActionError{`available actions for syscall event drops are "ignore", "log", "alert", and "exit"`}
		}
	}
	if s == 0 {
		s = DropIgnore
	}
	return s, nil
}

// DropConfig is syscall_event_drops.
type DropConfig struct {
	// Threshold: actions run when drops/events in the last second exceed
	// it (in [0,1]).
	Threshold float64
	Actions   DropActions
	// Rate and MaxBurst are the token bucket limiting how often actions
	// run: Rate tokens per second, at most MaxBurst, one per action run.
	Rate     float64
	MaxBurst float64
	// Simulate adds one drop at every check and forces the threshold to 0
	// (simulate_drops, for testing the actions).
	Simulate bool
}

// DefaultDropConfig is Falco's code default (actions ignore).
func DefaultDropConfig() DropConfig {
	return DropConfig{Threshold: .1, Actions: DropIgnore, Rate: .03333, MaxBurst: 1}
}

// DropRule is the rule name of the drop internal alert.
const DropRule = "Falco internal: syscall event drop"

// DropDecision is the outcome of one per-second check that found drops
// above the threshold and was allowed by the token bucket.
type DropDecision struct {
	// TimeNS is the event time of the check (the alert's time).
	TimeNS int64
	// Delta is the change of the counters over the checked interval
	// (including the simulated drop).
	Delta Capture
	// Log, Alert and Exit are the actions to run, in this order: Log
	// logs Message, Alert emits the internal alert (Rule, Message, Fields),
	// Exit logs Message and "Exiting." at critical level and ends the run
	// with exit code 1.
	Log, Alert, Exit bool
	Rule             string
	Message          string
	// Fields are the internal alert's output fields (string values, as
	// Falco's map<string,string>).
	Fields map[string]string
}

// DropMonitor is Falco's syscall_evt_drop_mgr. Feed it the capture
// counters with the time of the latest event (Observe); at most once per
// second of event time it compares the counters with the previous check.
// It is not safe for concurrent use.
type DropMonitor struct {
	cfg       DropConfig
	bucket    TokenBucket
	last      Capture
	nextCheck int64
	started   bool
	detected  uint64
	actions   uint64
}

// NewDropMonitor starts a monitor whose counters begin at baseline (the
// counters when the capture opened; zero for a fresh udig ring).
func NewDropMonitor(cfg DropConfig, baseline Capture) *DropMonitor {
	if cfg.Simulate {
		cfg.Threshold = 0
	}
	return &DropMonitor{cfg: cfg, bucket: NewTokenBucket(cfg.Rate, cfg.MaxBurst), last: baseline}
}

const nsPerSecond = int64(1e9)

// Observe checks the counters cur at event time nowNS (nanoseconds since
// the epoch). It returns a decision when drops above the threshold were
// found and the token bucket allowed acting; nil otherwise.
//
// Falco's timing is reproduced: the first event arms the check one second
// later; a check happens at the first event strictly after that, and the
// next one a second after it. The ratio is drops/events of the interval
// (events include drops); an interval with drops but no events is ignored
// unless drops are simulated.
func (m *DropMonitor) Observe(nowNS int64, cur Capture) *DropDecision {
	if !m.started {
		m.started = true
		m.nextCheck = nowNS + nsPerSecond
	}
	if nowNS <= m.nextCheck {
		return nil
	}
	m.nextCheck = nowNS + nsPerSecond
	delta := cur.sub(m.last)
	m.last = cur
	if m.cfg.Simulate {
		delta.Drops++
	}
	if !m.cfg.Simulate && (delta.Drops == 0 || delta.Events == 0) {
		return nil
	}
	// With simulated drops and no events this is +Inf, above any threshold.
	ratio := float64(delta.Drops) / float64(delta.Events)
	if !(ratio > m.cfg.Threshold) {
		return nil
	}
	m.detected++
	if !m.bucket.Claim(nowNS) {
		return nil
	}
	m.actions++
	msg := DropRule + ". " + strconv.FormatUint(delta.Drops, 10) + " system calls dropped in last second."
	d := &DropDecision{
		TimeNS:  nowNS,
		Delta:   delta,
		Log:     m.cfg.Actions.Has(DropLog),
		Alert:   m.cfg.Actions.Has(DropAlert),
		Exit:    m.cfg.Actions.Has(DropExit),
		Rule:    DropRule,
		Message: msg,
	}
	if d.Alert {
		d.Fields = map[string]string{
			"n_evts":              strconv.FormatUint(delta.Events, 10),
			"n_drops":             strconv.FormatUint(delta.Drops, 10),
			"n_drops_buffer":      strconv.FormatUint(delta.DropsBuffer, 10),
			"n_drops_scratch_map": strconv.FormatUint(delta.DropsScratchMap, 10),
			"n_drops_pf":          strconv.FormatUint(delta.DropsPF, 10),
			"n_drops_bug":         strconv.FormatUint(delta.DropsBug, 10),
			// No eBPF probe: the udig ring or a capture file.
			"ebpf_enabled": "0",
		}
	}
	return d
}

// Detected is the number of checks that found drops above the threshold.
func (m *DropMonitor) Detected() uint64 { return m.detected }

// ActionsTaken is the number of checks whose actions ran.
func (m *DropMonitor) ActionsTaken() uint64 { return m.actions }

// WriteSummary writes Falco's exit block (stderr in Falco).
func (m *DropMonitor) WriteSummary(w io.Writer) error {
	_, err := fmt.Fprintf(w, "Syscall event drop monitoring:\n   - event drop detected: %d occurrences\n   - num times actions taken: %d\n",
		m.detected, m.actions)
	return err
}

// TokenBucket is Falco's token_bucket: it starts full, gains Rate tokens
// per second up to MaxTokens, and each claim takes one token.
type TokenBucket struct {
	rate, maxTokens, tokens float64
	lastNS                  int64
	started                 bool
}

// NewTokenBucket returns a full bucket.
func NewTokenBucket(rate, maxTokens float64) TokenBucket {
	return TokenBucket{rate: rate, maxTokens: maxTokens, tokens: maxTokens}
}

// Claim takes one token at time nowNS if one is available. The refill
// starts at the first claim: Falco starts it at the wall-clock time of
// initialisation, and since the bucket starts full and is capped, the
// result is the same.
func (b *TokenBucket) Claim(nowNS int64) bool {
	if b.started && nowNS > b.lastNS {
		b.tokens += b.rate * float64(nowNS-b.lastNS) / float64(nsPerSecond)
		if b.tokens > b.maxTokens {
			b.tokens = b.maxTokens
		}
	}
	if !b.started || nowNS > b.lastNS {
		b.lastNS = nowNS
	}
	b.started = true
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}
