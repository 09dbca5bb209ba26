package casework

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/caseward/caseward/internal/access"
	"github.com/caseward/caseward/internal/audit"
	"github.com/caseward/caseward/internal/gate"
	"github.com/caseward/caseward/internal/store"

	_ "time/tzdata" // the UK's time zone, whatever the host has installed
)

// Contact notes (P02): a note after every contact, never silently changed
// (P41: a correction adds a version, with its reason), sessional and
// clinical notes seen only by their author, the service's managers and who
// the service allows (P13).
//
// Sealed fields and what they are bound to:
//
//	note_versions.body    ("note_versions", "body", version id)   who was there, discussed, support, expectations
//	note_versions.reason  ("note_versions", "reason", version id) why a version corrects the one before
//	note_actions.what     ("note_actions", "what", action id)
//	note_actions.other_name ("note_actions", "other_name", action id)

// NoteKind says what a note is. Sessional and clinical notes are
// restricted (P13).
type NoteKind string

// The kinds of note.
const (
	ContactNote   NoteKind = "contact"   // the record of a contact (001 4.6)
	SessionalNote NoteKind = "sessional" // follows the course of the work (002)
	ClinicalNote  NoteKind = "clinical"  // themes, risk and safeguarding concerns (002)
)

// NoteKinds lists the kinds, in the order forms offer them.
var NoteKinds = []NoteKind{ContactNote, SessionalNote, ClinicalNote}

// Valid reports whether k is one of NoteKinds.
func (k NoteKind) Valid() bool { return k == ContactNote || k == SessionalNote || k == ClinicalNote }

// Restricted reports whether notes of this kind are seen only by their
// author, the service's managers and who the service allows.
func (k NoteKind) Restricted() bool { return k == SessionalNote || k == ClinicalNote }

// Label is the kind in words.
func (k NoteKind) Label() string {
	switch k {
	case ContactNote:
		return "Contact note"
	case SessionalNote:
		return "Sessional note"
	case ClinicalNote:
		return "Clinical note"
	}
	return string(k)
}

// ContactMethod is how a contact happened.
type ContactMethod string

// The ways a contact happens.
const (
	MethodFaceToFace   ContactMethod = "face-to-face"
	MethodPhone        ContactMethod = "phone"
	MethodVideo        ContactMethod = "video"
	MethodEmail        ContactMethod = "email"
	MethodLetter       ContactMethod = "letter"
	MethodText         ContactMethod = "text"
	MethodDidNotAttend ContactMethod = "dna" // the client did not come
)

// ContactMethods lists the methods, in the order forms offer them.
var ContactMethods = []ContactMethod{MethodFaceToFace, MethodPhone, MethodVideo, MethodEmail, MethodLetter, MethodText, MethodDidNotAttend}

// Valid reports whether m is one of ContactMethods.
func (m ContactMethod) Valid() bool {
	for _, c := range ContactMethods {
		if m == c {
			return true
		}
	}
	return false
}

// Label is the method in words.
func (m ContactMethod) Label() string {
	switch m {
	case MethodFaceToFace:
		return "Face to face"
	case MethodPhone:
		return "Phone"
	case MethodVideo:
		return "Video call"
	case MethodEmail:
		return "E-mail"
	case MethodLetter:
		return "Letter"
	case MethodText:
		return "Text message"
	case MethodDidNotAttend:
		return "Did not attend"
	}
	return string(m)
}

// ukZone is where the organisation's days begin and end: working days,
// due dates and the times typed into forms are UK ones.
var ukZone = func() *time.Location {
	l, err := time.LoadLocation("Europe/London")
	if err != nil {
		panic(err) // time/tzdata is linked in: cannot happen
	}
	return l
}()

// UKTime returns t on the UK's clock (GMT or BST), as forms show it.
func UKTime(t time.Time) time.Time { return t.In(ukZone) }

// Limits on what a note holds, in characters.
const (
	MaxNoteText     = 20000 // what was discussed, support needed, expectations
	MaxNotePresent  = 1000  // who was there
	MaxNoteReason   = 2000  // why a note was corrected
	MaxNoteActions  = 20    // agreed actions added at once
	NotesPerPage    = 50    // notes on one page of the list
	noteFutureGrace = 5 * time.Minute
)

// NoteTimeLayout is how a contact's time may travel without a zone: UK
// time, to the minute (what a form's boxes make). RFC 3339 is accepted too.
const NoteTimeLayout = "2006-01-02T15:04"

// NoteText is what every version of a note holds: when and how the
// contact happened, and what it was about.
type NoteText struct {
	Kind         string `json:"kind"`
	Method       string `json:"method"`
	ContactAt    string `json:"contact_at"` // RFC 3339, or YYYY-MM-DDTHH:MM in UK time
	Present      string `json:"present"`
	Discussed    string `json:"discussed"`
	Support      string `json:"support"`
	Expectations string `json:"expectations"`
}

// NoteInput is a new note as typed into the form or sent to the API.
type NoteInput struct {
	// Service is the service the contact was in; it may be left out when
	// the writer and the client share only one, or when Case is given.
	Service string `json:"service"`
	// Case is the case the note belongs to, if any.
	Case string `json:"case"`
	// Contact is the awaited contact the note is written for, if any
	// (see ExpectNote). Left out, the note answers the awaited contact of
	// the client nearest its time, within 12 hours.
	Contact string `json:"contact"`
	NoteText
	Actions []AgreedActionInput `json:"actions"`
}

