package web_test

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/caseward/caseward/internal/access"
	"github.com/caseward/caseward/internal/app/apptest"
	"github.com/caseward/caseward/internal/browsertest"
	"github.com/caseward/caseward/internal/store"
	"github.com/chromedp/chromedp"
)

// axe-core 4.14.1 (MPL-2.0), vendored unmodified as test data.
//
//go:embed testdata/axe-core.min.js
var axeSource string

type css = chromedp.CSS

// signedInMarker is on every page of a signed-in user and on no page
// before the second factor: the header's sign-out button.
const signedInMarker = "header form[action='/sign-out'] button"

// withTimeout runs steps with a deadline derived from the browser context,
// so a hung page fails the test instead of hanging it.
func run(t *testing.T, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		loc, _ := chromedp.Run(ctx, chromedp.Location())
		t.Fatalf("browser at %s: %v", loc, err)
	}
}

func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(css(sel)))
	if err != nil {
		t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

// axeViolation is the part of an axe-core result we report.
type axeViolation struct {
	ID    string `json:"id"`
	Help  string `json:"help"`
	Nodes []struct {
		Target []any `json:"target"`
	} `json:"nodes"`
}

// checkAccessibility runs axe-core on the current page against WCAG 2.x
// A and AA (including 2.2) and fails on any violation.
func checkAccessibility(t *testing.T, ctx context.Context, page string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](axeSource)); err != nil {
		t.Fatalf("inject axe-core: %v", err)
	}
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[[]byte](
		`axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']}}).then(r => r.violations)`,
		chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("run axe-core: %v", err)
	}
	var violations []axeViolation
	if err := json.Unmarshal(raw, &violations); err != nil {
		t.Fatalf("axe result: %v", err)
	}
	for _, v := range violations {
		var where []string
		for _, n := range v.Nodes {
			where = append(where, fmt.Sprint(n.Target...))
		}
		t.Errorf("%s: accessibility: %s (%s) at %s", page, v.ID, v.Help, strings.Join(where, ", "))
	}
}

// TestBrowser drives a real headless Chromium against a real server: a
// caseworker signs in with password and TOTP, creates a client and sees
// them; every page on the way passes axe-core; a form posted from another
// site is refused.
func TestBrowser(t *testing.T) {
	env := apptest.New(t, store.SQLite, nil) // the browser's codes come from the real clock
	ts := newServer(t, env)
	svc := env.Service(t, "Counselling", false)
	p := env.Person(t, access.Caseworker, svc.ID)
	ctx := browsertest.New(t)

	run(t, ctx, chromedp.Navigate(ts.URL+"/"), chromedp.WaitVisible(css("#email")))
	checkAccessibility(t, ctx, "sign-in")
	run(t, ctx,
		chromedp.SendKeys(css("#email"), p.Email),
		chromedp.SendKeys(css("#password"), p.Password),
		chromedp.Click(css("main button[type=submit]")),
		chromedp.WaitVisible(css("#code")),
	)
	checkAccessibility(t, ctx, "code")
	run(t, ctx,
		chromedp.SendKeys(css("#code"), p.Code(t, time.Now())),
		chromedp.Click(css("main form[action='/sign-in/code'] button[type=submit]")),
		chromedp.WaitVisible(css("main a[href='/clients/find']")),
	)
	checkAccessibility(t, ctx, "home")
	run(t, ctx,
		// Straight to the form, past the look-up (the journey test takes it).
		chromedp.Navigate(ts.URL+"/clients/new"),
		chromedp.WaitVisible(css("#given-name")),
		// A form with a mistake first: the message is by the field, the input kept.
		chromedp.SetValue(css("#service"), svc.ID),
		chromedp.SendKeys(css("#given-name"), "Rojîn"),
		chromedp.SendKeys(css("#dob-day"), "4"),
		chromedp.SendKeys(css("#dob-month"), "8"),
		chromedp.SendKeys(css("#dob-year"), "1996"),
		chromedp.Click(css("main button[type=submit]")),
		chromedp.WaitVisible(css(".govuk-error-summary")),
	)
	checkAccessibility(t, ctx, "new client with errors")
	if got, _ := chromedp.Run(ctx, chromedp.Value(css("#given-name"))); got != "Rojîn" {
		t.Errorf("given name not kept: %q", got)
	}
	run(t, ctx,
		chromedp.SendKeys(css("#family-name"), "Amedî"),
		chromedp.Click(css("main button[type=submit]")),
		chromedp.WaitVisible(css("dd[data-field='given_name']")),
	)
	checkAccessibility(t, ctx, "client record")
	if got := text(t, ctx, "dd[data-field='given_name']"); got != "Rojîn" {
		t.Errorf("given name shown %q", got)
	}
	if got := text(t, ctx, "dd[data-field='date_of_birth']"); got != "4 August 1996" {
		t.Errorf("date of birth shown %q", got)
	}
	title, _ := chromedp.Run(ctx, chromedp.Title())
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	if strings.Contains(title, "Rojîn") || strings.Contains(loc, "Roj") {
		t.Errorf("personal data in title %q or URL %q", title, loc) // P19
	}

	// Cross-origin: a page on another site posts a form to Caseward with the
	// signed-in user's cookies. Caseward must refuse it.
	before := countClients(t, env)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	attackerURL := "http://localhost:" + fmt.Sprint(ln.Addr().(*net.TCPAddr).Port) // another site: localhost, not 127.0.0.1
	attacker := &httptest.Server{Listener: ln, Config: &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `<!DOCTYPE html><title>x</title><form id="f" method="post" action="%s/clients">
			<input name="service" value="%s"><input name="given_name" value="Forged"><input name="family_name" value="Entry">
			<input name="dob_day" value="1"><input name="dob_month" value="1"><input name="dob_year" value="1990"></form>
			<script>document.getElementById('f').submit()</script>`, ts.URL, svc.ID)
	})}}
	attacker.Start()
	defer attacker.Close()
	run(t, ctx, chromedp.Navigate(attackerURL), chromedp.WaitVisible(css("body")))
	run(t, ctx, chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		for range 50 {
			loc, err := chromedp.Run(ctx, chromedp.Location())
			if err == nil && strings.HasPrefix(loc, ts.URL) {
				return nil
			}
			time.Sleep(100 * time.Millisecond)
		}
		return fmt.Errorf("the forged form was not submitted")
	}))
	if body := text(t, ctx, "body"); !strings.Contains(body, "Cross-origin request refused") {
		t.Errorf("cross-origin post answered %q", body)
	}
	if after := countClients(t, env); after != before {
		t.Errorf("cross-origin post created a client (%d → %d)", before, after)
	}
}
