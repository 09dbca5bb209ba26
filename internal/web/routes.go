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
	// Client record details, safe contact, flags (client_record.go): one
	// edit form per part of the record; the organisation's lists.
	mux.Handle("GET /clients/{id}/edit/{part}", s.signedIn(s.editRecordPart))
	mux.Handle("POST /clients/{id}/edit/{part}", s.signedIn(s.saveRecordPart))
	mux.Handle("GET /settings/lists", s.signedIn(s.settingsLists))
	mux.Handle("POST /settings/lists/{list}", s.signedIn(s.addListItem))
	mux.Handle("POST /settings/lists/items/{item}", s.signedIn(s.changeListItem))
	// Cases and caseloads (cases.go): a client's cases, the caseload home
	// page (GET /, above), a manager's team and moving a leaver's caseload.
	mux.Handle("GET /clients/{id}/cases", s.signedIn(s.clientCases))
	mux.Handle("GET /clients/{id}/cases/new", s.signedIn(s.newCaseForm))
	mux.Handle("POST /clients/{id}/cases", s.signedIn(s.openCase))
	mux.Handle("GET /clients/{id}/cases/{case}", s.signedIn(s.viewCase))
	mux.Handle("GET /clients/{id}/cases/{case}/status", s.signedIn(s.caseStatusForm))
	mux.Handle("POST /clients/{id}/cases/{case}/status", s.signedIn(s.setCaseStatus))
	mux.Handle("GET /clients/{id}/cases/{case}/handover", s.signedIn(s.caseHandOverForm))
	mux.Handle("POST /clients/{id}/cases/{case}/handover", s.signedIn(s.handOverCase))
	mux.Handle("GET /caseloads", s.signedIn(s.teamCaseloads))
	mux.Handle("GET /staff/{id}/caseload/move", s.signedIn(s.moveCaseloadForm))
	mux.Handle("POST /staff/{id}/caseload/move", s.signedIn(s.moveCaseload))
	// Contact notes and letters (notes.go): a client's notes, a note with
	// its versions, writing and correcting (a new version, never a silent
	// change), agreed actions done; copies of letters and e-mails sent; the
	// viewer's overdue notes and actions; a service's setting for its
	// sessional and clinical notes.
	mux.Handle("GET /clients/{id}/notes", s.signedIn(s.clientNotes))
	mux.Handle("GET /clients/{id}/notes/new", s.signedIn(s.newNoteForm))
	mux.Handle("POST /clients/{id}/notes", s.signedIn(s.addNote))
	mux.Handle("GET /clients/{id}/notes/{note}", s.signedIn(s.viewNote))
	mux.Handle("GET /clients/{id}/notes/{note}/correct", s.signedIn(s.correctNoteForm))
	mux.Handle("POST /clients/{id}/notes/{note}/corrections", s.signedIn(s.correctNote))
	mux.Handle("POST /clients/{id}/actions/{action}/done", s.signedIn(s.completeAction))
	mux.Handle("GET /clients/{id}/letters", s.signedIn(s.clientLetters))
	mux.Handle("GET /clients/{id}/letters/new", s.signedIn(s.newLetterForm))
	mux.Handle("POST /clients/{id}/letters", s.signedIn(s.recordLetter))
	mux.Handle("GET /clients/{id}/letters/{letter}", s.signedIn(s.viewLetter))
	mux.Handle("GET /notes/overdue", s.signedIn(s.overdueNotes))
	mux.Handle("GET /services/{id}/clinical-notes", s.signedIn(s.clinicalNotesSetting))
	mux.Handle("POST /services/{id}/clinical-notes", s.signedIn(s.setClinicalNotesSetting))
	// Appointments and client comments (appointments.go, comments.go).
	mux.Handle("GET /appointments/week", s.signedIn(s.week))
	mux.Handle("GET /clients/{id}/appointments", s.signedIn(s.clientAppointments))
	mux.Handle("GET /clients/{id}/appointments/new", s.signedIn(s.newAppointmentForm))
	mux.Handle("POST /clients/{id}/appointments", s.signedIn(s.bookAppointment))
	mux.Handle("GET /clients/{id}/appointments/{aid}", s.signedIn(s.viewAppointment))
	mux.Handle("POST /clients/{id}/appointments/{aid}/move", s.signedIn(s.moveAppointment))
	mux.Handle("POST /clients/{id}/appointments/{aid}/cancel", s.signedIn(s.cancelAppointment))
	mux.Handle("POST /clients/{id}/appointments/{aid}/attendance", s.signedIn(s.recordAttendance))
	mux.Handle("GET /comments", s.signedIn(s.trackComments))
	mux.Handle("GET /clients/{id}/comments", s.signedIn(s.clientComments))
	mux.Handle("GET /clients/{id}/comments/new", s.signedIn(s.newCommentForm))
	mux.Handle("POST /clients/{id}/comments", s.signedIn(s.recordComment))
	mux.Handle("GET /clients/{id}/comments/{cid}", s.signedIn(s.viewComment))
	mux.Handle("POST /clients/{id}/comments/{cid}/answer", s.signedIn(s.answerComment))
	mux.Handle("POST /clients/{id}/comments/{cid}/close", s.signedIn(s.closeComment))
	mux.Handle("POST /clients/{id}/comments/{cid}/owner", s.signedIn(s.setCommentOwner))
	// Plans, agreements and documents (plans.go, documents.go).
	mux.Handle("GET /clients/{id}/plans", s.signedIn(s.plans))
	mux.Handle("GET /clients/{id}/plans/new", s.signedIn(s.newPlanForm))
	mux.Handle("POST /clients/{id}/plans", s.signedIn(s.createPlan))
	mux.Handle("GET /clients/{id}/plans/{plan}", s.signedIn(s.viewPlan))
	mux.Handle("GET /clients/{id}/plans/{plan}/edit", s.signedIn(s.editPlanForm))
	mux.Handle("POST /clients/{id}/plans/{plan}", s.signedIn(s.updatePlan))
	mux.Handle("GET /clients/{id}/plans/{plan}/agreement", s.signedIn(s.planAgreementForm))
	mux.Handle("POST /clients/{id}/plans/{plan}/agreement", s.signedIn(s.recordPlanAgreement))
	mux.Handle("GET /clients/{id}/plans/{plan}/copy.pdf", s.signedIn(s.planCopy))
	mux.Handle("GET /clients/{id}/agreements/new", s.signedIn(s.signAgreementForm))
	mux.Handle("POST /clients/{id}/agreements", s.signedIn(s.signAgreement))
	mux.Handle("GET /clients/{id}/agreements/{agreement}", s.signedIn(s.viewAgreement))
	mux.Handle("GET /agreement-texts", s.signedIn(s.agreementTexts))
	mux.Handle("POST /agreement-texts", s.signedIn(s.addAgreementText))
	mux.Handle("GET /clients/{id}/documents", s.signedIn(s.documents))
	mux.Handle("POST /clients/{id}/documents", s.signedIn(s.uploadDocument))
	mux.Handle("GET /clients/{id}/documents/{doc}/file", s.signedIn(s.downloadDocument))
	// Search and intake (search.go): finding a client within reach, and
	// adding one only after a look-up, within reach and across the
	// organisation (the intake check, P23). Names travel in POST bodies
	// only, never in URLs; POST /clients/new is the new-client form with
	// the names typed at the look-up filled in.
	mux.Handle("GET /search", s.signedIn(s.searchPage))
	mux.Handle("POST /search", s.signedIn(s.search))
	mux.Handle("GET /clients/find", s.signedIn(s.findBeforeAddForm))
	mux.Handle("POST /clients/find", s.signedIn(s.findBeforeAdd))
	mux.Handle("POST /clients/new", s.signedIn(s.newClientFromLookup))

	// JSON API for integrations, described by the OpenAPI document.
	mux.HandleFunc("GET /api/v1/openapi.json", s.openAPI)
	mux.Handle("POST /api/v1/clients", s.api(s.apiCreateClient))
	mux.Handle("GET /api/v1/clients/{id}", s.api(s.apiGetClient))
	// API: client record details (api.go): change parts of a record with
	// the version read (409 on a conflict); the organisation's lists.
	mux.Handle("PATCH /api/v1/clients/{id}", s.api(s.apiUpdateClient))
	mux.Handle("GET /api/v1/lists", s.api(s.apiLists))
	// API: search and the intake check (search.go), POST so names stay
	// out of URLs.
	mux.Handle("POST /api/v1/clients/search", s.api(s.apiSearch))
	mux.Handle("POST /api/v1/intake-checks", s.api(s.apiIntakeCheck))
	// Plans, agreements and documents.
	mux.Handle("GET /api/v1/clients/{id}/plans", s.api(s.apiPlans))
	mux.Handle("POST /api/v1/clients/{id}/plans", s.api(s.apiCreatePlan))
	mux.Handle("GET /api/v1/clients/{id}/plans/{plan}", s.api(s.apiGetPlan))
	mux.Handle("PUT /api/v1/clients/{id}/plans/{plan}", s.api(s.apiUpdatePlan))
	mux.Handle("POST /api/v1/clients/{id}/plans/{plan}/agreements", s.api(s.apiRecordPlanAgreement))
	mux.Handle("GET /api/v1/clients/{id}/plans/{plan}/copy.pdf", s.api(s.apiPlanCopy))
	mux.Handle("GET /api/v1/agreement-texts", s.api(s.apiAgreementTexts))
	mux.Handle("POST /api/v1/agreement-texts", s.api(s.apiAddAgreementText))
	mux.Handle("POST /api/v1/clients/{id}/agreements", s.api(s.apiSignAgreement))
	mux.Handle("GET /api/v1/clients/{id}/agreements/{agreement}", s.api(s.apiGetAgreement))
	mux.Handle("GET /api/v1/clients/{id}/documents", s.api(s.apiDocuments))
	mux.Handle("POST /api/v1/clients/{id}/documents", s.api(s.apiUploadDocument))
	mux.Handle("GET /api/v1/clients/{id}/documents/{doc}/file", s.api(s.apiDownloadDocument))
	// API: contact notes and letters (notes.go).
	mux.Handle("GET /api/v1/clients/{id}/notes", s.api(s.apiNotes))
	mux.Handle("POST /api/v1/clients/{id}/notes", s.api(apiCreate("notes", s.app.Casework.AddNote)))
	mux.Handle("GET /api/v1/clients/{id}/notes/{note}", s.api(s.apiGetNote))
	mux.Handle("POST /api/v1/clients/{id}/notes/{note}/corrections", s.api(s.apiCorrectNote))
	mux.Handle("POST /api/v1/clients/{id}/actions/{action}/done", s.api(s.apiCompleteAction))
	mux.Handle("GET /api/v1/clients/{id}/letters", s.api(s.apiLetters))
	mux.Handle("POST /api/v1/clients/{id}/letters", s.api(apiCreate("letters", s.app.Casework.RecordLetter)))
	mux.Handle("GET /api/v1/clients/{id}/letters/{letter}", s.api(s.apiGetLetter))
	mux.Handle("GET /api/v1/notes/overdue", s.api(s.apiOverdueNotes))
	mux.Handle("GET /api/v1/services/{id}/clinical-notes", s.api(s.apiClinicalReaders))
	mux.Handle("PUT /api/v1/services/{id}/clinical-notes", s.api(s.apiSetClinicalReaders))
	// API: appointments and client comments (appointments.go, comments.go).
	mux.Handle("GET /api/v1/appointments/week", s.api(s.apiWeek))
	mux.Handle("GET /api/v1/clients/{id}/appointments", s.api(s.apiAppointments))
	mux.Handle("POST /api/v1/clients/{id}/appointments", s.api(apiCreate("appointments", s.app.Casework.BookAppointment)))
	mux.Handle("GET /api/v1/clients/{id}/appointments/{aid}", s.api(s.apiGetAppointment))
	mux.Handle("POST /api/v1/clients/{id}/appointments/{aid}/move", s.api(apiChange("aid", s.app.Casework.MoveAppointment, s.apiGetAppointment)))
	mux.Handle("POST /api/v1/clients/{id}/appointments/{aid}/cancel", s.api(apiChange("aid", s.app.Casework.CancelAppointment, s.apiGetAppointment)))
	mux.Handle("POST /api/v1/clients/{id}/appointments/{aid}/attendance", s.api(apiChange("aid", s.app.Casework.RecordAttendance, s.apiGetAppointment)))
	mux.Handle("GET /api/v1/comments", s.api(s.apiTrackComments))
	mux.Handle("GET /api/v1/clients/{id}/comments", s.api(s.apiClientComments))
	mux.Handle("POST /api/v1/clients/{id}/comments", s.api(apiCreate("comments", s.app.Casework.RecordComment)))
	mux.Handle("GET /api/v1/clients/{id}/comments/{cid}", s.api(s.apiGetComment))
	mux.Handle("POST /api/v1/clients/{id}/comments/{cid}/answer", s.api(apiChange("cid", s.app.Casework.AnswerComment, s.apiGetComment)))
	mux.Handle("POST /api/v1/clients/{id}/comments/{cid}/close", s.api(apiChange("cid", s.apiCloseComment, s.apiGetComment)))
	mux.Handle("POST /api/v1/clients/{id}/comments/{cid}/owner", s.api(apiChange("cid", s.app.Casework.SetCommentOwner, s.apiGetComment)))
	// API: cases and caseloads (cases.go).
	mux.Handle("GET /api/v1/caseload", s.api(s.apiCaseload))
	mux.Handle("GET /api/v1/clients/{id}/cases", s.api(s.apiListCases))
	mux.Handle("POST /api/v1/clients/{id}/cases", s.api(apiCreate("cases", s.app.Casework.OpenCase)))
	mux.Handle("GET /api/v1/clients/{id}/cases/{case}", s.api(s.apiGetCase))
	mux.Handle("POST /api/v1/clients/{id}/cases/{case}/status", s.api(apiChange("case", s.app.Casework.SetCaseStatus, s.apiGetCase)))
	mux.Handle("POST /api/v1/clients/{id}/cases/{case}/handover", s.api(apiChange("case", s.app.Casework.HandOver, s.apiGetCase)))
	mux.Handle("POST /api/v1/staff/{id}/caseload/move", s.api(s.apiMoveCaseload))
	mux.Handle("/api/", s.api(s.apiNotFound))

	mux.Handle("/", s.public(s.notFound))
}
