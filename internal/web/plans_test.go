package web_test

import (
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/caseward/caseward/internal/access"
	"github.com/caseward/caseward/internal/app/apptest"
	"github.com/caseward/caseward/internal/casework"
)

// planSite is a server with a service, a caseworker signed in, and a
// client of theirs.
type planSite struct {
	ts     *testServer
	env    *apptest.Env
	svc    string
	worker apptest.Person
	c      *http.Client
	client string
}

func newPlanSite(t *testing.T, env *apptest.Env) planSite {
	t.Helper()
	ts := newServer(t, env)
	svc := env.Service(t, "Counselling", false)
	w := env.Person(t, access.Caseworker, svc.ID)
	id, err := env.Casework.CreateClient(t.Context(), w.Actor(), casework.ClientInput{ServiceID: svc.ID, GivenName: "Łucja", FamilyName: "Wiśniewska", DateOfBirth: "1991-04-12"})
	if err != nil {
		t.Fatal(err)
	}
	return planSite{ts: ts, env: env, svc: svc.ID, worker: w, c: ts.signIn(t, w), client: id}
}

// planFormValues is a plan as the form posts it: one goal with two actions
// (the second row blank), and internal notes.
func planFormValues() url.Values {
	return url.Values{
		"title": {"Safety and housing plan"}, "status": {"active"}, "review_on": {"2027-01-15"},
		"goals-0-text": {"Find a safe place to live"}, "goals-0-status": {"under-way"},
		"goals-0-actions-0-what": {"Call the housing options team"}, "goals-0-actions-0-who": {"You"}, "goals-0-actions-0-by": {"2026-12-01"},
		"goals-0-actions-1-what": {""}, "goals-0-actions-1-who": {""}, "goals-0-actions-1-by": {""},
		"goals-1-text": {"Feel confident going out again"}, "goals-1-status": {"not-started"},
		"goals-1-actions-0-what": {"Walk to the shop together"}, "goals-1-actions-0-who": {"Both of us"}, "goals-1-actions-0-by": {"27/1/2027"},
		"internal_notes": {"Perpetrator drives past the refuge on Thursdays"},
		"add":            {""},
	}
}

func planMustContain(t *testing.T, what, body string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(body, w) {
			t.Errorf("%s lacks %q", what, w)
		}
	}
}

