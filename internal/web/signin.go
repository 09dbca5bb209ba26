package web

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"image/png"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/caseward/caseward/internal/access"
	"github.com/caseward/caseward/internal/audit"
	"github.com/caseward/caseward/internal/staff"
	"github.com/pquerna/otp"
)

// badSignIn is the one message for an unknown account, a disabled account
// and a wrong password, so the form never tells whether an account exists.
const badSignIn = "The email address or password is not right"

// badCode is the one message for a wrong, reused or expired code.
const badCode = "The code is not right, or has been used. Enter the current code from your authenticator app"

// safeNext accepts only a local path to go back to after signing in.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n") {
		return "/"
	}
	return next
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

type signInPage struct {
	basePage
	Email, Next string
	EmailError  string
	Password    string
}

func (s *Server) signInForm(w http.ResponseWriter, r *http.Request) error {
	if v, err := s.viewer(r); err == nil && v.Session.SecondFactorDone {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return nil
	}
	return s.render(w, http.StatusOK, "signin", signInPage{Next: safeNext(r.URL.Query().Get("next"))})
}

func throttleMessage(wait time.Duration) string {
	mins := int(wait.Round(time.Minute) / time.Minute)
	if mins < 1 {
		return "Too many attempts. Wait a minute, then try again"
	}
	return fmt.Sprintf("Too many attempts. Wait %d minutes, then try again", mins)
}

func (s *Server) signIn(w http.ResponseWriter, r *http.Request) error {
	email := strings.TrimSpace(r.PostFormValue("email"))
	pw := r.PostFormValue("password")
	page := signInPage{Email: email, Next: safeNext(r.PostFormValue("next"))}
	u, err := s.app.Staff.CheckPassword(r.Context(), email, pw, clientIP(r))
	var te *staff.ThrottledError
	switch {
	case errors.As(err, &te):
		page.Errors = []errorItem{{"email", throttleMessage(te.Wait)}}
		page.EmailError = page.Errors[0].Message
		return s.render(w, http.StatusTooManyRequests, "signin", page)
	case errors.Is(err, staff.ErrBadCredentials):
		page.Errors = []errorItem{{"email", badSignIn}}
		page.EmailError = badSignIn
		return s.render(w, http.StatusUnauthorized, "signin", page)
	case err != nil:
		return err
	}
	token, err := s.app.Staff.StartSession(r.Context(), u.ID)
	if err != nil {
		return err
	}
	s.setSessionCookie(w, token)
	http.Redirect(w, r, "/sign-in/code?next="+url.QueryEscape(page.Next), http.StatusSeeOther)
	return nil
}

type codePage struct {
	basePage
	Next      string
	CodeError string
	// Enrolment, shown once when an account is set up in the browser.
	QR     template.URL
	Secret string
}

// pendingViewer is a session that has passed the password but not yet the
// second factor.
func (s *Server) pendingViewer(w http.ResponseWriter, r *http.Request) (*viewer, bool) {
	v, err := s.viewer(r)
	if err != nil {
		http.Redirect(w, r, "/sign-in", http.StatusSeeOther)
		return nil, false
	}
	if v.Session.SecondFactorDone {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return nil, false
	}
	return v, true
}

func (s *Server) codeForm(w http.ResponseWriter, r *http.Request) error {
	if _, ok := s.pendingViewer(w, r); !ok {
		return nil
	}
	return s.render(w, http.StatusOK, "code", codePage{Next: safeNext(r.URL.Query().Get("next"))})
}

func (s *Server) code(w http.ResponseWriter, r *http.Request) error {
	v, ok := s.pendingViewer(w, r)
	if !ok {
		return nil
	}
	page := codePage{Next: safeNext(r.PostFormValue("next"))}
	code := strings.ReplaceAll(strings.TrimSpace(r.PostFormValue("code")), " ", "")
	err := s.app.Staff.CheckTOTP(r.Context(), v.User.ID, code)
	var te *staff.ThrottledError
	switch {
	case errors.As(err, &te):
		page.CodeError = throttleMessage(te.Wait)
		page.Errors = []errorItem{{"code", page.CodeError}}
		return s.render(w, http.StatusTooManyRequests, "code", page)
	case errors.Is(err, staff.ErrBadCode):
		page.CodeError = badCode
		page.Errors = []errorItem{{"code", badCode}}
		return s.render(w, http.StatusUnauthorized, "code", page)
	case err != nil:
		return err
	}
	return s.completeSignIn(w, r, v, "totp", page.Next)
}

// completeSignIn finishes a sign-in after a second factor: the session token
// is replaced (so a token seen before sign-in is worthless), and the
// sign-in is recorded in the audit log.
func (s *Server) completeSignIn(w http.ResponseWriter, r *http.Request, v *viewer, factor, next string) error {
	token, err := s.app.Staff.CompleteSecondFactor(r.Context(), v.token)
	if err != nil {
		return err
	}
	if _, err := s.app.Gate.Audit().Record(r.Context(), audit.Entry{Actor: v.User.ID, Action: "staff.sign-in", Allowed: true, Reason: factor}); err != nil {
		_ = s.app.Staff.EndSession(r.Context(), token)
		return err
	}
	s.setSessionCookie(w, token)
	http.Redirect(w, r, safeNext(next), http.StatusSeeOther)
	return nil
}

func (s *Server) signOut(w http.ResponseWriter, r *http.Request) error {
	if c, err := r.Cookie(s.cookie); err == nil && c.Value != "" {
		if err := s.app.Staff.EndSession(r.Context(), c.Value); err != nil {
			return err
		}
	}
	s.clearSessionCookie(w)
	http.Redirect(w, r, "/sign-in", http.StatusSeeOther)
	return nil
}

