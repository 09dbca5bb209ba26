package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/caseward/caseward/internal/access"
	"github.com/caseward/caseward/internal/app/apptest"
	"github.com/caseward/caseward/internal/casework"
	"github.com/caseward/caseward/internal/store"
	"github.com/caseward/caseward/internal/web"
)

// syncBuffer collects log output from the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// testServer is a real HTTP server over a whole installation.
type testServer struct {
	*httptest.Server
	env  *apptest.Env
	logs *syncBuffer
}

func newServer(t *testing.T, env *apptest.Env) *testServer {
	t.Helper()
	logs := &syncBuffer{}
	h, err := web.New(env.App, web.Options{Logger: slog.New(slog.NewJSONHandler(logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &testServer{Server: srv, env: env, logs: logs}
}

// browserlessClient behaves like a browser for our purposes: cookies,
// same-origin fetch metadata on form posts, no automatic redirects.
func (ts *testServer) client(t *testing.T) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func (ts *testServer) post(t *testing.T, c *http.Client, path string, form url.Values) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, ts.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	return do(t, c, req)
}

func (ts *testServer) get(t *testing.T, c *http.Client, path string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, ts.URL+path, nil)
	return do(t, c, req)
}

func do(t *testing.T, c *http.Client, req *http.Request) (*http.Response, string) {
	t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

// signIn signs p in with password and code, returning a client with the session.
func (ts *testServer) signIn(t *testing.T, p apptest.Person) *http.Client {
	t.Helper()
	c := ts.client(t)
	resp, body := ts.post(t, c, "/sign-in", url.Values{"email": {p.Email}, "password": {p.Password}})
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/sign-in/code") {
		t.Fatalf("password step: %d %s", resp.StatusCode, body)
	}
	resp, body = ts.post(t, c, "/sign-in/code", url.Values{"code": {p.Code(t, ts.env.Clock.Now())}, "next": {"/"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("code step: %d %s", resp.StatusCode, body)
	}
	return c
}

var titleRE = regexp.MustCompile(`<title>([^<]*)</title>`)

func title(body string) string {
	m := titleRE.FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return m[1]
}

func TestHeadersAndHealth(t *testing.T) {
	env := apptest.New(t, store.SQLite, apptest.NewClock())
	ts := newServer(t, env)
	c := ts.client(t)
	for _, tt := range []struct {
		path   string
		status int
		body   string
	}{
		{"/healthz", 200, "ok"},
		{"/readyz", 200, "ready"},
		{"/sign-in", 200, "Sign in to Caseward"},
		{"/api/v1/openapi.json", 200, `"openapi": "3.1.0"`},
		{"/no-such-page", 404, "Page not found"},
		{"/", 303, ""}, // signed out: to the sign-in page
	} {
		t.Run(tt.path, func(t *testing.T) {
			resp, body := ts.get(t, c, tt.path)
			if resp.StatusCode != tt.status || !strings.Contains(body, tt.body) {
				t.Fatalf("GET %s = %d, body %.200q", tt.path, resp.StatusCode, body)
			}
			h := resp.Header
			csp := h.Get("Content-Security-Policy")
			for _, want := range []string{"default-src 'none'", "script-src 'self'", "frame-ancestors 'none'"} {
				if !strings.Contains(csp, want) {
					t.Errorf("CSP %q lacks %q", csp, want)
				}
			}
			if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "http") {
				t.Errorf("CSP allows inline code or another site: %q", csp)
			}
			if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") != "no-referrer" {
				t.Errorf("missing nosniff or no-referrer: %v", h)
			}
		})
	}
}

// P19, P55: the page names no other site it would fetch from, and offers the
// quick exit.
func TestPagesFetchNothingFromElsewhere(t *testing.T) {
	env := apptest.New(t, store.SQLite, apptest.NewClock())
	ts := newServer(t, env)
	_, body := ts.get(t, ts.client(t), "/sign-in")
	for _, m := range regexp.MustCompile(`(?:src|href)="([^"]+)"`).FindAllStringSubmatch(body, -1) {
		u := m[1]
		if strings.HasPrefix(u, "http") && !strings.Contains(m[0], "href") {
			t.Errorf("page loads %s from another site", u)
		}
		if strings.HasPrefix(u, "/static/") {
			resp, _ := ts.get(t, ts.client(t), u)
			if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Cache-Control"), "immutable") {
				t.Errorf("asset %s: %d %q", u, resp.StatusCode, resp.Header.Get("Cache-Control"))
			}
		}
	}
	if !strings.Contains(body, "govuk-exit-this-page") {
		t.Error("no quick exit on the page")
	}
}

func TestSignIn(t *testing.T) {
	apptest.Each(t, func(t *testing.T, env *apptest.Env) {
		ts := newServer(t, env)
		svc := env.Service(t, "Counselling", false)
		p := env.Person(t, access.Caseworker, svc.ID)

		// An unknown account and a wrong password get the same answer.
		c := ts.client(t)
		r1, unknown := ts.post(t, c, "/sign-in", url.Values{"email": {"nobody@example.org"}, "password": {"whatever it is, really"}})
		r2, wrong := ts.post(t, c, "/sign-in", url.Values{"email": {p.Email}, "password": {"not the password at all"}})
		if r1.StatusCode != r2.StatusCode || r1.StatusCode != http.StatusUnauthorized {
			t.Fatalf("statuses %d and %d", r1.StatusCode, r2.StatusCode)
		}
		msg := "The email address or password is not right"
		if !strings.Contains(unknown, msg) || !strings.Contains(wrong, msg) {
			t.Fatal("the two failures differ in their message")
		}
		if !strings.Contains(wrong, `value="`+p.Email+`"`) {
			t.Error("the typed email address was not kept")
		}

		// Password alone opens nothing.
		resp, _ := ts.post(t, c, "/sign-in", url.Values{"email": {p.Email}, "password": {p.Password}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("password: %d", resp.StatusCode)
		}
		if resp, _ := ts.get(t, c, "/"); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("home before the second factor: %d", resp.StatusCode)
		}
		if resp, body := ts.post(t, c, "/sign-in/code", url.Values{"code": {"000000"}}); resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "code is not right") {
			t.Fatalf("wrong code: %d", resp.StatusCode)
		}
		code := p.Code(t, env.Clock.Now())
		if resp, _ := ts.post(t, c, "/sign-in/code", url.Values{"code": {code}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("code: %d", resp.StatusCode)
		}
		resp, body := ts.get(t, c, "/")
		if resp.StatusCode != 200 || !strings.Contains(body, "Add a client") {
			t.Fatalf("home: %d", resp.StatusCode)
		}
		if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
			t.Errorf("signed-in page Cache-Control %q", cc)
		}

		// P16: the same code cannot be used twice.
		c2 := ts.client(t)
		ts.post(t, c2, "/sign-in", url.Values{"email": {p.Email}, "password": {p.Password}})
		if resp, _ := ts.post(t, c2, "/sign-in/code", url.Values{"code": {code}}); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("reused code: %d", resp.StatusCode)
		}

		// P19: an idle session locks.
		env.Clock.Advance(31 * 60 * 1e9)
		if resp, _ := ts.get(t, c, "/"); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("after 31 idle minutes: %d", resp.StatusCode)
		}
	})
}

