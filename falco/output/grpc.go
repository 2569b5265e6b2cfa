package output

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/falcosecurity/client-go/pkg/api/outputs"
	"github.com/falcosecurity/client-go/pkg/api/schema"
	"github.com/falcosecurity/client-go/pkg/api/version"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// GRPCOptions configures the gRPC server.
type GRPCOptions struct {
	// BindAddress is "unix:///path/to.sock" or "host:port". There is no
	// TLS: use a unix socket, or a TCP address only on a trusted network.
	BindAddress string
	// Threadiness is the number of stream workers; 0 = number of CPUs.
	Threadiness int
	// QueueSize bounds the alerts waiting for a `get` or `sub` client;
	// default DefaultQueueSize. When full, new alerts fail (counted by the
	// dispatcher).
	QueueSize int
	Version   VersionInfo
}

// VersionInfo is what the version service answers.
type VersionInfo struct {
	// Version is a semantic version, e.g. "0.31.1" or "0.1.0-dev+abc".
	Version              string
	EngineVersion        uint32
	EngineFieldsChecksum string
}

// GRPCServer serves Falco's outputs service (`get`, `sub`) and version
// service, and is the "grpc" Output that feeds them. As in Falco, all
// clients share one queue: each alert goes to exactly one client.
type GRPCServer struct {
	outputs.UnimplementedServiceServer
	opts     GRPCOptions
	server   *grpc.Server
	listener net.Listener
	socket   string // unix socket path to remove at Close

	queue chan *outputs.Response
	// stopping is closed by Close: Write refuses alerts and `sub`
	// handlers send what is still queued, then end.
	stopping chan struct{}
	// drainEnd is closed at Close's deadline: handlers stop sending.
	drainEnd chan struct{}
	// subs counts running `sub` handlers, so Close can wait for them to
	// give back the alert they hold before counting what is left.
	subMu      sync.Mutex
	subsClosed bool
	subCount   int // connected `sub` clients
	subs       sync.WaitGroup
	// dropped counts alerts Write accepted that no client received.
	dropped  atomic.Uint64
	once     sync.Once
	closeErr error
	serveErr chan error
}

// ErrGRPCQueueFull is returned by Write when no client drains the queue.
var ErrGRPCQueueFull = errors.New("grpc output: queue full, no client is reading")

// ErrGRPCUndelivered is wrapped by Close's error when alerts were still
// queued for gRPC clients at its deadline.
var ErrGRPCUndelivered = errors.New("alerts not delivered to gRPC clients")

// DefaultGRPCCloseTimeout bounds Close (without a context): the time
// connected subscribers get to receive the alerts still queued.
const DefaultGRPCCloseTimeout = 5 * time.Second

// NewGRPCServer listens on the bind address and starts serving.
func NewGRPCServer(opts GRPCOptions) (*GRPCServer, error) {
	network, address := "tcp", opts.BindAddress
	socket := ""
	if path, ok := strings.CutPrefix(opts.BindAddress, "unix://"); ok {
		network, address, socket = "unix", path, path
		// A socket left by a previous run would make Listen fail.
		if fi, err := os.Lstat(path); err == nil && fi.Mode()&os.ModeSocket != 0 {
			_ = os.Remove(path)
		}
	}
	if address == "" {
		return nil, fmt.Errorf("grpc: empty bind_address")
	}
	lis, err := net.Listen(network, address)
	if err != nil {
		return nil, fmt.Errorf("grpc: %w", err)
	}
	workers := opts.Threadiness
	if workers <= 0 {
		workers = runtime.NumCPU()
	}
	size := opts.QueueSize
	if size <= 0 {
		size = DefaultQueueSize
	}
	s := &GRPCServer{
		opts:     opts,
		server:   grpc.NewServer(grpc.NumStreamWorkers(uint32(workers))),
		listener: lis,
		socket:   socket,
		queue:    make(chan *outputs.Response, size),
		stopping: make(chan struct{}),
		drainEnd: make(chan struct{}),
		serveErr: make(chan error, 1),
	}
	outputs.RegisterServiceServer(s.server, s)
	version.RegisterServiceServer(s.server, &versionService{info: opts.Version})
	go func() { s.serveErr <- s.server.Serve(lis) }()
	return s, nil
}

