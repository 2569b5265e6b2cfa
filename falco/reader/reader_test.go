package reader

import (
	"testing"

	"github.com/falco-trace/falco-trace/falco/rules"
)

func TestReadItems(t *testing.T) {
	content := "# header comment\n" +
		"- required_engine_version: 2\n" +
		"\n" +
		"- list: shells\n" +
		"  items: [bash, sh]\n" +
		"# trailing comment belongs to the previous item, as in Falco 0.31.1\n" +
		"---\n" +
		"- macro: m\n" +
		"  condition: >\n" +
		"    proc.name in (shells)\n" +
		"\n" +
		"-\n" +
		"  rule: r\n" +
		"  desc: d\n" +
		"- something: else\n"
	f := Read("f.yaml", []byte(content))
	if f.Err != nil {
		t.Fatalf("unexpected error: %v", f.Err.Text())
	}
	tests := []struct {
		name    string
		kind    rules.ItemKind
		line    int
		context string
	}{
		{"engine version", rules.EngineVersionItem, 2, "- required_engine_version: 2\n"},
		{"list", rules.ListItem, 4, "- list: shells\n  items: [bash, sh]\n# trailing comment belongs to the previous item, as in Falco 0.31.1\n"},
		{"macro in second document", rules.MacroItem, 8, "- macro: m\n  condition: >\n    proc.name in (shells)\n"},
		{"dash on its own line", rules.RuleItem, 12, "-\n  rule: r\n  desc: d\n"},
		{"unknown", rules.UnknownItem, 15, "- something: else\n"},
	}
	if len(f.Items) != len(tests) {
		t.Fatalf("got %d items, want %d", len(f.Items), len(tests))
	}
	for i, tt := range tests {
		it := f.Items[i]
		if it.Kind != tt.kind || it.Location.Line != tt.line || it.Context != tt.context {
			t.Errorf("%s: got kind %v line %d context %q, want %v %d %q", tt.name, it.Kind, it.Location.Line, it.Context, tt.kind, tt.line, tt.context)
		}
	}
	if got := f.Items[2].Field("condition").Text; got != "proc.name in (shells)\n" {
		t.Errorf("folded condition: got %q", got)
	}
	if got, ok := f.Items[1].Field("items").Strings(); !ok || len(got) != 2 || got[1] != "sh" {
		t.Errorf("list items: got %v %v", got, ok)
	}
	if name, ok := f.Items[3].Name(); !ok || name != "r" {
		t.Errorf("rule name: got %q %v", name, ok)
	}
}

func TestReadStructuralErrors(t *testing.T) {
	tests := []struct {
		name      string
		content   string
		wantMsg   string
		wantCtx   string
		wantItems int
	}{
		{"yaml syntax", "this : is : not : yaml\n", "mapping values are not allowed in this context", "this : is : not : yaml\n", 0},
		{"scalar document", "This is not yaml\n", "Rules content is not yaml", "This is not yaml\n", 0},
		{"mapping document", "foo: bar", "Rules content is not yaml array of objects", "foo: bar\n", 0},
		{"second document bad", "- list: a\n  items: []\n---\nfoo: bar\n", "Rules content is not yaml array of objects", "- list: a\n", 1},
	}
	for _, tt := range tests {
		f := Read("x.yaml", []byte(tt.content))
		if f.Err == nil {
			t.Errorf("%s: no error", tt.name)
			continue
		}
		if f.Err.Message != tt.wantMsg || f.Err.Context != tt.wantCtx || f.ErrAfterItems != tt.wantItems {
			t.Errorf("%s: got %q ctx %q after %d, want %q ctx %q after %d", tt.name, f.Err.Message, f.Err.Context, f.ErrAfterItems, tt.wantMsg, tt.wantCtx, tt.wantItems)
		}
	}
}

func TestReadInvalidElementsAndEmpty(t *testing.T) {
	tests := []struct {
		name     string
		content  string
		wantKind rules.ItemKind
		wantType string
	}{
		{"string element", "- foo\n", rules.InvalidItem, "string"},
		{"number element", "- 12\n", rules.InvalidItem, "number"},
		{"bool element", "- true\n", rules.InvalidItem, "boolean"},
		{"list element", "- [a]\n", rules.UnknownItem, ""},
	}
	for _, tt := range tests {
		f := Read("x.yaml", []byte(tt.content))
		if f.Err != nil || len(f.Items) != 1 {
			t.Fatalf("%s: err %v items %d", tt.name, f.Err, len(f.Items))
		}
		if f.Items[0].Kind != tt.wantKind || f.Items[0].TypeName != tt.wantType {
			t.Errorf("%s: got %v %q, want %v %q", tt.name, f.Items[0].Kind, f.Items[0].TypeName, tt.wantKind, tt.wantType)
		}
	}
	for _, empty := range []string{"", "# only a comment\n", "---\n", "[]\n", "{}\n"} {
		f := Read("e.yaml", []byte(empty))
		if f.Err != nil || len(f.Items) != 0 {
			t.Errorf("empty content %q: err %v items %d", empty, f.Err, len(f.Items))
		}
	}
}

func TestReadAliasesAndLimits(t *testing.T) {
	// An alias bomb must not explode: the node budget stops it.
	bomb := "- list: a\n  items: &a [x, x, x, x, x, x, x, x, x, x]\n" +
		"- list: b\n  items: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n" +
		"- list: c\n  items: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n" +
		"- list: d\n  items: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n" +
		"- list: e\n  items: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n" +
		"- list: f\n  items: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n" +
		"- list: g\n  items: [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\n"
	f := Read("bomb.yaml", []byte(bomb))
	if f.Err == nil {
		t.Fatalf("alias bomb: expected a size error, got %d items", len(f.Items))
	}
	small := "- list: a\n  items: &a [x, y]\n- list: b\n  items: *a\n"
	f = Read("alias.yaml", []byte(small))
	if f.Err != nil {
		t.Fatalf("alias: %v", f.Err.Text())
	}
	if got, _ := f.Items[1].Field("items").Strings(); len(got) != 2 || got[0] != "x" {
		t.Errorf("alias items: got %v", got)
	}
}
