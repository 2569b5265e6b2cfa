package sinsp

import (
	"errors"
	"reflect"
	"syscall"
	"testing"
)

func newInspector(t *testing.T) *Inspector {
	t.Helper()
	insp, err := New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := insp.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return insp
}

// allEventTypes is what libsinsp returns for a filter without an evt.type
// restriction: every event type that is not an old version or unused.
func allEventTypes(t *testing.T, insp *Inspector) []uint16 {
	t.Helper()
	f, err := insp.CompileFilter("proc.name=x")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	return f.EventTypes()
}

func TestCompileFilterEventTypes(t *testing.T) {
	insp := newInspector(t)
	all := allEventTypes(t, insp)
	if len(all) < 200 || len(all) > 336 {
		t.Fatalf("unrestricted filter has %d event types, want most of the 336", len(all))
	}
	without := func(drop ...uint16) []uint16 {
		var out []uint16
	next:
		for _, et := range all {
			for _, d := range drop {
				if et == d {
					continue next
				}
			}
			out = append(out, et)
		}
		return out
	}
	tests := []struct {
		name string
		expr string
		want []uint16
	}{
		// PPME_SYSCALL_OPEN_E/_X.
		{"single type", "evt.type=open", []uint16{2, 3}},
		// openat maps to PPME_SYSCALL_OPENAT_2_E/_X (306/307) only: the old
		// PPME_SYSCALL_OPENAT_E/_X (102/103) are EF_OLD_VERSION.
		{"in list", "evt.type in (open, openat)", []uint16{2, 3, 306, 307}},
		{"and narrows", "evt.type=open and proc.name=cat", []uint16{2, 3}},
		{"or widens", "(evt.type=open or evt.type=close)", []uint16{2, 3, 4, 5}},
		{"negation", "not evt.type=open", without(2, 3)},
		{"unrestricted", "proc.name=cat", all},
		// accept4 and dup2 exist only as generic events in e5c53d64
		// (engine-spec §2.2): they compile, but libsinsp gives them NO event
		// type, so an index by event type never tries such a filter, and
		// in an "or" they add nothing.
		{"generic-only syscall name", "evt.type=accept4", nil},
		{"generic-only in or", "evt.type=accept4 or evt.type=open", []uint16{2, 3}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, err := insp.CompileFilter(tc.expr)
			if err != nil {
				t.Fatalf("%s: CompileFilter(%q): %v", tc.name, tc.expr, err)
			}
			defer f.Close()
			if got := f.EventTypes(); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("%s: EventTypes(%q) = %v, want %v", tc.name, tc.expr, got, tc.want)
			}
		})
	}
}

func TestCompileFilterErrors(t *testing.T) {
	insp := newInspector(t)
	tests := []struct {
		name string
		expr string
		want string // libsinsp's exact message
	}{
		{"unknown field", "proc.nme=x",
			"filter error at position 8: filter error: unrecognized field proc.nme at pos 0"},
		{"bad operator", "proc.name bcontains x",
			"filter error at position 10: filter error: unrecognized comparison operator after proc.name "},
		{"unbalanced open", "proc.name=x and (proc.pid=1",
			"filter error at position 28: filter error: unexpected end of filter"},
		{"unbalanced close", "proc.name=x)",
			"filter error at position 12: filter error: unexpected end of filter"},
		{"unknown event type", "evt.type=foobar",
			"filter error at position 15: unknown event type foobar"},
		{"not a number", "proc.pid=abc",
			"filter error at position 12: abc is not a valid number"},
		{"not an address", "fd.ip=abc",
			"filter error at position 9: unrecognized IPv6 address abc"},
		{"mixed and/or", "proc.name=x and proc.pid=1 or proc.pid=2",
			"filter error at position 41: expression mixes 'and' and 'or' in an ambiguous way. Please use brackets."},
		{"unclosed quote", `proc.name="x`,
			"filter error at position 12: filter error: unclosed quotes"},
		{"intersects is not supported", "proc.name intersects (a)",
			"filter error at position 12: expected '(' after 'in/intersects/pmatch' operand"},
		{"empty", "",
			"filter error at position 0: filter error: unexpected end of filter"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, err := insp.CompileFilter(tc.expr)
			if err == nil {
				f.Close()
				t.Fatalf("%s: CompileFilter(%q) succeeded, want %q", tc.name, tc.expr, tc.want)
			}
			if err.Error() != tc.want {
				t.Errorf("%s: CompileFilter(%q) error\n got %q\nwant %q", tc.name, tc.expr, err.Error(), tc.want)
			}
			var se *Error
			if !errors.As(err, &se) || !errors.Is(err, syscall.EIO) {
				t.Errorf("%s: error %T is not a *sinsp.Error wrapping EIO", tc.name, err)
			}
		})
	}
}

