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
	"github.com/caseward/caseward/internal/store"
)

// The test clock starts on Wednesday 25 November 2026.

// P07 through the pages: a complaint recorded (errors by their fields,
// everything typed kept, nothing written), owned, answered and closed with
// its dates; the manager's list shows the overdue first; another service's
// caseworker finds nothing.
func TestCommentPages(t *testing.T) {
	apptest.Each(t, func(t *testing.T, env *apptest.Env) {
		ts := newServer(t, env)
		svc := env.Service(t, "Counselling", false)
		w := env.Person(t, access.Caseworker, svc.ID)
		mgr := env.Person(t, access.Manager, svc.ID)
		id := recordClient(t, env, w, svc.ID, "Parisa", "Hosseini")
		c := ts.signIn(t, w)
		base := "/clients/" + id + "/comments"

		resp, body := ts.get(t, c, base)
		if resp.StatusCode != 200 || title(body) != "Comments and concerns – Caseward" || !strings.Contains(body, "None recorded.") {
			t.Fatalf("comments page: %d %q", resp.StatusCode, title(body))
		}
		resp, body = ts.get(t, c, base+"/new")
		if resp.StatusCode != 200 || !strings.Contains(body, `id="received-day" name="received_day" type="text" inputmode="numeric" autocomplete="off" value="25"`) {
			t.Fatalf("new comment form: %d", resp.StatusCode)
		}

		form := url.Values{"kind": {"complaint"}, "what": {"My letter was sent to my old address.\nMy ex-partner lives there."},
			"received_day": {"2"}, "received_month": {"10"}, "received_year": {"2026"}, "how_received": {"letter"},
			"owner": {store.NewID()}}
		resp, body = ts.post(t, c, base, form)
		if resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("bad comment: %d", resp.StatusCode)
		}
		for _, want := range []string{"Error: Record a comment or concern", `href="#owner"`, "Choose a caseworker or manager who works in the service",
			"My ex-partner lives there.</textarea>", `value="letter" checked`, `value="complaint" checked`, `value="2"`} {
			if !strings.Contains(body, want) {
				t.Errorf("bad comment page lacks %q", want)
			}
		}
		if n := apptRows(t, env, "client_comments"); n != 0 {
			t.Fatalf("bad input wrote %d comments", n)
		}

		form.Set("owner", mgr.ID)
		resp, _ = ts.post(t, c, base, form)
		loc := resp.Header.Get("Location")
		if resp.StatusCode != http.StatusSeeOther || !regexp.MustCompile(`^`+base+`/[a-z2-7]{26}\?done=recorded$`).MatchString(loc) {
			t.Fatalf("record: %d %s", resp.StatusCode, loc)
		}
		page := strings.TrimSuffix(loc, "?done=recorded")
		_, body = ts.get(t, c, loc)
		// Received Friday 2 October: due twenty working days later, 30 October,
		// and today (25 November) that is overdue.
		for _, want := range []string{"Comment recorded.", "My letter was sent to my old address.<br>My ex-partner lives there.", "2 October 2026, Letter",
			"30 October 2026", ">Overdue<", "Test manager"} {
			if !strings.Contains(body, want) {
				t.Errorf("comment page lacks %q", want)
			}
		}
		if strings.Contains(title(body), "Parisa") || strings.Contains(title(body), "letter") {
			t.Errorf("personal data in the title %q", title(body))
		}

		// The manager sees it first, as overdue, with the client's name.
		mc := ts.signIn(t, mgr)
		rec := func(received string) {
			t.Helper()
			d := strings.Split(received, "-")
			if resp, body := ts.post(t, mc, base, url.Values{"kind": {"suggestion"}, "what": {"Evening sessions"}, "received_day": {d[2]},
				"received_month": {d[1]}, "received_year": {d[0]}, "how_received": {"form"}, "owner": {mgr.ID}}); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("record: %d %s", resp.StatusCode, body)
			}
		}
		rec("2026-11-24")
		resp, body = ts.get(t, mc, "/comments")
		if resp.StatusCode != 200 || !strings.Contains(body, "Parisa Hosseini") || !strings.Contains(body, "1 overdue on this page.") {
			t.Fatalf("manager's list: %d", resp.StatusCode)
		}
		if i, j := strings.Index(body, ">Complaint<"), strings.Index(body, ">Suggestion<"); i < 0 || j < 0 || i > j {
			t.Errorf("overdue not first: %d, %d", i, j)
		}

		// Answered (the date kept when the form has an error), then closed.
		_, body = ts.get(t, c, page)
		answer := url.Values{"version": {formVersion(t, body)}, "answer": {""}, "answered_day": {"20"}, "answered_month": {"11"}, "answered_year": {"2026"}}
		resp, body = ts.post(t, c, page+"/answer", answer)
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, `href="#answer"`) || !strings.Contains(body, `id="answered-day" name="answered_day" type="text" inputmode="numeric" autocomplete="off" value="20"`) {
			t.Fatalf("empty answer: %d", resp.StatusCode)
		}
		answer.Set("answer", "We have corrected the address and apologised.")
		if resp, body := ts.post(t, c, page+"/answer", answer); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("answer: %d %s", resp.StatusCode, body)
		}
		_, body = ts.get(t, c, page)
		if !strings.Contains(body, "We have corrected the address and apologised.") || !strings.Contains(body, "20 November 2026, recorded by") || !strings.Contains(body, ">Answered<") {
			t.Error("answer not shown")
		}
		if resp, _ := ts.post(t, c, page+"/close", url.Values{"version": {formVersion(t, body)}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("close: %d", resp.StatusCode)
		}
		_, body = ts.get(t, c, page)
		if !strings.Contains(body, ">Closed<") || !strings.Contains(body, `data-field="closed_on">25 November 2026`) || strings.Contains(body, "Save the answer") {
			t.Error("closed comment not shown as closed")
		}

		// P23: another service's caseworker finds nothing, as for no client.
		outsider := env.Person(t, access.Caseworker, env.Service(t, "Advocacy", false).ID)
		oc := ts.signIn(t, outsider)
		for _, path := range []string{base, page, base + "/new"} {
			r1, denied := ts.get(t, oc, path)
			r2, missing := ts.get(t, oc, strings.Replace(path, id, store.NewID(), 1))
			if r1.StatusCode != 404 || r2.StatusCode != 404 || stripIDs(denied) != stripIDs(missing) {
				t.Errorf("%s: denied %d and missing %d differ", path, r1.StatusCode, r2.StatusCode)
			}
		}
		if _, body := ts.get(t, oc, "/comments"); strings.Contains(body, "Parisa") || !strings.Contains(body, "None.") {
			t.Error("another service's caseworker sees the comments")
		}
		if logs := ts.logs.String(); strings.Contains(logs, "Parisa") || strings.Contains(logs, "ex-partner") || strings.Contains(logs, "apologised") {
			t.Error("personal data in the logs")
		}
	})
}

