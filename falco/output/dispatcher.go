package output

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sirupsen/logrus"
)

// DefaultQueueSize is the per-output queue length when Channel.QueueSize is 0.
const DefaultQueueSize = 10000

// DispatcherOptions configures a Dispatcher.
type DispatcherOptions struct {
	// Render turns an alert into the bytes every output writes; required.
	Render RenderFunc
	// Rate and MaxBurst configure the token bucket in front of all outputs
	// (outputs.rate, outputs.max_burst). MaxBurst <= 0 disables it.
	Rate     float64
	MaxBurst int
	// OutputTimeout: a Write blocking longer than this is logged
	// (output_timeout). 0 disables the warning.
	OutputTimeout time.Duration
	// Log is the component logger; nil = logrus standard logger.
	Log *logrus.Entry
	// Now is the rate limiter's clock; nil = time.Now.
	Now func() time.Time
}

// Dispatcher sends every alert to every output. Each output has its own
// bounded queue and goroutine, so a slow or dead output never blocks the
// caller or the other outputs; what it cannot take is counted.
type Dispatcher struct {
	opts    DispatcherOptions
	log     *logrus.Entry
	limiter *TokenBucket

	mu     sync.RWMutex // guards closed against the queue sends
	closed bool

	channels []*channelWorker
	received atomic.Uint64
	limited  atomic.Uint64
}

type queued struct {
	alert    *Alert
	rendered []byte
}

type channelWorker struct {
	Channel
	queue chan queued
	done  chan struct{}
	log   *logrus.Entry

	pending   atomic.Int64 // enqueued and not yet written
	delivered atomic.Uint64
	failed    atomic.Uint64
	queueFull atomic.Uint64
	filtered  atomic.Uint64
	lost      atomic.Uint64 // still queued when Close gave up

	// abandoned is set when Close gives up: queued alerts are then
	// counted as lost instead of written.
	abandoned atomic.Bool

	errMu      sync.Mutex
	lastErrLog time.Time
	errsSince  uint64
}

// ContextCloser is implemented by outputs whose Close may take time to
// deliver what they hold (the gRPC server's subscribers); the dispatcher's
// Close passes its own deadline.
type ContextCloser interface {
	CloseContext(ctx context.Context) error
}

// Dropper is implemented by outputs whose Write only queues the alert
// (gRPC): Dropped counts alerts Write accepted that were never delivered.
// Stats moves them from Delivered to Lost.
type Dropper interface {
	Dropped() uint64
}

// Stats counts what happened to alerts.
type Stats struct {
	// Received counts Send and SendInternal calls.
	Received uint64
	// RateLimited counts alerts dropped by the token bucket.
	RateLimited uint64
	Outputs     []OutputStats
}

// OutputStats counts per output. Every alert that passed the rate limiter
// and the output's priority filter ends up in exactly one of Delivered,
// Failed, QueueFull or Lost, or is still Queued.
type OutputStats struct {
	Name      string
	Delivered uint64
	// Failed counts Write errors (after the output's own retries).
	Failed uint64
	// QueueFull counts alerts dropped because the output's queue was full.
	QueueFull uint64
	// Filtered counts alerts below the output's minimum priority.
	Filtered uint64
	// Lost counts alerts dropped from the queue after Close's deadline
	// expired (while the output was stuck), and alerts an output accepted
	// but then could not deliver (Dropper).
	Lost   uint64
	Queued int64
}

// Undelivered is what the output could not deliver.
func (s OutputStats) Undelivered() uint64 { return s.Failed + s.QueueFull + s.Lost }

// NewDispatcher starts one goroutine per channel.
func NewDispatcher(opts DispatcherOptions, channels ...Channel) *Dispatcher {
	log := opts.Log
	if log == nil {
		log = logrus.WithField("component", "output")
	}
	d := &Dispatcher{opts: opts, log: log}
	if opts.MaxBurst > 0 {
		d.limiter = NewTokenBucket(opts.Rate, opts.MaxBurst, opts.Now)
	}
	for _, ch := range channels {
		size := ch.QueueSize
		if size <= 0 {
			size = DefaultQueueSize
		}
		w := &channelWorker{
			Channel: ch,
			queue:   make(chan queued, size),
			done:    make(chan struct{}),
			log:     log.WithField("output", ch.Output.Name()),
		}
		d.channels = append(d.channels, w)
		go w.run(opts.OutputTimeout)
	}
	return d
}

// Send rate-limits the alert and queues it for every output whose minimum
// priority it meets. It never blocks on an output. It returns false when
// the alert was rate-limited or the dispatcher is closed.
func (d *Dispatcher) Send(a *Alert) bool {
	d.received.Add(1)
	if d.limiter != nil && !d.limiter.Claim() {
		d.limited.Add(1)
		d.log.WithField("rule", a.Rule).Debugf("Skipping rate-limited notification for rule %s", a.Rule)
		return false
	}
	return d.enqueue(a)
}

// SendInternal queues Falco's own messages (drop and timeout
// notifications), which Falco does not pass through the token bucket.
func (d *Dispatcher) SendInternal(a *Alert) bool {
	d.received.Add(1)
	return d.enqueue(a)
}

