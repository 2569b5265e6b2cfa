package output

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/falco-trace/falco-trace/falco/config"
	"github.com/falco-trace/falco-trace/falco/rules"
)

// TestStartFromConfig: stdout + file with follow_to_stdout + gRPC, built
// from a configuration; every alert reaches each channel.
func TestStartFromConfig(t *testing.T) {
	dir := t.TempDir()
	logPath := filepath.Join(dir, "falco.log")
	cfg, err := config.Load("", []string{
		"file_output.enabled=true", "file_output.filename=" + logPath, "file_output.follow_to_stdout=true",
		"grpc.enabled=true", "grpc.bind_address=unix://" + filepath.Join(dir, "f.sock"), "grpc_output.enabled=true",
		"outputs.max_burst=100000",
	})
	if err != nil {
		t.Fatal(err)
	}
	stdout := &syncBuffer{}
	o, err := Start(cfg, StartOptions{Render: textRender, Stdout: stdout})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range o.Stats().Outputs {
		names = append(names, s.Name)
	}
	if got := strings.Join(names, ","); got != "stdout,file,grpc" {
		t.Errorf("outputs %s", got)
	}
	const n = 200
	for i := 0; i < n; i++ {
		o.Send(testAlert(i, rules.Warning))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := o.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if got := countLines(logPath); got != n {
		t.Errorf("file has %d lines", got)
	}
	if err := o.Close(ctx); err != nil {
		t.Fatal(err)
	}
	// stdout got every alert twice: from stdout_output and from the follower.
	if got := strings.Count(stdout.String(), "\n"); got != 2*n {
		t.Errorf("stdout has %d lines, want %d", got, 2*n)
	}
	for _, s := range o.Stats().Outputs {
		if s.Delivered != n {
			t.Errorf("%s delivered %d", s.Name, s.Delivered)
		}
	}
}

func TestStartBadFile(t *testing.T) {
	cfg, err := config.Load("", []string{"file_output.enabled=true", "file_output.filename=/nonexistent-dir/x.log"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Start(cfg, StartOptions{Render: textRender}); err == nil {
		t.Error("Start with an unwritable file succeeded")
	}
}
