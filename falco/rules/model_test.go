package rules

import "testing"

func TestParseSemver(t *testing.T) {
	tests := []struct {
		in      string
		want    Semver
		wantErr bool
	}{
		{"0.57.0", Semver{0, 57, 0}, false},
		{"v1.2.3-rc1", Semver{1, 2, 3}, false},
		{"0.31", Semver{}, true},
		{"not-a-number", Semver{}, true},
	}
	for _, tt := range tests {
		got, err := ParseSemver(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("%q: got %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
	if !(Semver{0, 11, 0}).Less(Semver{0, 57, 0}) || (Semver{1, 0, 0}).Less(Semver{0, 99, 99}) {
		t.Errorf("Less is wrong")
	}
}

func TestValueBool(t *testing.T) {
	tests := []struct {
		text   string
		want   bool
		wantOK bool
	}{
		{"true", true, true}, {"False", false, true}, {"yes", true, true}, {"off", false, true}, {"maybe", false, false},
	}
	for _, tt := range tests {
		got, ok := Value{Kind: ScalarValue, Text: tt.text}.Bool()
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("%q: got %v %v", tt.text, got, ok)
		}
	}
	if _, ok := (Value{Kind: SequenceValue}).Bool(); ok {
		t.Errorf("a sequence is not a bool")
	}
}

func TestFormatDiagnostics(t *testing.T) {
	ds := []Diagnostic{
		{Message: "List must have property items", Context: "- list: bad_list\n  no_items: foo\n"},
		{Message: "macro m not refered to by any rule/macro"},
	}
	want := "2 errors:\nList must have property items\n---\n- list: bad_list\n  no_items: foo\n---\nmacro m not refered to by any rule/macro\n"
	if got := FormatDiagnostics("errors", ds); got != want {
		t.Errorf("got %q\nwant %q", got, want)
	}
	d := Diagnostic{Message: "m", Location: Location{File: "f.yaml", Line: 3}, ItemKind: RuleItem, ItemName: "r"}
	if got := d.String(); got != `f.yaml:3: rule "r": m` {
		t.Errorf("String: %q", got)
	}
}
