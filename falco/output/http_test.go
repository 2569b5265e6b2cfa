package output

import (
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/falco-trace/falco-trace/falco/config"
	"github.com/falco-trace/falco-trace/falco/rules"
)

func TestHTTP(t *testing.T) {
	tests := []struct {
		name         string
		statuses     []int // per request; the last one repeats
		json         bool
		wantErr      bool
		wantRequests int
	}{
		{"ok json", []int{200}, true, false, 1},
		{"ok text", []int{204}, false, false, 1},
		{"retried 5xx then ok", []int{500, 503, 200}, true, false, 3},
		{"retried 429 then ok", []int{429, 200}, true, false, 2},
		{"5xx exhausts retries", []int{502}, true, true, 3},
		{"4xx not retried", []int{400}, true, true, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var mu sync.Mutex
			var requests int
			var gotType, gotAgent, gotBody, gotMethod string
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				defer mu.Unlock()
				body, _ := io.ReadAll(r.Body)
				gotType, gotAgent, gotBody, gotMethod = r.Header.Get("Content-Type"), r.UserAgent(), string(body), r.Method
				status := tt.statuses[min(requests, len(tt.statuses)-1)]
				requests++
				w.WriteHeader(status)
			}))
			defer srv.Close()
			h, err := NewHTTP(HTTPOptions{URL: srv.URL, UserAgent: "falco-trace/test", JSON: tt.json, RetryBackoff: time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			defer h.Close()
			a := testAlert(7, rules.Critical)
			err = h.Write(a, []byte(`{"rule":"x"}`))
			if (err != nil) != tt.wantErr {
				t.Errorf("%s: err = %v, wantErr %t", tt.name, err, tt.wantErr)
			}
			if err != nil && !errors.Is(err, ErrHTTPStatus) {
				t.Errorf("%s: error %v does not wrap ErrHTTPStatus", tt.name, err)
			}
			mu.Lock()
			defer mu.Unlock()
			if requests != tt.wantRequests {
				t.Errorf("%s: %d requests, want %d", tt.name, requests, tt.wantRequests)
			}
			wantType := "text/plain"
			if tt.json {
				wantType = "application/json"
			}
			if gotType != wantType || gotAgent != "falco-trace/test" || gotBody != `{"rule":"x"}` || gotMethod != "POST" {
				t.Errorf("%s: request %s type=%q agent=%q body=%q", tt.name, gotMethod, gotType, gotAgent, gotBody)
			}
		})
	}
}

// TestHTTPTimeout: a hanging endpoint costs a bounded time per alert, and
// Close aborts a request in flight.
func TestHTTPTimeout(t *testing.T) {
	release := make(chan struct{})
	var requests atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)

	h, _ := NewHTTP(HTTPOptions{URL: srv.URL, Timeout: 100 * time.Millisecond, MaxRetries: 1, RetryBackoff: 10 * time.Millisecond})
	start := time.Now()
	err := h.Write(testAlert(1, rules.Error), []byte("x"))
	if err == nil {
		t.Error("write to a hanging endpoint succeeded")
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("write took %s with a 100ms timeout and 1 retry", d)
	}
	if n := requests.Load(); n != 2 {
		t.Errorf("%d attempts, want 2", n)
	}

	h2, _ := NewHTTP(HTTPOptions{URL: srv.URL, Timeout: time.Minute})
	done := make(chan error, 1)
	go func() { done <- h2.Write(testAlert(1, rules.Error), []byte("x")) }()
	time.Sleep(50 * time.Millisecond)
	h2.Close()
	select {
	case err := <-done:
		if err == nil {
			t.Error("aborted write reported success")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not abort the request in flight")
	}
}

