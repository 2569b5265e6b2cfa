package config

import (
	"errors"
	"fmt"
)

// ErrNoOutputs is returned when no output channel is enabled.
var ErrNoOutputs = errors.New("No outputs configured")

// ValueError reports a known key whose value is unusable.
type ValueError struct {
	// Key is the dotted path, with [i] for list items.
	Key string
	Msg string
	// Location is "file:line", or `-o key=value` for an override.
	Location string
	// Err is the typed cause when there is one (ErrBadHTTPURL), for
	// errors.Is; Msg already contains its text.
	Err error
}

func (e *ValueError) Unwrap() error { return e.Err }

func (e *ValueError) Error() string {
	if e.Location == "" {
		return fmt.Sprintf("%s: %s", e.Key, e.Msg)
	}
	return fmt.Sprintf("%s: %s (%s)", e.Key, e.Msg, e.Location)
}

// OverrideError is Falco's error for a malformed `-o` option.
type OverrideError struct {
	Option string
	// Reason is empty for Falco's generic message.
	Reason string
}

func (e *OverrideError) Error() string {
	msg := fmt.Sprintf("Error parsing config option %q. Must be of the form key=val or key.subkey=val", e.Option)
	if e.Reason != "" {
		msg += ": " + e.Reason
	}
	return msg
}

// FileError wraps an error about the configuration file as a whole the way
// Falco prints it: "Error reading config file (<path>): <err>".
type FileError struct {
	Path string
	Err  error
}

func (e *FileError) Error() string {
	return fmt.Sprintf("Error reading config file (%s): %v", e.Path, e.Err)
}

func (e *FileError) Unwrap() error { return e.Err }

// Warning is an ignored key.
type Warning struct {
	Key      string
	Location string
	// Falco is true for a Falco key falco-trace does not implement, false
	// for a key Falco does not know either.
	Falco bool
}

func (w Warning) String() string {
	if w.Falco {
		return fmt.Sprintf("configuration key %q is not supported by falco-trace, ignored (%s)", w.Key, w.Location)
	}
	return fmt.Sprintf("unknown configuration key %q, ignored (%s)", w.Key, w.Location)
}
