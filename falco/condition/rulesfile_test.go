package condition

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/falco-trace/falco-trace/falco/sharedrules"
	"gopkg.in/yaml.v3"
)

var update = flag.Bool("update", false, "rewrite testdata/golden files")

// testItem is one named condition (macro or rule) of a rules file.
type testItem struct {
	name      string
	condition string
}

// testRules is the minimal 0.31.1 loader state the tests need: lists in
// file order, macros and rules in order of first definition with their final
// condition (append joins with a space). Exceptions are not handled: none of
// the upstream files used here has any.
type testRules struct {
	listDefs []ListDef
	macros   []testItem
	rules    []testItem
}

func (r *testRules) upsert(items *[]testItem, name, cond string, appendCond bool) {
	for i := range *items {
		if (*items)[i].name == name {
			if appendCond {
				(*items)[i].condition += " " + cond
			} else {
				(*items)[i].condition = cond
			}
			return
		}
	}
	if !appendCond {
		*items = append(*items, testItem{name: name, condition: cond})
	}
}

func loadTestRules(t *testing.T, paths ...string) *testRules {
	t.Helper()
	r := &testRules{}
	for _, path := range paths {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("reading %s: %v", path, err)
		}
		var doc yaml.Node
		if err := yaml.Unmarshal(data, &doc); err != nil {
			t.Fatalf("parsing %s: %v", path, err)
		}
		if len(doc.Content) == 0 {
			continue
		}
		for _, item := range doc.Content[0].Content {
			keys := map[string]*yaml.Node{}
			for i := 0; i+1 < len(item.Content); i += 2 {
				keys[item.Content[i].Value] = item.Content[i+1]
			}
			appendItem := keys["append"] != nil && keys["append"].Value == "true"
			switch {
			case keys["list"] != nil:
				var items []string
				if n := keys["items"]; n != nil {
					for _, v := range n.Content {
						items = append(items, v.Value)
					}
				}
				r.listDefs = append(r.listDefs, ListDef{Name: keys["list"].Value, Items: items, Append: appendItem})
			case keys["macro"] != nil && keys["condition"] != nil:
				r.upsert(&r.macros, keys["macro"].Value, keys["condition"].Value, appendItem)
			case keys["rule"] != nil && keys["condition"] != nil:
				r.upsert(&r.rules, keys["rule"].Value, keys["condition"].Value, appendItem)
			}
		}
	}
	return r
}

// compiled is the outcome of the two list-resolution routes for a rules set.
type compiled struct {
	names     []string
	canonical []string // AST route: Parse, ResolveLists, ResolveMacros
	viaText   []string // 0.31.1 route: ExpandListsText, Parse, ResolveMacros
}

// compileTestRules compiles every rule both ways. It also checks each macro
// the way 0.31.1 does, against the macros defined before it.
func compileTestRules(t *testing.T, r *testRules) compiled {
	t.Helper()
	lists := ExpandListItems(r.listDefs)
	listMap := ListMap(lists)
	astMacros := map[string]Node{}
	textMacros := map[string]Node{}
	for _, m := range r.macros {
		n, err := Parse(m.condition)
		if err != nil {
			t.Fatalf("macro %s: %v", m.name, err)
		}
		n = ResolveLists(n, listMap)
		if _, err := ResolveMacros(n, astMacros); err != nil {
			t.Errorf("macro %s refers to a later or unknown macro: %v", m.name, err)
		}
		astMacros[m.name] = n
		tn, err := Parse(ExpandListsText(m.condition, lists))
		if err != nil {
			t.Fatalf("macro %s after text substitution: %v", m.name, err)
		}
		textMacros[m.name] = tn
	}
	var out compiled
	for _, rule := range r.rules {
		n, err := Parse(rule.condition)
		if err != nil {
			t.Fatalf("rule %s: %v", rule.name, err)
		}
		n, err = ResolveMacros(ResolveLists(n, listMap), astMacros)
		if err != nil {
			t.Fatalf("rule %s: %v", rule.name, err)
		}
		tn, err := Parse(ExpandListsText(rule.condition, lists))
		if err != nil {
			t.Fatalf("rule %s after text substitution: %v", rule.name, err)
		}
		tn, err = ResolveMacros(tn, textMacros)
		if err != nil {
			t.Fatalf("rule %s after text substitution: %v", rule.name, err)
		}
		out.names = append(out.names, rule.name)
		out.canonical = append(out.canonical, Canonical(n))
		out.viaText = append(out.viaText, Canonical(tn))
	}
	return out
}

