package sinsp

// The only file of the package that talks to C. Every other file uses the
// small unexported functions below and plain Go types.
//
// Flags: -DHAS_CAPTURE is required by sinsp.h (without it the sinsp object
// layout differs from the library's). The include directories are the
// minimal set (checked by dropping each): libsinsp, libscap, the libs root
// (driver/driver_config.h, driver/ppm_ringbuffer.h) and jsoncpp. The shim
// calls libsinsp, libscap (scap_get_event_info_table) and jsoncpp directly,
// hence the three libraries.

/*
#cgo CXXFLAGS: -std=c++17 -DHAS_CAPTURE -I${SRCDIR}/../../cgo/sinsp -I/usr/include/falcosecurity-libs/userspace/libsinsp -I/usr/include/falcosecurity-libs/userspace/libscap -I/usr/include/falcosecurity-libs -I/usr/include/jsoncpp
#cgo CFLAGS: -I${SRCDIR}/../../cgo/sinsp
#cgo LDFLAGS: -lsinsp -lscap -ljsoncpp
#include <stdlib.h>
#include "shim.h"
*/
import "C"

import (
	"syscall"
	"unsafe"
)

type (
	inspectorHandle *C.fts_inspector
	filterHandle    *C.fts_filter
	formatterHandle *C.fts_formatter
)

// shimError builds the error for a failed shim call from its rc and the
// inspector's last error (copied before the next call can change it).
func shimError(h inspectorHandle, rc C.int) error {
	return &Error{Errno: syscall.Errno(-rc), Msg: C.GoString(C.fts_last_error(h))}
}

func cNewInspector() (inspectorHandle, error) {
	var buf [512]C.char
	h := C.fts_inspector_new(&buf[0], C.size_t(len(buf)))
	if h == nil {
		return nil, &Error{Errno: syscall.EIO, Msg: C.GoString(&buf[0])}
	}
	return h, nil
}

func cNewStaticInspector(c Container) (inspectorHandle, error) {
	strs := []string{c.ID, c.Name, c.Image, c.ImageID, c.ImageRepository, c.ImageTag, c.ImageDigest}
	cstrs := make([]*C.char, len(strs))
	for i, s := range strs {
		cstrs[i] = C.CString(s)
		defer C.free(unsafe.Pointer(cstrs[i]))
	}
	desc := C.fts_container{
		id: cstrs[0], name: cstrs[1], image: cstrs[2], image_id: cstrs[3],
		image_repository: cstrs[4], image_tag: cstrs[5], image_digest: cstrs[6],
	}
	var buf [512]C.char
	h := C.fts_inspector_new_static(&desc, &buf[0], C.size_t(len(buf)))
	if h == nil {
		return nil, &Error{Errno: syscall.EIO, Msg: C.GoString(&buf[0])}
	}
	return h, nil
}

func cFreeInspector(h inspectorHandle) { C.fts_inspector_free(h) }

func cOpenFile(h inspectorHandle, path string) error {
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	if rc := C.fts_open_file(h, cpath); rc != 0 {
		return shimError(h, rc)
	}
	return nil
}

func cOpenUdig(h inspectorHandle, ringID string, timeoutMS uint32) error {
	cid := C.CString(ringID)
	defer C.free(unsafe.Pointer(cid))
	if rc := C.fts_open_udig(h, cid, C.uint32_t(timeoutMS)); rc != 0 {
		return shimError(h, rc)
	}
	return nil
}

func cClose(h inspectorHandle) error {
	if rc := C.fts_close(h); rc != 0 {
		return shimError(h, rc)
	}
	return nil
}

func cCompileFilter(h inspectorHandle, expr string) (filterHandle, []uint16, error) {
	cexpr := C.CString(expr)
	defer C.free(unsafe.Pointer(cexpr))
	var f *C.fts_filter
	if rc := C.fts_filter_compile(h, cexpr, &f); rc != 0 {
		return nil, nil, shimError(h, rc)
	}
	n := C.fts_filter_evttypes(f, nil, 0)
	types := make([]uint16, int(n))
	if n > 0 {
		C.fts_filter_evttypes(f, (*C.uint16_t)(unsafe.Pointer(&types[0])), n)
	}
	return f, types, nil
}

