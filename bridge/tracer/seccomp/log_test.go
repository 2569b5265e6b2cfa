package seccomp

import (
	"bytes"
	"strings"
	"testing"

	"github.com/sirupsen/logrus"
)

func TestLogProgram(t *testing.T) {
	tests := []struct {
		name  string
		level logrus.Level
		want  []string // empty: no output at all
	}{
		{"debug dumps the program", logrus.DebugLevel, []string{"seccomp policy", "traced=92", "instructions=207", "ret trace", "jset #0x40000000"}},
		{"info stays quiet", logrus.InfoLevel, nil},
	}
	p := DefaultPolicy()
	prog, err := Build(p)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		var buf bytes.Buffer
		logger := logrus.New()
		logger.SetOutput(&buf)
		logger.SetLevel(tt.level)
		LogProgram(logrus.NewEntry(logger).WithField("component", "seccomp"), p, prog)
		out := buf.String()
		if len(tt.want) == 0 && out != "" {
			t.Errorf("%s: unexpected output %q", tt.name, out)
		}
		for _, w := range tt.want {
			if !strings.Contains(out, w) {
				t.Errorf("%s: output lacks %q:\n%s", tt.name, w, out)
			}
		}
	}
}
