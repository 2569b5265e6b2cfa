package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/falco-trace/falco-trace/falco/rules"
)

// Load reads the configuration file at path, applies the `-o key=value`
// overrides (in order, before validation, as Falco does) and validates the
// result. An empty path loads the built-in configuration (DefaultYAML).
func Load(path string, overrides []string) (*Config, error) {
	if path == "" {
		return LoadBytes(DefaultName, defaultYAML, overrides)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &FileError{Path: path, Err: err}
	}
	return LoadBytes(path, data, overrides)
}

// LoadBytes is Load for a file already in memory; name is used in messages.
func LoadBytes(name string, data []byte, overrides []string) (*Config, error) {
	parsed := make([]Override, 0, len(overrides))
	for _, o := range overrides {
		ov, err := ParseOverride(o)
		if err != nil {
			return nil, err
		}
		parsed = append(parsed, ov)
	}

	root, err := parseDocument(data)
	if err != nil {
		return nil, &FileError{Path: name, Err: err}
	}
	origin := map[*yaml.Node]string{}
	for _, ov := range parsed {
		if _, err := ov.apply(root, origin); err != nil {
			return nil, err
		}
	}

	d := decoder{file: name, origin: origin, cfg: Default()}
	d.cfg.Source = name
	if err := d.decodeMapping(root, ""); err != nil {
		return nil, err
	}
	if err := d.cfg.validate(d.locations); err != nil {
		if errors.Is(err, ErrNoOutputs) {
			return nil, &FileError{Path: name, Err: err}
		}
		return nil, err
	}
	return d.cfg, nil
}

// parseDocument returns the top-level mapping node of a YAML file; an empty
// file is an empty mapping.
func parseDocument(data []byte) (*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}, nil
		}
		return nil, err
	}
	if len(doc.Content) == 0 {
		return &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}, nil
	}
	root := doc.Content[0]
	if isNull(root) {
		return &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}, nil
	}
	if root.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("line %d: the configuration must be a mapping of keys to values", root.Line)
	}
	return root, nil
}

// field decodes one known leaf key.
type field struct {
	path   string
	decode func(d *decoder, c *Config, n *yaml.Node, key string) error
}