func cFreeFilter(f filterHandle) { C.fts_filter_free(f) }

func cNewFormatter(h inspectorHandle, format string) (formatterHandle, error) {
	cfmt := C.CString(format)
	defer C.free(unsafe.Pointer(cfmt))
	var fm *C.fts_formatter
	if rc := C.fts_formatter_new(h, cfmt, &fm); rc != 0 {
		return nil, shimError(h, rc)
	}
	return fm, nil
}

func cFreeFormatter(fm formatterHandle) { C.fts_formatter_free(fm) }

func cFieldExists(h inspectorHandle, name string) (bool, error) {
	cname := C.CString(name)
	defer C.free(unsafe.Pointer(cname))
	rc := C.fts_field_exists(h, cname)
	if rc < 0 {
		return false, shimError(h, rc)
	}
	return rc == 1, nil
}

func cFieldsJSON(h inspectorHandle) ([]byte, error) {
	var out *C.char
	var n C.size_t
	if rc := C.fts_fields_json(h, &out, &n); rc != 0 {
		return nil, shimError(h, rc)
	}
	defer C.fts_free(unsafe.Pointer(out))
	return C.GoBytes(unsafe.Pointer(out), C.int(n)), nil
}

func cEventName(t uint16) string { return C.GoString(C.fts_event_name(C.uint16_t(t))) }

func cEventFlags(t uint16) uint32 { return uint32(C.fts_event_flags(C.uint16_t(t))) }

func cSimpleConsumerConsiders(t uint16) bool {
	return C.fts_event_simple_consumer_consider(C.uint16_t(t)) == 1
}

func cSetPrograms(h inspectorHandle, filters []filterHandle, formatters []formatterHandle,
	offsets []uint32, indices []int32, matchAll bool) error {
	// The slices hold C pointers and plain integers only, so passing them
	// to C is allowed; the shim copies what it keeps.
	var pf **C.fts_filter
	var pfm **C.fts_formatter
	var poff *C.uint32_t
	var pidx *C.int32_t
	if len(filters) > 0 {
		pf = (**C.fts_filter)(unsafe.Pointer(&filters[0]))
		pfm = (**C.fts_formatter)(unsafe.Pointer(&formatters[0]))
	}
	if len(offsets) > 0 {
		poff = (*C.uint32_t)(unsafe.Pointer(&offsets[0]))
	}
	if len(indices) > 0 {
		pidx = (*C.int32_t)(unsafe.Pointer(&indices[0]))
	}
	ntypes := 0
	if len(offsets) > 0 {
		ntypes = len(offsets) - 1
	}
	all := C.int(0)
	if matchAll {
		all = 1
	}
	if rc := C.fts_set_programs(h, pf, pfm, C.uint32_t(len(filters)), poff, pidx, C.uint32_t(ntypes), all); rc != 0 {
		return shimError(h, rc)
	}
	return nil
}

func cSetPrinter(h inspectorHandle, enable bool, format string, filter filterHandle, asJSON bool) error {
	cfmt := C.CString(format)
	defer C.free(unsafe.Pointer(cfmt))
	en, js := C.int(0), C.int(0)
	if enable {
		en = 1
	}
	if asJSON {
		js = 1
	}
	if rc := C.fts_set_printer(h, en, cfmt, filter, js); rc != 0 {
		return shimError(h, rc)
	}
	return nil
}