// CorrectionInput corrects a note: a new version, with its reason (P41).
type CorrectionInput struct {
	// Version is the version being corrected; if someone corrected the
	// note meanwhile, ErrConflict is returned and nothing is written.
	Version int64  `json:"version"`
	Reason  string `json:"reason"`
	NoteText
	// Withdraw lists agreed actions the correction withdraws; they stay
	// on the note, marked as withdrawn.
	Withdraw []string `json:"withdraw_actions"`
	// Actions are agreed actions the correction adds.
	Actions []AgreedActionInput `json:"actions"`
}

// noteBody is the sealed part of a version (see encodeNoteBody).
type noteBody struct {
	Present, Discussed, Support, Expectations string
}

type validNoteText struct {
	kind   NoteKind
	method ContactMethod
	at     time.Time
	body   noteBody
}

func (in NoteText) validate(v *ValidationError, now time.Time) validNoteText {
	var t validNoteText
	t.kind = NoteKind(strings.TrimSpace(in.Kind))
	if !t.kind.Valid() {
		v.add("kind", "Choose the kind of note")
	}
	t.method = ContactMethod(strings.TrimSpace(in.Method))
	if !t.method.Valid() {
		v.add("method", "Choose how the contact happened")
	}
	t.at = parseContactTime(v, "contact_at", "the contact", in.ContactAt, now)
	t.body.Present = cleanText(v, "present", "who was there", in.Present, MaxNotePresent, true)
	t.body.Discussed = cleanText(v, "discussed", "what was discussed", in.Discussed, MaxNoteText, true)
	t.body.Support = cleanText(v, "support", "the support needed", in.Support, MaxNoteText, true)
	t.body.Expectations = cleanText(v, "expectations", "the expectations", in.Expectations, MaxNoteText, true)
	if t.body.Discussed == "" && v.For("discussed") == "" && t.method != MethodDidNotAttend {
		v.add("discussed", "Enter what was discussed")
	}
	return t
}

// parseContactTime reads a date and time: RFC 3339, or YYYY-MM-DDTHH:MM in
// UK time. It must be a real moment, not in the future, not before 2000.
func parseContactTime(v *ValidationError, field, what, s string, now time.Time) time.Time {
	s = strings.TrimSpace(s)
	if s == "" {
		v.add(field, "Enter the date and time of "+what)
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t, err = time.ParseInLocation(NoteTimeLayout, s, ukZone)
	}
	switch {
	case err != nil:
		v.add(field, "The date and time of "+what+" must be real, for example 27 3 2026 at 14:30")
		return time.Time{}
	case t.After(now.Add(noteFutureGrace)):
		v.add(field, "The date and time of "+what+" must be now or in the past")
	case t.Year() < 2000:
		v.add(field, "The date and time of "+what+" must be after 2000")
	}
	return t.UTC().Truncate(time.Microsecond)
}

// Note is a note as one reader may see it: its latest version, and, from
// Note, every version.
type Note struct {
	ID        string
	ClientID  string
	ServiceID string
	CaseID    string
	AuthorID  string // who wrote the first version
	Kind      NoteKind
	Method    ContactMethod
	ContactAt time.Time
	Version   int64 // the latest version's number, from 1
	CreatedAt time.Time
	UpdatedAt time.Time
	// Withheld is true when the reader may not see this sessional or
	// clinical note (P13): only the fields above are filled in.
	Withheld     bool
	Present      string
	Discussed    string
	Support      string
	Expectations string
	// Actions are the note's agreed actions, by date due; withdrawn ones
	// only on the note's own page.
	Actions []AgreedAction
	// Versions is every version, oldest first: only on the note's page.
	Versions []NoteVersion
}

// Corrected reports whether the note has been corrected at least once.
func (n Note) Corrected() bool { return n.Version > 1 }

// NoteVersion is one version of a note.
type NoteVersion struct {
	Version      int64
	Kind         NoteKind
	Method       ContactMethod
	ContactAt    time.Time
	WrittenBy    string
	WrittenAt    time.Time
	Withheld     bool   // a restricted version the reader may not see
	Reason       string // why it corrects the one before; "" for the first
	Present      string
	Discussed    string
	Support      string
	Expectations string
}

// ExpectedContact is a contact that calls for a note, still without one.
type ExpectedContact struct {
	ID       string
	ClientID string
	CaseID   string
	WorkerID string
	At       time.Time
	// Overdue is true once two working days have passed (P02).
	Overdue bool
}

// NotesView is the client's notes page: the header, a page of notes
// newest first, and the contacts still awaiting a note.
type NotesView struct {
	Header   Header
	Notes    []Note
	More     bool // there are older notes beyond this page
	Awaiting []ExpectedContact
	// CanWrite says whether the reader may add and correct notes.
	CanWrite bool
}

// NoteView is one note's page.
type NoteView struct {
	Header   Header
	Note     Note
	CanWrite bool
}

// The logical tables note ciphertexts are bound to (letters: lettersTable).
const (
	noteVersionsTable = "note_versions"
	noteActionsTable  = "note_actions"
)

