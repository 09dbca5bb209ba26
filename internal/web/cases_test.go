package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
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

// recordClient records a client as p, straight through the domain.
func recordClient(t *testing.T, env *apptest.Env, p apptest.Person, serviceID, given, family string) string {
	t.Helper()
	id, err := env.Casework.CreateClient(context.Background(), p.Actor(), casework.ClientInput{
		ServiceID: serviceID, GivenName: given, FamilyName: family, DateOfBirth: "1988-06-15",
	})
	if err != nil {
		t.Fatalf("create client: %v", err)
	}
	return id
}

// clientCases lists a client's cases as the manager or worker p sees them.
func clientCases(t *testing.T, env *apptest.Env, p apptest.Person, clientID string) []casework.Case {
	t.Helper()
	l, err := env.Casework.Cases(context.Background(), p.Actor(), clientID, access.Casework)
	if err != nil {
		t.Fatalf("cases: %v", err)
	}
	return l.Cases
}

func countCaseRows(t *testing.T, env *apptest.Env) (cases, events int) {
	t.Helper()
	ctx := context.Background()
	if err := env.DB.QueryRow(ctx, "SELECT COUNT(*) FROM cases").Scan(&cases); err != nil {
		t.Fatal(err)
	}
	if err := env.DB.QueryRow(ctx, "SELECT COUNT(*) FROM case_events").Scan(&events); err != nil {
		t.Fatal(err)
	}
	return cases, events
}

var versionRE = regexp.MustCompile(`name="version" value="(\d+)"`)

func formVersion(t *testing.T, body string) string {
	t.Helper()
	m := versionRE.FindStringSubmatch(body)
	if m == nil {
		t.Fatal("the form has no version")
	}
	return m[1]
}

func mustContain(t *testing.T, what, body string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(body, w) {
			t.Errorf("%s lacks %q", what, w)
		}
	}
}

