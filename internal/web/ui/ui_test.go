package ui

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

var undefinedFunc = regexp.MustCompile(`function "([^"]+)" not defined`)

// pages parses every template. Pages written for the web package may call template
// functions that only it supplies; those are stubbed here (they are checked at parse
// time by name only), so this package's tests check the syntax of every template and
// render the pages of its own.
func pages(t *testing.T) map[string]*template.Template {
	t.Helper()
	funcs := template.FuncMap{}
	for range 100 {
		p, err := Pages(funcs)
		if err == nil {
			return p
		}
		m := undefinedFunc.FindStringSubmatch(err.Error())
		if m == nil || funcs[m[1]] != nil {
			t.Fatal(err)
		}
		funcs[m[1]] = func(...any) (any, error) { return nil, fmt.Errorf("stub %s", m[1]) }
	}
	t.Fatal("too many undefined functions")
	return nil
}

func TestEveryTemplateParses(t *testing.T) {
	p := pages(t)
	all, _ := fs.Glob(files, "templates/*.html")
	var want int
	for _, f := range all {
		if !strings.HasPrefix(f, "templates/_") {
			want++
		}
	}
	if len(p) != want || p["error"] == nil || p["notfound"] == nil {
		t.Fatalf("got pages %v, want %d including error and notfound", keys(p), want)
	}
}

func keys(m map[string]*template.Template) []string {
	var k []string
	for n := range m {
		k = append(k, n)
	}
	return k
}

func render(t *testing.T, page string, data any) string {
	t.Helper()
	var b bytes.Buffer
	if err := pages(t)[page].ExecuteTemplate(&b, "layout", data); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestLayoutSignedOut(t *testing.T) {
	html := render(t, "notfound", Base{})
	for _, want := range []string{
		`<html lang="en-GB" class="govuk-template">`,
		`<title>Page not found – Caseward</title>`,
		`<body class="govuk-template__body">`,
		`href="#main-content" class="govuk-skip-link"`,
		`<main class="govuk-main-wrapper" id="main-content">`,
		`data-module="govuk-exit-this-page"`,
		`href="https://www.bbc.co.uk/weather"`,
		`class="cw-header__name">Caseward</a>`,
		`<footer`,
		`<script type="module" src="` + AssetPath("caseward.js") + `"></script>`,
	} {
		if !strings.Contains(html, want) {
			t.Errorf("layout lacks %s", want)
		}
	}
	for _, bad := range []string{"Sign out", "js-enabled", "<script>"} {
		if strings.Contains(html, bad) {
			t.Errorf("signed-out layout contains %q", bad)
		}
	}
	// Every asset the page links to is one we serve.
	for _, m := range regexp.MustCompile(`(?:href|src)="(/static/[^"]+)"`).FindAllStringSubmatch(html, -1) {
		if rec := get(m[1], ""); rec.Code != 200 {
			t.Errorf("%s: %d", m[1], rec.Code)
		}
	}
}

func TestLayoutSignedIn(t *testing.T) {
	type data struct {
		Base
		Message string
	}
	html := render(t, "error", data{Base{User: &User{Name: "Sam <Worker>"}}, "Try again"})
	for _, want := range []string{
		"<title>Something went wrong – Caseward</title>",
		"Signed in as Sam &lt;Worker&gt;",
		`<form method="post" action="/sign-out"`,
		"Sign out</button>",
		"<p class=\"govuk-body\">Try again</p>",
	} {
		if !strings.Contains(html, want) {
			t.Errorf("layout lacks %s", want)
		}
	}
}

func TestPartials(t *testing.T) {
	tp := pages(t)["error"]
	var b bytes.Buffer
	errs := []FieldError{{Field: "name", Message: "Enter a name"}, {Message: "Something else"}}
	if err := tp.ExecuteTemplate(&b, "errors", errs); err != nil {
		t.Fatal(err)
	}
	if s := b.String(); !strings.Contains(s, `<a href="#name">Enter a name</a>`) || !strings.Contains(s, "<li>Something else</li>") {
		t.Errorf("errors partial: %s", s)
	}
	b.Reset()
	if err := tp.ExecuteTemplate(&b, "errors", []FieldError(nil)); err != nil || strings.TrimSpace(b.String()) != "" {
		t.Errorf("empty errors rendered %q, %v", b.String(), err)
	}

	b.Reset()
	f := Field{ID: "name", Name: "name", Label: "Name", Value: `Jo "x"`, Error: "Enter a name", Hint: "As they prefer"}
	if err := tp.ExecuteTemplate(&b, "field", f); err != nil {
		t.Fatal(err)
	}
	s := b.String()
	for _, want := range []string{
		`govuk-form-group--error`, `<label class="govuk-label" for="name">Name</label>`,
		`id="name-error"`, `value="Jo &#34;x&#34;"`, `type="text"`, `autocomplete="off"`, `spellcheck="false"`,
		`aria-describedby="name-hint name-error"`,
	} {
		if !strings.Contains(s, want) {
			t.Errorf("field lacks %s:\n%s", want, s)
		}
	}
	b.Reset()
	f = Field{ID: "pw", Name: "pw", Label: "Password", Value: "secret", Type: "password", Autocomplete: "current-password"}
	if err := tp.ExecuteTemplate(&b, "field", f); err != nil {
		t.Fatal(err)
	}
	if s := b.String(); strings.Contains(s, "secret") || strings.Contains(s, "aria-describedby") || !strings.Contains(s, `autocomplete="current-password"`) {
		t.Errorf("password field: %s", s)
	}

	// A date and time: every box keeps what was typed and is marked with the
	// error; the summary's link target is the first box.
	b.Reset()
	d := DateInput{ID: "when", Name: "when", Legend: "When was it?", LegendSize: "m", Hint: "For example, 27 3 2026", Error: "Enter a real date",
		Time: true, Day: "32", Month: "3", Year: "2026", Hour: "14", Minute: `3"0`}
	if err := tp.ExecuteTemplate(&b, "dateinput", d); err != nil {
		t.Fatal(err)
	}
	s = b.String()
	for _, want := range []string{
		`aria-describedby="when-hint when-error"`, `govuk-fieldset__legend--m">When was it?</legend>`, `id="when-error"`,
		`id="when-day" name="when_day" type="text" inputmode="numeric" autocomplete="off" value="32"`,
		`id="when-minute" name="when_minute"`, `value="3&#34;0"`, `govuk-input--width-4 govuk-input--error" id="when-year"`,
	} {
		if !strings.Contains(s, want) {
			t.Errorf("dateinput lacks %s:\n%s", want, s)
		}
	}
	b.Reset()
	if err := tp.ExecuteTemplate(&b, "dateinput", DateInput{ID: "due", Name: "due", Legend: "By when"}); err != nil {
		t.Fatal(err)
	}
	if s := b.String(); strings.Contains(s, "aria-describedby") || strings.Contains(s, "due-hour") || strings.Contains(s, "--error") || !strings.Contains(s, `class="govuk-fieldset__legend">By when`) {
		t.Errorf("date without time, hint or error: %s", s)
	}
}

func get(target, acceptEncoding string) *httptest.ResponseRecorder {
	r := httptest.NewRequest("GET", target, nil)
	if acceptEncoding != "" {
		r.Header.Set("Accept-Encoding", acceptEncoding)
	}
	w := httptest.NewRecorder()
	Static().ServeHTTP(w, r)
	return w
}

func TestStatic(t *testing.T) {
	p := AssetPath("govuk/govuk-frontend.min.css")
	if !regexp.MustCompile(`^/static/[0-9a-f]{16}/govuk/govuk-frontend\.min\.css$`).MatchString(p) {
		t.Fatalf("AssetPath = %s", p)
	}
	w := get(p, "")
	if w.Code != 200 {
		t.Fatalf("%s: %d", p, w.Code)
	}
	h := w.Header()
	if h.Get("Cache-Control") != "public, max-age=31536000, immutable" ||
		h.Get("Content-Type") != "text/css; charset=utf-8" ||
		h.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("headers %v", h)
	}
	want, _ := files.ReadFile("static/govuk/govuk-frontend.min.css")
	if !bytes.Equal(w.Body.Bytes(), want) {
		t.Error("body differs")
	}

	w = get(p, "br, gzip")
	if w.Header().Get("Content-Encoding") != "gzip" {
		t.Fatalf("no gzip: %v", w.Header())
	}
	zr, err := gzip.NewReader(w.Body)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := io.ReadAll(zr); !bytes.Equal(got, want) {
		t.Error("gzip body differs")
	}
	if get(p, "gzip;q=0").Header().Get("Content-Encoding") != "" {
		t.Error("gzip;q=0 got gzip")
	}

	if ct := get(AssetPath("caseward.js"), "").Header().Get("Content-Type"); ct != "text/javascript; charset=utf-8" {
		t.Errorf("js Content-Type %q", ct)
	}

	for _, bad := range []string{
		"/static/0123456789abcdef/govuk/govuk-frontend.min.css",
		"/static/govuk/govuk-frontend.min.css",
		"/static/" + assetHash + "/nope.css",
		"/static/" + assetHash + "/",
		"/static/" + assetHash + "/govuk",
		"/static/" + assetHash + "/../ui.go",
		"/other/" + assetHash + "/caseward.css",
	} {
		if w := get(bad, ""); w.Code != 404 {
			t.Errorf("%s: %d, want 404", bad, w.Code)
		}
	}

	r := httptest.NewRequest("POST", p, nil)
	w = httptest.NewRecorder()
	Static().ServeHTTP(w, r)
	if w.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST: %d", w.Code)
	}
}

