package web

import (
	"net/http"

	"github.com/caseward/caseward/internal/web/ui"
)

// routes lists every route of Caseward in one place.
func (s *Server) routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.HandleFunc("GET /readyz", s.readyz)
	mux.Handle("GET /static/", ui.Static())

	// Signing in.
	mux.Handle("GET /sign-in", s.public(s.signInForm))
	mux.Handle("POST /sign-in", s.public(s.signIn))
	mux.Handle("GET /sign-in/code", s.public(s.codeForm))
	mux.Handle("POST /sign-in/code", s.public(s.code))
	mux.Handle("POST /sign-out", s.public(s.signOut))
	mux.Handle("GET /setup/{token}", s.public(s.setupForm))
	mux.Handle("POST /setup/{token}", s.public(s.setup))

	// Signed in.
	mux.Handle("GET /{$}", s.signedIn(s.home))
	mux.Handle("GET /account", s.signedIn(s.account))
	mux.Handle("POST /account/sign-out-everywhere", s.signedIn(s.signOutEverywhere))
	mux.Handle("GET /reauthenticate", s.signedIn(s.reauthForm))
	mux.Handle("POST /reauthenticate", s.signedIn(s.reauth))
	mux.Handle("GET /clients/new", s.signedIn(s.newClientForm))
	mux.Handle("POST /clients", s.signedIn(s.createClient))
	mux.Handle("GET /clients/{id}", s.signedIn(s.viewClient))
	mux.Handle("GET /clients/{id}/edit", s.signedIn(s.editClientForm))
	mux.Handle("POST /clients/{id}", s.signedIn(s.updateClient))

	// Passkeys (WebAuthn) as a second factor beside TOTP (passkey.go). The
	// JSON endpoints are POSTs from passkey.js, behind the same cross-origin
	// protection as every form; every answer is no-store. The passkeys page,
	// adding (begin) and removing need a recent password and code.
	mux.Handle("GET /account/passkeys", s.signedIn(s.passkeys))
	mux.Handle("POST /account/passkeys/register/begin", s.passkeyAccountJSON(s.beginPasskeyRegistration))
	mux.Handle("POST /account/passkeys/register/finish", s.passkeyAccountJSON(s.finishPasskeyRegistration))
	mux.Handle("POST /account/passkeys/{id}/remove", s.signedIn(s.removePasskey))
	mux.Handle("POST /sign-in/passkey/begin", s.passkeySignInJSON(s.beginPasskeySignIn))
	mux.Handle("POST /sign-in/passkey/finish", s.public(s.finishPasskeySignIn))

	// Issue 4 areas: each block is owned by one file of handlers.
	// [routes: client record details, safe contact, flags] (client_record.go)
	// [routes: cases and caseloads] (cases.go)
	// [routes: contact notes and letters] (notes.go)
	// [routes: appointments and client comments] (appointments.go)
	// [routes: plans, agreements and documents] (plans.go)
	// [routes: search and intake] (search.go)

	// JSON API for integrations, described by the OpenAPI document.
	mux.HandleFunc("GET /api/v1/openapi.json", s.openAPI)
	mux.Handle("POST /api/v1/clients", s.api(s.apiCreateClient))
	mux.Handle("GET /api/v1/clients/{id}", s.api(s.apiGetClient))
	// [api: client record details] [api: cases] [api: notes] [api: appointments] [api: plans] [api: search]
	mux.Handle("/api/", s.api(s.apiNotFound))

	mux.Handle("/", s.public(s.notFound))
}
