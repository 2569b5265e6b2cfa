package compiler

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/falco-trace/falco-trace/falco/collector"
	"github.com/falco-trace/falco-trace/falco/condition"
	"github.com/falco-trace/falco-trace/falco/reader"
	"github.com/falco-trace/falco-trace/falco/rules"
)

func compileFiles(t *testing.T, f *fakeFactory, files ...string) (*Result, error) {
	t.Helper()
	col := collector.New(collector.Options{MinPriority: rules.Debug, FieldExists: f.FieldExists})
	for i, content := range files {
		if err := col.Add(reader.Read("f"+string(rune('0'+i))+".yaml", []byte(content))); err != nil {
			return nil, err
		}
	}
	return Compile(col.State(), col.Warnings(), f, Options{})
}

func loadErr(t *testing.T, err error) rules.Diagnostic {
	t.Helper()
	var le *rules.LoadError
	if !errors.As(err, &le) || len(le.Errors) != 1 {
		t.Fatalf("want *rules.LoadError with one error, got %v", err)
	}
	return le.Errors[0]
}

func rule(name, cond, extra string) string {
	return "- rule: " + name + "\n  desc: d\n  condition: " + cond + "\n  output: out %proc.name\n  priority: WARNING\n" + extra
}

func TestExceptionConditionText(t *testing.T) {
	tests := []struct {
		name       string
		exceptions string
		want       string
	}{
		{"no values gives no clause", "    - name: e\n      fields: [proc.name, fd.name]\n", "evt.type=open"},
		{"one tuple", "    - name: e\n      fields: [proc.name, fd.name]\n      values:\n        - [cat, /tmp/x]\n",
			"(evt.type=open)  and not ((proc.name = cat and fd.name = /tmp/x))"},
		{"two tuples, spaces quoted, comps", "    - name: e\n      fields: [proc.name, fd.name]\n      comps: [=, startswith]\n      values:\n        - [cat, /tmp]\n        - [my cat, '\"/q r\"']\n",
			"(evt.type=open)  and not ((proc.name = cat and fd.name startswith /tmp) or (proc.name = \"my cat\" and fd.name startswith \"/q r\"))"},
		{"list value and list reference", "    - name: e\n      fields: [proc.name, proc.cmdline]\n      comps: [=, in]\n      values:\n        - [cat, cat_cmdlines]\n        - [dog, [a b, c]]\n",
			"(evt.type=open)  and not ((proc.name = cat and proc.cmdline in (cat_cmdlines)) or (proc.name = dog and proc.cmdline in (\"a b\", c)))"},
		{"single field", "    - name: e\n      fields: proc.name\n      values: [cat, my dog]\n",
			"(evt.type=open)  and not (proc.name in (cat, \"my dog\"))"},
		{"two exceptions", "    - name: a\n      fields: proc.name\n      values: [cat]\n    - name: b\n      fields: proc.pname\n      comps: pmatch\n      values: [/bin]\n",
			"(evt.type=open)  and not (proc.name in (cat)) and not (proc.pname pmatch (/bin))"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := compileFiles(t, newFakeFactory(), "- list: cat_cmdlines\n  items: [x]\n"+rule("r", "evt.type=open", "  exceptions:\n"+tt.exceptions))
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if got := res.Rules[0].FullCondition; got != tt.want {
				t.Errorf("condition:\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestCompileCanonicalAndEventTypes(t *testing.T) {
	f := newFakeFactory()
	res, err := compileFiles(t, f,
		"- list: bins\n  items: [cat, 'my bin']\n- list: all_bins\n  items: [bins, dog]\n"+
			"- macro: is_bin\n  condition: proc.name in (all_bins)\n"+
			rule("r", "evt.type=open and is_bin", "")+
			rule("wide", "proc.name=x", "")+
			rule("quiet", "proc.name=y", "  warn_evttypes: false\n")+
			"- list: empty\n  items: []\n"+rule("never", "evt.type=open and proc.name in (empty)", ""))
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
	r := res.Rules[0]
	if r.Canonical != `evt.type = "open" and proc.name in ("cat", "my bin", "dog")` {
		t.Errorf("canonical: %q", r.Canonical)
	}
	if len(r.EventTypes) != 2 || r.Filter == nil || r.Skipped() {
		t.Errorf("event types %v filter %v", r.EventTypes, r.Filter)
	}
	var noEvt []string
	for _, w := range res.Warnings {
		if strings.Contains(w.Message, "(no-evttype)") {
			noEvt = append(noEvt, w.ItemName)
		}
	}
	if strings.Join(noEvt, ",") != "wide" {
		t.Errorf("no-evttype warnings for %v, want [wide]", noEvt)
	}
	want := "Rule wide: warning (no-evttype):\n         matches too many evt.type values.\n         This has a significant performance penalty."
	for _, w := range res.Warnings {
		if w.ItemName == "wide" && w.Message != want {
			t.Errorf("warning text %q", w.Message)
		}
	}
	if never := res.Rule("never"); !never.NeverMatches || never.Canonical != condition.FalseCondition || res.Rule("r").NeverMatches {
		t.Errorf("folded rule: %+v", never)
	}
	res.Close()
	if f.closed != f.opened {
		t.Errorf("Close: %d filters opened, %d closed", f.opened, f.closed)
	}
}

func TestCompileErrors(t *testing.T) {
	tests := []struct {
		name    string
		files   []string
		wantMsg string
	}{
		{"rule syntax error after append", []string{rule("some rule", "evt.type=open", ""), "- rule: some rule\n  condition: bar\n  append: true\n"},
			`Compilation error when compiling "evt.type=open bar": 15: syntax error, unexpected 'bar', expecting 'or', 'and'`},
		{"macro syntax error", []string{"- macro: m\n  condition: evt.type=execve foo\n"},
			`Compilation error when compiling "evt.type=execve foo": 17: syntax error, unexpected 'foo', expecting 'or', 'and'`},
		{"macro using a later macro", []string{"- macro: a\n  condition: b\n- macro: b\n  condition: proc.name=x\n"},
			`Compilation error when compiling "b": Undefined macro 'b' used in filter.`},
		{"rule undefined macro", []string{rule("r", "bar", "")}, "Undefined macro 'bar' used in filter."},
		{"syntax error shows lists substituted", []string{"- list: bins\n  items: [cat, my bin]\n" + rule("r", "proc.name in (bins) foo", "")},
			`Compilation error when compiling "proc.name in (cat, "my bin") foo": 30: syntax error, unexpected 'foo', expecting 'or', 'and'`},
		{"unknown field", []string{rule("r", "proc.nobody=cat", "")}, "Rule r: error filter_check called with nonexistent field proc.nobody"},
		{"libsinsp error", []string{rule("r", "proc.name=x", "")}, "Rule r: error filter error at position 3: bad"},
		{"invalid output", []string{"- rule: r\n  desc: d\n  condition: proc.name=x\n  output: An open was seen %not_a_real_field\n  priority: INFO\n"},
			"Invalid output format 'An open was seen %not_a_real_field': 'invalid formatting token not_a_real_field'"},
		{"output prefix match refused", []string{"- rule: r\n  desc: d\n  condition: proc.name=x\n  output: seen %fd.nameraw\n  priority: INFO\n"},
			"Invalid output format 'seen %fd.nameraw': 'invalid formatting token fd.nameraw: fd.nameraw is not a field'"},
		{"exception values length", []string{rule("r", "proc.name=x", "  exceptions:\n    - name: ex1\n      fields: [proc.name, fd.name]\n      values:\n        - [nginx]\n")},
			"Exception item ex1: fields and values lists must have equal length"},
		{"exception single field non-string value", []string{rule("r", "proc.name=x", "  exceptions:\n    - name: ex1\n      fields: proc.name\n      values:\n        - [nginx]\n")},
			"Expected values array for item ex1 to contain a list of strings"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeFactory()
			if tt.name == "libsinsp error" {
				f.rejects = map[string]string{`"x"`: "filter error at position 3: bad"}
			}
			res, err := compileFiles(t, f, tt.files...)
			if res != nil {
				t.Fatalf("a failed load must return no result")
			}
			d := loadErr(t, err)
			if d.Message != tt.wantMsg {
				t.Errorf("message:\n got %q\nwant %q", d.Message, tt.wantMsg)
			}
			if d.Context == "" {
				t.Errorf("error without item context")
			}
			if f.closed != f.opened {
				t.Errorf("failed load left %d filters open", f.opened-f.closed)
			}
		})
	}
}

func TestSkipUnknownFields(t *testing.T) {
	tests := []struct {
		name        string
		files       []string
		wantSkipped string
		wantWarning string
	}{
		{"skip-if-unknown-filter", []string{rule("r", "evt.type=open and proc.nobody=cat", "  skip-if-unknown-filter: true\n")},
			"unknown field proc.nobody (skip-if-unknown-filter)", "Rule r: warning (unknown-field):"},
		{"newer engine file", []string{"- required_engine_version: 0.57.0\n" + rule("r", "fd.nameraw=x", "")},
			"unknown field fd.nameraw (rules file requires engine 0.57.0; the installed libsinsp lacks this field)",
			"Rule r: warning (unknown-field): skipped, field fd.nameraw is not available in the installed libsinsp"},
		{"newer engine output", []string{"- required_engine_version: 0.57.0\n- rule: r\n  desc: d\n  condition: proc.name=x\n  output: '%proc.pexe'\n  priority: INFO\n"},
			"output not supported by the installed libsinsp: invalid formatting token proc.pexe", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeFactory()
			res, err := compileFiles(t, f, tt.files...)
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if len(res.Rules) != 1 || res.Rules[0].SkipReason != tt.wantSkipped || res.Rules[0].Filter != nil {
				t.Fatalf("rules: %+v", res.Rules[0])
			}
			if len(res.Loaded()) != 0 {
				t.Errorf("a skipped rule is reported as loaded")
			}
			if tt.wantWarning != "" {
				found := false
				for _, w := range res.Warnings {
					found = found || w.Message == tt.wantWarning
				}
				if !found {
					t.Errorf("warning %q not in %v", tt.wantWarning, res.Warnings)
				}
			}
			if f.opened != f.closed {
				t.Errorf("skipped rule left its filter open")
			}
		})
	}
}

func TestUnusedWarnings(t *testing.T) {
	res, err := compileFiles(t, newFakeFactory(),
		"- list: used\n  items: [a]\n- list: inner\n  items: [b]\n- list: outer\n  items: [inner]\n- list: unused\n  items: [c]\n"+
			"- macro: m_used\n  condition: proc.name in (used, outer)\n- macro: m_unused\n  condition: proc.name=x\n"+
			rule("r", "evt.type=open and m_used", ""))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, w := range res.Warnings {
		if strings.Contains(w.Message, "not refered") {
			got = append(got, w.Message)
		}
	}
	want := []string{"macro m_unused not refered to by any rule/macro", "list unused not refered to by any rule/macro/list"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("unused warnings:\n got %q\nwant %q", got, want)
	}
}

func TestContainerInfo(t *testing.T) {
	tests := []struct {
		name, output, extra string
		replace             bool
		want                string
	}{
		{"default", "x %container.info y", "", false, "x %container.name (id=%container.id) y"},
		{"default without token", "x y", "", false, "x y"},
		{"-pc replaces", "x %container.info", "container=%container.name (id=%container.id)", true, "x container=%container.name (id=%container.id)"},
		{"other -p appends", "x %container.info", "k=%k8s.ns.name", false, "x %container.name (id=%container.id) k=%k8s.ns.name"},
		{"append without token", "x", "e=%evt.num", true, "x e=%evt.num"},
	}
	for _, tt := range tests {
		if got := ExpandContainerInfo(tt.output, tt.extra, tt.replace); got != tt.want {
			t.Errorf("%s: got %q want %q", tt.name, got, tt.want)
		}
	}
}

func TestOutputTokens(t *testing.T) {
	tests := []struct {
		format string
		want   string
	}{
		{"a %proc.name b", "proc.name"},
		{"file=%fd.name. end", "fd.name"},
		{"%12proc.cmdline %proc.aname[2]) %evt.arg.flags", "proc.cmdline,proc.aname[2],evt.arg.flags"},
		{"100% sure %", ""},
		{"(%user.name:%container.id)", "user.name,container.id"},
	}
	for _, tt := range tests {
		if got := strings.Join(outputTokens(tt.format), ","); got != tt.want {
			t.Errorf("%q: got %q want %q", tt.format, got, tt.want)
		}
	}
}

func TestExpandPathsAndLoadOrder(t *testing.T) {
	dir := t.TempDir()
	sub := filepath.Join(dir, "rules.d")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(p, content string) {
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	base := filepath.Join(dir, "base.yaml")
	write(base, "- list: bins\n  items: [cat]\n"+rule("r", "evt.type=open and proc.name in (bins)", ""))
	// b.yaml disables the rule, a.yaml appends to the list: directory files
	// load in name order.
	write(filepath.Join(sub, "b.yaml"), "- rule: r\n  enabled: false\n")
	write(filepath.Join(sub, "a.yaml"), "- list: bins\n  items: [dog]\n  append: true\n")
	paths, err := ExpandPaths([]string{base, sub})
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) != 3 || filepath.Base(paths[1]) != "a.yaml" || filepath.Base(paths[2]) != "b.yaml" {
		t.Fatalf("paths: %v", paths)
	}
	f := newFakeFactory()
	var after []string
	res, err := Load(paths, f, LoadOptions{MinPriority: rules.Debug, AfterFile: func(file string, _ *Result) {
		after = append(after, filepath.Base(file))
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer res.Close()
	r := res.Rule("r")
	if r.Enabled || r.Canonical != `evt.type = "open" and proc.name in ("cat", "dog")` {
		t.Errorf("rule after all files: enabled %v canonical %q", r.Enabled, r.Canonical)
	}
	if strings.Join(after, ",") != "base.yaml,a.yaml,b.yaml" {
		t.Errorf("AfterFile calls: %v", after)
	}
	if f.opened-f.closed != 1 {
		t.Errorf("intermediate results not closed: %d open filters", f.opened-f.closed)
	}

	// An error is attributed to the file being loaded.
	bad := filepath.Join(dir, "bad.yaml")
	write(bad, "- macro: m\n  condition: evt.type=open foo\n")
	_, err = Load([]string{base, bad}, newFakeFactory(), LoadOptions{MinPriority: rules.Debug})
	var fe *FileError
	if !errors.As(err, &fe) || fe.File != bad || !strings.HasPrefix(err.Error(), "Could not load rules file "+bad+": 1 errors:\nCompilation error") {
		t.Errorf("file error: %v", err)
	}
	if _, err := ExpandPaths([]string{filepath.Join(dir, "missing.yaml")}); err == nil || !strings.Contains(err.Error(), "Could not get info on rules file") {
		t.Errorf("missing path: %v", err)
	}
}