// cNext reads one batch. The batch memory belongs to the inspector and is
// only valid until the next call, so everything is copied out here: the
// arena once as a string (Output and Printed slice it without further
// copies), FieldsJSON once per match.
func cNext(h inspectorHandle, max int) (Batch, error) {
	var cb C.fts_batch
	if rc := C.fts_next(h, C.uint32_t(max), &cb); rc != 0 {
		return Batch{}, shimError(h, rc)
	}
	b := Batch{Events: uint64(cb.events), EOF: cb.eof != 0, Timeout: cb.timeout != 0, Drained: cb.drained != 0}
	if cb.arena_len == 0 && cb.n_matches == 0 && cb.n_printed == 0 {
		return b, nil
	}
	arena := C.GoStringN(cb.arena, C.int(cb.arena_len))
	if cb.n_matches > 0 {
		cm := unsafe.Slice(cb.matches, int(cb.n_matches))
		b.Matches = make([]Match, len(cm))
		for i := range cm {
			m := &cm[i]
			out := arena[m.output_off : m.output_off+m.output_len]
			js := arena[m.json_off : m.json_off+m.json_len]
			b.Matches[i] = Match{
				Program:    int(m.program),
				EventNum:   uint64(m.evtnum),
				TimeNS:     int64(m.ts_ns),
				EventType:  uint16(m.evttype),
				Output:     out,
				FieldsJSON: []byte(js),
			}
		}
	}
	if cb.n_printed > 0 {
		pairs := unsafe.Slice(cb.printed, int(2*cb.n_printed))
		b.Printed = make([]string, cb.n_printed)
		for i := range b.Printed {
			off, n := pairs[2*i], pairs[2*i+1]
			b.Printed[i] = arena[off : off+n]
		}
	}
	return b, nil
}

func cSetSnaplen(h inspectorHandle, n uint32) error {
	if rc := C.fts_set_snaplen(h, C.uint32_t(n)); rc != 0 {
		return shimError(h, rc)
	}
	return nil
}

func cDumpStart(h inspectorHandle, path string) error {
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	if rc := C.fts_dump_start(h, cpath); rc != 0 {
		return shimError(h, rc)
	}
	return nil
}

func cDumpStop(h inspectorHandle) error {
	if rc := C.fts_dump_stop(h); rc != 0 {
		return shimError(h, rc)
	}
	return nil
}

func cStats(h inspectorHandle) (Stats, error) {
	var st C.fts_stats
	if rc := C.fts_stats_get(h, &st); rc != 0 {
		return Stats{}, shimError(h, rc)
	}
	return Stats{
		Events:          uint64(st.n_evts),
		Drops:           uint64(st.n_drops),
		DropsBuffer:     uint64(st.n_drops_buffer),
		DropsScratchMap: uint64(st.n_drops_scratch_map),
		DropsPageFault:  uint64(st.n_drops_pf),
		DropsBug:        uint64(st.n_drops_bug),
		Preemptions:     uint64(st.n_preemptions),
		Suppressed:      uint64(st.n_suppressed),
		TidsSuppressed:  uint64(st.n_tids_suppressed),
	}, nil
}

func cVersions() Versions {
	var v C.fts_versions
	C.fts_versions_get(&v)
	return Versions{
		Libs:            C.GoString(v.libs_version),
		LibraryPath:     C.GoString(v.library_path),
		PluginAPI:       C.GoString(v.plugin_api_version),
		DriverAPI:       SemVer{uint32(v.api_major), uint32(v.api_minor), uint32(v.api_patch)},
		DriverSchema:    SemVer{uint32(v.schema_major), uint32(v.schema_minor), uint32(v.schema_patch)},
		MinDriverAPI:    SemVer{uint32(v.min_api_major), uint32(v.min_api_minor), uint32(v.min_api_patch)},
		MinDriverSchema: SemVer{uint32(v.min_schema_major), uint32(v.min_schema_minor), uint32(v.min_schema_patch)},
		EventTypes:      uint32(v.event_types),
	}
}

func cRingObjectName(ringID, base string) (string, error) {
	cid := C.CString(ringID)
	defer C.free(unsafe.Pointer(cid))
	cbase := C.CString(base)
	defer C.free(unsafe.Pointer(cbase))
	var buf [160]C.char
	if rc := C.fts_shm_ring_name(cid, cbase, &buf[0], C.size_t(len(buf))); rc != 0 {
		return "", syscall.Errno(-rc)
	}
	return C.GoString(&buf[0]), nil
}