func TestAssetPathPanicsOnUnknown(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("no panic")
		}
	}()
	AssetPath("nope.css")
}

// Nothing we ship may make the browser fetch from elsewhere, or load fonts.
func TestNoExternalFetches(t *testing.T) {
	fetch := regexp.MustCompile(`(?i)url\(\s*['"]?\s*(https?:)?//|@import|@font-face|GDS Transport|sourceMappingURL`)
	// The only http(s):// text allowed is the print rule matching link hrefs.
	printRule := regexp.MustCompile(`\[href\^="https?://"\]`)
	anyURL := regexp.MustCompile(`https?://`)
	for name, a := range assets {
		if !strings.HasSuffix(name, ".css") && !strings.HasSuffix(name, ".js") {
			continue
		}
		src := string(a.data)
		if m := fetch.FindString(src); m != "" {
			t.Errorf("%s contains %q", name, m)
		}
		if m := anyURL.FindString(printRule.ReplaceAllString(src, "")); m != "" {
			t.Errorf("%s contains an http(s) URL", name)
		}
		// No url() at all today; a future one must be reviewed here and vendored.
		for _, m := range regexp.MustCompile(`url\(\s*['"]?([^'")]+)`).FindAllStringSubmatch(src, -1) {
			ref := m[1]
			if strings.HasPrefix(ref, "data:") || strings.HasPrefix(ref, "#") {
				continue
			}
			t.Errorf("%s: url(%s) not allowed", name, ref)
		}
	}
	for name := range assets {
		if strings.Contains(name, "crest") || strings.Contains(name, "woff") {
			t.Errorf("%s shipped", name)
		}
	}
}