// Notes opens the client's notes for reading and returns one page of them,
// newest contact first (page counts from 1). Only what the page shows is
// decrypted: the latest version of each note the reader may see.
func (cw *Casework) Notes(ctx context.Context, actor access.Actor, clientID string, purpose access.Purpose, page int) (NotesView, error) {
	h, err := cw.gate.OpenClient(ctx, actor, clientID, purpose, access.ViewNotes)
	if err != nil {
		return NotesView{}, err
	}
	hd, err := cw.headerFor(ctx, actor, h)
	if err != nil {
		return NotesView{}, err
	}
	if page < 1 {
		page = 1
	}
	view := NotesView{Header: hd, CanWrite: access.Decide(actor, h.Subject(), access.WriteNotes, purpose).Allowed}
	settings, err := cw.clinicalSettings(ctx, h.Subject())
	if err != nil {
		return NotesView{}, err
	}
	rows, err := cw.db.Query(ctx, `SELECT n.id, n.service_id, n.case_id, n.author_id, n.kind, n.method, n.contact_at, n.version,
			n.created_at, n.updated_at, v.id, v.body
		FROM notes n JOIN note_versions v ON v.note_id = n.id AND v.version = n.version
		WHERE n.client_id = ?
		ORDER BY n.contact_at DESC, n.id DESC LIMIT ? OFFSET ?`, clientID, NotesPerPage+1, (page-1)*NotesPerPage)
	if err != nil {
		return NotesView{}, fmt.Errorf("read notes: %w", err)
	}
	defer rows.Close()
	var visible []string
	index := map[string]int{}
	for rows.Next() {
		var (
			n                Note
			versionID        string
			body             []byte
			at, created, upd int64
			kind, method     string
		)
		if err := rows.Scan(&n.ID, &n.ServiceID, &n.CaseID, &n.AuthorID, &kind, &method, &at, &n.Version, &created, &upd, &versionID, &body); err != nil {
			return NotesView{}, fmt.Errorf("read notes: %w", err)
		}
		if len(view.Notes) == NotesPerPage {
			view.More = true
			break
		}
		n.ClientID, n.Kind, n.Method = clientID, NoteKind(kind), ContactMethod(method)
		n.ContactAt, n.CreatedAt, n.UpdatedAt = noteMicro(at), noteMicro(created), noteMicro(upd)
		if !mayReadNote(actor, h, purpose, settings, n.ServiceID, n.AuthorID, n.Kind) {
			n.Withheld = true
		} else {
			b, err := openNoteBody(h, versionID, body)
			if err != nil {
				return NotesView{}, err
			}
			n.Present, n.Discussed, n.Support, n.Expectations = b.Present, b.Discussed, b.Support, b.Expectations
			index[n.ID] = len(view.Notes)
			visible = append(visible, n.ID)
		}
		view.Notes = append(view.Notes, n)
	}
	if err := rows.Err(); err != nil {
		return NotesView{}, fmt.Errorf("read notes: %w", err)
	}
	rows.Close()
	actions, err := cw.noteActions(ctx, h, visible, false)
	if err != nil {
		return NotesView{}, err
	}
	for _, a := range actions {
		i := index[a.NoteID]
		view.Notes[i].Actions = append(view.Notes[i].Actions, a)
	}
	if view.Awaiting, err = cw.awaitingNotes(ctx, clientID); err != nil {
		return NotesView{}, err
	}
	return view, nil
}

// Note opens one note with all its versions and actions. A note the reader
// may not see is ErrNotFound, like one that does not exist.
func (cw *Casework) Note(ctx context.Context, actor access.Actor, clientID, noteID string, purpose access.Purpose) (NoteView, error) {
	h, err := cw.gate.OpenClient(ctx, actor, clientID, purpose, access.ViewNotes)
	if err != nil {
		return NoteView{}, err
	}
	n, err := cw.readNote(ctx, actor, h, purpose, noteID)
	if err != nil {
		return NoteView{}, err
	}
	hd, err := cw.headerFor(ctx, actor, h)
	if err != nil {
		return NoteView{}, err
	}
	return NoteView{Header: hd, Note: n, CanWrite: access.Decide(actor, h.Subject(), access.WriteNotes, purpose).Allowed}, nil
}

