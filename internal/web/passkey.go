package web

import (
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/caseward/caseward/internal/audit"
	"github.com/caseward/caseward/internal/casework"
	"github.com/caseward/caseward/internal/staff"
	"github.com/caseward/caseward/internal/store"
)

// Passkeys (WebAuthn) as a second factor beside TOTP.
//
// Adding one: /account/passkeys lists the person's passkeys; passkey.js
// posts the chosen name to …/register/begin, hands the options to
// navigator.credentials.create(), and posts the answer to …/register/finish.
// The page, beginning to add one and removing one all need a recent
// password and code (Session.RecentlyAuthenticated).
//
// Signing in with one: on /sign-in/code, passkey.js asks /sign-in/passkey/begin
// for options; if the account has a passkey here it shows "Use a passkey",
// passes the options to navigator.credentials.get(), and submits the answer
// as an ordinary form to /sign-in/passkey/finish, which completes the
// sign-in exactly as the code form does (completeSignIn). Without
// JavaScript or WebAuthn nothing shows and the code form works as ever.
//
// The ceremony state lives in the database (package staff), so any
// instance behind a load balancer can finish what another began. Every
// endpoint is a POST behind the server's cross-origin protection, and
// answers no-store.

// passkeysPath is the account's passkeys page.
const passkeysPath = "/account/passkeys"

var (
	// errPasskeysUnavailable means passkeys cannot work at the address the
	// browser used: an IP address, or an Origin that is not this host.
	errPasskeysUnavailable = errors.New("passkeys unavailable at this address")
	// errNeedsReauth means the action needs a recent password and code.
	errNeedsReauth = errors.New("recent authentication needed")
)

// unavailableHere is what the page says when passkeys cannot work at the
// address the browser used.
const unavailableHere = "Passkeys work only when Caseward is reached by its name (such as caseward.example.org or localhost), not by an IP address."

// badPasskeyMessage is the one message for a passkey that did not sign in.
const badPasskeyMessage = "The passkey was not accepted. Try again, or enter the code from your authenticator app"

// relyingParty returns the site passkeys are made for and used at: the
// host the browser asked for, without its port, and the origin the browser
// reports (Origin is sent with every POST; a client that sends none gets
// the scheme this server serves).
func (s *Server) relyingParty(r *http.Request) (staff.RelyingParty, error) {
	host := strings.ToLower(r.Host)
	name := host
	if h, _, err := net.SplitHostPort(host); err == nil {
		name = h
	}
	if name == "" || net.ParseIP(strings.Trim(name, "[]")) != nil {
		return staff.RelyingParty{}, errPasskeysUnavailable
	}
	origin := r.Header.Get("Origin")
	if origin == "" {
		scheme := "http"
		if r.TLS != nil || s.opts.SecureCookies {
			scheme = "https"
		}
		origin = scheme + "://" + host
	}
	u, err := url.Parse(origin)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || !strings.EqualFold(u.Host, host) {
		return staff.RelyingParty{}, errPasskeysUnavailable
	}
	return staff.RelyingParty{ID: name, Origin: u.Scheme + "://" + strings.ToLower(u.Host)}, nil
}

// recentlyAuthenticated reports whether v entered their password and code
// within the last few minutes, as managing passkeys requires.
func (s *Server) recentlyAuthenticated(v *viewer) bool {
	return v.Session.RecentlyAuthenticated(s.now())
}

// toReauthenticate sends the person to confirm it is them, then back to
// the passkeys page.
func toReauthenticate(w http.ResponseWriter, r *http.Request) {
	http.Redirect(w, r, "/reauthenticate?next="+url.QueryEscape(passkeysPath), http.StatusSeeOther)
}

type passkeyHandler func(w http.ResponseWriter, r *http.Request, v *viewer) error

// passkeyAccountJSON adapts a JSON endpoint of the passkeys page: signed in
// past the second factor, JSON errors.
func (s *Server) passkeyAccountJSON(h passkeyHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		noStore(w)
		v, err := s.viewer(r)
		switch {
		case err != nil:
		case !v.Session.SecondFactorDone:
			err = staff.ErrNoSession
		default:
			err = h(w, r, v)
		}
		if err != nil {
			s.passkeyJSONError(w, r, err)
		}
	})
}

