package web_test

import (
	"context"
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

func apptRows(t *testing.T, env *apptest.Env, table string) int {
	t.Helper()
	var n int
	if err := env.DB.QueryRow(context.Background(), "SELECT COUNT(*) FROM "+table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// The test clock starts on Wednesday 25 November 2026, 09:30.

// P06 through the pages: book (errors shown by their fields, what was typed
// kept, nothing written), move (history shown), cancel by the client,
// record did-not-attend; the attendance record counts it; the worker's week
// lists the appointments in order; another service's caseworker gets the
// same 404 as for nothing at all; no name reaches a title, URL or log.
func TestAppointmentPages(t *testing.T) {
	apptest.Each(t, func(t *testing.T, env *apptest.Env) {
		ts := newServer(t, env)
		svc := env.Service(t, "Counselling", false)
		w := env.Person(t, access.Caseworker, svc.ID)
		id := recordClient(t, env, w, svc.ID, "Zainab", "Okonkwo-Ward")
		c := ts.signIn(t, w)
		base := "/clients/" + id + "/appointments"

		resp, body := ts.get(t, c, base)
		if resp.StatusCode != 200 || title(body) != "Appointments – Caseward" || !strings.Contains(body, "Attendance record") || !strings.Contains(body, `aria-current="page">Appointments`) {
			t.Fatalf("appointments page: %d %q", resp.StatusCode, title(body))
		}
		if resp, body := ts.get(t, c, base+"/new"); resp.StatusCode != 200 || !strings.Contains(body, `<option value="`+w.ID+`" selected>`) {
			t.Fatalf("booking form: %d", resp.StatusCode)
		}

		// Bad input: end before start, unknown worker.
		bad := url.Values{"worker": {store.NewID()}, "date_day": {"26"}, "date_month": {"11"}, "date_year": {"2026"},
			"start": {"14:00"}, "end": {"13:00"}, "kind": {"face-to-face"}, "location": {"Room 4, Kingsway Centre"}}
		resp, body = ts.post(t, c, base, bad)
		if resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("bad booking: %d", resp.StatusCode)
		}
		for _, want := range []string{"Error: Book an appointment", `href="#end"`, `href="#worker"`, "The end time must be after the start time",
			"Choose a caseworker or manager who works in the client’s service", `value="Room 4, Kingsway Centre"`, `value="13:00"`, `value="26"`,
			`id="end-error"`} {
			if !strings.Contains(body, want) {
				t.Errorf("bad booking page lacks %q", want)
			}
		}
		if n := apptRows(t, env, "appointments"); n != 0 {
			t.Fatalf("bad booking wrote %d appointments", n)
		}

		// Booked, twice.
		good := url.Values{"worker": {w.ID}, "date_day": {"26"}, "date_month": {"11"}, "date_year": {"2026"},
			"start": {"14:00"}, "end": {"15:00"}, "kind": {"face-to-face"}, "location": {"Room 4, Kingsway Centre"}}
		resp, _ = ts.post(t, c, base, good)
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != base+"?done=booked" {
			t.Fatalf("booking: %d %s", resp.StatusCode, resp.Header.Get("Location"))
		}
		soon := url.Values{"worker": {w.ID}, "date_day": {"25"}, "date_month": {"11"}, "date_year": {"2026"},
			"start": {"09:45"}, "end": {"10:30"}, "kind": {"phone"}}
		if resp, body := ts.post(t, c, base, soon); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("booking: %d %s", resp.StatusCode, body)
		}
		_, body = ts.get(t, c, base+"?done=booked")
		links := regexp.MustCompile(`href="`+regexp.QuoteMeta(base)+`/([a-z2-7]{26})"`).FindAllStringSubmatch(body, -1)
		if len(links) != 2 || !strings.Contains(body, "Appointment booked.") || !strings.Contains(body, "Room 4, Kingsway Centre") {
			t.Fatalf("list after booking: %d links", len(links))
		}
		soonID, laterID := links[0][1], links[1][1] // upcoming, soonest first

		// Moved: the history is on the page.
		_, body = ts.get(t, c, base+"/"+laterID)
		move := url.Values{"version": {formVersion(t, body)}, "date_day": {"27"}, "date_month": {"11"}, "date_year": {"2026"}, "start": {"16:00"}, "end": {"15:00"}}
		resp, body = ts.post(t, c, base+"/"+laterID+"/move", move)
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, `href="#move-end"`) || !strings.Contains(body, `value="16:00"`) || !strings.Contains(body, `id="move-date-day" name="date_day" type="text" inputmode="numeric" autocomplete="off" value="27"`) {
			t.Fatalf("bad move: %d", resp.StatusCode)
		}
		move.Set("end", "17:00")
		if resp, body := ts.post(t, c, base+"/"+laterID+"/move", move); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("move: %d %s", resp.StatusCode, body)
		}
		_, body = ts.get(t, c, base+"/"+laterID+"?done=moved")
		for _, want := range []string{"Appointment moved.", "Friday 27 November 2026, 16:00 to 17:00", "Thursday 26 November 2026, 14:00 to 15:00", "data-move"} {
			if !strings.Contains(body, want) {
				t.Errorf("moved appointment lacks %q", want)
			}
		}
		// The same form sent again is told someone changed it.
		if resp, body := ts.post(t, c, base+"/"+laterID+"/move", move); resp.StatusCode != http.StatusConflict || !strings.Contains(body, "Someone else changed this appointment") {
			t.Fatalf("stale move: %d", resp.StatusCode)
		}

		// Cancelled by the client, with a reason and a note.
		_, body = ts.get(t, c, base+"/"+laterID)
		cancel := url.Values{"version": {formVersion(t, body)}, "by": {"client"}, "reason": {""}, "note": {"Rang at 8am, will rebook"}}
		resp, body = ts.post(t, c, base+"/"+laterID+"/cancel", cancel)
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, `href="#cancel-reason"`) || !strings.Contains(body, "Rang at 8am, will rebook</textarea>") {
			t.Fatalf("cancel without a reason: %d", resp.StatusCode)
		}
		cancel.Set("reason", "transport")
		if resp, _ := ts.post(t, c, base+"/"+laterID+"/cancel", cancel); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("cancel: %d", resp.StatusCode)
		}
		_, body = ts.get(t, c, base+"/"+laterID)
		if !strings.Contains(body, "Cancelled by the client") || !strings.Contains(body, ">Transport<") || !strings.Contains(body, "Rang at 8am, will rebook") {
			t.Error("cancellation not shown")
		}

		// Did not attend, once the appointment has begun.
		_, body = ts.get(t, c, base+"/"+soonID)
		if strings.Contains(body, "Record attendance") {
			t.Error("attendance offered before the appointment began")
		}
		env.Clock.Advance(20 * time.Minute) // 09:50
		_, body = ts.get(t, c, base+"/"+soonID)
		resp, _ = ts.post(t, c, base+"/"+soonID+"/attendance", url.Values{"version": {formVersion(t, body)}, "outcome": {"did-not-attend"}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("attendance: %d", resp.StatusCode)
		}
		_, body = ts.get(t, c, base)
		for _, want := range []string{`data-count="did-not-attend">1<`, `data-count="cancelled-by-client">1<`, `data-count="upcoming">0<`} {
			if !strings.Contains(body, want) {
				t.Errorf("attendance record lacks %s", want)
			}
		}

		// The worker's week, in time order, with the client's name.
		resp, body = ts.get(t, c, "/appointments/week?start=2026-11-23")
		if resp.StatusCode != 200 || !strings.Contains(body, "Week beginning Monday 23 November 2026") || strings.Count(body, "Zainab Okonkwo-Ward") != 2 {
			t.Fatalf("week: %d", resp.StatusCode)
		}
		if i, j := strings.Index(body, "09:45 to 10:30"), strings.Index(body, "16:00 to 17:00"); i < 0 || j < 0 || i > j {
			t.Errorf("week out of order: %d, %d", i, j)
		}
		if resp, _ := ts.get(t, c, "/appointments/week?start=yesterday"); resp.StatusCode != 404 {
			t.Errorf("week of no date: %d", resp.StatusCode)
		}

		// P23: another service's caseworker: the same page as for nothing.
		outsider := env.Person(t, access.Caseworker, env.Service(t, "Advocacy", false).ID)
		oc := ts.signIn(t, outsider)
		for _, path := range []string{base, base + "/" + soonID, base + "/new"} {
			r1, denied := ts.get(t, oc, path)
			r2, missing := ts.get(t, oc, strings.Replace(path, id, store.NewID(), 1))
			if r1.StatusCode != 404 || r2.StatusCode != 404 || stripIDs(denied) != stripIDs(missing) {
				t.Errorf("%s: denied %d and missing %d differ", path, r1.StatusCode, r2.StatusCode)
			}
		}
		if resp, _ := ts.post(t, oc, base+"/"+soonID+"/cancel", url.Values{"version": {"1"}, "by": {"us"}, "reason": {"emergency"}}); resp.StatusCode != 404 {
			t.Errorf("outsider cancelling: %d", resp.StatusCode)
		}
		if resp, _ := ts.get(t, oc, "/appointments/week?worker="+w.ID); resp.StatusCode != 404 {
			t.Errorf("outsider's view of the worker's week: %d", resp.StatusCode)
		}

		// The DPO says why first, then reads, and is offered no change.
		dc := ts.signIn(t, env.Person(t, access.DPO))
		if resp, body := ts.get(t, dc, base); resp.StatusCode != 200 || !strings.Contains(body, "Why are you opening this record?") {
			t.Errorf("DPO without a purpose: %d", resp.StatusCode)
		}
		resp, body = ts.get(t, dc, base+"?purpose=review")
		if resp.StatusCode != 200 || !strings.Contains(body, base+"/"+soonID+"?purpose=review") || strings.Contains(body, "Book an appointment") {
			t.Errorf("DPO's review: %d", resp.StatusCode)
		}
		if resp, body := ts.get(t, dc, base+"/"+soonID+"?purpose=review"); resp.StatusCode != 200 || strings.Contains(body, "<form method=\"post\" action=\"/clients/") {
			t.Errorf("DPO's view of an appointment: %d", resp.StatusCode)
		}

		if logs := ts.logs.String(); strings.Contains(logs, "Zainab") || strings.Contains(logs, "Kingsway") || strings.Contains(logs, "Rang at") {
			t.Errorf("personal data in the logs")
		}
	})
}