var upstreamSets = []struct {
	name  string
	files []string
}{
	{"0.31.1 falco_rules", []string{"falco-0.31.1/falco_rules.yaml", "falco-0.31.1/falco_rules.local.yaml"}},
	{"0.31.1 falco_rules+application_rules", []string{"falco-0.31.1/falco_rules.yaml", "falco-0.31.1/application_rules.yaml"}},
	{"0.31.1 k8s_audit_rules", []string{"falco-0.31.1/k8s_audit_rules.yaml"}},
	{"0.31.1 aws_cloudtrail_rules", []string{"falco-0.31.1/aws_cloudtrail_rules.yaml"}},
	{"5.1.0 falco_rules", []string{"falcosecurity-rules-5.1.0/falco_rules.yaml"}},
	{"5.1.0 stable+incubating", []string{"falcosecurity-rules-5.1.0/falco_rules.yaml", "falcosecurity-rules-5.1.0/falco-incubating_rules.yaml"}},
	{"5.1.0 stable+sandbox", []string{"falcosecurity-rules-5.1.0/falco_rules.yaml", "falcosecurity-rules-5.1.0/falco-sandbox_rules.yaml"}},
}

// TestListResolutionMatchesTextSubstitution checks that resolving lists on
// the AST gives, for every upstream rule, the same canonical condition as
// 0.31.1's textual substitution before parsing (minus its Q6 bug).
func TestListResolutionMatchesTextSubstitution(t *testing.T) {
	dir := sharedrules.Dir(t)
	for _, set := range upstreamSets {
		t.Run(set.name, func(t *testing.T) {
			var paths []string
			for _, f := range set.files {
				paths = append(paths, filepath.Join(dir, f))
			}
			r := loadTestRules(t, paths...)
			c := compileTestRules(t, r)
			if len(c.names) == 0 {
				t.Fatalf("no rules loaded from %v", set.files)
			}
			for i, name := range c.names {
				if c.canonical[i] != c.viaText[i] {
					t.Errorf("rule %q: AST list resolution and text substitution differ:\nast:  %s\ntext: %s", name, c.canonical[i], c.viaText[i])
				}
				if c.canonical[i] == "" {
					t.Errorf("rule %q: empty canonical condition", name)
				}
				assertCanonicalFixpoint(t, name, c.canonical[i])
			}
			t.Logf("%s: %d lists, %d macros, %d rules, all identical", set.name, len(r.listDefs), len(r.macros), len(c.names))
		})
	}
}

// assertCanonicalFixpoint checks that a canonical string, read back with the
// libsinsp escapes, gives itself again.
func assertCanonicalFixpoint(t *testing.T, desc, canonical string) {
	t.Helper()
	n, err := ParseWith(canonical, ParseOptions{SinspEscapes: true})
	if err != nil {
		t.Errorf("%s: canonical string does not re-parse: %v\n%s", desc, err, canonical)
		return
	}
	if again := Canonical(n); again != canonical {
		t.Errorf("%s: canonical string is not a fixpoint:\nfirst:  %s\nsecond: %s", desc, canonical, again)
	}
}

// TestGoldenFalco0311Rules pins the canonical condition of every rule of
// Falco 0.31.1's falco_rules.yaml (+ the empty falco_rules.local.yaml).
// Regenerate with: go test ./falco/condition/ -run TestGolden -update
func TestGoldenFalco0311Rules(t *testing.T) {
	dir := sharedrules.Dir(t)
	r := loadTestRules(t, filepath.Join(dir, "falco-0.31.1/falco_rules.yaml"), filepath.Join(dir, "falco-0.31.1/falco_rules.local.yaml"))
	c := compileTestRules(t, r)
	const wantRules = 69 // engine-spec §6.2
	if len(c.names) != wantRules {
		t.Errorf("loaded %d rules, engine-spec §6.2 counts %d", len(c.names), wantRules)
	}
	var b strings.Builder
	for i, name := range c.names {
		fmt.Fprintf(&b, "%s\t%s\n", name, c.canonical[i])
	}
	golden := filepath.Join("testdata", "golden", "falco-0.31.1_falco_rules.txt")
	if *update {
		if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("reading golden file (create it with -update): %v", err)
	}
	gotLines := strings.Split(b.String(), "\n")
	wantLines := strings.Split(string(want), "\n")
	if len(gotLines) != len(wantLines) {
		t.Errorf("golden has %d lines, got %d", len(wantLines), len(gotLines))
	}
	for i := 0; i < len(gotLines) && i < len(wantLines); i++ {
		if gotLines[i] != wantLines[i] {
			t.Errorf("golden line %d differs:\ngot:  %s\nwant: %s", i+1, gotLines[i], wantLines[i])
		}
	}
}