// Addr is the listening address (useful with "127.0.0.1:0").
func (s *GRPCServer) Addr() net.Addr { return s.listener.Addr() }

func (s *GRPCServer) Name() string { return "grpc" }

// Write queues the alert for gRPC clients. The response's output is the
// rendered alert, as Falco sends its formatted message.
func (s *GRPCServer) Write(a *Alert, rendered []byte) error {
	select {
	case <-s.stopping:
		return ErrClosed
	default:
	}
	select {
	case s.queue <- toResponse(a, string(rendered)):
		return nil
	default:
		return ErrGRPCQueueFull
	}
}

func (s *GRPCServer) Reopen() error { return nil }

// Close is CloseContext with DefaultGRPCCloseTimeout.
func (s *GRPCServer) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), DefaultGRPCCloseTimeout)
	defer cancel()
	return s.CloseContext(ctx)
}

// CloseContext stops accepting alerts, lets connected `sub` clients
// receive what is still queued until ctx ends, then stops the server.
// When a `sub` client was connected, alerts left in the queue are counted
// by Dropped and reported in the error (ErrGRPCUndelivered): Write only
// queued them, so the dispatcher took them as delivered. With no `sub`
// client, the queue waited for `get` polls that did not come; those
// alerts are discarded uncounted, as Falco does.
func (s *GRPCServer) CloseContext(ctx context.Context) error {
	s.once.Do(func() { s.closeErr = s.shutdown(ctx) })
	return s.closeErr
}

func (s *GRPCServer) shutdown(ctx context.Context) error {
	s.subMu.Lock()
	subscribed := s.subCount > 0
	s.subMu.Unlock()
	close(s.stopping)
	stopped := make(chan struct{})
	// GracefulStop waits for the handlers, which drain the queue first.
	go func() { s.server.GracefulStop(); close(stopped) }()
	select {
	case <-stopped:
	case <-ctx.Done():
		close(s.drainEnd)
		// Stop aborts a Send blocked on a client that stopped reading.
		s.server.Stop()
		<-stopped
	}
	// A handler may still be returning (Stop does not wait for them)
	// with an alert to put back: wait, briefly, before counting.
	s.subMu.Lock()
	s.subsClosed = true
	s.subMu.Unlock()
	handlersDone := make(chan struct{})
	go func() { s.subs.Wait(); close(handlersDone) }()
	select {
	case <-handlersDone:
	case <-time.After(time.Second):
	}
	left := uint64(0)
	for empty := false; !empty; {
		select {
		case <-s.queue:
			left++
		default:
			empty = true
		}
	}
	if s.socket != "" {
		_ = os.Remove(s.socket)
	}
	if subscribed {
		s.dropped.Add(left)
		if n := s.dropped.Load(); n > 0 {
			return fmt.Errorf("%w: %d accepted but never sent to subscribers, %d of them still queued at exit",
				ErrGRPCUndelivered, n, left)
		}
	} else if n := s.dropped.Load(); n > 0 {
		return fmt.Errorf("%w: %d accepted but never sent", ErrGRPCUndelivered, n)
	}
	return nil
}

// Dropped counts alerts Write accepted that no client received: still
// queued when the server stopped with a `sub` client connected, or given
// back by a failed client when the queue was full.
func (s *GRPCServer) Dropped() uint64 { return s.dropped.Load() }

// Get sends every alert queued so far and ends the stream.
func (s *GRPCServer) Get(_ *outputs.Request, stream outputs.Service_GetServer) error {
	for {
		select {
		case res := <-s.queue:
			if err := s.send(stream, res); err != nil {
				return err
			}
		default:
			return nil
		}
	}
}

