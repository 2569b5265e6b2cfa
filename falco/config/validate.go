package config

import "fmt"

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
