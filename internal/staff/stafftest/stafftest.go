// Package stafftest makes staff accounts for other packages' tests: a Store
// with a cheap password hash, an account of any role in one line, and codes
// from its authenticator secret.
package stafftest

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base32"
	"encoding/binary"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/caseward/caseward/internal/access"
	"github.com/caseward/caseward/internal/auth/password"
	"github.com/caseward/caseward/internal/auth/totp"
	"github.com/caseward/caseward/internal/staff"
	"github.com/caseward/caseward/internal/store"
)

// Password is the password of every account AddUser makes.
const Password = "a long test password for caseward staff"

// CheapHasher returns a Hasher with the cheapest Argon2id parameters the
// password package accepts, so that tests sign in quickly. Never use it
// outside tests.
func CheapHasher() *password.Hasher {
	return password.NewHasher(0, password.WithParams(password.Params{Memory: 8, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}))
}

// NewStore returns a staff Store over db with a cheap hasher and, if now is
// given, that clock.
func NewStore(t testing.TB, db *store.DB, now ...func() time.Time) *staff.Store {
	t.Helper()
	opts := staff.Options{Hasher: CheapHasher()}
	if len(now) > 0 {
		opts.Now = now[0]
	}
	s, err := staff.New(context.Background(), db, opts)
	if err != nil {
		t.Fatalf("stafftest: new store: %v", err)
	}
	return s
}

// AddUser makes an account with role in the services with serviceIDs, a
// unique email address and the password Password, and returns it with its
// TOTP secret (see Code).
func AddUser(t testing.TB, s *staff.Store, role access.Role, serviceIDs ...string) (staff.User, string) {
	t.Helper()
	id := store.NewID()
	u, enrol, err := s.AddUser(context.Background(), staff.NewUser{
		Email:    "staff-" + id[:10] + "@example.org",
		Name:     "Test " + string(role) + " " + id[:6],
		Role:     role,
		Services: serviceIDs,
		Password: Password,
	})
	if err != nil {
		t.Fatalf("stafftest: add %s: %v", role, err)
	}
	return u, enrol.Secret
}

// AddService makes a service with a unique name and returns its id.
func AddService(t testing.TB, s *staff.Store, sharedCaseload bool) string {
	t.Helper()
	svc, err := s.AddService(context.Background(), "Service "+store.NewID()[:10], sharedCaseload)
	if err != nil {
		t.Fatalf("stafftest: add service: %v", err)
	}
	return svc.ID
}

// SignIn makes an account as AddUser does and signs it in fully (password,
// code, rotated session) by the Store's clock, returning the account and
// its session token.
func SignIn(t testing.TB, s *staff.Store, role access.Role, serviceIDs ...string) (staff.User, string) {
	t.Helper()
	ctx := context.Background()
	u, secret := AddUser(t, s, role, serviceIDs...)
	if _, err := s.CheckPassword(ctx, u.Email, Password, "192.0.2.1"); err != nil {
		t.Fatalf("stafftest: check password: %v", err)
	}
	token, err := s.StartSession(ctx, u.ID)
	if err != nil {
		t.Fatalf("stafftest: start session: %v", err)
	}
	if err := s.CheckTOTP(ctx, u.ID, Code(secret, s.Now())); err != nil {
		t.Fatalf("stafftest: check code: %v", err)
	}
	if token, err = s.CompleteSecondFactor(ctx, token); err != nil {
		t.Fatalf("stafftest: complete second factor: %v", err)
	}
	return u, token
}

// Code returns the TOTP code for secret at now, as an authenticator app
// would show it (RFC 6238: HMAC-SHA1, 6 digits, 30-second steps).
func Code(secret string, now time.Time) string {
	key, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(strings.ToUpper(strings.TrimRight(secret, "=")))
	if err != nil {
		panic("stafftest: bad TOTP secret: " + err.Error())
	}
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], uint64(now.Unix()/totp.Period))
	mac := hmac.New(sha1.New, key)
	mac.Write(msg[:])
	sum := mac.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	n := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	return fmt.Sprintf("%06d", n%1_000_000)
}
