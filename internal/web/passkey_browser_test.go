package web_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/caseward/caseward/internal/access"
	"github.com/caseward/caseward/internal/app/apptest"
	"github.com/caseward/caseward/internal/browsertest"
	"github.com/caseward/caseward/internal/staff"
	"github.com/caseward/caseward/internal/store"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"
)

// virtualAuthenticator gives the tab a platform authenticator (like a
// laptop's fingerprint reader) that makes discoverable credentials and
// verifies the user without asking, through the DevTools WebAuthn domain.
func virtualAuthenticator(t *testing.T, ctx context.Context) webauthn.AuthenticatorID {
	t.Helper()
	var id webauthn.AuthenticatorID
	run(t, ctx, chromedp.Func(func(ctx context.Context, tab *chromedp.Target) error {
		if _, err := cdp.Call(ctx, tab, webauthn.Enable, webauthn.EnableParams{}); err != nil {
			return err
		}
		res, err := cdp.Call(ctx, tab, webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{
			Options: &webauthn.VirtualAuthenticatorOptions{
				Protocol:                    webauthn.AuthenticatorProtocolCtap2,
				Ctap2version:                webauthn.Ctap2versionCtap21,
				Transport:                   webauthn.AuthenticatorTransportInternal,
				HasResidentKey:              true,
				HasUserVerification:         true,
				IsUserVerified:              true,
				AutomaticPresenceSimulation: true, // sent as false if left out
			},
		})
		id = res.AuthenticatorID
		return err
	}))
	return id
}

// authenticatorCredentials returns what the virtual authenticator holds.
func authenticatorCredentials(t *testing.T, ctx context.Context, id webauthn.AuthenticatorID) []*webauthn.Credential {
	t.Helper()
	var creds []*webauthn.Credential
	run(t, ctx, chromedp.Func(func(ctx context.Context, tab *chromedp.Target) error {
		res, err := cdp.Call(ctx, tab, webauthn.GetCredentials, webauthn.GetCredentialsParams{AuthenticatorID: id})
		creds = res.Credentials
		return err
	}))
	return creds
}

