package throttle

import (
	"math"
	"net/netip"
	"testing"
	"time"
)

var t0 = time.Date(2026, 4, 1, 10, 0, 0, 0, time.UTC)

func TestPolicies(t *testing.T) {
	t.Parallel()
	if got, want := AccountPolicy(), (Policy{5, time.Second, 15 * time.Minute, time.Hour}); got != want {
		t.Errorf("AccountPolicy() = %+v, want %+v", got, want)
	}
	if got, want := IPPolicy(), (Policy{20, time.Second, 15 * time.Minute, time.Hour}); got != want {
		t.Errorf("IPPolicy() = %+v, want %+v", got, want)
	}
	for _, p := range []Policy{AccountPolicy(), IPPolicy()} {
		if p.Window <= p.Max {
			t.Errorf("%+v: window does not exceed the longest wait", p)
		}
	}
}

func TestBackoff(t *testing.T) {
	t.Parallel()
	acct, ip := AccountPolicy(), IPPolicy()
	tests := []struct {
		name     string
		p        Policy
		failures int
		want     time.Duration
	}{
		{"account none", acct, 0, 0},
		{"account negative", acct, -3, 0},
		{"account 1", acct, 1, 0},
		{"account 4", acct, 4, 0},
		{"account 5", acct, 5, 1 * time.Second},
		{"account 6", acct, 6, 2 * time.Second},
		{"account 7", acct, 7, 4 * time.Second},
		{"account 8", acct, 8, 8 * time.Second},
		{"account 14", acct, 14, 512 * time.Second},
		{"account 15 capped", acct, 15, 15 * time.Minute},
		{"account 16 capped", acct, 16, 15 * time.Minute},
		{"account 1000 capped", acct, 1000, 15 * time.Minute},
		{"account maxint capped", acct, math.MaxInt, 15 * time.Minute},
		{"ip 5", ip, 5, 0},
		{"ip 19", ip, 19, 0},
		{"ip 20", ip, 20, 1 * time.Second},
		{"ip 21", ip, 21, 2 * time.Second},
		{"ip 30 capped", ip, 30, 15 * time.Minute},
		{"zero policy", Policy{}, 100, 0},
		{"no base", Policy{Threshold: 1, Max: time.Hour, Window: time.Hour}, 100, 0},
		{"no max", Policy{Threshold: 1, Base: time.Second, Window: time.Hour}, 100, 0},
		{"base above max", Policy{Threshold: 1, Base: time.Hour, Max: time.Minute, Window: time.Hour}, 1, time.Minute},
		{"huge max no overflow", Policy{Threshold: 1, Base: 3, Max: math.MaxInt64, Window: time.Hour}, 200, math.MaxInt64},
		{"max not a power of two", Policy{Threshold: 1, Base: time.Second, Max: 10 * time.Second, Window: time.Hour}, 5, 10 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.p.Backoff(tt.failures); got != tt.want {
				t.Fatalf("Backoff(%d) = %v, want %v", tt.failures, got, tt.want)
			}
		})
	}
}

func TestBackoffMonotonic(t *testing.T) {
	t.Parallel()
	for _, p := range []Policy{AccountPolicy(), IPPolicy()} {
		prev := time.Duration(0)
		for n := range 100 {
			d := p.Backoff(n)
			if d < prev || d > p.Max {
				t.Fatalf("%+v: Backoff(%d) = %v after %v", p, n, d, prev)
			}
			prev = d
		}
	}
}

func TestCount(t *testing.T) {
	t.Parallel()
	p := AccountPolicy()
	tests := []struct {
		name     string
		failures int
		last     time.Time
		now      time.Time
		want     int
	}{
		{"none", 0, time.Time{}, t0, 0},
		{"recent", 7, t0, t0.Add(time.Minute), 7},
		{"just inside window", 7, t0, t0.Add(time.Hour - time.Nanosecond), 7},
		{"window passed", 7, t0, t0.Add(time.Hour), 0},
		{"long ago", 7, t0, t0.Add(30 * 24 * time.Hour), 0},
		{"never failed zero time", 3, time.Time{}, t0, 0},
		{"clock stepped back", 7, t0, t0.Add(-time.Minute), 7},
		{"negative", -1, t0, t0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := p.Count(tt.failures, tt.last, tt.now); got != tt.want {
				t.Fatalf("Count(%d, %v, %v) = %d, want %d", tt.failures, tt.last, tt.now, got, tt.want)
			}
		})
	}
}