// P03 through the pages: the home page lists my open cases; a case is
// opened, put on hold, handed over with a reason that shows in its
// history; bad input comes back by its fields with what was typed kept,
// and writes nothing. No personal data in titles, URLs or logs.
func TestCasePages(t *testing.T) {
	apptest.Each(t, func(t *testing.T, env *apptest.Env) {
		ts := newServer(t, env)
		svc := env.Service(t, "Counselling", false)
		other := env.Service(t, "Advocacy", false)
		amy := env.Person(t, access.Caseworker, svc.ID)
		bo := env.Person(t, access.Caseworker, svc.ID)
		outsider := env.Person(t, access.Caseworker, other.ID)
		id := recordClient(t, env, amy, svc.ID, "Shirin", "Rahimova")
		first := clientCases(t, env, amy, id)[0]
		c := ts.signIn(t, amy)

		resp, body := ts.get(t, c, "/")
		if resp.StatusCode != 200 {
			t.Fatalf("home: %d", resp.StatusCode)
		}
		mustContain(t, "home", body, "Add a client", "My open cases", "My appointments", "No appointments today.", "Shirin Rahimova", "/clients/"+id+"/cases/"+first.ID, "Enquiry", "25 November 2026")

		resp, body = ts.get(t, c, "/clients/"+id+"/cases")
		if resp.StatusCode != 200 {
			t.Fatalf("cases: %d", resp.StatusCode)
		}
		mustContain(t, "cases page", body, "Shirin Rahimova", `aria-current="page">Cases`, "Enquiry", amy.Name, "Open a case")
		if title(body) != "Cases – Caseward" {
			t.Errorf("title %q", title(body))
		}

		// Open a case: bad input first.
		if resp, body := ts.get(t, c, "/clients/"+id+"/cases/new"); resp.StatusCode != 200 || !strings.Contains(body, `value="`+amy.ID+`" selected`) {
			t.Fatalf("new case form: %d", resp.StatusCode)
		}
		cases, events := countCaseRows(t, env)
		resp, body = ts.post(t, c, "/clients/"+id+"/cases", url.Values{"service": {svc.ID}, "kind": {"work"}, "owner": {outsider.ID}, "opened_day": {"31"}, "opened_month": {"2"}, "opened_year": {"2026"}})
		if resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("bad case: %d", resp.StatusCode)
		}
		mustContain(t, "bad case form", body, "Choose someone who works in this service", "The date opened must be a real date", `href="#owner"`, `href="#opened-day"`,
			`value="work" checked`, `value="31"`, "Error: Open a case")
		if n, e := countCaseRows(t, env); n != cases || e != events {
			t.Fatal("a bad case was written")
		}
		resp, _ = ts.post(t, c, "/clients/"+id+"/cases", url.Values{"service": {svc.ID}, "kind": {"referral"}, "owner": {amy.ID}})
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/clients/"+id+"/cases?done=opened" {
			t.Fatalf("open case: %d %s", resp.StatusCode, resp.Header.Get("Location"))
		}
		if _, body := ts.get(t, c, resp.Header.Get("Location")); !strings.Contains(body, "Case opened.") || !strings.Contains(body, "Referral") {
			t.Error("the new case is not listed")
		}

		// Status: closing without a reason is refused, the note kept.
		casePath := "/clients/" + id + "/cases/" + first.ID
		resp, body = ts.get(t, c, casePath+"/status")
		if resp.StatusCode != 200 {
			t.Fatalf("status form: %d", resp.StatusCode)
		}
		version := formVersion(t, body)
		resp, body = ts.post(t, c, casePath+"/status", url.Values{"version": {version}, "status": {"closed"}, "note": {"Spoke to Shirin's sister"}})
		if resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("close without reason: %d", resp.StatusCode)
		}
		mustContain(t, "status form", body, "Choose why the case is being closed", `href="#reason"`, "Spoke to Shirin&#39;s sister", `value="closed" checked`)
		if n, e := countCaseRows(t, env); n != cases+1 || e != events+1 {
			t.Fatal("a refused status change was written")
		}
		resp, _ = ts.post(t, c, casePath+"/status", url.Values{"version": {version}, "status": {"on-hold"}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("on hold: %d", resp.StatusCode)
		}
		_, body = ts.get(t, c, resp.Header.Get("Location"))
		mustContain(t, "case page", body, "Status changed.", "On hold", "Open → On hold", "Hand over")

		// A stale form is told, and keeps what was typed.
		resp, body = ts.post(t, c, casePath+"/handover", url.Values{"version": {version}, "owner": {bo.ID}, "reason": {"Shirin asked for a woman worker who speaks Farsi"}})
		if resp.StatusCode != http.StatusConflict || !strings.Contains(body, "Someone else changed this case") || !strings.Contains(body, "speaks Farsi") {
			t.Fatalf("stale hand-over: %d", resp.StatusCode)
		}
		version = formVersion(t, body)
		resp, _ = ts.post(t, c, casePath+"/handover", url.Values{"version": {version}, "owner": {bo.ID}, "reason": {"Shirin asked for a woman worker who speaks Farsi"}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("hand-over: %d", resp.StatusCode)
		}
		// Amy owns the second case still, so she sees the client, and the
		// hand-over's record: who, when, why.
		_, body = ts.get(t, c, casePath)
		mustContain(t, "case page after hand-over", body, "Handed over from "+amy.Name+" to "+bo.Name, "speaks Farsi", "25 November 2026 at 09:30")
		if strings.Contains(body, ">Hand over<") {
			t.Error("the former owner is offered the hand-over")
		}

		// Closing her last case ends Amy's access: she is sent back to her
		// caseload, told why, rather than to a page she may no longer see.
		var referral casework.Case
		for _, k := range clientCases(t, env, amy, id) {
			if k.Kind == casework.Referral {
				referral = k
			}
		}
		resp, _ = ts.post(t, c, "/clients/"+id+"/cases/"+referral.ID+"/status", url.Values{"version": {fmt.Sprint(referral.Version)}, "status": {"closed"}, "reason": {"referred-on"}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("close: %d", resp.StatusCode)
		}
		resp, _ = ts.get(t, c, resp.Header.Get("Location"))
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/?done=status" {
			t.Fatalf("after closing the last case: %d %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		_, body = ts.get(t, c, "/?done=status")
		mustContain(t, "home after closing", body, "Status changed. The client is no longer in your caseload.", "No open cases.")

		// P23: another service's worker gets the same page as for no client.
		oc := ts.signIn(t, outsider)
		r1, denied := ts.get(t, oc, "/clients/"+id+"/cases")
		r2, missing := ts.get(t, oc, "/clients/"+store.NewID()+"/cases")
		if r1.StatusCode != 404 || r2.StatusCode != 404 || stripIDs(denied) != stripIDs(missing) {
			t.Fatalf("denied (%d) and missing (%d) differ", r1.StatusCode, r2.StatusCode)
		}
		if r, _ := ts.get(t, oc, casePath); r.StatusCode != 404 {
			t.Errorf("outsider reads the case: %d", r.StatusCode)
		}

		logs := ts.logs.String()
		for _, s := range []string{"Shirin", "Rahimova", "Farsi", "sister"} {
			if strings.Contains(logs, s) {
				t.Errorf("%q in the logs", s)
			}
		}
	})
}

// The home page lists my open cases a page at a time, in a stable order.
func TestCaseloadHomePaging(t *testing.T) {
	env := apptest.New(t, store.SQLite, apptest.NewClock())
	ts := newServer(t, env)
	svc := env.Service(t, "Counselling", false)
	amy := env.Person(t, access.Caseworker, svc.ID)
	mgr := env.Person(t, access.Manager, svc.ID)
	for i := range 27 {
		recordClient(t, env, amy, svc.ID, fmt.Sprintf("Client%02d", i), "Paging")
	}
	c := ts.signIn(t, amy)
	_, p1 := ts.get(t, c, "/")
	_, p2 := ts.get(t, c, "/?page=2")
	if n := strings.Count(p1, "Paging</a>"); n != 25 {
		t.Errorf("first page shows %d cases, want 25", n)
	}
	if n := strings.Count(p2, "Paging</a>"); n != 2 {
		t.Errorf("second page shows %d cases, want 2", n)
	}
	if !strings.Contains(p1, `href="/?page=2"`) || !strings.Contains(p2, `href="/?page=1"`) {
		t.Error("no links between the pages")
	}
	for i := range 27 {
		name := fmt.Sprintf("Client%02d", i)
		if strings.Contains(p1, name) == strings.Contains(p2, name) {
			t.Errorf("%s is on both pages or neither", name)
		}
	}
	// A manager sees their services' cases with owners.
	_, body := ts.get(t, ts.signIn(t, mgr), "/")
	mustContain(t, "manager's home", body, "Open cases in my services", amy.Name, "Team caseloads")
}

// P08 through the pages: a manager sees the team's caseloads and moves a
// leaver's caseload in one step.
func TestMoveCaseloadPages(t *testing.T) {
	apptest.Each(t, func(t *testing.T, env *apptest.Env) {
		ts := newServer(t, env)
		svc := env.Service(t, "Counselling", false)
		other := env.Service(t, "Advocacy", false)
		leaver := env.Person(t, access.Caseworker, svc.ID, other.ID)
		newbie := env.Person(t, access.Caseworker, svc.ID)
		mgr := env.Person(t, access.Manager, svc.ID)
		a := recordClient(t, env, leaver, svc.ID, "Ana", "Moved")
		b := recordClient(t, env, leaver, svc.ID, "Bela", "Moved")
		recordClient(t, env, leaver, other.ID, "Chidi", "Stays")
		path := "/staff/" + leaver.ID + "/caseload/move"

		// Caseworkers may not.
		if r, _ := ts.get(t, ts.signIn(t, newbie), path); r.StatusCode != http.StatusForbidden {
			t.Errorf("caseworker opens the move page: %d", r.StatusCode)
		}
		mc := ts.signIn(t, mgr)
		resp, body := ts.get(t, mc, "/caseloads")
		if resp.StatusCode != 200 {
			t.Fatalf("team: %d", resp.StatusCode)
		}
		mustContain(t, "team page", body, leaver.Name, `href="`+path+`"`)
		resp, body = ts.get(t, mc, path)
		if resp.StatusCode != 200 {
			t.Fatalf("move form: %d", resp.StatusCode)
		}
		mustContain(t, "move form", body, "owns 2 open or on-hold cases", "Counselling: 2", "Advocacy: 1", newbie.Name)

		cases, events := countCaseRows(t, env)
		resp, body = ts.post(t, mc, path, url.Values{"to": {""}, "reason": {"Left on Friday"}})
		if resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("move without a worker: %d", resp.StatusCode)
		}
		mustContain(t, "refused move", body, "Choose who takes the caseload over", `href="#to"`, "Left on Friday", "Error: Move a caseload")
		if n, e := countCaseRows(t, env); n != cases || e != events {
			t.Fatal("a refused move wrote rows")
		}
		resp, body = ts.post(t, mc, path, url.Values{"to": {newbie.ID}, "reason": {"Left on Friday"}})
		if resp.StatusCode != 200 {
			t.Fatalf("move: %d", resp.StatusCode)
		}
		mustContain(t, "moved page", body, "Caseload moved", "2 cases of 2 clients handed over to "+newbie.Name, "Advocacy: 1")
		for _, id := range []string{a, b} {
			if got := clientCases(t, env, mgr, id)[0].OwnerID; got != newbie.ID {
				t.Errorf("client %s's case owned by %s", id, got)
			}
		}
		if r, _ := ts.get(t, mc, "/staff/"+store.NewID()+"/caseload/move"); r.StatusCode != 404 {
			t.Errorf("move page for nobody: %d", r.StatusCode)
		}
	})
}

