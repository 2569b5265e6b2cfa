package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/falco-trace/falco-trace/falco/rules"
)

func TestBuiltInDefault(t *testing.T) {
	cfg, err := Load("", nil)
	if err != nil {
		t.Fatalf("Load(\"\"): %v", err)
	}
	if len(cfg.Warnings) != 0 {
		t.Errorf("built-in config has warnings: %v", cfg.Warnings)
	}
	checks := []struct {
		name string
		got  any
		want any
	}{
		{"source", cfg.Source, DefaultName},
		{"rules", cfg.RulesFiles, []string{EmbeddedRules}},
		{"stdout", cfg.StdoutOutput.Enabled, true},
		{"syslog", cfg.SyslogOutput.Enabled, false},
		{"log_stderr", cfg.LogStderr, true},
		{"log_syslog", cfg.LogSyslog, false},
		{"priority", cfg.Priority, rules.Debug},
		{"matching", cfg.RuleMatching, MatchFirst},
		{"drops actions", cfg.SyscallEventDrops.Actions, []DropAction{DropLog, DropAlert}},
		{"rate", cfg.Outputs, RateLimit{Rate: 1, MaxBurst: 0}},
		{"timeout", cfg.OutputTimeout, 2 * time.Second},
		{"grpc output active", cfg.GRPCOutputActive(), false},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s: got %#v, want %#v", c.name, c.got, c.want)
		}
	}
}

