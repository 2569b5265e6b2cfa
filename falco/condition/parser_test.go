package condition

import (
	"errors"
	"strings"
	"testing"
)

func TestParseAST(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"compare", "evt.type=open", "(= evt.type open)"},
		{"spaces", "  evt.type = open  ", "(= evt.type open)"},
		{"and binds tighter than or", "a or b and c", "(or (macro a) (and (macro b) (macro c)))"},
		{"and then or", "a and b or c", "(or (and (macro a) (macro b)) (macro c))"},
		{"and is left associative", "a and b and c", "(and (and (macro a) (macro b)) (macro c))"},
		{"or is left associative", "a or b or c", "(or (or (macro a) (macro b)) (macro c))"},
		{"not binds tighter than and", "not a and b", "(and (not (macro a)) (macro b))"},
		{"not not", "not not a", "(not (not (macro a)))"},
		{"brackets", "(a or b) and c", "(and (or (macro a) (macro b)) (macro c))"},
		{"redundant brackets", "((a))", "(macro a)"},
		{"not bracket", "not (a.b=1 or c)", "(not (or (= a.b 1) (macro c)))"},
		{"exists", "proc.name exists", "(exists proc.name)"},
		{"exists and", "proc.name exists and not fd.name exists", "(and (exists proc.name) (not (exists fd.name)))"},
		{"double equals (newer syntax, Q1 not reproduced)", "a.b==x", "(== a.b x)"},
		{"not equal", "a.b!=x", "(!= a.b x)"},
		{"le", "a.b<=1", "(<= a.b 1)"},
		{"ge", "a.b>=1", "(>= a.b 1)"},
		{"lt", "a.b<1", "(< a.b 1)"},
		{"gt", "a.b>1", "(> a.b 1)"},
		{"contains", "a.b contains x", "(contains a.b x)"},
		{"icontains", "a.b icontains x", "(icontains a.b x)"},
		{"glob", "a.b glob /x/*", "(glob a.b /x/*)"},
		{"startswith", "a.b startswith /x", "(startswith a.b /x)"},
		{"endswith", "a.b endswith .x", "(endswith a.b .x)"},
		{"bcontains", "a.b bcontains CAFE", "(bcontains a.b CAFE)"},
		{"bstartswith", "a.b bstartswith CAFE", "(bstartswith a.b CAFE)"},
		{"operator needs no space (0.31.1 symb)", "a.b containsx", "(contains a.b x)"},
		{"double quoted", `a.b = "x y"`, `(= a.b "x y")`},
		{"single quoted", `a.b contains 'x y'`, `(contains a.b 'x y')`},
		{"quoted keeps backslash (Q5)", `a.b = "x\"y"`, `(= a.b "x\"y")`},
		{"quote inside bare word", `a.b = x'y`, `(= a.b x'y)`},
		{"bare IP (Q2 not reproduced)", "fd.sip = 10.0.0.1", "(= fd.sip 10.0.0.1)"},
		{"keyword as value", "a.b = and", "(= a.b and)"},
		{"in", "a.b in (x, y)", "(in a.b [x y])"},
		{"in no spaces", "a.b in(x,y)", "(in a.b [x y])"},
		{"empty set", "a.b in ()", "(in a.b [])"},
		{"empty elements (Q7)", "a.b in (x, , y,)", "(in a.b [x y])"},
		{"leading comma and runs", "a.b in (, x y z)", "(in a.b [x y z])"},
		{"intersects", "a.b intersects (x)", "(intersects a.b [x])"},
		{"pmatch", "a.b pmatch (/a, /b)", "(pmatch a.b [/a /b])"},
		{"dhclient is one word (Q4 not reproduced)", "a.b in (11-dhclient, 10-dpkg)", "(in a.b [11-dhclient 10-dpkg])"},
		{"quoted items", `a.b in ("x y", '"q"')`, `(in a.b ["x y" '"q"'])`},
		{"bare list name (0.32+)", "a.b in lst and c", "(and (in a.b lst) (macro c))"},
		{"field argument", "proc.aname[2] = x", "(= proc.aname[2] x)"},
		{"field path argument", "jevt.value[/a/b] = c", "(= jevt.value[/a/b] c)"},
		{"field argument exists", "evt.arg[0] exists", "(exists evt.arg[0])"},
		{"macro with keyword prefix", "notx and android or order", "(or (and (macro notx) (macro android)) (macro order))"},
		{"macro named not", "not", "(macro not)"},
		{"comment", "# disabled", "(empty)"},
		{"comment after blanks", "  #x", "(empty)"},
		{"tab and newline are blanks", "a.b=x\tand\nc", "(and (= a.b x) (macro c))"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := Parse(tt.in)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.in, err)
			}
			if got := n.String(); got != tt.want {
				t.Errorf("Parse(%q) = %s, want %s", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseValues(t *testing.T) {
	tests := []struct {
		name      string
		in        string
		wantKind  ValueKind
		wantText  string
		wantQuote byte
		wantPos   int
	}{
		{"int", "a.b = 12", Number, "12", 0, 7},
		{"hex", "a.b = 0x1F", Number, "0x1F", 0, 7},
		{"float", "a.b = 1.5e3", Number, "1.5e3", 0, 7},
		{"leading dot", "a.b = .5", Number, ".5", 0, 7},
		{"not a number: dhclient", "a.b = 11-dhclient", BareString, "11-dhclient", 0, 7},
		{"not a number: hex suffix", "a.b = 0x1g", BareString, "0x1g", 0, 7},
		{"not a number: signed", "a.b = -1", BareString, "-1", 0, 7},
		{"bare", "a.b=/usr/bin", BareString, "/usr/bin", 0, 5},
		{"double quoted raw", `a.b = "a\"b\\c"`, QuotedString, `a\"b\\c`, '"', 7},
		{"single quoted with double quote", `a.b = 'say "hi"'`, QuotedString, `say "hi"`, '\'', 7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := Parse(tt.in)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.in, err)
			}
			c, ok := n.(*Compare)
			if !ok {
				t.Fatalf("Parse(%q) = %T, want *Compare", tt.in, n)
			}
			v := c.Value
			if v.Kind != tt.wantKind || v.Text != tt.wantText || v.Quote != tt.wantQuote || v.Pos != tt.wantPos {
				t.Errorf("Parse(%q) value = %+v, want kind %d text %q quote %q pos %d", tt.in, v, tt.wantKind, tt.wantText, tt.wantQuote, tt.wantPos)
			}
		})
	}
}

