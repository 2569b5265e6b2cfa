package compiler

import (
	"fmt"
	"regexp"
	"strings"
)

// fakeFactory is a FilterFactory without libsinsp: it knows a small set of
// fields, rejects others with libsinsp's message shape, and derives event
// types from `evt.type = "x"` comparisons (all 270 types otherwise, like
// e5c53d64).
type fakeFactory struct {
	fields  map[string]bool
	opened  int
	closed  int
	rejects map[string]string // canonical substring -> compile error
}

func newFakeFactory() *fakeFactory {
	f := &fakeFactory{fields: map[string]bool{}}
	for _, name := range []string{"evt.type", "proc.name", "proc.pname", "proc.cmdline", "fd.name", "fd.filename",
		"fd.directory", "container.id", "container.name", "user.name", "proc.aname", "evt.num"} {
		f.fields[name] = true
	}
	return f
}

var fakeFieldRe = regexp.MustCompile(`(?:^|[\s(])([a-z]+\.[a-zA-Z0-9_.]+)(\[[^\]]*\])?\s*(?:=|!=|<=|>=|<|>|contains|icontains|startswith|endswith|glob|in|pmatch|exists)`)
var fakeEvtTypeRe = regexp.MustCompile(`evt\.type = "([a-z]+)"`)

type fakeFilter struct {
	f      *fakeFactory
	types  []uint16
	closed bool
}

func (ff *fakeFilter) EventTypes() []uint16 { return ff.types }
func (ff *fakeFilter) Close() error {
	if !ff.closed {
		ff.closed = true
		ff.f.closed++
	}
	return nil
}

func (f *fakeFactory) CompileFilter(canonical string) (Filter, error) {
	for sub, msg := range f.rejects {
		if strings.Contains(canonical, sub) {
			return nil, fmt.Errorf("%s", msg)
		}
	}
	for _, m := range fakeFieldRe.FindAllStringSubmatch(canonical, -1) {
		if !f.fields[m[1]] {
			return nil, fmt.Errorf("filter error at position 0: filter error: unrecognized field %s at pos 0", m[1])
		}
	}
	var types []uint16
	if strings.Contains(canonical, "not") {
		types = allTypes()
	} else {
		for i, m := range fakeEvtTypeRe.FindAllStringSubmatch(canonical, -1) {
			_ = m
			types = append(types, uint16(2*i+2), uint16(2*i+3))
		}
		if len(types) == 0 {
			types = allTypes()
		}
	}
	f.opened++
	return &fakeFilter{f: f, types: types}, nil
}

func allTypes() []uint16 {
	out := make([]uint16, 270)
	for i := range out {
		out[i] = uint16(i)
	}
	return out
}

func (f *fakeFactory) ValidateOutput(format string) error {
	if strings.HasSuffix(format, "%") {
		return fmt.Errorf("invalid formatting syntax: formatting cannot end with a %%")
	}
	for _, tok := range outputTokens(format) {
		known := false
		for name := range f.fields {
			if strings.HasPrefix(tok, name) {
				known = true
			}
		}
		if !known {
			return fmt.Errorf("invalid formatting token %s", format[strings.Index(format, "%"+tok)+1:])
		}
	}
	return nil
}

func (f *fakeFactory) FieldExists(name string) bool {
	if i := strings.IndexByte(name, '['); i > 0 {
		name = name[:i]
	}
	return f.fields[name]
}