// planPDFText reads a PDF back with pdftotext, whitespace collapsed. It
// skips the test where poppler is not installed, except under CI=true.
func planPDFText(t *testing.T, pdf []byte) string {
	t.Helper()
	tool, err := exec.LookPath("pdftotext")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("pdftotext is not installed (apt-get install poppler-utils)")
		}
		t.Skip("pdftotext is not installed (apt-get install poppler-utils): skipping")
	}
	in := filepath.Join(t.TempDir(), "copy.pdf")
	if err := os.WriteFile(in, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(tool, "-enc", "UTF-8", in, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return strings.Join(strings.Fields(string(out)), " ")
}

var planIDRE = regexp.MustCompile(`/plans/([a-z2-7]{26})`)

// P04: a caseworker makes a plan with goals and actions through the pages,
// changes it (the history stays), records the client's signature, and
// downloads the client's copy: a PDF with the client's name, the goals and
// the actions, and never the internal notes; the download is audited.
func TestP04PlanPages(t *testing.T) {
	apptest.Each(t, func(t *testing.T, env *apptest.Env) {
		s := newPlanSite(t, env)
		ts, c := s.ts, s.c
		base := "/clients/" + s.client + "/plans"

		resp, body := ts.get(t, c, base)
		if resp.StatusCode != 200 || title(body) != "Plans and agreements – Caseward" {
			t.Fatalf("section: %d %q", resp.StatusCode, title(body))
		}
		planMustContain(t, "the section", body, "No support plan yet", `aria-current="page">Plans and agreements`, "Sign the confidentiality agreement", "Łucja Wiśniewska")

		resp, body = ts.get(t, c, base+"/new")
		if resp.StatusCode != 200 {
			t.Fatalf("new: %d", resp.StatusCode)
		}
		planMustContain(t, "the new plan form", body, `name="goals-0-text"`, `name="goals-0-actions-0-what"`, `name="internal_notes"`, "Add another goal")

		// "Add another goal" shows a new row and keeps everything typed.
		form := planFormValues()
		form.Set("add", "goal")
		resp, body = ts.post(t, c, base, form)
		if resp.StatusCode != 200 {
			t.Fatalf("add a goal: %d", resp.StatusCode)
		}
		planMustContain(t, "the form with a goal added", body, `name="goals-2-text"`, "Call the housing options team", "Thursdays", `value="27/1/2027"`)
		form.Set("add", "action-1")
		_, body = ts.post(t, c, base, form)
		planMustContain(t, "the form with an action added", body, `name="goals-1-actions-1-what"`)
		if n := planCount(t, env); n != 0 {
			t.Fatalf("adding rows saved %d plans", n)
		}

		// Errors come back by their fields, with what was typed.
		bad := planFormValues()
		bad.Set("goals-1-text", "")
		bad.Set("goals-0-actions-0-by", "31/2/2027")
		resp, body = ts.post(t, c, base, bad)
		if resp.StatusCode != http.StatusBadRequest || !strings.HasPrefix(title(body), "Error: ") {
			t.Fatalf("bad plan: %d %q", resp.StatusCode, title(body))
		}
		planMustContain(t, "the refused form", body, `href="#goals-1-text"`, `href="#goals-0-actions-0-by"`, "Describe the goal", `value="31/2/2027"`, "Walk to the shop together", "Thursdays")
		if n := planCount(t, env); n != 0 {
			t.Fatalf("a refused plan saved %d plans", n)
		}

		resp, body = ts.post(t, c, base, planFormValues())
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("create: %d %s", resp.StatusCode, body)
		}
		loc := resp.Header.Get("Location")
		m := planIDRE.FindStringSubmatch(loc)
		if m == nil {
			t.Fatalf("redirected to %q", loc)
		}
		planURL := base + "/" + m[1]
		resp, body = ts.get(t, c, loc)
		if resp.StatusCode != 200 || title(body) != "Support plan – Caseward" {
			t.Fatalf("view: %d %q", resp.StatusCode, title(body))
		}
		planMustContain(t, "the plan", body, "The plan is saved", "Safety and housing plan", "Find a safe place to live", "Call the housing options team",
			"27 January 2027", "Under way", "Thursdays", "Not recorded for this version", "copy.pdf")

		// A change is a new version, and the first stays in the history.
		_, edit := ts.get(t, c, planURL+"/edit")
		planMustContain(t, "the edit form", edit, `value="Call the housing options team"`, `name="goals-0-actions-1-what"`, `name="reason"`, `name="version" value="1"`)
		change := planFormValues()
		change.Set("version", "1")
		change.Set("goals-0-actions-0-done", "yes")
		change.Set("reason", "Reviewed with the client")
		if resp, body := ts.post(t, c, planURL, change); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("update: %d %s", resp.StatusCode, body)
		}
		change.Set("title", "A title typed meanwhile")
		resp, body = ts.post(t, c, planURL, change)
		if resp.StatusCode != http.StatusConflict {
			t.Fatalf("stale update: %d", resp.StatusCode)
		}
		planMustContain(t, "the conflict page", body, "Someone else saved this plan", `value="A title typed meanwhile"`, "Saved by someone else meanwhile: version 2", `name="version" value="2"`)
		_, body = ts.get(t, c, planURL)
		planMustContain(t, "the plan's history", body, "Reviewed with the client", "?version=1", "2 (shown)")
		_, body = ts.get(t, c, planURL+"?version=1")
		planMustContain(t, "version 1", body, "This is version 1, kept in the history")

		// The client answers version 2: the signing page has the signature
		// box (with signature.js) and the typed alternative.
		resp, body = ts.get(t, c, planURL+"/agreement")
		if resp.StatusCode != 200 {
			t.Fatalf("answer form: %d", resp.StatusCode)
		}
		planMustContain(t, "the answer form", body, "<canvas", "signature.js", `name="typed_name"`, `name="agree"`, `name="version" value="2"`)
		answer := url.Values{"version": {"2"}, "method": {"signed"}, "typed_name": {"Łucja Wiśniewska"}, "signature": {""}}
		resp, body = ts.post(t, c, planURL+"/agreement", answer)
		if resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("unticked: %d", resp.StatusCode)
		}
		planMustContain(t, "the refused answer", body, "Tick the box to confirm", `href="#agree"`, `value="Łucja Wiśniewska"`)
		answer.Set("agree", "yes")
		if resp, body := ts.post(t, c, planURL+"/agreement", answer); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("answer: %d %s", resp.StatusCode, body)
		}
		_, body = ts.get(t, c, planURL)
		planMustContain(t, "the agreed plan", body, "Signed on screen, 25 November 2026", "Typed name: <strong>Łucja Wiśniewska</strong>")

		// P04, P20: the client's copy.
		req, _ := http.NewRequest(http.MethodGet, ts.URL+planURL+"/copy.pdf", nil)
		resp, pdf := do(t, c, req)
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/pdf" ||
			resp.Header.Get("Content-Disposition") != `attachment; filename="support-plan.pdf"` || resp.Header.Get("Cache-Control") != "no-store" {
			t.Fatalf("copy: %d %v", resp.StatusCode, resp.Header)
		}
		if !strings.HasPrefix(pdf, "%PDF-") {
			t.Fatal("the copy is not a PDF")
		}
		entries, err := env.Gate.Audit().ForClient(t.Context(), s.client, 1)
		if err != nil {
			t.Fatal(err)
		}
		if e := entries[0]; e.Action != "plan.print" || e.Actor != s.worker.ID || len(e.RecordIDs) != 1 || e.RecordIDs[0] != m[1] {
			t.Fatalf("the last audit entry is %+v, want the print", e)
		}
		text := planPDFText(t, []byte(pdf))
		for _, want := range []string{"Your support plan", "Łucja Wiśniewska", "Find a safe place to live", "Call the housing options team", "who: You",
			"Feel confident going out again", "Walk to the shop together", "27 January 2027", "15 January 2027", "signed it on screen on 25 November 2026", "Counselling"} {
			if !strings.Contains(text, want) {
				t.Errorf("the copy lacks %q:\n%s", want, text)
			}
		}
		for _, never := range []string{"Thursdays", "Perpetrator", "Reviewed with the client"} {
			if strings.Contains(text, never) || strings.Contains(pdf, never) {
				t.Errorf("the copy holds %q", never)
			}
		}

		// Nothing personal in the logs.
		if logs := ts.logs.String(); strings.Contains(logs, "Wiśniewska") || strings.Contains(logs, "Thursdays") || strings.Contains(logs, "housing") {
			t.Errorf("personal data in the logs:\n%s", logs)
		}
	})
}

