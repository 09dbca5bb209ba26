package web

import (
	"bytes"
	"errors"
	"net/http"
	"net/url"

	"github.com/caseward/caseward/internal/casework"
	"github.com/caseward/caseward/internal/staff"
	"github.com/caseward/caseward/internal/store"
)

// viewer is the signed-in member of staff making a request.
type viewer struct {
	User    staff.User
	Session staff.Session
	token   string
}

type publicHandler func(w http.ResponseWriter, r *http.Request) error
type signedInHandler func(w http.ResponseWriter, r *http.Request, v *viewer) error

// public adapts a handler that needs no session. Pages that may be shown to
// a signed-in user are still never cached.
func (s *Server) public(h publicHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		noStore(w)
		if err := h(w, r); err != nil {
			s.pageError(w, r, nil, err)
		}
	})
}

// signedIn adapts a handler that needs a signed-in user who has completed
// the second factor; anyone else is sent to sign in.
func (s *Server) signedIn(h signedInHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		noStore(w)
		v, err := s.viewer(r)
		if err != nil || !v.Session.SecondFactorDone {
			if err != nil && !errors.Is(err, errNotSignedIn) && !errors.Is(err, staff.ErrNoSession) {
				s.pageError(w, r, nil, err)
				return
			}
			target := "/sign-in"
			if err == nil {
				// Password given, second factor still to come.
				target = "/sign-in/code"
			} else {
				s.clearSessionCookie(w)
			}
			if r.Method == http.MethodGet && r.URL.Path != "/" {
				// Only the path: our paths hold opaque ids, never personal data.
				target += "?next=" + url.QueryEscape(r.URL.Path)
			}
			http.Redirect(w, r, target, http.StatusSeeOther)
			return
		}
		if err := h(w, r, v); err != nil {
			s.pageError(w, r, v, err)
		}
	})
}

// viewer reads the session cookie.
func (s *Server) viewer(r *http.Request) (*viewer, error) {
	c, err := r.Cookie(s.cookie)
	if err != nil || c.Value == "" {
		return nil, errNotSignedIn
	}
	sess, u, err := s.app.Staff.Session(r.Context(), c.Value)
	if err != nil {
		return nil, err
	}
	return &viewer{User: u, Session: sess, token: c.Value}, nil
}

func (s *Server) setSessionCookie(w http.ResponseWriter, token string) {
	http.SetCookie(w, &http.Cookie{
		Name: s.cookie, Value: token, Path: "/",
		HttpOnly: true, Secure: s.opts.SecureCookies, SameSite: http.SameSiteLaxMode,
		// No Expires: the cookie ends with the browser; the server ends the
		// session after 30 idle minutes or 12 hours whatever the cookie says.
	})
}

func (s *Server) clearSessionCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{
		Name: s.cookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: s.opts.SecureCookies, SameSite: http.SameSiteLaxMode,
	})
}

// basePage is what the layout reads.
type basePage struct {
	User    *staff.User
	Errors  []errorItem
	Message string
}

type errorItem struct {
	Field   string
	Message string
}

// fieldErrors turns a validation error into the message shown next to
// each field (the first, when the domain gives a field more than one) and
// the error summary's items, each linking to the input anchor names for
// the domain's field.
func fieldErrors(ve *casework.ValidationError, b *basePage, anchor func(field string) string) map[string]string {
	m := map[string]string{}
	for _, fe := range ve.Fields {
		if _, seen := m[fe.Field]; !seen {
			m[fe.Field] = fe.Message
		}
		b.Errors = append(b.Errors, errorItem{anchor(fe.Field), fe.Message})
	}
	return m
}

func (s *Server) base(v *viewer) basePage {
	if v == nil {
		return basePage{}
	}
	u := v.User
	return basePage{User: &u}
}

// render executes a page template into a buffer first, so a template error
// never leaves half a page.
func (s *Server) render(w http.ResponseWriter, status int, name string, data any) error {
	t, ok := s.pages[name]
	if !ok {
		return errors.New("no page template " + name)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", data); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, err := buf.WriteTo(w)
	return err
}

// pageError turns an error from a handler into a page: the detail goes to
// the log (with the request id), the user sees something safe.
func (s *Server) pageError(w http.ResponseWriter, r *http.Request, v *viewer, err error) {
	ctx := r.Context()
	status, msg := http.StatusInternalServerError, ""
	switch {
	case errors.Is(err, casework.ErrNotFound):
		status = http.StatusNotFound
	case errors.Is(err, casework.ErrForbidden):
		status, msg = http.StatusForbidden, "You do not have permission to do that."
	case store.IsUnavailable(err):
		status, msg = http.StatusServiceUnavailable, "The database is not available at the moment. Nothing was saved. Try again in a minute."
	default:
		msg = "Reference " + requestID(ctx) + "."
	}
	if status >= 500 {
		s.log.ErrorContext(ctx, "request failed", "request_id", requestID(ctx), "route", r.Pattern, "error", err)
	}
	data := struct {
		basePage
	}{s.base(v)}
	data.Message = msg
	name := "error"
	if status == http.StatusNotFound {
		name = "notfound"
	}
	if rerr := s.render(w, status, name, data); rerr != nil {
		s.log.ErrorContext(ctx, "render error page", "request_id", requestID(ctx), "error", rerr)
		http.Error(w, http.StatusText(status), status)
	}
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request) error {
	v, _ := s.viewer(r)
	if v != nil && !v.Session.SecondFactorDone {
		v = nil
	}
	s.pageError(w, r, v, casework.ErrNotFound)
	return nil
}
