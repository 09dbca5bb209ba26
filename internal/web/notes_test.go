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

// noteSite is a running server with a service, a client, their
// caseworker, a colleague on the same caseload, the manager and admin staff.
type noteSite struct {
	ts                                *testServer
	env                               *apptest.Env
	serviceID, clientID               string
	author, colleague, manager, admin apptest.Person
}

func newNoteSite(t *testing.T, env *apptest.Env) noteSite {
	t.Helper()
	svc := env.Service(t, "Counselling", true)
	s := noteSite{ts: newServer(t, env), env: env, serviceID: svc.ID}
	s.author = env.Person(t, access.Caseworker, svc.ID)
	s.colleague = env.Person(t, access.Caseworker, svc.ID)
	s.manager = env.Person(t, access.Manager, svc.ID)
	s.admin = env.Person(t, access.AdminStaff, svc.ID)
	id, err := env.Casework.CreateClient(context.Background(), s.author.Actor(), casework.ClientInput{
		ServiceID: svc.ID, GivenName: "Shirin", FamilyName: "Rahimi", DateOfBirth: "1990-02-03",
		RecordParts: casework.RecordParts{SafeContact: &casework.SafeContact{Letter: casework.Yes, PlainEnvelope: true}},
	})
	if err != nil {
		t.Fatal(err)
	}
	s.clientID = id
	return s
}

// noteFormValues is a whole, valid new-note form for a contact an hour ago.
func (s noteSite) noteFormValues(discussed string) url.Values {
	at := casework.UKTime(s.env.Clock.Now().Add(-time.Hour))
	return url.Values{
		"kind": {"contact"}, "method": {"phone"},
		"when_day": {fmt.Sprint(at.Day())}, "when_month": {fmt.Sprint(int(at.Month()))}, "when_year": {fmt.Sprint(at.Year())},
		"when_hour": {fmt.Sprint(at.Hour())}, "when_minute": {fmt.Sprint(at.Minute())},
		"present": {"Client by phone"}, "discussed": {discussed}, "support": {"Help with the housing form"}, "expectations": {""},
		"action_rows":   {"2"},
		"action_0_what": {"Send the housing form"}, "action_0_who": {"worker:" + s.author.ID},
		"action_0_due_day": {"4"}, "action_0_due_month": {"12"}, "action_0_due_year": {"2026"},
	}
}

var noteLinkRE = regexp.MustCompile(`/clients/[a-z2-7]{26}/notes/([a-z2-7]{26})`)