// Admin staff book for a worker and see the worker's week; the week of
// someone outside their services is not found.
func TestAppointmentsAdminStaff(t *testing.T) {
	apptest.Each(t, func(t *testing.T, env *apptest.Env) {
		ts := newServer(t, env)
		svc := env.Service(t, "Adult services", false)
		w := env.Person(t, access.Caseworker, svc.ID)
		admin := env.Person(t, access.AdminStaff, svc.ID)
		stranger := env.Person(t, access.Caseworker, env.Service(t, "Refugee welcome", false).ID)
		id := recordClient(t, env, w, svc.ID, "Kwame", "Mensah")
		c := ts.signIn(t, admin)
		_, form := ts.get(t, c, "/clients/"+id+"/appointments/new")
		if !strings.Contains(form, `<option value="`+w.ID+`" selected>`) {
			t.Error("the client's worker is not offered first")
		}
		resp, body := ts.post(t, c, "/clients/"+id+"/appointments", url.Values{"worker": {w.ID}, "date_day": {"30"}, "date_month": {"11"}, "date_year": {"2026"},
			"start": {"11:00"}, "end": {"12:00"}, "kind": {"video"}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("admin booking: %d %s", resp.StatusCode, body)
		}
		resp, body = ts.get(t, c, "/appointments/week?start=2026-11-30&worker="+w.ID)
		if resp.StatusCode != 200 || !strings.Contains(body, "Kwame Mensah") || !strings.Contains(body, "Appointments with Test caseworker") {
			t.Fatalf("admin's view of the week: %d", resp.StatusCode)
		}
		if resp, _ := ts.get(t, c, "/appointments/week?worker="+stranger.ID); resp.StatusCode != 404 {
			t.Errorf("week of someone outside the service: %d", resp.StatusCode)
		}
	})
}

// The API mirrors the pages: same validation, same answers, same 404.
func TestAppointmentAPI(t *testing.T) {
	apptest.Each(t, func(t *testing.T, env *apptest.Env) {
		ctx := context.Background()
		ts := newServer(t, env)
		svc := env.Service(t, "Counselling", false)
		w := env.Person(t, access.Caseworker, svc.ID)
		id := recordClient(t, env, w, svc.ID, "Irina", "Volkova")
		token, err := env.Staff.CreateToken(ctx, w.Email, 24*time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		base := "/api/v1/clients/" + id + "/appointments"

		for _, tt := range []struct {
			name, body string
			status     int
			fields     []string
		}{
			{"end before start, unknown worker", `{"worker":"` + store.NewID() + `","date":"2026-11-26","start":"14:00","end":"13:00","kind":"phone"}`, 400, []string{"worker", "end"}},
			{"unknown field", `{"worker":"` + w.ID + `","colour":"red"}`, 400, []string{"colour"}},
			{"wrong type", `{"worker":5}`, 400, []string{"worker"}},
			{"not JSON", `{"worker":`, 400, nil},
		} {
			t.Run(tt.name, func(t *testing.T) {
				resp, out := ts.api(t, token, "POST", base, tt.body)
				if resp.StatusCode != tt.status {
					t.Fatalf("status %d, want %d: %v", resp.StatusCode, tt.status, out)
				}
				e := out["error"].(map[string]any)
				fields, _ := e["fields"].([]any)
				var got []string
				for _, f := range fields {
					got = append(got, f.(map[string]any)["field"].(string))
				}
				if strings.Join(got, ",") != strings.Join(tt.fields, ",") {
					t.Fatalf("fields %v, want %v", got, tt.fields)
				}
			})
		}
		if n := apptRows(t, env, "appointments"); n != 0 {
			t.Fatalf("bad requests wrote %d appointments", n)
		}

		resp, out := ts.api(t, token, "POST", base, `{"worker":"`+w.ID+`","date":"2026-11-25","start":"10:00","end":"11:00","kind":"face-to-face","location":"Drop-in room"}`)
		if resp.StatusCode != 201 {
			t.Fatalf("book: %d %v", resp.StatusCode, out)
		}
		aid := out["id"].(string)
		if loc := resp.Header.Get("Location"); loc != base+"/"+aid {
			t.Errorf("Location %q", loc)
		}
		resp, out = ts.api(t, token, "POST", base+"/"+aid+"/move", `{"date":"2026-11-25","start":"10:15","end":"11:15","version":1}`)
		if resp.StatusCode != 200 || out["start"] != "10:15" || out["moved"] != 1.0 || len(out["moves"].([]any)) != 1 || out["version"] != 2.0 {
			t.Fatalf("move: %d %v", resp.StatusCode, out)
		}
		if resp, out := ts.api(t, token, "POST", base+"/"+aid+"/move", `{"date":"2026-11-26","start":"10:15","end":"11:15","version":1}`); resp.StatusCode != 409 {
			t.Fatalf("stale move: %d %v", resp.StatusCode, out)
		}
		env.Clock.Advance(time.Hour) // 10:30
		resp, out = ts.api(t, token, "POST", base+"/"+aid+"/attendance", `{"outcome":"late","late_minutes":"10"}`)
		if resp.StatusCode != 200 || out["status"] != "late" || out["late_minutes"] != 10.0 {
			t.Fatalf("attendance: %d %v", resp.StatusCode, out)
		}
		resp, out = ts.api(t, token, "POST", base, `{"worker":"`+w.ID+`","date":"2026-12-02","start":"10:00","end":"11:00","kind":"phone"}`)
		if resp.StatusCode != 201 {
			t.Fatalf("book: %d %v", resp.StatusCode, out)
		}
		other := out["id"].(string)
		resp, out = ts.api(t, token, "POST", base+"/"+other+"/cancel", `{"by":"us","reason":"worker-unwell","note":"Covering a crisis call"}`)
		if resp.StatusCode != 200 || out["status"] != "cancelled" || out["cancelled_by"] != "us" || out["cancel_note"] != "Covering a crisis call" {
			t.Fatalf("cancel: %d %v", resp.StatusCode, out)
		}

		resp, out = ts.api(t, token, "GET", base, "")
		if resp.StatusCode != 200 || len(out["appointments"].([]any)) != 2 {
			t.Fatalf("list: %d %v", resp.StatusCode, out)
		}
		if at := out["attendance"].(map[string]any); at["late"] != 1.0 || at["cancelled_by_us"] != 1.0 || at["did_not_attend"] != 0.0 {
			t.Fatalf("attendance: %v", at)
		}
		resp, out = ts.api(t, token, "GET", "/api/v1/appointments/week?start=2026-11-25", "")
		if resp.StatusCode != 200 || out["start"] != "2026-11-23" || len(out["appointments"].([]any)) != 1 ||
			out["appointments"].([]any)[0].(map[string]any)["display_name"] != "Irina Volkova" {
			t.Fatalf("week: %d %v", resp.StatusCode, out)
		}

		// P23: denied and missing are the same answer.
		outsider := env.Person(t, access.Caseworker, env.Service(t, "Advocacy", false).ID)
		ot, _ := env.Staff.CreateToken(ctx, outsider.Email, time.Hour)
		for _, path := range []string{base, base + "/" + aid} {
			r1, denied := ts.api(t, ot, "GET", path, "")
			r2, missing := ts.api(t, ot, "GET", strings.Replace(path, id, store.NewID(), 1), "")
			if r1.StatusCode != 404 || r2.StatusCode != 404 || !jsonEqual(denied, missing) {
				t.Errorf("%s: denied %d %v, missing %d %v", path, r1.StatusCode, denied, r2.StatusCode, missing)
			}
		}
		if resp, _ := ts.api(t, ot, "POST", base, `{"worker":"`+outsider.ID+`","date":"2026-12-02","start":"10:00","end":"11:00","kind":"phone"}`); resp.StatusCode != 404 {
			t.Errorf("outsider booking: %d", resp.StatusCode)
		}
	})
}

// The appointment and comment pages pass axe-core (WCAG 2.2 AA) in a real
// browser, at a tablet's width, with and without errors.
func TestAppointmentPagesAccessible(t *testing.T) {
	env := apptest.New(t, store.SQLite, nil) // the browser's codes come from the real clock
	ts := newServer(t, env)
	ctx := context.Background()
	svc := env.Service(t, "Counselling", false)
	w := env.Person(t, access.Caseworker, svc.ID)
	mgr := env.Person(t, access.Manager, svc.ID)
	id := recordClient(t, env, w, svc.ID, "Shirin", "Rostami")
	now := time.Now().In(casework.LocalZone())
	today, tomorrow := now.Format(casework.DateLayout), now.AddDate(0, 0, 1).Format(casework.DateLayout)
	started, err := env.Casework.BookAppointment(ctx, w.Actor(), id, casework.AppointmentInput{Worker: w.ID, Date: today, Start: "00:00", End: "00:01", Kind: "phone"})
	if err != nil {
		t.Fatal(err)
	}
	later, err := env.Casework.BookAppointment(ctx, w.Actor(), id, casework.AppointmentInput{Worker: w.ID, Date: tomorrow, Start: "10:00", End: "11:00", Kind: "face-to-face", Location: "Room 1"})
	if err != nil {
		t.Fatal(err)
	}
	comment, err := env.Casework.RecordComment(ctx, w.Actor(), id, casework.CommentInput{Kind: "concern", What: "The stairs are hard for me", ReceivedOn: today, HowReceived: "in-person", Owner: mgr.ID})
	if err != nil {
		t.Fatal(err)
	}
	if err := env.Casework.CancelAppointment(ctx, w.Actor(), id, started, casework.CancelInput{By: "client", Reason: "unwell", Note: "Flu"}); err != nil {
		t.Fatal(err)
	}
	started, err = env.Casework.BookAppointment(ctx, w.Actor(), id, casework.AppointmentInput{Worker: w.ID, Date: today, Start: "00:00", End: "00:01", Kind: "video"})
	if err != nil {
		t.Fatal(err)
	}

	b := browsertest.New(t)
	signInBrowser := func(p apptest.Person) {
		t.Helper()
		run(t, b, chromedp.Navigate(ts.URL+"/sign-in"), chromedp.WaitVisible(css("#email")),
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
		run(t, b, append([]chromedp.Action[chromedp.Void]{chromedp.Navigate(ts.URL + path), chromedp.WaitVisible(css(ready))}, steps...)...)
		checkAccessibility(t, b, name)
	}
	base := "/clients/" + id
	signInBrowser(w)
	visit("appointments", base+"/appointments", "table")
	visit("booking with errors", base+"/appointments/new", "#worker",
		chromedp.SendKeys(css("#date-day"), "31"), chromedp.Click(css("main form button[type=submit]")), chromedp.WaitVisible(css(".govuk-error-summary")))
	visit("appointment", base+"/appointments/"+later, "#move-start")
	visit("cancel with errors", base+"/appointments/"+later, "#cancel-reason",
		chromedp.Click(css("form[action$='/cancel'] button[type=submit]")), chromedp.WaitVisible(css(".govuk-error-summary")))
	visit("attendance with errors", base+"/appointments/"+started, "#outcome",
		chromedp.Click(css("#outcome-late")), chromedp.Click(css("form[action$='/attendance'] button[type=submit]")), chromedp.WaitVisible(css(".govuk-error-summary")))
	visit("week", "/appointments/week", "h1")
	visit("comments", base+"/comments", "table")
	visit("comment with errors", base+"/comments/new", "#what",
		chromedp.Click(css("main form button[type=submit]")), chromedp.WaitVisible(css(".govuk-error-summary")))
	visit("comment", base+"/comments/"+comment, "#answer")
	run(t, b, chromedp.Navigate(ts.URL+"/"), chromedp.WaitVisible(css("form[action='/sign-out'] button")),
		chromedp.Click(css("form[action='/sign-out'] button")), chromedp.WaitVisible(css("#email")))
	signInBrowser(mgr)
	visit("comments to answer", "/comments", "table")
	visit("manager's view of a week", "/appointments/week?worker="+w.ID, "#worker")
}
