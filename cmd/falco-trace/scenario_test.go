package main

// Scenario suites for the rules: every default rule must fire on its
// scenario script and no other rule may fire; ordinary workloads must raise
// nothing; a set of Falco 0.31.1 rules must fire on theirs. Each script runs
// under a freshly built `falco-trace launch` with JSON output, exactly as a
// user would run it. The scripts and their C helpers live in
// falco/rules/testdata (see the README files there for the headers).

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/falco-trace/falco-trace/falco/sharedrules"
)

const (
	rulesTestdata        = "../../falco/rules/testdata"
	defaultRulesFile     = "../../falco/rules/falco-trace_rules.yaml"
	rulesTable           = "../../falco/rules/RULES.md"
	scenarioRootEnv      = "FALCO_TRACE_SCENARIO_ROOT"
	defaultScenarioRoot  = "/var/lib/falco-trace-test"
	defaultScenarioLimit = 30 * time.Second
	// minUpstreamRules is how many distinct Falco 0.31.1 rules the upstream
	// suite must see fire.
	minUpstreamRules = 25
)

// scenario is one script with the expectations of its header comments.
type scenario struct {
	name      string
	path      string
	expect    []string // sorted rule names; empty for the false-positive suite
	requires  []string
	runAs     string
	container bool
	timeout   time.Duration
	// knownIssue names a bug outside the rules (tracer, libsinsp) that
	// makes the scenario fail for now; see checkScenario.
	knownIssue string
}

// parseScenario reads the header comments of a script:
//
//	# expect: RULE NAME      one per rule that must fire
//	# requires: CMD...       commands that must be on PATH
//	# run-as: USER           falco-trace itself runs as USER
//	# container: true        give falco-trace a container identity
//	# timeout: SECONDS
//	# known-issue: TEXT      a reported bug elsewhere makes it fail for now
func parseScenario(path string) (scenario, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return scenario{}, err
	}
	sc := scenario{
		name:    strings.TrimSuffix(filepath.Base(path), ".sh"),
		path:    path,
		timeout: defaultScenarioLimit,
	}
	seen := map[string]bool{}
	for _, line := range strings.Split(string(data), "\n") {
		key, value, ok := strings.Cut(strings.TrimPrefix(line, "#"), ":")
		if !strings.HasPrefix(line, "# ") || !ok {
			continue
		}
		value = strings.TrimSpace(value)
		switch strings.TrimSpace(key) {
		case "expect":
			if value == "" || seen[value] {
				return sc, fmt.Errorf("%s: empty or repeated expect %q", path, value)
			}
			seen[value] = true
			sc.expect = append(sc.expect, value)
		case "requires":
			sc.requires = append(sc.requires, strings.Fields(value)...)
		case "run-as":
			sc.runAs = value
		case "container":
			sc.container = value == "true"
		case "known-issue":
			sc.knownIssue = value
		case "timeout":
			secs, err := strconv.Atoi(value)
			if err != nil || secs <= 0 {
				return sc, fmt.Errorf("%s: bad timeout %q", path, value)
			}
			sc.timeout = time.Duration(secs) * time.Second
		}
	}
	sort.Strings(sc.expect)
	return sc, nil
}

func loadScenarios(t *testing.T, dir string) []scenario {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(rulesTestdata, dir, "*.sh"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no scenarios in %s: %v", dir, err)
	}
	var out []scenario
	for _, p := range paths {
		sc, err := parseScenario(p)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, sc)
	}
	return out
}

// scenarioEnv is what every scenario run shares: the falco-trace binary, the
// compiled helpers, and a root directory outside /tmp (executing or making
// executable anything below /tmp is itself detected).
type scenarioEnv struct {
	root      string
	binary    string
	helperDir string
	// containerFlags is set when launch accepts a container identity.
	containerFlags bool
}