// P02, P41, P19: writing a note on a tablet-sized form, getting it back
// with every message by its field and everything typed kept, correcting
// it with a reason, the history shown; no personal data in titles, URLs or
// logs.
func TestNotePages(t *testing.T) {
	apptest.Each(t, func(t *testing.T, env *apptest.Env) {
		s := newNoteSite(t, env)
		ts := s.ts
		c := ts.signIn(t, s.author)
		base := "/clients/" + s.clientID + "/notes"

		resp, body := ts.get(t, c, base)
		if resp.StatusCode != 200 || title(body) != "Contact notes – Caseward" {
			t.Fatalf("notes: %d %q", resp.StatusCode, title(body))
		}
		mustContain(t, "empty notes page", body, "No notes yet", `href="`+base+`/new"`, `aria-current="page">Notes`, "Shirin Rahimi")

		// The form starts at now, UK time.
		_, body = ts.get(t, c, base+"/new")
		now := casework.UKTime(env.Clock.Now())
		mustContain(t, "new note form", body, `name="when_day" type="text" inputmode="numeric" autocomplete="off" value="`+fmt.Sprint(now.Day())+`"`,
			`value="`+fmt.Sprintf("%02d", now.Hour())+`"`, `name="kind" type="radio" value="contact" checked`, "Me (")

		// Bad input: messages by their fields, what was typed kept.
		bad := s.noteFormValues("Talked about the eviction notice")
		bad.Set("method", "")
		bad.Set("when_month", "13")
		bad.Set("action_1_what", "Ring the landlord")
		resp, body = ts.post(t, c, base, bad)
		if resp.StatusCode != http.StatusBadRequest || !strings.HasPrefix(title(body), "Error: ") {
			t.Fatalf("bad note: %d %q", resp.StatusCode, title(body))
		}
		mustContain(t, "refused form", body, `href="#method"`, "Choose how the contact happened", `href="#when-day"`,
			`href="#action-1-who"`, `href="#action-1-due-day"`, ">Talked about the eviction notice</textarea>", ">Ring the landlord</textarea>",
			`value="13"`, `<option value="worker:`+s.author.ID+`" selected>`)
		if strings.Contains(body, "Talked about the eviction notice</a>") {
			t.Error("an error message repeats what was typed")
		}
		// "Add another action" adds a row and saves nothing.
		resp, body = ts.post(t, c, base, url.Values{"action_rows": {"1"}, "add_action": {"1"}, "discussed": {"kept"}})
		if resp.StatusCode != 200 || !strings.Contains(body, `id="action-1-what"`) || !strings.Contains(body, ">kept</textarea>") {
			t.Fatalf("add another action: %d", resp.StatusCode)
		}
		var n int
		if err := env.DB.QueryRow(t.Context(), "SELECT COUNT(*) FROM notes").Scan(&n); err != nil || n != 0 {
			t.Fatalf("%d notes written by refused forms (%v)", n, err)
		}

		resp, _ = ts.post(t, c, base, s.noteFormValues("Talked about the eviction notice"))
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != base+"?done=added" {
			t.Fatalf("save: %d %s", resp.StatusCode, resp.Header.Get("Location"))
		}
		_, body = ts.get(t, c, base+"?done=added")
		mustContain(t, "notes page", body, "Note saved.", "Talked about the eviction notice", "Send the housing form", "Phone", "Contact note")
		m := noteLinkRE.FindStringSubmatch(body)
		if m == nil {
			t.Fatal("no link to the note")
		}
		note := base + "/" + m[1]

		// Correct it: a reason is needed; then both versions are shown.
		_, body = ts.get(t, c, note+"/correct")
		mustContain(t, "correction form", body, ">Talked about the eviction notice</textarea>", `name="version" value="1"`, "Withdraw: Send the housing form")
		corr := s.noteFormValues("Talked about the eviction notice and the rent arrears")
		corr.Set("version", "1")
		for _, k := range []string{"what", "who", "due_day", "due_month", "due_year"} {
			corr.Del("action_0_" + k)
		}
		resp, body = ts.post(t, c, note+"/corrections", corr)
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "Enter why you are correcting the note") || !strings.Contains(body, "and the rent arrears</textarea>") {
			t.Fatalf("correction without a reason: %d", resp.StatusCode)
		}
		corr.Set("reason", "Left out the arrears")
		if resp, _ := ts.post(t, c, note+"/corrections", corr); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("correction: %d", resp.StatusCode)
		}
		// A second correction from the old version is told and keeps its text.
		corr.Set("discussed", "Another idea")
		resp, body = ts.post(t, c, note+"/corrections", corr)
		if resp.StatusCode != http.StatusConflict || !strings.Contains(body, ">Another idea</textarea>") || !strings.Contains(body, `name="version" value="2"`) {
			t.Fatalf("stale correction: %d", resp.StatusCode)
		}
		_, body = ts.get(t, c, note)
		mustContain(t, "note page", body, "Corrected", "Version 2: corrected by", "Version 1: written by", "Left out the arrears",
			"Talked about the eviction notice and the rent arrears", "Talked about the eviction notice</dd>", "Mark as done")
		_, body = ts.get(t, c, base)
		mustContain(t, "list after correction", body, "Corrected", "and the rent arrears")

		// Mark the action done.
		action := regexp.MustCompile(`/clients/[a-z2-7]{26}/actions/([a-z2-7]{26})/done`).FindString(body)
		if action == "" {
			_, nb := ts.get(t, c, note)
			action = regexp.MustCompile(`/clients/[a-z2-7]{26}/actions/([a-z2-7]{26})/done`).FindString(nb)
		}
		resp, _ = ts.post(t, c, action, url.Values{"note": {m[1]}})
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != note+"?done=action" {
			t.Fatalf("done: %d %s", resp.StatusCode, resp.Header.Get("Location"))
		}
		_, body = ts.get(t, c, resp.Header.Get("Location"))
		mustContain(t, "note after done", body, "Action marked as done.", "govuk-tag--green\">Done")

		// P19: no personal data in titles or URLs, nor in the logs.
		for _, p := range []string{base, base + "/new", note, note + "/correct"} {
			_, b := ts.get(t, c, p)
			if tt := title(b); strings.Contains(tt, "Shirin") || strings.Contains(tt, "eviction") {
				t.Errorf("%s: title %q", p, tt)
			}
		}
		if logs := ts.logs.String(); strings.Contains(logs, "eviction") || strings.Contains(logs, "Shirin") || strings.Contains(logs, "housing") {
			t.Errorf("note text in the logs:\n%s", logs)
		}
	})
}