// TestBrowserPasskey drives a real headless Chromium with a virtual
// authenticator: a caseworker signs in with password and TOTP, confirms it
// is them, adds a passkey, signs out, and signs in with password and
// passkey. Every page on the way passes axe-core.
//
// The server is reached as http://localhost:PORT: a secure context for
// WebAuthn, and a domain (WebAuthn refuses an IP address as the relying
// party).
func TestBrowserPasskey(t *testing.T) {
	clock := apptest.NewClock() // codes come from this clock, typed by the test
	env := apptest.New(t, store.SQLite, clock)
	ts := passkeyServer(t, env)
	p := env.Person(t, access.Caseworker, env.Service(t, "Counselling", false).ID)
	ctx := browsertest.New(t)
	signedIn := css(".cw-header__signout") // only a signed-in page has it

	run(t, ctx, chromedp.Navigate(ts.URL+"/sign-in"), chromedp.WaitVisible(css("#email")))
	authenticator := virtualAuthenticator(t, ctx)

	// Password and TOTP. With no passkey, the code page offers none.
	run(t, ctx,
		chromedp.SendKeys(css("#email"), p.Email),
		chromedp.SendKeys(css("#password"), p.Password),
		chromedp.Click(css("main button[type=submit]")),
		chromedp.WaitVisible(css("#code")),
	)
	if visible, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`!document.querySelector("[data-passkey-signin]").hidden`)); err != nil || visible {
		t.Errorf("passkey option shown to an account without a passkey (%v)", err)
	}
	run(t, ctx,
		chromedp.SendKeys(css("#code"), p.Code(t, clock.Now())),
		chromedp.Click(css("main form[action='/sign-in/code'] button[type=submit]")),
		chromedp.WaitVisible(signedIn),
	)

	// Some minutes later: the passkeys page asks for the password and a new code.
	clock.Advance(staff.ReauthWindow + time.Minute)
	run(t, ctx,
		chromedp.Navigate(ts.URL+"/account"),
		chromedp.WaitVisible(css("a[href='/account/passkeys']")),
		chromedp.Click(css("a[href='/account/passkeys']")),
		chromedp.WaitVisible(css("form[action='/reauthenticate'] #password")),
		chromedp.SendKeys(css("#password"), p.Password),
		chromedp.SendKeys(css("#code"), p.Code(t, clock.Now())),
		chromedp.Click(css("main button[type=submit]")),
		chromedp.WaitVisible(css("#passkey-name")), // shown by passkey.js
	)
	checkAccessibility(t, ctx, "passkeys")

	// A mistake first: no name.
	run(t, ctx,
		chromedp.Click(css("form[data-passkey-register] button[type=submit]")),
		chromedp.WaitVisible(css(".govuk-error-summary")),
	)
	if got := text(t, ctx, ".govuk-error-summary"); !strings.Contains(got, "Enter a name for the passkey") {
		t.Errorf("error summary %q", got)
	}
	if title, _ := chromedp.Run(ctx, chromedp.Title()); !strings.HasPrefix(title, "Error: ") {
		t.Errorf("title with an error %q", title)
	}
	checkAccessibility(t, ctx, "passkeys with an error")
	run(t, ctx,
		chromedp.SendKeys(css("#passkey-name"), "Work laptop"),
		chromedp.Click(css("form[data-passkey-register] button[type=submit]")),
		chromedp.WaitVisible(css("table[data-passkeys]")),
	)
	checkAccessibility(t, ctx, "passkeys with one")
	if got := text(t, ctx, "table[data-passkeys] tbody"); !strings.Contains(got, "Work laptop") || !strings.Contains(got, "Not yet") {
		t.Errorf("passkeys listed %q", got)
	}
	if got := text(t, ctx, ".govuk-notification-banner"); !strings.Contains(got, "Passkey added") {
		t.Errorf("banner %q", got)
	}
	creds := authenticatorCredentials(t, ctx, authenticator)
	if len(creds) != 1 || !creds[0].IsResidentCredential || creds[0].RpID != "localhost" {
		t.Fatalf("the authenticator holds %+v", creds)
	}
	if handle, err := env.Staff.PasskeyUserHandle(context.Background(), p.ID); err != nil || string(creds[0].UserHandle) != string(handle) {
		t.Errorf("the authenticator's user handle is not the account's (%v)", err)
	}

	// Sign out; sign in with password and passkey.
	run(t, ctx,
		chromedp.Click(css(".cw-header__signout button")),
		chromedp.WaitVisible(css("#email")),
		chromedp.SendKeys(css("#email"), p.Email),
		chromedp.SendKeys(css("#password"), p.Password),
		chromedp.Click(css("main button[type=submit]")),
		chromedp.WaitVisible(css("#passkey-signin")), // shown once the account's passkey options arrived
	)
	checkAccessibility(t, ctx, "code with a passkey")
	run(t, ctx,
		chromedp.Click(css("#passkey-signin")),
		chromedp.WaitVisible(signedIn),
	)
	if loc, _ := chromedp.Run(ctx, chromedp.Location()); loc != ts.URL+"/" {
		t.Errorf("after the passkey: at %s, want the home page", loc)
	}
	checkAccessibility(t, ctx, "home after a passkey")

	list, err := env.Staff.Passkeys(context.Background(), p.ID)
	if err != nil || len(list) != 1 || list[0].Name != "Work laptop" || list[0].LastUsedAt.IsZero() || list[0].SignCount == 0 {
		t.Fatalf("passkeys after use: %+v, %v", list, err)
	}
	if creds := authenticatorCredentials(t, ctx, authenticator); len(creds) != 1 || uint32(creds[0].SignCount) != list[0].SignCount {
		t.Errorf("sign count: authenticator %v, server %d", creds, list[0].SignCount)
	}
}
