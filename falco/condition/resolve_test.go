package condition

import (
	"errors"
	"reflect"
	"testing"
)

func mustParse(t *testing.T, s string) Node {
	t.Helper()
	n, err := Parse(s)
	if err != nil {
		t.Fatalf("Parse(%q): %v", s, err)
	}
	return n
}

var testLists = map[string][]string{
	"l1":     {"a", "b"},
	"l2":     {"l1", "c"}, // names another list: expanded recursively
	"empty":  {},
	"quoted": {`"x y"`, `'"10.0.0.0/8"'`, "p, q", ""},
	"self":   {"self", "z"},
	"broken": {"a(b"},
	"nums":   {"0x10", "11-dhclient"},
}

func TestResolveLists(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"list in brackets", "f.x in (l1)", "(in f.x [a b])"},
		{"list among items", "f.x in (z, l1, d)", "(in f.x [z a b d])"},
		{"bare list name", "f.x in l1", "(in f.x [a b])"},
		{"bare unknown name", "f.x in nolist", "(in f.x [nolist])"},
		{"nested list", "f.x pmatch (l2)", "(pmatch f.x [a b c])"},
		{"empty list", "f.x intersects (empty)", "(intersects f.x [])"},
		{"quoted items", "f.x in (quoted)", `(in f.x ["x y" '"10.0.0.0/8"' p q])`},
		{"self reference stays literal", "f.x in (self)", "(in f.x [self z])"},
		{"unreadable item is one string", "f.x in (broken)", `(in f.x ["a(b"])`},
		{"number items", "f.x in (nums)", "(in f.x [0x10 11-dhclient])"},
		{"not in comparisons", "f.x = l1", "(= f.x l1)"},
		{"not a macro", "l1 and f.x in (l1)", "(and (macro l1) (in f.x [a b]))"},
		{"quoted name is not a list", "f.x in ('l1', \"l1\")", `(in f.x ['l1' "l1"])`},
		{"under not and or", "not (f.x in (l1) or g.y in (empty))", "(not (or (in f.x [a b]) (in g.y [])))"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := mustParse(t, tt.in)
			before := in.String()
			got := ResolveLists(in, testLists)
			if got.String() != tt.want {
				t.Errorf("ResolveLists(%q) = %s, want %s", tt.in, got, tt.want)
			}
			if in.String() != before {
				t.Errorf("ResolveLists modified its input: %s", in)
			}
		})
	}
}

func TestListRefs(t *testing.T) {
	n := mustParse(t, "f.x in (l2, nolist) and g.y in self and h.z = l1 and i.j in (empty)")
	got := ListRefs(n, testLists)
	want := []string{"l2", "l1", "self", "empty"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ListRefs = %v, want %v", got, want)
	}
}

