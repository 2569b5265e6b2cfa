package stats

import (
	"strconv"
	"time"
)

// TimeoutRule is the rule name of the timeouts internal alert.
const TimeoutRule = "Falco internal: timeouts notification"

// TimeoutNotice is a timeouts internal alert to emit (at wall-clock time,
// source internal, priority Debug).
type TimeoutNotice struct {
	Rule    string
	Message string
	// Fields holds last_event_time: the local clock time of the capture's
	// first event (Falco passes its duration_start, despite the name), or
	// "none" before any event.
	Fields map[string]string
}

// TimeoutMonitor is Falco's syscall_event_timeouts logic: after more than
// MaxConsecutives reads in a row without an event it returns a notice and
// starts counting again. Not safe for concurrent use.
type TimeoutMonitor struct {
	max          int
	consecutive  int
	firstEventNS int64
	loc          *time.Location
}

// NewTimeoutMonitor uses syscall_event_timeouts.max_consecutives; loc is the
// zone of last_event_time (nil = time.Local).
func NewTimeoutMonitor(maxConsecutives int, loc *time.Location) *TimeoutMonitor {
	if loc == nil {
		loc = time.Local
	}
	return &TimeoutMonitor{max: maxConsecutives, loc: loc}
}

// Event records a successful read of an event with timestamp tsNS.
func (m *TimeoutMonitor) Event(tsNS int64) {
	m.consecutive = 0
	if m.firstEventNS == 0 {
		m.firstEventNS = tsNS
	}
}

// Timeout records a read that returned no event; it returns a notice when
// the count exceeds the maximum (so the 1001st timeout with the default).
func (m *TimeoutMonitor) Timeout() *TimeoutNotice {
	m.consecutive++
	if m.consecutive <= m.max {
		return nil
	}
	m.consecutive = 0
	last := "none"
	if m.firstEventNS > 0 {
		last = time.Unix(0, m.firstEventNS).In(m.loc).Format("15:04:05.000000000")
	}
	return &TimeoutNotice{
		Rule:    TimeoutRule,
		Message: TimeoutRule + ". " + strconv.Itoa(m.max) + " consecutive timeouts without event.",
		Fields:  map[string]string{"last_event_time": last},
	}
}
