package staff_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/caseward/caseward/internal/access"
	"github.com/caseward/caseward/internal/staff"
	"github.com/caseward/caseward/internal/staff/stafftest"
	"github.com/caseward/caseward/internal/store"
)

var testRP = staff.RelyingParty{ID: "caseward.example", Origin: "https://caseward.example"}

// pendingSession signs u in with the password only: the second factor is
// still to come.
func pendingSession(t *testing.T, e env, u staff.User) string {
	t.Helper()
	if _, err := e.s.CheckPassword(e.ctx, u.Email, stafftest.Password, "192.0.2.1"); err != nil {
		t.Fatal(err)
	}
	tok, err := e.s.StartSession(e.ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// addPasskey registers a new passkey of auth, called name, for the session
// of token.
func addPasskey(t *testing.T, e env, token string, auth *stafftest.Authenticator, name string) staff.Passkey {
	t.Helper()
	opts, err := e.s.BeginPasskeyRegistration(e.ctx, token, testRP, name)
	if err != nil {
		t.Fatalf("begin registration: %v", err)
	}
	p, err := e.s.FinishPasskeyRegistration(e.ctx, token, auth.Create(t, opts))
	if err != nil {
		t.Fatalf("finish registration: %v", err)
	}
	return p
}

// usePasskey begins a passkey sign-in for token and answers it with auth,
// changed by tamper if given.
func usePasskey(t *testing.T, e env, token string, auth *stafftest.Authenticator, tamper func(map[string]any)) error {
	t.Helper()
	opts, err := e.s.BeginPasskeySignIn(e.ctx, token, testRP)
	if err != nil {
		t.Fatalf("begin sign-in: %v", err)
	}
	answer := auth.Get(t, opts)
	if tamper != nil {
		var m map[string]any
		if err := json.Unmarshal(answer, &m); err != nil {
			t.Fatal(err)
		}
		tamper(m)
		if answer, err = json.Marshal(m); err != nil {
			t.Fatal(err)
		}
	}
	return e.s.CheckPasskey(e.ctx, token, answer)
}

// badSignature replaces an assertion's signature with a valid-looking one
// over something else.
func badSignature(m map[string]any) {
	resp := m["response"].(map[string]any)
	sig, _ := base64.RawURLEncoding.DecodeString(resp["signature"].(string))
	sig[len(sig)-1] ^= 0x01
	resp["signature"] = base64.RawURLEncoding.EncodeToString(sig)
}

func TestPasskeyRegistration(t *testing.T) {
	eachEngine(t, func(t *testing.T, e env) {
		u, secret := stafftest.AddUser(t, e.s, access.Caseworker, stafftest.AddService(t, e.s, false))
		token := signIn(t, e, u, secret)
		auth := stafftest.NewAuthenticator(testRP.Origin)

		if _, err := e.s.PasskeyUserHandle(e.ctx, u.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("handle before any passkey: %v", err)
		}
		for name, want := range map[string]string{
			"  ":                     "Enter a name for the passkey",
			strings.Repeat("k", 101): "A name for the passkey must be 100 characters or fewer",
		} {
			if _, err := e.s.BeginPasskeyRegistration(e.ctx, token, testRP, name); fields(t, err)["name"] != want {
				t.Errorf("name %.10q: %v, want %q", name, err, want)
			}
		}
		// Passkeys need a domain: WebAuthn refuses an IP address.
		if _, err := e.s.BeginPasskeyRegistration(e.ctx, token, staff.RelyingParty{ID: "127.0.0.1", Origin: "http://127.0.0.1:8080"}, "Laptop"); err == nil {
			t.Fatal("an IP address was accepted as the relying party")
		}
		// Nothing to finish yet.
		if _, err := e.s.FinishPasskeyRegistration(e.ctx, token, []byte(`{}`)); err != staff.ErrNoCeremony {
			t.Fatalf("finish without begin: %v", err)
		}

		opts, err := e.s.BeginPasskeyRegistration(e.ctx, token, testRP, " Work laptop ")
		if err != nil {
			t.Fatal(err)
		}
		var o struct {
			PublicKey struct {
				RP struct {
					ID, Name string
				} `json:"rp"`
				User struct {
					ID, Name, DisplayName string
				} `json:"user"`
				Selection struct {
					ResidentKey      string `json:"residentKey"`
					UserVerification string `json:"userVerification"`
				} `json:"authenticatorSelection"`
				Timeout int `json:"timeout"`
			} `json:"publicKey"`
		}
		if err := json.Unmarshal(opts, &o); err != nil {
			t.Fatal(err)
		}
		pk := o.PublicKey
		if pk.RP.ID != testRP.ID || pk.RP.Name != "Caseward" || pk.Selection.ResidentKey != "preferred" ||
			pk.Selection.UserVerification != "preferred" || pk.Timeout != int(staff.CeremonyTimeout/time.Millisecond) {
			t.Errorf("creation options: %s", opts)
		}
		// The user handle is random, stored, and not the email address.
		handle, err := e.s.PasskeyUserHandle(e.ctx, u.ID)
		if err != nil || len(handle) != 64 || pk.User.ID != base64.RawURLEncoding.EncodeToString(handle) ||
			bytes.Contains(handle, []byte(u.Email)) || bytes.Contains(handle, []byte(u.ID)) {
			t.Fatalf("user handle %x (%v), options user %+v", handle, err, pk.User)
		}
		if pk.User.Name != u.Email || pk.User.DisplayName != u.Name {
			t.Errorf("options user %+v", pk.User)
		}

		answer := auth.Create(t, opts)
		e.clock.Add(time.Second)
		p, err := e.s.FinishPasskeyRegistration(e.ctx, token, answer)
		if err != nil {
			t.Fatal(err)
		}
		if p.Name != "Work laptop" || p.UserID != u.ID || p.RPID != testRP.ID || !bytes.Equal(p.CredentialID, auth.Credentials[0].ID) ||
			p.SignCount != 0 || string(p.AAGUID) != "caseward-test-ak" || len(p.Transports) != 1 || p.Transports[0] != "internal" ||
			!p.CreatedAt.Equal(e.clock.Now()) || !p.LastUsedAt.IsZero() || len(p.PublicKey) == 0 || !store.ValidID(p.ID) {
			t.Fatalf("passkey = %+v", p)
		}
		// The ceremony is used once.
		if _, err := e.s.FinishPasskeyRegistration(e.ctx, token, answer); err != staff.ErrNoCeremony {
			t.Fatalf("finish twice: %v", err)
		}
		if n := count(t, e, "passkey_ceremonies"); n != 0 {
			t.Fatalf("%d ceremonies left", n)
		}

		got, err := e.s.Passkeys(e.ctx, u.ID)
		if err != nil || len(got) != 1 || got[0].ID != p.ID || got[0].Name != p.Name || !bytes.Equal(got[0].PublicKey, p.PublicKey) {
			t.Fatalf("Passkeys = %+v, %v", got, err)
		}
		if got, err := e.s.PasskeyByCredentialID(e.ctx, p.CredentialID); err != nil || got.ID != p.ID || got.UserID != u.ID {
			t.Fatalf("PasskeyByCredentialID = %+v, %v", got, err)
		}
		if _, err := e.s.PasskeyByCredentialID(e.ctx, []byte("no such credential")); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("PasskeyByCredentialID(unknown) = %v", err)
		}

		// A second passkey: same handle, and the first is excluded so one
		// authenticator does not register twice.
		opts, err = e.s.BeginPasskeyRegistration(e.ctx, token, testRP, "Blue key")
		if err != nil {
			t.Fatal(err)
		}
		if again, _ := e.s.PasskeyUserHandle(e.ctx, u.ID); !bytes.Equal(again, handle) {
			t.Fatal("the user handle changed")
		}
		if !strings.Contains(string(opts), base64.RawURLEncoding.EncodeToString(p.CredentialID)) {
			t.Errorf("the first passkey is not excluded: %s", opts)
		}
		key2 := stafftest.NewAuthenticator(testRP.Origin)
		p2, err := e.s.FinishPasskeyRegistration(e.ctx, token, key2.Create(t, opts))
		if err != nil {
			t.Fatal(err)
		}

		// An answer made at another origin, or for another challenge, is refused.
		for name, tc := range map[string]struct {
			auth *stafftest.Authenticator
			opts func() []byte
		}{
			"other origin": {stafftest.NewAuthenticator("https://evil.example"), func() []byte {
				o, _ := e.s.BeginPasskeyRegistration(e.ctx, token, testRP, "Phone")
				return o
			}},
			"other challenge": {stafftest.NewAuthenticator(testRP.Origin), func() []byte {
				old, _ := e.s.BeginPasskeyRegistration(e.ctx, token, testRP, "Phone")
				if _, err := e.s.BeginPasskeyRegistration(e.ctx, token, testRP, "Phone"); err != nil { // replaces the first
					t.Fatal(err)
				}
				return old
			}},
		} {
			_, err := e.s.FinishPasskeyRegistration(e.ctx, token, tc.auth.Create(t, tc.opts()))
			if !errors.Is(err, staff.ErrBadPasskey) {
				t.Errorf("%s: %v, want ErrBadPasskey", name, err)
			}
		}
		if _, err := e.s.FinishPasskeyRegistration(e.ctx, token, []byte(`not json`)); err != staff.ErrNoCeremony {
			t.Fatalf("garbage after a failed finish: %v, want ErrNoCeremony", err)
		}
		if _, err := e.s.BeginPasskeyRegistration(e.ctx, token, testRP, "Phone"); err != nil {
			t.Fatal(err)
		}
		if _, err := e.s.FinishPasskeyRegistration(e.ctx, token, []byte(`not json`)); !errors.Is(err, staff.ErrBadPasskey) {
			t.Fatalf("garbage: %v, want ErrBadPasskey", err)
		}

		// A ceremony expires, and belongs to its session alone.
		if _, err := e.s.BeginPasskeyRegistration(e.ctx, token, testRP, "Phone"); err != nil {
			t.Fatal(err)
		}
		other := signIn(t, e, u, secret)
		if _, err := e.s.FinishPasskeyRegistration(e.ctx, other, []byte(`{}`)); err != staff.ErrNoCeremony {
			t.Fatalf("another session finished the ceremony: %v", err)
		}
		opts, err = e.s.BeginPasskeyRegistration(e.ctx, token, testRP, "Phone")
		if err != nil {
			t.Fatal(err)
		}
		e.clock.Add(staff.CeremonyTimeout)
		if _, err := e.s.FinishPasskeyRegistration(e.ctx, token, stafftest.NewAuthenticator(testRP.Origin).Create(t, opts)); err != staff.ErrNoCeremony {
			t.Fatalf("finish after the timeout: %v", err)
		}
		// Ending the session ends its ceremonies.
		if _, err := e.s.BeginPasskeyRegistration(e.ctx, other, testRP, "Phone"); err != nil {
			t.Fatal(err)
		}
		if err := e.s.EndSession(e.ctx, other); err != nil {
			t.Fatal(err)
		}
		if n := count(t, e, "passkey_ceremonies"); n != 0 {
			t.Fatalf("%d ceremonies outlive their session", n)
		}

		// Adding a passkey needs the second factor done.
		if _, err := e.s.BeginPasskeyRegistration(e.ctx, pendingSession(t, e, u), testRP, "Phone"); err != staff.ErrNoSession {
			t.Fatalf("begin from a pending session: %v", err)
		}
		if _, err := e.s.BeginPasskeyRegistration(e.ctx, "nonsense", testRP, "Phone"); err != staff.ErrNoSession {
			t.Fatalf("begin with no session: %v", err)
		}

		// Rename and remove: only the owner's.
		v, vSecret := stafftest.AddUser(t, e.s, access.Caseworker, stafftest.AddService(t, e.s, false))
		if err := e.s.RenamePasskey(e.ctx, v.ID, p.ID, "Mine now"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("rename another's passkey: %v", err)
		}
		if err := e.s.RenamePasskey(e.ctx, u.ID, p.ID, ""); fields(t, err)["name"] != "Enter a name for the passkey" {
			t.Fatalf("rename to nothing: %v", err)
		}
		if err := e.s.RenamePasskey(e.ctx, u.ID, p.ID, " Old laptop "); err != nil {
			t.Fatal(err)
		}
		if err := e.s.RemovePasskey(e.ctx, v.ID, p2.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("remove another's passkey: %v", err)
		}
		if err := e.s.RemovePasskey(e.ctx, u.ID, p2.ID); err != nil {
			t.Fatal(err)
		}
		if err := e.s.RemovePasskey(e.ctx, u.ID, p2.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("remove twice: %v", err)
		}
		got, _ = e.s.Passkeys(e.ctx, u.ID)
		if len(got) != 1 || got[0].ID != p.ID || got[0].Name != "Old laptop" {
			t.Fatalf("after rename and remove: %+v", got)
		}
		if got, _ := e.s.Passkeys(e.ctx, v.ID); len(got) != 0 {
			t.Fatalf("another account's passkeys: %+v", got)
		}

		// The other account's user handle is its own.
		vToken := signIn(t, e, v, vSecret)
		addPasskey(t, e, vToken, stafftest.NewAuthenticator(testRP.Origin), "Phone")
		if vHandle, _ := e.s.PasskeyUserHandle(e.ctx, v.ID); bytes.Equal(vHandle, handle) {
			t.Fatal("two accounts share a user handle")
		}
	})
}

func TestPasskeyMaximum(t *testing.T) {
	eachEngine(t, func(t *testing.T, e env) {
		u, secret := stafftest.AddUser(t, e.s, access.Sysadmin)
		token := signIn(t, e, u, secret)
		for range staff.MaxPasskeys {
			addPasskey(t, e, token, stafftest.NewAuthenticator(testRP.Origin), "Key")
		}
		if _, err := e.s.BeginPasskeyRegistration(e.ctx, token, testRP, "One too many"); !strings.Contains(fields(t, err)["name"], "Remove one first") {
			t.Fatalf("passkey %d: %v", staff.MaxPasskeys+1, err)
		}
	})
}

func TestPasskeySignIn(t *testing.T) {
	eachEngine(t, func(t *testing.T, e env) {
		u, secret := stafftest.AddUser(t, e.s, access.Caseworker, stafftest.AddService(t, e.s, false))
		auth := stafftest.NewAuthenticator(testRP.Origin)

		// No passkey yet: nothing to begin.
		pending := pendingSession(t, e, u)
		if _, err := e.s.BeginPasskeySignIn(e.ctx, pending, testRP); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("begin without a passkey: %v", err)
		}
		p := addPasskey(t, e, signIn(t, e, u, secret), auth, "Laptop")

		pending = pendingSession(t, e, u)
		if err := e.s.CheckPasskey(e.ctx, pending, []byte(`{}`)); err != staff.ErrNoCeremony {
			t.Fatalf("check without begin: %v", err)
		}
		opts, err := e.s.BeginPasskeySignIn(e.ctx, pending, testRP)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(opts), base64.RawURLEncoding.EncodeToString(p.CredentialID)) || !strings.Contains(string(opts), `"userVerification": "preferred"`) &&
			!strings.Contains(string(opts), `"userVerification":"preferred"`) {
			t.Errorf("request options: %s", opts)
		}
		answer := auth.Get(t, opts)
		e.clock.Add(2 * time.Second)
		if err := e.s.CheckPasskey(e.ctx, pending, answer); err != nil {
			t.Fatalf("check: %v", err)
		}
		got, _ := e.s.Passkeys(e.ctx, u.ID)
		if got[0].SignCount != 1 || !got[0].LastUsedAt.Equal(e.clock.Now()) {
			t.Fatalf("after use: %+v", got[0])
		}
		full, err := e.s.CompleteSecondFactor(e.ctx, pending)
		if err != nil {
			t.Fatal(err)
		}
		if sess, _, err := e.s.Session(e.ctx, full); err != nil || !sess.SecondFactorDone {
			t.Fatalf("session after passkey: %+v, %v", sess, err)
		}
		// The answer cannot be used again, not even for a new ceremony.
		pending = pendingSession(t, e, u)
		if err := e.s.CheckPasskey(e.ctx, pending, answer); err != staff.ErrNoCeremony {
			t.Fatalf("replay without a ceremony: %v", err)
		}
		if _, err := e.s.BeginPasskeySignIn(e.ctx, pending, testRP); err != nil {
			t.Fatal(err)
		}
		if err := e.s.CheckPasskey(e.ctx, pending, answer); !errors.Is(err, staff.ErrBadPasskey) {
			t.Fatalf("replay: %v, want ErrBadPasskey", err)
		}

		// A bad signature, another origin, a cloned key: refused.
		if err := usePasskey(t, e, pending, auth, badSignature); !errors.Is(err, staff.ErrBadPasskey) {
			t.Fatalf("bad signature: %v", err)
		}
		auth.Origin = "https://evil.example"
		if err := usePasskey(t, e, pending, auth, nil); !errors.Is(err, staff.ErrBadPasskey) {
			t.Fatalf("other origin: %v", err)
		}
		auth.Origin = testRP.Origin
		count := auth.Credentials[0].Count
		auth.Credentials[0].Count = 0 // a copy of the key, used less
		if err := usePasskey(t, e, pending, auth, nil); !errors.Is(err, staff.ErrPasskeyCloned) {
			t.Fatalf("cloned: %v, want ErrPasskeyCloned", err)
		}
		auth.Credentials[0].Count = count + 10
		if err := usePasskey(t, e, pending, auth, nil); err != nil {
			t.Fatalf("the real key after the clone was refused: %v", err)
		}

		// Another relying party's passkeys are not offered.
		if _, err := e.s.BeginPasskeySignIn(e.ctx, pending, staff.RelyingParty{ID: "other.example", Origin: "https://other.example"}); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("other relying party: %v", err)
		}

		// Another account's passkey does not sign this one in.
		v, vSecret := stafftest.AddUser(t, e.s, access.Caseworker, stafftest.AddService(t, e.s, false))
		vAuth := stafftest.NewAuthenticator(testRP.Origin)
		addPasskey(t, e, signIn(t, e, v, vSecret), vAuth, "Phone")
		vPending := pendingSession(t, e, v)
		vOpts, err := e.s.BeginPasskeySignIn(e.ctx, vPending, testRP)
		if err != nil {
			t.Fatal(err)
		}
		uOpts, err := e.s.BeginPasskeySignIn(e.ctx, pending, testRP)
		if err != nil {
			t.Fatal(err)
		}
		_ = vOpts
		if err := e.s.CheckPasskey(e.ctx, vPending, auth.Get(t, uOpts)); !errors.Is(err, staff.ErrBadPasskey) {
			t.Fatalf("u's passkey for v's session: %v", err)
		}

		// A removed passkey no longer signs in, even mid-ceremony.
		opts, err = e.s.BeginPasskeySignIn(e.ctx, pending, testRP)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.s.RemovePasskey(e.ctx, u.ID, p.ID); err != nil {
			t.Fatal(err)
		}
		if err := e.s.CheckPasskey(e.ctx, pending, auth.Get(t, opts)); !errors.Is(err, staff.ErrBadPasskey) {
			t.Fatalf("removed passkey: %v", err)
		}

		// A disabled account's sessions are gone.
		if err := e.s.DisableUser(e.ctx, v.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := e.s.BeginPasskeySignIn(e.ctx, vPending, testRP); err != staff.ErrNoSession {
			t.Fatalf("disabled: %v", err)
		}
	})
}