// passkeySignInJSON adapts a JSON endpoint of the code page: a session that
// has passed the password and awaits its second factor, JSON errors.
func (s *Server) passkeySignInJSON(h passkeyHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		noStore(w)
		v, err := s.viewer(r)
		switch {
		case err != nil:
		case v.Session.SecondFactorDone:
			err = &apiError{Status: http.StatusConflict, Code: "signed_in", Message: "You are already signed in."}
		default:
			err = h(w, r, v)
		}
		if err != nil {
			s.passkeyJSONError(w, r, err)
		}
	})
}

// passkeyJSONError answers a passkey endpoint's error in the API's one
// error shape; passkey.js shows the message and acts on the code.
func (s *Server) passkeyJSONError(w http.ResponseWriter, r *http.Request, err error) {
	var (
		te *staff.ThrottledError
		ve staff.ValidationErrors
	)
	switch {
	case errors.As(err, &te):
		err = &apiError{Status: http.StatusTooManyRequests, Code: "throttled", Message: throttleMessage(te.Wait) + "."}
	case errors.As(err, &ve):
		ae := &apiError{Status: http.StatusBadRequest, Code: "invalid", Message: ve[0].Message}
		for _, f := range ve {
			ae.Fields = append(ae.Fields, casework.FieldError{Field: f.Field, Message: f.Message})
		}
		err = ae
	case errors.Is(err, errNotSignedIn), errors.Is(err, staff.ErrNoSession):
		err = &apiError{Status: http.StatusUnauthorized, Code: "signed_out", Message: "Your session has ended. Sign in again."}
	case errors.Is(err, errNeedsReauth):
		err = &apiError{Status: http.StatusForbidden, Code: "reauthenticate", Message: "Confirm it is you, then try again."}
	case errors.Is(err, errPasskeysUnavailable):
		err = &apiError{Status: http.StatusConflict, Code: "unavailable", Message: unavailableHere}
	case errors.Is(err, staff.ErrNoCeremony):
		err = &apiError{Status: http.StatusConflict, Code: "expired", Message: "The request to your passkey expired or was already used. Try again."}
	case errors.Is(err, staff.ErrBadPasskey):
		s.log.InfoContext(r.Context(), "passkey refused", "request_id", requestID(r.Context()), "route", r.Pattern, "reason", err.Error())
		err = &apiError{Status: http.StatusBadRequest, Code: "refused", Message: "The passkey could not be added. Try again."}
	case errors.Is(err, store.ErrNotFound):
		err = &apiError{Status: http.StatusNotFound, Code: "no_passkeys", Message: "You have no passkey for this site."}
	}
	s.apiError(w, r, err)
}

type passkeysPage struct {
	basePage
	Passkeys       []staff.Passkey
	Added, Removed bool
	// Unavailable says why passkeys cannot be added here; empty when they can.
	Unavailable string
}

// passkeys shows the account's passkeys, a button to add one and, for
// each, one to remove it.
func (s *Server) passkeys(w http.ResponseWriter, r *http.Request, v *viewer) error {
	if !s.recentlyAuthenticated(v) {
		toReauthenticate(w, r)
		return nil
	}
	list, err := s.app.Staff.Passkeys(r.Context(), v.User.ID)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	p := passkeysPage{basePage: s.base(v), Passkeys: list, Added: q.Has("added"), Removed: q.Has("removed")}
	if _, err := s.relyingParty(r); err != nil {
		p.Unavailable = unavailableHere
	}
	return s.render(w, http.StatusOK, "passkeys", p)
}

