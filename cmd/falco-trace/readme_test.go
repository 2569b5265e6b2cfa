package main

import (
	"os"
	"strings"
	"testing"
)

const readmeFile = "../../README.md"

// readmeRulesTable is the default rules table of falco/rules/RULES.md with
// its links made relative to the repository root, as the README shows it.
func readmeRulesTable(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile(rulesTable)
	if err != nil {
		t.Fatal(err)
	}
	var rows []string
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "|") {
			rows = append(rows, line)
		} else if len(rows) > 0 {
			break // the first table only: the default rules
		}
	}
	if len(rows) < 3 {
		t.Fatalf("%s: no rules table found", rulesTable)
	}
	table := strings.Join(rows, "\n")
	table = strings.ReplaceAll(table, "](testdata/", "](falco/rules/testdata/")
	return table + "\n"
}

// TestReadmeRulesTable keeps the README's copy of the default rules table in
// step with RULES.md (regenerate both with FALCO_TRACE_UPDATE_RULES_TABLE=1).
func TestReadmeRulesTable(t *testing.T) {
	const begin = "<!-- rules-table:begin (generated from falco/rules/RULES.md by TestReadmeRulesTable) -->\n"
	const end = "<!-- rules-table:end -->"
	data, err := os.ReadFile(readmeFile)
	if err != nil {
		t.Fatal(err)
	}
	readme := string(data)
	i, j := strings.Index(readme, begin), strings.Index(readme, end)
	if i < 0 || j < i {
		t.Fatalf("README.md lacks the rules table markers %q ... %q", begin, end)
	}
	want := readme[:i+len(begin)] + readmeRulesTable(t) + readme[j:]
	if os.Getenv(updateRulesTableEnv) == "1" {
		if err := os.WriteFile(readmeFile, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if readme != want {
		t.Errorf("README.md rules table is out of date: run %s=1 go test -run 'TestRulesTableUpToDate|TestReadmeRulesTable' ./cmd/falco-trace", updateRulesTableEnv)
	}
}