// Passkey failures count towards the same throttle as passwords and codes.
func TestPasskeyThrottle(t *testing.T) {
	eachEngine(t, func(t *testing.T, e env) {
		u, secret := stafftest.AddUser(t, e.s, access.Caseworker, stafftest.AddService(t, e.s, false))
		auth := stafftest.NewAuthenticator(testRP.Origin)
		addPasskey(t, e, signIn(t, e, u, secret), auth, "Laptop")
		e.clock.Add(30 * time.Second)
		pending := pendingSession(t, e, u)

		for i := range 5 {
			if err := usePasskey(t, e, pending, auth, badSignature); !errors.Is(err, staff.ErrBadPasskey) {
				t.Fatalf("failure %d: %v", i+1, err)
			}
		}
		var te *staff.ThrottledError
		if err := usePasskey(t, e, pending, auth, nil); !errors.As(err, &te) {
			t.Fatalf("after 5 failures: %v, want throttled", err)
		}
		if err := e.s.CheckTOTP(e.ctx, u.ID, stafftest.Code(secret, e.clock.Now())); !errors.As(err, &te) {
			t.Fatalf("code after 5 passkey failures: %v, want throttled", err)
		}
		e.clock.Add(te.Wait)
		if err := usePasskey(t, e, pending, auth, nil); err != nil {
			t.Fatalf("after the wait: %v", err)
		}
		// Success cleared the count.
		for i := range 4 {
			if err := usePasskey(t, e, pending, auth, badSignature); !errors.Is(err, staff.ErrBadPasskey) {
				t.Fatalf("failure %d after success: %v", i+1, err)
			}
		}
		if err := usePasskey(t, e, pending, auth, nil); err != nil {
			t.Fatalf("fifth attempt after success: %v", err)
		}
	})
}

