package sinsp

import (
	"encoding/json"
	"fmt"
)

// Filter is a compiled libsinsp filter.
type Filter struct {
	insp         *Inspector
	h            filterHandle // nil once freed
	types        []uint16
	closePending bool // Close was called while installed; freed when uninstalled
}

// CompileFilter compiles expr with libsinsp's string compiler
// (sinsp_filter_compiler, e5c53d64 grammar). On failure the error is an
// *Error whose text is libsinsp's exact message.
func (i *Inspector) CompileFilter(expr string) (*Filter, error) {
	i.mu.Lock()
	defer i.mu.Unlock()
	if i.h == nil {
		return nil, ErrClosed
	}
	h, types, err := cCompileFilter(i.h, expr)
	if err != nil {
		return nil, err
	}
	f := &Filter{insp: i, h: h, types: types}
	i.filters[f] = struct{}{}
	return f, nil
}

// EventTypes returns the PPME event types the filter can match, ascending.
// An unrestricted filter returns every event type.
func (f *Filter) EventTypes() []uint16 {
	return append([]uint16(nil), f.types...)
}

// Close frees the filter. A filter installed with SetPrograms or
// SetEventPrinter is freed once it is no longer installed.
func (f *Filter) Close() {
	i := f.insp
	i.mu.Lock()
	defer i.mu.Unlock()
	if f.h == nil {
		return
	}
	if i.filterInstalled(f) {
		f.closePending = true
		return
	}
	cFreeFilter(f.h)
	f.h = nil
	delete(i.filters, f)
}

// Formatter renders events with a %field format string.
type Formatter struct {
	insp         *Inspector
	h            formatterHandle
	closePending bool
}

// NewFormatter builds a libsinsp formatter for a rule output. The format is
// used as Falco 0.31.1 uses it: with a '*' prepended, so that a missing value
// prints <NA> instead of cutting the line (engine-spec §3.1). Errors are
// *Error with libsinsp's exact text.
func (i *Inspector) NewFormatter(format string) (*Formatter, error) {
	return i.newFormatter("*" + format)
}

// NewRawFormatter builds a formatter for format exactly as given (sysdig -p
// semantics: without a leading '*' a missing value cuts the line short).
func (i *Inspector) NewRawFormatter(format string) (*Formatter, error) {
	return i.newFormatter(format)
}

func (i *Inspector) newFormatter(format string) (*Formatter, error) {
	i.mu.Lock()
	defer i.mu.Unlock()
	if i.h == nil {
		return nil, ErrClosed
	}
	h, err := cNewFormatter(i.h, format)
	if err != nil {
		return nil, err
	}
	fm := &Formatter{insp: i, h: h}
	i.formatters[fm] = struct{}{}
	return fm, nil
}

// Close frees the formatter (deferred while it is installed in SetPrograms).
func (fm *Formatter) Close() {
	i := fm.insp
	i.mu.Lock()
	defer i.mu.Unlock()
	if fm.h == nil {
		return
	}
	for _, p := range i.programs {
		if p.Formatter == fm {
			fm.closePending = true
			return
		}
	}
	cFreeFormatter(fm.h)
	fm.h = nil
	delete(i.formatters, fm)
}

// Caller holds i.mu.
func (i *Inspector) filterInstalled(f *Filter) bool {
	if i.printerFilter == f {
		return true
	}
	for _, p := range i.programs {
		if p.Filter == f {
			return true
		}
	}
	return false
}

// freePending frees handles whose Close was deferred and that are no longer
// installed. Caller holds i.mu.
func (i *Inspector) freePending() {
	for f := range i.filters {
		if f.closePending && !i.filterInstalled(f) {
			cFreeFilter(f.h)
			f.h = nil
			delete(i.filters, f)
		}
	}
	for fm := range i.formatters {
		if !fm.closePending {
			continue
		}
		used := false
		for _, p := range i.programs {
			used = used || p.Formatter == fm
		}
		if !used {
			cFreeFormatter(fm.h)
			fm.h = nil
			delete(i.formatters, fm)
		}
	}
}

// Field is one libsinsp field.
type Field struct {
	Name string   `json:"name"`
	Type string   `json:"type"`
	Desc string   `json:"desc"`
	Tags []string `json:"tags,omitempty"` // e.g. FILTER ONLY, IDX_REQUIRED, EPF_TABLE_ONLY
}

// FieldClass is a group of fields ("process", "fd", ...).
type FieldClass struct {
	Name      string  `json:"name"`
	Desc      string  `json:"desc"`
	ShortDesc string  `json:"shortdesc,omitempty"`
	Fields    []Field `json:"fields"`
}

// Hidden reports whether the field is internal (EPF_TABLE_ONLY), which
// Falco's --list skips.
func (f Field) Hidden() bool {
	for _, t := range f.Tags {
		if t == "EPF_TABLE_ONLY" {
			return true
		}
	}
	return false
}

// FieldClasses returns every field class of libsinsp's default filter check
// list (sinsp_filter_factory::get_fields), in libsinsp's order. It returns
// nil only on a closed inspector or an internal error (see FieldClassesErr).
func (i *Inspector) FieldClasses() []FieldClass {
	classes, _ := i.FieldClassesErr()
	return classes
}

// FieldClassesErr is FieldClasses with the error.
func (i *Inspector) FieldClassesErr() ([]FieldClass, error) {
	i.mu.Lock()
	defer i.mu.Unlock()
	if i.h == nil {
		return nil, ErrClosed
	}
	raw, err := cFieldsJSON(i.h)
	if err != nil {
		return nil, fmt.Errorf("sinsp: list fields: %w", err)
	}
	var classes []FieldClass
	if err := json.Unmarshal(raw, &classes); err != nil {
		return nil, fmt.Errorf("sinsp: list fields: %w", err)
	}
	return classes, nil
}
