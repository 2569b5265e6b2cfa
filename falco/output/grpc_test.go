package output

import (
	"context"
	"encoding/json"
	"io"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/falcosecurity/client-go/pkg/api/outputs"
	"github.com/falcosecurity/client-go/pkg/api/schema"
	"github.com/falcosecurity/client-go/pkg/api/version"
	"github.com/falcosecurity/client-go/pkg/client"

	"github.com/falco-trace/falco-trace/falco/rules"
)

func startGRPC(t *testing.T) (*GRPCServer, *client.Client) {
	t.Helper()
	sock := filepath.Join(t.TempDir(), "falco.sock")
	srv, err := NewGRPCServer(GRPCOptions{
		BindAddress: "unix://" + sock,
		Version:     VersionInfo{Version: "0.31.1-dev+abc", EngineVersion: 11, EngineFieldsChecksum: "sum"},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := client.NewForConfig(ctx, &client.Config{UnixSocketPath: "unix://" + sock})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return srv, c
}

func grpcAlert(i int) *Alert {
	a := testAlert(i, rules.Warning)
	a.Tags = []string{"container", "shell"}
	a.OutputFields = map[string]json.RawMessage{
		"proc.name": json.RawMessage(`"bash"`),
		"proc.pid":  json.RawMessage(`42`),
		"fd.name":   json.RawMessage(`null`),
		"evt.time":  json.RawMessage(`1700000000000000001`),
	}
	return a
}

func TestGRPCGet(t *testing.T) {
	srv, c := startGRPC(t)
	for i := 0; i < 3; i++ {
		a := grpcAlert(i)
		if err := srv.Write(a, textRender(a)); err != nil {
			t.Fatal(err)
		}
	}
	oc, err := c.Outputs()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	stream, err := oc.Get(ctx, &outputs.Request{})
	if err != nil {
		t.Fatal(err)
	}
	var got []*outputs.Response
	for {
		res, err := stream.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, res)
	}
	if len(got) != 3 {
		t.Fatalf("get returned %d responses, want 3", len(got))
	}
	res := got[1]
	want := grpcAlert(1)
	if res.Rule != want.Rule || res.Priority != schema.Priority_WARNING || res.Source != "syscall" ||
		res.Hostname != "host" || res.Output != string(textRender(want)) || !res.Time.AsTime().Equal(want.Time) ||
		!reflect.DeepEqual(res.Tags, want.Tags) {
		t.Errorf("response %v", res)
	}
	wantFields := map[string]string{"proc.name": "bash", "proc.pid": "42", "fd.name": "<NA>", "evt.time": "1700000000000000001"}
	if !reflect.DeepEqual(res.OutputFields, wantFields) {
		t.Errorf("output_fields %v, want %v", res.OutputFields, wantFields)
	}

	// The queue was drained: a second get is empty.
	stream, err = oc.Get(ctx, &outputs.Request{})
	if err != nil {
		t.Fatal(err)
	}
	if res, err := stream.Recv(); err != io.EOF {
		t.Errorf("second get: %v, %v", res, err)
	}
}

func TestGRPCSub(t *testing.T) {
	srv, c := startGRPC(t)
	oc, _ := c.Outputs()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	stream, err := oc.Sub(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.Send(&outputs.Request{}); err != nil {
		t.Fatal(err)
	}
	// Alerts raised after subscribing are streamed; through the
	// dispatcher, as in production.
	d := NewDispatcher(DispatcherOptions{Render: textRender}, Channel{Output: srv})
	const n = 100
	for i := 0; i < n; i++ {
		d.Send(grpcAlert(i))
	}
	for i := 0; i < n; i++ {
		res, err := stream.Recv()
		if err != nil {
			t.Fatalf("recv %d: %v", i, err)
		}
		if res.Rule != "rule"+itoa(i) {
			t.Fatalf("recv %d: rule %s", i, res.Rule)
		}
	}
	// Close ends the stream cleanly.
	if err := d.Close(ctxTimeout(t, 5*time.Second)); err != nil {
		t.Fatal(err)
	}
	if _, err := stream.Recv(); err != io.EOF {
		t.Errorf("after server close: %v, want EOF", err)
	}
}

func TestGRPCVersion(t *testing.T) {
	_, c := startGRPC(t)
	vc, err := c.Version()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := vc.Version(ctx, &version.Request{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Version != "0.31.1-dev+abc" || res.Major != 0 || res.Minor != 31 || res.Patch != 1 ||
		res.Prerelease != "dev" || res.Build != "abc" || res.EngineVersion != 11 || res.EngineFieldsChecksum != "sum" {
		t.Errorf("version %v", res)
	}
}

func TestGRPCQueueFull(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "f.sock")
	srv, err := NewGRPCServer(GRPCOptions{BindAddress: "unix://" + sock, QueueSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	a := grpcAlert(1)
	for i, want := range []error{nil, nil, ErrGRPCQueueFull} {
		if err := srv.Write(a, nil); err != want {
			t.Errorf("write %d: %v, want %v", i, err, want)
		}
	}
}

func TestGRPCTCP(t *testing.T) {
	srv, err := NewGRPCServer(GRPCOptions{BindAddress: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if srv.Addr().Network() != "tcp" {
		t.Errorf("network %s", srv.Addr().Network())
	}
}