// P13: a colleague on the same shared caseload sees that a clinical note
// exists, not what it says, and its page is "not found"; admin staff do
// not open notes at all; the manager reads it.
func TestRestrictedNotePages(t *testing.T) {
	apptest.Each(t, func(t *testing.T, env *apptest.Env) {
		s := newNoteSite(t, env)
		ts := s.ts
		in := s.noteFormValues("Spoke about the assault in March")
		in.Set("kind", "clinical")
		base := "/clients/" + s.clientID + "/notes"
		if resp, _ := ts.post(t, ts.signIn(t, s.author), base, in); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("save: %d", resp.StatusCode)
		}
		var noteID string
		if err := env.DB.QueryRow(t.Context(), "SELECT id FROM notes").Scan(&noteID); err != nil {
			t.Fatal(err)
		}
		colleague := ts.signIn(t, s.colleague)
		_, body := ts.get(t, colleague, base)
		mustContain(t, "colleague's list", body, "Clinical note", "What it says is seen only by its author")
		if strings.Contains(body, "assault") || strings.Contains(body, "housing form") {
			t.Error("the colleague sees the clinical note's text")
		}
		r1, denied := ts.get(t, colleague, base+"/"+noteID)
		r2, missing := ts.get(t, colleague, base+"/"+store.NewID())
		if r1.StatusCode != 404 || r2.StatusCode != 404 || stripIDs(denied) != stripIDs(missing) {
			t.Fatalf("withheld note %d, missing note %d: the pages differ", r1.StatusCode, r2.StatusCode)
		}
		if resp, body := ts.get(t, ts.signIn(t, s.admin), base); resp.StatusCode != 404 || strings.Contains(body, "assault") {
			t.Fatalf("admin staff: %d", resp.StatusCode)
		}
		mc := ts.signIn(t, s.manager)
		if resp, body := ts.get(t, mc, base+"/"+noteID); resp.StatusCode != 200 || !strings.Contains(body, "Spoke about the assault in March") {
			t.Fatalf("manager: %d", resp.StatusCode)
		}
		// The manager lets the team read them.
		if resp, body := ts.get(t, mc, "/services/"+s.serviceID+"/clinical-notes"); resp.StatusCode != 200 || !strings.Contains(body, `value="" checked`) {
			t.Fatalf("setting page: %d", resp.StatusCode)
		}
		if resp, _ := ts.post(t, mc, "/services/"+s.serviceID+"/clinical-notes", url.Values{"clinical_readers": {"nonsense"}}); resp.StatusCode != 400 {
			t.Fatalf("bad setting: %d", resp.StatusCode)
		}
		if resp, _ := ts.post(t, mc, "/services/"+s.serviceID+"/clinical-notes", url.Values{"clinical_readers": {"team"}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("setting: %d", resp.StatusCode)
		}
		if resp, body := ts.get(t, colleague, base+"/"+noteID); resp.StatusCode != 200 || !strings.Contains(body, "Spoke about the assault") {
			t.Fatalf("colleague after the setting: %d", resp.StatusCode)
		}
		if resp, _ := ts.get(t, colleague, "/services/"+s.serviceID+"/clinical-notes"); resp.StatusCode != 404 {
			t.Fatalf("a caseworker opens the setting: %d", resp.StatusCode)
		}
	})
}

