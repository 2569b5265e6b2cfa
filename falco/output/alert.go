// Package output renders alerts in Falco's text and JSON formats and
// delivers them to the configured channels.
package output

import (
	"encoding/json"
	"time"

	"github.com/falco-trace/falco-trace/falco/rules"
)

// Alert is one rule match, ready to be rendered. It is the value that flows
// from the engine to every output channel.
type Alert struct {
	// Time is the event's timestamp.
	Time     time.Time
	Rule     string
	Priority rules.Priority
	// Source is the rule source ("syscall"); "internal" for Falco's own
	// messages such as syscall drop notifications.
	Source string
	Tags   []string
	// Output is the rule's output string rendered by libsinsp's formatter,
	// without the time and priority prefix.
	Output string
	// OutputFields holds the formatter's field values keyed by token name
	// (e.g. "proc.cmdline"), as JSON values: numbers stay numbers, time
	// fields are integer nanoseconds, missing values are null.
	OutputFields map[string]json.RawMessage
	Hostname     string
}
