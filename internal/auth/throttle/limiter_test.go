package throttle

import (
	"fmt"
	"sync"
	"testing"
	"time"
)

// fakeClock is a settable clock for a Limiter.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func TestLimiter(t *testing.T) {
	t.Parallel()
	type op struct {
		do   string // "fail", "ok", "wait" or "advance"
		key  string
		d    time.Duration // for "advance": how far; for "wait": the expected wait
		note string
	}
	tests := []struct {
		name string
		p    Policy
		ops  []op
	}{
		{"backoff doubles", AccountPolicy(), []op{
			{"fail", "a", 0, ""}, {"fail", "a", 0, ""}, {"fail", "a", 0, ""}, {"fail", "a", 0, ""},
			{"wait", "a", 0, "4 failures cost nothing"},
			{"fail", "a", 0, ""},
			{"wait", "a", time.Second, "5th failure"},
			{"advance", "", 400 * time.Millisecond, ""},
			{"wait", "a", 600 * time.Millisecond, "time passes"},
			{"advance", "", 600 * time.Millisecond, ""},
			{"wait", "a", 0, "waited"},
			{"fail", "a", 0, ""},
			{"wait", "a", 2 * time.Second, "6th failure"},
			{"fail", "a", 0, ""},
			{"wait", "a", 4 * time.Second, "7th failure"},
		}},
		{"keys are separate", AccountPolicy(), []op{
			{"fail", "a", 0, ""}, {"fail", "a", 0, ""}, {"fail", "a", 0, ""}, {"fail", "a", 0, ""}, {"fail", "a", 0, ""},
			{"wait", "a", time.Second, ""},
			{"wait", "b", 0, "other key untouched"},
			{"fail", "b", 0, ""},
			{"wait", "b", 0, ""},
		}},
		{"success forgets", AccountPolicy(), []op{
			{"fail", "a", 0, ""}, {"fail", "a", 0, ""}, {"fail", "a", 0, ""}, {"fail", "a", 0, ""}, {"fail", "a", 0, ""},
			{"wait", "a", time.Second, ""},
			{"ok", "a", 0, ""},
			{"wait", "a", 0, "after success"},
			{"fail", "a", 0, ""},
			{"wait", "a", 0, "count restarted"},
			{"ok", "never-seen", 0, "success on unknown key is harmless"},
		}},
		{"window forgets", AccountPolicy(), []op{
			{"fail", "a", 0, ""}, {"fail", "a", 0, ""}, {"fail", "a", 0, ""}, {"fail", "a", 0, ""},
			{"fail", "a", 0, ""}, {"fail", "a", 0, ""}, {"fail", "a", 0, ""},
			{"wait", "a", 4 * time.Second, ""},
			{"advance", "", 59 * time.Minute, ""},
			{"fail", "a", 0, "8th failure, still inside the window"},
			{"wait", "a", 8 * time.Second, ""},
			{"advance", "", time.Hour, ""},
			{"wait", "a", 0, "an hour of quiet"},
			{"fail", "a", 0, "counting starts again from 1"},
			{"fail", "a", 0, ""}, {"fail", "a", 0, ""}, {"fail", "a", 0, ""},
			{"wait", "a", 0, "4 failures in the new window"},
		}},
		{"capped", AccountPolicy(), func() []op {
			var ops []op
			for range 30 {
				ops = append(ops, op{"fail", "a", 0, ""})
			}
			return append(ops,
				op{"wait", "a", 15 * time.Minute, "cap"},
				op{"advance", "", 15 * time.Minute, ""},
				op{"wait", "a", 0, "cap elapsed"})
		}()},
		{"ip threshold", IPPolicy(), func() []op {
			var ops []op
			for range 19 {
				ops = append(ops, op{"fail", "192.0.2.1", 0, ""})
			}
			return append(ops,
				op{"wait", "192.0.2.1", 0, "19 failures behind a NAT"},
				op{"fail", "192.0.2.1", 0, ""},
				op{"wait", "192.0.2.1", time.Second, "20th failure"})
		}()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			clock := &fakeClock{now: t0}
			l := NewLimiter(tt.p, 0, clock.Now)
			for i, o := range tt.ops {
				switch o.do {
				case "fail":
					l.Failure(o.key)
				case "ok":
					l.Success(o.key)
				case "advance":
					clock.Advance(o.d)
				case "wait":
					if got := l.Wait(o.key); got != o.d {
						t.Fatalf("op %d (%s): Wait(%q) = %v, want %v", i, o.note, o.key, got, o.d)
					}
				default:
					t.Fatalf("op %d: unknown %q", i, o.do)
				}
			}
		})
	}
}

