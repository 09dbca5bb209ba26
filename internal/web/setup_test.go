package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/caseward/caseward/internal/app/apptest"
	"github.com/caseward/caseward/internal/store"
	"github.com/pquerna/otp/totp"
)

// First run: no default password; a one-time link makes the first
// administrator, who enrols a second factor before anything else.
func TestSetupLink(t *testing.T) {
	env := apptest.New(t, store.SQLite, apptest.NewClock())
	ts := newServer(t, env)
	ctx := context.Background()
	token, err := env.Staff.CreateSetupLink(ctx, 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	c := ts.client(t)
	if resp, body := ts.get(t, c, "/setup/"+token); resp.StatusCode != 200 || !strings.Contains(body, "Create the first administrator") {
		t.Fatalf("setup form: %d", resp.StatusCode)
	}
	// A weak password is refused, with what was typed kept.
	resp, body := ts.post(t, c, "/setup/"+token, url.Values{"name": {"Nadia Rahman"}, "email": {"nadia@example.org"}, "password": {"password123"}, "role": {"sysadmin"}})
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, `value="nadia@example.org"`) || !strings.Contains(body, "govuk-error-summary") {
		t.Fatalf("weak password: %d", resp.StatusCode)
	}
	pw := "a long and quiet river runs by"
	resp, body = ts.post(t, c, "/setup/"+token, url.Values{"name": {"Nadia Rahman"}, "email": {"nadia@example.org"}, "password": {pw}, "role": {"sysadmin"}})
	if resp.StatusCode != 200 || !strings.Contains(body, "Set up your second factor") || !strings.Contains(body, "data:image/png;base64,") {
		t.Fatalf("setup: %d", resp.StatusCode)
	}
	secret := strings.SplitN(strings.SplitN(body, `<code class="cw-secret">`, 2)[1], "<", 2)[0]
	code, err := totp.GenerateCode(secret, env.Clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	if resp, _ := ts.post(t, c, "/sign-in/code", url.Values{"code": {code}, "next": {"/"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("enrolment code: %d", resp.StatusCode)
	}
	if resp, body := ts.get(t, c, "/"); resp.StatusCode != 200 || !strings.Contains(body, "Nadia Rahman") {
		t.Fatalf("home after setup: %d", resp.StatusCode)
	}
	// The link works once.
	resp, _ = ts.post(t, ts.client(t), "/setup/"+token, url.Values{"name": {"Mallory"}, "email": {"m@example.org"}, "password": {pw + " again"}, "role": {"sysadmin"}})
	if resp.StatusCode != http.StatusGone {
		t.Fatalf("second use of the link: %d", resp.StatusCode)
	}
}

// A database that is gone: a clear message, nothing half-written.
func TestDatabaseGone(t *testing.T) {
	env := apptest.New(t, store.SQLite, apptest.NewClock())
	ts := newServer(t, env)
	env.DB.Close()
	c := ts.client(t)
	if resp, _ := ts.get(t, c, "/readyz"); resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("readyz with the database gone: %d", resp.StatusCode)
	}
	resp, body := ts.post(t, c, "/sign-in", url.Values{"email": {"a@example.org"}, "password": {"whatever whatever"}})
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body, "Nothing was saved") || strings.Contains(body, "sql") {
		t.Errorf("sign-in with the database gone: %d %q", resp.StatusCode, body)
	}
}
