package web_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/caseward/caseward/internal/access"
	"github.com/caseward/caseward/internal/app/apptest"
	"github.com/caseward/caseward/internal/staff"
	"github.com/caseward/caseward/internal/staff/stafftest"
)

// passkeyServer is a test server reached as http://localhost:PORT, since
// WebAuthn refuses an IP address as the relying party.
func passkeyServer(t *testing.T, env *apptest.Env) *testServer {
	t.Helper()
	ts := newServer(t, env)
	ts.URL = strings.Replace(ts.URL, "://127.0.0.1:", "://localhost:", 1)
	return ts
}

// postJSON posts body as passkey.js does: JSON, same-origin fetch metadata,
// the page's Origin.
func (ts *testServer) postJSON(t *testing.T, c *http.Client, path string, body any) (*http.Response, []byte) {
	t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPost, ts.URL+path, strings.NewReader(string(b)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	req.Header.Set("Origin", ts.URL)
	resp, raw := do(t, c, req)
	return resp, []byte(raw)
}

// errorCode returns error.code of a JSON error answer.
func errorCode(t *testing.T, raw []byte) string {
	t.Helper()
	var out struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.Unmarshal(raw, &out); err != nil || out.Error.Message == "" {
		t.Fatalf("not a JSON error (%v): %s", err, raw)
	}
	return out.Error.Code
}

// passwordOnly signs p in with the password alone: the code page is next.
func (ts *testServer) passwordOnly(t *testing.T, p apptest.Person) *http.Client {
	t.Helper()
	c := ts.client(t)
	if resp, body := ts.post(t, c, "/sign-in", url.Values{"email": {p.Email}, "password": {p.Password}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("password: %d %s", resp.StatusCode, body)
	}
	return c
}

// registerPasskey adds a passkey of auth called name from the signed-in,
// recently authenticated client c.
func (ts *testServer) registerPasskey(t *testing.T, c *http.Client, auth *stafftest.Authenticator, name string) {
	t.Helper()
	resp, opts := ts.postJSON(t, c, "/account/passkeys/register/begin", map[string]string{"name": name})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("begin registration: %d %s", resp.StatusCode, opts)
	}
	resp, raw := ts.postJSON(t, c, "/account/passkeys/register/finish", map[string]json.RawMessage{"credential": auth.Create(t, opts)})
	if resp.StatusCode != http.StatusCreated || !strings.Contains(string(raw), `"/account/passkeys?added=1"`) {
		t.Fatalf("finish registration: %d %s", resp.StatusCode, raw)
	}
}

// passkeySignIn answers the code page's passkey ceremony with auth and
// submits the answer as passkey.js does.
func (ts *testServer) passkeySignIn(t *testing.T, c *http.Client, auth *stafftest.Authenticator, next string) (*http.Response, string) {
	t.Helper()
	resp, opts := ts.postJSON(t, c, "/sign-in/passkey/begin", struct{}{})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("begin sign-in: %d %s", resp.StatusCode, opts)
	}
	return ts.post(t, c, "/sign-in/passkey/finish", url.Values{"credential": {string(auth.Get(t, opts))}, "next": {next}})
}

