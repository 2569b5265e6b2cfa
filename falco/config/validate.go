package config

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// ErrBadHTTPURL is wrapped by errors about an http_output.url the http
// output cannot POST to.
var ErrBadHTTPURL = errors.New("expected an http:// or https:// URL with a host")

// CheckHTTPURL accepts an absolute http or https URL with a host name. Go's
// HTTP client, unlike libcurl (Falco's), does not guess a missing scheme:
// without this check every alert would fail at run time.
func CheckHTTPURL(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("%w, got %q: %v", ErrBadHTTPURL, s, err)
	}
	if (u.Scheme == "http" || u.Scheme == "https") && u.Hostname() != "" {
		return nil
	}
	if !strings.Contains(s, "://") {
		return fmt.Errorf("%w, got %q (no scheme: write \"http://%s\")", ErrBadHTTPURL, s, s)
	}
	return fmt.Errorf("%w, got %q", ErrBadHTTPURL, s)
}

// validate checks the rules that involve several keys. locations maps a key
// to where it was set, so messages can point at the enabling line.
func (c *Config) validate(locations map[string]string) error {
	required := []struct {
		enabled  bool
		key      string
		value    string
		enabler  string
		falcoMsg string
	}{
		{c.FileOutput.Enabled, "file_output.filename", c.FileOutput.Filename, "file_output.enabled", "file output enabled but no filename in configuration block"},
		{c.ProgramOutput.Enabled, "program_output.program", c.ProgramOutput.Program, "program_output.enabled", "program output enabled but no program in configuration block"},
		{c.HTTPOutput.Enabled, "http_output.url", c.HTTPOutput.URL, "http_output.enabled", "http output enabled but no url in configuration block"},
		{c.GRPC.Enabled, "grpc.bind_address", c.GRPC.BindAddress, "grpc.enabled", "gRPC server enabled but no bind_address in configuration block"},
	}
	for _, r := range required {
		if r.enabled && r.value == "" {
			return &ValueError{Key: r.key, Msg: r.falcoMsg, Location: locations[r.enabler]}
		}
	}
	if c.HTTPOutput.Enabled {
		if err := CheckHTTPURL(c.HTTPOutput.URL); err != nil {
			return &ValueError{Key: "http_output.url", Msg: err.Error(), Location: locations["http_output.url"], Err: err}
		}
	}
	if c.FileOutput.FollowToStdout && !c.FileOutput.Enabled {
		return &ValueError{Key: "file_output.follow_to_stdout", Msg: "requires file_output.enabled: true",
			Location: locations["file_output.follow_to_stdout"]}
	}
	if !c.StdoutOutput.Enabled && !c.SyslogOutput.Enabled && !c.FileOutput.Enabled &&
		!c.ProgramOutput.Enabled && !c.HTTPOutput.Enabled && !c.GRPCOutputActive() {
		return ErrNoOutputs
	}
	if len(c.RulesFiles) == 0 {
		return &ValueError{Key: "rules_file", Msg: "the list is empty", Location: locations["rules_file"]}
	}
	return nil
}

// String summarises the enabled outputs, for a startup log line.
func (c *Config) String() string {
	return fmt.Sprintf("config %s: stdout=%t syslog=%t file=%t program=%t http=%t grpc=%t rule_matching=%s",
		c.Source, c.StdoutOutput.Enabled, c.SyslogOutput.Enabled, c.FileOutput.Enabled,
		c.ProgramOutput.Enabled, c.HTTPOutput.Enabled, c.GRPCOutputActive(), c.RuleMatching)
}
