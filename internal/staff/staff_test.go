package staff_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/caseward/caseward/internal/access"
	"github.com/caseward/caseward/internal/staff"
	"github.com/caseward/caseward/internal/staff/stafftest"
	"github.com/caseward/caseward/internal/store"
	"github.com/caseward/caseward/internal/store/storetest"
)

// clock is a fake clock the test moves.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock {
	// On a TOTP step boundary, so that a 30-second move is one step.
	return &clock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type env struct {
	ctx   context.Context
	db    *store.DB
	s     *staff.Store
	clock *clock
}

// eachEngine runs fn on SQLite and PostgreSQL with a fresh Store.
func eachEngine(t *testing.T, fn func(t *testing.T, e env)) {
	eachEngineOpts(t, staff.Options{}, fn)
}

func eachEngineOpts(t *testing.T, opts staff.Options, fn func(t *testing.T, e env)) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, loc store.Location) {
		ctx := context.Background()
		db, err := store.Open(ctx, loc, "data")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		c := newClock()
		opts := opts
		opts.Now = c.Now
		if opts.Hasher == nil {
			opts.Hasher = stafftest.CheapHasher()
		}
		s, err := staff.New(ctx, db, opts)
		if err != nil {
			t.Fatal(err)
		}
		// A second Store over the same database (another instance, a
		// restart) applies no migration twice.
		if _, err := staff.New(ctx, db, opts); err != nil {
			t.Fatal(err)
		}
		fn(t, env{ctx: ctx, db: db, s: s, clock: c})
	})
}

