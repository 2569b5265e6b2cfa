// Package engine is the ruleset of falco-trace: it decides which compiled
// rules are enabled (-D, -T, -t, minimum priority), in which order they are
// tried for each event type, and whether an event stops at its first match
// (rule_matching). It produces exactly the inputs of the bridge's
// SetPrograms: the ordered list of enabled programs and the per-event-type
// index. It never evaluates a filter itself: libsinsp does that.
package engine

import "github.com/falco-trace/falco-trace/falco/rules"

// SyscallSource is the default rule source, used when a rule has none.
const SyscallSource = "syscall"

// DefaultNumEventTypes is PPM_EVENT_MAX of the libs the bridge links
// (e5c53d64, driver/ppm_events_public.h): event types are 0..335.
const DefaultNumEventTypes = 336

// ManyEventTypes is the number of event types above which a rule is
// treated as running for every event type, as Falco 0.31.1's loader does
// for its "no-evttype" warning.
const ManyEventTypes = 100

// Rule is one compiled rule as the ruleset needs it, in load order. The
// compiler's output is adapted to it by the caller; Program is whatever the
// caller needs to build the bridge program (filter and formatter) and is
// never looked at here.
type Rule struct {
	Name     string
	Priority rules.Priority
	Tags     []string
	// Enabled is the rule's `enabled` key after all rules files were
	// loaded (a rule can be disabled by a later enabled-only item).
	Enabled bool
	// Source is the rule's source; "" means SyscallSource.
	Source string
	// EventTypes are the event types the compiled filter can match. Empty
	// or more than ManyEventTypes entries means "every event type".
	EventTypes []uint16
	// Program is an opaque handle to the compiled filter and formatter.
	Program any
}

// RunsForAllTypes reports whether a rule with these event types is tried
// for every event type: an empty set (no evt.type restriction, e.g. plugin
// sources) or more than ManyEventTypes types (an unrestricted syscall
// filter reports the full set).
func RunsForAllTypes(eventTypes []uint16) bool {
	return len(eventTypes) == 0 || len(eventTypes) > ManyEventTypes
}

func (r *Rule) source() string {
	if r.Source == "" {
		return SyscallSource
	}
	return r.Source
}
