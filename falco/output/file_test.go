package output

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/falco-trace/falco-trace/falco/rules"
)

func TestStdout(t *testing.T) {
	for _, buffered := range []bool{false, true} {
		var buf bytes.Buffer
		out := NewStdout(&buf, buffered)
		for i := 0; i < 3; i++ {
			if err := out.Write(testAlert(i, rules.Warning), textRender(testAlert(i, rules.Warning))); err != nil {
				t.Fatal(err)
			}
		}
		if buffered && buf.Len() != 0 {
			t.Errorf("buffered stdout wrote %d bytes before Flush", buf.Len())
		}
		if err := out.Close(); err != nil {
			t.Fatal(err)
		}
		want := "Warning rule0 alert number 0\nWarning rule1 alert number 1\nWarning rule2 alert number 2\n"
		if buf.String() != want {
			t.Errorf("buffered=%t: got %q, want %q", buffered, buf.String(), want)
		}
	}
}

// TestFileRotation: logrotate renames the file, then the output is reopened
// (SIGUSR1); lines before go to the old file, lines after to a new one.
func TestFileRotation(t *testing.T) {
	for _, keepAlive := range []bool{true, false} {
		dir := t.TempDir()
		path := filepath.Join(dir, "events.txt")
		out, err := NewFile(path, keepAlive)
		if err != nil {
			t.Fatal(err)
		}
		write := func(i int) {
			a := testAlert(i, rules.Error)
			if err := out.Write(a, textRender(a)); err != nil {
				t.Fatalf("keepAlive=%t: write %d: %v", keepAlive, i, err)
			}
		}
		write(0)
		write(1)
		if err := os.Rename(path, path+".1"); err != nil {
			t.Fatal(err)
		}
		if keepAlive {
			// Before Reopen a kept-alive file still writes to the renamed file.
			write(2)
		}
		if err := out.Reopen(); err != nil {
			t.Fatal(err)
		}
		write(3)
		write(4)
		if err := out.Close(); err != nil {
			t.Fatal(err)
		}
		if err := out.Write(testAlert(5, rules.Error), nil); err != ErrClosed {
			t.Errorf("write after close: %v", err)
		}
		wantOld := []string{"Error rule0 alert number 0", "Error rule1 alert number 1"}
		if keepAlive {
			wantOld = append(wantOld, "Error rule2 alert number 2")
		}
		wantNew := []string{"Error rule3 alert number 3", "Error rule4 alert number 4"}
		if got := readLines(t, path+".1"); !reflect.DeepEqual(got, wantOld) {
			t.Errorf("keepAlive=%t: old file %q, want %q", keepAlive, got, wantOld)
		}
		if got := readLines(t, path); !reflect.DeepEqual(got, wantNew) {
			t.Errorf("keepAlive=%t: new file %q, want %q", keepAlive, got, wantNew)
		}
	}
}

func TestFileBadPath(t *testing.T) {
	if _, err := NewFile(filepath.Join(t.TempDir(), "missing-dir", "x"), false); err == nil {
		t.Error("NewFile in a missing directory succeeded")
	}
}
