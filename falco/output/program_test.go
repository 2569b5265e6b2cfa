package output

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/falco-trace/falco-trace/falco/rules"
)

// TestProgram counts the lines the command received and how many times it
// was started (each start appends its pid to a file).
func TestProgram(t *testing.T) {
	tests := []struct {
		name       string
		keepAlive  bool
		alerts     int
		wantStarts int
	}{
		{"per alert", false, 20, 20},
		{"keep alive", true, 200, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			outPath, pidPath := filepath.Join(dir, "out"), filepath.Join(dir, "pids")
			cmd := "echo $$ >> " + pidPath + "; cat >> " + outPath
			p := NewProgram(cmd, tt.keepAlive, os.Stdout, os.Stderr)
			for i := 0; i < tt.alerts; i++ {
				a := testAlert(i, rules.Notice)
				if err := p.Write(a, textRender(a)); err != nil {
					t.Fatalf("%s: write %d: %v", tt.name, i, err)
				}
			}
			if err := p.Close(); err != nil {
				t.Fatalf("%s: close: %v", tt.name, err)
			}
			lines := readLines(t, outPath)
			if len(lines) != tt.alerts {
				t.Errorf("%s: program received %d lines, want %d", tt.name, len(lines), tt.alerts)
			}
			for i, l := range lines {
				if want := string(textRender(testAlert(i, rules.Notice))); l != want {
					t.Errorf("%s: line %d = %q, want %q", tt.name, i, l, want)
					break
				}
			}
			if starts := len(readLines(t, pidPath)); starts != tt.wantStarts {
				t.Errorf("%s: command started %d times, want %d", tt.name, starts, tt.wantStarts)
			}
		})
	}
}

// TestProgramRestartsAfterExit: a keep-alive command that exits is restarted
// by the next alert; the alert written to the dead pipe is reported.
func TestProgramRestartsAfterExit(t *testing.T) {
	dir := t.TempDir()
	outPath := filepath.Join(dir, "out")
	// Reads one line and exits.
	p := NewProgram("head -n 1 >> "+outPath, true, os.Stdout, os.Stderr)
	a := testAlert(1, rules.Notice)
	if err := p.Write(a, textRender(a)); err != nil {
		t.Fatal(err)
	}
	// Give head time to exit so the next writes hit a closed pipe.
	waitFor(2*time.Second, func() bool { return countLines(outPath) == 1 })
	time.Sleep(50 * time.Millisecond)
	var failed int
	for i := 0; i < 3; i++ {
		if err := p.Write(a, textRender(a)); err != nil {
			failed++
		}
	}
	p.Close()
	if failed == 0 {
		t.Errorf("no write to the exited command failed")
	}
	if got := countLines(outPath); got < 2 {
		t.Errorf("command was not restarted: %d lines", got)
	}
}

func TestProgramCloseTimeout(t *testing.T) {
	p := NewProgram("trap '' TERM; exec sleep 30", true, os.Stdout, os.Stderr)
	p.CloseTimeout = 200 * time.Millisecond
	a := testAlert(1, rules.Notice)
	if err := p.Write(a, textRender(a)); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	err := p.Close()
	if err == nil || !strings.Contains(err.Error(), "killed") {
		t.Errorf("close of a stuck command: %v", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("close took %s", d)
	}
}