func TestDelay(t *testing.T) {
	t.Parallel()
	acct, ip := AccountPolicy(), IPPolicy()
	tests := []struct {
		name     string
		p        Policy
		failures int
		sinceAgo time.Duration // now - lastFailure
		want     time.Duration
	}{
		{"no failures", acct, 0, 0, 0},
		{"4 failures", acct, 4, 0, 0},
		{"5 failures, at once", acct, 5, 0, time.Second},
		{"5 failures, half waited", acct, 5, 500 * time.Millisecond, 500 * time.Millisecond},
		{"5 failures, waited", acct, 5, time.Second, 0},
		{"5 failures, waited longer", acct, 5, time.Minute, 0},
		{"7 failures, 1s later", acct, 7, time.Second, 3 * time.Second},
		{"capped, at once", acct, 40, 0, 15 * time.Minute},
		{"capped, 10 min later", acct, 40, 10 * time.Minute, 5 * time.Minute},
		{"capped, 15 min later", acct, 40, 15 * time.Minute, 0},
		{"capped, window passed", acct, 40, time.Hour, 0},
		{"ip 19 failures", ip, 19, 0, 0},
		{"ip 20 failures", ip, 20, 0, time.Second},
		{"ip 25 failures, 10s later", ip, 25, 10 * time.Second, 22 * time.Second},
		{"clock stepped back", acct, 6, -time.Hour, 2 * time.Second},
		{"zero policy", Policy{}, 1000, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			last := t0
			now := t0.Add(tt.sinceAgo)
			if got := tt.p.Delay(tt.failures, last, now); got != tt.want {
				t.Fatalf("Delay(%d, t0, t0%+v) = %v, want %v", tt.failures, tt.sinceAgo, got, tt.want)
			}
		})
	}
}

// TestNeverLockedOut plays an attacker who fails as fast as the policy
// allows, for a day, and checks that the owner is never made to wait more
// than the cap, and that an hour's quiet clears everything.
func TestNeverLockedOut(t *testing.T) {
	t.Parallel()
	p := AccountPolicy()
	now := t0
	failures, last := 0, time.Time{}
	for now.Before(t0.Add(24 * time.Hour)) {
		if d := p.Delay(failures, last, now); d > 0 {
			if d > p.Max {
				t.Fatalf("at %v wait %v exceeds cap %v", now, d, p.Max)
			}
			now = now.Add(d)
			continue
		}
		failures = p.Count(failures, last, now) + 1
		last = now
	}
	if failures < 15 {
		t.Fatalf("attacker made only %d failures in a day", failures)
	}
	quiet := last.Add(p.Window)
	if d := p.Delay(failures, last, quiet); d != 0 {
		t.Fatalf("after an hour's quiet the wait is %v", d)
	}
	if n := p.Count(failures, last, quiet); n != 0 {
		t.Fatalf("after an hour's quiet %d failures still count", n)
	}
}

func TestIPKey(t *testing.T) {
	t.Parallel()
	tests := []struct{ addr, want string }{
		{"192.0.2.7", "192.0.2.7"},
		{"::ffff:192.0.2.7", "192.0.2.7"},
		{"2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"},
		{"2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"},
		{"2001:db8:1:3::1", "2001:db8:1:3::/64"},
		{"fe80::1%eth0", "fe80::/64"},
		{"::1", "::/64"},
	}
	for _, tt := range tests {
		if got := IPKey(netip.MustParseAddr(tt.addr)); got != tt.want {
			t.Errorf("IPKey(%s) = %q, want %q", tt.addr, got, tt.want)
		}
	}
}