// A caseworker confirms it is them, adds a passkey, signs out, and signs in
// with password and passkey.
func TestPasskeys(t *testing.T) {
	apptest.Each(t, func(t *testing.T, env *apptest.Env) {
		ts := passkeyServer(t, env)
		p := env.Person(t, access.Caseworker, env.Service(t, "Counselling", false).ID)
		auth := stafftest.NewAuthenticator(ts.URL)
		c := ts.signIn(t, p)

		if _, body := ts.get(t, c, "/account"); !strings.Contains(body, `href="/account/passkeys"`) {
			t.Fatal("the account page does not link to the passkeys page")
		}
		// Long after the code, the page asks for it again.
		env.Clock.Advance(staff.ReauthWindow + time.Minute)
		resp, _ := ts.get(t, c, "/account/passkeys")
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/reauthenticate?next=%2Faccount%2Fpasskeys" {
			t.Fatalf("passkeys page without recent authentication: %d %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		resp, raw := ts.postJSON(t, c, "/account/passkeys/register/begin", map[string]string{"name": "Laptop"})
		if resp.StatusCode != http.StatusForbidden || errorCode(t, raw) != "reauthenticate" {
			t.Fatalf("begin without recent authentication: %d %s", resp.StatusCode, raw)
		}
		resp, body := ts.post(t, c, "/reauthenticate", url.Values{"password": {p.Password}, "code": {p.Code(t, env.Clock.Now())}, "next": {"/account/passkeys"}})
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/account/passkeys" {
			t.Fatalf("reauthenticate: %d %s", resp.StatusCode, body)
		}
		resp, body = ts.get(t, c, "/account/passkeys")
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, "You have no passkeys yet") || !strings.Contains(body, "passkey.js") ||
			!strings.Contains(body, "data-passkey-register") || resp.Header.Get("Cache-Control") != "no-store" {
			t.Fatalf("passkeys page: %d %q\n%s", resp.StatusCode, resp.Header.Get("Cache-Control"), body)
		}

		// The name is checked before the authenticator is asked.
		resp, raw = ts.postJSON(t, c, "/account/passkeys/register/begin", map[string]string{"name": " "})
		if resp.StatusCode != http.StatusBadRequest || errorCode(t, raw) != "invalid" || !strings.Contains(string(raw), `"field": "name"`) {
			t.Fatalf("begin with no name: %d %s", resp.StatusCode, raw)
		}
		resp, opts := ts.postJSON(t, c, "/account/passkeys/register/begin", map[string]string{"name": "Work laptop"})
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Cache-Control") != "no-store" || !strings.Contains(string(opts), `"publicKey"`) {
			t.Fatalf("begin: %d %q %s", resp.StatusCode, resp.Header.Get("Cache-Control"), opts)
		}
		resp, raw = ts.postJSON(t, c, "/account/passkeys/register/finish", map[string]json.RawMessage{"credential": auth.Create(t, opts)})
		if resp.StatusCode != http.StatusCreated || resp.Header.Get("Cache-Control") != "no-store" {
			t.Fatalf("finish: %d %s", resp.StatusCode, raw)
		}
		_, body = ts.get(t, c, "/account/passkeys?added=1")
		if !strings.Contains(body, "Work laptop") || !strings.Contains(body, "Passkey added") || strings.Contains(body, "You have no passkeys yet") {
			t.Fatalf("passkeys page after adding:\n%s", body)
		}

		// Sign out, then in with password and passkey.
		ts.post(t, c, "/sign-out", nil)
		c = ts.passwordOnly(t, p)
		_, body = ts.get(t, c, "/sign-in/code?next=%2Faccount")
		if !strings.Contains(body, "data-passkey-signin") || !strings.Contains(body, "passkey.js") || !strings.Contains(body, `name="code"`) {
			t.Fatalf("code page lacks the passkey option or the code form:\n%s", body)
		}
		resp, body = ts.passkeySignIn(t, c, auth, "/account")
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/account" || !strings.Contains(resp.Header.Get("Set-Cookie"), "caseward_session=") {
			t.Fatalf("passkey sign-in: %d %q %s", resp.StatusCode, resp.Header.Get("Location"), body)
		}
		if resp, _ := ts.get(t, c, "/"); resp.StatusCode != http.StatusOK {
			t.Fatalf("home after passkey sign-in: %d", resp.StatusCode)
		}
		// Signing in counts as entering a code: the passkeys page opens.
		_, body = ts.get(t, c, "/account/passkeys")
		if !strings.Contains(body, "Work laptop") || strings.Contains(body, "Not yet") {
			t.Fatalf("passkeys page after use:\n%s", body)
		}

		// Both the registration and the sign-in are in the audit log.
		rows, err := env.DB.Query(context.Background(), "SELECT action, reason FROM audit_entries WHERE actor = ? ORDER BY idx", p.ID)
		if err != nil {
			t.Fatal(err)
		}
		var trail []string
		for rows.Next() {
			var action, reason string
			if err := rows.Scan(&action, &reason); err != nil {
				t.Fatal(err)
			}
			trail = append(trail, action+":"+reason)
		}
		rows.Close()
		if got := strings.Join(trail, " "); got != "staff.sign-in:totp staff.passkey-add: staff.sign-in:passkey" {
			t.Errorf("audit trail %q", got)
		}

		// No personal data in the logs.
		if logs := ts.logs.String(); strings.Contains(logs, p.Email) || strings.Contains(logs, "Work laptop") || strings.Contains(logs, p.Name) {
			t.Errorf("personal data in the logs:\n%s", logs)
		}
	})
}