func TestExpandListsText(t *testing.T) {
	lists := []NamedList{
		{Name: "l1", Items: []string{"a", "b"}},
		{Name: "empty", Items: []string{}},
		{Name: "later", Items: []string{"x"}},
		{Name: "l2", Items: []string{"later"}},
	}
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"brackets", "f.x in (l1)", "f.x in (a, b)"},
		{"start and end", "l1", "a, b"},
		{"after equals", "f.x=l1", "f.x=a, b"},
		{"between commas", "f.x in (z,l1,l1)", "f.x in (z,a, b,a, b)"},
		{"not a word boundary", "f.x in (l1x, xl1, l1.y)", "f.x in (l1x, xl1, l1.y)"},
		{"inside quotes when bounded", `f.x = "q l1 r"`, `f.x = "q a, b r"`},
		{"empty list twice (Q6 not reproduced)", "f.x in (empty) or g.y in (empty)", "f.x in () or g.y in ()"},
		{"inserted name of an earlier-processed list stays", "f.x in (l2)", "f.x in (later)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ExpandListsText(tt.in, lists); got != tt.want {
				t.Errorf("ExpandListsText(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestExpandListItems(t *testing.T) {
	defs := []ListDef{
		{Name: "a", Items: []string{"x", "y z"}},
		{Name: "b", Items: []string{"a", "c", "later"}},
		{Name: "later", Items: []string{"w"}},
		{Name: "a", Items: []string{"q"}, Append: true},
		{Name: "missing", Items: []string{"m"}, Append: true},
		{Name: "b", Items: []string{"'quoted item'", `"dq item"`}},
		{Name: "e", Items: nil},
	}
	got := ExpandListItems(defs)
	want := []NamedList{
		{Name: "a", Items: []string{"x", `"y z"`, "q"}},
		{Name: "b", Items: []string{"'quoted item'", `"dq item"`}},
		{Name: "later", Items: []string{"w"}},
		{Name: "e", Items: []string{}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ExpandListItems = %#v, want %#v", got, want)
	}
	// Before its redefinition, b held a's items of that time and kept
	// "later" as a literal, because later was defined after b.
	got = ExpandListItems(defs[:2])
	want = []NamedList{
		{Name: "a", Items: []string{"x", `"y z"`}},
		{Name: "b", Items: []string{"x", `"y z"`, "c", "later"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ExpandListItems(first two) = %#v, want %#v", got, want)
	}
}

func TestQuoteItem(t *testing.T) {
	tests := []struct{ in, want string }{
		{"abc", "abc"},
		{"a b", `"a b"`},
		{`"a b"`, `"a b"`},
		{"'a b'", "'a b'"},
		{"a\tb", "a\tb"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := QuoteItem(tt.in); got != tt.want {
			t.Errorf("QuoteItem(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func parseMacros(t *testing.T, defs map[string]string) map[string]Node {
	t.Helper()
	m := map[string]Node{}
	for name, cond := range defs {
		m[name] = mustParse(t, cond)
	}
	return m
}

func TestResolveMacros(t *testing.T) {
	macros := parseMacros(t, map[string]string{
		"open_write": "evt.type in (open, openat) and evt.is_open_write=true",
		"shell":      "proc.name in (bash, sh)",
		"spawn":      "evt.type=execve",
		"shell_exec": "spawn and shell",
		"alias":      "shell_exec",
		"alias2":     "alias",
		"to_undef":   "undef_inner",
	})
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"whole filter", "open_write", "(and (in evt.type [open openat]) (= evt.is_open_write true))"},
		{"nested", "shell_exec and fd.num>0", "(and (and (= evt.type execve) (in proc.name [bash sh])) (> fd.num 0))"},
		{"alias chain", "not alias2", "(not (and (= evt.type execve) (in proc.name [bash sh])))"},
		{"right operand", "fd.num>0 or spawn", "(or (> fd.num 0) (= evt.type execve))"},
		{"no macros", "a.b = 1", "(= a.b 1)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ResolveMacros(mustParse(t, tt.in), macros)
			if err != nil {
				t.Fatalf("ResolveMacros(%q): %v", tt.in, err)
			}
			if got.String() != tt.want {
				t.Errorf("ResolveMacros(%q) = %s, want %s", tt.in, got, tt.want)
			}
			if refs := MacroRefs(got); len(refs) != 0 {
				t.Errorf("ResolveMacros(%q) left references %v", tt.in, refs)
			}
		})
	}
}

func TestResolveMacrosDeepCopies(t *testing.T) {
	macros := parseMacros(t, map[string]string{"m": "a.b in (x) and c.d = 1"})
	got, err := ResolveMacros(mustParse(t, "m"), macros)
	if err != nil {
		t.Fatal(err)
	}
	and := got.(*And)
	and.Left.(*ListCompare).Items[0].Text = "changed"
	and.Right.(*Compare).Field = "changed"
	if s := macros["m"].String(); s != "(and (in a.b [x]) (= c.d 1))" {
		t.Errorf("changing the result changed the macro: %s", s)
	}
}

func TestResolveMacrosUndefined(t *testing.T) {
	macros := parseMacros(t, map[string]string{
		"m":        "a.b = 1",
		"to_undef": "undef_inner",
	})
	tests := []struct {
		name string
		in   string
		want string
	}{
		// Shapes pinned by the 0.31.1 loader tests (invalid_overwrite_*).
		{"whole filter", "foo", "Undefined macro 'foo' used in filter."},
		{"left operand", "foo and m", "Undefined macro 'foo' used in filter."},
		{"right operand", "m and foo", "Undefined macro foo used in filter."},
		{"under not", "not foo", "Undefined macro foo used in filter."},
		{"through an alias keeps the slot", "m or to_undef", "Undefined macro undef_inner used in filter."},
		{"alias as whole filter", "to_undef", "Undefined macro 'undef_inner' used in filter."},
		// expand_macros checks the direct operands of a node before its subtrees.
		{"0.31.1 order", "(m and u1) and u2", "Undefined macro u2 used in filter."},
		{"0.31.1 pass order", "to_undef and (m and u3)", "Undefined macro u3 used in filter."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ResolveMacros(mustParse(t, tt.in), macros)
			var ue *UndefinedMacroError
			if !errors.As(err, &ue) {
				t.Fatalf("ResolveMacros(%q) error = %v, want *UndefinedMacroError", tt.in, err)
			}
			if err.Error() != tt.want {
				t.Errorf("ResolveMacros(%q) error = %q, want %q", tt.in, err.Error(), tt.want)
			}
		})
	}
}

func TestResolveMacrosCycle(t *testing.T) {
	macros := parseMacros(t, map[string]string{
		"self": "self and a.b = 1",
		"m1":   "m2 or a.b = 1",
		"m2":   "not m3",
		"m3":   "m1",
		"ok":   "a.b = 2",
	})
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"self", "ok and self", []string{"self", "self"}},
		{"three macros", "m1", []string{"m1", "m2", "m3", "m1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ResolveMacros(mustParse(t, tt.in), macros)
			var ce *MacroCycleError
			if !errors.As(err, &ce) {
				t.Fatalf("ResolveMacros(%q) error = %v, want *MacroCycleError", tt.in, err)
			}
			if !reflect.DeepEqual(ce.Cycle, tt.want) {
				t.Errorf("cycle = %v, want %v", ce.Cycle, tt.want)
			}
		})
	}
}

func TestMacroRefsAndFieldNames(t *testing.T) {
	n := mustParse(t, "m1 and proc.aname[2] = x and not (m2 or fd.name exists) and m1 and evt.type in (a) and proc.aname[2] != y")
	if got, want := MacroRefs(n), []string{"m1", "m2"}; !reflect.DeepEqual(got, want) {
		t.Errorf("MacroRefs = %v, want %v", got, want)
	}
	if got, want := FieldNames(n), []string{"proc.aname[2]", "fd.name", "evt.type"}; !reflect.DeepEqual(got, want) {
		t.Errorf("FieldNames = %v, want %v", got, want)
	}
	if got := MacroRefs(&Empty{}); len(got) != 0 {
		t.Errorf("MacroRefs(Empty) = %v", got)
	}
}
