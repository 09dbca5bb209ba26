package web_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/caseward/caseward/internal/access"
	"github.com/caseward/caseward/internal/app/apptest"
	"github.com/caseward/caseward/internal/browsertest"
	"github.com/caseward/caseward/internal/casework"
	"github.com/caseward/caseward/internal/store"
	"github.com/chromedp/chromedp"
)

// browserSignIn signs p in, in a browser of their own.
func browserSignIn(t *testing.T, ts *testServer, p apptest.Person) context.Context {
	t.Helper()
	ctx := browsertest.New(t)
	run(t, ctx,
		chromedp.Navigate(ts.URL+"/sign-in"),
		chromedp.WaitVisible(css("#email")),
		chromedp.SendKeys(css("#email"), p.Email),
		chromedp.SendKeys(css("#password"), p.Password),
		chromedp.Click(css("main button[type=submit]")),
		chromedp.WaitVisible(css("#code")),
		chromedp.SendKeys(css("#code"), p.Code(t, time.Now())),
		chromedp.Click(css("main form[action='/sign-in/code'] button[type=submit]")),
		chromedp.WaitVisible(css(signedInMarker)),
	)
	return ctx
}

// Every page of the client record passes axe-core (WCAG 2.2 AA): the full
// record, each part's form, a form with errors, and the lists page; and
// the safe contact warning is on the record before anything else.
func TestRecordPagesAccessible(t *testing.T) {
	env := apptest.New(t, store.SQLite, nil)
	ts := newServer(t, env)
	svc := env.Service(t, "Counselling", false)
	worker := env.Person(t, access.Caseworker, svc.ID)
	mgr := env.Person(t, access.Manager, svc.ID)
	in := casework.ClientInput{ServiceID: svc.ID, GivenName: "Rojîn", FamilyName: "Amedî", DateOfBirth: "1996-08-04",
		RecordParts: casework.RecordParts{
			SafeContact:    &casework.SafeContact{Phone: casework.No, Letter: casework.Yes, PlainEnvelope: true},
			Flags:          &casework.Flags{Risk: casework.RiskHigh},
			Contact:        &casework.Contact{Phones: []casework.Phone{{Label: "Mobile", Number: "07700 900321"}}},
			SupportNetwork: &[]casework.SupportPerson{{Name: "Berfin Amedî", Relationship: "Sister"}},
		}}
	id, err := env.Casework.CreateClient(t.Context(), worker.Actor(), in)
	if err != nil {
		t.Fatal(err)
	}
	ctx := browserSignIn(t, ts, worker)
	run(t, ctx, chromedp.Navigate(ts.URL+"/clients/"+id), chromedp.WaitVisible(css("#record-safe-contact")))
	checkAccessibility(t, ctx, "client record")
	if got := text(t, ctx, ".cw-client-header .govuk-warning-text"); !strings.Contains(got, "Do not phone") {
		t.Errorf("header warning %q", got)
	}
	for _, part := range []string{"personal", "contact", "gp", "support-network", "monitoring", "flags"} {
		run(t, ctx, chromedp.Navigate(ts.URL+"/clients/"+id+"/edit/"+part), chromedp.WaitVisible(css("main form")))
		checkAccessibility(t, ctx, part+" form")
	}
	// A form with an error.
	run(t, ctx,
		chromedp.Navigate(ts.URL+"/clients/"+id+"/edit/contact"),
		chromedp.WaitVisible(css("#contact-postcode")),
		chromedp.SendKeys(css("#contact-postcode"), "nowhere"),
		chromedp.Click(css("main form button[type=submit]")),
		chromedp.WaitVisible(css(".govuk-error-summary")),
	)
	checkAccessibility(t, ctx, "contact form with errors")
	run(t, ctx, chromedp.Navigate(ts.URL+"/clients/new"), chromedp.WaitVisible(css("#given-name")))
	checkAccessibility(t, ctx, "new client")

	mctx := browserSignIn(t, ts, mgr)
	run(t, mctx, chromedp.Navigate(ts.URL+"/settings/lists"), chromedp.WaitVisible(css("#list-flag")))
	checkAccessibility(t, mctx, "lists")
}