// readNote reads a note of h's client whole, or ErrNotFound.
func (cw *Casework) readNote(ctx context.Context, actor access.Actor, h *gate.Handle, purpose access.Purpose, noteID string) (Note, error) {
	n, err := cw.noteMeta(ctx, h.ClientID(), noteID)
	if err != nil {
		return Note{}, err
	}
	settings, err := cw.clinicalSettings(ctx, h.Subject())
	if err != nil {
		return Note{}, err
	}
	mayRead := func(k NoteKind) bool { return mayReadNote(actor, h, purpose, settings, n.ServiceID, n.AuthorID, k) }
	if !mayRead(n.Kind) {
		return Note{}, ErrNotFound
	}
	rows, err := cw.db.Query(ctx, `SELECT id, version, kind, method, contact_at, body, reason, written_by, written_at
		FROM note_versions WHERE note_id = ? ORDER BY version`, noteID)
	if err != nil {
		return Note{}, fmt.Errorf("read note: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			v            NoteVersion
			id           string
			kind, method string
			at, written  int64
			body, reason []byte
		)
		if err := rows.Scan(&id, &v.Version, &kind, &method, &at, &body, &reason, &v.WrittenBy, &written); err != nil {
			return Note{}, fmt.Errorf("read note: %w", err)
		}
		v.Kind, v.Method, v.ContactAt, v.WrittenAt = NoteKind(kind), ContactMethod(method), noteMicro(at), noteMicro(written)
		if !mayRead(v.Kind) {
			v.Withheld = true
			n.Versions = append(n.Versions, v)
			continue
		}
		b, err := openNoteBody(h, id, body)
		if err != nil {
			return Note{}, err
		}
		v.Present, v.Discussed, v.Support, v.Expectations = b.Present, b.Discussed, b.Support, b.Expectations
		if reason != nil {
			if v.Reason, err = h.OpenString(noteVersionsTable, "reason", id, reason); err != nil {
				return Note{}, fmt.Errorf("read note: %w", err)
			}
		}
		n.Versions = append(n.Versions, v)
	}
	if err := rows.Err(); err != nil {
		return Note{}, fmt.Errorf("read note: %w", err)
	}
	rows.Close()
	if len(n.Versions) == 0 {
		return Note{}, fmt.Errorf("read note: no versions")
	}
	last := n.Versions[len(n.Versions)-1]
	n.Present, n.Discussed, n.Support, n.Expectations = last.Present, last.Discussed, last.Support, last.Expectations
	if n.Actions, err = cw.noteActions(ctx, h, []string{noteID}, true); err != nil {
		return Note{}, err
	}
	return n, nil
}

// noteMeta reads a note's clear metadata, or ErrNotFound.
func (cw *Casework) noteMeta(ctx context.Context, clientID, noteID string) (Note, error) {
	if !store.ValidID(noteID) {
		return Note{}, ErrNotFound
	}
	n := Note{ID: noteID, ClientID: clientID}
	var kind, method string
	var at, created, upd int64
	err := cw.db.QueryRow(ctx, `SELECT service_id, case_id, author_id, kind, method, contact_at, version, created_at, updated_at
		FROM notes WHERE id = ? AND client_id = ?`, noteID, clientID).
		Scan(&n.ServiceID, &n.CaseID, &n.AuthorID, &kind, &method, &at, &n.Version, &created, &upd)
	if err != nil {
		if errors.Is(store.NotFound(err), store.ErrNotFound) {
			return Note{}, ErrNotFound
		}
		return Note{}, fmt.Errorf("read note: %w", err)
	}
	n.Kind, n.Method = NoteKind(kind), ContactMethod(method)
	n.ContactAt, n.CreatedAt, n.UpdatedAt = noteMicro(at), noteMicro(created), noteMicro(upd)
	return n, nil
}

func openNoteBody(h *gate.Handle, versionID string, sealed []byte) (noteBody, error) {
	plain, err := h.Open(noteVersionsTable, "body", versionID, sealed)
	if err != nil {
		return noteBody{}, fmt.Errorf("read note: %w", err)
	}
	b, err := decodeNoteBody(plain)
	if err != nil {
		return noteBody{}, fmt.Errorf("read note: body: %w", err)
	}
	return b, nil
}

// noteBodyFormat is the first byte of a sealed body: its fields follow,
// each as a uvarint length and its UTF-8 bytes, in the order of noteBody.
// A later format may add fields at the end; a reader takes those it knows.
// (Fifty bodies decode in a page view: this costs a fraction of JSON.)
const noteBodyFormat = 1

func encodeNoteBody(b noteBody) []byte {
	fields := [...]string{b.Present, b.Discussed, b.Support, b.Expectations}
	n := 1
	for _, f := range fields {
		n += binary.MaxVarintLen64 + len(f)
	}
	out := make([]byte, 1, n)
	out[0] = noteBodyFormat
	for _, f := range fields {
		out = binary.AppendUvarint(out, uint64(len(f)))
		out = append(out, f...)
	}
	return out
}

func decodeNoteBody(p []byte) (noteBody, error) {
	var b noteBody
	if len(p) == 0 || p[0] != noteBodyFormat {
		return b, errors.New("unknown format")
	}
	p = p[1:]
	for _, dst := range []*string{&b.Present, &b.Discussed, &b.Support, &b.Expectations} {
		if len(p) == 0 {
			break
		}
		n, k := binary.Uvarint(p)
		if k <= 0 || n > uint64(len(p)-k) {
			return noteBody{}, errors.New("truncated")
		}
		*dst = string(p[k : k+int(n)])
		p = p[k+int(n):]
	}
	return b, nil
}

func sealNoteVersion(h *gate.Handle, versionID string, t validNoteText, reason string) (body, sealedReason []byte, err error) {
	if body, err = h.Seal(noteVersionsTable, "body", versionID, encodeNoteBody(t.body)); err != nil {
		return nil, nil, err
	}
	if reason != "" {
		if sealedReason, err = h.SealString(noteVersionsTable, "reason", versionID, reason); err != nil {
			return nil, nil, err
		}
	}
	return body, sealedReason, nil
}

