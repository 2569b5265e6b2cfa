// Package sinsp is falco-trace's bridge to libsinsp (Debian libs e5c53d64):
// capture sources (.scap files and the live udig ring), filter compilation,
// output formatting and batched rule matching. It is the only package that
// links libsinsp; the C++ lives in cgo/sinsp and is compiled here.
//
// An Inspector and everything created from it is used by one goroutine at a
// time; the methods lock a mutex so misuse does not corrupt libsinsp.
package sinsp

//go:generate sh -c "d=${DOLLAR}(cat ../../cgo/sinsp/shim.h ../../cgo/sinsp/shim.cpp | sha256sum | cut -c1-16) && sed -i \"s|^// shim digest: .*|// shim digest: ${DOLLAR}d|\" shim.cpp"

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"syscall"
)

// Error is a failure reported by libsinsp/libscap through the shim. Its text
// is libsinsp's exact message (filter and formatter errors are compared with
// Falco's).
type Error struct {
	Errno syscall.Errno // -rc of the shim call: EIO for libsinsp exceptions
	Msg   string
}

func (e *Error) Error() string { return e.Msg }
func (e *Error) Unwrap() error { return e.Errno }

var (
	// ErrClosed is returned by methods of a closed Inspector.
	ErrClosed = errors.New("sinsp: inspector closed")
	// ErrForeignHandle is returned when a Filter or Formatter of another inspector
	// is passed in.
	ErrForeignHandle = errors.New("sinsp: filter or formatter belongs to another inspector")
)

// DefaultUdigTimeoutMS is libscap's default read timeout (SCAP_TIMEOUT_MS).
const DefaultUdigTimeoutMS = 30

// Inspector wraps one sinsp object.
type Inspector struct {
	mu         sync.Mutex
	h          inspectorHandle // nil once closed
	filters    map[*Filter]struct{}
	formatters map[*Formatter]struct{}
	// Installed handles, which C borrows: they are freed only once
	// uninstalled (see Filter.Close).
	programs      []Program
	printerFilter *Filter
	ringID        string
}

// New creates an inspector that is not opened: enough to compile filters and
// formatters and to list fields.
func New() (*Inspector, error) {
	h, err := cNewInspector()
	if err != nil {
		return nil, fmt.Errorf("sinsp: new inspector: %w", err)
	}
	return wrapInspector(h), nil
}

// Container describes the container all traced threads belong to, when
// libsinsp cannot tell it from cgroups (ECS Fargate).
type Container struct {
	ID, Name, Image                                 string
	ImageID, ImageRepository, ImageTag, ImageDigest string
}

// NewWithContainer is New with libsinsp's static container engine set to c:
// container.* fields resolve to c for every thread.
func NewWithContainer(c Container) (*Inspector, error) {
	if c.ID == "" {
		return nil, errors.New("sinsp: static container without an id")
	}
	h, err := cNewStaticInspector(c)
	if err != nil {
		return nil, fmt.Errorf("sinsp: new inspector for container %s: %w", c.ID, err)
	}
	return wrapInspector(h), nil
}

func wrapInspector(h inspectorHandle) *Inspector {
	return &Inspector{
		h:          h,
		filters:    make(map[*Filter]struct{}),
		formatters: make(map[*Formatter]struct{}),
	}
}

// OpenFile opens a .scap capture file for Next.
func (i *Inspector) OpenFile(path string) error {
	i.mu.Lock()
	defer i.mu.Unlock()
	if i.h == nil {
		return ErrClosed
	}
	if err := cOpenFile(i.h, path); err != nil {
		return fmt.Errorf("sinsp: open capture %s: %w", path, err)
	}
	return nil
}

// OpenUdig opens the live udig ring as its consumer. ringID "" uses
// libscap's global shm names (udig_buf, udig_descs); otherwise the objects
// are /dev/shm/falco-trace.<ringID>.udig_buf and .udig_descs, mode 0600
// (contract B). Open the consumer before the producer starts: the producer
// records only while a consumer is capturing. Only one udig ring per process.
//
// Draining: see Batch.Drained.
func (i *Inspector) OpenUdig(ringID string) error {
	i.mu.Lock()
	defer i.mu.Unlock()
	if i.h == nil {
		return ErrClosed
	}
	if err := cOpenUdig(i.h, ringID, DefaultUdigTimeoutMS); err != nil {
		return fmt.Errorf("sinsp: open udig ring %q: %w", ringID, err)
	}
	i.ringID = ringID
	return nil
}

// RingID returns the ring id given to OpenUdig ("" otherwise).
func (i *Inspector) RingID() string {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.ringID
}

// Close ends the capture and frees the inspector and every Filter and
// Formatter created from it. Using them afterwards is a no-op or ErrClosed.
func (i *Inspector) Close() error {
	i.mu.Lock()
	defer i.mu.Unlock()
	if i.h == nil {
		return nil
	}
	err := cClose(i.h)
	// Programs and the printer are borrowed by C: drop them before freeing.
	_ = cSetPrograms(i.h, nil, nil, nil, nil, false)
	_ = cSetPrinter(i.h, false, "", nil, false)
	for f := range i.filters {
		cFreeFilter(f.h)
		f.h = nil
	}
	for fm := range i.formatters {
		cFreeFormatter(fm.h)
		fm.h = nil
	}
	i.filters, i.formatters, i.programs, i.printerFilter = nil, nil, nil, nil
	cFreeInspector(i.h)
	i.h = nil
	if err != nil {
		return fmt.Errorf("sinsp: close: %w", err)
	}
	return nil
}