// TestEveryKey sets every key to a non-default value and checks the result.
func TestEveryKey(t *testing.T) {
	const file = `
rules_file:
  - /etc/falco/falco_rules.yaml
  - /etc/falco/rules.d
priority: WARNING
rule_matching: all
json_output: true
json_include_output_property: false
json_include_tags_property: no
time_format_iso_8601: yes
buffered_outputs: true
outputs:
  rate: 2.5
  max_burst: 7
syscall_event_drops:
  threshold: 0.5
  actions: [exit]
  rate: 0.5
  max_burst: 3
  simulate_drops: true
syscall_event_timeouts:
  max_consecutives: 42
output_timeout: 150
log_level: debug
log_stderr: false
log_syslog: false
stdout_output:
  enabled: false
file_output:
  enabled: true
  keep_alive: true
  filename: /var/log/falco.log
  follow_to_stdout: true
program_output:
  enabled: true
  keep_alive: true
  program: cat
http_output:
  enabled: true
  url: http://127.0.0.1:2801/
  user_agent: me/1
grpc:
  enabled: true
  bind_address: unix:///tmp/f.sock
  threadiness: 4
grpc_output:
  enabled: false
syslog_output:
  enabled: true
`
	got, err := LoadBytes("falco.yaml", []byte(file), nil)
	if err != nil {
		t.Fatalf("LoadBytes: %v", err)
	}
	want := &Config{
		Source:                    "falco.yaml",
		RulesFiles:                []string{"/etc/falco/falco_rules.yaml", "/etc/falco/rules.d"},
		Priority:                  rules.Warning,
		RuleMatching:              MatchAll,
		TimeFormatISO8601:         true,
		JSONOutput:                true,
		JSONIncludeOutputProperty: false,
		JSONIncludeTagsProperty:   false,
		LogStderr:                 false,
		LogSyslog:                 false,
		LogLevel:                  "debug",
		BufferedOutputs:           true,
		Outputs:                   RateLimit{Rate: 2.5, MaxBurst: 7},
		OutputTimeout:             150 * time.Millisecond,
		SyscallEventDrops:         SyscallEventDrops{Threshold: .5, Actions: []DropAction{DropExit}, Rate: .5, MaxBurst: 3, SimulateDrops: true},
		SyscallEventTimeouts:      SyscallEventTimeouts{MaxConsecutives: 42},
		StdoutOutput:              StdoutOutput{Enabled: false},
		SyslogOutput:              SyslogOutput{Enabled: true},
		FileOutput:                FileOutput{Enabled: true, KeepAlive: true, Filename: "/var/log/falco.log", FollowToStdout: true},
		ProgramOutput:             ProgramOutput{Enabled: true, KeepAlive: true, Program: "cat"},
		HTTPOutput:                HTTPOutput{Enabled: true, URL: "http://127.0.0.1:2801/", UserAgent: "me/1"},
		GRPC:                      GRPC{Enabled: true, BindAddress: "unix:///tmp/f.sock", Threadiness: 4},
		GRPCOutput:                GRPCOutput{Enabled: false},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
}

// TestFalcoCodeDefaults: keys absent from a file take Falco's code defaults.
func TestFalcoCodeDefaults(t *testing.T) {
	got, err := LoadBytes("f.yaml", []byte("stdout_output:\n  enabled: true\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := Default()
	want.Source = "f.yaml"
	want.StdoutOutput.Enabled = true
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
}

func TestScalarRulesFileAndEmptyActions(t *testing.T) {
	got, err := LoadBytes("f.yaml", []byte("rules_file: /r.yaml\nstdout_output: {enabled: true}\nsyscall_event_drops:\n  actions: []\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.RulesFiles, []string{"/r.yaml"}) {
		t.Errorf("rules: %v", got.RulesFiles)
	}
	if !reflect.DeepEqual(got.SyscallEventDrops.Actions, []DropAction{DropIgnore}) {
		t.Errorf("actions: %v", got.SyscallEventDrops.Actions)
	}
}

func TestOverrides(t *testing.T) {
	const file = "rules_file:\n  - /a.yaml\n  - /b.yaml\nstdout_output:\n  enabled: true\n"
	tests := []struct {
		name      string
		overrides []string
		check     func(*Config) any
		want      any
	}{
		{"top-level scalar", []string{"priority=error"}, func(c *Config) any { return c.Priority }, rules.Error},
		{"dotted path", []string{"file_output.enabled=true", "file_output.filename=/x.log"},
			func(c *Config) any { return c.FileOutput }, FileOutput{Enabled: true, Filename: "/x.log"}},
		{"index replaces", []string{"rules_file[1]=/c.yaml"}, func(c *Config) any { return c.RulesFiles }, []string{"/a.yaml", "/c.yaml"}},
		{"index appends", []string{"rules_file[2]=/c.yaml"}, func(c *Config) any { return c.RulesFiles }, []string{"/a.yaml", "/b.yaml", "/c.yaml"}},
		{"scalar replaces list", []string{"rules_file=/only.yaml"}, func(c *Config) any { return c.RulesFiles }, []string{"/only.yaml"}},
		{"index in list value", []string{"syscall_event_drops.actions[0]=exit"},
			func(c *Config) any { return c.SyscallEventDrops.Actions }, []DropAction{DropExit}},
		{"last wins", []string{"outputs.rate=3", "outputs.rate=4"}, func(c *Config) any { return c.Outputs.Rate }, 4.0},
		{"value with =", []string{"program_output.program=a=b", "program_output.enabled=true"},
			func(c *Config) any { return c.ProgramOutput.Program }, "a=b"},
		{"disables the only output then enables grpc", []string{"stdout_output.enabled=false", "grpc.enabled=true"},
			func(c *Config) any { return c.GRPCOutputActive() }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := LoadBytes("falco.yaml", []byte(file), tt.overrides)
			if err != nil {
				t.Fatalf("%s: %v", tt.name, err)
			}
			if got := tt.check(cfg); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("%s: got %#v, want %#v", tt.name, got, tt.want)
			}
		})
	}
}

func TestOverrideErrors(t *testing.T) {
	tests := []struct {
		name   string
		option string
		want   string
	}{
		{"no equals", "priority", `Error parsing config option "priority". Must be of the form key=val or key.subkey=val`},
		{"empty key", "=x", `Error parsing config option "=x". Must be of the form key=val or key.subkey=val`},
		{"empty component", "a..b=1", `Error parsing config option "a..b=1". Must be of the form key=val or key.subkey=val`},
		{"bad index", "rules_file[x]=1", `Error parsing config option "rules_file[x]=1". Must be of the form key=val or key.subkey=val`},
		{"unclosed index", "rules_file[0=1", `Error parsing config option "rules_file[0=1". Must be of the form key=val or key.subkey=val`},
		{"index past end", "rules_file[5]=x", `Error parsing config option "rules_file[5]=x". Must be of the form key=val or key.subkey=val: index 5 is past the end of rules_file (1 items)`},
		{"through a scalar", "priority.x=1", `Error parsing config option "priority.x=1". Must be of the form key=val or key.subkey=val: priority is not a mapping`},
		{"typed value", "file_output.keep_alive=maybe", `file_output.keep_alive: expected a boolean, got "maybe" (-o file_output.keep_alive=maybe)`},
		{"section set to scalar", "file_output=x", `file_output: expected a mapping, got "x" (-o file_output=x)`},
	}
	const file = "rules_file: [/a]\npriority: debug\nstdout_output: {enabled: true}\n"
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadBytes("falco.yaml", []byte(file), []string{tt.option})
			if err == nil || err.Error() != tt.want {
				t.Errorf("%s: got error %v, want %q", tt.name, err, tt.want)
			}
		})
	}
}