func count(t *testing.T, e env, table string) int {
	t.Helper()
	var n int
	if err := e.db.QueryRow(e.ctx, "SELECT COUNT(*) FROM "+table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// fields returns the field → message map of a validation error.
func fields(t *testing.T, err error) map[string]string {
	t.Helper()
	var v staff.ValidationErrors
	if !errors.As(err, &v) {
		t.Fatalf("error %v (%T) is not ValidationErrors", err, err)
	}
	m := map[string]string{}
	for _, f := range v {
		m[f.Field] = f.Message
	}
	return m
}

func TestServices(t *testing.T) {
	eachEngine(t, func(t *testing.T, e env) {
		c, err := e.s.AddService(e.ctx, "  Counselling ", false)
		if err != nil {
			t.Fatal(err)
		}
		if c.Name != "Counselling" || !store.ValidID(c.ID) || c.SharedCaseload || !c.CreatedAt.Equal(e.clock.Now()) {
			t.Fatalf("service = %+v", c)
		}
		a, err := e.s.AddService(e.ctx, "advocacy", true)
		if err != nil {
			t.Fatal(err)
		}

		_, err = e.s.AddService(e.ctx, "COUNSELLING", true)
		if !errors.Is(err, staff.ErrExists) {
			t.Fatalf("duplicate name: err = %v, want ErrExists", err)
		}
		if msg := fields(t, err)["name"]; msg != "A service with this name already exists" {
			t.Fatalf("duplicate name message = %q", msg)
		}
		for name, want := range map[string]string{
			"   ":                    "Enter a service name",
			strings.Repeat("é", 101): "A service name must be 100 characters or fewer",
			"Tab\there":              "A service name must not contain control characters",
			strings.Repeat("é", 100): "",
		} {
			_, err := e.s.AddService(e.ctx, name, false)
			if want == "" {
				if err != nil {
					t.Fatalf("AddService(100 characters) = %v", err)
				}
				continue
			}
			var ve *staff.ValidationError
			if !errors.As(err, &ve) || ve.Field != "name" || ve.Message != want {
				t.Fatalf("AddService(%q) = %v, want %q on name", name, err, want)
			}
		}
		if n := count(t, e, "services"); n != 3 {
			t.Fatalf("%d services, want 3", n)
		}

		svcs, err := e.s.Services(e.ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(svcs) != 3 || svcs[0].ID != a.ID || svcs[1].ID != c.ID || !svcs[0].SharedCaseload {
			t.Fatalf("Services = %+v", svcs)
		}
		got, err := e.s.ServiceByName(e.ctx, "ADVOCACY")
		if err != nil || got != a {
			t.Fatalf("ServiceByName = %+v, %v; want %+v", got, err, a)
		}
		if got, err := e.s.ServiceByID(e.ctx, c.ID); err != nil || got != c {
			t.Fatalf("ServiceByID = %+v, %v", got, err)
		}
		if _, err := e.s.ServiceByID(e.ctx, store.NewID()); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("ServiceByID(unknown) = %v", err)
		}
		if _, err := e.s.ServiceByName(e.ctx, "welfare"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("ServiceByName(unknown) = %v", err)
		}

		// Package gate reads exactly these columns.
		var shared int64
		if err := e.db.QueryRow(e.ctx, "SELECT caseload_shared FROM services WHERE id = ?", a.ID).Scan(&shared); err != nil || shared != 1 {
			t.Fatalf("caseload_shared = %d, %v", shared, err)
		}
	})
}

func TestAddUser(t *testing.T) {
	eachEngine(t, func(t *testing.T, e env) {
		svc, err := e.s.AddService(e.ctx, "Counselling", false)
		if err != nil {
			t.Fatal(err)
		}
		other, err := e.s.AddService(e.ctx, "Advocacy", false)
		if err != nil {
			t.Fatal(err)
		}
		u, enrol, err := e.s.AddUser(e.ctx, staff.NewUser{
			Email:    " Sam.Worker@Example.org ",
			Name:     " Sam Worker ",
			Role:     access.Caseworker,
			Services: []string{"counselling", other.ID, svc.ID},
			Password: stafftest.Password,
		})
		if err != nil {
			t.Fatal(err)
		}
		if u.Email != "Sam.Worker@Example.org" || u.Name != "Sam Worker" || u.Role != access.Caseworker || u.Disabled ||
			len(u.Services) != 2 || !u.CreatedAt.Equal(e.clock.Now()) {
			t.Fatalf("user = %+v", u)
		}
		if enrol.Secret == "" || !strings.HasPrefix(enrol.URI, "otpauth://totp/Caseward:") {
			t.Fatalf("enrolment = %+v", enrol)
		}
		act := u.Actor()
		if act.UserID != u.ID || act.Role != access.Caseworker || !act.InService(svc.ID) || !act.InService(other.ID) {
			t.Fatalf("actor = %+v", act)
		}

		for _, email := range []string{"sam.worker@example.org", "SAM.WORKER@EXAMPLE.ORG"} {
			got, err := e.s.UserByEmail(e.ctx, email)
			if err != nil || got.ID != u.ID || len(got.Services) != 2 {
				t.Fatalf("UserByEmail(%q) = %+v, %v", email, got, err)
			}
		}
		if got, err := e.s.UserByID(e.ctx, u.ID); err != nil || got.Email != u.Email || got.Services[0] != u.Services[0] {
			t.Fatalf("UserByID = %+v, %v", got, err)
		}
		if _, err := e.s.UserByID(e.ctx, store.NewID()); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("UserByID(unknown) = %v", err)
		}
		if _, err := e.s.UserByEmail(e.ctx, "nobody@example.org"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("UserByEmail(unknown) = %v", err)
		}

		// The same address in another case is a duplicate.
		_, _, err = e.s.AddUser(e.ctx, staff.NewUser{Email: "SAM.worker@example.org", Name: "Sam Again", Role: access.DPO, Password: stafftest.Password})
		if !errors.Is(err, staff.ErrExists) || fields(t, err)["email"] != "An account with this email address already exists" {
			t.Fatalf("duplicate email: %v", err)
		}

		dpo, _, err := e.s.AddUser(e.ctx, staff.NewUser{Email: "dpo@example.org", Name: "alex dpo", Role: access.DPO, Password: stafftest.Password})
		if err != nil {
			t.Fatalf("DPO without services: %v", err)
		}
		users, err := e.s.Users(e.ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(users) != 2 || users[0].ID != dpo.ID || users[1].ID != u.ID || len(users[1].Services) != 2 || len(users[0].Services) != 0 {
			t.Fatalf("Users = %+v", users)
		}

		// Disabled accounts act as nobody.
		if err := e.s.DisableUser(e.ctx, dpo.ID); err != nil {
			t.Fatal(err)
		}
		if got, err := e.s.UserByID(e.ctx, dpo.ID); err != nil || !got.Disabled || got.Actor().UserID != "" {
			t.Fatalf("disabled user = %+v, actor %+v, %v", got, got.Actor(), err)
		}
		if err := e.s.EnableUser(e.ctx, dpo.ID); err != nil {
			t.Fatal(err)
		}
		if err := e.s.DisableUser(e.ctx, store.NewID()); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("DisableUser(unknown) = %v", err)
		}

		up, err := e.s.UpdateUser(e.ctx, u.ID, staff.UserUpdate{Name: "Sam Manager", Role: access.Manager, Services: []string{other.ID}})
		if err != nil || up.Role != access.Manager || up.Name != "Sam Manager" || len(up.Services) != 1 || up.Services[0] != other.ID {
			t.Fatalf("UpdateUser = %+v, %v", up, err)
		}
		_, err = e.s.UpdateUser(e.ctx, u.ID, staff.UserUpdate{Name: "", Role: access.Manager})
		if f := fields(t, err); f["name"] != "Enter a name" || f["services"] != "Select at least one service" {
			t.Fatalf("UpdateUser(bad) = %v", err)
		}
		if _, err := e.s.UpdateUser(e.ctx, store.NewID(), staff.UserUpdate{Name: "X", Role: access.DPO}); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("UpdateUser(unknown) = %v", err)
		}
	})
}