func TestSessionCookie(t *testing.T) {
	env := apptest.New(t, store.SQLite, apptest.NewClock())
	ts := newServer(t, env)
	svc := env.Service(t, "Counselling", false)
	p := env.Person(t, access.Caseworker, svc.ID)
	resp, _ := ts.post(t, ts.client(t), "/sign-in", url.Values{"email": {p.Email}, "password": {p.Password}})
	sc := resp.Header.Get("Set-Cookie")
	for _, want := range []string{"HttpOnly", "SameSite=Lax", "Path=/"} {
		if !strings.Contains(sc, want) {
			t.Errorf("cookie %q lacks %s", sc, want)
		}
	}
}

// Cross-origin protection: a state-changing request from another site is
// refused, whatever cookies it carries.
func TestCrossOriginPostRefused(t *testing.T) {
	env := apptest.New(t, store.SQLite, apptest.NewClock())
	ts := newServer(t, env)
	svc := env.Service(t, "Counselling", false)
	p := env.Person(t, access.Caseworker, svc.ID)
	c := ts.signIn(t, p)
	form := url.Values{"service": {svc.ID}, "given_name": {"Eve"}, "family_name": {"Forged"}, "dob_day": {"1"}, "dob_month": {"1"}, "dob_year": {"1990"}}
	for _, h := range []map[string]string{
		{"Sec-Fetch-Site": "cross-site"},
		{"Origin": "https://attacker.example"},
	} {
		req, _ := http.NewRequest(http.MethodPost, ts.URL+"/clients", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for k, v := range h {
			req.Header.Set(k, v)
		}
		if resp, _ := do(t, c, req); resp.StatusCode != http.StatusForbidden {
			t.Errorf("%v: status %d, want 403", h, resp.StatusCode)
		}
	}
}

// A form with errors comes back with each message by its field and what
// was typed kept; nothing is written.
func TestClientFormErrorsKeepInput(t *testing.T) {
	apptest.Each(t, func(t *testing.T, env *apptest.Env) {
		ts := newServer(t, env)
		svc := env.Service(t, "Counselling", false)
		p := env.Person(t, access.Caseworker, svc.ID)
		c := ts.signIn(t, p)
		resp, body := ts.post(t, c, "/clients", url.Values{"service": {svc.ID}, "given_name": {"Ayşe"}, "family_name": {""}, "dob_day": {"31"}, "dob_month": {"2"}, "dob_year": {"1990"}})
		if resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("status %d", resp.StatusCode)
		}
		for _, want := range []string{`value="Ayşe"`, `value="31"`, "Enter the client’s family name", "Date of birth must be a real date", `href="#family-name"`, "Error: Add a client"} {
			if !strings.Contains(body, want) {
				t.Errorf("response lacks %q", want)
			}
		}
		if n := countClients(t, env); n != 0 {
			t.Errorf("%d clients written", n)
		}
	})
}

