package stafftest_test

import (
	"context"
	"testing"
	"time"

	"github.com/caseward/caseward/internal/access"
	"github.com/caseward/caseward/internal/auth/totp"
	"github.com/caseward/caseward/internal/staff/stafftest"
	"github.com/caseward/caseward/internal/store"
	"github.com/caseward/caseward/internal/store/storetest"
)

func TestSignIn(t *testing.T) {
	db := storetest.Open(t, store.SQLite, "data")
	s := stafftest.NewStore(t, db)
	svc := stafftest.AddService(t, s, false)
	u, token := stafftest.SignIn(t, s, access.Caseworker, svc)
	sess, got, err := s.Session(context.Background(), token)
	if err != nil || !sess.SecondFactorDone || got.ID != u.ID || !got.Actor().InService(svc) {
		t.Fatalf("Session = %+v, %+v, %v", sess, got, err)
	}
}

func TestCodeMatchesTOTP(t *testing.T) {
	secret, _, err := totp.Generate("Caseward", "a@example.org")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	if _, ok := totp.Validate(secret, stafftest.Code(secret, now), now, 0); !ok {
		t.Fatal("Code does not validate")
	}
	// RFC 6238 test vector (SHA-1, T = 59): 94287082, of which 6 digits.
	const rfcSecret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ" // "12345678901234567890"
	if got := stafftest.Code(rfcSecret, time.Unix(59, 0)); got != "287082" {
		t.Fatalf("RFC 6238 vector: %s", got)
	}
}
