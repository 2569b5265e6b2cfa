package engine

import (
	"errors"
	"fmt"
)

// RuleMatching is the falco.yaml `rule_matching` setting.
type RuleMatching int

const (
	// MatchFirst reports at most one alert per event: the first enabled
	// rule, in definition order, whose filter matches (Falco 0.31.1, and
	// the default of later versions).
	MatchFirst RuleMatching = iota
	// MatchAll reports every matching rule, in definition order.
	MatchAll
)

func (m RuleMatching) String() string {
	switch m {
	case MatchFirst:
		return "first"
	case MatchAll:
		return "all"
	}
	return fmt.Sprintf("RuleMatching(%d)", int(m))
}

// ErrUnknownRuleMatching is wrapped by ParseRuleMatching errors.
var ErrUnknownRuleMatching = errors.New("unknown rule matching strategy")

// ParseRuleMatching parses the `rule_matching` value. Like Falco, it is
// case-sensitive; the error text is Falco's
// (`Unknown rule matching strategy "x"--must be one of first, all`).
func ParseRuleMatching(s string) (RuleMatching, error) {
	switch s {
	case "first":
		return MatchFirst, nil
	case "all":
		return MatchAll, nil
	}
	return 0, &ruleMatchingError{value: s}
}

type ruleMatchingError struct{ value string }

func (e *ruleMatchingError) Error() string {
	return fmt.Sprintf("Unknown rule matching strategy %q--must be one of first, all", e.value)
}

func (e *ruleMatchingError) Unwrap() error { return ErrUnknownRuleMatching }

// Config parameterises Build.
type Config struct {
	Selector Selector
	Matching RuleMatching
	// Source keeps only the rules of this source; "" means SyscallSource.
	Source string
	// NumEventTypes is the size of the per-type index; 0 means
	// DefaultNumEventTypes. Event types at or above it found in a rule grow
	// the index.
	NumEventTypes int
}

// Plan is a built ruleset: what the bridge's SetPrograms takes.
type Plan struct {
	// Programs are the enabled rules of the source, in definition order.
	// A program index is an index into this slice.
	Programs []Rule
	// ByType[t] lists, in definition order, the program indices to try for
	// an event of type t. Rules that run for every type (RunsForAllTypes)
	// are in every list, at their definition position.
	ByType [][]int32
	// Matching is the rule_matching policy; MatchAll() gives SetPrograms'
	// matchAll argument.
	Matching RuleMatching
}

// MatchAll reports whether every matching program is reported for an event
// (SetPrograms' matchAll).
func (p *Plan) MatchAll() bool { return p.Matching == MatchAll }

// Build selects the enabled rules of cfg.Source from rules (in load order)
// and indexes them by event type.
func Build(rules []Rule, cfg Config) (*Plan, error) {
	if err := cfg.Selector.Validate(); err != nil {
		return nil, err
	}
	if cfg.Matching != MatchFirst && cfg.Matching != MatchAll {
		return nil, fmt.Errorf("build ruleset: %w: %v", ErrUnknownRuleMatching, cfg.Matching)
	}
	source := cfg.Source
	if source == "" {
		source = SyscallSource
	}
	numTypes := cfg.NumEventTypes
	if numTypes <= 0 {
		numTypes = DefaultNumEventTypes
	}

	plan := &Plan{Matching: cfg.Matching}
	for i := range rules {
		r := &rules[i]
		if r.source() != source || !cfg.Selector.Selects(r) {
			continue
		}
		plan.Programs = append(plan.Programs, *r)
		for _, t := range r.EventTypes {
			if int(t) >= numTypes {
				numTypes = int(t) + 1
			}
		}
	}

	plan.ByType = make([][]int32, numTypes)
	for prog := range plan.Programs {
		types := plan.Programs[prog].EventTypes
		if RunsForAllTypes(types) {
			for t := range plan.ByType {
				plan.ByType[t] = append(plan.ByType[t], int32(prog))
			}
			continue
		}
		for _, t := range types {
			list := plan.ByType[t]
			// A filter may report a type twice; try it once. Programs are
			// appended in increasing order, so a duplicate can only be the
			// last element.
			if n := len(list); n > 0 && list[n-1] == int32(prog) {
				continue
			}
			plan.ByType[t] = append(list, int32(prog))
		}
	}
	return plan, nil
}

// Match is the reference implementation of the bridge's per-event loop,
// used to test ordering semantics without libsinsp: it tries the programs
// of ByType[evtType] in order, calling matches for each, and returns the
// matching program indices. With MatchFirst it stops at the first match.
func (p *Plan) Match(evtType uint16, matches func(program int) bool) []int {
	if int(evtType) >= len(p.ByType) {
		return nil
	}
	var out []int
	for _, prog := range p.ByType[evtType] {
		if !matches(int(prog)) {
			continue
		}
		out = append(out, int(prog))
		if p.Matching == MatchFirst {
			break
		}
	}
	return out
}

// Names returns the enabled rule names in program order (for the stats
// counters and -L style listings).
func (p *Plan) Names() []string {
	names := make([]string, len(p.Programs))
	for i := range p.Programs {
		names[i] = p.Programs[i].Name
	}
	return names
}