// beginPasskeyRegistration takes {"name": "…"} and answers the options for
// navigator.credentials.create(). It needs a recent password and code;
// finishing does not ask again, so that the minutes spent at the
// authenticator do not leave it holding a passkey Caseward refused: the
// ceremony it finishes is this session's, used once, and lasts
// staff.CeremonyTimeout.
func (s *Server) beginPasskeyRegistration(w http.ResponseWriter, r *http.Request, v *viewer) error {
	if !s.recentlyAuthenticated(v) {
		return errNeedsReauth
	}
	var in struct {
		Name string `json:"name"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	rp, err := s.relyingParty(r)
	if err != nil {
		return err
	}
	options, err := s.app.Staff.BeginPasskeyRegistration(r.Context(), v.token, rp, in.Name)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, options)
	return nil
}

// finishPasskeyRegistration takes {"credential": PublicKeyCredential} and,
// if the passkey is accepted, stores it and says where to go next.
func (s *Server) finishPasskeyRegistration(w http.ResponseWriter, r *http.Request, v *viewer) error {
	var in struct {
		Credential json.RawMessage `json:"credential"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	p, err := s.app.Staff.FinishPasskeyRegistration(r.Context(), v.token, in.Credential)
	if err != nil {
		return err
	}
	if _, err := s.app.Gate.Audit().Record(r.Context(), audit.Entry{Actor: v.User.ID, Action: "staff.passkey-add", RecordIDs: []string{p.ID}, Allowed: true}); err != nil {
		// Fail closed: a second factor nobody can trace is not kept.
		_ = s.app.Staff.RemovePasskey(r.Context(), v.User.ID, p.ID)
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]string{"redirect": passkeysPath + "?added=1"})
	return nil
}

// removePasskey removes one of the account's passkeys (a form post).
func (s *Server) removePasskey(w http.ResponseWriter, r *http.Request, v *viewer) error {
	if !s.recentlyAuthenticated(v) {
		toReauthenticate(w, r)
		return nil
	}
	id := r.PathValue("id")
	if err := s.app.Staff.RemovePasskey(r.Context(), v.User.ID, id); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return casework.ErrNotFound
		}
		return err
	}
	if _, err := s.app.Gate.Audit().Record(r.Context(), audit.Entry{Actor: v.User.ID, Action: "staff.passkey-remove", RecordIDs: []string{id}, Allowed: true}); err != nil {
		return err
	}
	http.Redirect(w, r, passkeysPath+"?removed=1", http.StatusSeeOther)
	return nil
}

// beginPasskeySignIn answers the options for navigator.credentials.get(),
// or 404 if the account has no passkey here.
func (s *Server) beginPasskeySignIn(w http.ResponseWriter, r *http.Request, v *viewer) error {
	rp, err := s.relyingParty(r)
	if err != nil {
		return err
	}
	options, err := s.app.Staff.BeginPasskeySignIn(r.Context(), v.token, rp)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, options)
	return nil
}

// finishPasskeySignIn takes the form passkey.js submits (credential: the
// PublicKeyCredential as JSON; next) and completes the sign-in as the code
// form does, or shows the code page again with the problem.
func (s *Server) finishPasskeySignIn(w http.ResponseWriter, r *http.Request) error {
	v, ok := s.pendingViewer(w, r)
	if !ok {
		return nil
	}
	page := codePage{Next: safeNext(r.PostFormValue("next"))}
	err := s.app.Staff.CheckPasskey(r.Context(), v.token, []byte(r.PostFormValue("credential")))
	var te *staff.ThrottledError
	switch {
	case errors.As(err, &te):
		page.Errors = []errorItem{{"passkey-signin", throttleMessage(te.Wait)}}
		return s.render(w, http.StatusTooManyRequests, "code", page)
	case errors.Is(err, staff.ErrBadPasskey), errors.Is(err, staff.ErrNoCeremony):
		if errors.Is(err, staff.ErrPasskeyCloned) {
			s.log.WarnContext(r.Context(), "passkey refused: possible cloned authenticator", "request_id", requestID(r.Context()), "session", v.Session.ID)
		} else {
			s.log.InfoContext(r.Context(), "passkey refused", "request_id", requestID(r.Context()), "route", r.Pattern, "reason", err.Error())
		}
		page.Errors = []errorItem{{"passkey-signin", badPasskeyMessage}}
		return s.render(w, http.StatusUnauthorized, "code", page)
	case errors.Is(err, staff.ErrNoSession):
		s.clearSessionCookie(w)
		http.Redirect(w, r, "/sign-in", http.StatusSeeOther)
		return nil
	case err != nil:
		return err
	}
	return s.completeSignIn(w, r, v, "passkey", page.Next)
}
