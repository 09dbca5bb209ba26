package throttle

import (
	"sync"
	"time"
)

// DefaultMaxKeys is the number of keys a [Limiter] remembers when
// [NewLimiter] is given no positive limit. At about a hundred bytes a key,
// 100,000 keys take some 10 MB.
const DefaultMaxKeys = 100_000

// A Limiter counts failures per key in memory and applies a [Policy] to
// them. It suits one instance: counts are lost on restart and not shared
// between instances. The per-account count that must survive both lives in
// the staff store, which applies the same Policy to its stored values; a
// Limiter is for per-address counting (see [IPKey]) and for tests.
//
// A Limiter remembers at most a fixed number of keys. When it is full and a
// new key fails, it forgets every key whose failures have expired or, if
// that frees nothing, the key whose last failure is oldest, whose wait has
// most probably elapsed already. Someone who sends failures from more keys
// than that can make it forget a key early; the persisted per-account count
// is not affected. Making room scans every key (about 2 ms for 100,000 keys),
// which is small beside the password hash each failure has already cost.
//
// A Limiter is safe for concurrent use.
type Limiter struct {
	policy  Policy
	now     func() time.Time
	maxKeys int

	mu      sync.Mutex
	entries map[string]entry
}

type entry struct {
	failures int
	last     time.Time
}

// NewLimiter returns a Limiter that applies p, remembers at most maxKeys keys
// ([DefaultMaxKeys] if maxKeys < 1) and reads the time from now (time.Now if
// nil).
func NewLimiter(p Policy, maxKeys int, now func() time.Time) *Limiter {
	if maxKeys < 1 {
		maxKeys = DefaultMaxKeys
	}
	if now == nil {
		now = time.Now
	}
	return &Limiter{policy: p, now: now, maxKeys: maxKeys, entries: make(map[string]entry)}
}

// Failure records a failed attempt for key, now. Do not call it for an
// attempt refused because [Limiter.Wait] was not yet zero.
func (l *Limiter) Failure(key string) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	e, known := l.entries[key]
	if !known && len(l.entries) >= l.maxKeys {
		l.evict(now)
	}
	l.entries[key] = entry{failures: l.policy.Count(e.failures, e.last, now) + 1, last: now}
}

// Success forgets key's failures. Call it with the account key after a
// successful sign-in. For an address key, consider letting failures expire
// instead: otherwise anyone who holds one valid account can clear their
// address's count by signing in between guesses at others.
func (l *Limiter) Success(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.entries, key)
}

// Wait returns how long from now the next attempt for key must wait; 0
// means it may go ahead.
func (l *Limiter) Wait(key string) time.Duration {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	e, ok := l.entries[key]
	if !ok {
		return 0
	}
	if l.policy.Count(e.failures, e.last, now) == 0 {
		delete(l.entries, key)
		return 0
	}
	return l.policy.Delay(e.failures, e.last, now)
}

// evict makes room for one key: it drops every expired key, or if there are
// none, the key whose last failure is oldest. l.mu must be held.
func (l *Limiter) evict(now time.Time) {
	var (
		oldestKey string
		oldest    time.Time
		found     bool
	)
	for k, e := range l.entries {
		if l.policy.Count(e.failures, e.last, now) == 0 {
			delete(l.entries, k) // deleting during range is allowed
			continue
		}
		if !found || e.last.Before(oldest) {
			oldestKey, oldest, found = k, e.last, true
		}
	}
	if len(l.entries) >= l.maxKeys && found {
		delete(l.entries, oldestKey)
	}
}