var fields = []field{
	{"rules_file", func(d *decoder, c *Config, n *yaml.Node, key string) error {
		files, err := d.stringList(n, key)
		c.RulesFiles = files
		return err
	}},
	{"priority", func(d *decoder, c *Config, n *yaml.Node, key string) error {
		s, err := d.str(n, key)
		if err != nil {
			return err
		}
		p, err := rules.ParsePriority(s)
		if err != nil {
			return d.errorf(n, key, `Unknown priority "%s"--must be one of emergency, alert, critical, error, warning, notice, informational, debug`, s)
		}
		c.Priority = p
		return nil
	}},
	{"rule_matching", func(d *decoder, c *Config, n *yaml.Node, key string) error {
		s, err := d.str(n, key)
		if err != nil {
			return err
		}
		switch RuleMatching(strings.ToLower(s)) {
		case MatchFirst, MatchAll:
			c.RuleMatching = RuleMatching(strings.ToLower(s))
			return nil
		}
		return d.errorf(n, key, `expected "first" or "all", got %q`, s)
	}},
	{"time_format_iso_8601", boolField(func(c *Config) *bool { return &c.TimeFormatISO8601 })},
	{"json_output", boolField(func(c *Config) *bool { return &c.JSONOutput })},
	{"json_include_output_property", boolField(func(c *Config) *bool { return &c.JSONIncludeOutputProperty })},
	{"json_include_tags_property", boolField(func(c *Config) *bool { return &c.JSONIncludeTagsProperty })},
	{"log_stderr", boolField(func(c *Config) *bool { return &c.LogStderr })},
	{"log_syslog", boolField(func(c *Config) *bool { return &c.LogSyslog })},
	{"log_level", func(d *decoder, c *Config, n *yaml.Node, key string) error {
		s, err := d.str(n, key)
		if err != nil {
			return err
		}
		switch s {
		case "emergency", "alert", "critical", "error", "warning", "notice", "info", "debug":
			c.LogLevel = s
			return nil
		}
		return d.errorf(n, key, "Unknown log level %s", s)
	}},
	{"buffered_outputs", boolField(func(c *Config) *bool { return &c.BufferedOutputs })},
	{"output_timeout", func(d *decoder, c *Config, n *yaml.Node, key string) error {
		ms, err := d.integer(n, key)
		if err != nil {
			return err
		}
		if ms <= 0 {
			return d.errorf(n, key, "expected a positive number of milliseconds, got %d", ms)
		}
		c.OutputTimeout = time.Duration(ms) * time.Millisecond
		return nil
	}},
	{"outputs.rate", nonNegativeFloat(func(c *Config) *float64 { return &c.Outputs.Rate })},
	// 0 turns the rate limiter off (falco-trace's built-in default: no
	// alert is ever dropped); Falco itself requires a positive burst.
	{"outputs.max_burst", nonNegativeInt(func(c *Config) *int { return &c.Outputs.MaxBurst })},
	{"syscall_event_drops.threshold", func(d *decoder, c *Config, n *yaml.Node, key string) error {
		f, err := d.float(n, key)
		if err != nil {
			return err
		}
		if f < 0 || f > 1 {
			return d.errorf(n, key, "must be a double in the range [0, 1], got %v", f)
		}
		c.SyscallEventDrops.Threshold = f
		return nil
	}},
	{"syscall_event_drops.actions", func(d *decoder, c *Config, n *yaml.Node, key string) error {
		if _, err := d.stringList(n, key); err != nil {
			return err
		}
		return d.dropActions(c, listItems(n), key)
	}},
	{"syscall_event_drops.rate", nonNegativeFloat(func(c *Config) *float64 { return &c.SyscallEventDrops.Rate })},
	{"syscall_event_drops.max_burst", positiveInt(func(c *Config) *int { return &c.SyscallEventDrops.MaxBurst })},
	{"syscall_event_drops.simulate_drops", boolField(func(c *Config) *bool { return &c.SyscallEventDrops.SimulateDrops })},
	{"syscall_event_timeouts.max_consecutives", positiveInt(func(c *Config) *int { return &c.SyscallEventTimeouts.MaxConsecutives })},
	{"stdout_output.enabled", boolField(func(c *Config) *bool { return &c.StdoutOutput.Enabled })},
	{"syslog_output.enabled", boolField(func(c *Config) *bool { return &c.SyslogOutput.Enabled })},
	{"file_output.enabled", boolField(func(c *Config) *bool { return &c.FileOutput.Enabled })},
	{"file_output.keep_alive", boolField(func(c *Config) *bool { return &c.FileOutput.KeepAlive })},
	{"file_output.filename", stringField(func(c *Config) *string { return &c.FileOutput.Filename })},
	{"file_output.follow_to_stdout", boolField(func(c *Config) *bool { return &c.FileOutput.FollowToStdout })},
	{"program_output.enabled", boolField(func(c *Config) *bool { return &c.ProgramOutput.Enabled })},
	{"program_output.keep_alive", boolField(func(c *Config) *bool { return &c.ProgramOutput.KeepAlive })},
	{"program_output.program", stringField(func(c *Config) *string { return &c.ProgramOutput.Program })},
	{"http_output.enabled", boolField(func(c *Config) *bool { return &c.HTTPOutput.Enabled })},
	{"http_output.url", stringField(func(c *Config) *string { return &c.HTTPOutput.URL })},
	{"http_output.user_agent", stringField(func(c *Config) *string { return &c.HTTPOutput.UserAgent })},
	{"grpc.enabled", boolField(func(c *Config) *bool { return &c.GRPC.Enabled })},
	{"grpc.bind_address", stringField(func(c *Config) *string { return &c.GRPC.BindAddress })},
	{"grpc.threadiness", func(d *decoder, c *Config, n *yaml.Node, key string) error {
		v, err := d.integer(n, key)
		if err != nil {
			return err
		}
		if v < 0 {
			return d.errorf(n, key, "expected a non-negative integer, got %d", v)
		}
		c.GRPC.Threadiness = int(v)
		return nil
	}},
	{"grpc_output.enabled", boolField(func(c *Config) *bool { return &c.GRPCOutput.Enabled })},
}

