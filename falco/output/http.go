package output

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/falco-trace/falco-trace/falco/config"
)

// HTTPOptions configures the http output.
type HTTPOptions struct {
	URL       string
	UserAgent string
	// JSON selects Content-Type application/json (json_output: true, what
	// falcosidekick expects); otherwise text/plain, as Falco does.
	JSON bool
	// Timeout bounds one POST attempt; default 5 s.
	Timeout time.Duration
	// MaxRetries is the number of attempts after the first one, made only
	// for transport errors that may pass (not a bad URL, redirect or
	// certificate), 429 and 5xx; default 2. Negative = no retry.
	MaxRetries int
	// RetryBackoff is the wait before the first retry, doubled each time;
	// default 250 ms.
	RetryBackoff time.Duration
	// Client overrides the HTTP client (tests, proxies).
	Client *http.Client
}

// HTTP POSTs each rendered alert to a URL. Attempts are bounded, so a dead
// endpoint costs at most (MaxRetries+1)*Timeout plus backoff per alert, in
// the output's own goroutine (the dispatcher never waits for it).
type HTTP struct {
	opts   HTTPOptions
	client *http.Client
	ctx    context.Context
	cancel context.CancelFunc
	once   sync.Once
}

// ErrHTTPStatus is wrapped by errors for non-2xx responses.
var ErrHTTPStatus = errors.New("unexpected HTTP status")

// ErrHTTPRedirect is wrapped by the error for a redirect the output will
// not follow (to a scheme other than http/https, or too many); retrying
// cannot help.
var ErrHTTPRedirect = errors.New("http output: bad redirect")

// maxRedirects is net/http's default limit.
const maxRedirects = 10

// NewHTTP checks the URL (config.CheckHTTPURL: an http or https URL with a
// host) and returns the output; nothing is sent yet.
func NewHTTP(opts HTTPOptions) (*HTTP, error) {
	if opts.URL == "" {
		return nil, errors.New("http output: no url")
	}
	if err := config.CheckHTTPURL(opts.URL); err != nil {
		return nil, fmt.Errorf("http output: url: %w", err)
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 5 * time.Second
	}
	if opts.MaxRetries == 0 {
		opts.MaxRetries = 2
	}
	if opts.MaxRetries < 0 {
		opts.MaxRetries = 0
	}
	if opts.RetryBackoff <= 0 {
		opts.RetryBackoff = 250 * time.Millisecond
	}
	if opts.UserAgent == "" {
		opts.UserAgent = "falcosecurity/falco"
	}
	client := opts.Client
	if client == nil {
		client = &http.Client{CheckRedirect: checkRedirect}
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &HTTP{opts: opts, client: client, ctx: ctx, cancel: cancel}, nil
}

func (h *HTTP) Name() string { return "http" }

func (h *HTTP) Write(_ *Alert, rendered []byte) error {
	backoff := h.opts.RetryBackoff
	var err error
	for attempt := 0; attempt <= h.opts.MaxRetries; attempt++ {
		if attempt > 0 {
			select {
			case <-time.After(backoff):
			case <-h.ctx.Done():
				return fmt.Errorf("http output: %w (closed while retrying)", err)
			}
			backoff *= 2
		}
		var retry bool
		retry, err = h.post(rendered)
		if err == nil || !retry {
			break
		}
	}
	if err != nil {
		return fmt.Errorf("http output %s: %w", h.opts.URL, err)
	}
	return nil
}

// post makes one attempt and reports whether a failure is worth retrying.
func (h *HTTP) post(body []byte) (retry bool, err error) {
	ctx, cancel := context.WithTimeout(h.ctx, h.opts.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.opts.URL, bytes.NewReader(body))
	if err != nil {
		return false, err
	}
	if h.opts.JSON {
		req.Header.Set("Content-Type", "application/json")
	} else {
		req.Header.Set("Content-Type", "text/plain")
	}
	req.Header.Set("User-Agent", h.opts.UserAgent)
	resp, err := h.client.Do(req)
	if err != nil {
		return h.ctx.Err() == nil && !permanent(err), err
	}
	// Drain so the connection is reused.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64*1024))
	resp.Body.Close()
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return false, nil
	}
	retry = resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500
	return retry, fmt.Errorf("%w: %s", ErrHTTPStatus, resp.Status)
}

// checkRedirect refuses, with a typed error, the redirects the transport
// would fail on every time.
func checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= maxRedirects {
		return fmt.Errorf("%w: stopped after %d redirects", ErrHTTPRedirect, maxRedirects)
	}
	if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
		return fmt.Errorf("%w: to %q", ErrHTTPRedirect, req.URL.Redacted())
	}
	return nil
}

// permanent reports transport errors that the same request would meet
// again: a refused redirect, or a server certificate that does not verify.
// Connection errors, timeouts and DNS failures may pass and are retried.
func permanent(err error) bool {
	var (
		verifyErr   *tls.CertificateVerificationError
		unknownCA   x509.UnknownAuthorityError
		wrongHost   x509.HostnameError
		invalidCert x509.CertificateInvalidError
	)
	return errors.Is(err, ErrHTTPRedirect) || errors.As(err, &verifyErr) ||
		errors.As(err, &unknownCA) || errors.As(err, &wrongHost) || errors.As(err, &invalidCert)
}

func (h *HTTP) Reopen() error { return nil }

// Close aborts a request in flight.
func (h *HTTP) Close() error {
	h.once.Do(func() {
		h.cancel()
		h.client.CloseIdleConnections()
	})
	return nil
}