// The API mirrors the pages: the same rules, the same messages.
func TestCasesAPI(t *testing.T) {
	apptest.Each(t, func(t *testing.T, env *apptest.Env) {
		ctx := context.Background()
		ts := newServer(t, env)
		svc := env.Service(t, "Counselling", false)
		other := env.Service(t, "Advocacy", false)
		amy := env.Person(t, access.Caseworker, svc.ID)
		bo := env.Person(t, access.Caseworker, svc.ID)
		mgr := env.Person(t, access.Manager, svc.ID)
		outsider := env.Person(t, access.Caseworker, other.ID)
		token := func(p apptest.Person) string {
			tok, err := env.Staff.CreateToken(ctx, p.Email, 3600*1e9)
			if err != nil {
				t.Fatal(err)
			}
			return tok
		}
		amyT, mgrT, outT := token(amy), token(mgr), token(outsider)
		id := recordClient(t, env, amy, svc.ID, "Mariam", "Haile")
		base := "/api/v1/clients/" + id + "/cases"

		cases, events := countCaseRows(t, env)
		for _, tt := range []struct {
			name, method, path, body string
			status                   int
			field                    string
		}{
			{"open: no kind", "POST", base, `{"service":"` + svc.ID + `","owner":"` + amy.ID + `"}`, 400, "kind"},
			{"open: owner elsewhere", "POST", base, `{"service":"` + svc.ID + `","kind":"work","owner":"` + outsider.ID + `"}`, 400, "owner"},
			{"open: unknown field", "POST", base, `{"service":"` + svc.ID + `","kind":"work","owner":"` + amy.ID + `","notes":"x"}`, 400, "notes"},
			{"status: close without reason", "POST", base + "/" + store.NewID() + "/status", `{"status":"closed","version":1}`, 400, "reason"},
			{"handover: no reason", "POST", base + "/" + store.NewID() + "/handover", `{"owner":"` + bo.ID + `","version":1}`, 400, "reason"},
			{"caseload: bad scope", "GET", "/api/v1/caseload?scope=everyone", "", 400, "scope"},
			{"move: not a manager", "POST", "/api/v1/staff/" + amy.ID + "/caseload/move", `{"to":"` + bo.ID + `","reason":"x"}`, 403, ""},
		} {
			t.Run(tt.name, func(t *testing.T) {
				resp, out := ts.api(t, amyT, tt.method, tt.path, tt.body)
				if resp.StatusCode != tt.status {
					t.Fatalf("status %d, want %d: %v", resp.StatusCode, tt.status, out)
				}
				if tt.field != "" {
					e, _ := out["error"].(map[string]any)
					fields, _ := e["fields"].([]any)
					if len(fields) == 0 || fields[0].(map[string]any)["field"] != tt.field {
						t.Fatalf("error does not name %s: %v", tt.field, e)
					}
				}
			})
		}
		if n, e := countCaseRows(t, env); n != cases || e != events {
			t.Fatal("bad requests wrote rows")
		}

		resp, out := ts.api(t, amyT, "GET", base, "")
		list, _ := out["cases"].([]any)
		if resp.StatusCode != 200 || len(list) != 1 {
			t.Fatalf("list: %d %v", resp.StatusCode, out)
		}
		first := list[0].(map[string]any)
		if first["owner"] != amy.ID || first["status"] != "open" || first["kind"] != "enquiry" || first["closed_on"] != nil {
			t.Errorf("first case %v", first)
		}
		resp, out = ts.api(t, amyT, "POST", base, `{"service":"`+svc.ID+`","kind":"work","owner":"`+bo.ID+`","opened_on":"2026-11-01"}`)
		if resp.StatusCode != 201 {
			t.Fatalf("open: %d %v", resp.StatusCode, out)
		}
		caseID := out["id"].(string)
		if resp.Header.Get("Location") != base+"/"+caseID {
			t.Errorf("Location %q", resp.Header.Get("Location"))
		}
		// Amy opened it but Bo owns it: Amy may close it (she works with
		// the client), not hand it over.
		resp, out = ts.api(t, amyT, "POST", base+"/"+caseID+"/handover", `{"owner":"`+amy.ID+`","reason":"mine","version":1}`)
		if resp.StatusCode != 403 {
			t.Errorf("non-owner hand-over: %d %v", resp.StatusCode, out)
		}
		resp, out = ts.api(t, amyT, "POST", base+"/"+caseID+"/status", `{"status":"closed","reason":"completed","note":"All done","version":1}`)
		if resp.StatusCode != 200 || out["status"] != "closed" || out["close_reason"] != "completed" || out["closed_on"] != "2026-11-25" {
			t.Fatalf("close: %d %v", resp.StatusCode, out)
		}
		hist, _ := out["history"].([]any)
		if len(hist) != 2 || hist[1].(map[string]any)["note"] != "All done" {
			t.Errorf("history %v", hist)
		}
		resp, out = ts.api(t, amyT, "POST", base+"/"+caseID+"/status", `{"status":"open","version":1}`)
		if resp.StatusCode != 409 {
			t.Errorf("stale status change: %d %v", resp.StatusCode, out)
		}
		resp, out = ts.api(t, mgrT, "POST", base+"/"+first["id"].(string)+"/handover", `{"owner":"`+bo.ID+`","reason":"Amy is on leave","version":1}`)
		if resp.StatusCode != 200 || out["owner"] != bo.ID {
			t.Fatalf("hand-over: %d %v", resp.StatusCode, out)
		}

		resp, out = ts.api(t, token(bo), "GET", "/api/v1/caseload", "")
		rows, _ := out["cases"].([]any)
		if resp.StatusCode != 200 || len(rows) != 1 || rows[0].(map[string]any)["client_name"] != "Mariam Haile" {
			t.Fatalf("Bo's caseload: %d %v", resp.StatusCode, out)
		}
		resp, out = ts.api(t, mgrT, "POST", "/api/v1/staff/"+bo.ID+"/caseload/move", `{"to":"`+amy.ID+`","reason":"Bo left"}`)
		if resp.StatusCode != 200 || out["moved"] != float64(1) || out["clients"] != float64(1) {
			t.Fatalf("move: %d %v", resp.StatusCode, out)
		}
		resp, out = ts.api(t, mgrT, "POST", "/api/v1/staff/"+bo.ID+"/caseload/move", `{"to":"`+bo.ID+`","reason":"x"}`)
		if resp.StatusCode != 400 {
			t.Errorf("move to the leaver: %d %v", resp.StatusCode, out)
		}

		// P23: denied and missing answer alike.
		r1, denied := ts.api(t, outT, "GET", base, "")
		r2, missing := ts.api(t, outT, "GET", "/api/v1/clients/"+store.NewID()+"/cases", "")
		if r1.StatusCode != 404 || r2.StatusCode != 404 || !jsonEqual(denied, missing) {
			t.Fatalf("denied %d %v, missing %d %v", r1.StatusCode, denied, r2.StatusCode, missing)
		}
	})
}