func (d *Dispatcher) enqueue(a *Alert) bool {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if d.closed {
		return false
	}
	var rendered []byte
	for _, w := range d.channels {
		if w.MinPriority != nil && !a.Priority.AtLeast(*w.MinPriority) {
			w.filtered.Add(1)
			continue
		}
		if rendered == nil {
			rendered = d.opts.Render(a)
		}
		w.pending.Add(1)
		select {
		case w.queue <- queued{alert: a, rendered: rendered}:
		default:
			w.pending.Add(-1)
			w.queueFull.Add(1)
			w.logError(fmt.Errorf("queue full (%d alerts), alert for rule %q dropped", cap(w.queue), a.Rule))
		}
	}
	return true
}

func (w *channelWorker) run(timeout time.Duration) {
	defer close(w.done)
	flusher, _ := w.Output.(Flusher)
	for item := range w.queue {
		if w.abandoned.Load() {
			w.lost.Add(1)
			w.pending.Add(-1)
			continue
		}
		var watchdog *time.Timer
		if timeout > 0 {
			watchdog = time.AfterFunc(timeout, func() {
				w.log.Warnf("%q output timeout, the output channel is blocked", w.Output.Name())
			})
		}
		err := w.Output.Write(item.alert, item.rendered)
		if err == nil && flusher != nil && len(w.queue) == 0 {
			// Batch while a burst is queued, but never hold back the
			// last alert of a burst.
			err = flusher.Flush()
		}
		if watchdog != nil {
			watchdog.Stop()
		}
		if err != nil {
			w.failed.Add(1)
			w.logError(err)
		} else {
			w.delivered.Add(1)
		}
		w.pending.Add(-1)
	}
}

// logError logs the first error and then at most one summary every 10 s,
// so a dead endpoint does not flood the log.
func (w *channelWorker) logError(err error) {
	w.errMu.Lock()
	defer w.errMu.Unlock()
	now := time.Now()
	w.errsSince++
	if now.Sub(w.lastErrLog) < 10*time.Second && !w.lastErrLog.IsZero() {
		return
	}
	w.log.WithError(err).WithField("errors", w.errsSince).Warn("alert not delivered")
	w.lastErrLog, w.errsSince = now, 0
}

// Reopen reopens every output (SIGUSR1) and returns their errors joined.
func (d *Dispatcher) Reopen() error {
	var errs []error
	for _, w := range d.channels {
		if err := w.Output.Reopen(); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", w.Output.Name(), err))
		}
	}
	return errors.Join(errs...)
}

// Flush waits until every queue is empty and written, or ctx ends.
func (d *Dispatcher) Flush(ctx context.Context) error {
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	for {
		var waiting []string
		for _, w := range d.channels {
			if n := w.pending.Load(); n > 0 {
				waiting = append(waiting, fmt.Sprintf("%s (%d alerts)", w.Output.Name(), n))
			}
		}
		if len(waiting) == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("flushing outputs: %s still queued: %w", strings.Join(waiting, ", "), ctx.Err())
		case <-tick.C:
		}
	}
}

// Close stops accepting alerts, drains every queue until ctx ends, then
// closes every output. Alerts still queued at the deadline are counted as
// Lost and reported in the error.
func (d *Dispatcher) Close(ctx context.Context) error {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return ErrClosed
	}
	d.closed = true
	for _, w := range d.channels {
		close(w.queue)
	}
	d.mu.Unlock()

	var errs []error
	for _, w := range d.channels {
		select {
		case <-w.done:
		case <-ctx.Done():
		}
	}
	for _, w := range d.channels {
		// Closing also aborts a Write stuck in a dead endpoint.
		if err := closeOutput(ctx, w.Output); err != nil {
			errs = append(errs, fmt.Errorf("closing %s output: %w", w.Output.Name(), err))
		}
	}
	for _, w := range d.channels {
		select {
		case <-w.done:
			continue
		case <-time.After(100 * time.Millisecond):
		}
		// The worker is stuck in Write: what is still queued is dropped
		// (counted as Lost by the worker if it ever wakes up).
		w.abandoned.Store(true)
		errs = append(errs, fmt.Errorf("%s output: %d alerts not delivered before the deadline",
			w.Output.Name(), w.pending.Load()))
	}
	return errors.Join(errs...)
}

func closeOutput(ctx context.Context, o Output) error {
	if cc, ok := o.(ContextCloser); ok {
		return cc.CloseContext(ctx)
	}
	return o.Close()
}

// Stats returns a snapshot of the counters, outputs in channel order.
func (d *Dispatcher) Stats() Stats {
	s := Stats{Received: d.received.Load(), RateLimited: d.limited.Load()}
	for _, w := range d.channels {
		delivered, lost := w.delivered.Load(), w.lost.Load()
		if dr, ok := w.Output.(Dropper); ok {
			// Counted as delivered when the output accepted them.
			dropped := min(dr.Dropped(), delivered)
			delivered -= dropped
			lost += dropped
		}
		s.Outputs = append(s.Outputs, OutputStats{
			Name:      w.Output.Name(),
			Delivered: delivered,
			Failed:    w.failed.Load(),
			QueueFull: w.queueFull.Load(),
			Filtered:  w.filtered.Load(),
			Lost:      lost,
			Queued:    w.pending.Load(),
		})
	}
	return s
}