func countClients(t *testing.T, env *apptest.Env) int {
	t.Helper()
	var n int
	if err := env.DB.QueryRow(context.Background(), "SELECT COUNT(*) FROM clients").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// Create, view, edit through the pages; names never in titles, URLs or logs.
func TestClientPages(t *testing.T) {
	apptest.Each(t, func(t *testing.T, env *apptest.Env) {
		ts := newServer(t, env)
		svc := env.Service(t, "Counselling", false)
		p := env.Person(t, access.Caseworker, svc.ID)
		c := ts.signIn(t, p)
		resp, body := ts.post(t, c, "/clients", url.Values{"service": {svc.ID}, "given_name": {"Hawre"}, "family_name": {"Barzani"}, "dob_day": {"7"}, "dob_month": {"5"}, "dob_year": {"1989"}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("create: %d %s", resp.StatusCode, body)
		}
		loc := resp.Header.Get("Location")
		resp, body = ts.get(t, c, loc)
		if resp.StatusCode != 200 || !strings.Contains(body, "Hawre") || !strings.Contains(body, "7 May 1989") {
			t.Fatalf("view: %d", resp.StatusCode)
		}
		// P19: no personal data in the title or the URL.
		if strings.Contains(title(body), "Hawre") || strings.Contains(loc, "Hawre") {
			t.Errorf("name in title %q or URL %q", title(body), loc)
		}

		// Two people edit at once: the second is told and keeps their input.
		_, form := ts.get(t, c, loc+"/edit")
		version := regexp.MustCompile(`name="version" value="(\d+)"`).FindStringSubmatch(form)[1]
		edit := func(given string) (*http.Response, string) {
			return ts.post(t, c, loc, url.Values{"version": {version}, "given_name": {given}, "family_name": {"Barzani"}, "dob_day": {"7"}, "dob_month": {"5"}, "dob_year": {"1989"}})
		}
		if resp, _ := edit("Hawreh"); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("first edit: %d", resp.StatusCode)
		}
		resp, body = edit("Hawre J.")
		if resp.StatusCode != http.StatusConflict || !strings.Contains(body, "Hawreh") || !strings.Contains(body, `value="Hawre J."`) {
			t.Fatalf("second edit: %d, want 409 showing both versions", resp.StatusCode)
		}

		// P23: another service's worker gets the same page as for no client.
		outsider := ts.signIn(t, env.Person(t, access.Caseworker, env.Service(t, "Advocacy", false).ID))
		r1, denied := ts.get(t, outsider, loc)
		r2, missing := ts.get(t, outsider, "/clients/"+store.NewID())
		if r1.StatusCode != 404 || r2.StatusCode != 404 || stripIDs(denied) != stripIDs(missing) {
			t.Fatalf("denied (%d) and missing (%d) pages differ", r1.StatusCode, r2.StatusCode)
		}

		if logs := ts.logs.String(); strings.Contains(logs, "Hawre") || strings.Contains(logs, "Barzani") || strings.Contains(logs, "1989") || strings.Contains(logs, strings.TrimPrefix(loc, "/clients/")) {
			t.Errorf("personal data or a client id in the logs:\n%s", logs)
		}
	})
}

var idRE = regexp.MustCompile(`[a-z2-7]{26}|[0-9a-f]{16}`)

func stripIDs(s string) string { return idRE.ReplaceAllString(s, "ID") }

func (ts *testServer) api(t *testing.T, token, method, path, body string) (*http.Response, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, ts.URL+path, strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, raw := do(t, http.DefaultClient, req)
	var out map[string]any
	if err := json.Unmarshal([]byte(raw), &out); err != nil {
		t.Fatalf("%s %s: not JSON: %q", method, path, raw)
	}
	return resp, out
}

func TestAPI(t *testing.T) {
	apptest.Each(t, func(t *testing.T, env *apptest.Env) {
		ctx := context.Background()
		ts := newServer(t, env)
		svc := env.Service(t, "Counselling", false)
		other := env.Service(t, "Advocacy", false)
		p := env.Person(t, access.Caseworker, svc.ID)
		token, err := env.Staff.CreateToken(ctx, p.Email, 24*3600*1e9)
		if err != nil {
			t.Fatal(err)
		}
		long := strings.Repeat("x", casework.MaxNameLength+1)
		for _, tt := range []struct {
			name   string
			token  string
			body   string
			status int
			field  string
		}{
			{"no token", "", `{}`, 401, ""},
			{"bad token", "cw_nonsense", `{}`, 401, ""},
			{"malformed JSON", token, `{"service":`, 400, ""},
			{"two objects", token, `{} {}`, 400, ""},
			{"unknown field", token, `{"service":"Counselling","given_name":"A","family_name":"B","date_of_birth":"1990-01-01","religion":"x"}`, 400, "religion"},
			{"wrong type", token, `{"service":"Counselling","given_name":5,"family_name":"B","date_of_birth":"1990-01-01"}`, 400, "given_name"},
			{"over-long name", token, `{"service":"Counselling","given_name":"` + long + `","family_name":"B","date_of_birth":"1990-01-01"}`, 400, "given_name"},
			{"birth in the future", token, `{"service":"Counselling","given_name":"A","family_name":"B","date_of_birth":"2099-01-01"}`, 400, "date_of_birth"},
			{"not a date", token, `{"service":"Counselling","given_name":"A","family_name":"B","date_of_birth":"1990-02-30"}`, 400, "date_of_birth"},
			{"someone else's service", token, `{"service":"` + other.ID + `","given_name":"A","family_name":"B","date_of_birth":"1990-01-01"}`, 400, "service"},
		} {
			t.Run(tt.name, func(t *testing.T) {
				resp, out := ts.api(t, tt.token, "POST", "/api/v1/clients", tt.body)
				if resp.StatusCode != tt.status {
					t.Fatalf("status %d, want %d: %v", resp.StatusCode, tt.status, out)
				}
				e, _ := out["error"].(map[string]any)
				if e == nil || e["message"] == "" {
					t.Fatalf("no error message: %v", out)
				}
				if tt.field != "" {
					fields, _ := e["fields"].([]any)
					if len(fields) == 0 || fields[0].(map[string]any)["field"] != tt.field {
						t.Fatalf("error does not name %s: %v", tt.field, e)
					}
				}
			})
		}
		if n := countClients(t, env); n != 0 {
			t.Fatalf("bad requests wrote %d clients", n)
		}

		resp, out := ts.api(t, token, "POST", "/api/v1/clients", `{"service":"Counselling","given_name":"Mariam","family_name":"Haile","date_of_birth":"1994-09-17"}`)
		if resp.StatusCode != 201 {
			t.Fatalf("create: %d %v", resp.StatusCode, out)
		}
		id := out["id"].(string)
		resp, out = ts.api(t, token, "GET", "/api/v1/clients/"+id, "")
		if resp.StatusCode != 200 || out["given_name"] != "Mariam" || out["date_of_birth"] != "1994-09-17" {
			t.Fatalf("get: %d %v", resp.StatusCode, out)
		}
		// P23: denied and missing are the same answer.
		outsider := env.Person(t, access.Caseworker, other.ID)
		otherToken, _ := env.Staff.CreateToken(ctx, outsider.Email, 3600*1e9)
		r1, denied := ts.api(t, otherToken, "GET", "/api/v1/clients/"+id, "")
		r2, missing := ts.api(t, otherToken, "GET", "/api/v1/clients/"+store.NewID(), "")
		if r1.StatusCode != 404 || r2.StatusCode != 404 || !jsonEqual(denied, missing) {
			t.Fatalf("denied %d %v, missing %d %v", r1.StatusCode, denied, r2.StatusCode, missing)
		}
		if resp.Header.Get("Cache-Control") != "no-store" {
			t.Error("API answer may be cached")
		}
	})
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}