// mayReadNote decides whether actor, who opened the client's notes through
// h, may read a note of kind written by authorID in serviceID (P13). A
// contact note goes with the notes; a sessional or clinical one to its
// author, and to whoever access.ViewClinicalNotes allows under the
// service's setting. The client's links in other services do not count.
func mayReadNote(actor access.Actor, h *gate.Handle, purpose access.Purpose, settings map[string]access.ClinicalReaders, serviceID, authorID string, kind NoteKind) bool {
	if !kind.Restricted() || (authorID == actor.UserID && actor.UserID != "") {
		return true
	}
	sub := access.Subject{ClientID: h.ClientID()}
	for _, l := range h.Subject().Links {
		if l.ServiceID == serviceID {
			l.Clinical = settings[serviceID]
			sub.Links = append(sub.Links, l)
		}
	}
	return access.Decide(actor, sub, access.ViewClinicalNotes, purpose).Allowed
}

// clinicalSettings reads the clinical-notes setting of the client's
// services; a service without one keeps the default.
func (cw *Casework) clinicalSettings(ctx context.Context, s access.Subject) (map[string]access.ClinicalReaders, error) {
	ids := s.ServiceIDs()
	out := make(map[string]access.ClinicalReaders, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	rows, err := cw.db.Query(ctx, "SELECT service_id, clinical_readers FROM note_settings WHERE service_id IN ("+strings.Repeat(",?", len(ids))[1:]+")", args...)
	if err != nil {
		return nil, fmt.Errorf("read note settings: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, c string
		if err := rows.Scan(&id, &c); err != nil {
			return nil, fmt.Errorf("read note settings: %w", err)
		}
		if r := access.ClinicalReaders(c); r.Valid() {
			out[id] = r
		}
	}
	return out, rows.Err()
}

// ClinicalReaders returns a service's setting for its sessional and
// clinical notes.
func (cw *Casework) ClinicalReaders(ctx context.Context, serviceID string) (access.ClinicalReaders, error) {
	var c string
	err := store.NotFound(cw.db.QueryRow(ctx, "SELECT clinical_readers FROM note_settings WHERE service_id = ?", serviceID).Scan(&c))
	switch {
	case errors.Is(err, store.ErrNotFound):
		return access.ClinicalAuthorOnly, nil
	case err != nil:
		return "", fmt.Errorf("read note settings: %w", err)
	}
	return access.ClinicalReaders(c), nil
}

// SetClinicalReaders changes who, besides the author and the managers,
// reads a service's sessional and clinical notes. Only a manager of the
// service may; the change, or the refusal, is in the audit log.
func (cw *Casework) SetClinicalReaders(ctx context.Context, actor access.Actor, serviceID string, c access.ClinicalReaders) error {
	if !c.Valid() {
		return &ValidationError{Fields: []FieldError{{"clinical_readers", "Choose who may read sessional and clinical notes"}}}
	}
	entry := audit.Entry{Actor: actor.UserID, Action: "service.clinical-readers", Purpose: string(access.Administration)}
	if !store.ValidID(serviceID) || actor.Role != access.Manager || !actor.InService(serviceID) {
		entry.Reason = "not-service-manager"
		if _, err := cw.gate.Audit().Record(ctx, entry); err != nil {
			return fmt.Errorf("set clinical readers: audit: %w", err)
		}
		return ErrForbidden
	}
	entry.Allowed, entry.Reason, entry.RecordIDs = true, "service-manager", []string{serviceID}
	now := cw.now().UTC().UnixMicro()
	err := cw.db.Tx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO note_settings (service_id, clinical_readers, updated_at, updated_by) VALUES (?, ?, ?, ?)
			ON CONFLICT (service_id) DO UPDATE SET clinical_readers = excluded.clinical_readers, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
			serviceID, string(c), now, actor.UserID); err != nil {
			return err
		}
		_, err := cw.gate.Audit().Append(ctx, tx, entry)
		return err
	})
	if err != nil {
		return fmt.Errorf("set clinical readers: %w", err)
	}
	return nil
}

// NoteForm is what the new-note form needs: the header, the services the
// note may be written in, their open cases, and the contacts still
// awaiting a note.
type NoteForm struct {
	Header   Header
	Services []string
	Cases    []Case
	Awaiting []ExpectedContact
}

// NewNoteForm opens the client for writing notes and returns what the
// form needs. Who may not write notes gets ErrNotFound.
func (cw *Casework) NewNoteForm(ctx context.Context, actor access.Actor, clientID string) (NoteForm, error) {
	h, err := cw.gate.OpenClient(ctx, actor, clientID, access.Casework, access.WriteNotes)
	if err != nil {
		return NoteForm{}, err
	}
	hd, err := cw.headerFor(ctx, actor, h)
	if err != nil {
		return NoteForm{}, err
	}
	f := NoteForm{Header: hd, Services: sharedServices(actor, h.Subject())}
	if f.Cases, err = cw.noteCases(ctx, clientID, f.Services); err != nil {
		return NoteForm{}, err
	}
	if f.Awaiting, err = cw.awaitingNotes(ctx, clientID); err != nil {
		return NoteForm{}, err
	}
	return f, nil
}