// TestListItemErrorLocation: a bad list item is blamed on where the item
// was set (its -o option, or its own line), not on the list.
func TestListItemErrorLocation(t *testing.T) {
	const file = "stdout_output: {enabled: true}\nsyscall_event_drops:\n  actions:\n    - log\n    - alert\n"
	const unknown = `syscall_event_drops.actions: unknown action "explode": must be one of ignore, log, alert, exit`
	const combined = `syscall_event_drops.actions: the "ignore" action cannot be combined with "log" or "alert"`
	tests := []struct {
		name      string
		file      string // "" = the built-in configuration
		overrides []string
		want      string
	}{
		{"built-in, item replaced", "", []string{"syscall_event_drops.actions[0]=explode"},
			unknown + " (-o syscall_event_drops.actions[0]=explode)"},
		{"file, item replaced", file, []string{"syscall_event_drops.actions[1]=explode"},
			unknown + " (-o syscall_event_drops.actions[1]=explode)"},
		{"file, item appended", file, []string{"syscall_event_drops.actions[2]=explode"},
			unknown + " (-o syscall_event_drops.actions[2]=explode)"},
		{"file, item makes a bad combination", file, []string{"syscall_event_drops.actions[1]=ignore"},
			combined + " (-o syscall_event_drops.actions[1]=ignore)"},
		{"file, second item bad", "stdout_output: {enabled: true}\nsyscall_event_drops:\n  actions:\n    - log\n    - explode\n", nil,
			unknown + " (falco.yaml:5)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var err error
			if tt.file == "" {
				_, err = Load("", tt.overrides)
			} else {
				_, err = LoadBytes("falco.yaml", []byte(tt.file), tt.overrides)
			}
			if err == nil || err.Error() != tt.want {
				t.Errorf("got error %v\nwant %q", err, tt.want)
			}
		})
	}
}