// FieldExists reports whether name is exactly a libsinsp field, including
// an argument the field accepts (proc.aname[2], evt.arg.flags). Unlike the
// filter compiler and the formatter, a longer name that merely starts with a
// field (proc.namex) does not count.
func (i *Inspector) FieldExists(name string) bool {
	i.mu.Lock()
	defer i.mu.Unlock()
	if i.h == nil {
		return false
	}
	ok, err := cFieldExists(i.h, name)
	return err == nil && ok
}

// SetSnaplen sets how many bytes of I/O buffers events carry (libs default
// 80; Falco -S). For udig the value goes to the ring's shared consumer
// settings, which the producer's fillers read. Call after opening.
func (i *Inspector) SetSnaplen(n uint32) error {
	i.mu.Lock()
	defer i.mu.Unlock()
	if i.h == nil {
		return ErrClosed
	}
	if err := cSetSnaplen(i.h, n); err != nil {
		return fmt.Errorf("sinsp: set snaplen: %w", err)
	}
	return nil
}

// StartDump writes every event read from now on by Next to a .scap capture
// at path (libsinsp autodump, uncompressed), until StopDump or Close.
func (i *Inspector) StartDump(path string) error {
	i.mu.Lock()
	defer i.mu.Unlock()
	if i.h == nil {
		return ErrClosed
	}
	if err := cDumpStart(i.h, path); err != nil {
		return fmt.Errorf("sinsp: dump to %s: %w", path, err)
	}
	return nil
}

// StopDump ends a dump started with StartDump and closes its file.
func (i *Inspector) StopDump() error {
	i.mu.Lock()
	defer i.mu.Unlock()
	if i.h == nil {
		return ErrClosed
	}
	if err := cDumpStop(i.h); err != nil {
		return fmt.Errorf("sinsp: stop dump: %w", err)
	}
	return nil
}

// Stats returns the capture counters (scap_stats); zero when not open.
type Stats struct {
	Events          uint64 // n_evts
	Drops           uint64 // n_drops
	DropsBuffer     uint64 // n_drops_buffer
	DropsScratchMap uint64 // n_drops_scratch_map
	DropsPageFault  uint64 // n_drops_pf
	DropsBug        uint64 // n_drops_bug
	Preemptions     uint64 // n_preemptions
	Suppressed      uint64 // n_suppressed
	TidsSuppressed  uint64 // n_tids_suppressed
}

// Stats returns libscap's counters for the open capture (zero when not open).
func (i *Inspector) Stats() Stats {
	i.mu.Lock()
	defer i.mu.Unlock()
	if i.h == nil {
		return Stats{}
	}
	st, err := cStats(i.h)
	if err != nil {
		return Stats{}
	}
	return st
}

// EventTypeName returns libscap's name of PPME event type t ("open"), or ""
// when t is out of range.
func EventTypeName(t uint16) string { return cEventName(t) }

// Event type flags (driver ppm_event_flags) used by the engine.
const (
	EventFlagUnused             = 1 << 6  // EF_UNUSED
	EventFlagOldVersion         = 1 << 9  // EF_OLD_VERSION
	EventFlagDropSimpleConsumer = 1 << 10 // EF_DROP_SIMPLE_CONS
)

// EventTypeFlags returns the ppm_event_flags of event type t (0 when out of
// range).
func EventTypeFlags(t uint16) uint32 { return cEventFlags(t) }

// SimpleConsumerConsiders reports whether libsinsp's simple consumer keeps
// event type t (sinsp::simple_consumer_consider_evtnum). Falco 0.31.1
// without -A does not evaluate rules on the other types (engine-spec §2.5),
// so the ruleset leaves them out of SetPrograms' byType.
func SimpleConsumerConsiders(t uint16) bool { return cSimpleConsumerConsiders(t) }

// RingObjectPaths returns the /dev/shm paths of the two shm objects of a
// ring id (contract B).
func RingObjectPaths(ringID string) (buf, descs string, err error) {
	b, err := cRingObjectName(ringID, "udig_buf")
	if err != nil {
		return "", "", fmt.Errorf("sinsp: ring id %q: %w", ringID, err)
	}
	d, err := cRingObjectName(ringID, "udig_descs")
	if err != nil {
		return "", "", fmt.Errorf("sinsp: ring id %q: %w", ringID, err)
	}
	return filepath.Join("/dev/shm", b), filepath.Join("/dev/shm", d), nil
}

// RemoveRing unlinks both shm objects of ringID; missing objects are fine
// (the supervisor calls it at exit whoever created them).
func RemoveRing(ringID string) error {
	buf, descs, err := RingObjectPaths(ringID)
	if err != nil {
		return err
	}
	var errs []error
	for _, p := range []string{buf, descs} {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// SemVer is a major.minor.patch triple.
type SemVer struct{ Major, Minor, Patch uint32 }

func (v SemVer) String() string { return fmt.Sprintf("%d.%d.%d", v.Major, v.Minor, v.Patch) }

// Versions describes the libs this binary was built against and runs with.
type Versions struct {
	Libs            string // libs version of the headers (DRIVER_VERSION)
	LibraryPath     string // resolved libsinsp.so file loaded at run time
	PluginAPI       string
	DriverAPI       SemVer // PPM_API_CURRENT_VERSION
	DriverSchema    SemVer // PPM_SCHEMA_CURRENT_VERSION: event schema
	MinDriverAPI    SemVer // oldest driver API libscap accepts
	MinDriverSchema SemVer
	EventTypes      uint32 // PPM_EVENT_MAX
}

// LibVersions reads the versions from the compiled-in headers and the
// loaded library.
func LibVersions() Versions { return cVersions() }
