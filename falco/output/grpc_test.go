package output

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/falcosecurity/client-go/pkg/api/outputs"
	"github.com/falcosecurity/client-go/pkg/api/schema"
	"github.com/falcosecurity/client-go/pkg/api/version"
	"github.com/falcosecurity/client-go/pkg/client"
	"google.golang.org/grpc"

	"github.com/falco-trace/falco-trace/falco/rules"
)

func startGRPC(t *testing.T, dialOpts ...grpc.DialOption) (*GRPCServer, *client.Client) {
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
	c, err := client.NewForConfig(ctx, &client.Config{UnixSocketPath: "unix://" + sock, DialOptions: dialOpts})
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

// smallWindows keeps the client's HTTP/2 receive windows at 64 KiB (a
// fixed window also turns off BDP growth), so a subscriber that does not
// read holds the server's Send back after a few large alerts, as a slow
// subscriber over a real network would.
var smallWindows = []grpc.DialOption{grpc.WithInitialWindowSize(64 << 10), grpc.WithInitialConnWindowSize(64 << 10)}

// bigRender renders 4 KiB alerts, so 64 KiB of window holds only ~16.
func bigRender(a *Alert) []byte {
	b := make([]byte, 4<<10)
	copy(b, textRender(a))
	for i := len(textRender(a)); i < len(b); i++ {
		b[i] = '.'
	}
	return b
}

// subscribed opens a `sub` stream and returns once the server's handler
// is running (it delivered a first alert through d).
func subscribed(t *testing.T, c *client.Client, d *Dispatcher) outputs.Service_SubClient {
	t.Helper()
	oc, err := c.Outputs()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	stream, err := oc.Sub(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.Send(&outputs.Request{}); err != nil {
		t.Fatal(err)
	}
	d.Send(grpcAlert(0))
	if res, err := stream.Recv(); err != nil || res.Rule != "rule0" {
		t.Fatalf("first alert: %v, %v", res, err)
	}
	return stream
}

func isClosed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// TestGRPCCloseDrainsSlowSubscriber: alerts still queued when the server
// closes reach a subscriber that reads slowly, and the stream then ends
// cleanly.
func TestGRPCCloseDrainsSlowSubscriber(t *testing.T) {
	srv, c := startGRPC(t, smallWindows...)
	d := NewDispatcher(DispatcherOptions{Render: bigRender}, Channel{Output: srv})
	stream := subscribed(t, c, d)
	const n = 300 // 1.2 MiB: far more than the client's window
	for i := 1; i <= n; i++ {
		d.Send(grpcAlert(i))
	}
	closed := make(chan error, 1)
	go func() { closed <- d.Close(ctxTimeout(t, 10*time.Second)) }()
	if !waitFor(5*time.Second, func() bool { return isClosed(srv.stopping) }) {
		t.Fatal("Close did not start")
	}
	got := 1
	for {
		res, err := stream.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("recv after %d alerts: %v", got, err)
		}
		if want := "rule" + itoa(got); res.Rule != want {
			t.Fatalf("alert %d is %s, want %s", got, res.Rule, want)
		}
		got++
		time.Sleep(time.Millisecond) // a subscriber forwarding each alert
	}
	if got != n+1 {
		t.Errorf("subscriber received %d alerts, want %d", got, n+1)
	}
	if err := <-closed; err != nil {
		t.Errorf("close: %v", err)
	}
	st := d.Stats().Outputs[0]
	if st.Delivered != n+1 || st.Undelivered() != 0 {
		t.Errorf("stats %+v, want %d delivered and nothing lost", st, n+1)
	}
}

// TestGRPCCloseCountsUndelivered: what a connected subscriber does not take
// before Close's deadline is counted as lost and reported, not counted as
// delivered.
func TestGRPCCloseCountsUndelivered(t *testing.T) {
	t.Run("stalled subscriber", func(t *testing.T) {
		srv, c := startGRPC(t, smallWindows...)
		d := NewDispatcher(DispatcherOptions{Render: bigRender}, Channel{Output: srv})
		subscribed(t, c, d) // and never reads again
		const n = 100
		for i := 1; i <= n; i++ {
			d.Send(grpcAlert(i))
		}
		start := time.Now()
		err := d.Close(ctxTimeout(t, 300*time.Millisecond))
		if took := time.Since(start); took > 3*time.Second {
			t.Errorf("close took %v with a 300ms deadline", took)
		}
		if !errors.Is(err, ErrGRPCUndelivered) {
			t.Errorf("close: %v, want ErrGRPCUndelivered", err)
		}
		st := d.Stats().Outputs[0]
		// The window lets a few alerts through; the rest must be lost.
		if st.Lost < n/2 || st.Delivered+st.Lost != n+1 || st.Lost != srv.Dropped() {
			t.Errorf("stats %+v (dropped %d), want most of %d lost and every alert counted once", st, srv.Dropped(), n+1)
		}
	})
	t.Run("no subscriber", func(t *testing.T) {
		// Alerts waiting for a `get` poll that never came are discarded
		// as in Falco, without a loss report.
		srv, _ := startGRPC(t)
		d := NewDispatcher(DispatcherOptions{Render: textRender}, Channel{Output: srv})
		for i := 0; i < 5; i++ {
			d.Send(grpcAlert(i))
		}
		if err := d.Close(ctxTimeout(t, 5*time.Second)); err != nil {
			t.Errorf("close: %v", err)
		}
		if st := d.Stats().Outputs[0]; st.Delivered != 5 || st.Lost != 0 {
			t.Errorf("stats %+v, want 5 queued for get clients and none lost", st)
		}
	})
}
