package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/caseward/caseward/internal/access"
	"github.com/caseward/caseward/internal/app/apptest"
	"github.com/caseward/caseward/internal/casework"
)

func addFindable(t *testing.T, env *apptest.Env, p apptest.Person, service, given, family, dob string) string {
	t.Helper()
	id, err := env.Casework.CreateClient(context.Background(), p.Actor(), casework.ClientInput{
		ServiceID: service, GivenName: given, FamilyName: family, DateOfBirth: dob,
		RecordParts: casework.RecordParts{Contact: &casework.Contact{Phones: []casework.Phone{{Label: "Mobile", Number: "07700 900123"}}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

var formRE = regexp.MustCompile(`<form[^>]*>`)

// P19: every form of the search pages posts, so nothing typed lands in a
// URL; and the page's title is fixed words.
func checkSearchPage(t *testing.T, body, wantTitle string, typed ...string) {
	t.Helper()
	if got := title(body); !strings.HasPrefix(got, wantTitle) && !strings.HasPrefix(got, "Error: "+wantTitle) {
		t.Errorf("title %q, want %q", got, wantTitle)
	}
	for _, f := range formRE.FindAllString(body, -1) {
		if strings.Contains(f, `action="/search"`) || strings.Contains(f, `action="/clients/find"`) || strings.Contains(f, `action="/clients/new"`) {
			if !strings.Contains(f, `method="post"`) {
				t.Errorf("search form does not post: %s", f)
			}
		}
	}
	for _, m := range regexp.MustCompile(`href="([^"]*)"`).FindAllStringSubmatch(body, -1) {
		for _, s := range typed {
			if s != "" && strings.Contains(strings.ToLower(m[1]), strings.ToLower(s)) {
				t.Errorf("a link holds what was typed: %s", m[1])
			}
		}
	}
}

func TestSearchPages(t *testing.T) {
	apptest.Each(t, func(t *testing.T, env *apptest.Env) {
		ts := newServer(t, env)
		counselling := env.Service(t, "Counselling", false)
		refuge := env.Service(t, "Refuge", false)
		amy := env.Person(t, access.Caseworker, counselling.ID)
		rae := env.Person(t, access.Caseworker, refuge.ID)
		jamila := addFindable(t, env, amy, counselling.ID, "Jamila", "Khan", "1990-05-01")
		theirs := addFindable(t, env, rae, refuge.ID, "Muhammad", "Hussain", "1985-02-11")
		c := ts.signIn(t, amy)

		resp, body := ts.get(t, c, "/search")
		if resp.StatusCode != 200 || !strings.Contains(body, `name="name"`) {
			t.Fatalf("search form: %d", resp.StatusCode)
		}
		checkSearchPage(t, body, "Find a client")

		// A misspelt name finds the client; the form keeps what was typed.
		resp, body = ts.post(t, c, "/search", url.Values{"name": {"Jamilla Kahn"}})
		if resp.StatusCode != 200 || !strings.Contains(body, "Jamila Khan") || !strings.Contains(body, `href="/clients/`+jamila+`"`) {
			t.Fatalf("search: %d %.300s", resp.StatusCode, body)
		}
		if !strings.Contains(body, `value="Jamilla Kahn"`) || !strings.Contains(body, "1 May 1990") {
			t.Error("the typed name or the date of birth is missing")
		}
		checkSearchPage(t, body, "Find a client", "Jamilla", "Kahn")

		// By phone and year of birth.
		_, body = ts.post(t, c, "/search", url.Values{"phone": {"900123"}, "dob_year": {"1990"}})
		if !strings.Contains(body, "Jamila Khan") {
			t.Error("phone and year did not find the client")
		}

		// P13, P23: another service's client is never shown, even when
		// their name is typed exactly.
		resp, body = ts.post(t, c, "/search", url.Values{"name": {"Muhammad Hussain"}})
		if resp.StatusCode != 200 || strings.Contains(body, theirs) || strings.Contains(body, "1985") || !strings.Contains(body, "No client you work with matches") {
			t.Errorf("another service's client shows: %d", resp.StatusCode)
		}

		// Errors come back next to the field, with what was typed.
		resp, body = ts.post(t, c, "/search", url.Values{"name": {"J"}, "phone": {"12ab"}})
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "govuk-error-summary") || !strings.Contains(body, `href="#phone"`) || !strings.Contains(body, `value="12ab"`) {
			t.Errorf("bad search: %d", resp.StatusCode)
		}
		checkSearchPage(t, body, "Find a client")

		// P19: nothing typed reaches the server's log.
		for _, s := range []string{"Jamilla", "Kahn", "Hussain", "900123"} {
			if strings.Contains(ts.logs.String(), s) {
				t.Errorf("the log holds %q", s)
			}
		}
	})
}

// Results come a page at a time; the next page is asked for by POST.
func TestSearchPaging(t *testing.T) {
	apptest.Each(t, func(t *testing.T, env *apptest.Env) {
		ts := newServer(t, env)
		svc := env.Service(t, "Advice", true)
		w := env.Person(t, access.Caseworker, svc.ID)
		for i := range casework.SearchPageSize + 5 {
			addFindable(t, env, w, svc.ID, fmt.Sprintf("Client%02d", i), "Ahmed", "1980-01-01")
		}
		c := ts.signIn(t, w)
		_, body := ts.post(t, c, "/search", url.Values{"name": {"Ahmed"}})
		if !strings.Contains(body, "25 clients found: showing 1 to 20.") || !strings.Contains(body, "Next page") || strings.Contains(body, "Previous page") {
			t.Fatalf("page 1: %.2000s", body)
		}
		_, body = ts.post(t, c, "/search", url.Values{"name": {"Ahmed"}, "page": {"2"}})
		if !strings.Contains(body, "showing 21 to 25.") || strings.Contains(body, "Next page") || !strings.Contains(body, "Previous page") || !strings.Contains(body, "Client24 Ahmed") {
			t.Fatalf("page 2")
		}
		checkSearchPage(t, body, "Find a client", "Ahmed")
	})
}

// Search before create: the look-up shows the clients the worker may see
// and, from across the organisation, only whom to ask (P23); "None of
// these" carries the names to the new-client form by POST.
func TestFindBeforeAdd(t *testing.T) {
	apptest.Each(t, func(t *testing.T, env *apptest.Env) {
		ts := newServer(t, env)
		counselling := env.Service(t, "Counselling", false)
		refuge := env.Service(t, "Refuge", false)
		amy := env.Person(t, access.Caseworker, counselling.ID)
		rae := env.Person(t, access.Caseworker, refuge.ID)
		mine := addFindable(t, env, amy, counselling.ID, "Jamila", "Khan", "1990-05-01")
		theirs := addFindable(t, env, rae, refuge.ID, "Muhammad", "Hussain", "1985-02-11")
		c := ts.signIn(t, amy)

		// The new-client form starts by sending people to the look-up.
		if _, body := ts.get(t, c, "/clients/new"); !strings.Contains(body, `href="/clients/find"`) {
			t.Error("the new-client form does not offer the look-up")
		}
		resp, body := ts.get(t, c, "/clients/find")
		if resp.StatusCode != 200 {
			t.Fatalf("find form: %d", resp.StatusCode)
		}
		checkSearchPage(t, body, "Add a client")

		// P23: known elsewhere: whom to ask, nothing of the record.
		resp, body = ts.post(t, c, "/clients/find", url.Values{"given_name": {"Mohammed"}, "family_name": {"Hussein"}, "dob_day": {"11"}, "dob_month": {"2"}, "dob_year": {"1985"}})
		if resp.StatusCode != 200 || !strings.Contains(body, "may already be known") || !strings.Contains(body, "Refuge: "+rae.Name) {
			t.Fatalf("possible match: %d %.3000s", resp.StatusCode, body)
		}
		for _, secret := range []string{theirs, "Muhammad", "Hussain", strings.ToUpper(theirs[:8])} {
			if strings.Contains(body, secret) {
				t.Errorf("the page reveals %q", secret)
			}
		}
		checkSearchPage(t, body, "Add a client", "Mohammed", "Hussein")

		// Someone the worker sees is listed, to open instead.
		_, body = ts.post(t, c, "/clients/find", url.Values{"given_name": {"Jamila"}, "family_name": {"Khan"}, "dob_day": {"1"}, "dob_month": {"5"}, "dob_year": {"1990"}})
		if !strings.Contains(body, `href="/clients/`+mine+`"`) || !strings.Contains(body, "may be a client you work with") {
			t.Error("the worker's own client is not offered")
		}

		// Nobody known: the form comes prefilled, by POST.
		_, body = ts.post(t, c, "/clients/find", url.Values{"given_name": {"Zofia"}, "family_name": {"Nowak"}, "dob_day": {"30"}, "dob_month": {"6"}, "dob_year": {"1979"}})
		if !strings.Contains(body, "No one with a name like this") || !strings.Contains(body, "None of these: add a new client") {
			t.Fatalf("no match: %.2000s", body)
		}
		resp, body = ts.post(t, c, "/clients/new", url.Values{"given_name": {"Zofia"}, "family_name": {"Nowak"}, "dob_day": {"30"}, "dob_month": {"6"}, "dob_year": {"1979"}})
		if resp.StatusCode != 200 || !strings.Contains(body, `value="Zofia"`) || !strings.Contains(body, `value="Nowak"`) || !strings.Contains(body, `value="1979"`) || !strings.Contains(body, `action="/clients"`) {
			t.Fatalf("prefilled form: %d", resp.StatusCode)
		}
		if !strings.HasPrefix(title(body), "Add a client") {
			t.Errorf("title %q", title(body))
		}

		// Errors next to their fields.
		resp, body = ts.post(t, c, "/clients/find", url.Values{"given_name": {"Zofia"}})
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, `href="#family-name"`) || !strings.Contains(body, `href="#dob-day"`) || !strings.Contains(body, `value="Zofia"`) {
			t.Errorf("incomplete look-up: %d", resp.StatusCode)
		}

		// Roles that take on no clients have no look-up.
		for _, role := range []access.Role{access.Trustee, access.Sysadmin, access.DPO} {
			cc := ts.signIn(t, env.Person(t, role))
			if resp, _ := ts.get(t, cc, "/clients/find"); resp.StatusCode != http.StatusForbidden {
				t.Errorf("%s: %d", role, resp.StatusCode)
			}
		}
		for _, s := range []string{"Mohammed", "Hussein", "Zofia", "Nowak"} {
			if strings.Contains(ts.logs.String(), s) {
				t.Errorf("the log holds %q", s)
			}
		}
	})
}

func TestSearchAPI(t *testing.T) {
	apptest.Each(t, func(t *testing.T, env *apptest.Env) {
		ctx := context.Background()
		ts := newServer(t, env)
		counselling := env.Service(t, "Counselling", false)
		refuge := env.Service(t, "Refuge", false)
		amy := env.Person(t, access.Caseworker, counselling.ID)
		rae := env.Person(t, access.Caseworker, refuge.ID)
		jamila := addFindable(t, env, amy, counselling.ID, "Jamila", "Khan", "1990-05-01")
		theirs := addFindable(t, env, rae, refuge.ID, "Muhammad", "Hussain", "1985-02-11")
		token, err := env.Staff.CreateToken(ctx, amy.Email, 24*3600*1e9)
		if err != nil {
			t.Fatal(err)
		}

		resp, out := ts.api(t, token, "POST", "/api/v1/clients/search", `{"name":"Jamilla"}`)
		rs, _ := out["results"].([]any)
		if resp.StatusCode != 200 || len(rs) != 1 {
			t.Fatalf("search: %d %v", resp.StatusCode, out)
		}
		r := rs[0].(map[string]any)
		if r["id"] != jamila || r["display_name"] != "Jamila Khan" || r["date_of_birth"] != "1990-05-01" || r["match"] != "sounds" || out["total"] != 1.0 {
			t.Errorf("result %v", out)
		}
		resp, out = ts.api(t, token, "POST", "/api/v1/clients/search", `{"name":"Muhammad Hussain"}`)
		if rs, _ := out["results"].([]any); resp.StatusCode != 200 || len(rs) != 0 || out["total"] != 0.0 {
			t.Errorf("another service's client: %v", out)
		}
		resp, out = ts.api(t, token, "POST", "/api/v1/clients/search", `{}`)
		if resp.StatusCode != 400 || !strings.Contains(fmt.Sprint(out), "name") {
			t.Errorf("empty search: %d %v", resp.StatusCode, out)
		}

		// P23: the intake check's answer names whom to ask, and nothing of
		// the record.
		req := `{"given_name":"Mohammed","family_name":"Hussein","date_of_birth":"1985-02-11"}`
		resp, out = ts.api(t, token, "POST", "/api/v1/intake-checks", req)
		if resp.StatusCode != 200 || out["possible_match"] != true {
			t.Fatalf("intake: %d %v", resp.StatusCode, out)
		}
		raw := fmt.Sprint(out)
		for _, secret := range []string{theirs, "Muhammad", "Hussain"} {
			if strings.Contains(raw, secret) {
				t.Errorf("the answer reveals %q: %s", secret, raw)
			}
		}
		if !strings.Contains(raw, refuge.ID) || !strings.Contains(raw, rae.ID) || !strings.Contains(raw, "Refuge") {
			t.Errorf("the answer does not say whom to ask: %s", raw)
		}
		resp, out = ts.api(t, token, "POST", "/api/v1/intake-checks", `{"given_name":"Zofia","family_name":"Nowak","date_of_birth":"1979-06-30"}`)
		if resp.StatusCode != 200 || out["possible_match"] != false || len(out["ask"].([]any)) != 0 {
			t.Errorf("no match: %v", out)
		}
		dpo := env.Person(t, access.DPO)
		dtoken, _ := env.Staff.CreateToken(ctx, dpo.Email, 24*3600*1e9)
		if resp, _ := ts.api(t, dtoken, "POST", "/api/v1/intake-checks", req); resp.StatusCode != http.StatusForbidden {
			t.Errorf("DPO intake check: %d", resp.StatusCode)
		}
		// The limit answers 429.
		for range casework.IntakeChecksPerHour - 2 {
			ts.api(t, token, "POST", "/api/v1/intake-checks", req)
		}
		resp, out = ts.api(t, token, "POST", "/api/v1/intake-checks", req)
		if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
			t.Errorf("over the limit: %d %v", resp.StatusCode, out)
		}
	})
}