func TestAddUserValidation(t *testing.T) {
	eachEngine(t, func(t *testing.T, e env) {
		if _, err := e.s.AddService(e.ctx, "Counselling", false); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			name string
			nu   staff.NewUser
			want map[string]string
		}{
			{
				name: "everything wrong",
				nu:   staff.NewUser{Email: "not an email", Name: " ", Role: "boss", Services: []string{"Welfare"}, Password: "short"},
				want: map[string]string{
					"email":    "Enter an email address in the correct format, like name@example.org",
					"name":     "Enter a name",
					"role":     "Select a role",
					"services": `There is no service called "Welfare"`,
					"password": "",
				},
			},
			{
				name: "empty",
				nu:   staff.NewUser{Role: access.Manager},
				want: map[string]string{
					"email":    "Enter an email address",
					"name":     "Enter a name",
					"services": "Select at least one service",
					"password": "",
				},
			},
			{
				name: "common password, long name",
				nu:   staff.NewUser{Email: "a@b.org", Name: strings.Repeat("n", 101), Role: access.DPO, Password: "password1234"},
				want: map[string]string{
					"name":     "A name must be 100 characters or fewer",
					"password": "",
				},
			},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, _, err := e.s.AddUser(e.ctx, tc.nu)
				got := fields(t, err)
				if len(got) != len(tc.want) {
					t.Fatalf("fields = %v, want %v", got, tc.want)
				}
				for f, msg := range tc.want {
					if _, ok := got[f]; !ok {
						t.Errorf("no message for %s", f)
					}
					if msg != "" && got[f] != msg {
						t.Errorf("%s: %q, want %q", f, got[f], msg)
					}
				}
				if tc.nu.Password != "" && strings.Contains(got["password"], tc.nu.Password) {
					t.Errorf("password message repeats the password")
				}
			})
		}
		if n := count(t, e, "users"); n != 0 {
			t.Fatalf("%d users written by failed AddUser", n)
		}
	})
}

