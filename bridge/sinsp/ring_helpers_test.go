package sinsp

import (
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// PPME event types used by the tests (driver/ppm_events_public.h).
const (
	ppmeOpenE  = 2
	ppmeOpenX  = 3
	ppmeCloseE = 4
	ppmeCloseX = 5
)

var ringSeq atomic.Int32

// newRingID returns a ring id unique to this test process and call.
func newRingID(t *testing.T) string {
	t.Helper()
	id := fmt.Sprintf("bridgetest%d-%d", os.Getpid(), ringSeq.Add(1))
	t.Cleanup(func() {
		if err := RemoveRing(id); err != nil {
			t.Errorf("RemoveRing(%q): %v", id, err)
		}
	})
	return id
}

// ringWriter is a minimal udig producer for tests: it maps the ring objects
// that the consumer created and appends encoded events at head, the way the
// tracer does (tracer-facts §1.5), without wrap-around.
type ringWriter struct {
	buf, descs []byte
	head       uint32
	events     uint64
}

func openRingWriter(t *testing.T, ringID string) *ringWriter {
	t.Helper()
	bufPath, descsPath, err := RingObjectPaths(ringID)
	if err != nil {
		t.Fatal(err)
	}
	mapObject := func(path string, size int) []byte {
		f, err := os.OpenFile(path, os.O_RDWR, 0)
		if err != nil {
			t.Fatalf("ring object: %v", err)
		}
		defer f.Close()
		m, err := unix.Mmap(int(f.Fd()), 0, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
		if err != nil {
			t.Fatalf("mmap %s: %v", path, err)
		}
		t.Cleanup(func() { _ = unix.Munmap(m) })
		return m
	}
	w := &ringWriter{buf: mapObject(bufPath, 8<<20), descs: mapObject(descsPath, 128)}
	w.head = binary.LittleEndian.Uint32(w.descs[0:4])
	return w
}

// write appends one event and publishes it (head, then n_evts). The
// consumer only reads inside Next on the test goroutine, so plain stores
// are enough here.
func (w *ringWriter) write(t *testing.T, ev []byte) {
	t.Helper()
	if int(w.head)+len(ev) >= len(w.buf) {
		t.Fatal("test ring writer does not wrap")
	}
	copy(w.buf[w.head:], ev)
	w.head += uint32(len(ev))
	w.events++
	binary.LittleEndian.PutUint32(w.descs[0:4], w.head)
	binary.LittleEndian.PutUint64(w.descs[8:16], w.events)
}

// publish appends events and makes them visible to the consumer at once
// (one head update), so a consumer reads either all or none of them.
// Unlike write it may run while another goroutine is inside Next: the
// bytes are copied before head is stored, and amd64 keeps stores in order.
func (w *ringWriter) publish(t *testing.T, evs [][]byte) {
	t.Helper()
	head := w.head
	for _, ev := range evs {
		if int(head)+len(ev) >= len(w.buf) {
			t.Error("test ring writer does not wrap")
			return
		}
		copy(w.buf[head:], ev)
		head += uint32(len(ev))
	}
	w.head = head
	w.events += uint64(len(evs))
	binary.LittleEndian.PutUint64(w.descs[8:16], w.events)
	binary.LittleEndian.PutUint32(w.descs[0:4], w.head)
}

// encodeEvent builds a driver event: ppm_evt_hdr (ts u64, tid u64, len u32,
// type u16, nparams u32 = 26 bytes), nparams u16 lengths, then the values.
func encodeEvent(ts time.Time, tid int, evtType uint16, params ...[]byte) []byte {
	size := 26 + 2*len(params)
	for _, p := range params {
		size += len(p)
	}
	ev := make([]byte, 0, size)
	ev = binary.LittleEndian.AppendUint64(ev, uint64(ts.UnixNano()))
	ev = binary.LittleEndian.AppendUint64(ev, uint64(tid))
	ev = binary.LittleEndian.AppendUint32(ev, uint32(size))
	ev = binary.LittleEndian.AppendUint16(ev, evtType)
	ev = binary.LittleEndian.AppendUint32(ev, uint32(len(params)))
	for _, p := range params {
		ev = binary.LittleEndian.AppendUint16(ev, uint16(len(p)))
	}
	for _, p := range params {
		ev = append(ev, p...)
	}
	return ev
}

func u32(v uint32) []byte  { return binary.LittleEndian.AppendUint32(nil, v) }
func i64(v int64) []byte   { return binary.LittleEndian.AppendUint64(nil, uint64(v)) }
func cstr(s string) []byte { return append([]byte(s), 0) }

// testEvents are one open+close of path by thread tid.
//
// libsinsp discards events of the consumer's own pid, so they come from a
// helper process (see newActor).
func testEvents(base time.Time, tid int, path string, fd int64) [][]byte {
	const ppmORdonly = 1 // PPM_O_RDONLY
	return [][]byte{
		encodeEvent(base, tid, ppmeOpenE, cstr(path), u32(ppmORdonly), u32(0)),
		encodeEvent(base.Add(1000), tid, ppmeOpenX, i64(fd), cstr(path), u32(ppmORdonly), u32(0), u32(0)),
		encodeEvent(base.Add(2000), tid, ppmeCloseE, i64(fd)),
		encodeEvent(base.Add(3000), tid, ppmeCloseX, i64(0)),
	}
}

// newActor starts a sleeping child process to which the injected events are
// attributed; libsinsp finds it in /proc (proc.name "sleep").
func newActor(t *testing.T) int {
	t.Helper()
	cmd := exec.Command("sleep", "300")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	// Wait for the exec, or /proc still shows the forked test binary.
	comm := fmt.Sprintf("/proc/%d/comm", cmd.Process.Pid)
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
		if b, err := os.ReadFile(comm); err == nil && string(b) == "sleep\n" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("helper process did not exec sleep")
		}
	}
	return cmd.Process.Pid
}

// drain calls Next until Drained or EOF and concatenates the batches.
func drain(t *testing.T, insp *Inspector, max int) Batch {
	t.Helper()
	var all Batch
	for n := 0; n < 1000; n++ {
		b, err := insp.Next(max)
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		all.Events += b.Events
		all.Matches = append(all.Matches, b.Matches...)
		all.Printed = append(all.Printed, b.Printed...)
		if b.Drained || b.EOF {
			all.Timeout, all.Drained, all.EOF = b.Timeout, b.Drained, b.EOF
			return all
		}
	}
	t.Fatal("Next never reported Drained or EOF")
	return all
}

// selfComm is proc.name of the test process (the parent of newActor's).
func selfComm(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("/proc/self/comm")
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSuffix(string(b), "\n")
}