// TestHTTPURL: an enabled http output needs an http or https URL with a
// host; the error names the key and where the URL was set.
func TestHTTPURL(t *testing.T) {
	const enabled = "stdout_output: {enabled: true}\nhttp_output:\n  enabled: true\n  url: "
	tests := []struct {
		name      string
		file      string
		overrides []string
		want      string // "" = valid
	}{
		{"http", enabled + "http://127.0.0.1:2801/\n", nil, ""},
		{"https", enabled + "https://hooks.example.com/x\n", nil, ""},
		{"bad url in a disabled output", "stdout_output: {enabled: true}\nhttp_output:\n  url: example.com\n", nil, ""},
		{"no scheme in the file", enabled + "example.com/falco\n", nil,
			`http_output.url: expected an http:// or https:// URL with a host, got "example.com/falco" (no scheme: write "http://example.com/falco") (falco.yaml:4)`},
		{"no scheme with -o", enabled + "http://ok/\n", []string{"http_output.url=example.com/falco"},
			`http_output.url: expected an http:// or https:// URL with a host, got "example.com/falco" (no scheme: write "http://example.com/falco") (-o http_output.url=example.com/falco)`},
		{"enabled with -o, built-in url replaced", "", []string{"http_output.enabled=true", "http_output.url=ftp://example.com/"},
			`http_output.url: expected an http:// or https:// URL with a host, got "ftp://example.com/" (-o http_output.url=ftp://example.com/)`},
		{"no host", enabled + "\"http:///falco\"\n", nil,
			`http_output.url: expected an http:// or https:// URL with a host, got "http:///falco" (falco.yaml:4)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var err error
			if tt.file == "" {
				_, err = Load("", tt.overrides)
			} else {
				_, err = LoadBytes("falco.yaml", []byte(tt.file), tt.overrides)
			}
			if tt.want == "" {
				if err != nil {
					t.Errorf("unexpected error %v", err)
				}
				return
			}
			if err == nil || err.Error() != tt.want {
				t.Errorf("got error %v\nwant %q", err, tt.want)
			}
			if !errors.Is(err, ErrBadHTTPURL) {
				t.Errorf("%v does not wrap ErrBadHTTPURL", err)
			}
		})
	}
}

func TestBadValues(t *testing.T) {
	tests := []struct {
		name string
		file string
		want string
	}{
		{"bool", "stdout_output:\n  enabled: true\nfile_output:\n  keep_alive: maybe\n",
			`file_output.keep_alive: expected a boolean, got "maybe" (falco.yaml:4)`},
		{"bool given a list", "stdout_output:\n  enabled: [1]\n", `stdout_output.enabled: expected a boolean, got a list (falco.yaml:2)`},
		{"priority", "priority: loud\n",
			`priority: Unknown priority "loud"--must be one of emergency, alert, critical, error, warning, notice, informational, debug (falco.yaml:1)`},
		{"log level", "log_level: verbose\n", `log_level: Unknown log level verbose (falco.yaml:1)`},
		{"rule matching", "rule_matching: some\n", `rule_matching: expected "first" or "all", got "some" (falco.yaml:1)`},
		{"threshold above 1", "syscall_event_drops:\n  threshold: 1.5\n", `syscall_event_drops.threshold: must be a double in the range [0, 1], got 1.5 (falco.yaml:2)`},
		{"threshold not a number", "syscall_event_drops:\n  threshold: high\n", `syscall_event_drops.threshold: expected a number, got "high" (falco.yaml:2)`},
		{"ignore with log", "syscall_event_drops:\n  actions: [ignore, log]\n",
			`syscall_event_drops.actions: the "ignore" action cannot be combined with "log" or "alert" (falco.yaml:2)`},
		{"unknown action", "syscall_event_drops:\n  actions:\n    - panic\n",
			`syscall_event_drops.actions: unknown action "panic": must be one of ignore, log, alert, exit (falco.yaml:3)`},
		{"max_consecutives zero", "syscall_event_timeouts:\n  max_consecutives: 0\n",
			`syscall_event_timeouts.max_consecutives: expected a positive integer, got 0 (falco.yaml:2)`},
		{"max_burst not int", "outputs:\n  max_burst: 1.5\n", `outputs.max_burst: expected an integer, got "1.5" (falco.yaml:2)`},
		{"max_burst negative", "outputs:\n  max_burst: -1\n", `outputs.max_burst: expected 0 (no limit) or a positive integer, got -1 (falco.yaml:2)`},
		{"negative rate", "outputs:\n  rate: -1\n", `outputs.rate: expected a non-negative number, got -1 (falco.yaml:2)`},
		{"output_timeout", "output_timeout: soon\n", `output_timeout: expected an integer, got "soon" (falco.yaml:1)`},
		{"rules_file mapping", "rules_file: {a: b}\n", `rules_file: expected a string or a list of strings, got a mapping (falco.yaml:1)`},
		{"rules_file nested list", "rules_file:\n  - [a]\n", `rules_file[0]: expected a string, got a list (falco.yaml:2)`},
		{"section is scalar", "file_output: yes\n", `file_output: expected a mapping, got "yes" (falco.yaml:1)`},
		{"file without filename", "file_output:\n  enabled: true\n  filename: \"\"\n",
			`file_output.filename: file output enabled but no filename in configuration block (falco.yaml:2)`},
		{"program without program", "program_output:\n  enabled: true\n",
			`program_output.program: program output enabled but no program in configuration block (falco.yaml:2)`},
		{"http without url", "http_output:\n  enabled: true\n",
			`http_output.url: http output enabled but no url in configuration block (falco.yaml:2)`},
		{"follow without file", "stdout_output: {enabled: true}\nfile_output:\n  follow_to_stdout: true\n",
			`file_output.follow_to_stdout: requires file_output.enabled: true (falco.yaml:3)`},
		{"no outputs", "priority: debug\n", `Error reading config file (falco.yaml): No outputs configured`},
		{"grpc without grpc_output", "grpc:\n  enabled: true\ngrpc_output:\n  enabled: false\n", `Error reading config file (falco.yaml): No outputs configured`},
		{"not a mapping", "- a\n", `Error reading config file (falco.yaml): line 1: the configuration must be a mapping of keys to values`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadBytes("falco.yaml", []byte(tt.file), nil)
			if err == nil || err.Error() != tt.want {
				t.Errorf("%s: got error %v\nwant %q", tt.name, err, tt.want)
			}
		})
	}
}

func TestErrorTypes(t *testing.T) {
	_, err := LoadBytes("falco.yaml", []byte("priority: debug\n"), nil)
	if !errors.Is(err, ErrNoOutputs) {
		t.Errorf("no outputs: %v is not ErrNoOutputs", err)
	}
	_, err = LoadBytes("falco.yaml", []byte("log_level: x\n"), nil)
	var ve *ValueError
	if !errors.As(err, &ve) || ve.Key != "log_level" || ve.Location != "falco.yaml:1" {
		t.Errorf("log_level: %#v", err)
	}
	_, err = LoadBytes("falco.yaml", nil, []string{"x"})
	var oe *OverrideError
	if !errors.As(err, &oe) {
		t.Errorf("override: %#v", err)
	}
}

func TestUnknownKeysAreWarnings(t *testing.T) {
	const file = `stdout_output:
  enabled: true
  colour: red
webserver:
  enabled: true
grpc:
  private_key: /k
frobnicate: 1
`
	cfg, err := LoadBytes("falco.yaml", []byte(file), []string{"other.key=1"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		`unknown configuration key "stdout_output.colour", ignored (falco.yaml:3)`,
		`configuration key "webserver" is not supported by falco-trace, ignored (falco.yaml:4)`,
		`configuration key "grpc.private_key" is not supported by falco-trace, ignored (falco.yaml:7)`,
		`unknown configuration key "frobnicate", ignored (falco.yaml:8)`,
		`unknown configuration key "other", ignored (-o other.key=1)`,
	}
	var got []string
	for _, w := range cfg.Warnings {
		got = append(got, w.String())
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("warnings:\n got %q\nwant %q", got, want)
	}
}

func TestLoadFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "falco.yaml")
	if err := os.WriteFile(path, []byte("stdout_output:\n  enabled: true\nhttp_output:\n  enabled: maybe\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Load(path, nil)
	want := `http_output.enabled: expected a boolean, got "maybe" (` + path + `:4)`
	if err == nil || err.Error() != want {
		t.Errorf("got %v, want %q", err, want)
	}
	_, err = Load(filepath.Join(dir, "missing.yaml"), nil)
	if !errors.Is(err, os.ErrNotExist) || !strings.HasPrefix(err.Error(), "Error reading config file (") {
		t.Errorf("missing file: %v", err)
	}
}

func TestKnownKeysCoverBuiltIn(t *testing.T) {
	keys := KnownKeys()
	if len(keys) != len(fields) {
		t.Fatalf("KnownKeys: %d, fields: %d", len(keys), len(fields))
	}
	for _, k := range []string{"file_output.follow_to_stdout", "rule_matching", "grpc.threadiness"} {
		found := false
		for _, kk := range keys {
			found = found || kk == k
		}
		if !found {
			t.Errorf("%s missing from KnownKeys", k)
		}
	}
}

// TestFalcoStyleFile: a configuration laid out like Falco 0.31.1's shipped
// falco.yaml loads; the keys falco-trace does not implement are warnings.
func TestFalcoStyleFile(t *testing.T) {
	const file = `rules_file:
  - /etc/falco/falco_rules.yaml
  - /etc/falco/falco_rules.local.yaml
  - /etc/falco/k8s_audit_rules.yaml
  - /etc/falco/rules.d
plugins:
  - name: k8saudit
    library_path: libk8saudit.so
    init_config: ""
load_plugins: []
time_format_iso_8601: false
json_output: false
json_include_output_property: true
json_include_tags_property: true
log_stderr: true
log_syslog: true
log_level: info
priority: debug
buffered_outputs: false
syscall_event_drops:
  threshold: .1
  actions:
    - log
    - alert
  rate: .03333
  max_burst: 1
syscall_event_timeouts:
  max_consecutives: 1000
outputs:
  rate: 1
  max_burst: 1000
syslog_output:
  enabled: true
file_output:
  enabled: false
  keep_alive: false
  filename: ./events.txt
stdout_output:
  enabled: true
webserver:
  enabled: true
  listen_port: 8765
  k8s_audit_endpoint: /k8s-audit
  k8s_healthz_endpoint: /healthz
  ssl_enabled: false
  ssl_certificate: /etc/falco/falco.pem
program_output:
  enabled: false
  keep_alive: false
  program: "jq '{text: .output}' | curl -d @- -X POST https://hooks.slack.com/services/XXX"
http_output:
  enabled: false
  url: http://some.url
  user_agent: "falcosecurity/falco"
grpc:
  enabled: false
  bind_address: "unix:///var/run/falco.sock"
  threadiness: 0
grpc_output:
  enabled: false
metadata_download:
  max_mb: 100
  chunk_wait_us: 1000
  watch_freq_sec: 1
`
	cfg, err := LoadBytes("/etc/falco/falco.yaml", []byte(file), nil)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, w := range cfg.Warnings {
		if !w.Falco {
			t.Errorf("unexpected warning %s", w)
		}
		keys = append(keys, w.Key)
	}
	if want := []string{"plugins", "load_plugins", "webserver", "metadata_download"}; !reflect.DeepEqual(keys, want) {
		t.Errorf("warned keys %v, want %v", keys, want)
	}
	if len(cfg.RulesFiles) != 4 || !cfg.SyslogOutput.Enabled || !cfg.StdoutOutput.Enabled || cfg.GRPC.BindAddress != "unix:///var/run/falco.sock" {
		t.Errorf("config %+v", cfg)
	}
}
