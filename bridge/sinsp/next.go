package sinsp

import (
	"fmt"
)

// Program is one rule as libsinsp runs it: its condition and its output.
type Program struct {
	Filter    *Filter
	Formatter *Formatter
}

// SetPrograms installs the programs Next evaluates. byType[t] lists, in
// order, the indices of the programs to try for an event of PPME type t
// (types beyond len(byType) try none). With matchAll false the first
// matching program ends the evaluation of an event (Falco 0.31.1); with true
// every match is reported. The handles stay owned by the caller but must
// belong to this inspector; closing them while installed is deferred.
func (i *Inspector) SetPrograms(progs []Program, byType [][]int32, matchAll bool) error {
	i.mu.Lock()
	defer i.mu.Unlock()
	if i.h == nil {
		return ErrClosed
	}
	filters := make([]filterHandle, len(progs))
	formatters := make([]formatterHandle, len(progs))
	for n, p := range progs {
		if p.Filter == nil || p.Formatter == nil {
			return fmt.Errorf("sinsp: program %d: nil filter or formatter", n)
		}
		if p.Filter.insp != i || p.Formatter.insp != i {
			return fmt.Errorf("sinsp: program %d: %w", n, ErrForeignHandle)
		}
		if p.Filter.h == nil || p.Formatter.h == nil || p.Filter.closePending || p.Formatter.closePending {
			return fmt.Errorf("sinsp: program %d: filter or formatter already closed", n)
		}
		filters[n], formatters[n] = p.Filter.h, p.Formatter.h
	}
	offsets := make([]uint32, len(byType)+1)
	var indices []int32
	for t, list := range byType {
		for _, p := range list {
			if p < 0 || int(p) >= len(progs) {
				return fmt.Errorf("sinsp: byType[%d]: program index %d out of range [0,%d)", t, p, len(progs))
			}
		}
		indices = append(indices, list...)
		offsets[t+1] = uint32(len(indices))
	}
	if len(byType) == 0 {
		offsets = nil
	}
	if err := cSetPrograms(i.h, filters, formatters, offsets, indices, matchAll); err != nil {
		return fmt.Errorf("sinsp: set programs: %w", err)
	}
	i.programs = append([]Program(nil), progs...)
	i.freePending()
	return nil
}

// SetEventPrinter makes Next render every event that passes filter (nil =
// all) with format, sysdig style ("" = sysdig's default line; without a
// leading '*' a line with a missing value is not printed), as text or, with
// asJSON, as the JSON field map. Results appear in Batch.Printed.
func (i *Inspector) SetEventPrinter(format string, filter *Filter, asJSON bool) error {
	i.mu.Lock()
	defer i.mu.Unlock()
	if i.h == nil {
		return ErrClosed
	}
	var fh filterHandle
	if filter != nil {
		if filter.insp != i {
			return fmt.Errorf("sinsp: event printer: %w", ErrForeignHandle)
		}
		if filter.h == nil || filter.closePending {
			return fmt.Errorf("sinsp: event printer: filter already closed")
		}
		fh = filter.h
	}
	if err := cSetPrinter(i.h, true, format, fh, asJSON); err != nil {
		return err
	}
	i.printerFilter = filter
	i.freePending()
	return nil
}

// ClearEventPrinter removes the event printer.
func (i *Inspector) ClearEventPrinter() {
	i.mu.Lock()
	defer i.mu.Unlock()
	if i.h == nil {
		return
	}
	_ = cSetPrinter(i.h, false, "", nil, false)
	i.printerFilter = nil
	i.freePending()
}

// Match is one program that matched one event.
type Match struct {
	Program    int    // index into the programs of SetPrograms
	EventNum   uint64 // libsinsp event number
	TimeNS     int64  // event time, ns since the Unix epoch
	EventType  uint16 // PPME event type
	Output     string // the program's formatter text ('*' semantics: missing -> <NA>)
	FieldsJSON []byte // the formatter's JSON field map (sorted keys)
}

// Batch is the result of one Next call.
type Batch struct {
	Events  uint64   // events read
	Matches []Match  // in event order, then program order
	Printed []string // event printer lines
	EOF     bool     // the capture file ended
	Timeout bool     // no event was ready (libscap SCAP_TIMEOUT)
	// Drained (udig only, with Timeout): the ring was empty (head == tail)
	// when the batch ended, so every event the producer published before
	// has been delivered. libscap also times out after each read with data
	// pending; Next reads through those, so a udig Timeout without Drained
	// happens only for a batch with Matches or Printed (returned at its
	// first timeout, for alert latency; Events > 0 then) or after 16 such
	// timeouts in a row without an event.
	Drained bool
}

// Next reads up to max events with one cgo call, evaluates the installed
// programs and the event printer on each and returns the results. It stops
// early at the end of a capture (EOF) or when no event is ready (Timeout).
// Go memory is allocated only for matches and printed lines.
//
// On a udig ring, a batch with a match or printed line returns as soon as
// libscap has no event ready, and libscap's back-off sleep (up to 30 ms
// while little data waits) ends within about 1 ms of the producer
// publishing an event, so an idle Next returns a new match within a few
// milliseconds. An idle Next without events lasts libscap's back-off
// (30 ms), polling the ring every millisecond.
//
// To consume everything a udig producer wrote, call Next after the producer
// stopped until a batch has Drained set. libsinsp silently discards events
// whose tid is the consumer's own pid.
func (i *Inspector) Next(max int) (Batch, error) {
	if max <= 0 {
		return Batch{}, fmt.Errorf("sinsp: next: max %d must be positive", max)
	}
	i.mu.Lock()
	defer i.mu.Unlock()
	if i.h == nil {
		return Batch{}, ErrClosed
	}
	b, err := cNext(i.h, max)
	if err != nil {
		return Batch{}, fmt.Errorf("sinsp: next: %w", err)
	}
	return b, nil
}