// noteCases lists the client's open and on-hold cases in the given
// services, newest first: those a note or a letter may belong to. Only
// clear metadata is read.
func (cw *Casework) noteCases(ctx context.Context, clientID string, services []string) ([]Case, error) {
	rows, err := cw.db.Query(ctx, `SELECT id, service_id, kind, status, opened_on FROM cases
		WHERE client_id = ? AND closed_on = '' ORDER BY opened_on DESC, id`, clientID)
	if err != nil {
		return nil, fmt.Errorf("read cases: %w", err)
	}
	defer rows.Close()
	var out []Case
	for rows.Next() {
		c := Case{ClientID: clientID}
		var kind, status, opened string
		if err := rows.Scan(&c.ID, &c.ServiceID, &kind, &status, &opened); err != nil {
			return nil, fmt.Errorf("read cases: %w", err)
		}
		if !slices.Contains(services, c.ServiceID) {
			continue
		}
		c.Kind, c.Status = CaseKind(kind), CaseStatus(status)
		c.OpenedOn, _ = time.Parse(DateLayout, opened)
		out = append(out, c)
	}
	return out, rows.Err()
}

// AddNote writes a note after a contact and returns its id. Everything is
// checked first and every problem returned at once; the note, its actions
// and the answer to an awaited contact are written in one transaction
// with the audit entry.
func (cw *Casework) AddNote(ctx context.Context, actor access.Actor, clientID string, in NoteInput) (string, error) {
	now := cw.now()
	var v ValidationError
	t := in.NoteText.validate(&v, now)
	acts := validateActions(&v, "actions", in.Actions, t.at)
	in.Case, in.Contact, in.Service = strings.TrimSpace(in.Case), strings.TrimSpace(in.Contact), strings.TrimSpace(in.Service)
	h, err := cw.gate.OpenClient(ctx, actor, clientID, access.Casework, access.WriteNotes)
	if err != nil {
		return "", err
	}
	serviceID := cw.chooseNoteService(ctx, &v, actor, h, in.Service, in.Case)
	if err := cw.checkWorkers(ctx, &v, "actions", serviceID, acts); err != nil {
		return "", err
	}
	var contact *ExpectedContact
	if in.Contact != "" {
		c, err := cw.awaitedContact(ctx, clientID, in.Contact)
		switch {
		case errors.Is(err, ErrNotFound):
			v.add("contact", "That contact already has a note, or is not one of this client’s: choose another")
		case err != nil:
			return "", err
		default:
			contact = &c
		}
	}
	if err := v.orNil(); err != nil {
		return "", err
	}
	if contact != nil && in.Case == "" {
		in.Case = contact.CaseID
	}

	noteID, versionID := store.NewID(), store.NewID()
	body, _, err := sealNoteVersion(h, versionID, t, "")
	if err != nil {
		return "", err
	}
	sealedActs, err := sealActions(h, acts)
	if err != nil {
		return "", err
	}
	at, stamp := t.at.UnixMicro(), now.UTC().UnixMicro()
	records := []string{noteID}
	for _, a := range sealedActs {
		records = append(records, a.id)
	}
	err = h.Update(ctx, records, func(ctx context.Context, tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO notes (id, client_id, service_id, case_id, author_id, kind, method, contact_at, version, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)`,
			noteID, clientID, serviceID, in.Case, actor.UserID, string(t.kind), string(t.method), at, stamp, stamp); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO note_versions (id, note_id, version, client_id, kind, method, contact_at, body, reason, written_by, written_at)
			VALUES (?, ?, 1, ?, ?, ?, ?, ?, NULL, ?, ?)`,
			versionID, noteID, clientID, string(t.kind), string(t.method), at, body, actor.UserID, stamp); err != nil {
			return err
		}
		if err := insertActions(ctx, tx, noteID, clientID, serviceID, actor.UserID, 1, sealedActs); err != nil {
			return err
		}
		return cw.answerContact(ctx, tx, clientID, noteID, contact, t.at)
	})
	if err != nil {
		return "", err
	}
	return noteID, nil
}

// chooseNoteService decides which service a new note is written in: the
// case's, the one asked for, or the only one the writer shares with the
// client.
func (cw *Casework) chooseNoteService(ctx context.Context, v *ValidationError, actor access.Actor, h *gate.Handle, asked, caseID string) string {
	mine := sharedServices(actor, h.Subject())
	if caseID != "" {
		svc, ok := cw.caseService(ctx, h.ClientID(), caseID)
		if !ok || !slices.Contains(mine, svc) {
			v.add("case", "Choose one of the client’s cases in your services")
			return ""
		}
		if asked != "" && asked != svc {
			v.add("service", "The service must be the case’s service")
		}
		return svc
	}
	switch {
	case asked != "":
		if !slices.Contains(mine, asked) {
			v.add("service", "Choose one of the client’s services that you work in")
		}
		return asked
	case len(mine) == 1:
		return mine[0]
	}
	v.add("service", "Choose the service the contact was in")
	return ""
}

// caseService returns the service of the client's case caseID. Cases are
// recorded by cases.go in this package; notes only read their service.
func (cw *Casework) caseService(ctx context.Context, clientID, caseID string) (string, bool) {
	if !store.ValidID(caseID) {
		return "", false
	}
	var svc string
	if err := cw.db.QueryRow(ctx, "SELECT service_id FROM cases WHERE id = ? AND client_id = ?", caseID, clientID).Scan(&svc); err != nil {
		return "", false
	}
	return svc, true
}