func TestLimiterWaitDropsExpired(t *testing.T) {
	t.Parallel()
	clock := &fakeClock{now: t0}
	l := NewLimiter(AccountPolicy(), 10, clock.Now)
	l.Failure("a")
	clock.Advance(time.Hour)
	if d := l.Wait("a"); d != 0 {
		t.Fatalf("Wait = %v, want 0", d)
	}
	if n := len(l.entries); n != 0 {
		t.Fatalf("%d entries after expiry, want 0", n)
	}
}

func TestLimiterBounded(t *testing.T) {
	t.Parallel()
	const limit = 5
	clock := &fakeClock{now: t0}
	l := NewLimiter(AccountPolicy(), limit, clock.Now)

	// "victim" fails often and first; then a flood of other keys arrives.
	for range 10 {
		l.Failure("victim")
	}
	clock.Advance(time.Second)
	for i := range 4 {
		l.Failure(fmt.Sprint("k", i))
		clock.Advance(time.Second)
	}
	if n := len(l.entries); n != limit {
		t.Fatalf("%d entries, want %d", n, limit)
	}
	// Full: a new key evicts the oldest last failure, the victim's.
	l.Failure("new")
	if n := len(l.entries); n != limit {
		t.Fatalf("%d entries after eviction, want %d", n, limit)
	}
	if _, ok := l.entries["victim"]; ok {
		t.Error("oldest key not evicted")
	}
	if _, ok := l.entries["new"]; !ok {
		t.Error("new key not stored")
	}
	// A known key never evicts anything.
	l.Failure("k3")
	if _, ok := l.entries["k0"]; !ok {
		t.Error("failure on a known key evicted another")
	}

	// Once entries have expired, a new key clears all of them, not only one.
	clock.Advance(2 * time.Hour)
	l.Failure("fresh")
	if n := len(l.entries); n != 1 {
		t.Fatalf("%d entries after expiry sweep, want 1", n)
	}
}

func TestLimiterDefaults(t *testing.T) {
	t.Parallel()
	l := NewLimiter(AccountPolicy(), 0, nil)
	if l.maxKeys != DefaultMaxKeys {
		t.Errorf("maxKeys = %d, want %d", l.maxKeys, DefaultMaxKeys)
	}
	if l.now == nil {
		t.Fatal("nil clock")
	}
	for range 5 {
		l.Failure("a")
	}
	if d := l.Wait("a"); d <= 0 || d > time.Second {
		t.Errorf("Wait with the real clock = %v, want in (0, 1s]", d)
	}
}

func TestLimiterConcurrent(t *testing.T) {
	t.Parallel()
	clock := &fakeClock{now: t0}
	l := NewLimiter(IPPolicy(), 50, clock.Now)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 500 {
				key := fmt.Sprint("k", (g*500+i)%80)
				l.Failure(key)
				l.Wait(key)
				if i%50 == 0 {
					l.Success(key)
					clock.Advance(time.Millisecond)
				}
			}
		})
	}
	wg.Wait()
	if n := len(l.entries); n > 50 {
		t.Fatalf("%d entries, bound is 50", n)
	}
}

func BenchmarkLimiterFailureFull(b *testing.B) {
	clock := &fakeClock{now: t0}
	l := NewLimiter(IPPolicy(), DefaultMaxKeys, clock.Now)
	for i := range DefaultMaxKeys {
		l.Failure(fmt.Sprint("k", i))
	}
	i := 0
	for b.Loop() {
		l.Failure(fmt.Sprint("x", i))
		i++
	}
}