// Sub streams alerts as they are raised until the client goes away or the
// server stops; when it stops, the alerts still queued are sent first (see
// CloseContext). The client's requests (keep-alives in client-go's
// OutputsWatch) need no answer of their own.
func (s *GRPCServer) Sub(stream outputs.Service_SubServer) error {
	if !s.enterSub() {
		return nil
	}
	defer s.leaveSub()
	clientDone := make(chan error, 1)
	go func() {
		for {
			if _, err := stream.Recv(); err != nil {
				if errors.Is(err, io.EOF) {
					err = nil
				}
				clientDone <- err
				return
			}
		}
	}()
	ctx := stream.Context()
	for {
		select {
		case res := <-s.queue:
			if err := s.send(stream, res); err != nil {
				return err
			}
		case err := <-clientDone:
			return err
		case <-ctx.Done():
			return ctx.Err()
		case <-s.stopping:
			return s.drain(stream, clientDone)
		}
	}
}

// drain sends the alerts still queued at Close until the queue is empty
// (Write refuses new ones by then), the client goes away or Close's
// deadline passes. Several subscribers drain the one queue together.
func (s *GRPCServer) drain(stream outputs.Service_SubServer, clientDone <-chan error) error {
	ctx := stream.Context()
	for {
		select {
		case <-s.drainEnd:
			return nil
		case err := <-clientDone:
			return err
		case <-ctx.Done():
			return ctx.Err()
		default:
		}
		select {
		case res := <-s.queue:
			if err := s.send(stream, res); err != nil {
				return err
			}
		default:
			return nil
		}
	}
}

// enterSub registers a `sub` handler unless Close is already counting.
func (s *GRPCServer) enterSub() bool {
	s.subMu.Lock()
	defer s.subMu.Unlock()
	if s.subsClosed {
		return false
	}
	s.subs.Add(1)
	s.subCount++
	return true
}

func (s *GRPCServer) leaveSub() {
	s.subMu.Lock()
	s.subCount--
	s.subMu.Unlock()
	s.subs.Done()
}

// send sends one alert; one the client could not take goes back to the
// queue for another client, or is counted as dropped when there is no
// room.
func (s *GRPCServer) send(stream interface{ Send(*outputs.Response) error }, res *outputs.Response) error {
	err := stream.Send(res)
	if err != nil {
		select {
		case s.queue <- res:
		default:
			s.dropped.Add(1)
		}
	}
	return err
}

func toResponse(a *Alert, rendered string) *outputs.Response {
	res := &outputs.Response{
		Time:     timestamppb.New(a.Time),
		Priority: schema.Priority(a.Priority),
		Rule:     a.Rule,
		Output:   rendered,
		Hostname: a.Hostname,
		Tags:     a.Tags,
		Source:   a.Source,
	}
	if a.Source == "k8s_audit" {
		res.SourceDeprecated = schema.Source_K8S_AUDIT
	}
	if len(a.OutputFields) > 0 {
		res.OutputFields = make(map[string]string, len(a.OutputFields))
		for k, v := range a.OutputFields {
			res.OutputFields[k] = fieldString(v)
		}
	}
	return res
}

// fieldString turns a JSON field value into Falco's string form: strings
// unquoted, missing values "<NA>", numbers as written.
func fieldString(v json.RawMessage) string {
	if len(v) == 0 || string(v) == "null" {
		return "<NA>"
	}
	var s string
	if v[0] == '"' && json.Unmarshal(v, &s) == nil {
		return s
	}
	return string(v)
}

type versionService struct {
	version.UnimplementedServiceServer
	info VersionInfo
}

var semverRE = regexp.MustCompile(`^v?(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+([0-9A-Za-z.-]+))?$`)

func (v *versionService) Version(context.Context, *version.Request) (*version.Response, error) {
	res := &version.Response{
		Version:              v.info.Version,
		EngineVersion:        v.info.EngineVersion,
		EngineFieldsChecksum: v.info.EngineFieldsChecksum,
	}
	if m := semverRE.FindStringSubmatch(v.info.Version); m != nil {
		major, _ := strconv.ParseUint(m[1], 10, 32)
		minor, _ := strconv.ParseUint(m[2], 10, 32)
		patch, _ := strconv.ParseUint(m[3], 10, 32)
		res.Major, res.Minor, res.Patch = uint32(major), uint32(minor), uint32(patch)
		res.Prerelease, res.Build = m[4], m[5]
	}
	return res, nil
}
