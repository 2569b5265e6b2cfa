// Package stats counts events and alerts, prints Falco's end-of-run
// summary, and implements Falco's syscall event drop monitor
// (syscall_event_drops) and timeout notification logic as pure functions of
// counter snapshots and event times.
package stats

import (
	"fmt"
	"io"
	"strings"
	"sync/atomic"
	"time"

	"github.com/falco-trace/falco-trace/falco/rules"
)

// Counters holds the run's event and alert counts. It is safe for
// concurrent use: the event loop adds, a signal handler may print.
type Counters struct {
	names      []string
	byRule     []atomic.Uint64
	byPriority [rules.Debug + 1]atomic.Uint64
	alerts     atomic.Uint64
	events     atomic.Uint64
}

// NewCounters counts alerts for the rules named, in load order; a rule id
// in AddAlert is an index into ruleNames (the engine's program index).
func NewCounters(ruleNames []string) *Counters {
	return &Counters{
		names:  append([]string(nil), ruleNames...),
		byRule: make([]atomic.Uint64, len(ruleNames)),
	}
}

// AddEvents counts n events processed by the engine.
func (c *Counters) AddEvents(n uint64) { c.events.Add(n) }

// AddAlert counts one rule alert. Internal alerts (drops, timeouts) are not
// counted, as in Falco.
func (c *Counters) AddAlert(ruleID int, p rules.Priority) {
	c.alerts.Add(1)
	if ruleID >= 0 && ruleID < len(c.byRule) {
		c.byRule[ruleID].Add(1)
	}
	if p >= rules.Emergency && p <= rules.Debug {
		c.byPriority[p].Add(1)
	}
}

// Events returns the number of events processed.
func (c *Counters) Events() uint64 { return c.events.Load() }

// Alerts returns the number of rule alerts ("Events detected").
func (c *Counters) Alerts() uint64 { return c.alerts.Load() }

// RuleAlerts returns the alerts of one rule id.
func (c *Counters) RuleAlerts(ruleID int) uint64 {
	if ruleID < 0 || ruleID >= len(c.byRule) {
		return 0
	}
	return c.byRule[ruleID].Load()
}

// PriorityAlerts returns the alerts of one priority.
func (c *Counters) PriorityAlerts(p rules.Priority) uint64 {
	if p < rules.Emergency || p > rules.Debug {
		return 0
	}
	return c.byPriority[p].Load()
}

// WriteSummary writes Falco's end-of-run summary (stdout in Falco), in the
// deterministic style of Falco 0.32 and later (stats_manager::format):
// priorities as UPPERCASE short names ("INFO") from most to least severe,
// rules in load order, and only non-zero counts. Falco 0.31.1 printed the
// same three headings but in Lua hash order with the priority string as
// written in the rules file, which cannot be reproduced usefully.
//
//	Events detected: 3
//	Rule counts by severity:
//	   WARNING: 2
//	   INFO: 1
//	Triggered rules by rule name:
//	   Write below etc: 2
//	   Outbound connection: 1
func (c *Counters) WriteSummary(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Events detected: %d\n", c.Alerts())
	b.WriteString("Rule counts by severity:\n")
	for p := rules.Emergency; p <= rules.Debug; p++ {
		if n := c.byPriority[p].Load(); n > 0 {
			fmt.Fprintf(&b, "   %s: %d\n", p.ShortUpper(), n)
		}
	}
	b.WriteString("Triggered rules by rule name:\n")
	for i, name := range c.names {
		if n := c.byRule[i].Load(); n > 0 {
			fmt.Fprintf(&b, "   %s: %d\n", name, n)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteVerbose writes what Falco prints on stderr at exit with -v: the
// driver counters and the processing rate. elapsed is the process CPU time
// in Falco (clock()); the caller chooses what to measure.
func WriteVerbose(w io.Writer, driver Capture, elapsed time.Duration, captured uint64) error {
	secs := elapsed.Seconds()
	eps := 0.0
	if secs > 0 {
		eps = float64(captured) / secs
	}
	_, err := fmt.Fprintf(w, "Driver Events:%d\nDriver Drops:%d\nElapsed time: %.3f, Captured Events: %d, %.2f eps\n",
		driver.Events, driver.Drops, secs, captured, eps)
	return err
}

// WriteExitSummary writes what Falco prints when the run ends: the alert
// summary on stdout, then the drop monitoring block on stderr (printed even
// when no drop monitor ran, with zero counts, as Falco always does).
func WriteExitSummary(stdout, stderr io.Writer, c *Counters, drops *DropMonitor) error {
	if c == nil {
		c = NewCounters(nil)
	}
	if err := c.WriteSummary(stdout); err != nil {
		return fmt.Errorf("write summary: %w", err)
	}
	if drops == nil {
		drops = NewDropMonitor(DefaultDropConfig(), Capture{})
	}
	if err := drops.WriteSummary(stderr); err != nil {
		return fmt.Errorf("write drop summary: %w", err)
	}
	return nil
}
