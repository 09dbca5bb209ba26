// Package throttle slows down password guessing without ever locking a real
// person out for good.
//
// A [Policy] turns a count of recent failed sign-ins and the time of the last
// one into how long the next attempt must wait: nothing for the first few
// failures, then 1s, 2s, 4s … doubling up to a cap (15 minutes). Failures are
// forgotten once a whole window (an hour) passes without one, so an attacker
// can slow an account down but cannot lock its owner out: the wait never
// exceeds the cap, and an hour's quiet clears it.
//
// # Two keys, the larger wait
//
// The caller keeps two counts for each sign-in attempt and applies the
// larger of the two delays:
//
//   - per account, with [AccountPolicy] (waiting begins at 5 failures): stops
//     a slow, distributed guess at one account. In Caseward this counter is
//     persisted with the staff member in the staff store, so it survives
//     restarts and is shared by every instance; the staff store keeps the
//     count and the time of the last failure and applies [Policy.Delay] and
//     [Policy.Count] to them.
//   - per client address, with [IPPolicy] (waiting begins at 20 failures, so
//     that a whole office behind one NAT address is not held up by a few
//     typos): stops one machine spraying guesses across many accounts. Use
//     [IPKey] to form the key, so that an IPv6 client cannot dodge it by
//     changing the low bits of its address.
//
// An attempt refused because its wait has not elapsed is not a failure: do
// not check the password and do not record it. Otherwise each refused
// attempt would push the wait further out.
//
// [Limiter] keeps counts in memory, for a single instance (the per-address
// count, or tests); with several instances behind a load balancer each one
// counts separately, which only makes the limit per instance.
package throttle

import (
	"net/netip"
	"time"
)

// A Policy says how long to wait after repeated failures. Its methods are
// pure functions of their arguments. The zero Policy never asks anyone to
// wait; use [AccountPolicy] or [IPPolicy].
type Policy struct {
	// Threshold is the number of failures at which waiting begins: with 5,
	// four failures cost nothing and the fifth makes the next attempt wait
	// Base.
	Threshold int
	// Base is the first wait; each further failure doubles it.
	Base time.Duration
	// Max caps the wait.
	Max time.Duration
	// Window is how long without a failure before all failures are
	// forgotten. It should exceed Max, or a wait could outlast its cause.
	Window time.Duration
}

// AccountPolicy is the policy for failures counted per account: waiting
// begins at 5 failures, starts at 1 second, doubles to at most 15 minutes,
// and failures are forgotten after an hour without one.
func AccountPolicy() Policy {
	return Policy{Threshold: 5, Base: time.Second, Max: 15 * time.Minute, Window: time.Hour}
}

// IPPolicy is the policy for failures counted per client address: like
// [AccountPolicy], but waiting begins at 20 failures, because many staff may
// share one address.
func IPPolicy() Policy {
	p := AccountPolicy()
	p.Threshold = 20
	return p
}

// Count returns how many of failures still count at now: failures itself,
// or 0 if the last failure was a whole Window ago or more. To record a new
// failure, store Count(failures, lastFailure, now)+1 and now.
func (p Policy) Count(failures int, lastFailure, now time.Time) int {
	if failures <= 0 || now.Sub(lastFailure) >= p.Window {
		return 0
	}
	return failures
}

// Backoff returns the wait that failures recent failures earn, measured from
// the last of them: 0 below Threshold, then Base, 2×Base, 4×Base …, never
// more than Max.
func (p Policy) Backoff(failures int) time.Duration {
	if p.Threshold < 1 || failures < p.Threshold || p.Base <= 0 || p.Max <= 0 {
		return 0
	}
	d := min(p.Base, p.Max)
	for i := p.Threshold; i < failures && d < p.Max; i++ {
		if d > p.Max/2 {
			return p.Max // and doubling cannot overflow below
		}
		d *= 2
	}
	return d
}

// Delay returns how long from now the next attempt must wait, given the
// number of failures recorded and the time of the last one: the backoff
// that many failures earn, less the time already passed since lastFailure,
// and 0 once failures are forgotten (see [Policy.Count]). A lastFailure in
// the future (a clock stepped back) counts as now, so the wait is never
// longer than the backoff.
func (p Policy) Delay(failures int, lastFailure, now time.Time) time.Duration {
	n := p.Count(failures, lastFailure, now)
	if n == 0 {
		return 0
	}
	elapsed := max(now.Sub(lastFailure), 0)
	return max(p.Backoff(n)-elapsed, 0)
}

// IPKey returns the key under which to count failures from addr: the
// address itself for IPv4 (an IPv4-mapped IPv6 address counts as IPv4), and
// its /64 prefix for IPv6, since one subscriber usually holds a whole /64.
// The zone, if any, is dropped. addr must be valid.
func IPKey(addr netip.Addr) string {
	addr = addr.Unmap().WithZone("")
	if addr.Is6() {
		return netip.PrefixFrom(addr, 64).Masked().String()
	}
	return addr.String()
}