// The case pages pass axe-core (WCAG 2.2 AA) in a real browser, with and
// without errors: a caseworker's home, a client's cases, a case, the
// status and hand-over forms; a manager's team, move and moved pages.
func TestCasePagesAccessible(t *testing.T) {
	env := apptest.New(t, store.SQLite, nil) // the browser's codes come from the real clock
	ts := newServer(t, env)
	svc := env.Service(t, "Counselling", false)
	amy := env.Person(t, access.Caseworker, svc.ID)
	bo := env.Person(t, access.Caseworker, svc.ID)
	mgr := env.Person(t, access.Manager, svc.ID)
	id := recordClient(t, env, amy, svc.ID, "Rojîn", "Amedî")
	c := clientCases(t, env, amy, id)[0]
	// A plan due for review, so that the home page shows "Reviews due".
	if _, err := env.Casework.CreatePlan(context.Background(), amy.Actor(), id, casework.PlanInput{Title: "Support plan",
		ReviewOn: time.Now().AddDate(0, 0, 2).Format(casework.DateLayout), Goals: []casework.Goal{{Text: "Feel safer at home"}}}); err != nil {
		t.Fatal(err)
	}
	ctx := browsertest.New(t)
	signInBrowser := func(p apptest.Person) {
		t.Helper()
		run(t, ctx, chromedp.Navigate(ts.URL+"/sign-in"), chromedp.WaitVisible(css("#email")),
			chromedp.SendKeys(css("#email"), p.Email), chromedp.SendKeys(css("#password"), p.Password),
			chromedp.Click(css("main button[type=submit]")), chromedp.WaitVisible(css("#code")),
			chromedp.SendKeys(css("#code"), p.Code(t, time.Now())),
			chromedp.Click(css("main form[action='/sign-in/code'] button[type=submit]")),
			// The signed-in header, not any h1: the code page has one too,
			// and navigating on before this page loads aborts the sign-in.
			chromedp.WaitVisible(css(signedInMarker)))
	}
	visit := func(name, path, ready string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		run(t, ctx, append([]chromedp.Action[chromedp.Void]{chromedp.Navigate(ts.URL + path), chromedp.WaitVisible(css(ready))}, steps...)...)
		checkAccessibility(t, ctx, name)
	}
	casePath := "/clients/" + id + "/cases/" + c.ID

	signInBrowser(amy)
	visit("caseload home", "/", "#my-reviews")
	visit("cases", "/clients/"+id+"/cases", "table")
	visit("new case with errors", "/clients/"+id+"/cases/new", "#owner",
		chromedp.SetValue(css("#owner"), ""), chromedp.SendKeys(css("#opened-day"), "31"),
		chromedp.Click(css("main button[type=submit]")), chromedp.WaitVisible(css(".govuk-error-summary")))
	visit("status with errors", casePath+"/status", "#status",
		chromedp.Click(css("#status-closed")), chromedp.Click(css("main button[type=submit]")), chromedp.WaitVisible(css(".govuk-error-summary")))
	visit("hand-over with errors", casePath+"/handover", "#owner",
		chromedp.Click(css("main button[type=submit]")), chromedp.WaitVisible(css(".govuk-error-summary")))
	visit("hand-over", casePath+"/handover", "#owner",
		chromedp.SetValue(css("#owner"), bo.ID), chromedp.SendKeys(css("#reason"), "Leave"),
		chromedp.Click(css("main button[type=submit]")), chromedp.WaitVisible(css(".govuk-notification-banner")))
	// Amy gave away her only work with the client, and with it her access:
	// she is back on her caseload, told so.
	if body := text(t, ctx, "main"); !strings.Contains(body, "Case handed over. The client is no longer in your caseload.") {
		t.Errorf("after hand-over: %q", body)
	}

	run(t, ctx, chromedp.Navigate(ts.URL+"/"), chromedp.WaitVisible(css("form[action='/sign-out'] button")),
		chromedp.Click(css("form[action='/sign-out'] button")), chromedp.WaitVisible(css("#email")))
	signInBrowser(mgr)
	visit("manager's home", "/", "#service-cases")
	visit("team caseloads", "/caseloads", "table")
	move := "/staff/" + bo.ID + "/caseload/move"
	visit("move with errors", move, "#to",
		chromedp.Click(css("main button[type=submit]")), chromedp.WaitVisible(css(".govuk-error-summary")))
	visit("moved", move, "#to",
		chromedp.SetValue(css("#to"), amy.ID), chromedp.SendKeys(css("#reason"), "Left"),
		chromedp.Click(css("main button[type=submit]")), chromedp.WaitVisible(css(".govuk-panel")))
}

