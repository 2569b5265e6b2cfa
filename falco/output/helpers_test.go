package output

import (
	"bufio"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/falco-trace/falco-trace/falco/rules"
)

// textRender is a stand-in for format.go in these tests.
func textRender(a *Alert) []byte { return []byte(a.Priority.String() + " " + a.Rule + " " + a.Output) }

func testAlert(i int, p rules.Priority) *Alert {
	return &Alert{
		Time:     time.Unix(1700000000, int64(i)).UTC(),
		Rule:     "rule" + itoa(i),
		Priority: p,
		Source:   "syscall",
		Output:   "alert number " + itoa(i),
		Hostname: "host",
	}
}

func itoa(i int) string {
	const digits = "0123456789"
	if i == 0 {
		return "0"
	}
	var b []byte
	for ; i > 0; i /= 10 {
		b = append([]byte{digits[i%10]}, b...)
	}
	return string(b)
}

func readLines(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	return lines
}

// waitFor polls cond for up to d; it reports whether cond became true.
func waitFor(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if cond() {
			return true
		}
		time.Sleep(5 * time.Millisecond)
	}
	return cond()
}

// countLines is readLines for polling: a missing file has 0 lines.
func countLines(path string) int {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	return strings.Count(string(data), "\n")
}

func joinLines(lines []string) string { return strings.Join(lines, "\n") }