// scenarioSetup builds falco-trace and the helpers into a new directory,
// removed when the test ends.
func scenarioSetup(t *testing.T) *scenarioEnv {
	t.Helper()
	mustHavePtraceCmd(t)
	if os.Geteuid() != 0 {
		// The scenarios read /etc/shadow, write below /usr/local and
		// /var/log, and start PostgreSQL as another user.
		if os.Getenv("CI") != "" {
			t.Fatal("the rule scenarios need root")
		}
		t.Skip("the rule scenarios need root")
	}
	env, err := buildScenarioEnv()
	if env != nil {
		t.Cleanup(func() { os.RemoveAll(env.root) })
	}
	if err != nil {
		t.Fatal(err)
	}
	return env
}

func buildScenarioEnv() (*scenarioEnv, error) {
	base := os.Getenv(scenarioRootEnv)
	if base == "" {
		base = defaultScenarioRoot
	}
	if err := os.MkdirAll(base, 0o755); err != nil {
		return nil, fmt.Errorf("scenario root: %w", err)
	}
	root, err := os.MkdirTemp(base, "run-")
	if err != nil {
		return nil, fmt.Errorf("scenario root: %w", err)
	}
	env := &scenarioEnv{root: root, binary: filepath.Join(root, "falco-trace"), helperDir: filepath.Join(root, "helpers")}
	// Readable by the users scenarios run as (run-as).
	if err := os.Chmod(root, 0o755); err != nil {
		return env, err
	}
	build := exec.Command("go", "build", "-o", env.binary, ".")
	if out, err := build.CombinedOutput(); err != nil {
		return env, fmt.Errorf("go build ./cmd/falco-trace: %w\n%s", err, out)
	}
	if err := os.Mkdir(env.helperDir, 0o755); err != nil {
		return env, err
	}
	sources, _ := filepath.Glob(filepath.Join(rulesTestdata, "scenarios", "c", "*.c"))
	for _, src := range sources {
		out := filepath.Join(env.helperDir, strings.TrimSuffix(filepath.Base(src), ".c"))
		cc := exec.Command("gcc", "-O1", "-Wall", "-Werror", "-o", out, src)
		if msg, err := cc.CombinedOutput(); err != nil {
			return env, fmt.Errorf("compiling %s: %w\n%s", src, err, msg)
		}
	}
	help, err := exec.Command(env.binary, "launch", "--help").CombinedOutput()
	if err != nil {
		return env, fmt.Errorf("falco-trace launch --help: %w\n%s", err, help)
	}
	env.containerFlags = bytes.Contains(help, []byte("--container-id"))
	return env, nil
}

// alert is the part of Falco's JSON alert the suites compare.
type alert struct {
	Rule     string `json:"rule"`
	Priority string `json:"priority"`
	Output   string `json:"output"`
}

// scenarioResult is what one run produced.
type scenarioResult struct {
	alerts   []alert
	exitCode int
	stdout   string
	stderr   string
}

