package sinsp

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"testing"
	"time"
)

// TestOpenUdigRingIsolation checks contract B: with a ring id the consumer
// creates /dev/shm/falco-trace.<id>.udig_{buf,descs} (mode 0600) and leaves
// libscap's global names alone; an empty ring drains to Timeout.
func TestOpenUdigRingIsolation(t *testing.T) {
	ringID := fmt.Sprintf("bridgetest%d", os.Getpid())
	bufPath, descsPath, err := RingObjectPaths(ringID)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = RemoveRing(ringID) })
	globalBefore := map[string]bool{}
	for _, p := range []string{"/dev/shm/udig_buf", "/dev/shm/udig_descs"} {
		_, err := os.Stat(p)
		globalBefore[p] = err == nil
	}

	insp, err := New()
	if err != nil {
		t.Fatal(err)
	}
	defer insp.Close()
	if err := insp.OpenUdig(ringID); err != nil {
		t.Fatalf("OpenUdig(%q): %v", ringID, err)
	}
	for _, tc := range []struct {
		path string
		size int64
	}{{bufPath, 8 << 20}, {descsPath, 128}} {
		st, err := os.Stat(tc.path)
		if err != nil {
			t.Fatalf("ring object missing: %v", err)
		}
		if st.Mode().Perm() != 0o600 || st.Size() != tc.size {
			t.Errorf("%s: mode %v size %d, want 0600 and %d", tc.path, st.Mode().Perm(), st.Size(), tc.size)
		}
	}
	for p, existed := range globalBefore {
		_, err := os.Stat(p)
		if exists := err == nil; exists != existed {
			t.Errorf("%s: existed before OpenUdig %v, now %v: the global name was touched", p, existed, exists)
		}
	}

	// Snaplen goes to udig_consumer_t.snaplen, right after the 48-byte
	// ppm_ring_buffer_info and the 40 bytes before m_consumer
	// (tracer-facts §1.2): offset 88 of udig_descs.
	if err := insp.SetSnaplen(1234); err != nil {
		t.Fatal(err)
	}
	if descs, err := os.ReadFile(descsPath); err != nil || binary.LittleEndian.Uint32(descs[88:92]) != 1234 {
		t.Errorf("snaplen in %s: %v %v, want 1234", descsPath, descs[88:92], err)
	}

	b, err := insp.Next(100)
	if err != nil {
		t.Fatal(err)
	}
	if b.Events != 0 || !b.Timeout || !b.Drained || b.EOF {
		t.Errorf("Next on an empty ring = %+v, want 0 events, Timeout and Drained", b)
	}
	if err := insp.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := insp.Next(1); !errors.Is(err, ErrClosed) {
		t.Errorf("Next after Close: %v, want ErrClosed", err)
	}
}

// TestNextReadsThroughBackoff: libscap times out during its start-up backoff
// with events pending; one Next must still return them all, then report the
// ring drained.
func TestNextReadsThroughBackoff(t *testing.T) {
	insp, w, pid := liveFixture(t)
	for _, ev := range testEvents(time.Now(), pid, "/etc/ft-test-f", 3) {
		w.write(t, ev)
	}
	b, err := insp.Next(100)
	if err != nil {
		t.Fatal(err)
	}
	if b.Events != 4 || !b.Timeout || !b.Drained {
		t.Errorf("first Next = %d events, Timeout %v, Drained %v; want 4, true, true", b.Events, b.Timeout, b.Drained)
	}
	// A producer that writes while the consumer idles is picked up too.
	for _, ev := range testEvents(time.Now(), pid, "/etc/ft-test-g", 3) {
		w.write(t, ev)
	}
	if b, err = insp.Next(2); err != nil || b.Events != 2 || b.Timeout {
		t.Errorf("Next(2) = %d events, Timeout %v, err %v; want 2, false, nil", b.Events, b.Timeout, err)
	}
	if b, err = insp.Next(100); err != nil || b.Events != 2 || !b.Drained {
		t.Errorf("Next(100) = %d events, Drained %v, err %v; want 2, true, nil", b.Events, b.Drained, err)
	}
}

// TestNextReturnsOutputPromptly: an event published into an idle ring, whose
// match or printed line is the only output, comes back from Next well before
// libscap's idle back-off (30 ms) could have ended. Without the shim's usleep
// interposition and early return, the batch reaches Go only after one more
// full 30 ms back-off sleep following the match, so no attempt can beat
// 20 ms; with them it takes about a millisecond. A loaded machine may delay
// one attempt, so the best of a few is compared.
func TestNextReturnsOutputPromptly(t *testing.T) {
	const (
		attempts = 5
		bound    = 20 * time.Millisecond
		idle     = 60 * time.Millisecond // > 500 us doubling to 30 ms: back-off saturated
	)
	tests := []struct {
		name  string
		setup func(t *testing.T, insp *Inspector)
		got   func(b Batch) int
	}{
		{"match", func(t *testing.T, insp *Inspector) {
			installPrograms(t, insp, []testProgram{{"evt.type=open and evt.dir=<", "opened %fd.name"}}, false)
		}, func(b Batch) int { return len(b.Matches) }},
		{"printed line", func(t *testing.T, insp *Inspector) {
			f, err := insp.CompileFilter("evt.type=open and evt.dir=<")
			if err != nil {
				t.Fatal(err)
			}
			if err := insp.SetEventPrinter("%evt.type %fd.name", f, false); err != nil {
				t.Fatal(err)
			}
		}, func(b Batch) int { return len(b.Printed) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			insp, w, pid := liveFixture(t)
			tc.setup(t, insp)

			type result struct {
				b   Batch
				at  time.Time
				err error
			}
			results := make(chan result, 16)
			stop := make(chan struct{})
			done := make(chan struct{})
			go func() {
				defer close(done)
				for {
					select {
					case <-stop:
						return
					default:
					}
					b, err := insp.Next(100)
					if err != nil || b.Events > 0 {
						results <- result{b, time.Now(), err}
					}
					if err != nil {
						return
					}
				}
			}()
			defer func() { close(stop); <-done }()

			best := time.Hour
			for n := 0; n < attempts && best >= bound; n++ {
				time.Sleep(idle)
				published := time.Now()
				w.publish(t, testEvents(published, pid, fmt.Sprintf("/etc/ft-test-prompt-%d", n), 3))
				var r result
				select {
				case r = <-results:
				case <-time.After(5 * time.Second):
					t.Fatal("Next did not return the published events")
				}
				if r.err != nil {
					t.Fatal(r.err)
				}
				// All four events were published at once and the ring is
				// empty afterwards: one batch holds them and one output.
				if r.b.Events != 4 || tc.got(r.b) != 1 || !r.b.Timeout || !r.b.Drained {
					t.Fatalf("attempt %d: batch %d events, %d outputs, Timeout %v, Drained %v; want 4, 1, true, true",
						n, r.b.Events, tc.got(r.b), r.b.Timeout, r.b.Drained)
				}
				d := r.at.Sub(published)
				t.Logf("attempt %d: output returned %v after publication", n, d)
				if d < best {
					best = d
				}
			}
			if best >= bound {
				t.Errorf("best of %d attempts: output returned %v after publication, want < %v (libscap's back-off not cut short)", attempts, best, bound)
			}
		})
	}
}
