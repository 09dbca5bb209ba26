// Package apptest makes, in one line each, what most tests need: a whole
// Caseward installation on a fresh store, a clock the test moves, services,
// and members of staff who can sign in.
package apptest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/caseward/caseward/internal/access"
	"github.com/caseward/caseward/internal/app"
	"github.com/caseward/caseward/internal/auth/password"
	"github.com/caseward/caseward/internal/staff"
	"github.com/caseward/caseward/internal/store"
	"github.com/caseward/caseward/internal/store/storetest"
	"github.com/pquerna/otp/totp"
)

// Clock is a clock the test sets and moves.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock starts at a fixed, ordinary moment.
func NewClock() *Clock { return &Clock{t: time.Date(2026, 11, 25, 9, 30, 0, 0, time.UTC)} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock on.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// cheapHasher keeps tests fast; production uses password.DefaultParams.
var cheapHasher = password.NewHasher(4, password.WithParams(password.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}))

// Env is an opened installation for a test.
type Env struct {
	*app.App
	Clock *Clock
	Loc   store.Location
}

// New opens a fresh installation on engine e, closed when the test ends.
// A nil clock means the real time (for browser tests, whose TOTP codes
// come from the real clock).
func New(t testing.TB, e store.Engine, clock *Clock) *Env {
	t.Helper()
	loc := storetest.New(t, e)
	now := time.Now
	if clock != nil {
		now = clock.Now
	}
	a, err := app.Open(context.Background(), app.Config{DataDir: loc.Dir, DatabaseURL: loc.URL, Hasher: cheapHasher}, now)
	if err != nil {
		t.Fatalf("open app: %v", err)
	}
	t.Cleanup(func() { a.Close() })
	return &Env{App: a, Clock: clock, Loc: loc}
}

// Each runs fn on every engine, each with a fresh installation and clock.
func Each(t *testing.T, fn func(t *testing.T, env *Env)) {
	t.Helper()
	for _, e := range storetest.Engines {
		t.Run(string(e), func(t *testing.T) {
			fn(t, New(t, e, NewClock()))
		})
	}
}

// Service adds a service.
func (env *Env) Service(t testing.TB, name string, shared bool) staff.Service {
	t.Helper()
	s, err := env.Staff.AddService(context.Background(), name, shared)
	if err != nil {
		t.Fatalf("add service %q: %v", name, err)
	}
	return s
}

// Person is a member of staff with what they sign in with.
type Person struct {
	staff.User
	Password   string
	TOTPSecret string
}

// Actor is the person as the gate sees them.
func (p Person) Actor() access.Actor { return p.User.Actor() }

// Code returns the person's TOTP code at time now.
func (p Person) Code(t testing.TB, now time.Time) string {
	t.Helper()
	c, err := totp.GenerateCode(p.TOTPSecret, now)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

var (
	seqMu sync.Mutex
	seq   int
)

// Person adds a member of staff with role, in the given services (names or ids).
func (env *Env) Person(t testing.TB, role access.Role, services ...string) Person {
	t.Helper()
	seqMu.Lock()
	seq++
	n := seq
	seqMu.Unlock()
	pw := fmt.Sprintf("correct horse battery staple %d", n)
	email := fmt.Sprintf("%s-%d@example.org", role, n)
	u, enrol, err := env.Staff.AddUser(context.Background(), staff.NewUser{
		Email: email, Name: "Test " + string(role), Role: role, Services: services, Password: pw,
	})
	if err != nil {
		t.Fatalf("add %s: %v", role, err)
	}
	return Person{User: u, Password: pw, TOTPSecret: enrol.Secret}
}
