package condition

import (
	"testing"
)

func TestCanonical(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"compare", "evt.type=open", `evt.type = "open"`},
		{"double equals", "a.b == x", `a.b = "x"`},
		{"operators kept", "a.b != x and a.b <= 1 and a.b glob /x* and a.b icontains Y", `a.b != "x" and a.b <= "1" and a.b glob "/x*" and a.b icontains "Y"`},
		{"and chain flattened", "(a.b=1 and c.d=2) and (e.f=3 and g.h=4)", `a.b = "1" and c.d = "2" and e.f = "3" and g.h = "4"`},
		{"or under and is bracketed", "a.b=1 and (c.d=2 or e.f=3)", `a.b = "1" and (c.d = "2" or e.f = "3")`},
		{"and under or is bracketed", "a.b=1 or c.d=2 and e.f=3", `a.b = "1" or (c.d = "2" and e.f = "3")`},
		{"top level or chain", "a.b=1 or c.d=2 or e.f=3", `a.b = "1" or c.d = "2" or e.f = "3"`},
		{"not", "not a.b=1", `not (a.b = "1")`},
		{"not of chain", "not (a.b=1 and c.d=2)", `not (a.b = "1" and c.d = "2")`},
		{"not not", "not not a.b=1", `not (not (a.b = "1"))`},
		{"exists", "a.b exists and not c.d exists", `a.b exists and not (c.d exists)`},
		{"set", "a.b in (x, 'y z', 11-dhclient)", `a.b in ("x", "y z", "11-dhclient")`},
		{"intersects becomes in", "a.b intersects (x)", `a.b in ("x")`},
		{"pmatch kept", "a.b pmatch (/x)", `a.b pmatch ("/x")`},
		{"unresolved bare list name", "a.b in lst", `a.b in ("lst")`},
		{"field argument", "proc.aname[2] startswith /x", `proc.aname[2] startswith "/x"`},
		{"backslash kept and escaped (Q5)", `a.b = "x\"y"`, `a.b = "x\\\"y"`},
		{"bare backslash", `a.b endswith \`, `a.b endswith "\\"`},
		{"single quote escaped", `a.b = "it's"`, `a.b = "it\x27s"`},
		{"double quote in single quotes", `a.b = 'say "hi"'`, `a.b = "say \"hi\""`},
		{"hex number (Q3)", "a.b = 0x10", `a.b = "16"`},
		{"exponent", "a.b = 1e3", `a.b = "1000"`},
		{"leading zeros", "a.b = 007", `a.b = "7"`},
		{"float", "a.b = 1.50", `a.b = "1.5"`},
		{"leading dot", "a.b = .5", `a.b = "0.5"`},
		{"trailing dot", "a.b = 1.", `a.b = "1"`},
		{"big integer", "a.b = 12345678901234567", `a.b = "1.2345678901235e+16"`},
		{"fourteen digits", "a.b = 12345678901234", `a.b = "12345678901234"`},
		{"small", "a.b = 0.00001", `a.b = "1e-05"`},
		{"small fixed", "a.b = 0.0001", `a.b = "0.0001"`},
		{"overflow", "a.b = 1e400", `a.b = "inf"`},
		{"big hex", "a.b = 0xFFFFFFFFFFFFFFFFFF", `a.b = "4.7223664828696e+21"`},
		{"number in set", "a.b in (0x10, 20)", `a.b in ("16", "20")`},
		{"bcontains emitted as written", "evt.buffer bcontains CAFEBABE", `evt.buffer bcontains "CAFEBABE"`},
		{"unresolved macro", "m and a.b=1", `m and a.b = "1"`},
		{"macro named not stays a macro", "(not) and x", "(not) and x"},
		{"comment", "# nothing", ""},
		// Folding (engine-spec §2.3 step 2).
		{"empty set is false", "a.b in ()", FalseCondition},
		{"false and e", "a.b in () and c.d=1", FalseCondition},
		{"e and false", "c.d=1 and a.b pmatch ()", FalseCondition},
		{"false or e", "a.b intersects () or c.d=1", `c.d = "1"`},
		{"e or false", "c.d=1 or a.b in ()", `c.d = "1"`},
		{"not false", "not a.b in ()", TrueCondition},
		{"e and not false", "c.d=1 and not a.b in ()", `c.d = "1"`},
		{"e or not false", "c.d=1 or not a.b in ()", TrueCondition},
		{"nested fold", "x.y=1 and (c.d=1 or (e.f in () and g.h=2)) and not (i.j in () or k.l exists)", `x.y = "1" and c.d = "1" and not (k.l exists)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Canonical(mustParse(t, tt.in))
			if got != tt.want {
				t.Errorf("Canonical(%q) =\n  %s\nwant\n  %s", tt.in, got, tt.want)
			}
			if tt.want != "" {
				assertCanonicalFixpoint(t, tt.name, got)
			}
		})
	}
}

func TestCanonicalWith(t *testing.T) {
	tests := []struct {
		name string
		in   string
		opts EmitOptions
		want string
	}{
		{"no fold", "a.b in () or c.d=1", EmitOptions{NoFold: true}, `a.b in () or c.d = "1"`},
		{"keep intersects", "a.b intersects (x)", EmitOptions{KeepIntersects: true}, `a.b intersects ("x")`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := CanonicalWith(mustParse(t, tt.in), tt.opts); got != tt.want {
				t.Errorf("CanonicalWith(%q) = %s, want %s", tt.in, got, tt.want)
			}
		})
	}
}

func TestFoldResult(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"constant false", "a.b in () and c", "false"},
		{"constant true", "not a.b in () or c", "true"},
		{"not constant", "a.b in () or c", "(macro c)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Fold(mustParse(t, tt.in)).String(); got != tt.want {
				t.Errorf("Fold(%q) = %s, want %s", tt.in, got, tt.want)
			}
		})
	}
}

func TestValueText(t *testing.T) {
	tests := []struct {
		name string
		v    Value
		want string
	}{
		{"number", Value{Kind: Number, Text: "0x10"}, "16"},
		{"bare", Value{Kind: BareString, Text: "0x10g"}, "0x10g"},
		{"quoted raw", Value{Kind: QuotedString, Text: `a\"b`, Quote: '"'}, `a\"b`},
	}
	for _, tt := range tests {
		if got := ValueText(tt.v); got != tt.want {
			t.Errorf("%s: ValueText = %q, want %q", tt.name, got, tt.want)
		}
	}
}