func TestParseSinspEscapes(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"backslash", `a.b = "x\\y"`, `x\y`},
		{"double quote", `a.b = "x\"y"`, `x"y`},
		{"hex", `a.b = "it\x27s"`, `it's`},
		{"other escapes kept", `a.b = "\n\t"`, `\n\t`},
		{"short hex kept", `a.b = "\x2"`, `\x2`},
		{"trailing backslash pair", `a.b = "x\\"`, `x\`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := ParseWith(tt.in, ParseOptions{SinspEscapes: true})
			if err != nil {
				t.Fatalf("ParseWith(%q): %v", tt.in, err)
			}
			if got := n.(*Compare).Value.Text; got != tt.want {
				t.Errorf("ParseWith(%q) value = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestParsePositions(t *testing.T) {
	n, err := Parse("a.b=1 and  not c.d in (x)")
	if err != nil {
		t.Fatal(err)
	}
	and := n.(*And)
	not := and.Right.(*Not)
	lc := not.Operand.(*ListCompare)
	got := []int{and.Pos, and.Left.Position(), not.Pos, lc.Pos, lc.Items[0].Pos}
	want := []int{1, 1, 12, 16, 24}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("positions = %v, want %v", got, want)
			break
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		wantPos int
		want    string // full Error() text
	}{
		// Pinned by the 0.31.1 loader tests (invalid_append_rule, invalid_append_macro).
		{"trailing word", "evt.type=open bar", 15, "15: syntax error, unexpected 'bar', expecting 'or', 'and'"},
		{"trailing word after execve", "evt.type=execve foo", 17, "17: syntax error, unexpected 'foo', expecting 'or', 'and'"},
		{"trailing word in brackets", "(evt.type=open bar)", 16, "16: syntax error, unexpected 'bar', expecting ')', 'or', 'and'"},
		{"dangling and", "evt.type=open and", 18, "18: syntax error, unexpected 'EOF', expecting '(', 'Macro', 'FieldName', 'not'"},
		{"empty", "", 1, "1: syntax error, unexpected 'EOF', expecting '(', 'Macro', 'FieldName', 'not'"},
		{"blank", "   ", 4, "4: syntax error, unexpected 'EOF', expecting '(', 'Macro', 'FieldName', 'not'"},
		{"missing value", "proc.name=", 11, "11: syntax error, unexpected 'EOF', expecting 'BareString', 'String', 'Number'"},
		{"missing operator", "proc.name foo", 11, "11: syntax error, unexpected 'foo', expecting 'pmatch', 'intersects', 'in', 'endswith', 'startswith', 'glob', 'icontains', 'contains', '>', '<', '>=', '<=', '!=', '==', '=', 'exists'"},
		{"missing comma", "a.b in (x y)", 11, "11: syntax error, unexpected 'y', expecting ')', ','"},
		{"unclosed set", "a.b in (x", 10, "10: syntax error, unexpected 'EOF', expecting ')', ','"},
		{"unterminated quote", `a.b = "abc`, 7, `7: syntax error, unexpected '"', expecting 'BareString', 'String', 'Number'`},
		{"stray bracket", "a.b = x)", 8, "8: syntax error, unexpected ')', expecting 'or', 'and'"},
		{"unexpected number", "a.b = x 12", 9, "9: syntax error, unexpected '12', expecting 'or', 'and'"},
		{"unexpected quoted string", `a.b = x "q r"`, 9, `9: syntax error, unexpected '"q r"', expecting 'or', 'and'`},
		{"unclosed bracket", "(a", 3, "3: syntax error, unexpected 'EOF', expecting ')', 'or', 'and'"},
		{"uppercase keyword", "a AND b", 3, "3: syntax error, unexpected 'AND', expecting 'or', 'and'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(tt.in)
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Parse(%q) error = %v, want *SyntaxError", tt.in, err)
			}
			if se.Pos != tt.wantPos || err.Error() != tt.want {
				t.Errorf("Parse(%q) error = %q (pos %d), want %q (pos %d)", tt.in, err.Error(), se.Pos, tt.want, tt.wantPos)
			}
		})
	}
}

func TestParseDepthLimit(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		wantErr bool
	}{
		{"brackets within the limit", strings.Repeat("(", 900) + "a" + strings.Repeat(")", 900), false},
		{"brackets beyond the limit", strings.Repeat("(", 2000) + "a" + strings.Repeat(")", 2000), true},
		{"nots beyond the limit", strings.Repeat("not ", 2000) + "a", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Parse error = %v, want error %v", err, tt.wantErr)
			}
			if err != nil && !strings.Contains(err.Error(), "nested too deeply") {
				t.Errorf("error = %v, want a nesting error", err)
			}
		})
	}
}