// P02: a contact without a note shows as overdue on the notes page and the
// overdue page, and not once the note is written.
func TestOverdueNotePages(t *testing.T) {
	apptest.Each(t, func(t *testing.T, env *apptest.Env) {
		s := newNoteSite(t, env)
		ts := s.ts
		contact := env.Clock.Now().Add(-20 * time.Minute)
		if err := env.DB.Tx(t.Context(), func(tx *store.Tx) error {
			return env.Casework.ExpectNote(t.Context(), tx, s.clientID, "", contact, s.author.ID)
		}); err != nil {
			t.Fatal(err)
		}
		env.Clock.Advance(6 * 24 * time.Hour)
		c := ts.signIn(t, s.author)
		base := "/clients/" + s.clientID + "/notes"
		_, body := ts.get(t, c, "/notes/overdue")
		mustContain(t, "overdue page", body, casework.Reference(s.clientID), `href="`+base+`"`)
		_, body = ts.get(t, c, base)
		mustContain(t, "notes page", body, "Contacts without a note", "Overdue", "Write the note")
		write := regexp.MustCompile(`/clients/[a-z2-7]{26}/notes/new\?contact=([a-z2-7]{26})`).FindStringSubmatch(body)
		if write == nil {
			t.Fatal("no link to write the note")
		}
		_, body = ts.get(t, c, write[0])
		mustContain(t, "form for the contact", body, `value="`+write[1]+`" checked`, "(overdue)")

		in := s.noteFormValues("Session on sleep")
		at := casework.UKTime(contact)
		in.Set("contact", write[1])
		in.Set("when_day", fmt.Sprint(at.Day()))
		in.Set("when_month", fmt.Sprint(int(at.Month())))
		in.Set("when_hour", fmt.Sprint(at.Hour()))
		in.Set("when_minute", fmt.Sprint(at.Minute()))
		in.Set("action_rows", "0")
		if resp, body := ts.post(t, c, base, in); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("save: %d %s", resp.StatusCode, body)
		}
		_, body = ts.get(t, c, "/notes/overdue")
		if strings.Contains(body, casework.Reference(s.clientID)) {
			t.Error("still overdue after the note")
		}
		_, body = ts.get(t, c, base)
		if strings.Contains(body, "Contacts without a note") {
			t.Error("the contact still awaits its note")
		}
	})
}

// P05, P10: copies of letters and e-mails are kept and listed; the form
// shows the plain-envelope flag first.
func TestLetterPages(t *testing.T) {
	apptest.Each(t, func(t *testing.T, env *apptest.Env) {
		s := newNoteSite(t, env)
		ts := s.ts
		c := ts.signIn(t, s.author)
		base := "/clients/" + s.clientID + "/letters"
		_, body := ts.get(t, c, base+"/new")
		mustContain(t, "letter form", body, "Plain envelope: no sender’s name", "Send letters in a plain envelope")
		if strings.Index(body, "Plain envelope") > strings.Index(body, `<form method="post" action="/clients/`) {
			t.Error("the plain-envelope warning comes after the form starts")
		}
		form := url.Values{"channel": {"post"}, "when_day": {"24"}, "when_month": {"11"}, "when_year": {"2026"}, "when_hour": {"16"}, "when_minute": {"05"},
			"recipient": {"Shirin Rahimi"}, "address": {"4 Canal Street\nManchester M1 3HE"}, "subject": {""}, "body": {"Dear Shirin,\n\nYour appointment is on Tuesday."}}
		resp, body := ts.post(t, c, base, form)
		if resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("no subject: %d", resp.StatusCode)
		}
		mustContain(t, "refused letter", body, `href="#subject"`, "Enter the subject or heading", "Your appointment is on Tuesday.</textarea>", `value="Shirin Rahimi"`)
		form.Set("subject", "Your next appointment")
		if resp, _ := ts.post(t, c, base, form); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("save: %d", resp.StatusCode)
		}
		resp, body = ts.get(t, c, base)
		if resp.StatusCode != 200 || title(body) != "Letters and e-mails sent – Caseward" {
			t.Fatalf("letters: %d %q", resp.StatusCode, title(body))
		}
		mustContain(t, "letters page", body, "Your next appointment", "Letter by post", "24 November 2026 at 4:05pm")
		link := regexp.MustCompile(`/clients/[a-z2-7]{26}/letters/[a-z2-7]{26}`).FindString(body)
		_, body = ts.get(t, c, link)
		mustContain(t, "letter page", body, "Your appointment is on Tuesday.", "4 Canal Street<br>Manchester M1 3HE")
		// Admin staff see no letters: they are part of the notes.
		if resp, _ := ts.get(t, ts.signIn(t, s.admin), base); resp.StatusCode != 404 {
			t.Errorf("admin staff: %d", resp.StatusCode)
		}
	})
}