// CorrectNote adds a version to a note (P41): the old version stays, with
// the reason for the new one. Agreed actions are never rewritten: the
// correction may withdraw some and add others. in.Version must be the
// note's latest version, or ErrConflict is returned and nothing written.
func (cw *Casework) CorrectNote(ctx context.Context, actor access.Actor, clientID, noteID string, in CorrectionInput) error {
	now := cw.now()
	var v ValidationError
	t := in.NoteText.validate(&v, now)
	reason := cleanText(&v, "reason", "the reason", in.Reason, MaxNoteReason, true)
	if reason == "" && v.For("reason") == "" {
		v.add("reason", "Enter why you are correcting the note")
	}
	acts := validateActions(&v, "actions", in.Actions, t.at)
	h, err := cw.gate.OpenClient(ctx, actor, clientID, access.Casework, access.WriteNotes)
	if err != nil {
		return err
	}
	n, err := cw.readNote(ctx, actor, h, access.Casework, noteID)
	if err != nil {
		return err
	}
	if in.Version != n.Version {
		return ErrConflict
	}
	if err := cw.checkWorkers(ctx, &v, "actions", n.ServiceID, acts); err != nil {
		return err
	}
	withdraw := map[string]bool{}
	for _, id := range in.Withdraw {
		ok := false
		for _, a := range n.Actions {
			if a.ID == id && a.WithdrawnVersion == 0 {
				ok = true
			}
		}
		if !ok {
			v.add("withdraw_actions", "Choose only actions of this note that are not already withdrawn")
			break
		}
		withdraw[id] = true
	}
	if err := v.orNil(); err != nil {
		return err
	}
	version := n.Version + 1
	versionID := store.NewID()
	body, sealedReason, err := sealNoteVersion(h, versionID, t, reason)
	if err != nil {
		return err
	}
	sealedActs, err := sealActions(h, acts)
	if err != nil {
		return err
	}
	at, stamp := t.at.UnixMicro(), now.UTC().UnixMicro()
	records := []string{noteID}
	for _, a := range sealedActs {
		records = append(records, a.id)
	}
	for id := range withdraw {
		records = append(records, id)
	}
	return h.Update(ctx, records, func(ctx context.Context, tx *store.Tx) error {
		res, err := tx.Exec(ctx, `UPDATE notes SET kind = ?, method = ?, contact_at = ?, version = ?, updated_at = ?
			WHERE id = ? AND client_id = ? AND version = ?`,
			string(t.kind), string(t.method), at, version, stamp, noteID, clientID, n.Version)
		if err != nil {
			return err
		}
		if k, err := res.RowsAffected(); err != nil {
			return err
		} else if k != 1 {
			return ErrConflict
		}
		if _, err := tx.Exec(ctx, `INSERT INTO note_versions (id, note_id, version, client_id, kind, method, contact_at, body, reason, written_by, written_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			versionID, noteID, version, clientID, string(t.kind), string(t.method), at, body, sealedReason, actor.UserID, stamp); err != nil {
			return err
		}
		for id := range withdraw {
			if _, err := tx.Exec(ctx, "UPDATE note_actions SET withdrawn_version = ?, open = 0 WHERE id = ? AND note_id = ? AND withdrawn_version = 0",
				version, id, noteID); err != nil {
				return err
			}
		}
		return insertActions(ctx, tx, noteID, clientID, n.ServiceID, n.AuthorID, version, sealedActs)
	})
}

// ExpectNote records, inside the caller's transaction, that a contact
// calls for a note: an appointment the client attended, say. Until a note
// answers it, it is listed on the client's notes page, and from two
// working days after the contact it is overdue (P02). Recording the same
// contact (client, worker, time) twice is harmless.
func (cw *Casework) ExpectNote(ctx context.Context, tx *store.Tx, clientID, caseID string, contactAt time.Time, workerID string) error {
	if !store.ValidID(clientID) || workerID == "" {
		return fmt.Errorf("expect note: a client and a worker are needed")
	}
	// The case's service, so that the service's managers see the contact.
	var serviceID string
	if store.ValidID(caseID) {
		err := store.NotFound(tx.QueryRow(ctx, "SELECT service_id FROM cases WHERE id = ? AND client_id = ?", caseID, clientID).Scan(&serviceID))
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("expect note: %w", err)
		}
	}
	_, err := tx.Exec(ctx, `INSERT INTO note_contacts (id, client_id, case_id, service_id, worker_id, contact_at, note_id, created_at)
		VALUES (?, ?, ?, ?, ?, ?, '', ?) ON CONFLICT (client_id, worker_id, contact_at) DO NOTHING`,
		store.NewID(), clientID, caseID, serviceID, workerID, contactAt.UTC().UnixMicro(), cw.now().UTC().UnixMicro())
	if err != nil {
		return fmt.Errorf("expect note: %w", err)
	}
	return nil
}

// ForgetExpectedNote undoes ExpectNote inside the caller's transaction,
// when a contact turns out not to have happened (an attendance marked by
// mistake). A contact a note already answers is kept.
func (cw *Casework) ForgetExpectedNote(ctx context.Context, tx *store.Tx, clientID string, contactAt time.Time, workerID string) error {
	_, err := tx.Exec(ctx, "DELETE FROM note_contacts WHERE client_id = ? AND worker_id = ? AND contact_at = ? AND note_id = ''",
		clientID, workerID, contactAt.UTC().UnixMicro())
	if err != nil {
		return fmt.Errorf("forget expected note: %w", err)
	}
	return nil
}

// awaitingNotes lists the client's contacts still without a note, oldest
// first.
func (cw *Casework) awaitingNotes(ctx context.Context, clientID string) ([]ExpectedContact, error) {
	cutoff := noteOverdueBefore(cw.now())
	rows, err := cw.db.Query(ctx, `SELECT id, case_id, worker_id, contact_at FROM note_contacts
		WHERE client_id = ? AND note_id = '' ORDER BY contact_at, id LIMIT 100`, clientID)
	if err != nil {
		return nil, fmt.Errorf("read awaited notes: %w", err)
	}
	defer rows.Close()
	var out []ExpectedContact
	for rows.Next() {
		c := ExpectedContact{ClientID: clientID}
		var at int64
		if err := rows.Scan(&c.ID, &c.CaseID, &c.WorkerID, &at); err != nil {
			return nil, fmt.Errorf("read awaited notes: %w", err)
		}
		c.At = noteMicro(at)
		c.Overdue = c.At.Before(cutoff)
		out = append(out, c)
	}
	return out, rows.Err()
}

// awaitedContact reads one of the client's contacts still without a note,
// or ErrNotFound.
func (cw *Casework) awaitedContact(ctx context.Context, clientID, id string) (ExpectedContact, error) {
	if !store.ValidID(id) {
		return ExpectedContact{}, ErrNotFound
	}
	c := ExpectedContact{ID: id, ClientID: clientID}
	var at int64
	err := store.NotFound(cw.db.QueryRow(ctx, "SELECT case_id, worker_id, contact_at FROM note_contacts WHERE id = ? AND client_id = ? AND note_id = ''",
		id, clientID).Scan(&c.CaseID, &c.WorkerID, &at))
	if errors.Is(err, store.ErrNotFound) {
		return c, ErrNotFound
	}
	if err != nil {
		return c, fmt.Errorf("read awaited contact: %w", err)
	}
	c.At = noteMicro(at)
	c.Overdue = c.At.Before(noteOverdueBefore(cw.now()))
	return c, nil
}

// answerContact marks the contact a new note answers: the one chosen, or
// else the client's awaited contact nearest the note's time, within 12
// hours.
func (cw *Casework) answerContact(ctx context.Context, tx *store.Tx, clientID, noteID string, chosen *ExpectedContact, at time.Time) error {
	if chosen != nil {
		res, err := tx.Exec(ctx, "UPDATE note_contacts SET note_id = ? WHERE id = ? AND client_id = ? AND note_id = ''", noteID, chosen.ID, clientID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n != 1 {
			return &ValidationError{Fields: []FieldError{{"contact", "Someone has just written the note for that contact: check the client’s notes"}}}
		}
		return nil
	}
	window := int64(12 * time.Hour / time.Microsecond)
	t := at.UnixMicro()
	var id string
	var when int64
	rows, err := tx.Query(ctx, `SELECT id, contact_at FROM note_contacts
		WHERE client_id = ? AND note_id = '' AND contact_at BETWEEN ? AND ?`, clientID, t-window, t+window)
	if err != nil {
		return err
	}
	best := int64(-1)
	for rows.Next() {
		var cid string
		if err := rows.Scan(&cid, &when); err != nil {
			rows.Close()
			return err
		}
		d := when - t
		if d < 0 {
			d = -d
		}
		if best < 0 || d < best || (d == best && cid < id) {
			best, id = d, cid
		}
	}
	if err := rows.Close(); err != nil {
		return err
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if id == "" {
		return nil
	}
	_, err = tx.Exec(ctx, "UPDATE note_contacts SET note_id = ? WHERE id = ? AND note_id = ''", noteID, id)
	return err
}

// NoteGraceDays is how many working days a note may follow its contact
// before it is overdue (P02 asks for notes written at the time).
const NoteGraceDays = 2

// noteOverdueBefore returns the moment before which a contact without a
// note is overdue at now: a contact is overdue once the second working day
// (Monday to Friday, UK dates; bank holidays are not known) after the day
// of the contact has ended.
func noteOverdueBefore(now time.Time) time.Time {
	today := ukMidnight(now)
	day := today.AddDate(0, 0, -1)
	for !graceEnd(day).Before(today) {
		day = day.AddDate(0, 0, -1)
	}
	return day.AddDate(0, 0, 1)
}

// graceEnd returns the last day (midnight) on which a note for a contact
// on day is on time.
func graceEnd(day time.Time) time.Time {
	n := 0
	for n < NoteGraceDays {
		day = day.AddDate(0, 0, 1)
		if wd := day.Weekday(); wd != time.Saturday && wd != time.Sunday {
			n++
		}
	}
	return day
}

// ukMidnight returns the start of t's day in the UK.
func ukMidnight(t time.Time) time.Time {
	y, m, d := t.In(ukZone).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, ukZone)
}

// ukToday returns t's UK date as YYYY-MM-DD.
func ukToday(t time.Time) string { return t.In(ukZone).Format(DateLayout) }

func noteMicro(us int64) time.Time { return time.UnixMicro(us).UTC() }