// TestHTTPDeadEndpointDoesNotStallDispatcher: alerts keep flowing to the
// file output while every POST fails; failures are counted.
func TestHTTPDeadEndpointDoesNotStallDispatcher(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(20 * time.Millisecond)
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	h, _ := NewHTTP(HTTPOptions{URL: srv.URL, Timeout: time.Second, MaxRetries: -1})
	counter := &countingOutput{name: "count"}
	d := NewDispatcher(DispatcherOptions{Render: textRender},
		Channel{Output: h, QueueSize: 5}, Channel{Output: counter})
	start := time.Now()
	const n = 50
	for i := 0; i < n; i++ {
		d.Send(testAlert(i, rules.Error))
	}
	if el := time.Since(start); el > 500*time.Millisecond {
		t.Errorf("Send of %d alerts took %s", n, el)
	}
	if !waitFor(5*time.Second, func() bool { return counter.count() == n }) {
		t.Errorf("healthy output got %d of %d", counter.count(), n)
	}
	if err := d.Flush(ctxTimeout(t, 10*time.Second)); err != nil {
		t.Fatal(err)
	}
	st := d.Stats().Outputs[0]
	if st.Delivered != 0 || st.Failed+st.QueueFull != n {
		t.Errorf("http stats %+v: want 0 delivered and %d failed or dropped", st, n)
	}
	if st.Failed == 0 || st.QueueFull == 0 {
		t.Errorf("http stats %+v: want both failures and queue-full drops", st)
	}
	d.Close(ctxTimeout(t, 5*time.Second))
}

func TestNewHTTPRejectsBadURL(t *testing.T) {
	tests := []struct {
		name    string
		url     string
		wantErr bool
	}{
		{"http", "http://127.0.0.1:2801/", false},
		{"https with path", "https://hooks.example.com/services/x?y=1", false},
		{"upper-case scheme", "HTTP://example.com", false},
		{"no scheme", "example.com/falco", true},
		{"host and port, no scheme", "localhost:2801", true},
		{"other scheme", "ftp://example.com/", true},
		{"no host", "http:///falco", true},
		{"port only", "http://:2801/", true},
		{"unparsable", "http://exa mple.com/", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := NewHTTP(HTTPOptions{URL: tt.url})
			if (err != nil) != tt.wantErr {
				t.Fatalf("NewHTTP(%q): err = %v, wantErr %t", tt.url, err, tt.wantErr)
			}
			if err != nil && !errors.Is(err, config.ErrBadHTTPURL) {
				t.Errorf("NewHTTP(%q): %v does not wrap config.ErrBadHTTPURL", tt.url, err)
			}
			if h != nil {
				h.Close()
			}
		})
	}
}

// TestHTTPRetriesOnlyWhatMayPass: errors the same request meets every time
// (a certificate that does not verify, a redirect to another scheme) are
// not retried; a dropped connection is.
func TestHTTPRetriesOnlyWhatMayPass(t *testing.T) {
	// A listener that counts connections and closes them at once.
	hangUp := func(t *testing.T) (string, *atomic.Int32) {
		lis, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { lis.Close() })
		var conns atomic.Int32
		go func() {
			for {
				c, err := lis.Accept()
				if err != nil {
					return
				}
				conns.Add(1)
				c.Close()
			}
		}()
		return "http://" + lis.Addr().String() + "/", &conns
	}
	// A TLS server whose certificate the default client does not trust.
	untrusted := func(t *testing.T) (string, *atomic.Int32) {
		var conns atomic.Int32
		srv := httptest.NewUnstartedServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
		srv.Config.ConnState = func(_ net.Conn, st http.ConnState) {
			if st == http.StateNew {
				conns.Add(1)
			}
		}
		srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake
		srv.StartTLS()
		t.Cleanup(srv.Close)
		return srv.URL, &conns
	}
	redirectToFTP := func(t *testing.T) (string, *atomic.Int32) {
		var requests atomic.Int32
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			requests.Add(1)
			http.Redirect(w, r, "ftp://example.com/falco", http.StatusTemporaryRedirect)
		}))
		t.Cleanup(srv.Close)
		return srv.URL, &requests
	}
	tests := []struct {
		name         string
		endpoint     func(*testing.T) (string, *atomic.Int32)
		wantAttempts int32
	}{
		{"connection closed: retried", hangUp, 3},
		{"untrusted certificate: not retried", untrusted, 1},
		{"redirect to ftp: not retried", redirectToFTP, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			url, attempts := tt.endpoint(t)
			h, err := NewHTTP(HTTPOptions{URL: url, Timeout: 2 * time.Second, RetryBackoff: time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			defer h.Close()
			if err := h.Write(testAlert(1, rules.Error), []byte("x")); err == nil {
				t.Fatal("write succeeded")
			}
			if n := attempts.Load(); n != tt.wantAttempts {
				t.Errorf("%d attempts, want %d", n, tt.wantAttempts)
			}
		})
	}
}