// The API mirrors the pages: the same validation, the same access.
func TestNotesAPI(t *testing.T) {
	apptest.Each(t, func(t *testing.T, env *apptest.Env) {
		ctx := context.Background()
		s := newNoteSite(t, env)
		ts := s.ts
		token := func(p apptest.Person) string {
			tok, err := env.Staff.CreateToken(ctx, p.Email, 24*time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			return tok
		}
		author, colleague, manager := token(s.author), token(s.colleague), token(s.manager)
		notes := "/api/v1/clients/" + s.clientID + "/notes"
		at := env.Clock.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
		good := `{"kind":"sessional","method":"video","contact_at":"` + at + `","discussed":"Panic attacks at work","actions":[{"what":"Try the breathing exercise","who":"client","due":"2026-12-02"}]}`

		for _, tt := range []struct {
			name, token, method, path, body string
			status                          int
			field                           string
		}{
			{"no token", "", "GET", notes, "", 401, ""},
			{"unknown field", author, "POST", notes, `{"kind":"contact","feelings":"x"}`, 400, "feelings"},
			{"bad kind", author, "POST", notes, `{"kind":"gossip","method":"phone","contact_at":"` + at + `","discussed":"x"}`, 400, "kind"},
			{"bad time", author, "POST", notes, `{"kind":"contact","method":"phone","contact_at":"yesterday","discussed":"x"}`, 400, "contact_at"},
			{"bad action", author, "POST", notes, `{"kind":"contact","method":"phone","contact_at":"` + at + `","discussed":"x","actions":[{"what":"x","who":"nobody","due":"2026-12-01"}]}`, 400, "actions[0].who"},
			{"bad purpose", author, "GET", notes + "?purpose=curiosity", "", 400, "purpose"},
			{"bad letter", author, "POST", "/api/v1/clients/" + s.clientID + "/letters", `{"channel":"pigeon","sent_at":"` + at + `","recipient":"x","subject":"x","body":"x"}`, 400, "channel"},
			{"setting by a caseworker", author, "PUT", "/api/v1/services/" + s.serviceID + "/clinical-notes", `{"clinical_readers":"team"}`, 403, ""},
			{"setting of another service", manager, "GET", "/api/v1/services/" + store.NewID() + "/clinical-notes", "", 404, ""},
		} {
			t.Run(tt.name, func(t *testing.T) {
				resp, out := ts.api(t, tt.token, tt.method, tt.path, tt.body)
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

		resp, out := ts.api(t, author, "POST", notes, good)
		if resp.StatusCode != 201 {
			t.Fatalf("create: %d %v", resp.StatusCode, out)
		}
		id := out["id"].(string)
		if loc := resp.Header.Get("Location"); loc != notes+"/"+id {
			t.Errorf("Location %q", loc)
		}
		resp, out = ts.api(t, author, "GET", notes, "")
		list, _ := out["notes"].([]any)
		if resp.StatusCode != 200 || len(list) != 1 || list[0].(map[string]any)["discussed"] != "Panic attacks at work" {
			t.Fatalf("list: %d %v", resp.StatusCode, out)
		}
		// P13 through the API too: the colleague gets the note withheld.
		_, out = ts.api(t, colleague, "GET", notes, "")
		list, _ = out["notes"].([]any)
		if len(list) != 1 || list[0].(map[string]any)["withheld"] != true || list[0].(map[string]any)["discussed"] != nil {
			t.Fatalf("colleague's list: %v", out)
		}
		if resp, _ := ts.api(t, colleague, "GET", notes+"/"+id, ""); resp.StatusCode != 404 {
			t.Fatalf("colleague's note: %d", resp.StatusCode)
		}

		// P41: a correction, then one from a stale version.
		corr := `{"version":1,"reason":"It was a phone call","kind":"sessional","method":"phone","contact_at":"` + at + `","discussed":"Panic attacks at work"}`
		if resp, out := ts.api(t, author, "POST", notes+"/"+id+"/corrections", corr); resp.StatusCode != 200 || out["version"] != float64(2) {
			t.Fatalf("correct: %d %v", resp.StatusCode, out)
		}
		if resp, _ := ts.api(t, author, "POST", notes+"/"+id+"/corrections", corr); resp.StatusCode != 409 {
			t.Fatalf("stale correction: %d", resp.StatusCode)
		}
		resp, out = ts.api(t, author, "GET", notes+"/"+id, "")
		versions, _ := out["versions"].([]any)
		if resp.StatusCode != 200 || len(versions) != 2 || out["method"] != "phone" || versions[0].(map[string]any)["method"] != "video" ||
			versions[1].(map[string]any)["reason"] != "It was a phone call" || out["corrected"] != true {
			t.Fatalf("note: %d %v", resp.StatusCode, out)
		}
		actions, _ := out["actions"].([]any)
		actionID := actions[0].(map[string]any)["id"].(string)
		if resp, out := ts.api(t, author, "POST", "/api/v1/clients/"+s.clientID+"/actions/"+actionID+"/done", ""); resp.StatusCode != 200 {
			t.Fatalf("done: %d %v", resp.StatusCode, out)
		}

		// Letters.
		letters := "/api/v1/clients/" + s.clientID + "/letters"
		resp, out = ts.api(t, author, "POST", letters, `{"channel":"email","sent_at":"`+at+`","recipient":"Shirin Rahimi","address":"shirin@example.org","subject":"Session notes","body":"As we agreed."}`)
		if resp.StatusCode != 201 {
			t.Fatalf("letter: %d %v", resp.StatusCode, out)
		}
		letter := out["id"].(string)
		_, out = ts.api(t, author, "GET", letters, "")
		if ls, _ := out["letters"].([]any); len(ls) != 1 || ls[0].(map[string]any)["subject"] != "Session notes" {
			t.Fatalf("letters: %v", out)
		}
		if _, out := ts.api(t, author, "GET", letters+"/"+letter, ""); out["body"] != "As we agreed." {
			t.Fatalf("letter: %v", out)
		}

		// The clinical-notes setting, by the manager.
		if resp, out := ts.api(t, manager, "PUT", "/api/v1/services/"+s.serviceID+"/clinical-notes", `{"clinical_readers":"team"}`); resp.StatusCode != 200 || out["clinical_readers"] != "team" {
			t.Fatalf("setting: %d %v", resp.StatusCode, out)
		}
		if resp, _ := ts.api(t, colleague, "GET", notes+"/"+id, ""); resp.StatusCode != 200 {
			t.Fatalf("colleague's note after the setting: %d", resp.StatusCode)
		}

		// Overdue: none yet; an awaited contact five days on is.
		if err := env.DB.Tx(ctx, func(tx *store.Tx) error {
			return env.Casework.ExpectNote(ctx, tx, s.clientID, "", env.Clock.Now().Add(-time.Minute), s.author.ID)
		}); err != nil {
			t.Fatal(err)
		}
		env.Clock.Advance(7 * 24 * time.Hour)
		author = token(s.author)
		resp, out = ts.api(t, author, "GET", "/api/v1/notes/overdue", "")
		if ns, _ := out["notes"].([]any); resp.StatusCode != 200 || len(ns) != 1 || ns[0].(map[string]any)["client"] != s.clientID {
			t.Fatalf("overdue: %d %v", resp.StatusCode, out)
		}

		// P23: another service's worker: as for no client at all.
		outsider := env.Person(t, access.Caseworker, env.Service(t, "Welfare", false).ID)
		ot := token(outsider)
		r1, denied := ts.api(t, ot, "GET", notes, "")
		r2, missing := ts.api(t, ot, "GET", "/api/v1/clients/"+store.NewID()+"/notes", "")
		if r1.StatusCode != 404 || r2.StatusCode != 404 || !jsonEqual(denied, missing) {
			t.Fatalf("denied %d %v, missing %d %v", r1.StatusCode, denied, r2.StatusCode, missing)
		}
	})
}

// The notes and letters pages pass axe-core (WCAG 2.2 AA) in a real
// browser, with and without errors.
func TestNotePagesAccessible(t *testing.T) {
	env := apptest.New(t, store.SQLite, nil) // the browser's codes come from the real clock
	s := newNoteSite(t, env)
	ts := s.ts
	ctx := browsertest.New(t)
	// Signing in goes straight to the page wanted (?next=), so that no
	// other page is still loading when the test moves on.
	signInBrowser := func(p apptest.Person, next string) {
		t.Helper()
		run(t, ctx, chromedp.Navigate(ts.URL+"/sign-in?next="+url.QueryEscape(next)), chromedp.WaitVisible(css("#email")),
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
	if err := env.DB.Tx(t.Context(), func(tx *store.Tx) error {
		return env.Casework.ExpectNote(t.Context(), tx, s.clientID, "", time.Now().Add(-5*24*time.Hour), s.author.ID)
	}); err != nil {
		t.Fatal(err)
	}
	notes := "/clients/" + s.clientID + "/notes"
	letters := "/clients/" + s.clientID + "/letters"
	save := css("main form[method=post] .govuk-button-group button:first-child")

	signInBrowser(s.author, notes)
	visit("notes, a contact awaiting its note", notes, "#awaiting")
	visit("new note with errors", notes+"/new", "#discussed",
		chromedp.Click(css("#contact-other")), chromedp.SendKeys(css("#action-0-what"), "Call the GP"),
		chromedp.Click(save), chromedp.WaitVisible(css(".govuk-error-summary")))
	visit("new note saved", notes+"/new", "#discussed",
		chromedp.Click(css("#contact")), chromedp.Click(css("#method-1")), chromedp.SendKeys(css("#discussed"), "Talked about sleep"),
		chromedp.SendKeys(css("#action-0-what"), "Call the GP"), chromedp.SetValue(css("#action-0-who"), "client"),
		chromedp.SendKeys(css("#action-0-due-day"), "1"), chromedp.SendKeys(css("#action-0-due-month"), "1"), chromedp.SendKeys(css("#action-0-due-year"), fmt.Sprint(time.Now().Year()+1)),
		chromedp.Click(save), chromedp.WaitVisible(css(".govuk-notification-banner")))
	var noteID string
	if err := env.DB.QueryRow(t.Context(), "SELECT id FROM notes").Scan(&noteID); err != nil {
		t.Fatal(err)
	}
	visit("note", notes+"/"+noteID, "#history")
	visit("correction with errors", notes+"/"+noteID+"/correct", "#reason",
		chromedp.Click(save), chromedp.WaitVisible(css(".govuk-error-summary")))
	visit("corrected note", notes+"/"+noteID+"/correct", "#reason",
		chromedp.SendKeys(css("#reason"), "Wrong time"), chromedp.Click(save), chromedp.WaitVisible(css(".govuk-notification-banner")))
	visit("letter with errors", letters+"/new", "#plain-envelope",
		chromedp.Click(css("main form[method=post] button[type=submit]")), chromedp.WaitVisible(css(".govuk-error-summary")))
	visit("letters", letters+"/new", "#body",
		chromedp.Click(css("#channel")), chromedp.SendKeys(css("#recipient"), "Shirin Rahimi"), chromedp.SendKeys(css("#subject"), "Your appointment"),
		chromedp.SendKeys(css("#body"), "See you on Monday."), chromedp.Click(css("main form[method=post] button[type=submit]")),
		chromedp.WaitVisible(css(".govuk-notification-banner")))
	var letterID string
	if err := env.DB.QueryRow(t.Context(), "SELECT id FROM letters").Scan(&letterID); err != nil {
		t.Fatal(err)
	}
	visit("letter", letters+"/"+letterID, "main h1")
	visit("overdue", "/notes/overdue", "#overdue-notes")

	run(t, ctx, chromedp.Click(css("form[action='/sign-out'] button")), chromedp.WaitVisible(css("#email")))
	signInBrowser(s.manager, "/services/"+s.serviceID+"/clinical-notes")
	visit("clinical notes setting", "/services/"+s.serviceID+"/clinical-notes", "#clinical-readers",
		chromedp.Click(css("#clinical-readers-2")), chromedp.Click(css("main form[method=post] button[type=submit]")),
		chromedp.WaitVisible(css(".govuk-notification-banner")))
}
