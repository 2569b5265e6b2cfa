package collector

import (
	"errors"
	"strings"
	"testing"

	"github.com/falco-trace/falco-trace/falco/reader"
	"github.com/falco-trace/falco-trace/falco/rules"
)

func collect(t *testing.T, opts Options, files ...string) (*Collector, error) {
	t.Helper()
	c := New(opts)
	for i, content := range files {
		if err := c.Add(reader.Read("f"+string(rune('0'+i))+".yaml", []byte(content))); err != nil {
			return c, err
		}
	}
	return c, nil
}

func firstError(t *testing.T, err error) rules.Diagnostic {
	t.Helper()
	var le *rules.LoadError
	if !errors.As(err, &le) || len(le.Errors) != 1 {
		t.Fatalf("want one *rules.LoadError, got %v", err)
	}
	return le.Errors[0]
}

const baseRule = "- rule: r\n  desc: d\n  condition: evt.type=open\n  output: o\n  priority: WARNING\n"

func TestCollectSemantics(t *testing.T) {
	all := Options{MinPriority: rules.Debug}
	tests := []struct {
		name  string
		opts  Options
		files []string
		check func(t *testing.T, st *State)
	}{
		{
			name: "list append and redefinition keeps position",
			opts: all,
			files: []string{
				"- list: a\n  items: [x]\n- list: b\n  items: [y]\n",
				"- list: a\n  items: [z]\n  append: true\n- list: b\n  items: [w]\n",
			},
			check: func(t *testing.T, st *State) {
				if len(st.Lists) != 2 || st.Lists[0].Name != "a" || strings.Join(st.Lists[0].Items, ",") != "x,z" || strings.Join(st.Lists[1].Items, ",") != "w" {
					t.Errorf("lists: %+v %+v", st.Lists[0], st.Lists[1])
				}
			},
		},
		{
			name:  "macro append joins with a space and extends the context",
			opts:  all,
			files: []string{"- macro: m\n  condition: a\n", "- macro: m\n  condition: or b\n  append: true\n"},
			check: func(t *testing.T, st *State) {
				m := st.Macro("m")
				if m.Condition != "a or b" || m.Context != "- macro: m\n  condition: a\n\n- macro: m\n  condition: or b\n  append: true\n" {
					t.Errorf("macro: %q %q", m.Condition, m.Context)
				}
			},
		},
		{
			name:  "rule append, enabled-only override, redefinition order",
			opts:  all,
			files: []string{baseRule + "- rule: s\n  desc: d\n  condition: c\n  output: o\n  priority: INFO\n", "- rule: r\n  condition: or x\n  append: true\n- rule: s\n  enabled: false\n- rule: r\n  desc: new\n  condition: n\n  output: ' o2 '\n  priority: ERROR\n"},
			check: func(t *testing.T, st *State) {
				if len(st.Rules) != 2 || st.Rules[0].Name != "r" || st.Rules[1].Name != "s" {
					t.Fatalf("order: %v", st.Rules)
				}
				r := st.Rule("r")
				if r.Condition != "n" || r.Desc != "new" || r.Output != "o2" || r.Priority != rules.Error {
					t.Errorf("redefined rule: %+v", r)
				}
				if st.Rule("s").Enabled {
					t.Errorf("s should be disabled")
				}
			},
		},
		{
			name:  "priority threshold skips and ignores appends",
			opts:  Options{MinPriority: rules.Warning},
			files: []string{"- rule: low\n  desc: d\n  condition: c\n  output: o\n  priority: INFO\n- rule: low\n  condition: and x\n  append: true\n" + baseRule},
			check: func(t *testing.T, st *State) {
				if len(st.Rules) != 1 || st.Rules[0].Name != "r" || len(st.Skipped) != 1 || st.Skipped[0].Name != "low" {
					t.Errorf("rules %v skipped %v", st.Rules, st.Skipped)
				}
			},
		},
		{
			name:  "unknown source is dropped, appends to it ignored",
			opts:  all,
			files: []string{"- rule: k\n  desc: d\n  condition: ka.verb=create\n  output: o\n  priority: INFO\n  source: k8s_audit\n- rule: k\n  condition: and x\n  append: true\n"},
			check: func(t *testing.T, st *State) {
				if len(st.Rules) != 0 || len(st.Skipped) != 1 || st.Skipped[0].Reason != "unknown source k8s_audit" {
					t.Errorf("rules %v skipped %+v", st.Rules, st.Skipped)
				}
			},
		},
		{
			name: "exceptions: defaults and appended values and new items",
			opts: all,
			files: []string{
				"- rule: r\n  desc: d\n  condition: c\n  output: o\n  priority: INFO\n  exceptions:\n    - name: multi\n      fields: [proc.name, fd.name]\n    - name: single\n      fields: proc.name\n      values: [a]\n",
				"- rule: r\n  exceptions:\n    - name: multi\n      values: [[x, y]]\n    - name: newone\n      fields: [proc.pname]\n      comps: [startswith]\n      values: [[z]]\n  append: true\n",
			},
			check: func(t *testing.T, st *State) {
				ex := st.Rule("r").Exceptions
				if len(ex) != 3 {
					t.Fatalf("exceptions: %+v", ex)
				}
				if strings.Join(ex[0].Comps, ",") != "=,=" || len(ex[0].Values) != 1 || !ex[0].MultiField {
					t.Errorf("multi: %+v", ex[0])
				}
				if ex[1].Comps[0] != "in" || ex[1].MultiField {
					t.Errorf("single: %+v", ex[1])
				}
				if ex[2].Name != "newone" || ex[2].Comps[0] != "startswith" {
					t.Errorf("new: %+v", ex[2])
				}
			},
		},
		{
			name:  "0.37 override replace and append",
			opts:  all,
			files: []string{baseRule + "- rule: r\n  condition: and proc.name=x\n  priority: ERROR\n  override:\n    condition: append\n    priority: replace\n"},
			check: func(t *testing.T, st *State) {
				r := st.Rule("r")
				if r.Condition != "evt.type=open and proc.name=x" || r.Priority != rules.Error {
					t.Errorf("override: %+v", r)
				}
			},
		},
		{
			name:  "semver engine version marks rules as newer",
			opts:  all,
			files: []string{"- required_engine_version: 0.57.0\n" + baseRule, "- required_engine_version: 11\n- rule: old\n  desc: d\n  condition: c\n  output: o\n  priority: INFO\n"},
			check: func(t *testing.T, st *State) {
				if !st.Rule("r").Engine.Newer() || st.Rule("old").Engine.Newer() {
					t.Errorf("engine: %+v %+v", st.Rule("r").Engine, st.Rule("old").Engine)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := collect(t, tt.opts, tt.files...)
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			tt.check(t, c.State())
		})
	}
}

func TestCollectErrors(t *testing.T) {
	fieldExists := func(f string) bool { return f != "not.exist" }
	tests := []struct {
		name    string
		files   []string
		wantMsg string
		wantCtx string
	}{
		{"invalid element", []string{"- foo\n"}, "Unexpected element of type string. Each element should be a yaml associative array.", "- foo\n"},
		{"engine version not a number", []string{"- required_engine_version: not-a-number\n"}, "Value of required_engine_version must be a number", ""},
		{"engine version too new", []string{"- required_engine_version: 9999999\n"}, "Rules require engine version 9999999, but engine version is 0.57.0", ""},
		{"semver too new", []string{"- required_engine_version: 0.99.0\n"}, "Rules require engine version 0.99.0, but engine version is 0.57.0", ""},
		{"list without items", []string{"- list: bad\n  no_items: foo\n"}, "List must have property items", "- list: bad\n  no_items: foo\n"},
		{"list name empty", []string{"- list:\n  items: [foo]\n"}, "List name is empty", ""},
		{"list append dangling", []string{"- list: l\n  items: [a]\n  append: true\n"}, "List l has 'append' key but no list by that name already exists", ""},
		{"macro without condition", []string{"- macro: m\n  nope: 1\n"}, "Macro must have property condition", ""},
		{"macro name empty", []string{"- macro:\n  condition: a\n"}, "Macro name is empty", ""},
		{"macro append dangling", []string{"- macro: m\n  condition: a\n  append: true\n"}, "Macro m has 'append' key but no macro by that name already exists", ""},
		{"rule name empty", []string{"- rule:\n  desc: d\n"}, "Rule name is empty", ""},
		{"rule without output", []string{"- rule: r\n  desc: d\n  condition: c\n  priority: INFO\n"}, "Rule must have property output", ""},
		{"rule append dangling", []string{"- rule: r\n  condition: c\n  append: true\n"}, "Rule r has 'append' key but no rule by that name already exists", ""},
		{"append without condition", []string{baseRule + "\n- rule: r\n  append: true\n"}, "Appended rule must have exceptions or condition property", "- rule: r\n  append: true\n"},
		{"enabled only without rule", []string{"- rule: r\n  enabled: true\n"}, "Rule r has 'enabled' key only, but no rule by that name already exists", ""},
		{"invalid priority", []string{"- rule: r\n  desc: d\n  condition: c\n  output: o\n  priority: Info\n"}, "Invalid priority level: Info", ""},
		{"exception without name", []string{"- rule: r\n  desc: d\n  condition: c\n  output: o\n  priority: INFO\n  exceptions:\n    - fields: [a]\n"}, "Rule exception item must have name property", ""},
		{"exception without fields", []string{"- rule: r\n  desc: d\n  condition: c\n  output: o\n  priority: INFO\n  exceptions:\n    - name: e\n"}, "Rule exception item e: must have fields property with a list of fields", ""},
		{"exception unknown field", []string{"- rule: r\n  desc: d\n  condition: c\n  output: o\n  priority: INFO\n  exceptions:\n    - name: e\n      fields: [not.exist]\n"}, "Rule exception item e: field name not.exist is not a supported filter field", ""},
		{"exception comps length", []string{"- rule: r\n  desc: d\n  condition: c\n  output: o\n  priority: INFO\n  exceptions:\n    - name: e\n      fields: [a, b]\n      comps: [=]\n"}, "Rule exception item e: fields and comps lists must have equal length", ""},
		{"exception unknown comp", []string{"- rule: r\n  desc: d\n  condition: c\n  output: o\n  priority: INFO\n  exceptions:\n    - name: e\n      fields: [a, b]\n      comps: [=, no-comp]\n"}, "Rule exception item e: comparison operator no-comp is not a supported comparison operator", ""},
		{"exception single field comps not string", []string{"- rule: r\n  desc: d\n  condition: c\n  output: o\n  priority: INFO\n  exceptions:\n    - name: e\n      fields: a\n      comps: [in]\n"}, "Rule exception item e: fields and comps must both be strings", ""},
		{"append new exception without fields", []string{baseRule, "- rule: r\n  exceptions:\n    - name: e2\n      values: [[a]]\n  append: true\n"}, "Rule exception new item e2: must have fields property with a list of fields", ""},
		{"append new exception without values", []string{baseRule, "- rule: r\n  exceptions:\n    - name: e2\n      fields: [a]\n  append: true\n"}, "Rule exception new item e2: must have values property with a list of values", ""},
		{"append exception fields to existing", []string{"- rule: r\n  desc: d\n  condition: c\n  output: o\n  priority: INFO\n  exceptions:\n    - name: e\n      fields: [a]\n", "- rule: r\n  exceptions:\n    - name: e\n      fields: [a]\n  append: true\n"}, "Can not append exception fields to existing rule, only values", ""},
		{"override with append", []string{baseRule + "- rule: r\n  condition: x\n  append: true\n  override:\n    condition: append\n"}, "Keys 'override' and 'append: true' cannot be used together. Add an 'append' entry (e.g. 'condition: append') under 'override' instead.", ""},
		{"override undeclared key", []string{baseRule + "- rule: r\n  condition: x\n  desc: y\n  override:\n    condition: append\n"}, "Unexpected key 'desc': no corresponding entry under 'override' is defined.", ""},
		{"yaml error after items", []string{"- list: a\n  items: [x]\n---\nfoo: bar\n"}, "Rules content is not yaml array of objects", "- list: a\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := collect(t, Options{MinPriority: rules.Debug, FieldExists: fieldExists}, tt.files...)
			d := firstError(t, err)
			if d.Message != tt.wantMsg {
				t.Errorf("message:\n got %q\nwant %q", d.Message, tt.wantMsg)
			}
			if tt.wantCtx != "" && d.Context != tt.wantCtx {
				t.Errorf("context:\n got %q\nwant %q", d.Context, tt.wantCtx)
			}
		})
	}
}

