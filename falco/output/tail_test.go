package output

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a goroutine-safe bytes.Buffer.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func appendLines(t *testing.T, path string, from, to int) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for i := from; i < to; i++ {
		fmt.Fprintf(f, "line %d\n", i)
	}
}

func wantLines(from, to int) string {
	var sb strings.Builder
	for i := from; i < to; i++ {
		fmt.Fprintf(&sb, "line %d\n", i)
	}
	return sb.String()
}

func startTestTail(t *testing.T, path string, fromStart bool) (*Tail, *syncBuffer) {
	t.Helper()
	out := &syncBuffer{}
	tl, err := StartTail(TailOptions{Path: path, Out: out, FromStart: fromStart, PollInterval: 20 * time.Millisecond, RotateGrace: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tl.Stop() })
	return tl, out
}

func waitOutput(t *testing.T, out *syncBuffer, want string) {
	t.Helper()
	if !waitFor(10*time.Second, func() bool { return out.String() == want }) {
		t.Fatalf("tail output:\n%q\nwant:\n%q", out.String(), want)
	}
}

// TestTailStartsAtEnd: existing lines are skipped, new ones copied, and a
// half-written line waits for its newline.
func TestTailStartsAtEnd(t *testing.T) {
	path := filepath.Join(t.TempDir(), "falco.log")
	appendLines(t, path, 0, 5)
	_, out := startTestTail(t, path, false)
	appendLines(t, path, 5, 10)
	waitOutput(t, out, wantLines(5, 10))

	f, _ := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	f.WriteString("half")
	time.Sleep(100 * time.Millisecond)
	if got := out.String(); got != wantLines(5, 10) {
		t.Errorf("partial line copied early: %q", got)
	}
	f.WriteString(" done\n")
	f.Close()
	waitOutput(t, out, wantLines(5, 10)+"half done\n")
}

func TestTailFromStartAndMissingFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "later.log")
	_, out := startTestTail(t, path, false)
	// A file that appears after the start is new: read from its start.
	appendLines(t, path, 0, 3)
	waitOutput(t, out, wantLines(0, 3))

	path2 := filepath.Join(dir, "existing.log")
	appendLines(t, path2, 0, 2)
	_, out2 := startTestTail(t, path2, true)
	waitOutput(t, out2, wantLines(0, 2))
}

// TestTailRotation: logrotate "create" style (rename, new file) while a
// writer keeps appending; every line is copied exactly once, in order.
func TestTailRotation(t *testing.T) {
	path := filepath.Join(t.TempDir(), "falco.log")
	appendLines(t, path, 0, 1)
	_, out := startTestTail(t, path, false)
	next := 1
	for round := 0; round < 5; round++ {
		appendLines(t, path, next, next+50)
		next += 50
		if err := os.Rename(path, path+"."+itoa(round)); err != nil {
			t.Fatal(err)
		}
		// Lines written to the renamed file before the writer reopens.
		appendLines(t, path+"."+itoa(round), next, next+10)
		next += 10
		appendLines(t, path, next, next+20)
		next += 20
		// Path-based following (like tail -F) only sees the files that
		// exist at the path when it looks: wait for this generation to
		// be picked up before rotating it away.
		waitOutput(t, out, wantLines(1, next))
	}
}

// TestTailRotationKeepAliveWriter: the file output with keep_alive keeps
// writing to the renamed file until Reopen; nothing is lost or duplicated.
func TestTailRotationKeepAliveWriter(t *testing.T) {
	path := filepath.Join(t.TempDir(), "falco.log")
	w, err := NewFile(path, true)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	tl, out := startTestTail(t, path, false)
	var want strings.Builder
	for i := 0; i < 300; i++ {
		if i == 100 {
			os.Rename(path, path+".1")
		}
		if i == 150 {
			w.Reopen()
		}
		if i == 200 {
			// See TestTailRotation: the new file must have been seen.
			waitOutput(t, out, want.String())
			os.Rename(path, path+".2")
			w.Reopen()
		}
		line := fmt.Sprintf("alert %d", i)
		w.Write(nil, []byte(line))
		want.WriteString(line + "\n")
	}
	waitOutput(t, out, want.String())
	if tl.Lines() != 300 {
		t.Errorf("Lines() = %d", tl.Lines())
	}
}

// TestTailTruncation: copytruncate style; reading restarts at offset 0.
func TestTailTruncation(t *testing.T) {
	path := filepath.Join(t.TempDir(), "falco.log")
	appendLines(t, path, 0, 1)
	_, out := startTestTail(t, path, false)
	appendLines(t, path, 1, 20)
	waitOutput(t, out, wantLines(1, 20))
	if err := os.Truncate(path, 0); err != nil {
		t.Fatal(err)
	}
	// Give the forwarder a chance to see the empty file before it grows
	// again (copytruncate's inherent race otherwise, see Tail).
	time.Sleep(100 * time.Millisecond)
	appendLines(t, path, 20, 25)
	waitOutput(t, out, wantLines(1, 25))
}

// TestTailStopReadsToEOF: Stop copies everything written before it,
// including an unterminated last line.
func TestTailStopReadsToEOF(t *testing.T) {
	path := filepath.Join(t.TempDir(), "falco.log")
	appendLines(t, path, 0, 1)
	out := &syncBuffer{}
	// A long poll interval: only Stop can make it read.
	tl, err := StartTail(TailOptions{Path: path, Out: out, PollInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	appendLines(t, path, 1, 1000)
	f, _ := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	f.WriteString("no newline")
	f.Close()
	if err := tl.Stop(); err != nil {
		t.Fatal(err)
	}
	if got, want := out.String(), wantLines(1, 1000)+"no newline\n"; got != want {
		t.Errorf("after Stop got %d bytes, want %d", len(got), len(want))
	}
	if err := tl.Stop(); err != nil {
		t.Errorf("second Stop: %v", err)
	}
}

// TestTailInotifyWakesUp: with polling effectively off, appended lines
// still arrive promptly through hpcloud/tail's inotify watch.
func TestTailInotifyWakesUp(t *testing.T) {
	path := filepath.Join(t.TempDir(), "falco.log")
	appendLines(t, path, 0, 1)
	out := &syncBuffer{}
	tl, err := StartTail(TailOptions{Path: path, Out: out, PollInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer tl.Stop()
	for i := 1; i < 6; i++ {
		appendLines(t, path, i, i+1)
		waitOutput(t, out, wantLines(1, i+1))
	}
}
