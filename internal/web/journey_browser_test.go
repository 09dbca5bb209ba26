package web_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"regexp"
	"strconv"
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

var clientURLRE = regexp.MustCompile(`/clients/([a-z2-7]{26})$`)

// journeyStep runs steps like run, and when they fail says where the browser
// is and what the page's error summary says, if it has one.
func journeyStep(t *testing.T, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(sctx, steps...); err != nil {
		qctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		loc, _ := chromedp.Run(qctx, chromedp.Location())
		summary, _ := chromedp.Run(qctx, chromedp.Evaluate[string](`(document.querySelector('.govuk-error-summary') || {}).innerText || ''`))
		t.Fatalf("browser at %s: %v %s", loc, err, summary)
	}
}

// journeyLocation is the path of the browser's current page.
func journeyLocation(t *testing.T, ctx context.Context) string {
	t.Helper()
	loc, err := chromedp.Run(ctx, chromedp.Evaluate[string](`location.pathname`))
	if err != nil {
		t.Fatalf("location: %v", err)
	}
	return loc
}

// journeyCount is how many elements match sel on the current page.
func journeyCount(t *testing.T, ctx context.Context, sel string) int {
	t.Helper()
	n, err := chromedp.Run(ctx, chromedp.Evaluate[int](fmt.Sprintf(`document.querySelectorAll(%q).length`, sel)))
	if err != nil {
		t.Fatalf("count %s: %v", sel, err)
	}
	return n
}