func planCount(t *testing.T, env *apptest.Env) int {
	t.Helper()
	var n int
	if err := env.DB.QueryRow(t.Context(), "SELECT COUNT(*) FROM plans").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// P09, P11: the agreement's exact wording and version are shown and kept;
// the client signs by typing their name (without JavaScript) or by drawing.
func TestP09P11AgreementPages(t *testing.T) {
	apptest.Each(t, func(t *testing.T, env *apptest.Env) {
		s := newPlanSite(t, env)
		ts, c := s.ts, s.c
		resp, body := ts.get(t, c, "/clients/"+s.client+"/agreements/new?kind=confidentiality")
		if resp.StatusCode != 200 || title(body) != "Confidentiality agreement – Caseward" {
			t.Fatalf("sign page: %d %q", resp.StatusCode, title(body))
		}
		planMustContain(t, "the sign page", body, "Version 1", "sample wording", "SAMPLE WORDING", "if a court orders us to", "<canvas", `data-signature hidden`, `name="typed_name"`, "signature.js")
		textID := regexp.MustCompile(`name="text_id" value="([a-z2-7]{26})"`).FindStringSubmatch(body)
		if textID == nil {
			t.Fatal("no text id on the form")
		}
		if resp, _ := ts.get(t, c, "/clients/"+s.client+"/agreements/new?kind=nonsense"); resp.StatusCode != 404 {
			t.Fatalf("unknown kind: %d", resp.StatusCode)
		}

		// Without JavaScript: the typed name and the tick.
		resp, body = ts.post(t, c, "/clients/"+s.client+"/agreements", url.Values{"text_id": {textID[1]}, "typed_name": {""}, "signature": {""}})
		if resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("empty signature: %d", resp.StatusCode)
		}
		planMustContain(t, "the refused signature", body, "Sign in the box, or type the client’s full name", "Tick the box", `href="#typed-name"`, "if a court orders us to")
		resp, _ = ts.post(t, c, "/clients/"+s.client+"/agreements", url.Values{"text_id": {textID[1]}, "typed_name": {"Łucja Wiśniewska"}, "agree": {"yes"}, "signature": {""}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("typed signature: %d", resp.StatusCode)
		}
		// With it: a drawn signature, for the contract.
		_, body = ts.get(t, c, "/clients/"+s.client+"/agreements/new?kind=contract")
		contractID := regexp.MustCompile(`name="text_id" value="([a-z2-7]{26})"`).FindStringSubmatch(body)[1]
		resp, _ = ts.post(t, c, "/clients/"+s.client+"/agreements", url.Values{"text_id": {contractID}, "typed_name": {""}, "agree": {"yes"}, "signature": {"M120 200L160 150L210 190"}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("drawn signature: %d", resp.StatusCode)
		}

		_, body = ts.get(t, c, resp.Header.Get("Location"))
		planMustContain(t, "the section", body, "The agreement is signed", "Confidentiality agreement</a>", "Counselling contract / work agreement</a>", "Typed name", "Signed on screen")
		links := regexp.MustCompile(`/clients/[a-z2-7]{26}/agreements/([a-z2-7]{26})`).FindAllStringSubmatch(body, -1)
		if len(links) != 2 {
			t.Fatalf("%d agreement links", len(links))
		}
		var sawDrawn, sawTyped bool
		for _, l := range links {
			resp, body := ts.get(t, c, l[0])
			if resp.StatusCode != 200 || title(body) != "Signed agreement – Caseward" {
				t.Fatalf("agreement view: %d", resp.StatusCode)
			}
			planMustContain(t, "the agreement", body, "version 1", "SAMPLE WORDING")
			sawDrawn = sawDrawn || strings.Contains(body, `<path d="M120 200L160 150L210 190"`)
			sawTyped = sawTyped || strings.Contains(body, "Typed name: <strong>Łucja Wiśniewska</strong>")
		}
		if !sawDrawn || !sawTyped {
			t.Fatalf("drawn shown %v, typed shown %v", sawDrawn, sawTyped)
		}

		// A manager publishes new wording; what was signed keeps version 1.
		manager := env.Person(t, access.Manager, s.svc)
		mc := ts.signIn(t, manager)
		_, body = ts.get(t, mc, "/agreement-texts")
		planMustContain(t, "the wording page", body, "Publish a new version", "Version 1: Confidentiality agreement (sample wording)")
		resp, body = ts.post(t, mc, "/agreement-texts", url.Values{"kind": {"confidentiality"}, "title": {""}, "body": {""}})
		if resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("empty wording: %d", resp.StatusCode)
		}
		planMustContain(t, "the refused wording", body, `href="#title"`, `href="#body"`)
		resp, _ = ts.post(t, mc, "/agreement-texts", url.Values{"kind": {"confidentiality"}, "title": {"Confidentiality agreement"}, "body": {"Our own words.\n\nSecond paragraph."}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("publish: %d", resp.StatusCode)
		}
		_, body = ts.get(t, c, "/agreement-texts")
		if strings.Contains(body, "Publish a new version") {
			t.Error("a caseworker is offered to publish wording")
		}
		if resp, _ := ts.post(t, c, "/agreement-texts", url.Values{"kind": {"confidentiality"}, "title": {"x"}, "body": {"y"}}); resp.StatusCode != http.StatusForbidden {
			t.Errorf("a caseworker publishes wording: %d", resp.StatusCode)
		}
		_, body = ts.get(t, c, "/clients/"+s.client+"/agreements/new?kind=confidentiality")
		planMustContain(t, "the sign page after publishing", body, "Version 2", "Our own words.")
		for _, l := range links {
			_, body := ts.get(t, c, l[0])
			if strings.Contains(body, "Our own words") || !strings.Contains(body, "version 1") {
				t.Errorf("a signed agreement shows the new wording")
			}
		}
	})
}

// The API mirrors the pages: plans, the client's answer, the copy, and
// agreements, with the same validation.
func TestPlansAPI(t *testing.T) {
	apptest.Each(t, func(t *testing.T, env *apptest.Env) {
		s := newPlanSite(t, env)
		ts := s.ts
		token, err := env.Staff.CreateToken(t.Context(), s.worker.Email, 3600*1e9)
		if err != nil {
			t.Fatal(err)
		}
		base := "/api/v1/clients/" + s.client + "/plans"

		resp, out := ts.api(t, token, "GET", base, "")
		if resp.StatusCode != 200 || len(out["plans"].([]any)) != 0 {
			t.Fatalf("empty list: %d %v", resp.StatusCode, out)
		}
		resp, out = ts.api(t, token, "POST", base, `{"title":"Plan","goals":[{"text":"","actions":[{"what":"x","by":"soon"}]}]}`)
		if resp.StatusCode != 400 {
			t.Fatalf("bad plan: %d %v", resp.StatusCode, out)
		}
		fields := map[string]bool{}
		for _, f := range out["error"].(map[string]any)["fields"].([]any) {
			fields[f.(map[string]any)["field"].(string)] = true
		}
		if !fields["goals.0.text"] || !fields["goals.0.actions.0.by"] {
			t.Fatalf("fields %v", fields)
		}
		resp, out = ts.api(t, token, "POST", base, `{"title":"Plan","review_on":"2027-01-15","goals":[{"text":"Find a safe place to live","status":"under-way","actions":[{"what":"Call the housing team","who":"You","by":"2026-12-01"}]}],"internal_notes":"Staff only"}`)
		if resp.StatusCode != 201 {
			t.Fatalf("create: %d %v", resp.StatusCode, out)
		}
		id := out["id"].(string)
		resp, out = ts.api(t, token, "GET", base+"/"+id, "")
		plan, _ := out["plan"].(map[string]any)
		if resp.StatusCode != 200 || plan["title"] != "Plan" || plan["internal_notes"] != "Staff only" || plan["version"] != 1.0 {
			t.Fatalf("get: %d %v", resp.StatusCode, out)
		}
		update := `{"version":1,"title":"Plan","goals":[{"text":"Find a safe place to live","status":"achieved"}],"reason":"Moved in"}`
		if resp, out := ts.api(t, token, "PUT", base+"/"+id, update); resp.StatusCode != 200 || out["version"] != 2.0 {
			t.Fatalf("update: %d %v", resp.StatusCode, out)
		}
		if resp, out := ts.api(t, token, "PUT", base+"/"+id, update); resp.StatusCode != 409 {
			t.Fatalf("stale update: %d %v", resp.StatusCode, out)
		}
		if resp, out := ts.api(t, token, "POST", base+"/"+id+"/agreements", `{"version":2,"method":"signed","signature":{"drawn":"M1 1L20 20","agree":true}}`); resp.StatusCode != 201 {
			t.Fatalf("answer: %d %v", resp.StatusCode, out)
		}
		resp, out = ts.api(t, token, "GET", base+"/"+id+"?version=1", "")
		if plan := out["plan"].(map[string]any); resp.StatusCode != 200 || plan["version"] != 1.0 || len(out["history"].([]any)) != 2 || len(out["agreements"].([]any)) != 1 {
			t.Fatalf("version 1: %d %v", resp.StatusCode, out)
		}
		req, _ := http.NewRequest("GET", ts.URL+base+"/"+id+"/copy.pdf", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, pdf := do(t, http.DefaultClient, req)
		if resp.StatusCode != 200 || !strings.HasPrefix(pdf, "%PDF-") || resp.Header.Get("Content-Disposition") != `attachment; filename="support-plan.pdf"` {
			t.Fatalf("copy: %d %v", resp.StatusCode, resp.Header)
		}

		// Agreements.
		resp, out = ts.api(t, token, "GET", "/api/v1/agreement-texts", "")
		texts := out["texts"].([]any)
		if resp.StatusCode != 200 || len(texts) != 2 {
			t.Fatalf("texts: %d %v", resp.StatusCode, out)
		}
		textID := texts[0].(map[string]any)["id"].(string)
		if resp, out := ts.api(t, token, "POST", "/api/v1/clients/"+s.client+"/agreements", `{"text_id":"`+textID+`","signature":{"typed_name":"Łucja Wiśniewska"}}`); resp.StatusCode != 400 {
			t.Fatalf("unticked: %d %v", resp.StatusCode, out)
		}
		resp, out = ts.api(t, token, "POST", "/api/v1/clients/"+s.client+"/agreements", `{"text_id":"`+textID+`","signature":{"typed_name":"Łucja Wiśniewska","agree":true}}`)
		if resp.StatusCode != 201 {
			t.Fatalf("sign: %d %v", resp.StatusCode, out)
		}
		resp, out = ts.api(t, token, "GET", resp.Header.Get("Location"), "")
		if resp.StatusCode != 200 || out["text_intact"] != true || out["agreement"].(map[string]any)["version"] != 1.0 ||
			out["agreement"].(map[string]any)["signature"].(map[string]any)["name"] != "Łucja Wiśniewska" {
			t.Fatalf("agreement: %d %v", resp.StatusCode, out)
		}
		if resp, _ := ts.api(t, token, "POST", "/api/v1/agreement-texts", `{"kind":"contract","title":"T","body":"B"}`); resp.StatusCode != 403 {
			t.Fatalf("a caseworker publishes wording: %d", resp.StatusCode)
		}

		// P23: another service's worker gets what a missing client gets.
		other := env.Person(t, access.Caseworker, env.Service(t, "Advocacy", false).ID)
		otherToken, _ := env.Staff.CreateToken(t.Context(), other.Email, 3600*1e9)
		if resp, _ := ts.api(t, otherToken, "GET", base+"/"+id, ""); resp.StatusCode != 404 {
			t.Fatalf("outsider: %d", resp.StatusCode)
		}
	})
}

// The DPO says why they open the section, reads plans, agreements and
// documents for that purpose, and changes nothing; admin staff see plans
// without internal notes and do not change them.
func TestPlansForDPOAndAdminStaff(t *testing.T) {
	apptest.Each(t, func(t *testing.T, env *apptest.Env) {
		s := newPlanSite(t, env)
		ts := s.ts
		plan, err := env.Casework.CreatePlan(t.Context(), s.worker.Actor(), s.client, casework.PlanInput{Title: "Plan", InternalNotes: "Staff-only remark",
			Goals: []casework.Goal{{Text: "Register with a GP"}}})
		if err != nil {
			t.Fatal(err)
		}
		base := "/clients/" + s.client
		dpo := ts.signIn(t, env.Person(t, access.DPO))
		_, body := ts.get(t, dpo, base+"/plans")
		if !strings.Contains(body, `name="purpose"`) {
			t.Fatal("the DPO is not asked why")
		}
		resp, body := ts.get(t, dpo, base+"/plans?purpose=review")
		if resp.StatusCode != 200 || strings.Contains(body, "Start a support plan") || strings.Contains(body, "Sign the confidentiality agreement") {
			t.Fatalf("DPO section: %d", resp.StatusCode)
		}
		planMustContain(t, "the DPO's section", body, "/plans/"+plan+"?purpose=review")
		_, body = ts.get(t, dpo, base+"/plans/"+plan+"?purpose=review")
		planMustContain(t, "the DPO's plan", body, "Register with a GP", "Staff-only remark", "copy.pdf?purpose=review")
		if strings.Contains(body, "Change the plan") {
			t.Error("the DPO is offered to change the plan")
		}
		if resp, _ := ts.get(t, dpo, base+"/documents?purpose=rights-request"); resp.StatusCode != 200 {
			t.Fatalf("DPO documents: %d", resp.StatusCode)
		}
		if resp, _ := ts.get(t, dpo, base+"/plans/new"); resp.StatusCode != http.StatusForbidden {
			t.Fatalf("DPO new plan form: %d", resp.StatusCode)
		}

		admin := ts.signIn(t, env.Person(t, access.AdminStaff, s.svc))
		_, body = ts.get(t, admin, base+"/plans/"+plan)
		planMustContain(t, "admin staff's plan", body, "Register with a GP", "Record the client’s answer")
		for _, never := range []string{"Staff-only remark", "Change the plan", "Internal notes"} {
			if strings.Contains(body, never) {
				t.Errorf("admin staff see %q", never)
			}
		}
		if resp, _ := ts.get(t, admin, base+"/plans/"+plan+"/edit"); resp.StatusCode != http.StatusForbidden {
			t.Fatalf("admin staff edit form: %d", resp.StatusCode)
		}
	})
}
