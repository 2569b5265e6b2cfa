package output

import (
	"sync"
	"time"
)

// TokenBucket is Falco's token bucket: it starts full with maxBurst tokens,
// gains rate tokens per second up to maxBurst, and each accepted alert costs
// one token.
type TokenBucket struct {
	mu     sync.Mutex
	rate   float64
	max    float64
	tokens float64
	last   time.Time
	now    func() time.Time
}

// NewTokenBucket returns a full bucket. now is the clock (nil = time.Now).
func NewTokenBucket(rate float64, maxBurst int, now func() time.Time) *TokenBucket {
	if now == nil {
		now = time.Now
	}
	return &TokenBucket{rate: rate, max: float64(maxBurst), tokens: float64(maxBurst), last: now(), now: now}
}

// Claim takes one token and reports whether there was one.
func (b *TokenBucket) Claim() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	if elapsed := now.Sub(b.last).Seconds(); elapsed > 0 {
		b.tokens += elapsed * b.rate
		if b.tokens > b.max {
			b.tokens = b.max
		}
	}
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}