// firedRules returns the sorted distinct rule names.
func (r scenarioResult) firedRules() []string {
	set := map[string]bool{}
	for _, a := range r.alerts {
		set[a.Rule] = true
	}
	names := make([]string, 0, len(set))
	for n := range set {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func (r scenarioResult) describe() string {
	var b strings.Builder
	fmt.Fprintf(&b, "exit code %d\n", r.exitCode)
	for _, a := range r.alerts {
		fmt.Fprintf(&b, "  alert %s [%s]: %s\n", a.Rule, a.Priority, a.Output)
	}
	fmt.Fprintf(&b, "stderr:\n%s", clip(r.stderr, 2000))
	return b.String()
}

// clip keeps the start of s (a crash names its cause there) and its end.
func clip(s string, n int) string {
	if len(s) <= 2*n {
		return s
	}
	return s[:n] + "\n...\n" + s[len(s)-n:]
}

// parseAlerts picks Falco JSON alerts out of stdout, which the workload
// shares (scenario scripts send their own output to /dev/null).
func parseAlerts(stdout string) []alert {
	var out []alert
	sc := bufio.NewScanner(strings.NewReader(stdout))
	sc.Buffer(make([]byte, 0, 64*1024), 4*1024*1024)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if !strings.HasPrefix(line, "{") {
			continue
		}
		var a alert
		if err := json.Unmarshal([]byte(line), &a); err != nil || a.Rule == "" {
			continue
		}
		out = append(out, a)
	}
	return out
}

// runScenario starts the script under falco-trace launch; rulesFile ""
// means the built-in rules.
func runScenario(t *testing.T, env *scenarioEnv, sc scenario, rulesFile string) scenarioResult {
	t.Helper()
	for _, cmd := range sc.requires {
		if _, err := exec.LookPath(cmd); err != nil {
			msg := fmt.Sprintf("%s needs %q on PATH (see falco/rules/testdata/fp/README.md for the packages)", sc.name, cmd)
			if os.Getenv("CI") != "" {
				t.Fatal(msg)
			}
			t.Skip(msg)
		}
	}
	if sc.container && !env.containerFlags {
		msg := sc.name + " needs a container identity, but launch has no --container-id flag"
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	work, err := os.MkdirTemp(env.root, sc.name+"-")
	if err != nil {
		t.Fatal(err)
	}
	logDir, err := os.MkdirTemp("/var/log", "falco-trace-scenario.")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		os.RemoveAll(work)
		os.RemoveAll(logDir)
	})
	configPath := filepath.Join(work, "falco.yaml")
	if err := os.WriteFile(configPath, []byte("json_output: true\nstdout_output:\n  enabled: true\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	scratch := filepath.Join(work, "scratch")
	if err := os.Mkdir(scratch, 0o755); err != nil {
		t.Fatal(err)
	}
	// Servers started by a scenario drop privileges (nginx workers run as
	// nobody) and must still reach their files.
	for _, dir := range []string{work, logDir} {
		if err := os.Chmod(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}

	args := []string{"launch", "-c", configPath, "-o", "json_output=true"}
	if rulesFile != "" {
		args = append(args, "-r", rulesFile)
	}
	if sc.container {
		args = append(args, "--container-id", "3ad7b26ded6d", "--container-name", "scenario",
			"--container-image", "docker.io/library/debian:12")
	}
	script, err := filepath.Abs(sc.path)
	if err != nil {
		t.Fatal(err)
	}
	if sc.runAs != "" {
		// The clone may sit below a directory only root can enter (mktemp
		// -d is 0700): the user the scenario runs as reads its own copy.
		data, err := os.ReadFile(script)
		if err != nil {
			t.Fatal(err)
		}
		script = filepath.Join(work, filepath.Base(sc.path))
		if err := os.WriteFile(script, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	args = append(args, "--", "sh", script)

	ctx, cancel := context.WithTimeout(context.Background(), sc.timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, env.binary, args...)
	cmd.Dir = scratch
	cmd.Env = append(os.Environ(),
		"FT_SCENARIO_WORK="+scratch,
		"FT_SCENARIO_BIN="+env.helperDir,
		"FT_SCENARIO_CONFIG="+configPath,
		"FT_SCENARIO_LOGDIR="+logDir,
		"FT_SCENARIO_PORT="+strconv.Itoa(freePort(t)),
	)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	// Kill the whole process group on timeout: the workload may have
	// started servers.
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	if sc.runAs != "" {
		uid, gid, home := lookupUser(t, sc.runAs)
		for _, dir := range []string{work, scratch, logDir} {
			if err := os.Chown(dir, uid, gid); err != nil {
				t.Fatal(err)
			}
		}
		cmd.SysProcAttr.Credential = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		cmd.Env = append(cmd.Env, "HOME="+home, "USER="+sc.runAs, "LOGNAME="+sc.runAs)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	if cmd.Process != nil {
		// falco-trace unlinks its ring at exit; after a crash its objects
		// (named after the supervisor's pid) would stay in /dev/shm.
		leftovers, _ := filepath.Glob(fmt.Sprintf("/dev/shm/falco-trace.%d-*", cmd.Process.Pid))
		for _, f := range leftovers {
			os.Remove(f)
		}
	}
	res := scenarioResult{stdout: stdout.String(), stderr: stderr.String(), alerts: parseAlerts(stdout.String())}
	if ctx.Err() != nil {
		t.Fatalf("%s: timed out after %v\n%s", sc.name, sc.timeout, res.describe())
	}
	var exitErr *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exitErr):
		res.exitCode = exitErr.ExitCode()
	default:
		t.Fatalf("%s: running falco-trace: %v", sc.name, err)
	}
	return res
}

func lookupUser(t *testing.T, name string) (uid, gid int, home string) {
	t.Helper()
	u, err := user.Lookup(name)
	if err != nil {
		msg := fmt.Sprintf("user %s: %v", name, err)
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	uid, _ = strconv.Atoi(u.Uid)
	gid, _ = strconv.Atoi(u.Gid)
	return uid, gid, u.HomeDir
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// ruleNames lists the rules of a Falco rules file in file order.
func ruleNames(t *testing.T, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var items []map[string]any
	if err := yaml.Unmarshal(data, &items); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var names []string
	for _, it := range items {
		if name, ok := it["rule"].(string); ok {
			if _, isAppend := it["append"]; !isAppend {
				names = append(names, name)
			}
		}
	}
	return names
}

// TestDefaultRuleScenarioCoverage: every default rule has a scenario that
// expects it, and scenarios expect only rules that exist.
func TestDefaultRuleScenarioCoverage(t *testing.T) {
	rules := ruleNames(t, defaultRulesFile)
	exists := map[string]bool{}
	for _, r := range rules {
		exists[r] = true
	}
	covered := map[string]bool{}
	for _, sc := range loadScenarios(t, "scenarios") {
		if len(sc.expect) == 0 {
			t.Errorf("%s: no # expect: header", sc.path)
		}
		for _, r := range sc.expect {
			if !exists[r] {
				t.Errorf("%s expects %q, which is not a default rule", sc.path, r)
			}
			covered[r] = true
		}
	}
	table, err := os.ReadFile(rulesTable)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rules {
		if !covered[r] {
			t.Errorf("default rule %q has no scenario", r)
		}
		if !bytes.Contains(table, []byte("\n| "+r+" |")) {
			t.Errorf("default rule %q has no row in %s", r, rulesTable)
		}
	}
}

// TestDefaultRuleScenarios runs every scenario under the built-in rules and
// requires exactly the expected rules to fire.
func TestDefaultRuleScenarios(t *testing.T) {
	env := scenarioSetup(t)
	for _, sc := range loadScenarios(t, "scenarios") {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			res := runScenario(t, env, sc, "")
			checkScenario(t, sc, res)
		})
	}
}

// TestDefaultRulesNoFalsePositives runs ordinary workloads under the
// built-in rules: none may raise an alert.
func TestDefaultRulesNoFalsePositives(t *testing.T) {
	env := scenarioSetup(t)
	for _, sc := range loadScenarios(t, "fp") {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			if len(sc.expect) != 0 {
				t.Fatalf("%s: a false-positive workload cannot expect alerts", sc.path)
			}
			res := runScenario(t, env, sc, "")
			if res.exitCode != 0 {
				t.Fatalf("workload failed\n%s", res.describe())
			}
			if len(res.alerts) != 0 {
				t.Errorf("%d alerts on an ordinary workload (rules %q)\n%s", len(res.alerts), res.firedRules(), res.describe())
			}
		})
	}
}

// TestUpstreamRuleScenarios runs the same mechanism with Falco 0.31.1's own
// rules file: each script must raise exactly its expected upstream rules,
// and together they must cover at least minUpstreamRules rules.
func TestUpstreamRuleScenarios(t *testing.T) {
	rulesFile, err := filepath.Abs(sharedrules.Path(t, "falco-0.31.1", "falco_rules.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	upstream := map[string]bool{}
	for _, r := range ruleNames(t, rulesFile) {
		upstream[r] = true
	}
	scenarios := loadScenarios(t, "upstream-0.31.1")
	expected := map[string]bool{}
	for _, sc := range scenarios {
		for _, r := range sc.expect {
			if !upstream[r] {
				t.Errorf("%s expects %q, which is not a Falco 0.31.1 rule", sc.path, r)
			}
			expected[r] = true
		}
	}
	if len(expected) < minUpstreamRules {
		t.Errorf("upstream scenarios expect %d distinct rules, want at least %d", len(expected), minUpstreamRules)
	}
	env := scenarioSetup(t)
	var mu sync.Mutex
	fired := map[string]bool{}
	ran := 0
	t.Run("scenarios", func(t *testing.T) {
		for _, sc := range scenarios {
			t.Run(sc.name, func(t *testing.T) {
				t.Parallel()
				mu.Lock()
				ran++
				mu.Unlock()
				res := runScenario(t, env, sc, rulesFile)
				got := checkScenario(t, sc, res)
				mu.Lock()
				for _, r := range got {
					if expected[r] {
						fired[r] = true
					}
				}
				mu.Unlock()
			})
		}
	})
	t.Logf("%d distinct Falco 0.31.1 rules fired as expected", len(fired))
	if ran < len(scenarios) {
		// go test -run selected some scenarios only.
		return
	}
	if len(fired) < minUpstreamRules {
		t.Errorf("only %d distinct Falco 0.31.1 rules fired as expected, want at least %d", len(fired), minUpstreamRules)
	}
}

// checkScenario requires a clean exit and exactly the expected rules, and
// returns the rules that fired. A scenario with a known-issue header that
// fails is skipped with the failure in the message (the issue is reported
// where it belongs); once it passes, the log asks to remove the header.
func checkScenario(t *testing.T, sc scenario, res scenarioResult) []string {
	t.Helper()
	got := res.firedRules()
	var failure string
	switch {
	case res.exitCode != 0:
		failure = "scenario failed"
	case !equalStrings(got, sc.expect):
		failure = fmt.Sprintf("fired %q, want %q", got, sc.expect)
	}
	switch {
	case failure == "":
		if sc.knownIssue != "" {
			t.Logf("%s passes: remove its known-issue header (%s)", sc.name, sc.knownIssue)
		}
	case sc.knownIssue != "":
		t.Skipf("known issue: %s\n%s\n%s", sc.knownIssue, failure, clip(res.describe(), 600))
	default:
		t.Errorf("%s\n%s", failure, res.describe())
	}
	return got
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestParseScenarioHeaders(t *testing.T) {
	tests := []struct {
		name    string
		script  string
		want    scenario
		wantErr bool
	}{
		{
			name: "all headers",
			script: "#!/bin/sh\n# Does things: described here.\n# expect: Rule B\n# expect: Rule A\n" +
				"# requires: curl  python3\n# run-as: postgres\n# container: true\n# timeout: 90\n# known-issue: bug 1\nset -eu\n",
			want: scenario{name: "s", expect: []string{"Rule A", "Rule B"}, requires: []string{"curl", "python3"},
				runAs: "postgres", container: true, timeout: 90 * time.Second, knownIssue: "bug 1"},
		},
		{
			name:   "defaults",
			script: "#!/bin/sh\n# Ordinary workload.\necho '# expect: not a header'\n",
			want:   scenario{name: "s", timeout: defaultScenarioLimit},
		},
		{name: "repeated expect", script: "# expect: A\n# expect: A\n", wantErr: true},
		{name: "bad timeout", script: "# timeout: soon\n", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "s.sh")
			if err := os.WriteFile(path, []byte(tt.script), 0o644); err != nil {
				t.Fatal(err)
			}
			got, err := parseScenario(path)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("no error, got %+v", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.want.path = path
			if fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", tt.want) {
				t.Errorf("got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestParseAlerts(t *testing.T) {
	stdout := "workload line\n" +
		`{"output":"x","priority":"Warning","rule":"Rule A","time":"t"}` + "\n" +
		`{"not":"an alert"}` + "\n" +
		"{broken json\n" +
		`  {"output":"y","priority":"Error","rule":"Rule B"}` + "\n" +
		`{"output":"z","priority":"Warning","rule":"Rule A"}` + "\n" +
		"Events detected: 3\n"
	res := scenarioResult{alerts: parseAlerts(stdout)}
	if len(res.alerts) != 3 {
		t.Fatalf("got %d alerts, want 3: %+v", len(res.alerts), res.alerts)
	}
	if got, want := res.firedRules(), []string{"Rule A", "Rule B"}; !equalStrings(got, want) {
		t.Errorf("fired %q, want %q", got, want)
	}
}

// updateRulesTableEnv rewrites falco/rules/RULES.md from the rules and the
// scenario headers instead of comparing.
const updateRulesTableEnv = "FALCO_TRACE_UPDATE_RULES_TABLE"

// TestRulesTableUpToDate: RULES.md is generated from the default rules
// (name, priority, desc, tags) and the scenario headers; it must match.
// Regenerate with FALCO_TRACE_UPDATE_RULES_TABLE=1 go test -run
// TestRulesTableUpToDate ./cmd/falco-trace.
func TestRulesTableUpToDate(t *testing.T) {
	want := renderRulesTable(t)
	if os.Getenv(updateRulesTableEnv) == "1" {
		if err := os.WriteFile(rulesTable, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got, err := os.ReadFile(rulesTable)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Errorf("%s is out of date: run %s=1 go test -run TestRulesTableUpToDate ./cmd/falco-trace", rulesTable, updateRulesTableEnv)
	}
}

type ruleDoc struct {
	Rule     string   `yaml:"rule"`
	Desc     string   `yaml:"desc"`
	Priority string   `yaml:"priority"`
	Tags     []string `yaml:"tags"`
}

func renderRulesTable(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile(defaultRulesFile)
	if err != nil {
		t.Fatal(err)
	}
	var items []ruleDoc
	if err := yaml.Unmarshal(data, &items); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	b.WriteString(`# falco-trace default rules

The rules of [` + "`falco-trace_rules.yaml`" + `](falco-trace_rules.yaml), built into the binary and used when no ` + "`-r`" + `
is given. Every rule has a scenario script in [` + "`testdata/scenarios/`" + `](testdata/scenarios/) that performs the
behaviour harmlessly; ` + "`go test ./cmd/falco-trace -run TestDefaultRuleScenarios`" + ` runs each script under
` + "`falco-trace launch`" + ` and requires exactly the rules it names to fire, and no other. The MITRE ATT&CK
tactics and technique ids are the rule's tags. This file is generated: ` + "`" + updateRulesTableEnv + `=1 go test
-run TestRulesTableUpToDate ./cmd/falco-trace` + "`" + `.

| Rule | Priority | What it detects | Scenario | MITRE ATT&CK |
|---|---|---|---|---|
`)
	scenarioFiles := expectIndex(t, "scenarios")
	for _, it := range items {
		if it.Rule == "" {
			continue
		}
		var tactics, techniques []string
		for _, tag := range it.Tags {
			switch {
			case strings.HasPrefix(tag, "mitre_"):
				tactics = append(tactics, strings.ReplaceAll(strings.TrimPrefix(tag, "mitre_"), "_", " "))
			case len(tag) >= 5 && tag[0] == 'T' && strings.Trim(tag[1:5], "0123456789") == "":
				techniques = append(techniques, tag)
			}
		}
		mitre := strings.Join(tactics, ", ")
		if len(tactics) > 0 && len(techniques) > 0 {
			mitre += "<br>"
		}
		mitre += strings.Join(techniques, ", ")
		// The scenario named after the rule first.
		own := ruleSlug(it.Rule) + ".sh"
		files := append([]string(nil), scenarioFiles[it.Rule]...)
		sort.SliceStable(files, func(i, j int) bool { return files[i] == own && files[j] != own })
		var links []string
		for _, f := range files {
			links = append(links, fmt.Sprintf("[`%s`](testdata/scenarios/%s)", f, f))
		}
		priority := strings.ToUpper(it.Priority[:1]) + strings.ToLower(it.Priority[1:])
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", it.Rule, priority,
			strings.ReplaceAll(strings.Join(strings.Fields(it.Desc), " "), "|", `\|`), strings.Join(links, "<br>"), mitre)
	}
	b.WriteString("\n## False-positive suite\n\nOrdinary workloads in [`testdata/fp/`](testdata/fp/) that must raise no alert with these rules\n" +
		"(`go test ./cmd/falco-trace -run TestDefaultRulesNoFalsePositives`):\n\n| Workload | What it does |\n|---|---|\n")
	fpPaths, _ := filepath.Glob(filepath.Join(rulesTestdata, "fp", "*.sh"))
	for _, p := range fpPaths {
		fmt.Fprintf(&b, "| [`%s`](testdata/fp/%s) | %s |\n", filepath.Base(p), filepath.Base(p), scriptSummary(t, p))
	}
	b.WriteString("\n## Falco 0.31.1 rules\n\nThe same mechanism runs Falco 0.31.1's own `falco_rules.yaml` (shared test data, passed with `-r`) against\n" +
		"the scripts of [`testdata/upstream-0.31.1/`](testdata/upstream-0.31.1/)\n(`go test ./cmd/falco-trace -run TestUpstreamRuleScenarios`). " +
		"Scripts marked container run with\n`--container-id/--container-name/--container-image`.\n\n| Falco 0.31.1 rule | Scenario | Container |\n|---|---|---|\n")
	upstream := loadScenarios(t, "upstream-0.31.1")
	byRule := map[string][]scenario{}
	var names []string
	for _, sc := range upstream {
		for _, r := range sc.expect {
			if byRule[r] == nil {
				names = append(names, r)
			}
			byRule[r] = append(byRule[r], sc)
		}
	}
	sort.Strings(names)
	for _, r := range names {
		var links []string
		container := ""
		for _, sc := range byRule[r] {
			f := filepath.Base(sc.path)
			links = append(links, fmt.Sprintf("[`%s`](testdata/upstream-0.31.1/%s)", f, f))
			if sc.container {
				container = "yes"
			}
		}
		fmt.Fprintf(&b, "| %s | %s | %s |\n", r, strings.Join(links, "<br>"), container)
	}
	return b.String()
}

// expectIndex maps each expected rule to the scripts of dir expecting it.
func expectIndex(t *testing.T, dir string) map[string][]string {
	t.Helper()
	index := map[string][]string{}
	for _, sc := range loadScenarios(t, dir) {
		for _, r := range sc.expect {
			index[r] = append(index[r], filepath.Base(sc.path))
		}
	}
	return index
}

// ruleSlug is the scenario file name of a rule: lower case, runs of other
// characters replaced by one dash.
func ruleSlug(rule string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(rule) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
			continue
		}
		dash = true
	}
	return b.String()
}

// scriptSummary is the first comment paragraph of a script, up to the
// headers.
func scriptSummary(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var words []string
	for _, line := range strings.Split(string(data), "\n")[1:] {
		if !strings.HasPrefix(line, "# ") {
			break
		}
		key, _, _ := strings.Cut(line[2:], ":")
		switch key {
		case "expect", "requires", "run-as", "container", "timeout", "known-issue":
			return strings.Join(words, " ")
		}
		words = append(words, strings.Fields(line[2:])...)
	}
	return strings.Join(words, " ")
}
