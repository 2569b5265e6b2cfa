package output

import (
	"errors"

	"github.com/falco-trace/falco-trace/falco/rules"
)

// Output is one alert channel (stdout, file, program, http, syslog, gRPC).
// The dispatcher calls Write from a single goroutine per output; Reopen and
// Close may be called from other goroutines, so implementations lock.
type Output interface {
	// Name identifies the channel in logs and statistics ("file").
	Name() string
	// Write delivers one alert. rendered is the alert rendered once for all
	// outputs (Falco text line or JSON object), without a trailing newline.
	Write(a *Alert, rendered []byte) error
	// Reopen re-opens files and pipes (SIGUSR1, log rotation).
	Reopen() error
	// Close flushes and releases the channel; Write is not called after.
	Close() error
}

// Flusher is implemented by outputs that buffer writes. The dispatcher calls
// Flush whenever the output's queue becomes empty, and on Flush/Close.
type Flusher interface {
	Flush() error
}

// RenderFunc renders an alert as Falco does: the text line or, with
// json_output, the JSON object. It is provided by the caller (format.go).
type RenderFunc func(a *Alert) []byte

// Channel is an output with its own minimum priority.
type Channel struct {
	Output Output
	// MinPriority drops alerts less severe than *MinPriority for this
	// output; nil sends every alert. (A pointer because the zero
	// Priority is Emergency.)
	MinPriority *rules.Priority
	// QueueSize bounds the alerts waiting for this output; 0 means
	// DefaultQueueSize.
	QueueSize int
}

// MinPriority is a helper for Channel.MinPriority.
func MinPriority(p rules.Priority) *rules.Priority { return &p }

// ErrClosed is returned when writing to a closed output or dispatcher.
var ErrClosed = errors.New("output closed")

// line returns rendered with exactly one trailing newline.
func line(rendered []byte) []byte {
	b := make([]byte, 0, len(rendered)+1)
	b = append(b, rendered...)
	return append(b, '\n')
}
