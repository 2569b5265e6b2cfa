package main

import (
	"fmt"

	"github.com/falco-trace/falco-trace/bridge/sinsp"
	"github.com/falco-trace/falco-trace/falco/compiler"
)

// sinspFilterFactory adapts bridge/sinsp to compiler.FilterFactory
// (contract D): conditions and outputs are checked by the installed libsinsp.
type sinspFilterFactory struct {
	insp *sinsp.Inspector
}

var _ compiler.FilterFactory = (*sinspFilterFactory)(nil)

// newSinspFilterFactory creates an unopened inspector, enough to compile
// filters and formatters. Close releases it.
func newSinspFilterFactory() (*sinspFilterFactory, error) {
	insp, err := sinsp.New()
	if err != nil {
		return nil, fmt.Errorf("creating the libsinsp inspector: %w", err)
	}
	return &sinspFilterFactory{insp: insp}, nil
}

// newSinspFilterFactoryFor wraps an existing inspector (the one that will run
// the rules), so the compiled filters can be installed with SetPrograms.
func newSinspFilterFactoryFor(insp *sinsp.Inspector) *sinspFilterFactory {
	return &sinspFilterFactory{insp: insp}
}

func (f *sinspFilterFactory) CompileFilter(canonical string) (compiler.Filter, error) {
	flt, err := f.insp.CompileFilter(canonical)
	if err != nil {
		return nil, err
	}
	return sinspFilter{flt}, nil
}

// ValidateOutput builds a formatter for the output exactly as written, as
// Falco 0.31.1 does when loading (the '*' is added only when rendering).
func (f *sinspFilterFactory) ValidateOutput(format string) error {
	fm, err := f.insp.NewRawFormatter(format)
	if err != nil {
		return err
	}
	fm.Close()
	return nil
}

func (f *sinspFilterFactory) FieldExists(name string) bool { return f.insp.FieldExists(name) }

// Close closes the inspector (and with it every filter still open).
func (f *sinspFilterFactory) Close() error { return f.insp.Close() }

// sinspFilter is a compiled rule condition; it implements io.Closer so the
// compiler can free the filters of a failed load.
type sinspFilter struct{ *sinsp.Filter }

func (s sinspFilter) Close() error {
	s.Filter.Close()
	return nil
}

// sinspFilterOf returns the libsinsp filter behind a compiled rule's filter
// (to install it with Inspector.SetPrograms), or nil.
func sinspFilterOf(f compiler.Filter) *sinsp.Filter {
	if s, ok := f.(sinspFilter); ok {
		return s.Filter
	}
	return nil
}

// eventTypeNames maps PPME event types to their distinct names, in order.
func eventTypeNames(types []uint16) []string {
	names := make([]string, 0, len(types))
	seen := map[string]bool{}
	for _, t := range types {
		n := sinsp.EventTypeName(t)
		if n == "" {
			n = fmt.Sprintf("type%d", t)
		}
		if !seen[n] {
			seen[n] = true
			names = append(names, n)
		}
	}
	return names
}