func TestSealedSecret(t *testing.T) {
	key := make([]byte, 32)
	for i := range key {
		key[i] = byte(i)
	}
	eachEngineOpts(t, staff.Options{SecretKey: key, Issuer: "Safe Harbour"}, func(t *testing.T, e env) {
		u, enrol, err := e.s.AddUser(e.ctx, staff.NewUser{Email: "a@example.org", Name: "A", Role: access.DPO, Password: stafftest.Password})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(enrol.URI, "otpauth://totp/Safe%20Harbour:") {
			t.Fatalf("URI = %q", enrol.URI)
		}
		var stored []byte
		if err := e.db.QueryRow(e.ctx, "SELECT totp_secret FROM users WHERE id = ?", u.ID).Scan(&stored); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(stored), enrol.Secret) || stored[0] != 1 {
			t.Fatalf("TOTP secret stored in clear")
		}
		if err := e.s.CheckTOTP(e.ctx, u.ID, stafftest.Code(enrol.Secret, e.clock.Now())); err != nil {
			t.Fatalf("CheckTOTP with sealed secret: %v", err)
		}

		// A sealed secret moved to another account does not open.
		v, _, err := e.s.AddUser(e.ctx, staff.NewUser{Email: "b@example.org", Name: "B", Role: access.DPO, Password: stafftest.Password})
		if err != nil {
			t.Fatal(err)
		}
		if err := e.db.Tx(e.ctx, func(tx *store.Tx) error {
			_, err := tx.Exec(e.ctx, "UPDATE users SET totp_secret = ? WHERE id = ?", stored, v.ID)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		e.clock.Add(30 * time.Second)
		err = e.s.CheckTOTP(e.ctx, v.ID, stafftest.Code(enrol.Secret, e.clock.Now()))
		if err == nil || errors.Is(err, staff.ErrBadCode) {
			t.Fatalf("moved secret: err = %v, want an internal error", err)
		}
	})
}

func TestCheckPasswordSameAnswer(t *testing.T) {
	eachEngine(t, func(t *testing.T, e env) {
		u, _ := stafftest.AddUser(t, e.s, access.DPO)
		off, _ := stafftest.AddUser(t, e.s, access.DPO)
		if err := e.s.DisableUser(e.ctx, off.ID); err != nil {
			t.Fatal(err)
		}
		got, err := e.s.CheckPassword(e.ctx, strings.ToUpper(u.Email), stafftest.Password, "192.0.2.1")
		if err != nil || got.ID != u.ID {
			t.Fatalf("right password: %+v, %v", got, err)
		}
		var errs []error
		for _, try := range []struct{ email, pw string }{
			{"nobody@example.org", stafftest.Password}, // unknown account
			{u.Email, "wrong password, quite long"},    // wrong password
			{off.Email, stafftest.Password},            // disabled account
			{"", ""},
		} {
			_, err := e.s.CheckPassword(e.ctx, try.email, try.pw, "192.0.2.1")
			errs = append(errs, err)
		}
		for i, err := range errs {
			if err != staff.ErrBadCredentials {
				t.Errorf("attempt %d: err = %v, want exactly ErrBadCredentials", i, err)
			}
		}
		// An unknown address leaves the same trace as a known one.
		if n := count(t, e, "signin_failures"); n != 4 {
			t.Errorf("%d failure rows, want 4 (known, unknown, disabled, empty)", n)
		}
	})
}

func TestThrottle(t *testing.T) {
	eachEngine(t, func(t *testing.T, e env) {
		u, _ := stafftest.AddUser(t, e.s, access.Caseworker, stafftest.AddService(t, e.s, false))
		wrong := "not the password at all"

		for _, email := range []string{u.Email, "nobody@example.org"} {
			// Four failures cost nothing; the fifth makes the next wait.
			for i := range 5 {
				if _, err := e.s.CheckPassword(e.ctx, email, wrong, "192.0.2.7"); err != staff.ErrBadCredentials {
					t.Fatalf("failure %d: %v", i+1, err)
				}
			}
			var te *staff.ThrottledError
			_, err := e.s.CheckPassword(e.ctx, email, stafftest.Password, "192.0.2.7")
			if !errors.As(err, &te) || te.Wait != time.Second {
				t.Fatalf("sixth attempt: %v, want a 1s wait", err)
			}
			if te.Error() != "Too many attempts. Wait 1 second and try again." {
				t.Errorf("message = %q", te.Error())
			}
			// The wait grows with each failure...
			for _, want := range []time.Duration{2 * time.Second, 4 * time.Second, 8 * time.Second} {
				e.clock.Add(want / 2)
				if _, err := e.s.CheckPassword(e.ctx, email, wrong, "192.0.2.7"); err != staff.ErrBadCredentials {
					t.Fatalf("after wait: %v", err)
				}
				_, err := e.s.CheckPassword(e.ctx, email, wrong, "192.0.2.7")
				if !errors.As(err, &te) || te.Wait != want {
					t.Fatalf("wait = %v, want %v", err, want)
				}
			}
			// ... and is forgotten after an hour without failure: no lock-out.
			e.clock.Add(time.Hour)
			for i := range 4 {
				if _, err := e.s.CheckPassword(e.ctx, email, wrong, "192.0.2.7"); err != staff.ErrBadCredentials {
					t.Fatalf("after an hour, failure %d: %v", i+1, err)
				}
			}
			e.clock.Add(time.Hour)
		}

		// The account itself signs in after the hour.
		if _, err := e.s.CheckPassword(e.ctx, u.Email, stafftest.Password, "192.0.2.7"); err != nil {
			t.Fatalf("sign in after the hour: %v", err)
		}

		// One address spraying many accounts is slowed after 20 failures,
		// other addresses are not.
		e.clock.Add(2 * time.Hour)
		for i := range 20 {
			if _, err := e.s.CheckPassword(e.ctx, "guess"+string(rune('a'+i))+"@example.org", wrong, "2001:db8::1"); err != staff.ErrBadCredentials {
				t.Fatalf("spray %d: %v", i, err)
			}
		}
		var te *staff.ThrottledError
		if _, err := e.s.CheckPassword(e.ctx, u.Email, stafftest.Password, "[2001:db8::2]:443"); !errors.As(err, &te) {
			t.Fatalf("same /64: %v, want throttled", err)
		}
		if _, err := e.s.CheckPassword(e.ctx, u.Email, stafftest.Password, "198.51.100.1"); err != nil {
			t.Fatalf("other address: %v", err)
		}
	})
}

func TestTOTP(t *testing.T) {
	eachEngine(t, func(t *testing.T, e env) {
		u, secret := stafftest.AddUser(t, e.s, access.Sysadmin)
		code := stafftest.Code(secret, e.clock.Now())
		if err := e.s.CheckTOTP(e.ctx, u.ID, code); err != nil {
			t.Fatalf("first use: %v", err)
		}
		if err := e.s.CheckTOTP(e.ctx, u.ID, code); err != staff.ErrBadCode {
			t.Fatalf("replay: %v, want ErrBadCode", err)
		}
		e.clock.Add(20 * time.Second) // same step still
		if err := e.s.CheckTOTP(e.ctx, u.ID, code); err != staff.ErrBadCode {
			t.Fatalf("replay in the same step: %v, want ErrBadCode", err)
		}
		e.clock.Add(10 * time.Second)
		if err := e.s.CheckTOTP(e.ctx, u.ID, stafftest.Code(secret, e.clock.Now())); err != nil {
			t.Fatalf("next step: %v", err)
		}
		if err := e.s.CheckTOTP(e.ctx, store.NewID(), code); err != staff.ErrBadCode {
			t.Fatalf("unknown user: %v", err)
		}

		// Wrong codes count towards the account's throttle, and a right
		// password in between does not clear them.
		for i := range 4 {
			if err := e.s.CheckTOTP(e.ctx, u.ID, "000000"); err != staff.ErrBadCode {
				t.Fatalf("wrong code %d: %v", i, err)
			}
		}
		if _, err := e.s.CheckPassword(e.ctx, u.Email, stafftest.Password, "192.0.2.1"); err != nil {
			t.Fatal(err)
		}
		if err := e.s.CheckTOTP(e.ctx, u.ID, "000000"); err != staff.ErrBadCode {
			t.Fatal(err)
		}
		var te *staff.ThrottledError
		if err := e.s.CheckTOTP(e.ctx, u.ID, stafftest.Code(secret, e.clock.Now())); !errors.As(err, &te) {
			t.Fatalf("after 5 wrong codes: %v, want throttled", err)
		}
		if _, err := e.s.CheckPassword(e.ctx, u.Email, stafftest.Password, "192.0.2.1"); !errors.As(err, &te) {
			t.Fatalf("password after 5 wrong codes: %v, want throttled", err)
		}
		e.clock.Add(te.Wait + 30*time.Second)
		if err := e.s.CheckTOTP(e.ctx, u.ID, stafftest.Code(secret, e.clock.Now())); err != nil {
			t.Fatalf("after the wait: %v", err)
		}
		// Success cleared the count.
		for i := range 4 {
			if err := e.s.CheckTOTP(e.ctx, u.ID, "000000"); err != staff.ErrBadCode {
				t.Fatalf("wrong code %d after success: %v", i, err)
			}
		}

		// A new secret replaces the old one at once.
		e.clock.Add(time.Hour)
		enrol, err := e.s.ResetSecondFactor(e.ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.s.CheckTOTP(e.ctx, u.ID, stafftest.Code(secret, e.clock.Now())); err != staff.ErrBadCode {
			t.Fatalf("old secret after reset: %v", err)
		}
		if err := e.s.CheckTOTP(e.ctx, u.ID, stafftest.Code(enrol.Secret, e.clock.Now())); err != nil {
			t.Fatalf("new secret: %v", err)
		}
	})
}

func TestSessions(t *testing.T) {
	eachEngine(t, func(t *testing.T, e env) {
		u, secret := stafftest.AddUser(t, e.s, access.Caseworker, stafftest.AddService(t, e.s, false))
		start := e.clock.Now()
		pending, err := e.s.StartSession(e.ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		sess, got, err := e.s.Session(e.ctx, pending)
		if err != nil || sess.SecondFactorDone || got.ID != u.ID || sess.RecentlyAuthenticated(e.clock.Now()) || len(sess.ID) != 8 {
			t.Fatalf("pending session = %+v, %+v, %v", sess, got, err)
		}
		if err := e.s.Reauthenticate(e.ctx, pending); err != staff.ErrNoSession {
			t.Fatalf("Reauthenticate(pending) = %v", err)
		}
		// Only the hash is stored.
		var stored string
		if err := e.db.QueryRow(e.ctx, "SELECT id_hash FROM sessions").Scan(&stored); err != nil || stored == pending || !strings.HasPrefix(stored, sess.ID) {
			t.Fatalf("stored %q for token %q (%v)", stored, pending, err)
		}

		if err := e.s.CheckTOTP(e.ctx, u.ID, stafftest.Code(secret, e.clock.Now())); err != nil {
			t.Fatal(err)
		}
		e.clock.Add(10 * time.Second)
		token, err := e.s.CompleteSecondFactor(e.ctx, pending)
		if err != nil {
			t.Fatal(err)
		}
		if token == pending {
			t.Fatal("token not rotated")
		}
		if _, _, err := e.s.Session(e.ctx, pending); err != staff.ErrNoSession {
			t.Fatalf("old token after rotation: %v", err)
		}
		if _, err := e.s.CompleteSecondFactor(e.ctx, pending); err != staff.ErrNoSession {
			t.Fatalf("CompleteSecondFactor(old token) = %v", err)
		}
		sess, _, err = e.s.Session(e.ctx, token)
		if err != nil || !sess.SecondFactorDone || !sess.CreatedAt.Equal(start) || !sess.RecentlyAuthenticated(e.clock.Now()) {
			t.Fatalf("session = %+v, %v", sess, err)
		}
		e.clock.Add(staff.ReauthWindow)
		if sess, _, _ := e.s.Session(e.ctx, token); sess.RecentlyAuthenticated(e.s.Now()) {
			t.Fatal("still recently authenticated after the window")
		}
		if err := e.s.Reauthenticate(e.ctx, token); err != nil {
			t.Fatal(err)
		}
		if sess, _, _ := e.s.Session(e.ctx, token); !sess.RecentlyAuthenticated(e.s.Now()) {
			t.Fatal("not recently authenticated after Reauthenticate")
		}

		// last_seen is written at most once a minute.
		lastSeen := func() time.Time {
			var us int64
			if err := e.db.QueryRow(e.ctx, "SELECT last_seen_at FROM sessions WHERE user_id = ?", u.ID).Scan(&us); err != nil {
				t.Fatal(err)
			}
			return time.UnixMicro(us).UTC()
		}
		before := lastSeen()
		e.clock.Add(30 * time.Second)
		if _, _, err := e.s.Session(e.ctx, token); err != nil || !lastSeen().Equal(before) {
			t.Fatalf("last_seen written within a minute (%v)", err)
		}
		e.clock.Add(30 * time.Second)
		if _, _, err := e.s.Session(e.ctx, token); err != nil || !lastSeen().Equal(e.clock.Now()) {
			t.Fatalf("last_seen not slid after a minute (%v)", err)
		}

		// Idle expiry: used every 29 minutes it lives; 30 idle minutes end it.
		for range 3 {
			e.clock.Add(29 * time.Minute)
			if _, _, err := e.s.Session(e.ctx, token); err != nil {
				t.Fatalf("used after 29 minutes: %v", err)
			}
		}
		e.clock.Add(staff.IdleTimeout)
		if _, _, err := e.s.Session(e.ctx, token); err != staff.ErrNoSession {
			t.Fatalf("idle 30 minutes: %v", err)
		}

		// Absolute expiry: 12 hours after sign-in, however busy.
		token = signIn(t, e, u, secret)
		signedIn := e.clock.Now()
		for e.clock.Now().Add(20 * time.Minute).Before(signedIn.Add(staff.AbsoluteTimeout)) {
			e.clock.Add(20 * time.Minute)
			if _, _, err := e.s.Session(e.ctx, token); err != nil {
				t.Fatalf("busy session at %v: %v", e.clock.Now().Sub(signedIn), err)
			}
		}
		e.clock.Add(signedIn.Add(staff.AbsoluteTimeout).Sub(e.clock.Now()))
		if _, _, err := e.s.Session(e.ctx, token); err != staff.ErrNoSession {
			t.Fatalf("after 12 hours: %v", err)
		}

		// A second factor not done in time ends the session.
		pending, err = e.s.StartSession(e.ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		e.clock.Add(staff.SecondFactorTimeout)
		if _, err := e.s.CompleteSecondFactor(e.ctx, pending); err != staff.ErrNoSession {
			t.Fatalf("late second factor: %v", err)
		}

		// Sign out, and sign out everywhere.
		e.clock.Add(time.Minute)
		a, b, c := signIn(t, e, u, secret), signIn(t, e, u, secret), signIn(t, e, u, secret)
		if err := e.s.EndSession(e.ctx, a); err != nil {
			t.Fatal(err)
		}
		if _, _, err := e.s.Session(e.ctx, a); err != staff.ErrNoSession {
			t.Fatalf("ended session: %v", err)
		}
		if _, _, err := e.s.Session(e.ctx, b); err != nil {
			t.Fatalf("other session ended too: %v", err)
		}
		if err := e.s.EndAllSessions(e.ctx, u.ID); err != nil {
			t.Fatal(err)
		}
		for _, tok := range []string{b, c} {
			if _, _, err := e.s.Session(e.ctx, tok); err != staff.ErrNoSession {
				t.Fatalf("after sign out everywhere: %v", err)
			}
		}

		// Disabling ends sessions; a disabled account cannot start one.
		d := signIn(t, e, u, secret)
		if err := e.s.DisableUser(e.ctx, u.ID); err != nil {
			t.Fatal(err)
		}
		if _, _, err := e.s.Session(e.ctx, d); err != staff.ErrNoSession {
			t.Fatalf("disabled: %v", err)
		}
		if _, err := e.s.StartSession(e.ctx, u.ID); err != staff.ErrNoSession {
			t.Fatalf("StartSession(disabled) = %v", err)
		}
		for _, tok := range []string{"", strings.Repeat("x", 1000), "garbage"} {
			if _, _, err := e.s.Session(e.ctx, tok); err != staff.ErrNoSession {
				t.Fatalf("Session(%.10q) = %v", tok, err)
			}
		}

		e.clock.Add(13 * time.Hour)
		if err := e.s.PurgeExpired(e.ctx); err != nil {
			t.Fatal(err)
		}
		if n := count(t, e, "sessions"); n != 0 {
			t.Fatalf("%d sessions left after purge", n)
		}
	})
}

// signIn signs u in fully, one TOTP step after the last sign-in.
func signIn(t *testing.T, e env, u staff.User, secret string) string {
	t.Helper()
	e.clock.Add(30 * time.Second)
	if _, err := e.s.CheckPassword(e.ctx, u.Email, stafftest.Password, "192.0.2.1"); err != nil {
		t.Fatal(err)
	}
	tok, err := e.s.StartSession(e.ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.s.CheckTOTP(e.ctx, u.ID, stafftest.Code(secret, e.clock.Now())); err != nil {
		t.Fatal(err)
	}
	tok, err = e.s.CompleteSecondFactor(e.ctx, tok)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestSetPassword(t *testing.T) {
	eachEngine(t, func(t *testing.T, e env) {
		u, secret := stafftest.AddUser(t, e.s, access.DPO)
		tok := signIn(t, e, u, secret)
		err := e.s.SetPassword(e.ctx, u.ID, "short")
		if f := fields(t, err); f["password"] == "" || len(f) != 1 {
			t.Fatalf("SetPassword(short) = %v", err)
		}
		if err := e.s.SetPassword(e.ctx, store.NewID(), "a brand new long password"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("SetPassword(unknown) = %v", err)
		}
		if err := e.s.SetPassword(e.ctx, u.ID, "a brand new long password"); err != nil {
			t.Fatal(err)
		}
		if _, _, err := e.s.Session(e.ctx, tok); err != staff.ErrNoSession {
			t.Fatalf("session after password change: %v", err)
		}
		if _, err := e.s.CheckPassword(e.ctx, u.Email, stafftest.Password, "192.0.2.1"); err != staff.ErrBadCredentials {
			t.Fatalf("old password: %v", err)
		}
		if _, err := e.s.CheckPassword(e.ctx, u.Email, "a brand new long password", "192.0.2.1"); err != nil {
			t.Fatalf("new password: %v", err)
		}
	})
}

func TestAPITokens(t *testing.T) {
	eachEngine(t, func(t *testing.T, e env) {
		u, _ := stafftest.AddUser(t, e.s, access.Manager, stafftest.AddService(t, e.s, true))
		tok, err := e.s.CreateToken(e.ctx, strings.ToUpper(u.Email), 24*time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(tok, staff.TokenPrefix) || len(tok) < 50 {
			t.Fatalf("token %q", tok)
		}
		var stored string
		if err := e.db.QueryRow(e.ctx, "SELECT id_hash FROM api_tokens").Scan(&stored); err != nil || strings.Contains(stored, tok[3:]) || !strings.HasPrefix(stored, staff.LogID(tok)) {
			t.Fatalf("stored %q (%v)", stored, err)
		}
		got, err := e.s.TokenUser(e.ctx, tok)
		if err != nil || got.ID != u.ID || got.Role != access.Manager {
			t.Fatalf("TokenUser = %+v, %v", got, err)
		}
		for _, bad := range []string{"", tok[3:], tok + "x", "cw_" + strings.Repeat("a", 52)} {
			if _, err := e.s.TokenUser(e.ctx, bad); err != staff.ErrNoSession {
				t.Fatalf("TokenUser(%.12q) = %v", bad, err)
			}
		}
		e.clock.Add(24*time.Hour - time.Microsecond)
		if _, err := e.s.TokenUser(e.ctx, tok); err != nil {
			t.Fatalf("just before expiry: %v", err)
		}
		e.clock.Add(time.Microsecond)
		if _, err := e.s.TokenUser(e.ctx, tok); err != staff.ErrNoSession {
			t.Fatalf("expired: %v", err)
		}

		tok, err = e.s.CreateToken(e.ctx, u.Email, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.s.RevokeToken(e.ctx, tok); err != nil {
			t.Fatal(err)
		}
		if _, err := e.s.TokenUser(e.ctx, tok); err != staff.ErrNoSession {
			t.Fatalf("revoked: %v", err)
		}
		tok, err = e.s.CreateToken(e.ctx, u.Email, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.s.DisableUser(e.ctx, u.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := e.s.TokenUser(e.ctx, tok); err != staff.ErrNoSession {
			t.Fatalf("disabled: %v", err)
		}
		if _, err := e.s.CreateToken(e.ctx, u.Email, time.Hour); !errors.Is(err, staff.ErrDisabled) {
			t.Fatalf("CreateToken(disabled) = %v", err)
		}
		if _, err := e.s.CreateToken(e.ctx, "nobody@example.org", time.Hour); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("CreateToken(unknown) = %v", err)
		}
		for _, ttl := range []time.Duration{0, -time.Hour, staff.MaxTokenTTL + 1} {
			if _, err := e.s.CreateToken(e.ctx, u.Email, ttl); err == nil {
				t.Fatalf("CreateToken(ttl %v) succeeded", ttl)
			}
		}
	})
}

func TestSetup(t *testing.T) {
	eachEngine(t, func(t *testing.T, e env) {
		if need, err := e.s.NeedsSetup(e.ctx); err != nil || !need {
			t.Fatalf("NeedsSetup = %v, %v", need, err)
		}
		expired, err := e.s.CreateSetupLink(e.ctx, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		e.clock.Add(time.Minute)
		if err := e.s.CheckSetupLink(e.ctx, expired); err != staff.ErrBadSetupLink {
			t.Fatalf("expired link: %v", err)
		}
		link, err := e.s.CreateSetupLink(e.ctx, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.s.CheckSetupLink(e.ctx, link); err != nil {
			t.Fatal(err)
		}
		admin := staff.NewUser{Email: "it@example.org", Name: "First Admin", Role: access.Caseworker, Password: stafftest.Password}
		_, _, err = e.s.CompleteSetup(e.ctx, link, admin)
		if msg := fields(t, err)["role"]; msg != "Select one of: system administrator, Data Protection Officer" {
			t.Fatalf("caseworker as first admin: %v", err)
		}
		if _, _, err := e.s.CompleteSetup(e.ctx, expired, admin); err != staff.ErrBadSetupLink {
			t.Fatalf("CompleteSetup(expired) = %v", err)
		}
		if _, _, err := e.s.CompleteSetup(e.ctx, "not a link", admin); err != staff.ErrBadSetupLink {
			t.Fatalf("CompleteSetup(unknown) = %v", err)
		}
		// The link survived the invalid form.
		admin.Role = access.Sysadmin
		u, enrol, err := e.s.CompleteSetup(e.ctx, link, admin)
		if err != nil || u.Role != access.Sysadmin || enrol.Secret == "" {
			t.Fatalf("CompleteSetup = %+v, %v", u, err)
		}
		admin.Email = "other@example.org"
		if _, _, err := e.s.CompleteSetup(e.ctx, link, admin); err != staff.ErrBadSetupLink {
			t.Fatalf("second use: %v", err)
		}
		if need, err := e.s.NeedsSetup(e.ctx); err != nil || need {
			t.Fatalf("NeedsSetup after = %v, %v", need, err)
		}
		if _, err := e.s.CreateSetupLink(e.ctx, time.Hour); err != staff.ErrSetupDone {
			t.Fatalf("CreateSetupLink after setup = %v", err)
		}
		if n := count(t, e, "users"); n != 1 {
			t.Fatalf("%d users", n)
		}
		if _, err := e.s.CheckPassword(e.ctx, "it@example.org", stafftest.Password, ""); err != nil {
			t.Fatalf("first admin signs in: %v", err)
		}
	})
}

func TestNewOptions(t *testing.T) {
	t.Parallel()
	db := storetest.Open(t, store.SQLite, "data")
	ctx := context.Background()
	if _, err := staff.New(ctx, db, staff.Options{SecretKey: []byte("short")}); err == nil {
		t.Error("New accepted a 5-byte secret key")
	}
	if _, err := staff.New(ctx, db, staff.Options{Issuer: "a:b"}); err == nil {
		t.Error("New accepted an issuer with a colon")
	}
}

func TestThrottledMessage(t *testing.T) {
	for wait, want := range map[time.Duration]string{
		time.Second:             "Too many attempts. Wait 1 second and try again.",
		1500 * time.Millisecond: "Too many attempts. Wait 2 seconds and try again.",
		time.Minute:             "Too many attempts. Wait 60 seconds and try again.",
		61 * time.Second:        "Too many attempts. Wait 2 minutes and try again.",
		15 * time.Minute:        "Too many attempts. Wait 15 minutes and try again.",
	} {
		if got := (&staff.ThrottledError{Wait: wait}).Error(); got != want {
			t.Errorf("%v: %q, want %q", wait, got, want)
		}
	}
}

// Attempts made at the same moment count against each other: the sixth
// and later of a burst wait, and of two uses of one code only one wins.
func TestConcurrentAttempts(t *testing.T) {
	eachEngine(t, func(t *testing.T, e env) {
		u, secret := stafftest.AddUser(t, e.s, access.DPO)
		const n = 10
		errs := make(chan error, n)
		var wg sync.WaitGroup
		for range n {
			wg.Go(func() {
				_, err := e.s.CheckPassword(e.ctx, u.Email, "not the password at all", "192.0.2.9")
				errs <- err
			})
		}
		wg.Wait()
		close(errs)
		var bad, throttled int
		for err := range errs {
			var te *staff.ThrottledError
			switch {
			case err == staff.ErrBadCredentials:
				bad++
			case errors.As(err, &te):
				throttled++
			default:
				t.Fatalf("unexpected error %v", err)
			}
		}
		if bad != 5 || throttled != 5 {
			t.Fatalf("%d checked, %d throttled; want 5 and 5", bad, throttled)
		}

		e.clock.Add(2 * time.Hour)
		code := stafftest.Code(secret, e.clock.Now())
		results := make(chan error, 4)
		for range 4 {
			wg.Go(func() { results <- e.s.CheckTOTP(e.ctx, u.ID, code) })
		}
		wg.Wait()
		close(results)
		var ok int
		for err := range results {
			switch err {
			case nil:
				ok++
			case staff.ErrBadCode:
			default:
				t.Fatalf("unexpected error %v", err)
			}
		}
		if ok != 1 {
			t.Fatalf("one code accepted %d times", ok)
		}
	})
}