func TestUpdatePasskeySignCount(t *testing.T) {
	eachEngine(t, func(t *testing.T, e env) {
		u, secret := stafftest.AddUser(t, e.s, access.Sysadmin)
		p := addPasskey(t, e, signIn(t, e, u, secret), stafftest.NewAuthenticator(testRP.Origin), "Key")
		for _, step := range []struct {
			count uint32
			ok    bool
		}{
			{0, true},  // no counter kept: 0 stays 0
			{5, true},  // forward
			{5, false}, // the same again: a replay or a clone
			{3, false}, // backwards
			{0, false}, // back to nothing once counting
			{6, true},
		} {
			err := e.s.UpdatePasskeySignCount(e.ctx, p.ID, step.count)
			if step.ok && err != nil || !step.ok && !errors.Is(err, staff.ErrPasskeyCloned) {
				t.Fatalf("count %d: %v", step.count, err)
			}
		}
		got, _ := e.s.PasskeyByCredentialID(e.ctx, p.CredentialID)
		if got.SignCount != 6 || !got.LastUsedAt.Equal(e.clock.Now()) {
			t.Fatalf("passkey = %+v", got)
		}
		if err := e.s.UpdatePasskeySignCount(e.ctx, store.NewID(), 9); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("unknown passkey: %v", err)
		}

		// Of two answers racing with the same counter, one wins.
		var (
			wg   sync.WaitGroup
			mu   sync.Mutex
			wins int
		)
		for range 4 {
			wg.Go(func() {
				if err := e.s.UpdatePasskeySignCount(e.ctx, p.ID, 7); err == nil {
					mu.Lock()
					wins++
					mu.Unlock()
				} else if !errors.Is(err, staff.ErrPasskeyCloned) {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if wins != 1 {
			t.Fatalf("%d racing updates won, want 1", wins)
		}
	})
}