// The DPO says why before the cases open, and the reason follows them from
// page to page; they may read, not change.
func TestCasePagesForTheDPO(t *testing.T) {
	apptest.Each(t, func(t *testing.T, env *apptest.Env) {
		ts := newServer(t, env)
		svc := env.Service(t, "Counselling", false)
		amy := env.Person(t, access.Caseworker, svc.ID)
		dpo := env.Person(t, access.DPO)
		id := recordClient(t, env, amy, svc.ID, "Hana", "Novak")
		c := clientCases(t, env, amy, id)[0]
		dc := ts.signIn(t, dpo)
		resp, body := ts.get(t, dc, "/clients/"+id+"/cases")
		if resp.StatusCode != 200 || !strings.Contains(body, "Why are you opening this record?") || !strings.Contains(body, `action="/clients/`+id+`/cases"`) || strings.Contains(body, "Hana") {
			t.Fatalf("DPO without a purpose: %d", resp.StatusCode)
		}
		_, body = ts.get(t, dc, "/clients/"+id+"/cases?purpose=review")
		mustContain(t, "DPO's cases page", body, "Hana Novak", "/cases/"+c.ID+"?purpose=review")
		if strings.Contains(body, "Open a case") {
			t.Error("the DPO is offered to open a case")
		}
		_, body = ts.get(t, dc, "/clients/"+id+"/cases/"+c.ID+"?purpose=review")
		if strings.Contains(body, "Change status") || strings.Contains(body, ">Hand over<") {
			t.Error("the DPO is offered changes")
		}
		if r, _ := ts.get(t, dc, "/clients/"+id+"/cases/"+c.ID+"/status"); r.StatusCode != http.StatusNotFound && r.StatusCode != http.StatusForbidden {
			t.Errorf("DPO status form: %d", r.StatusCode)
		}
		es, err := env.Gate.Audit().ForClient(context.Background(), id, 10)
		if err != nil {
			t.Fatal(err)
		}
		reviewed := false
		for _, e := range es {
			reviewed = reviewed || e.Actor == dpo.ID && e.Purpose == "review" && e.Allowed
		}
		if !reviewed {
			t.Error("the DPO's opening is not in the audit log with its purpose")
		}
	})
}