func TestNewFormatter(t *testing.T) {
	insp := newInspector(t)
	tests := []struct {
		name    string
		raw     bool // NewRawFormatter (no '*' added)
		format  string
		wantErr string // "" = valid
	}{
		{"plain fields", false, "user=%user.name command=%proc.cmdline", ""},
		{"field with argument", false, "%proc.aname[2] %evt.arg.flags", ""},
		{"width prefix", false, "%10proc.name|", ""},
		// The token is the longest field prefix; the rest is literal text.
		{"prefix then literal", false, "%proc.namexyz", ""},
		{"unknown field", false, "%nofield x", "invalid formatting token nofield x"},
		{"container.info is not a field", false, "%container.info", "invalid formatting token container.info"},
		{"filter-only field", false, "%fd.ip", "fd.ip is filter only and cannot be used as a display field"},
		{"trailing percent", false, "x %", "invalid formatting syntax: formatting cannot end with a %"},
		{"empty raw", true, "", "empty formatting token"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			newFn := insp.NewFormatter
			if tc.raw {
				newFn = insp.NewRawFormatter
			}
			fm, err := newFn(tc.format)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Errorf("%s: NewFormatter(%q): %v", tc.name, tc.format, err)
			case tc.wantErr != "" && err == nil:
				t.Errorf("%s: NewFormatter(%q) succeeded, want %q", tc.name, tc.format, tc.wantErr)
			case tc.wantErr != "" && err.Error() != tc.wantErr:
				t.Errorf("%s: NewFormatter(%q) error %q, want %q", tc.name, tc.format, err.Error(), tc.wantErr)
			}
			if fm != nil {
				fm.Close()
			}
		})
	}
}

func TestFieldExists(t *testing.T) {
	insp := newInspector(t)
	tests := []struct {
		name string
		want bool
	}{
		{"proc.name", true},
		{"evt.type", true},
		{"proc.aname", true},
		{"proc.aname[2]", true},
		{"evt.arg.flags", true},
		{"evt.arg[0]", true},
		{"k8s.pod.label.app", true},
		{"fd.ip", true}, // filter-only fields exist for conditions
		{"proc.namex", false},
		{"proc.nam", false},
		{"proc.aname[x]", false},
		{"container.info", false},
		{"nope", false},
		{"", false},
	}
	for _, tc := range tests {
		if got := insp.FieldExists(tc.name); got != tc.want {
			t.Errorf("FieldExists(%q) = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestFieldClasses(t *testing.T) {
	insp := newInspector(t)
	classes, err := insp.FieldClassesErr()
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]Field{}
	for _, c := range classes {
		if c.Name == "" || len(c.Fields) == 0 {
			t.Errorf("class %+v: empty name or no fields", c.Name)
		}
		for _, f := range c.Fields {
			byName[f.Name] = f
		}
	}
	// engine-spec §2.2: e5c53d64 has 283 fields.
	if len(byName) != 283 {
		t.Errorf("%d distinct fields, want 283", len(byName))
	}
	for _, tc := range []struct{ name, typ string }{
		{"proc.name", "CHARBUF"}, {"proc.pid", "INT64"}, {"evt.time", "CHARBUF"}, {"evt.rawtime", "ABSTIME"}, {"fd.ip", "IPADDR"},
	} {
		f, ok := byName[tc.name]
		if !ok || f.Type != tc.typ || f.Desc == "" {
			t.Errorf("field %s = %+v, want type %s and a description", tc.name, f, tc.typ)
		}
		if !insp.FieldExists(tc.name) {
			t.Errorf("listed field %s: FieldExists false", tc.name)
		}
	}
	if tags := byName["fd.ip"].Tags; !reflect.DeepEqual(tags, []string{"FILTER ONLY"}) {
		t.Errorf("fd.ip tags %q, want [FILTER ONLY]", tags)
	}
}

func TestEventTypeInfo(t *testing.T) {
	tests := []struct {
		evtType  uint16
		name     string
		flags    uint32 // bits that must be set
		consider bool
	}{
		{2, "open", 0, true},                             // PPME_SYSCALL_OPEN_E
		{4, "close", EventFlagDropSimpleConsumer, false}, // PPME_SYSCALL_CLOSE_E
		{102, "openat", EventFlagOldVersion, false},      // PPME_SYSCALL_OPENAT_E: old versions are skipped too
		{306, "openat", 0, true},                         // PPME_SYSCALL_OPENAT_2_E
		{336, "", 0, false},                              // PPM_EVENT_MAX
	}
	for _, tc := range tests {
		if got := EventTypeName(tc.evtType); got != tc.name {
			t.Errorf("EventTypeName(%d) = %q, want %q", tc.evtType, got, tc.name)
		}
		if got := EventTypeFlags(tc.evtType); got&tc.flags != tc.flags {
			t.Errorf("EventTypeFlags(%d) = %#x, want bits %#x", tc.evtType, got, tc.flags)
		}
		if got := SimpleConsumerConsiders(tc.evtType); got != tc.consider {
			t.Errorf("SimpleConsumerConsiders(%d) = %v, want %v", tc.evtType, got, tc.consider)
		}
	}
}