// Every way a passkey request can go wrong gets a safe answer, and changes
// nothing.
func TestPasskeyErrors(t *testing.T) {
	apptest.Each(t, func(t *testing.T, env *apptest.Env) {
		ts := passkeyServer(t, env)
		svc := env.Service(t, "Counselling", false)
		p := env.Person(t, access.Caseworker, svc.ID)
		auth := stafftest.NewAuthenticator(ts.URL)
		c := ts.signIn(t, p)

		// Registration: finish without begin; not JSON; from another site.
		resp, raw := ts.postJSON(t, c, "/account/passkeys/register/finish", map[string]string{"credential": "{}"})
		if resp.StatusCode != http.StatusConflict || errorCode(t, raw) != "expired" {
			t.Fatalf("finish without begin: %d %s", resp.StatusCode, raw)
		}
		if resp, body := ts.post(t, c, "/account/passkeys/register/begin", url.Values{"name": {"Laptop"}}); resp.StatusCode != http.StatusUnsupportedMediaType {
			t.Fatalf("form post to a JSON endpoint: %d %s", resp.StatusCode, body)
		}
		for _, h := range []map[string]string{{"Sec-Fetch-Site": "cross-site"}, {"Origin": "https://attacker.example"}} {
			req, _ := http.NewRequest(http.MethodPost, ts.URL+"/account/passkeys/register/begin", strings.NewReader(`{"name":"Evil"}`))
			req.Header.Set("Content-Type", "application/json")
			for k, v := range h {
				req.Header.Set(k, v)
			}
			if resp, _ := do(t, c, req); resp.StatusCode != http.StatusForbidden {
				t.Errorf("cross-origin begin %v: %d, want 403", h, resp.StatusCode)
			}
		}
		ts.registerPasskey(t, c, auth, "Laptop")
		list, err := env.Staff.Passkeys(context.Background(), p.ID)
		if err != nil || len(list) != 1 {
			t.Fatalf("passkeys: %v, %v", list, err)
		}
		passkeyID := list[0].ID

		// At an IP address, passkeys cannot work, and the page says so.
		ip := strings.Replace(ts.URL, "://localhost:", "://127.0.0.1:", 1)
		ipClient := ts.client(t)
		ipClient.Jar.SetCookies(mustURL(t, ip), c.Jar.Cookies(mustURL(t, ts.URL)))
		req, _ := http.NewRequest(http.MethodPost, ip+"/account/passkeys/register/begin", strings.NewReader(`{"name":"Phone"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		if resp, raw := do(t, ipClient, req); resp.StatusCode != http.StatusConflict || errorCode(t, []byte(raw)) != "unavailable" {
			t.Fatalf("begin at an IP address: %d %s", resp.StatusCode, raw)
		}
		if _, body := do(t, ipClient, mustRequest(t, http.MethodGet, ip+"/account/passkeys")); !strings.Contains(body, "not by an IP address") || strings.Contains(body, "data-passkey-register") {
			t.Fatalf("passkeys page at an IP address:\n%s", body)
		}

		// Removing needs a recent password and code.
		env.Clock.Advance(staff.ReauthWindow + time.Minute)
		resp, _ = ts.post(t, c, "/account/passkeys/"+passkeyID+"/remove", nil)
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/reauthenticate?next=%2Faccount%2Fpasskeys" {
			t.Fatalf("remove without re-authentication: %d %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		if list, _ := env.Staff.Passkeys(context.Background(), p.ID); len(list) != 1 {
			t.Fatal("removed without re-authentication")
		}

		// Sign-in: no session; a finished session; a finish without begin;
		// a finish in another session than the begin.
		anon := ts.client(t)
		if resp, raw := ts.postJSON(t, anon, "/sign-in/passkey/begin", struct{}{}); resp.StatusCode != http.StatusUnauthorized || errorCode(t, raw) != "signed_out" {
			t.Fatalf("begin with no session: %d %s", resp.StatusCode, raw)
		}
		if resp, _ := ts.post(t, anon, "/sign-in/passkey/finish", url.Values{"credential": {"{}"}}); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/sign-in" {
			t.Fatalf("finish with no session: %d %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		if resp, raw := ts.postJSON(t, c, "/sign-in/passkey/begin", struct{}{}); resp.StatusCode != http.StatusConflict || errorCode(t, raw) != "signed_in" {
			t.Fatalf("begin when signed in: %d %s", resp.StatusCode, raw)
		}
		a, b := ts.passwordOnly(t, p), ts.passwordOnly(t, p)
		if resp, raw := ts.postJSON(t, a, "/account/passkeys/register/begin", map[string]string{"name": "Sneaky"}); resp.StatusCode != http.StatusUnauthorized || errorCode(t, raw) != "signed_out" {
			t.Fatalf("adding a passkey before the second factor: %d %s", resp.StatusCode, raw)
		}
		resp, body := ts.post(t, a, "/sign-in/passkey/finish", url.Values{"credential": {"{}"}, "next": {"/"}})
		if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "The passkey was not accepted") || !strings.Contains(title(body), "Error:") {
			t.Fatalf("finish without begin: %d\n%s", resp.StatusCode, body)
		}
		_, opts := ts.postJSON(t, a, "/sign-in/passkey/begin", struct{}{})
		answer := auth.Get(t, opts)
		if resp, _ := ts.post(t, b, "/sign-in/passkey/finish", url.Values{"credential": {string(answer)}, "next": {"/"}}); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("finish in another session: %d", resp.StatusCode)
		}
		if resp, _ := ts.get(t, b, "/"); resp.StatusCode != http.StatusSeeOther {
			t.Fatal("the other session was signed in")
		}
		// The answer still works where it was asked for, once.
		if resp, _ := ts.post(t, a, "/sign-in/passkey/finish", url.Values{"credential": {string(answer)}, "next": {"//evil.example/"}}); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/" {
			t.Fatalf("finish: %d %q", resp.StatusCode, resp.Header.Get("Location"))
		}

		// Failures count towards the sign-in throttle.
		c2 := ts.passwordOnly(t, p)
		var last *http.Response
		for range 6 {
			_, opts := ts.postJSON(t, c2, "/sign-in/passkey/begin", struct{}{})
			last, body = ts.post(t, c2, "/sign-in/passkey/finish", url.Values{"credential": {badSignature(t, auth.Get(t, opts))}})
		}
		if last.StatusCode != http.StatusTooManyRequests || !strings.Contains(body, "Too many attempts") {
			t.Fatalf("sixth bad passkey: %d\n%s", last.StatusCode, body)
		}

		// After re-authenticating: another's passkey cannot be removed; one's own can.
		env.Clock.Advance(time.Hour)
		c = ts.signIn(t, p)
		other := env.Person(t, access.Caseworker, svc.ID)
		oc := ts.signIn(t, other)
		if resp, _ := ts.post(t, oc, "/account/passkeys/"+passkeyID+"/remove", nil); resp.StatusCode != http.StatusNotFound {
			t.Fatalf("removing another's passkey: %d", resp.StatusCode)
		}
		if resp, _ := ts.post(t, c, "/account/passkeys/"+passkeyID+"/remove", nil); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/account/passkeys?removed=1" {
			t.Fatalf("remove: %d %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		if list, _ := env.Staff.Passkeys(context.Background(), p.ID); len(list) != 0 {
			t.Fatal("not removed")
		}
		c2 = ts.passwordOnly(t, p)
		if resp, raw := ts.postJSON(t, c2, "/sign-in/passkey/begin", struct{}{}); resp.StatusCode != http.StatusNotFound || errorCode(t, raw) != "no_passkeys" {
			t.Fatalf("begin with no passkey left: %d %s", resp.StatusCode, raw)
		}

		// A registration begun while recently authenticated may finish just
		// after the window (the person was at their authenticator); one
		// cannot begin after it.
		env.Clock.Advance(staff.ReauthWindow - 30*time.Second)
		resp, opts = ts.postJSON(t, c, "/account/passkeys/register/begin", map[string]string{"name": "Phone"})
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("begin near the end of the window: %d %s", resp.StatusCode, opts)
		}
		env.Clock.Advance(time.Minute)
		resp, raw = ts.postJSON(t, c, "/account/passkeys/register/finish", map[string]json.RawMessage{"credential": stafftest.NewAuthenticator(ts.URL).Create(t, opts)})
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("finish just after the window: %d %s", resp.StatusCode, raw)
		}
		if resp, raw := ts.postJSON(t, c, "/account/passkeys/register/begin", map[string]string{"name": "Tablet"}); resp.StatusCode != http.StatusForbidden || errorCode(t, raw) != "reauthenticate" {
			t.Fatalf("begin after the window: %d %s", resp.StatusCode, raw)
		}

		var n int
		if err := env.DB.QueryRow(context.Background(), "SELECT COUNT(*) FROM audit_entries WHERE actor = ? AND action = 'staff.passkey-remove'", p.ID).Scan(&n); err != nil || n != 1 {
			t.Errorf("%d removals audited (%v)", n, err)
		}
	})
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func mustRequest(t *testing.T, method, target string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, target, nil)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// badSignature spoils the signature of a passkey's answer.
func badSignature(t *testing.T, answer []byte) string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(answer, &m); err != nil {
		t.Fatal(err)
	}
	resp := m["response"].(map[string]any)
	sig, err := base64.RawURLEncoding.DecodeString(resp["signature"].(string))
	if err != nil {
		t.Fatal(err)
	}
	sig[len(sig)-1] ^= 1
	resp["signature"] = base64.RawURLEncoding.EncodeToString(sig)
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
