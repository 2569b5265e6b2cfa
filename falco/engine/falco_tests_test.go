package engine

import (
	"errors"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/falco-trace/falco-trace/falco/rules"
	"github.com/falco-trace/falco-trace/falco/sharedrules"
)

// taggedRules is upstream's rules/tagged_rules.yaml (falco test data, not
// among the shared files): thirteen rules each matching a different file,
// so a rule raises an alert on open-multiple-files.scap exactly when it is
// enabled. Only names and tags matter here.
var taggedRules = []struct {
	name string
	tags []string
}{
	{"open_1", []string{"a"}},
	{"open_2", []string{"b"}},
	{"open_3", []string{"c"}},
	{"open_4", []string{"a", "b"}},
	{"open_5", []string{"a", "c"}},
	{"open_6", []string{"b", "c"}},
	{"open_7", []string{"a", "b", "c"}},
	{"open_8", []string{"b", "a"}},
	{"open_9", []string{"c", "a"}},
	{"open_10", []string{"b", "c", "a"}},
	{"open_11", []string{"d"}},
	{"open_12", []string{}},
	{"open_13", nil},
}

// falcoTestCase is the part of a falco_tests.yaml case that exercises rule
// selection.
type falcoTestCase struct {
	Detect        *bool            `yaml:"detect"`
	ExitStatus    int              `yaml:"exit_status"`
	RulesFile     stringList       `yaml:"rules_file"`
	DisabledRules stringList       `yaml:"disabled_rules"`
	DisableTags   stringList       `yaml:"disable_tags"`
	RunTags       stringList       `yaml:"run_tags"`
	DetectCounts  []map[string]int `yaml:"detect_counts"`
}

// stringList accepts a YAML scalar or sequence, as Falco's test runner does.
type stringList []string

func (l *stringList) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		*l = []string{n.Value}
		return nil
	}
	var s []string
	if err := n.Decode(&s); err != nil {
		return err
	}
	*l = s
	return nil
}

// TestFalcoSelectionCases replays every Falco 0.31.1 regression case that
// uses -D, -T or -t against the Selector: a rule must be enabled exactly
// when Falco detected it, and the -t/-D conflicts must be rejected.
func TestFalcoSelectionCases(t *testing.T) {
	dir := sharedrules.Path(t, "falco-0.31.1-loader-tests")
	data, err := os.ReadFile(filepath.Join(dir, "falco_tests.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	mux, ok := doc["trace_files"]
	if !ok || mux.Kind != yaml.MappingNode {
		t.Fatal("falco_tests.yaml: no trace_files mapping")
	}
	ran := 0
	for i := 0; i+1 < len(mux.Content); i += 2 {
		name := mux.Content[i].Value
		var tc falcoTestCase
		if err := mux.Content[i+1].Decode(&tc); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(tc.DisabledRules) == 0 && len(tc.DisableTags) == 0 && len(tc.RunTags) == 0 {
			continue
		}
		ran++
		t.Run(name, func(t *testing.T) {
			rs := loadCaseRules(t, dir, tc.RulesFile)
			sel := Selector{DisableNameSubstrings: tc.DisabledRules, DisableTags: tc.DisableTags, EnableTags: tc.RunTags}
			plan, err := Build(rs, Config{})
			if err == nil {
				plan, err = Build(rs, Config{Selector: sel})
			}
			if tc.ExitStatus == 1 {
				if !errors.Is(err, ErrEnableWithDisable) {
					t.Fatalf("%s: Build error = %v, want ErrEnableWithDisable", name, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("%s: Build: %v", name, err)
			}
			enabled := map[string]bool{}
			for _, n := range plan.Names() {
				enabled[n] = true
			}
			if len(tc.DetectCounts) > 0 {
				for _, counts := range tc.DetectCounts {
					for rule, n := range counts {
						if enabled[rule] != (n > 0) {
							t.Errorf("%s: rule %s enabled = %v, Falco detected it %d times", name, rule, enabled[rule], n)
						}
					}
				}
				return
			}
			if tc.Detect != nil && !*tc.Detect && len(enabled) > 0 {
				t.Errorf("%s: Falco detected nothing, enabled = %v", name, sortedNames(enabled))
			}
		})
	}
	// 2 -D, 2 conflicts, 5 -T and 8 -t cases in Falco 0.31.1's file.
	if ran < 15 {
		t.Errorf("only %d selection cases found in falco_tests.yaml", ran)
	}
}

// loadCaseRules returns the rules of a case's rules files: the tagged_rules
// fixture, or the rule items of the shared files (names, tags, enabled).
func loadCaseRules(t *testing.T, dir string, files []string) []Rule {
	t.Helper()
	var out []Rule
	for _, f := range files {
		if filepath.Base(f) == "tagged_rules.yaml" {
			for _, r := range taggedRules {
				out = append(out, Rule{Name: r.name, Tags: r.tags, Priority: rules.Warning, Enabled: true, EventTypes: []uint16{typeOpenX}})
			}
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, f))
		if errors.Is(err, os.ErrNotExist) {
			t.Logf("%s is not among the shared files; treated as empty", f)
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		var items []struct {
			Rule    string   `yaml:"rule"`
			Tags    []string `yaml:"tags"`
			Enabled *bool    `yaml:"enabled"`
		}
		if err := yaml.Unmarshal(data, &items); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, it := range items {
			if it.Rule == "" {
				continue
			}
			out = append(out, Rule{Name: it.Rule, Tags: it.Tags, Priority: rules.Warning, Enabled: it.Enabled == nil || *it.Enabled, EventTypes: []uint16{typeOpenX}})
		}
	}
	return out
}

func sortedNames(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
