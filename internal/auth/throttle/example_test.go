package throttle_test

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/caseward/caseward/internal/auth/throttle"
)

// A sign-in handler consults both keys and waits for the larger delay. The
// account's count would come from the staff store; here it is given.
func Example() {
	now := time.Date(2026, 4, 1, 10, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	perIP := throttle.NewLimiter(throttle.IPPolicy(), 0, clock)
	ipKey := throttle.IPKey(netip.MustParseAddr("2001:db8:1:2::99"))

	// Stored with the staff member: 6 failures, the last 1.5s ago.
	accountFailures, lastFailure := 6, now.Add(-1500*time.Millisecond)

	wait := max(
		throttle.AccountPolicy().Delay(accountFailures, lastFailure, now),
		perIP.Wait(ipKey),
	)
	fmt.Println(ipKey, wait)
	// Output: 2001:db8:1:2::/64 500ms
}
