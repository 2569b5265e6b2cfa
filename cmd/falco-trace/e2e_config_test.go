package main

// End-to-end tests of the configuration and the command line: every
// falco.yaml key in a file given with -c, -o overrides, and the errors that
// must stop falco-trace before the workload starts, with the exit codes of
// the workload and of usage mistakes.

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/falco-trace/falco-trace/falco/config"
)

// e2eFlattenKeys lists the dotted leaf keys of a YAML mapping.
func e2eFlattenKeys(n *yaml.Node, prefix string, out *[]string) {
	for i := 0; i+1 < len(n.Content); i += 2 {
		key := n.Content[i].Value
		if prefix != "" {
			key = prefix + "." + key
		}
		if v := n.Content[i+1]; v.Kind == yaml.MappingNode {
			e2eFlattenKeys(v, key, out)
		} else {
			*out = append(*out, key)
		}
	}
}

// e2eFullConfig writes testdata/e2e/full_falco.yaml into dir with its
// placeholders filled, and returns its path.
func e2eFullConfig(t *testing.T, dir, rules, url string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(e2eTestdata, "full_falco.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	text := strings.NewReplacer("@DIR@", dir, "@RULES@", rules, "@URL@", url).Replace(string(data))
	path := filepath.Join(dir, "falco.yaml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func e2eAbs(t *testing.T, path string) string {
	t.Helper()
	abs, err := filepath.Abs(path)
	if err != nil {
		t.Fatal(err)
	}
	return abs
}

// e2eNoConfigWarnings fails on any warning about configuration keys.
func e2eNoConfigWarnings(t *testing.T, res e2eResult) {
	t.Helper()
	if strings.Contains(res.stderr, "configuration key") || strings.Contains(res.stderr, "level=warning") {
		t.Errorf("unexpected warnings\n%s", res)
	}
}

var e2eISOTimeRE = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{9}\+0000: Warning `)

// TestE2EConfigEveryKey: a falco.yaml setting every supported key is
// accepted without a warning, and the keys take effect: priority and
// rule_matching select the rules, the JSON format follows the json_* and
// time keys, and the file, program and HTTP outputs receive the alert.
func TestE2EConfigEveryKey(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(e2eTestdata, "full_falco.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	var keys []string
	e2eFlattenKeys(doc.Content[0], "", &keys)
	sort.Strings(keys)
	if got, want := strings.Join(keys, "\n"), strings.Join(config.KnownKeys(), "\n"); got != want {
		t.Fatalf("full_falco.yaml must set exactly the supported keys:\nfixture:\n%s\nconfig.KnownKeys:\n%s", got, want)
	}

	e2eRequireRoot(t)
	env := e2eSetup(t)
	dir := t.TempDir()
	srv := e2eNewHTTPServer(t)
	cfg := e2eFullConfig(t, dir, e2eAbs(t, e2eShadowRules), srv.URL)
	res := e2eRun(t, env, append([]string{"launch", "-c", cfg, "--"}, e2eShadowWorkload...)...)
	e2eWantExit(t, res, 0)
	e2eNoConfigWarnings(t, res)

	// priority: notice leaves the DEBUG twin out, so rule_matching: all
	// still gives one alert.
	alerts := e2eJSONAlerts(t, res.stdout)
	if len(alerts) != 1 {
		t.Fatalf("want 1 JSON alert, got %d\n%s", len(alerts), res)
	}
	a := alerts[0]
	if a.Str("rule") != e2eShadowRule {
		t.Errorf("rule %q", a.Str("rule"))
	}
	if _, ok := a.Fields["tags"]; ok {
		t.Errorf("json_include_tags_property: false, but tags are present: %s", a.Raw)
	}
	if !e2eISOTimeRE.MatchString(a.Str("output")) {
		t.Errorf("time_format_iso_8601: true, but output is %q", a.Str("output"))
	}
	fileLines := e2eCountLines(t, filepath.Join(dir, "events.txt"), `"rule":"`+e2eShadowRule+`"`)
	programLines := e2eCountLines(t, filepath.Join(dir, "program.out"), `"rule":"`+e2eShadowRule+`"`)
	reqs := srv.received()
	if fileLines != 1 || programLines != 1 || len(reqs) != 1 {
		t.Fatalf("file %d, program %d, http %d alerts; want 1 each\n%s", fileLines, programLines, len(reqs), res)
	}
	if reqs[0].UserAgent != "e2e-config/1.0" || reqs[0].ContentType != "application/json" {
		t.Errorf("http request User-Agent %q Content-Type %q", reqs[0].UserAgent, reqs[0].ContentType)
	}
	if _, err := os.Stat(filepath.Join(dir, "falco.sock")); err == nil {
		t.Errorf("gRPC socket left behind after exit")
	}
	if e2eEventsDetected(t, res) != 1 {
		t.Errorf("summary count is not 1\n%s", res)
	}
}

// TestE2EConfigOverrides: -o wins over the file, for top-level keys,
// dotted paths and list items (rules_file[0]).
func TestE2EConfigOverrides(t *testing.T) {
	e2eRequireRoot(t)
	env := e2eSetup(t)
	dir := t.TempDir()
	srv := e2eNewHTTPServer(t)
	// rules_file[0] of the file does not exist: only the override makes
	// the run possible.
	cfg := e2eFullConfig(t, dir, filepath.Join(dir, "missing_rules.yaml"), srv.URL)
	other := filepath.Join(dir, "other.txt")
	res := e2eRun(t, env, append([]string{"launch", "-c", cfg,
		"-o", "rules_file[0]=" + e2eAbs(t, e2eShadowRules),
		"-o", "priority=debug",
		"-o", "json_include_tags_property=true",
		"-o", "time_format_iso_8601=false",
		"-o", "file_output.filename=" + other,
		"-o", "http_output.user_agent=override/2",
		"-o", "program_output.enabled=false",
		"-o", "grpc.enabled=false",
		"--"}, e2eShadowWorkload...)...)
	e2eWantExit(t, res, 0)
	e2eNoConfigWarnings(t, res)

	// priority=debug loads the DEBUG twin; rule_matching: all (file) fires
	// both rules on the same open.
	alerts := e2eJSONAlerts(t, res.stdout)
	var rules []string
	for _, a := range alerts {
		rules = append(rules, a.Str("rule"))
		if _, ok := a.Fields["tags"]; !ok {
			t.Errorf("json_include_tags_property=true, but no tags: %s", a.Raw)
		}
		if !e2eTextAlertRE.MatchString(a.Str("output")) {
			t.Errorf("time_format_iso_8601=false, but output is %q", a.Str("output"))
		}
	}
	sort.Strings(rules)
	if strings.Join(rules, "|") != e2eShadowRule+"|"+e2eShadowRule+" debug" {
		t.Fatalf("rules fired %q, want both rules once\n%s", rules, res)
	}
	if n := e2eCountLines(t, other, "shadow opened"); n != 2 {
		t.Errorf("file_output.filename override: %d alerts in %s, want 2", n, other)
	}
	if _, err := os.Stat(filepath.Join(dir, "events.txt")); err == nil {
		t.Errorf("the file's file_output.filename was used despite the override")
	}
	if _, err := os.Stat(filepath.Join(dir, "program.out")); err == nil {
		t.Errorf("program_output.enabled=false, but the program ran")
	}
	reqs := srv.received()
	if len(reqs) != 2 || reqs[0].UserAgent != "override/2" {
		t.Errorf("http: %d requests (want 2), user agent %v", len(reqs), reqs)
	}
}

// e2eConfigError is a configuration that must be refused before the
// workload starts.
type e2eConfigError struct {
	name string
	// file is a configuration file's content ("" = no -c).
	file string
	args []string
	// want are substrings of stderr; FILE stands for the config path.
	want []string
	// knownBug, when set, describes why the case fails today: it runs
	// only with FALCO_TRACE_E2E_KNOWN_BUGS=1.
	knownBug string
}

// e2eRunRefused runs a configuration that must be refused: exit 1, the
// expected message, no summary, and the workload (which would create a
// marker file) never ran.
func e2eRunRefused(t *testing.T, env *e2eEnv, tc e2eConfigError) {
	t.Helper()
	if tc.knownBug != "" {
		e2eKnownBug(t, tc.knownBug)
	}
	dir := t.TempDir()
	marker := filepath.Join(dir, "workload-ran")
	args := []string{"launch"}
	cfg := filepath.Join(dir, "falco.yaml")
	if tc.file != "" {
		if err := os.WriteFile(cfg, []byte(tc.file), 0o644); err != nil {
			t.Fatal(err)
		}
		args = append(args, "-c", cfg)
	}
	args = append(append(args, tc.args...), "--", "touch", marker)
	res := e2eRun(t, env, args...)
	e2eWantExit(t, res, 1)
	for _, w := range tc.want {
		w = strings.ReplaceAll(w, "FILE", cfg)
		if !strings.Contains(res.stderr, w) {
			t.Errorf("stderr lacks %q\n%s", w, res)
		}
	}
	if _, err := os.Stat(marker); err == nil {
		t.Errorf("the workload ran although the configuration was refused\n%s", res)
	}
	if strings.Contains(res.stdout, "Events detected") {
		t.Errorf("a refused configuration printed a summary\n%s", res)
	}
}

// TestE2EConfigBadValues: a bad value, in -o or in the file, exits 1 with
// a message naming the key and where it was set, before the workload runs.
func TestE2EConfigBadValues(t *testing.T) {
	env := e2eSetup(t)
	rules := []string{"-r", e2eShadowRules}
	tests := []e2eConfigError{
		{name: "bool", args: []string{"-o", "json_output=maybe"},
			want: []string{`falco-trace: json_output: expected a boolean, got "maybe" (-o json_output=maybe)`}},
		{name: "priority", args: []string{"-o", "priority=loud"},
			want: []string{`priority: Unknown priority "loud"--must be one of emergency`, "(-o priority=loud)"}},
		{name: "rule_matching", args: []string{"-o", "rule_matching=some"},
			want: []string{`rule_matching: expected "first" or "all", got "some" (-o rule_matching=some)`}},
		{name: "log_level", args: []string{"-o", "log_level=loud"},
			want: []string{"log_level: Unknown log level loud (-o log_level=loud)"}},
		{name: "negative max_burst", args: []string{"-o", "outputs.max_burst=-1"},
			want: []string{"outputs.max_burst: expected 0 (no limit) or a positive integer, got -1 (-o outputs.max_burst=-1)"}},
		{name: "rate not a number", args: []string{"-o", "outputs.rate=fast"},
			want: []string{`outputs.rate: expected a number, got "fast" (-o outputs.rate=fast)`}},
		{name: "output_timeout zero", args: []string{"-o", "output_timeout=0"},
			want: []string{"output_timeout: expected a positive number of milliseconds, got 0"}},
		{name: "drop threshold", args: []string{"-o", "syscall_event_drops.threshold=2"},
			want: []string{"syscall_event_drops.threshold: must be a double in the range [0, 1], got 2"}},
		{name: "drop action", args: []string{"-o", "syscall_event_drops.actions[0]=explode"},
			want: []string{`syscall_event_drops.actions: unknown action "explode": must be one of ignore, log, alert, exit`}},
		{name: "drop action location", args: []string{"-o", "syscall_event_drops.actions[0]=explode"},
			want: []string{"(-o syscall_event_drops.actions[0]=explode)"}},
		{name: "threadiness", args: []string{"-o", "grpc.threadiness=-1"},
			want: []string{"grpc.threadiness: expected a non-negative integer, got -1"}},
		{name: "malformed option", args: []string{"-o", "json_output"},
			want: []string{`Error parsing config option "json_output". Must be of the form key=val or key.subkey=val`}},
		{name: "path through a scalar", args: []string{"-o", "json_output.x=1"},
			want: []string{`Error parsing config option "json_output.x=1"`, "json_output is not a mapping"}},
		{name: "list index past the end", args: []string{"-o", "rules_file[3]=x.yaml"},
			want: []string{"index 3 is past the end of rules_file"}},
		{name: "enabled file output without filename", args: []string{"-o", "file_output.enabled=true", "-o", "file_output.filename="},
			want: []string{"file_output.filename: file output enabled but no filename in configuration block (-o file_output.enabled=true)"}},
		{name: "follow without file output", args: []string{"-o", "file_output.follow_to_stdout=true"},
			want: []string{"file_output.follow_to_stdout: requires file_output.enabled: true"}},
		{name: "http url without scheme", args: []string{"-o", "http_output.enabled=true", "-o", "http_output.url=example.com/falco"},
			want: []string{"http_output.url", "example.com/falco"}},
		{name: "no outputs", args: []string{"-o", "stdout_output.enabled=false"},
			want: []string{"No outputs configured"}},
		{name: "file output in a missing directory", args: []string{"-o", "file_output.enabled=true", "-o", "file_output.filename=/nonexistent-e2e/events.txt"},
			want: []string{"/nonexistent-e2e/events.txt", "no such file or directory"}},
		{name: "grpc socket in a missing directory", args: []string{"-o", "grpc.enabled=true", "-o", "grpc.bind_address=unix:///nonexistent-e2e/falco.sock"},
			want: []string{"grpc", "/nonexistent-e2e/falco.sock"}},
		{name: "bad value in the file", file: "stdout_output:\n  enabled: true\njson_output: maybe\n",
			want: []string{`json_output: expected a boolean, got "maybe" (FILE:3)`}},
		{name: "section is not a mapping", file: "stdout_output: yes\n",
			want: []string{"stdout_output: expected a mapping", "(FILE:1)"}},
		{name: "ignore combined with log", file: "stdout_output:\n  enabled: true\nsyscall_event_drops:\n  actions: [ignore, log]\n",
			want: []string{`syscall_event_drops.actions: the "ignore" action cannot be combined with "log" or "alert" (FILE:4)`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.args = append(append([]string(nil), rules...), tc.args...)
			e2eRunRefused(t, env, tc)
		})
	}
}

// TestE2EConfigUnknownKeys: keys falco-trace does not know, in the file or
// in -o, are warnings on stderr naming the key and its place, and the run
// goes on.
func TestE2EConfigUnknownKeys(t *testing.T) {
	env := e2eSetup(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "falco.yaml")
	content := "stdout_output:\n  enabled: true\n  colour: red\ne2e_unknown: 1\nwebserver:\n  enabled: true\n"
	if err := os.WriteFile(cfg, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	marker := filepath.Join(dir, "workload-ran")
	res := e2eRun(t, env, "launch", "-c", cfg, "-r", e2eShadowRules, "-o", "e2e_option.sub=1", "--", "touch", marker)
	e2eWantExit(t, res, 0)
	for _, want := range []string{
		`level=warning msg="unknown configuration key \"stdout_output.colour\", ignored (` + cfg + `:3)"`,
		`level=warning msg="unknown configuration key \"e2e_unknown\", ignored (` + cfg + `:4)"`,
		`level=warning msg="configuration key \"webserver\" is not supported by falco-trace, ignored (` + cfg + `:5)"`,
		`unknown configuration key \"e2e_option`, `ignored (-o e2e_option.sub=1)"`,
	} {
		if !strings.Contains(res.stderr, want) {
			t.Errorf("stderr lacks %s\n%s", want, res)
		}
	}
	if strings.Contains(res.stdout, "configuration key") {
		t.Errorf("warnings on stdout\n%s", res)
	}
	if _, err := os.Stat(marker); err != nil {
		t.Errorf("the workload did not run\n%s", res)
	}
}

// TestE2EConfigRulesFiles: a missing or broken rules file stops falco-trace
// with exit 1 naming the file, before the workload runs; a configuration
// listing a missing file beside an existing one runs (Falco skips missing
// rules_file entries of falco.yaml).
func TestE2EConfigRulesFiles(t *testing.T) {
	env := e2eSetup(t)
	dir := t.TempDir()
	broken := filepath.Join(dir, "broken_rules.yaml")
	brokenRule := "- rule: broken\n  desc: d\n  condition: evt.type=open and\n  output: o\n  priority: WARNING\n"
	if err := os.WriteFile(broken, []byte(brokenRule), 0o644); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing_rules.yaml")
	tests := []e2eConfigError{
		{name: "-r missing", args: []string{"-r", missing},
			want: []string{"Could not get info on rules file " + missing + ": no such file or directory"}},
		{name: "-o rules_file missing", args: []string{"-o", "rules_file=" + missing},
			want: []string{"Could not get info on rules file " + missing}},
		{name: "config lists only missing files", file: "stdout_output:\n  enabled: true\nrules_file:\n  - " + missing + "\n",
			want: []string{"no rules loaded", missing}},
		{name: "syntax error", args: []string{"-r", broken},
			want: []string{"Could not load rules file " + broken, "Compilation error", "evt.type=open and"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { e2eRunRefused(t, env, tc) })
	}
	t.Run("config skips a missing entry", func(t *testing.T) {
		cfg := filepath.Join(dir, "falco.yaml")
		content := "stdout_output:\n  enabled: true\nrules_file:\n  - " + missing + "\n  - " + e2eAbs(t, e2eShadowRules) + "\n"
		if err := os.WriteFile(cfg, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		res := e2eRun(t, env, "launch", "-c", cfg, "--", "true")
		e2eWantExit(t, res, 0)
		if !strings.Contains(res.stderr, "shadow_rule.yaml") {
			t.Errorf("the existing rules file was not loaded\n%s", res)
		}
	})
}

// TestE2EConfigUnreadableFile: a configuration file that cannot be read or
// parsed exits 1 with Falco's "Error reading config file (PATH)".
func TestE2EConfigUnreadableFile(t *testing.T) {
	env := e2eSetup(t)
	dir := t.TempDir()
	tests := []struct {
		name, path string
		want       string
	}{
		{"missing", filepath.Join(dir, "missing.yaml"), "no such file or directory"},
		{"directory", dir, "is a directory"},
		{"not YAML", filepath.Join(dir, "bad.yaml"), "yaml: line 1"},
		{"not a mapping", filepath.Join(dir, "list.yaml"), "the configuration must be a mapping"},
	}
	if err := os.WriteFile(filepath.Join(dir, "bad.yaml"), []byte("json_output: [\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "list.yaml"), []byte("- a\n- b\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() != 0 {
		// Root reads any file: only then can permissions make it unreadable.
		noRead := filepath.Join(dir, "noread.yaml")
		if err := os.WriteFile(noRead, []byte("stdout_output:\n  enabled: true\n"), 0o000); err != nil {
			t.Fatal(err)
		}
		tests = append(tests, struct{ name, path, want string }{"no permission", noRead, "permission denied"})
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e2eRunRefused(t, env, e2eConfigError{
				args: []string{"-c", tc.path, "-r", e2eShadowRules},
				want: []string{"falco-trace: Error reading config file (" + tc.path + "): ", tc.want},
			})
		})
	}
}

// TestE2EExitCodes: usage mistakes exit 2; a command that cannot run exits
// 127 or 126 with a shell-like message; otherwise falco-trace exits with
// the workload's status (128+N when killed by signal N).
func TestE2EExitCodes(t *testing.T) {
	env := e2eSetup(t)
	rules := []string{"-r", e2eShadowRules}
	tests := []struct {
		name     string
		args     []string
		wantCode int
		// wantErr matches stderr; "" = no check.
		wantErr string
	}{
		{"unknown global flag", []string{"--no-such-flag", "launch", "--", "true"}, 2, `falco-trace: flag provided but not defined: -no-such-flag`},
		{"unknown launch flag", []string{"launch", "--no-such-flag", "--", "true"}, 2, `falco-trace: flag provided but not defined: -no-such-flag`},
		{"unknown command", []string{"no-such-command"}, 2, `unknown command "no-such-command"`},
		{"launch without command", []string{"launch"}, 2, `falco-trace: missing COMMAND \(after --\) or -p PID`},
		{"launch with empty command", append(append([]string{"launch"}, rules...), "--"), 2, `missing COMMAND`},
		{"command not found", append(append([]string{"launch"}, rules...), "--", "/nonexistent-e2e/cmd"), 127,
			`(?m)^falco-trace: /nonexistent-e2e/cmd: (command not found|not found|No such file or directory)$`},
		{"command not executable", append(append([]string{"launch"}, rules...), "--", "/etc/passwd"), 126,
			`(?m)^falco-trace: /etc/passwd: Permission denied$`},
		{"workload exit status", append(append([]string{"launch"}, rules...), "--", "sh", "-c", "exit 7"), 7, ""},
		{"workload killed", append(append([]string{"launch"}, rules...), "--", "sh", "-c", "kill -KILL $$"), 137, ""},
		{"workload success", append(append([]string{"launch"}, rules...), "--", "true"), 0, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := e2eRun(t, env, tc.args...)
			e2eWantExit(t, res, tc.wantCode)
			if tc.wantErr != "" && !regexp.MustCompile(tc.wantErr).MatchString(res.stderr) {
				t.Errorf("stderr does not match %s\n%s", tc.wantErr, res)
			}
			if tc.wantCode == 2 && strings.Contains(res.stdout, "Events detected") {
				t.Errorf("a usage error ran the detection\n%s", res)
			}
		})
	}
}

// TestE2ESignalForwarding: as a container entrypoint falco-trace passes
// SIGTERM to the workload, exits with its status (128+15) and still
// delivers the alerts raised before, with the summary.
func TestE2ESignalForwarding(t *testing.T) {
	e2eRequireRoot(t)
	env := e2eSetup(t)
	ready := filepath.Join(t.TempDir(), "ready")
	p := e2eStart(t, env, "launch", "-r", e2eShadowRules, "--", "sh", "-c",
		`cat /etc/shadow > /dev/null; touch "$1"; while :; do sleep 0.05; done`, "workload", ready)
	e2eWaitFor(t, "the workload", 20*time.Second, func() bool {
		_, err := os.Stat(ready)
		return err == nil
	})
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	res := p.wait(t)
	e2eWantExit(t, res, 128+int(syscall.SIGTERM))
	if alerts := e2eTextAlerts(res.stdout); len(alerts) != 1 || !strings.Contains(alerts[0], "shadow opened (proc=cat file=/etc/shadow)") {
		t.Errorf("want the alert raised before SIGTERM\n%s", res)
	}
	if e2eEventsDetected(t, res) != 1 {
		t.Errorf("summary count is not 1\n%s", res)
	}
}