// falcoOnlyKeys are Falco 0.31.1 keys falco-trace accepts and ignores.
var falcoOnlyKeys = map[string]bool{
	"plugins": true, "load_plugins": true, "webserver": true, "metadata_download": true,
	"grpc.private_key": true, "grpc.cert_chain": true, "grpc.root_certs": true,
}

var fieldByPath = func() map[string]field {
	m := make(map[string]field, len(fields))
	for _, f := range fields {
		m[f.path] = f
	}
	return m
}()

// sections are the mapping keys that contain known fields.
var sections = func() map[string]bool {
	m := map[string]bool{}
	for _, f := range fields {
		if i := strings.LastIndexByte(f.path, '.'); i > 0 {
			m[f.path[:i]] = true
		}
	}
	return m
}()

type decoder struct {
	file   string
	origin map[*yaml.Node]string
	cfg    *Config
	// locations maps a dotted key to where its value was set, for
	// validation messages.
	locations map[string]string
}

func (d *decoder) location(n *yaml.Node) string {
	if o, ok := d.origin[n]; ok {
		return o
	}
	return fmt.Sprintf("%s:%d", d.file, n.Line)
}

func (d *decoder) errorf(n *yaml.Node, key, format string, args ...any) error {
	return &ValueError{Key: key, Msg: fmt.Sprintf(format, args...), Location: d.location(n)}
}

func (d *decoder) decodeMapping(m *yaml.Node, prefix string) error {
	if d.locations == nil {
		d.locations = map[string]string{}
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		key := k.Value
		if prefix != "" {
			key = prefix + "." + k.Value
		}
		switch {
		case fieldByPath[key].decode != nil:
			if isNull(v) {
				// `key:` with no value: keep the default, as Falco does
				// for an absent key.
				continue
			}
			d.locations[key] = d.location(v)
			if err := fieldByPath[key].decode(d, d.cfg, v, key); err != nil {
				return err
			}
		case sections[key]:
			if isNull(v) {
				continue
			}
			if v.Kind != yaml.MappingNode {
				return d.errorf(v, key, "expected a mapping, got %s", describe(v))
			}
			if err := d.decodeMapping(v, key); err != nil {
				return err
			}
		default:
			d.cfg.Warnings = append(d.cfg.Warnings, Warning{Key: key, Location: d.location(k), Falco: falcoOnlyKeys[key]})
		}
	}
	return nil
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

// describe names a value in an error message.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return describe(n.Alias)
	}
	return strconv.Quote(n.Value)
}

func (d *decoder) scalar(n *yaml.Node, key, want string) (string, error) {
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if n.Kind != yaml.ScalarNode {
		return "", d.errorf(n, key, "expected %s, got %s", want, describe(n))
	}
	return n.Value, nil
}

func (d *decoder) str(n *yaml.Node, key string) (string, error) {
	return d.scalar(n, key, "a string")
}

// parseBool accepts what yaml-cpp (Falco's parser) accepts as a boolean.
func parseBool(s string) (bool, bool) {
	switch s {
	case "true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON", "y", "Y":
		return true, true
	case "false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF", "n", "N":
		return false, true
	}
	return false, false
}

func (d *decoder) boolean(n *yaml.Node, key string) (bool, error) {
	s, err := d.scalar(n, key, "a boolean")
	if err != nil {
		return false, err
	}
	b, ok := parseBool(s)
	if !ok {
		return false, d.errorf(n, key, "expected a boolean, got %q", s)
	}
	return b, nil
}

func (d *decoder) integer(n *yaml.Node, key string) (int64, error) {
	s, err := d.scalar(n, key, "an integer")
	if err != nil {
		return 0, err
	}
	v, err := strconv.ParseInt(s, 0, 64)
	if err != nil || v > math.MaxInt32 || v < math.MinInt32 {
		return 0, d.errorf(n, key, "expected an integer, got %q", s)
	}
	return v, nil
}

func (d *decoder) float(n *yaml.Node, key string) (float64, error) {
	s, err := d.scalar(n, key, "a number")
	if err != nil {
		return 0, err
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, d.errorf(n, key, "expected a number, got %q", s)
	}
	return v, nil
}

