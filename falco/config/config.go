// Package config reads a Falco-compatible falco.yaml (Falco 0.31.1 keys,
// engine-spec §4.1), applies `-o key=value` overrides and validates the
// result. falco-trace adds two keys:
//
//   - rule_matching: "first" (Falco 0.31.1: an event raises at most one
//     alert, from the first matching rule) or "all" (every matching rule).
//   - file_output.follow_to_stdout: copy every line appended to
//     file_output.filename to stdout, following rotation and truncation
//     (replaces a `tail -F /var/log/falco.log` sidecar or entrypoint).
//
// Keys falco-trace does not implement are reported as warnings, never as
// errors, so an unmodified Falco configuration file still loads. A known key
// with a value of the wrong type or out of range is an error naming the key
// and its location.
package config

import (
	_ "embed"
	"time"

	"github.com/falco-trace/falco-trace/falco/rules"
)

// EmbeddedRules is the rules_file entry that stands for the rules compiled
// into the falco-trace binary. It is the default when no rules_file is
// configured; the caller replaces it with the embedded rules.
const EmbeddedRules = "<embedded>"

// DefaultName is the Source of a configuration built from the embedded
// default file.
const DefaultName = "<built-in falco.yaml>"

//go:embed default.yaml
var defaultYAML []byte

// DefaultYAML returns the built-in configuration file, the one Load uses when
// no path is given (useful for `falco-trace ... --print-config`-style help).
func DefaultYAML() []byte { return append([]byte(nil), defaultYAML...) }

// DropAction is one of Falco's syscall_event_drops actions.
type DropAction string

const (
	DropIgnore DropAction = "ignore"
	DropLog    DropAction = "log"
	DropAlert  DropAction = "alert"
	DropExit   DropAction = "exit"
)

// RuleMatching selects how many rules may fire for one event.
type RuleMatching string

const (
	MatchFirst RuleMatching = "first"
	MatchAll   RuleMatching = "all"
)

// Config is a loaded and validated configuration.
type Config struct {
	// Source is the configuration file path, or DefaultName.
	Source string

	// RulesFiles lists rules files and directories in order; EmbeddedRules
	// stands for the built-in rules. Missing paths are the caller's concern
	// (Falco skips them).
	RulesFiles []string
	// Priority is the minimum priority of rules that are loaded.
	Priority     rules.Priority
	RuleMatching RuleMatching

	TimeFormatISO8601         bool
	JSONOutput                bool
	JSONIncludeOutputProperty bool
	JSONIncludeTagsProperty   bool

	LogStderr bool
	LogSyslog bool
	// LogLevel is one of Falco's levels: emergency, alert, critical, error,
	// warning, notice, info, debug.
	LogLevel string

	BufferedOutputs bool
	// Outputs is the token bucket in front of all outputs.
	Outputs RateLimit
	// OutputTimeout is how long one output write may block before a
	// warning is logged (output_timeout, milliseconds in the file).
	OutputTimeout time.Duration

	SyscallEventDrops    SyscallEventDrops
	SyscallEventTimeouts SyscallEventTimeouts

	StdoutOutput  StdoutOutput
	SyslogOutput  SyslogOutput
	FileOutput    FileOutput
	ProgramOutput ProgramOutput
	HTTPOutput    HTTPOutput
	GRPC          GRPC
	GRPCOutput    GRPCOutput

	// Warnings lists keys that were ignored, in file order.
	Warnings []Warning
}

// RateLimit is a token bucket: Rate tokens per second, at most MaxBurst.
type RateLimit struct {
	Rate     float64
	MaxBurst int
}

type SyscallEventDrops struct {
	// Threshold is the fraction of dropped events in one second, in [0,1],
	// above which Actions run.
	Threshold float64
	// Actions never mixes ignore with log or alert; an empty list in the
	// file becomes [ignore].
	Actions       []DropAction
	Rate          float64
	MaxBurst      int
	SimulateDrops bool
}

type SyscallEventTimeouts struct {
	MaxConsecutives int
}

type StdoutOutput struct{ Enabled bool }

type SyslogOutput struct{ Enabled bool }

type FileOutput struct {
	Enabled   bool
	KeepAlive bool
	Filename  string
	// FollowToStdout (falco-trace key follow_to_stdout) copies every line
	// appended to Filename to stdout, following rotation.
	FollowToStdout bool
}

type ProgramOutput struct {
	Enabled   bool
	KeepAlive bool
	Program   string
}

type HTTPOutput struct {
	Enabled   bool
	URL       string
	UserAgent string
}

type GRPC struct {
	Enabled bool
	// BindAddress is "unix:///path" or "host:port".
	BindAddress string
	// Threadiness 0 means the number of CPUs.
	Threadiness int
}

type GRPCOutput struct{ Enabled bool }

// Default returns the values Falco 0.31.1 uses for keys absent from a
// configuration file (its code defaults, not the shipped falco.yaml), except
// that rules_file defaults to the embedded rules and rule_matching to first.
func Default() *Config {
	return &Config{
		RulesFiles:                []string{EmbeddedRules},
		Priority:                  rules.Debug,
		RuleMatching:              MatchFirst,
		JSONIncludeOutputProperty: true,
		JSONIncludeTagsProperty:   true,
		LogSyslog:                 true,
		LogLevel:                  "info",
		Outputs:                   RateLimit{Rate: 1, MaxBurst: 1000},
		OutputTimeout:             2000 * time.Millisecond,
		SyscallEventDrops: SyscallEventDrops{
			Threshold: .1,
			Actions:   []DropAction{DropIgnore},
			Rate:      .03333,
			MaxBurst:  1,
		},
		SyscallEventTimeouts: SyscallEventTimeouts{MaxConsecutives: 1000},
		HTTPOutput:           HTTPOutput{UserAgent: "falcosecurity/falco"},
		GRPC:                 GRPC{BindAddress: "0.0.0.0:5060"},
		// Falco enables the gRPC output by default, but it only runs when
		// grpc.enabled is true.
		GRPCOutput: GRPCOutput{Enabled: true},
	}
}

// GRPCOutputActive reports whether alerts go to the gRPC outputs service.
func (c *Config) GRPCOutputActive() bool { return c.GRPC.Enabled && c.GRPCOutput.Enabled }
