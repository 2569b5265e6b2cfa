package output

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/falco-trace/falco-trace/falco/rules"
)

type countingOutput struct {
	name   string
	mu     sync.Mutex
	rules  []string
	closed bool
}

func (c *countingOutput) Name() string { return c.name }
func (c *countingOutput) Write(a *Alert, rendered []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.rules = append(c.rules, a.Rule)
	return nil
}
func (c *countingOutput) Reopen() error { return nil }
func (c *countingOutput) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	return nil
}
func (c *countingOutput) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.rules)
}

// blockedOutput never returns from Write until released.
type blockedOutput struct {
	release chan struct{}
	once    sync.Once
}

func (b *blockedOutput) Name() string { return "blocked" }
func (b *blockedOutput) Write(*Alert, []byte) error {
	<-b.release
	return nil
}
func (b *blockedOutput) Reopen() error { return nil }
func (b *blockedOutput) Close() error {
	b.once.Do(func() { close(b.release) })
	return nil
}

func ctxTimeout(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// TestDispatcherBlockedOutput: a blocked output neither stalls the caller
// nor the healthy outputs, which all receive every alert in order.
func TestDispatcherBlockedOutput(t *testing.T) {
	const n = 20000
	const queue = 100
	a, b := &countingOutput{name: "a"}, &countingOutput{name: "b"}
	blocked := &blockedOutput{release: make(chan struct{})}
	d := NewDispatcher(DispatcherOptions{Render: textRender, Rate: 1, MaxBurst: 0},
		Channel{Output: a}, Channel{Output: blocked, QueueSize: queue}, Channel{Output: b, QueueSize: 50000})
	start := time.Now()
	for i := 0; i < n; i++ {
		if !d.Send(testAlert(i, rules.Warning)) {
			t.Fatalf("alert %d refused", i)
		}
	}
	if el := time.Since(start); el > 5*time.Second {
		t.Errorf("sending %d alerts took %s", n, el)
	}
	// Healthy outputs drain even though "blocked" never returns.
	if err := waitForCounts(a, b, n); err != "" {
		t.Fatal(err)
	}
	for _, o := range []*countingOutput{a, b} {
		for i, r := range o.rules {
			if r != "rule"+itoa(i) {
				t.Fatalf("output %s: alert %d is %s (out of order)", o.name, i, r)
			}
		}
	}
	st := d.Stats()
	if st.Received != n || st.RateLimited != 0 {
		t.Errorf("stats %+v", st)
	}
	for _, os := range []OutputStats{st.Outputs[0], st.Outputs[2]} {
		if os.Delivered != n || os.Undelivered() != 0 {
			t.Errorf("healthy output stats %+v", os)
		}
	}
	bs := st.Outputs[1]
	// One alert is inside Write, queue more wait, the rest were dropped.
	if bs.QueueFull != n-queue-1 || bs.Queued != queue+1 || bs.Delivered != 0 {
		t.Errorf("blocked output stats %+v, want QueueFull=%d Queued=%d", bs, n-queue-1, queue+1)
	}
	// Flush gives up at its deadline and names the stuck output.
	err := d.Flush(ctxTimeout(t, 100*time.Millisecond))
	if err == nil || !strings.Contains(err.Error(), "blocked (101 alerts)") {
		t.Errorf("Flush with a blocked output: %v", err)
	}
	// Close closes the blocked output, which releases it; everything queued
	// is then written.
	if err := d.Close(ctxTimeout(t, 100*time.Millisecond)); err != nil {
		t.Errorf("Close: %v", err)
	}
	st = d.Stats()
	if bs := st.Outputs[1]; bs.Delivered+bs.Lost != queue+1 || bs.Queued != 0 {
		t.Errorf("blocked output after close %+v", bs)
	}
	if !a.closed || !b.closed {
		t.Error("outputs not closed")
	}
	if d.Send(testAlert(1, rules.Warning)) {
		t.Error("Send after Close accepted")
	}
}

func waitForCounts(a, b *countingOutput, n int) string {
	if !waitFor(20*time.Second, func() bool { return a.count() == n && b.count() == n }) {
		return "healthy outputs got " + itoa(a.count()) + " and " + itoa(b.count()) + " alerts, want " + itoa(n)
	}
	return ""
}

// TestDispatcherFlushDeliversAll: with healthy outputs Close loses nothing.
func TestDispatcherFlushDeliversAll(t *testing.T) {
	slow := &slowOutput{countingOutput: countingOutput{name: "slow"}, delay: time.Millisecond}
	d := NewDispatcher(DispatcherOptions{Render: textRender}, Channel{Output: slow})
	const n = 3000
	for i := 0; i < n; i++ {
		d.Send(testAlert(i, rules.Error))
	}
	if q := d.Stats().Outputs[0].Queued; q < n/2 {
		t.Logf("only %d alerts still queued at Close", q)
	}
	if err := d.Close(ctxTimeout(t, 20*time.Second)); err != nil {
		t.Fatal(err)
	}
	if got := slow.count(); got != n {
		t.Errorf("delivered %d of %d after Close", got, n)
	}
}

type slowOutput struct {
	countingOutput
	delay time.Duration
}

// Write sleeps every 20th alert, so the queue is still full when Close
// starts.
func (s *slowOutput) Write(a *Alert, r []byte) error {
	if s.count()%20 == 0 {
		time.Sleep(s.delay)
	}
	return s.countingOutput.Write(a, r)
}

func TestDispatcherPriorityFilter(t *testing.T) {
	all, severe := &countingOutput{name: "all"}, &countingOutput{name: "severe"}
	d := NewDispatcher(DispatcherOptions{Render: textRender},
		Channel{Output: all, MinPriority: MinPriority(rules.Debug)}, Channel{Output: severe, MinPriority: MinPriority(rules.Error)})
	for i, p := range []rules.Priority{rules.Emergency, rules.Error, rules.Warning, rules.Debug, rules.Critical} {
		d.Send(testAlert(i, p))
	}
	d.Close(ctxTimeout(t, 5*time.Second))
	if all.count() != 5 || severe.count() != 3 {
		t.Errorf("all=%d severe=%d, want 5 and 3", all.count(), severe.count())
	}
	if st := d.Stats().Outputs[1]; st.Filtered != 2 || st.Delivered != 3 {
		t.Errorf("severe stats %+v", st)
	}
}

func TestDispatcherRateLimit(t *testing.T) {
	now := time.Unix(1000, 0)
	clock := func() time.Time { return now }
	out := &countingOutput{name: "c"}
	d := NewDispatcher(DispatcherOptions{Render: textRender, Rate: 2, MaxBurst: 3, Now: clock}, Channel{Output: out})
	var accepted []bool
	for i := 0; i < 5; i++ {
		accepted = append(accepted, d.Send(testAlert(i, rules.Error)))
	}
	now = now.Add(time.Second) // +2 tokens
	for i := 5; i < 8; i++ {
		accepted = append(accepted, d.Send(testAlert(i, rules.Error)))
	}
	// Internal messages bypass the bucket.
	accepted = append(accepted, d.SendInternal(testAlert(8, rules.Debug)))
	want := []bool{true, true, true, false, false, true, true, false, true}
	for i := range want {
		if accepted[i] != want[i] {
			t.Errorf("alert %d accepted=%t, want %t", i, accepted[i], want[i])
		}
	}
	d.Close(ctxTimeout(t, 5*time.Second))
	st := d.Stats()
	if st.Received != 9 || st.RateLimited != 3 || st.Outputs[0].Delivered != 6 {
		t.Errorf("stats %+v", st)
	}
}

func TestTokenBucketRefillCapped(t *testing.T) {
	now := time.Unix(0, 0)
	b := NewTokenBucket(1, 2, func() time.Time { return now })
	b.Claim()
	b.Claim()
	if b.Claim() {
		t.Error("empty bucket gave a token")
	}
	now = now.Add(time.Hour)
	got := 0
	for b.Claim() {
		got++
	}
	if got != 2 {
		t.Errorf("after an hour %d tokens, want the burst of 2", got)
	}
}

type reopenCounter struct {
	countingOutput
	reopens int
}

func (r *reopenCounter) Reopen() error { r.reopens++; return nil }

func TestDispatcherReopen(t *testing.T) {
	r := &reopenCounter{countingOutput: countingOutput{name: "r"}}
	d := NewDispatcher(DispatcherOptions{Render: textRender}, Channel{Output: r})
	defer d.Close(ctxTimeout(t, time.Second))
	if err := d.Reopen(); err != nil || r.reopens != 1 {
		t.Errorf("Reopen: %v, %d calls", err, r.reopens)
	}
}