// stringList accepts a list of strings or a single string (Falco accepts
// both for rules_file).
func (d *decoder) stringList(n *yaml.Node, key string) ([]string, error) {
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	switch n.Kind {
	case yaml.ScalarNode:
		return []string{n.Value}, nil
	case yaml.SequenceNode:
		out := make([]string, 0, len(n.Content))
		for i, item := range n.Content {
			s, err := d.scalar(item, fmt.Sprintf("%s[%d]", key, i), "a string")
			if err != nil {
				return nil, err
			}
			out = append(out, s)
		}
		return out, nil
	}
	return nil, d.errorf(n, key, "expected a string or a list of strings, got %s", describe(n))
}

// listItems returns the scalar nodes of a value stringList accepted: the
// items of a list, or the value itself when it is a single string.
func listItems(n *yaml.Node) []*yaml.Node {
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if n.Kind == yaml.SequenceNode {
		items := make([]*yaml.Node, len(n.Content))
		for i, item := range n.Content {
			if item.Kind == yaml.AliasNode {
				item = item.Alias
			}
			items[i] = item
		}
		return items
	}
	return []*yaml.Node{n}
}

// dropActions decodes the actions from their item nodes, so an error
// points at the item at fault: a `-o syscall_event_drops.actions[i]=x`
// option, or the item's own line, rather than the list's line.
func (d *decoder) dropActions(c *Config, items []*yaml.Node, key string) error {
	actions := make([]DropAction, 0, len(items))
	hasIgnore, hasOutput := false, false
	for _, item := range items {
		a := DropAction(strings.ToLower(item.Value))
		switch a {
		case DropIgnore:
			hasIgnore = true
		case DropLog, DropAlert:
			hasOutput = true
		case DropExit:
		default:
			return d.errorf(item, key, "unknown action %q: must be one of ignore, log, alert, exit", item.Value)
		}
		if hasIgnore && hasOutput {
			// Blame the item that made the combination invalid.
			return d.errorf(item, key, `the "ignore" action cannot be combined with "log" or "alert"`)
		}
		actions = append(actions, a)
	}
	if len(actions) == 0 {
		actions = []DropAction{DropIgnore}
	}
	c.SyscallEventDrops.Actions = actions
	return nil
}

func boolField(target func(*Config) *bool) func(*decoder, *Config, *yaml.Node, string) error {
	return func(d *decoder, c *Config, n *yaml.Node, key string) error {
		b, err := d.boolean(n, key)
		if err == nil {
			*target(c) = b
		}
		return err
	}
}

func stringField(target func(*Config) *string) func(*decoder, *Config, *yaml.Node, string) error {
	return func(d *decoder, c *Config, n *yaml.Node, key string) error {
		s, err := d.str(n, key)
		if err == nil {
			*target(c) = s
		}
		return err
	}
}

func nonNegativeInt(target func(*Config) *int) func(*decoder, *Config, *yaml.Node, string) error {
	return func(d *decoder, c *Config, n *yaml.Node, key string) error {
		v, err := d.integer(n, key)
		if err != nil {
			return err
		}
		if v < 0 {
			return d.errorf(n, key, "expected 0 (no limit) or a positive integer, got %d", v)
		}
		*target(c) = int(v)
		return nil
	}
}

func positiveInt(target func(*Config) *int) func(*decoder, *Config, *yaml.Node, string) error {
	return func(d *decoder, c *Config, n *yaml.Node, key string) error {
		v, err := d.integer(n, key)
		if err != nil {
			return err
		}
		if v <= 0 {
			return d.errorf(n, key, "expected a positive integer, got %d", v)
		}
		*target(c) = int(v)
		return nil
	}
}

func nonNegativeFloat(target func(*Config) *float64) func(*decoder, *Config, *yaml.Node, string) error {
	return func(d *decoder, c *Config, n *yaml.Node, key string) error {
		v, err := d.float(n, key)
		if err != nil {
			return err
		}
		if v < 0 {
			return d.errorf(n, key, "expected a non-negative number, got %v", v)
		}
		*target(c) = v
		return nil
	}
}

// KnownKeys lists every configuration key falco-trace understands, sorted.
func KnownKeys() []string {
	keys := make([]string, 0, len(fields))
	for _, f := range fields {
		keys = append(keys, f.path)
	}
	sort.Strings(keys)
	return keys
}