// fetchInPage downloads path with the page's own session (a same-origin
// fetch, as the download link does) and returns the status and the body.
func fetchInPage(t *testing.T, ctx context.Context, path string) (int, []byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	type answer struct {
		Status int    `json:"status"`
		Type   string `json:"type"`
		Body   string `json:"body"`
	}
	a, err := chromedp.Run(ctx, chromedp.Evaluate[answer](fmt.Sprintf(`fetch(%q, {credentials: 'same-origin'}).then(async r => {
		const b = new Uint8Array(await r.arrayBuffer());
		let s = '';
		for (let i = 0; i < b.length; i += 0x8000) s += String.fromCharCode.apply(null, b.subarray(i, i + 0x8000));
		return {status: r.status, type: r.headers.get('Content-Type') || '', body: btoa(s)};
	})`, path), chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("fetch %s: %v", path, err)
	}
	body, err := base64.StdEncoding.DecodeString(a.Body)
	if err != nil {
		t.Fatalf("fetch %s: %v", path, err)
	}
	if a.Status == 200 && a.Type != "application/pdf" {
		t.Errorf("%s answered %q", path, a.Type)
	}
	return a.Status, body
}

// TestJourney is issue 4's end-to-end journey in a real browser against a
// real server, with the real clock: a caseworker signs in with password and
// TOTP, adds a client after the duplicate look-up, opens a case, writes a
// contact note, books an appointment and records that the client did not
// attend, makes a support plan and downloads the client's PDF copy, and
// finds the client again by a misspelt name. A caseworker of another
// service then cannot open the record, and the attempt is in the audit log.
// Every page on the way passes axe-core (WCAG 2.2 AA).
func TestJourney(t *testing.T) {
	env := apptest.New(t, store.SQLite, nil) // the browser's codes come from the real clock
	ts := newServer(t, env)
	svc := env.Service(t, "Counselling", false)
	other := env.Service(t, "Refugee support", false)
	worker := env.Person(t, access.Caseworker, svc.ID)
	stranger := env.Person(t, access.Caseworker, other.ID)
	const (
		given, family = "Katarzyna", "Wiśniewska"
		misspelt      = "Katarzina Wisniewksa" // a letter changed in one name, two swapped in the other
		goal          = "Find a safe place to live"
		discussed     = "Talked about the housing application and the school run."
	)

	// 1. Sign in with password and code.
	ctx := browsertest.New(t)
	journeyStep(t, ctx, chromedp.Navigate(ts.URL+"/"), chromedp.WaitVisible(css("#email")))
	checkAccessibility(t, ctx, "sign-in")
	journeyStep(t, ctx,
		chromedp.SendKeys(css("#email"), worker.Email),
		chromedp.SendKeys(css("#password"), worker.Password),
		chromedp.Click(css("main button[type=submit]")),
		chromedp.WaitVisible(css("#code")),
	)
	checkAccessibility(t, ctx, "code")
	journeyStep(t, ctx,
		chromedp.SendKeys(css("#code"), worker.Code(t, time.Now())),
		chromedp.Click(css("main form[action='/sign-in/code'] button[type=submit]")),
		chromedp.WaitVisible(css("main a[href='/clients/find']")),
	)
	checkAccessibility(t, ctx, "home")

	// Add a client: the button starts with the look-up, so that we first
	// check whether we already know the person.
	journeyStep(t, ctx,
		chromedp.Click(css("main a[href='/clients/find']")),
		chromedp.WaitVisible(css("main form[action='/clients/find'] #given-name")),
	)
	checkAccessibility(t, ctx, "look-up before adding")
	journeyStep(t, ctx,
		chromedp.SendKeys(css("#given-name"), given),
		chromedp.SendKeys(css("#family-name"), family),
		chromedp.SendKeys(css("#dob-day"), "12"),
		chromedp.SendKeys(css("#dob-month"), "3"),
		chromedp.SendKeys(css("#dob-year"), "1988"),
		chromedp.Click(css("main form[action='/clients/find'] button[type=submit]")),
		chromedp.WaitVisible(css("main form[action='/clients/new'] button[type=submit]")),
	)
	checkAccessibility(t, ctx, "look-up answered")
	if got := text(t, ctx, "main"); !strings.Contains(got, "None of the clients you work with has a name like this") {
		t.Errorf("the look-up found someone: %q", got)
	}
	journeyStep(t, ctx,
		chromedp.Click(css("main form[action='/clients/new'] button[type=submit]")),
		chromedp.WaitVisible(css("main form[action='/clients'] #given-name")),
	)
	checkAccessibility(t, ctx, "new client after the look-up")
	for sel, want := range map[string]string{"#given-name": given, "#family-name": family, "#dob-day": "12", "#dob-year": "1988", "#service": svc.ID} {
		if got, _ := chromedp.Run(ctx, chromedp.Value(css("main form[action='/clients'] "+sel))); got != want {
			t.Errorf("the new-client form has %s = %q, want %q", sel, got, want)
		}
	}
	journeyStep(t, ctx,
		chromedp.Click(css("main form[action='/clients'] button[type=submit]")),
		chromedp.WaitVisible(css("dd[data-field='given_name']")),
	)
	checkAccessibility(t, ctx, "client record")
	m := clientURLRE.FindStringSubmatch(journeyLocation(t, ctx))
	if m == nil {
		t.Fatalf("the new record is at %q", journeyLocation(t, ctx))
	}
	id := m[1]
	base := "/clients/" + id
	if got := text(t, ctx, "dd[data-field='given_name']"); got != given {
		t.Errorf("given name shown %q", got)
	}

	// Open a case. The caseworker owns the first one already; they open
	// another, a referral, from the Cases page.
	journeyStep(t, ctx,
		chromedp.Click(css("nav.cw-client-nav a[href='"+base+"/cases']")),
		chromedp.WaitVisible(css("main a[href='"+base+"/cases/new']")),
	)
	checkAccessibility(t, ctx, "cases")
	if n := journeyCount(t, ctx, "main table tbody tr"); n != 1 {
		t.Errorf("a new client has %d cases, want the first one", n)
	}
	journeyStep(t, ctx,
		chromedp.Click(css("main a[href='"+base+"/cases/new']")),
		chromedp.WaitVisible(css("main form[action='"+base+"/cases'] #owner")),
	)
	checkAccessibility(t, ctx, "open a case")
	journeyStep(t, ctx,
		chromedp.Click(css("#kind-referral")),
		chromedp.Click(css("main form[action='"+base+"/cases'] button[type=submit]")),
		chromedp.WaitVisible(css(".govuk-notification-banner--success")),
	)
	if n := journeyCount(t, ctx, "main table tbody tr"); n != 2 {
		t.Errorf("after opening a case the client has %d cases, want 2", n)
	}
	if got := text(t, ctx, "main table"); !strings.Contains(got, "Referral") {
		t.Errorf("the cases are %q", got)
	}

	// 2. A contact note.
	journeyStep(t, ctx,
		chromedp.Click(css("nav.cw-client-nav a[href='"+base+"/notes']")),
		chromedp.WaitVisible(css("main a[href='"+base+"/notes/new']")),
	)
	checkAccessibility(t, ctx, "contact notes")
	journeyStep(t, ctx,
		chromedp.Click(css("main a[href='"+base+"/notes/new']")),
		chromedp.WaitVisible(css("main form[action='"+base+"/notes'] #discussed")),
	)
	checkAccessibility(t, ctx, "add a note")
	journeyStep(t, ctx,
		chromedp.Click(css("input[name=method][value=phone]")),
		chromedp.SendKeys(css("#present"), "The client"),
		chromedp.SendKeys(css("#discussed"), discussed),
		chromedp.Click(css("main form[action='"+base+"/notes'] button[type=submit]:not([name])")),
		chromedp.WaitVisible(css(".govuk-notification-banner--success")),
	)
	checkAccessibility(t, ctx, "contact notes with the new note")
	if got := text(t, ctx, "main .govuk-summary-card"); !strings.Contains(got, discussed) {
		t.Errorf("the note shows %q", got)
	}

	// 3. An appointment today that has already started (booking takes
	// today or later; attendance is recorded once it has started), then
	// the client did not attend.
	journeyStep(t, ctx,
		chromedp.Click(css("nav.cw-client-nav a[href='"+base+"/appointments']")),
		chromedp.WaitVisible(css("main a[href='"+base+"/appointments/new']")),
	)
	checkAccessibility(t, ctx, "appointments")
	journeyStep(t, ctx,
		chromedp.Click(css("main a[href='"+base+"/appointments/new']")),
		chromedp.WaitVisible(css("main form[action='"+base+"/appointments'] #date-day")),
	)
	checkAccessibility(t, ctx, "book an appointment")
	now := time.Now().In(casework.LocalZone())
	if now.Hour() == 23 && now.Minute() == 59 { // today must still be today when the form arrives
		time.Sleep(time.Until(now.Truncate(time.Minute).Add(time.Minute + time.Second)))
		now = time.Now().In(casework.LocalZone())
	}
	journeyStep(t, ctx,
		chromedp.SendKeys(css("#date-day"), strconv.Itoa(now.Day())),
		chromedp.SendKeys(css("#date-month"), strconv.Itoa(int(now.Month()))),
		chromedp.SendKeys(css("#date-year"), strconv.Itoa(now.Year())),
		chromedp.SetValue(css("#start"), "00:00"),
		chromedp.SetValue(css("#end"), "00:30"),
		chromedp.Click(css("input[name=kind][value=face-to-face]")),
		chromedp.SendKeys(css("#location"), "The office"),
		chromedp.Click(css("main form[action='"+base+"/appointments'] button[type=submit]")),
		chromedp.WaitVisible(css(".govuk-notification-banner--success")),
	)
	checkAccessibility(t, ctx, "appointments with the booking")
	if got := text(t, ctx, "dd[data-count='unrecorded']"); got != "1" {
		t.Errorf("appointments without attendance: %q", got)
	}
	journeyStep(t, ctx,
		chromedp.Click(css("main tr[data-appointment] a")),
		chromedp.WaitVisible(css("main form[action$='/attendance'] input[name=outcome][value=did-not-attend]")),
	)
	checkAccessibility(t, ctx, "an appointment")
	journeyStep(t, ctx,
		chromedp.Click(css("input[name=outcome][value=did-not-attend]")),
		chromedp.Click(css("main form[action$='/attendance'] button[type=submit]")),
		chromedp.WaitVisible(css(".govuk-notification-banner--success")),
	)
	checkAccessibility(t, ctx, "an appointment after recording attendance")
	journeyStep(t, ctx,
		chromedp.Click(css("nav.cw-client-nav a[href='"+base+"/appointments']")),
		chromedp.WaitVisible(css("main a[href='"+base+"/appointments/new']")),
	)
	if got := text(t, ctx, "dd[data-count='did-not-attend']"); got != "1" {
		t.Errorf("did-not-attend count %q, want 1", got)
	}

	// 4. A support plan, and the client's copy as a PDF.
	journeyStep(t, ctx,
		chromedp.Click(css("nav.cw-client-nav a[href='"+base+"/plans']")),
		chromedp.WaitVisible(css("main a[href='"+base+"/plans/new']")),
	)
	checkAccessibility(t, ctx, "plans and agreements")
	journeyStep(t, ctx,
		chromedp.Click(css("main a[href='"+base+"/plans/new']")),
		chromedp.WaitVisible(css("#goals-0-text")),
	)
	checkAccessibility(t, ctx, "start a support plan")
	journeyStep(t, ctx,
		chromedp.SendKeys(css("#title"), "Support plan"),
		chromedp.SendKeys(css("#goals-0-text"), goal),
		chromedp.SendKeys(css("#goals-0-actions-0-what"), "Call the housing team"),
		chromedp.SendKeys(css("#goals-0-actions-0-who"), "You"),
		chromedp.SendKeys(css("#internal-notes"), "Staff only: landlord known to police"),
		chromedp.Click(css(`main form button[name=add][value=""]`)),
		chromedp.WaitVisible(css("main a[href$='/copy.pdf']")),
	)
	checkAccessibility(t, ctx, "a support plan")
	href, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("main a[href$='/copy.pdf']").getAttribute('href')`))
	if err != nil {
		t.Fatal(err)
	}
	status, pdf := fetchInPage(t, ctx, href)
	if status != 200 || !strings.HasPrefix(string(pdf), "%PDF-") {
		t.Fatalf("the client's copy: %d, %.40q", status, pdf)
	}
	copyText := planPDFText(t, pdf)
	for _, want := range []string{given, family, goal, "Call the housing team"} {
		if !strings.Contains(copyText, want) {
			t.Errorf("the client's copy lacks %q: %q", want, copyText)
		}
	}
	if strings.Contains(copyText, "landlord") {
		t.Error("the client's copy has the internal notes")
	}

	// 5. Find the client again, by a misspelt name.
	journeyStep(t, ctx, chromedp.Navigate(ts.URL+"/search"), chromedp.WaitVisible(css("main form[action='/search'] #name")))
	checkAccessibility(t, ctx, "find a client")
	journeyStep(t, ctx,
		chromedp.SendKeys(css("#name"), misspelt),
		chromedp.Click(css("main form[action='/search'] button[type=submit]")),
		chromedp.WaitVisible(css("#results")),
	)
	checkAccessibility(t, ctx, "search results")
	found := journeyCount(t, ctx, "main table a[href^='"+base+"']")
	if found != 1 {
		t.Fatalf("searching for %q found the client %d times: %q", misspelt, found, text(t, ctx, "main"))
	}
	journeyStep(t, ctx,
		chromedp.Click(css("main table a[href^='"+base+"']")),
		chromedp.WaitVisible(css("dd[data-field='given_name']")),
	)
	if got := journeyLocation(t, ctx); got != base {
		t.Errorf("the result led to %q", got)
	}

	// 6. A caseworker of another service cannot open the record: the page
	// is not found, as for a record that does not exist, and the attempt
	// is in the audit log.
	sctx := browserSignIn(t, ts, stranger)
	planSignedIn(t, sctx)
	resp, err := chromedp.Run(sctx, chromedp.NavigateResponse(ts.URL+base))
	if err != nil {
		t.Fatal(err)
	}
	journeyStep(t, sctx, chromedp.WaitVisible(css("main a.govuk-link[href='/']")))
	checkAccessibility(t, sctx, "not found")
	if resp.Status != 404 || text(t, sctx, "main h1") != "Page not found" {
		t.Errorf("the other service's caseworker got %d, %q", resp.Status, text(t, sctx, "main h1"))
	}
	if body := text(t, sctx, "body"); strings.Contains(body, given) || strings.Contains(body, family) {
		t.Error("the refusal shows the client's name")
	}
	entries, err := env.Gate.Audit().ForClient(t.Context(), id, 10)
	if err != nil {
		t.Fatal(err)
	}
	refused := false
	for _, e := range entries {
		refused = refused || e.Actor == stranger.ID && !e.Allowed
	}
	if !refused {
		t.Errorf("the refused attempt is not in the audit log: %+v", entries)
	}
}