// The API mirrors the pages.
func TestCommentAPI(t *testing.T) {
	apptest.Each(t, func(t *testing.T, env *apptest.Env) {
		ctx := context.Background()
		ts := newServer(t, env)
		svc := env.Service(t, "Counselling", false)
		w := env.Person(t, access.Caseworker, svc.ID)
		mgr := env.Person(t, access.Manager, svc.ID)
		id := recordClient(t, env, w, svc.ID, "Mehmet", "Yilmaz")
		token, _ := env.Staff.CreateToken(ctx, w.Email, 24*time.Hour)
		mtoken, _ := env.Staff.CreateToken(ctx, mgr.Email, 24*time.Hour)
		base := "/api/v1/clients/" + id + "/comments"

		resp, out := ts.api(t, token, "POST", base, `{"kind":"concern","what":"","received_on":"2026-12-01","how_received":"phone","owner":"`+w.ID+`"}`)
		if resp.StatusCode != 400 {
			t.Fatalf("bad: %d %v", resp.StatusCode, out)
		}
		var fields []string
		for _, f := range out["error"].(map[string]any)["fields"].([]any) {
			fields = append(fields, f.(map[string]any)["field"].(string))
		}
		if strings.Join(fields, ",") != "what,received_on" {
			t.Fatalf("fields %v", fields)
		}
		resp, out = ts.api(t, token, "POST", base, `{"kind":"concern","what":"Nobody called back","received_on":"2026-11-25","how_received":"phone","owner":"`+mgr.ID+`"}`)
		if resp.StatusCode != 201 {
			t.Fatalf("record: %d %v", resp.StatusCode, out)
		}
		cid := out["id"].(string)
		resp, out = ts.api(t, token, "GET", base+"/"+cid, "")
		if resp.StatusCode != 200 || out["what"] != "Nobody called back" || out["due_on"] != "2026-12-23" || out["status"] != "open" || out["owner"] != mgr.ID {
			t.Fatalf("get: %d %v", resp.StatusCode, out)
		}
		resp, out = ts.api(t, mtoken, "POST", base+"/"+cid+"/answer", `{"answer":"Called back on Thursday","answered_on":"2026-11-25","version":1}`)
		if resp.StatusCode != 200 || out["status"] != "answered" || out["answered_on"] != "2026-11-25" {
			t.Fatalf("answer: %d %v", resp.StatusCode, out)
		}
		resp, out = ts.api(t, mtoken, "POST", base+"/"+cid+"/close", `{"version":1}`)
		if resp.StatusCode != 409 {
			t.Fatalf("stale close: %d %v", resp.StatusCode, out)
		}
		resp, out = ts.api(t, mtoken, "POST", base+"/"+cid+"/close", `{"version":2}`)
		if resp.StatusCode != 200 || out["status"] != "closed" || out["closed_on"] != "2026-11-25" {
			t.Fatalf("close: %d %v", resp.StatusCode, out)
		}
		resp, out = ts.api(t, token, "GET", base, "")
		if resp.StatusCode != 200 || len(out["comments"].([]any)) != 1 {
			t.Fatalf("list: %d %v", resp.StatusCode, out)
		}
		resp, out = ts.api(t, mtoken, "GET", "/api/v1/comments?show=closed", "")
		if resp.StatusCode != 200 || len(out["comments"].([]any)) != 1 || out["comments"].([]any)[0].(map[string]any)["display_name"] != "Mehmet Yilmaz" {
			t.Fatalf("manager's closed list: %d %v", resp.StatusCode, out)
		}

		outsider := env.Person(t, access.Caseworker, env.Service(t, "Advocacy", false).ID)
		ot, _ := env.Staff.CreateToken(ctx, outsider.Email, 24*time.Hour)
		for _, path := range []string{base, base + "/" + cid} {
			r1, denied := ts.api(t, ot, "GET", path, "")
			r2, missing := ts.api(t, ot, "GET", strings.Replace(path, id, store.NewID(), 1), "")
			if r1.StatusCode != 404 || r2.StatusCode != 404 || !jsonEqual(denied, missing) {
				t.Errorf("%s: denied %d, missing %d", path, r1.StatusCode, r2.StatusCode)
			}
		}
	})
}
