package output

import (
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/falco-trace/falco-trace/falco/rules"
)

func TestSyslog(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "log.sock")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	out, err := NewSyslog("unixgram", sock, "falco")
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	tests := []struct {
		prio rules.Priority
		want string // <facility USER (1)*8 + severity>
	}{
		{rules.Emergency, "<8>"},
		{rules.Critical, "<10>"},
		{rules.Warning, "<12>"},
		{rules.Informational, "<14>"},
		{rules.Debug, "<15>"},
	}
	buf := make([]byte, 4096)
	for _, tt := range tests {
		a := testAlert(3, tt.prio)
		if err := out.Write(a, textRender(a)); err != nil {
			t.Fatal(err)
		}
		conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		n, err := conn.Read(buf)
		if err != nil {
			t.Fatal(err)
		}
		msg := string(buf[:n])
		if !strings.HasPrefix(msg, tt.want) || !strings.Contains(msg, "falco") || !strings.HasSuffix(strings.TrimSuffix(msg, "\n"), string(textRender(a))) {
			t.Errorf("%s: got %q, want prefix %s and the rendered alert", tt.prio, msg, tt.want)
		}
	}
}
