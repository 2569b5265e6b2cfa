package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const testRulesFile = `
- list: shells
  items: [bash, sh]
- macro: spawned_shell
  condition: evt.type=execve and proc.name in (shells)
- rule: Shell spawned
  desc: A shell was started in the workload
  condition: spawned_shell
  output: "Shell (user=%user.name cmd=%proc.cmdline %container.info)"
  priority: WARNING
  tags: [shell, process]
- rule: Debug rule
  desc: d
  condition: evt.type=open and proc.nobody=x
  output: o
  priority: DEBUG
  skip-if-unknown-filter: true
`

// runCLI runs the app with args and returns stdout and the error.
func runRulesCLI(t *testing.T, args ...string) (string, error) {
	t.Helper()
	app := newApp()
	var out bytes.Buffer
	app.Writer = &out
	app.ErrWriter = &bytes.Buffer{}
	err := app.Run(append([]string{"falco-trace"}, args...))
	return out.String(), err
}

func writeRules(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "rules.yaml")
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestValidateCommand(t *testing.T) {
	p := writeRules(t, testRulesFile)
	out, err := runRulesCLI(t, "validate", "-r", p)
	if err != nil {
		t.Fatalf("validate: %v", err)
	}
	want := "Ok\n2 rules defined: 1 compiled, 1 skipped while compiling, 0 not loaded\n" +
		"  skipped \"Debug rule\" (" + p + ":12): unknown field proc.nobody (skip-if-unknown-filter)\n"
	if out != want {
		t.Errorf("stdout:\n got %q\nwant %q", out, want)
	}

	bad := writeRules(t, "- rule: r\n  desc: d\n  condition: evt.type=open\n  output: '%not_a_field'\n  priority: INFO\n")
	out, err = runRulesCLI(t, "validate", "-r", bad)
	var exitErr *ExitError
	if !errors.As(err, &exitErr) || exitErr.Code != 1 {
		t.Fatalf("want exit 1, got %v", err)
	}
	if !strings.HasPrefix(out, "1 errors:\nInvalid output format '%not_a_field': 'invalid formatting token not_a_field'\n---\n- rule: r\n") {
		t.Errorf("stdout: %q", out)
	}

	_, err = runRulesCLI(t, "validate", "-r", filepath.Join(t.TempDir(), "missing.yaml"))
	if !errors.As(err, &exitErr) || exitErr.Code != 1 {
		t.Errorf("missing file: %v", err)
	}
}

func TestListRulesCommand(t *testing.T) {
	p := writeRules(t, testRulesFile)
	out, err := runRulesCLI(t, "list-rules", "-r", p, "--json")
	if err != nil {
		t.Fatalf("list-rules: %v", err)
	}
	var entries []ruleListEntry
	if err := json.Unmarshal([]byte(out), &entries); err != nil {
		t.Fatalf("json: %v\n%s", err, out)
	}
	if len(entries) != 2 {
		t.Fatalf("entries: %+v", entries)
	}
	e := entries[0]
	if e.Name != "Shell spawned" || e.Priority != "Warning" || !e.Enabled || e.Source != "syscall" ||
		strings.Join(e.Tags, ",") != "shell,process" || strings.Join(e.EventTypes, ",") != "execve" || e.SkipReason != "" {
		t.Errorf("first entry: %+v", e)
	}
	if s := entries[1]; s.Enabled || !strings.Contains(s.SkipReason, "proc.nobody") {
		t.Errorf("skipped entry: %+v", s)
	}
}

func TestDescribeCommand(t *testing.T) {
	p := writeRules(t, testRulesFile)
	out, err := runRulesCLI(t, "describe", "Shell spawned", "-r", p)
	if err != nil {
		t.Fatalf("describe: %v", err)
	}
	for _, want := range []string{
		"Shell spawned                                      A shell was started in the workload\n",
		"Priority:    Warning\n",
		`Compiled:    evt.type = "execve" and proc.name in ("bash", "sh")` + "\n",
		"Output:      Shell (user=%user.name cmd=%proc.cmdline %container.name (id=%container.id))\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("describe output lacks %q:\n%s", want, out)
		}
	}
	_, err = runRulesCLI(t, "describe", "-r", p, "nope")
	if err == nil || err.Error() != "No such rule: nope" {
		t.Errorf("unknown rule: %v", err)
	}
}
