// Package ui holds Caseward's embedded user interface foundation: the vendored
// GOV.UK Frontend CSS and JS (without the GOV.UK crest or the GDS Transport font; see
// scripts/update-govuk-frontend.sh), Caseward's own CSS and JS, and the HTML
// templates.
//
// # Static files
//
// Static serves every file under static/ at /static/<hash>/<name>, where <hash> is a
// SHA-256 prefix over the whole static tree, computed once at start-up. One hash for
// the tree (rather than one per file) keeps relative ES module imports working:
// caseward.js imports ./govuk/govuk-frontend.min.js. Responses are immutable for a
// year; a new build with any changed file gets a new hash. Templates get URLs from the
// template function asset: {{asset "caseward.css"}}.
//
// # Templates
//
// Files in templates/ whose names start with "_" are shared by every page:
// _layout.html defines "layout", _errors.html defines "errors", _field.html defines
// "field" and "dateinput". Every other file x.html is a page, and must define two
// templates:
//
//	{{define "title"}}Page not found{{end}}
//	{{define "content"}}<h1 class="govuk-heading-l">Page not found</h1>…{{end}}
//
// and may define "before" (shown above <main>, for a back link or breadcrumbs).
// Pages parses each page into its own clone of the shared set, keyed "x", and a
// handler renders it with
//
//	pages["x"].ExecuteTemplate(w, "layout", data)
//
// The title must never contain personal data: it is shown as "<title> – Caseward" in
// tabs, history and bookmarks. Put "Error: " in front of it when the page shows the
// error summary.
//
// The layout reads one field of data: .User, nil when nobody is signed in, or a
// value with a .Name (the signed-in staff member's display name), shown next to a
// "Sign out" button that POSTs to /sign-out. Embed Base in page data to provide it.
// There is no CSRF token: state changes are protected by Fetch-metadata cross-origin
// checks.
//
// Partials: {{template "errors" .Errors}} takes a []FieldError; {{template "field" .X}}
// takes a Field.
//
// Pages work without JavaScript. caseward.js is an ES module (script-src 'self'
// suffices) that adds the js-enabled and govuk-frontend-supported classes to <body>
// and initialises the govuk-frontend components, including "Exit this page" (Shift
// pressed three times), which without JavaScript is a plain link.
package ui

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Explicit pattern for templates: a directory pattern would skip the "_" files.
//
//go:embed static templates/*.html
var files embed.FS

// Base is the data the layout reads; embed it in each page's data struct.
type Base struct {
	User *User // nil when signed out
}

// User is the signed-in staff member as the layout shows them.
type User struct {
	Name string
}

// FieldError is one entry of the error summary. Field is the id of the input the
// message is about (it becomes the link #Field); Message says how to fix it.
type FieldError struct {
	Field   string
	Message string
}

// Field is the data of the "field" partial: a labelled text input.
type Field struct {
	ID           string // the input's id; error summary links point here
	Name         string // form field name
	Label        string
	Value        string // what the user typed, shown again (never for password)
	Error        string // message shown above the input; empty when valid
	Type         string // input type; "" means "text"
	Autocomplete string // "" means "off"
	Hint         string
	// Spellcheck lets the browser check spelling. Off by default: some browsers'
	// enhanced spell check sends what is typed to a cloud service.
	Spellcheck bool
	// Inputmode is the inputmode attribute ("numeric" brings up the number
	// pad on a tablet); "" leaves it out.
	Inputmode string
	// Width is an extra govuk width class, e.g. "govuk-input--width-5".
	Width string
}

// DateInput is the data of the "dateinput" partial: a date typed in three
// boxes (day, month, year), and with Time a time in two more (hour, minute
// on the 24-hour clock), under one legend.
type DateInput struct {
	ID     string // the boxes' ids are ID-day, ID-month, …; the first is what error summaries link to
	Name   string // their names are Name_day, Name_month, …
	Legend string
	// LegendSize is a govuk legend modifier ("m", "s"); "" for the
	// default size.
	LegendSize string
	Hint       string
	Error      string
	Time       bool
	// What was typed in each box, shown again.
	Day, Month, Year, Hour, Minute string
}

// DateBox is one box of a DateInput.
type DateBox struct {
	Part, Label, Value string
	Width              int // in characters: the govuk width class
}

// Boxes lists the boxes, in the order they are shown.
func (d DateInput) Boxes() []DateBox {
	boxes := []DateBox{{"day", "Day", d.Day, 2}, {"month", "Month", d.Month, 2}, {"year", "Year", d.Year, 4}}
	if d.Time {
		boxes = append(boxes, DateBox{"hour", "Hour", d.Hour, 2}, DateBox{"minute", "Minute", d.Minute, 2})
	}
	return boxes
}

type asset struct {
	data  []byte
	gz    []byte // nil when compression does not pay
	ctype string
}

const staticPrefix = "/static/"

var (
	assets    = map[string]asset{} // keyed by path under static/
	assetHash string
)

