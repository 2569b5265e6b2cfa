package condition

import (
	"errors"
	"testing"
)

var fuzzSeeds = []string{
	"evt.type=open bar",
	"a and b or not c",
	"a.b == 1 and not c.d in (x, y, 11-dhclient) or e.f exists",
	`a.b = "x\"y'z" and c.d contains 'q r'`,
	"a.b in (, a b c) and c.d intersects () or e.f pmatch (/x)",
	"a.b in lst and proc.aname[2] = 0x10",
	"# comment",
	"((a.b=1)) and (not (c or d))",
	`proc.args endswith \) and fd.sip = 10.0.0.1`,
	"not not not a",
	"a.b bcontains CAFE or a.b bstartswith 00",
	"a.b = 1e400 or a.b = .5 or a.b = 007",
	"evt.type in (open,openat,openat2) and evt.is_open_write=true and fd.typechar='f' and fd.num>=0",
	"(not) and x or (not) or not",
	"and and or or or and x",
	"a.b in (\"sh -c node -e \\\"require('nan')\\\"\")",
}

// FuzzParse checks that Parse never panics, that errors are *SyntaxError
// with a position inside the text, and that a canonical string read back
// (with libsinsp escapes) gives the same canonical string. List and macro
// resolution and folding must not panic either.
func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	lists := map[string][]string{"a": {"x", "a"}, "lst": {"p q", "b"}, "b": {}}
	f.Fuzz(func(t *testing.T, text string) {
		n, err := Parse(text)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Parse(%q) error %T %v, want *SyntaxError", text, err, err)
			}
			if se.Pos < 1 || se.Pos > len(text)+1 {
				t.Fatalf("Parse(%q) error position %d outside 1..%d", text, se.Pos, len(text)+1)
			}
			return
		}
		if _, ok := n.(*Empty); ok {
			return
		}
		resolved := ResolveLists(n, lists)
		macros := map[string]Node{}
		for _, name := range MacroRefs(resolved) {
			macros[name] = mustParseFuzz(t, "m.x = "+name)
		}
		if _, err := ResolveMacros(resolved, macros); err != nil {
			t.Fatalf("ResolveMacros(%q) with every macro defined: %v", text, err)
		}
		for _, node := range []Node{n, resolved} {
			canonical := Canonical(node)
			// Canonical brackets every `not`, so it may nest deeper than the input.
			again, err := ParseWith(canonical, ParseOptions{SinspEscapes: true, MaxDepth: 1 << 20})
			if err != nil {
				t.Fatalf("canonical of %q does not parse: %v\n%s", text, err, canonical)
			}
			if got := Canonical(again); got != canonical {
				t.Fatalf("canonical of %q is not a fixpoint:\nfirst:  %s\nsecond: %s", text, canonical, got)
			}
		}
	})
}

func mustParseFuzz(t *testing.T, s string) Node {
	n, err := Parse(s)
	if err != nil {
		// A macro name the grammar cannot use as a value: define it as a
		// plain comparison instead.
		n, err = Parse("m.x = y")
		if err != nil {
			t.Fatal(err)
		}
	}
	return n
}
