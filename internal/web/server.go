// Package web serves Caseward's pages (server-rendered HTML that works
// without JavaScript) and its JSON API. Handlers hold no business rules:
// they call the domain and render what it answers.
package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/caseward/caseward/internal/app"
	"github.com/caseward/caseward/internal/web/ui"
)

// Options configures the server.
type Options struct {
	Logger *slog.Logger
	// SecureCookies marks the session cookie Secure. It is on unless the
	// server listens on a loopback address.
	SecureCookies bool
	// HSTS sends Strict-Transport-Security (when serving TLS).
	HSTS bool
	// Demo marks every page as showing the fictitious demo organisation.
	Demo bool
}

// Server is the HTTP side of Caseward.
type Server struct {
	app    *app.App
	log    *slog.Logger
	pages  map[string]*template.Template
	opts   Options
	now    func() time.Time
	cookie string
}

// New returns the whole HTTP handler: pages, API, assets and health checks.
func New(a *app.App, opts Options) (http.Handler, error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	pages, err := ui.Pages(template.FuncMap{
		"date":           func(t time.Time) string { return t.Format("2 January 2006") },
		"input":          input,
		"dateInput":      dateInput,
		"textArea":       textArea,
		"selectInput":    selectInput,
		"radios":         radios,
		"demo":           func() bool { return opts.Demo },
		"clientSections": func() []clientSection { return clientSections },
		"nav":            func(clientID, section string) clientNav { return clientNav{clientID, section} },
		"purposeForm":    func(action, button string) purposeForm { return purposeForm{action, button} },
	})
	if err != nil {
		return nil, fmt.Errorf("parse templates: %w", err)
	}
	s := &Server{app: a, log: opts.Logger, pages: pages, opts: opts, now: a.Now, cookie: "caseward_session"}
	if opts.SecureCookies {
		// The __Host- prefix makes the browser refuse the cookie unless it is
		// Secure, host-only and for the whole site.
		s.cookie = "__Host-caseward_session"
	}
	mux := http.NewServeMux()
	s.routes(mux)
	return s.middleware(mux), nil
}

// clientSection is one section of a client's record, in the record's
// navigation ({{template "clientnav" (nav .ClientID "Notes")}}).
type clientSection struct{ Name, Path string }

var clientSections = []clientSection{
	{"Record", ""},
	{"Cases", "/cases"},
	{"Notes", "/notes"},
	{"Appointments", "/appointments"},
	{"Plans and agreements", "/plans"},
	{"Documents", "/documents"},
	{"Comments and concerns", "/comments"},
}

type clientNav struct{ ClientID, Section string }

// purposeForm is the data of the "purposeform" partial.
type purposeForm struct{ Action, Button string }

// input builds the data of the "field" partial from a template:
// (input id name label value error "type=password" "autocomplete=username" …).
func input(id, name, label, value, errMsg string, opts ...string) (ui.Field, error) {
	f := ui.Field{ID: id, Name: name, Label: label, Value: value, Error: errMsg}
	for _, o := range opts {
		k, v, _ := strings.Cut(o, "=")
		switch k {
		case "type":
			f.Type = v
		case "autocomplete":
			f.Autocomplete = v
		case "hint":
			f.Hint = v
		case "inputmode":
			f.Inputmode = v
		case "width":
			f.Width = v
		case "spellcheck":
			f.Spellcheck = v == "true"
		default:
			return f, fmt.Errorf("input: unknown option %q", k)
		}
	}
	return f, nil
}

// IsLoopback reports whether addr (host:port) listens only on this machine.
func IsLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

type ctxKey int

const requestIDKey ctxKey = iota

func requestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey).(string)
	return id
}

// statusWriter records the status and size for the request log.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += n
	return n, err
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// contentSecurityPolicy allows nothing from anywhere but this server, and no
// inline script or style (P55).
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; manifest-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// middleware wraps every request: a request id, one log line, security
// headers, recovery from panics, and cross-origin protection for every
// state-changing request.
func (s *Server) middleware(next http.Handler) http.Handler {
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.log.WarnContext(r.Context(), "cross-origin request refused", "request_id", requestID(r.Context()), "method", r.Method)
		http.Error(w, "Cross-origin request refused.", http.StatusForbidden)
	}))
	protected := cop.Handler(next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		var b [8]byte
		_, _ = rand.Read(b[:])
		id := hex.EncodeToString(b[:])
		ctx := context.WithValue(r.Context(), requestIDKey, id)
		r = r.WithContext(ctx)

		h := w.Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()")
		h.Set("X-Request-Id", id)
		if s.opts.HSTS {
			h.Set("Strict-Transport-Security", "max-age=63072000")
		}
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			if p := recover(); p != nil {
				s.log.ErrorContext(ctx, "panic", "request_id", id, "panic", fmt.Sprint(p))
				if sw.status == 0 {
					http.Error(sw, "Internal error", http.StatusInternalServerError)
				}
			}
			// The route pattern, never the path: paths hold ids and tokens.
			route := r.Pattern
			if route == "" {
				route = "(unmatched)"
			}
			s.log.InfoContext(ctx, "request", "request_id", id, "method", r.Method, "route", route,
				"status", sw.status, "bytes", sw.bytes, "duration_ms", float64(time.Since(start).Microseconds())/1000)
		}()
		protected.ServeHTTP(sw, r)
	})
}

// noStore marks a response as not to be kept by any cache: every page of
// a signed-in user, every API answer.
func noStore(w http.ResponseWriter) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte("ok\n"))
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if err := s.app.DB.Ping(ctx); err != nil {
		s.log.ErrorContext(ctx, "readiness check failed", "request_id", requestID(ctx), "error", err)
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte("database unavailable\n"))
		return
	}
	_, _ = w.Write([]byte("ready\n"))
}

var errNotSignedIn = errors.New("not signed in")