func TestCollectWarnings(t *testing.T) {
	c, err := collect(t, Options{MinPriority: rules.Debug}, "- foo: bar\n- rule: k\n  desc: d\n  condition: c\n  output: o\n  priority: INFO\n  source: aws_cloudtrail\n")
	if err != nil {
		t.Fatal(err)
	}
	ws := c.Warnings()
	if len(ws) != 2 {
		t.Fatalf("warnings: %v", ws)
	}
	if ws[0].Text() != "Unknown top level object: {foo=\"bar\"}\n---\n- foo: bar\n---" {
		t.Errorf("unknown object warning: %q", ws[0].Text())
	}
	if ws[1].Text() != "Rule k: warning (unknown-source): unknown source aws_cloudtrail, skipping" {
		t.Errorf("unknown source warning: %q", ws[1].Text())
	}
}

func TestUnknownKeysWarn(t *testing.T) {
	tests := []struct {
		name, yaml string
		want       []string
	}{
		{"rule typo", "- rule: r\n  desc: d\n  condition: evt.type=open\n  output: o\n  priority: INFO\n  priorty: ERROR\n",
			[]string{"Rule r: warning (unknown-key): unknown key 'priorty' ignored"}},
		{"macro and list", "- list: l\n  items: [a]\n  item: [b]\n- macro: m\n  condition: evt.type=open\n  condtion: x\n",
			[]string{"List l: warning (unknown-key): unknown key 'item' ignored", "Macro m: warning (unknown-key): unknown key 'condtion' ignored"}},
		{"all known", "- rule: r\n  desc: d\n  condition: evt.type=open\n  output: o\n  priority: INFO\n  tags: [a]\n  enabled: true\n  source: syscall\n  warn_evttypes: false\n  skip-if-unknown-filter: true\n", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := New(Options{MinPriority: rules.Debug})
			if err := c.Add(reader.Read("f.yaml", []byte(tc.yaml))); err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, w := range c.Warnings() {
				if strings.Contains(w.Message, UnknownKeyWarning) {
					got = append(got, w.Message)
					if w.Location.Line == 0 {
						t.Errorf("%s: warning without a line: %+v", tc.name, w)
					}
				}
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("%s: warnings\n got %q\nwant %q", tc.name, got, tc.want)
			}
		})
	}
}