func init() {
	h := sha256.New()
	var names []string
	err := fs.WalkDir(files, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		names = append(names, p)
		return nil
	})
	if err != nil {
		panic(err)
	}
	sort.Strings(names)
	for _, p := range names {
		data, err := files.ReadFile(p)
		if err != nil {
			panic(err)
		}
		name := strings.TrimPrefix(p, "static/")
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(len(name)))
		h.Write(n[:])
		h.Write([]byte(name))
		binary.BigEndian.PutUint64(n[:], uint64(len(data)))
		h.Write(n[:])
		h.Write(data)
		assets[name] = asset{data: data, gz: compress(data), ctype: contentType(name)}
	}
	assetHash = hex.EncodeToString(h.Sum(nil))[:16]
}

func contentType(name string) string {
	switch path.Ext(name) {
	case ".css":
		return "text/css; charset=utf-8"
	case ".js", ".mjs":
		return "text/javascript; charset=utf-8"
	case ".svg":
		return "image/svg+xml"
	case ".png":
		return "image/png"
	case ".ico":
		return "image/x-icon"
	case "", ".txt":
		return "text/plain; charset=utf-8" // LICENSE, VERSION
	}
	if t := mime.TypeByExtension(path.Ext(name)); t != "" {
		return t
	}
	return "application/octet-stream"
}

func compress(data []byte) []byte {
	if len(data) < 1024 {
		return nil
	}
	var b bytes.Buffer
	w, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
	w.Write(data)
	w.Close()
	if b.Len() >= len(data)*9/10 {
		return nil
	}
	return b.Bytes()
}

// AssetPath returns the URL of the static file name (a path under static/, such as
// "govuk/govuk-frontend.min.css"). It panics if there is no such file: that is a
// programming error, caught by rendering every page in tests.
func AssetPath(name string) string {
	if _, ok := assets[name]; !ok {
		panic(fmt.Sprintf("ui: no static file %q", name))
	}
	return staticPrefix + assetHash + "/" + name
}

// Static serves the embedded static files at the URLs AssetPath returns. Mount it at
// "/static/" (it reads the full request path). Anything else, including a stale hash,
// is 404.
func Static() http.Handler {
	return http.HandlerFunc(serveStatic)
}

func serveStatic(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.Path, staticPrefix)
	hash, name, ok2 := strings.Cut(rest, "/")
	a, found := assets[name]
	if !ok || !ok2 || hash != assetHash || !found {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, http.StatusText(http.StatusMethodNotAllowed), http.StatusMethodNotAllowed)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", a.ctype)
	hd.Set("Cache-Control", "public, max-age=31536000, immutable")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Cross-Origin-Resource-Policy", "same-origin")
	body := a.data
	if a.gz != nil {
		hd.Add("Vary", "Accept-Encoding")
		if acceptsGzip(r) {
			hd.Set("Content-Encoding", "gzip")
			body = a.gz
		}
	}
	http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(body))
}

func acceptsGzip(r *http.Request) bool {
	for _, v := range r.Header.Values("Accept-Encoding") {
		for part := range strings.SplitSeq(v, ",") {
			coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
			if strings.EqualFold(strings.TrimSpace(coding), "gzip") {
				q, ok := strings.CutPrefix(strings.TrimSpace(params), "q=")
				if !ok {
					return true
				}
				f, err := strconv.ParseFloat(q, 64)
				return err == nil && f > 0
			}
		}
	}
	return false
}

// Pages parses the templates once, at start-up: one template set per page file
// x.html (key "x"), each a clone of the shared "_" files with the page added.
// funcs may be nil; the function asset is added to it.
func Pages(funcs template.FuncMap) (map[string]*template.Template, error) {
	// demo reports whether the layout shows the demo organisation's banner;
	// the server overrides it.
	fm := template.FuncMap{"demo": func() bool { return false }}
	for k, v := range funcs {
		fm[k] = v
	}
	fm["asset"] = func(name string) (string, error) {
		if _, ok := assets[name]; !ok {
			return "", fmt.Errorf("no static file %q", name)
		}
		return AssetPath(name), nil
	}

	all, err := fs.Glob(files, "templates/*.html")
	if err != nil {
		return nil, err
	}
	var shared, pages []string
	for _, p := range all {
		if strings.HasPrefix(path.Base(p), "_") {
			shared = append(shared, p)
		} else {
			pages = append(pages, p)
		}
	}
	base := template.New("").Funcs(fm)
	if len(shared) > 0 {
		if base, err = base.ParseFS(files, shared...); err != nil {
			return nil, err
		}
	}
	if base.Lookup("layout") == nil {
		return nil, fmt.Errorf("ui: no template defines \"layout\"")
	}

	out := make(map[string]*template.Template, len(pages))
	for _, p := range pages {
		key := strings.TrimSuffix(path.Base(p), ".html")
		t, err := base.Clone()
		if err != nil {
			return nil, err
		}
		src, err := files.ReadFile(p)
		if err != nil {
			return nil, err
		}
		if t, err = t.New(path.Base(p)).Parse(string(src)); err != nil {
			return nil, err
		}
		for _, need := range []string{"title", "content"} {
			if t.Lookup(need) == nil {
				return nil, fmt.Errorf("ui: page %s does not define %q", p, need)
			}
		}
		out[key] = t
	}
	return out, nil
}