func (s *Server) signOutEverywhere(w http.ResponseWriter, r *http.Request, v *viewer) error {
	if err := s.app.Staff.EndAllSessions(r.Context(), v.User.ID); err != nil {
		return err
	}
	if _, err := s.app.Gate.Audit().Record(r.Context(), audit.Entry{Actor: v.User.ID, Action: "staff.sign-out-everywhere", Allowed: true}); err != nil {
		return err
	}
	s.clearSessionCookie(w)
	http.Redirect(w, r, "/sign-in", http.StatusSeeOther)
	return nil
}

type accountPage struct {
	basePage
	Role string
}

func (s *Server) account(w http.ResponseWriter, r *http.Request, v *viewer) error {
	p := accountPage{basePage: s.base(v), Role: string(v.User.Role)}
	return s.render(w, http.StatusOK, "account", p)
}

type reauthPage struct {
	basePage
	Next                     string
	PasswordError, CodeError string
}

func (s *Server) reauthForm(w http.ResponseWriter, r *http.Request, v *viewer) error {
	return s.render(w, http.StatusOK, "reauth", reauthPage{basePage: s.base(v), Next: safeNext(r.URL.Query().Get("next"))})
}

// reauth asks again for the password and a code before a sensitive action.
func (s *Server) reauth(w http.ResponseWriter, r *http.Request, v *viewer) error {
	page := reauthPage{basePage: s.base(v), Next: safeNext(r.PostFormValue("next"))}
	_, err := s.app.Staff.CheckPassword(r.Context(), v.User.Email, r.PostFormValue("password"), clientIP(r))
	if err == nil {
		err = s.app.Staff.CheckTOTP(r.Context(), v.User.ID, strings.TrimSpace(r.PostFormValue("code")))
	}
	var te *staff.ThrottledError
	switch {
	case errors.As(err, &te):
		page.PasswordError = throttleMessage(te.Wait)
		page.Errors = []errorItem{{"password", page.PasswordError}}
		return s.render(w, http.StatusTooManyRequests, "reauth", page)
	case errors.Is(err, staff.ErrBadCredentials), errors.Is(err, staff.ErrBadCode):
		page.PasswordError = "The password or code is not right"
		page.Errors = []errorItem{{"password", page.PasswordError}}
		return s.render(w, http.StatusUnauthorized, "reauth", page)
	case err != nil:
		return err
	}
	if err := s.app.Staff.Reauthenticate(r.Context(), v.token); err != nil {
		return err
	}
	http.Redirect(w, r, page.Next, http.StatusSeeOther)
	return nil
}

type setupPage struct {
	basePage
	Token                    string
	Name, Email, Role        string
	Roles                    []access.Role
	NameError, EmailError    string
	PasswordError, RoleError string
}

func (s *Server) setupForm(w http.ResponseWriter, r *http.Request) error {
	return s.render(w, http.StatusOK, "setup", setupPage{Token: r.PathValue("token"), Roles: []access.Role{access.Sysadmin, access.DPO}, Role: string(access.Sysadmin)})
}

// setup creates the first administrator from the one-time link printed by
// serve on an empty installation, then shows their second-factor
// enrolment once.
func (s *Server) setup(w http.ResponseWriter, r *http.Request) error {
	page := setupPage{
		Token: r.PathValue("token"), Roles: []access.Role{access.Sysadmin, access.DPO},
		Name: r.PostFormValue("name"), Email: r.PostFormValue("email"), Role: r.PostFormValue("role"),
	}
	role := access.Role(page.Role)
	if role != access.Sysadmin && role != access.DPO {
		page.RoleError = "Choose system administrator or Data Protection Officer"
		page.Errors = append(page.Errors, errorItem{"role", page.RoleError})
		return s.render(w, http.StatusBadRequest, "setup", page)
	}
	u, enrol, err := s.app.Staff.CompleteSetup(r.Context(), page.Token, staff.NewUser{
		Email: page.Email, Name: page.Name, Role: role, Password: r.PostFormValue("password"),
	})
	if err != nil {
		var ve staff.ValidationErrors
		switch {
		case errors.As(err, &ve):
			for _, f := range ve {
				page.Errors = append(page.Errors, errorItem{f.Field, f.Message})
				switch f.Field {
				case "name":
					page.NameError = f.Message
				case "email":
					page.EmailError = f.Message
				case "password":
					page.PasswordError = f.Message
				}
			}
			return s.render(w, http.StatusBadRequest, "setup", page)
		case errors.Is(err, staff.ErrBadSetupLink), errors.Is(err, staff.ErrSetupDone):
			page.Errors = []errorItem{{"", "This set-up link has been used or has expired. Ask for a new one by restarting caseward serve on the empty data directory."}}
			return s.render(w, http.StatusGone, "setup", page)
		}
		return err
	}
	token, err := s.app.Staff.StartSession(r.Context(), u.ID)
	if err != nil {
		return err
	}
	s.setSessionCookie(w, token)
	qr, err := qrDataURL(enrol.URI)
	if err != nil {
		return err
	}
	return s.render(w, http.StatusOK, "code", codePage{Next: "/", QR: qr, Secret: enrol.Secret})
}

// qrDataURL draws the otpauth URI as a PNG QR code inline, so the secret
// never travels in a second request.
func qrDataURL(uri string) (template.URL, error) {
	key, err := otp.NewKeyFromURL(uri)
	if err != nil {
		return "", err
	}
	img, err := key.Image(240, 240)
	if err != nil {
		return "", err
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return "", err
	}
	return template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes())), nil
}
