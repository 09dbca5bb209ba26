package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/caseward/caseward/internal/access"
	"github.com/caseward/caseward/internal/casework"
	"github.com/caseward/caseward/internal/staff"
	"github.com/caseward/caseward/internal/store"
)

// Contact notes and letters (P02, P05, P10, P13, P41): a client's notes,
// one note with its versions, writing and correcting a note, marking an
// agreed action done, copies of letters and e-mails sent, the viewer's
// overdue notes and actions, and a service's setting for sessional and
// clinical notes. The rules live in package casework, shared with the
// JSON API below.

// choice is one choice of a select or a set of radios, on any form but
// the client record's (client_record.go builds its own formOption).
type choice struct {
	Value, Label, Hint string
}

// noteDirectory names staff, services and cases for the notes pages.
type noteDirectory struct{ staffDirectory }

func (s *Server) noteDirectory(ctx context.Context) (noteDirectory, error) {
	d, err := s.staffDirectory(ctx)
	return noteDirectory{d}, err
}

func (d noteDirectory) workers(serviceIDs []string, me string) []choice {
	var out []choice
	for _, u := range d.users {
		if u.Disabled || (u.Role != access.Caseworker && u.Role != access.Manager) {
			continue
		}
		in := false
		for _, sid := range serviceIDs {
			in = in || slices.Contains(u.Services, sid)
		}
		if !in {
			continue
		}
		o := choice{Value: "worker:" + u.ID, Label: u.Name}
		if u.ID == me {
			o.Label = "Me (" + u.Name + ")"
			out = append([]choice{o}, out...)
			continue
		}
		out = append(out, o)
	}
	return out
}

func (d noteDirectory) serviceOptions(ids []string) []choice {
	out := make([]choice, 0, len(ids))
	for _, id := range ids {
		out = append(out, choice{Value: id, Label: d.services[id]})
	}
	return out
}

func (d noteDirectory) caseOptions(cases []casework.Case) []choice {
	out := make([]choice, 0, len(cases))
	for _, c := range cases {
		out = append(out, choice{Value: c.ID, Label: c.Kind.Label() + ", " + d.services[c.ServiceID] + ", opened " + c.OpenedOn.Format("2 January 2006")})
	}
	return out
}

// noteWhen formats a moment as the pages show it, on the UK's clock:
// "25 November 2026 at 9:30am".
func noteWhen(t time.Time) string {
	return casework.UKTime(t).Format("2 January 2006 at 3:04pm")
}

// noteDay formats a YYYY-MM-DD date: "1 December 2026".
func noteDay(s string) string {
	d, err := time.Parse(casework.DateLayout, s)
	if err != nil {
		return s
	}
	return d.Format("2 January 2006")
}

// noteLines splits typed text into its lines, for a page to show with
// line breaks.
func noteLines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
}

// notePurpose is why the viewer opens the notes; the DPO is asked first,
// and the answer carried in every link of the pages (query).
func (s *Server) notePurpose(w http.ResponseWriter, r *http.Request, v *viewer) (p access.Purpose, query string, ok bool, err error) {
	p, ok = purpose(v, r)
	if !ok {
		return "", "", false, s.render(w, http.StatusOK, "note_purpose", notePurposePage{basePage: s.base(v), Action: r.URL.Path})
	}
	if v.User.Role == access.DPO {
		query = "?purpose=" + url.QueryEscape(string(p))
	}
	return p, query, true, nil
}

type notePurposePage struct {
	basePage
	Action string
}

// --- The client's notes ---

type noteActionRow struct {
	ID, What, Who, Due, Done string
	Overdue, Withdrawn       bool
	WithdrawnIn              int64
	AddedIn                  int64
}

type noteRow struct {
	ID, Kind, Method, When, Author, Service string
	Restricted, Withheld, Corrected         bool
	Version                                 int64
	Present, Discussed, Support             []string
	Expectations                            []string
	Actions                                 []noteActionRow
}

type noteAwaitingRow struct {
	ID, When, Worker string
	Overdue          bool
}

type notesPage struct {
	basePage
	Header   casework.Header
	ClientID string
	Query    string
	Notes    []noteRow
	Awaiting []noteAwaitingRow
	CanWrite bool
	Page     int
	PrevURL  string
	NextURL  string
}

func (d noteDirectory) actionRow(a casework.AgreedAction) noteActionRow {
	row := noteActionRow{ID: a.ID, What: a.What, Due: noteDay(a.Due), Overdue: a.Overdue, Withdrawn: a.WithdrawnVersion != 0,
		WithdrawnIn: a.WithdrawnVersion, AddedIn: a.AddedVersion}
	switch a.By {
	case casework.ActionByWorker:
		row.Who = d.name(a.WorkerID)
	case casework.ActionByClient:
		row.Who = "The client"
	default:
		row.Who = a.Other
	}
	if a.Done() {
		row.Done = "Done " + noteWhen(a.DoneAt) + " by " + d.name(a.DoneBy)
	}
	return row
}

func (d noteDirectory) noteRow(n casework.Note) noteRow {
	row := noteRow{ID: n.ID, Kind: n.Kind.Label(), Method: n.Method.Label(), When: noteWhen(n.ContactAt), Author: d.name(n.AuthorID),
		Service: d.services[n.ServiceID], Restricted: n.Kind.Restricted(), Withheld: n.Withheld, Corrected: n.Corrected(), Version: n.Version,
		Present: noteLines(n.Present), Discussed: noteLines(n.Discussed), Support: noteLines(n.Support), Expectations: noteLines(n.Expectations)}
	for _, a := range n.Actions {
		row.Actions = append(row.Actions, d.actionRow(a))
	}
	return row
}

func (s *Server) clientNotes(w http.ResponseWriter, r *http.Request, v *viewer) error {
	p, q, ok, err := s.notePurpose(w, r, v)
	if !ok || err != nil {
		return err
	}
	id := r.PathValue("id")
	page := notePage(r)
	view, err := s.app.Casework.Notes(r.Context(), v.User.Actor(), id, p, page)
	if err != nil {
		return err
	}
	d, err := s.noteDirectory(r.Context())
	if err != nil {
		return err
	}
	pg := notesPage{basePage: s.base(v), Header: view.Header, ClientID: id, Query: q, CanWrite: view.CanWrite, Page: page}
	for _, n := range view.Notes {
		pg.Notes = append(pg.Notes, d.noteRow(n))
	}
	for _, c := range view.Awaiting {
		pg.Awaiting = append(pg.Awaiting, noteAwaitingRow{ID: c.ID, When: noteWhen(c.At), Worker: d.name(c.WorkerID), Overdue: c.Overdue})
	}
	link := func(n int) string {
		u := url.Values{"page": {strconv.Itoa(n)}}
		if q != "" {
			u.Set("purpose", string(p))
		}
		return "/clients/" + id + "/notes?" + u.Encode()
	}
	if page > 1 {
		pg.PrevURL = link(page - 1)
	}
	if view.More {
		pg.NextURL = link(page + 1)
	}
	pg.Message = noteDoneMessages[r.URL.Query().Get("done")]
	return s.render(w, http.StatusOK, "notes", pg)
}

var noteDoneMessages = map[string]string{
	"added":     "Note saved.",
	"corrected": "Correction saved. The earlier version is kept in the note’s history.",
	"action":    "Action marked as done.",
	"letter":    "Copy of the letter saved.",
}

func notePage(r *http.Request) int {
	n, err := strconv.Atoi(r.URL.Query().Get("page"))
	if err != nil || n < 1 || n > 100000 {
		return 1
	}
	return n
}

// --- One note ---

type noteVersionRow struct {
	Version                     int64
	Kind, Method, When          string
	By, At                      string
	Withheld                    bool
	Reason                      []string
	Present, Discussed, Support []string
	Expectations                []string
}

type notePageData struct {
	basePage
	Header   casework.Header
	ClientID string
	Query    string
	Note     noteRow
	Case     string
	Versions []noteVersionRow
	CanWrite bool
}

func (s *Server) viewNote(w http.ResponseWriter, r *http.Request, v *viewer) error {
	p, q, ok, err := s.notePurpose(w, r, v)
	if !ok || err != nil {
		return err
	}
	id := r.PathValue("id")
	view, err := s.app.Casework.Note(r.Context(), v.User.Actor(), id, r.PathValue("note"), p)
	if err != nil {
		return err
	}
	d, err := s.noteDirectory(r.Context())
	if err != nil {
		return err
	}
	pg := notePageData{basePage: s.base(v), Header: view.Header, ClientID: id, Query: q, Note: d.noteRow(view.Note), CanWrite: view.CanWrite}
	if view.Note.CaseID != "" {
		pg.Case = casework.Reference(view.Note.CaseID)
	}
	for i := len(view.Note.Versions) - 1; i >= 0; i-- {
		ver := view.Note.Versions[i]
		pg.Versions = append(pg.Versions, noteVersionRow{
			Version: ver.Version, Kind: ver.Kind.Label(), Method: ver.Method.Label(), When: noteWhen(ver.ContactAt),
			By: d.name(ver.WrittenBy), At: noteWhen(ver.WrittenAt), Withheld: ver.Withheld, Reason: noteLines(ver.Reason),
			Present: noteLines(ver.Present), Discussed: noteLines(ver.Discussed), Support: noteLines(ver.Support), Expectations: noteLines(ver.Expectations),
		})
	}
	pg.Message = noteDoneMessages[r.URL.Query().Get("done")]
	return s.render(w, http.StatusOK, "note_view", pg)
}

// --- Writing and correcting a note ---

// noteActionForm is one row of agreed actions as typed.
type noteActionForm struct {
	Index, Number             int
	What, Who, Other          string
	Due                       dateFields
	ErrWhat, ErrWho, ErrOther string
	ErrDue                    string
}

// noteExistingAction is an action a correction may withdraw.
type noteExistingAction struct {
	ID, What, Who, Due string
	Withdraw           bool
}

type noteForm struct {
	basePage
	Header     casework.Header
	ClientID   string
	NoteID     string
	Correcting bool
	Version    int64
	Services   []choice
	Service    string
	Cases      []choice
	Case       string
	Awaiting   []choice
	Contact    string
	Kinds      []choice
	Methods    []choice
	Workers    []choice
	Kind       string
	Method     string
	When       dateFields
	Present    string
	Discussed  string
	Support    string
	Expect     string
	Reason     string
	Actions    []noteActionForm
	Existing   []noteExistingAction
	Err        map[string]string
	Conflict   *noteRow // what someone else saved meanwhile
}

// noteFieldIDs maps the domain's field names to the inputs they link to.
var noteFieldIDs = map[string]string{
	"service": "service", "case": "case", "contact": "contact", "kind": "kind", "method": "method",
	"contact_at": "when-day", "sent_at": "when-day", "present": "present", "discussed": "discussed", "support": "support",
	"expectations": "expectations", "reason": "reason", "withdraw_actions": "withdraw", "actions": "action-0-what",
	"channel": "channel", "recipient": "recipient", "address": "address", "subject": "subject", "body": "body",
	"clinical_readers": "clinical-readers",
}

// noteFieldID returns the input a domain field's message links to.
func noteFieldID(field string) string {
	if id, ok := noteFieldIDs[field]; ok {
		return id
	}
	// actions[2].what → action-2-what
	if rest, ok := strings.CutPrefix(field, "actions["); ok {
		i, sub, _ := strings.Cut(rest, "].")
		switch sub {
		case "worker":
			sub = "who"
		case "due":
			sub = "due-day"
		}
		return "action-" + i + "-" + sub
	}
	return ""
}

// noteErrors puts a validation error's messages by their fields and in
// the summary.
func noteErrors(ve *casework.ValidationError, b *basePage) map[string]string {
	return fieldErrors(ve, b, noteFieldID)
}

func (f *noteForm) setErrors(ve *casework.ValidationError) {
	f.Err = noteErrors(ve, &f.basePage)
	for i := range f.Actions {
		a := &f.Actions[i]
		pre := "actions[" + strconv.Itoa(a.Index) + "]."
		a.ErrWhat, a.ErrOther, a.ErrDue = f.Err[pre+"what"], f.Err[pre+"other"], f.Err[pre+"due"]
		a.ErrWho = f.Err[pre+"who"]
		if a.ErrWho == "" {
			a.ErrWho = f.Err[pre+"worker"]
		}
	}
}

func noteKindOptions() []choice {
	var out []choice
	for _, k := range casework.NoteKinds {
		o := choice{Value: string(k), Label: k.Label()}
		if k.Restricted() {
			o.Hint = "Seen only by you, the service’s managers and whoever the service allows"
		}
		out = append(out, o)
	}
	return out
}

func noteMethodOptions() []choice {
	var out []choice
	for _, m := range casework.ContactMethods {
		out = append(out, choice{Value: string(m), Label: m.Label()})
	}
	return out
}

// noteActionRows is how many rows of actions the form shows: those typed,
// one more when asked, at least minRows.
func noteActionRows(r *http.Request, minRows int) int {
	n, _ := strconv.Atoi(r.PostFormValue("action_rows"))
	if r.PostFormValue("add_action") != "" {
		n++
	}
	return min(max(n, minRows), casework.MaxNoteActions)
}

// readNoteForm reads the posted form into f and returns the domain's input.
func readNoteForm(r *http.Request, f *noteForm, minRows int) (casework.NoteText, []casework.AgreedActionInput) {
	f.Service = r.PostFormValue("service")
	f.Case = r.PostFormValue("case")
	f.Contact = r.PostFormValue("contact")
	f.Kind = r.PostFormValue("kind")
	f.Method = r.PostFormValue("method")
	f.When = postedDate(r, "when")
	f.Present = r.PostFormValue("present")
	f.Discussed = r.PostFormValue("discussed")
	f.Support = r.PostFormValue("support")
	f.Expect = r.PostFormValue("expectations")
	f.Reason = r.PostFormValue("reason")
	text := casework.NoteText{
		Kind: f.Kind, Method: f.Method, ContactAt: f.When.dateTime(),
		Present: f.Present, Discussed: f.Discussed, Support: f.Support, Expectations: f.Expect,
	}
	var acts []casework.AgreedActionInput
	f.Actions = nil
	for i := range noteActionRows(r, minRows) {
		pre := "action_" + strconv.Itoa(i) + "_"
		a := noteActionForm{Index: i, Number: i + 1, What: r.PostFormValue(pre + "what"), Who: r.PostFormValue(pre + "who"), Other: r.PostFormValue(pre + "other"),
			Due: postedDate(r, pre+"due")}
		f.Actions = append(f.Actions, a)
		in := casework.AgreedActionInput{What: a.What, Other: a.Other, Due: a.Due.date()}
		if worker, ok := strings.CutPrefix(a.Who, "worker:"); ok {
			in.Who, in.Worker = string(casework.ActionByWorker), worker
		} else {
			in.Who = a.Who
		}
		acts = append(acts, in)
	}
	return text, acts
}

// fillNewNote fills the choices of the new-note form.
func (s *Server) fillNewNote(r *http.Request, v *viewer, f *noteForm) error {
	nf, err := s.app.Casework.NewNoteForm(r.Context(), v.User.Actor(), f.ClientID)
	if err != nil {
		return err
	}
	d, err := s.noteDirectory(r.Context())
	if err != nil {
		return err
	}
	f.Header = nf.Header
	f.Kinds, f.Methods = noteKindOptions(), noteMethodOptions()
	if len(nf.Services) > 1 {
		f.Services = d.serviceOptions(nf.Services)
	}
	f.Cases = d.caseOptions(nf.Cases)
	f.Workers = d.workers(nf.Services, v.User.ID)
	for _, c := range nf.Awaiting {
		label := noteWhen(c.At) + ", " + d.name(c.WorkerID)
		if c.Overdue {
			label += " (overdue)"
		}
		f.Awaiting = append(f.Awaiting, choice{Value: c.ID, Label: label})
	}
	return nil
}

func (s *Server) newNoteForm(w http.ResponseWriter, r *http.Request, v *viewer) error {
	f := noteForm{basePage: s.base(v), ClientID: r.PathValue("id"), Kind: string(casework.ContactNote)}
	if err := s.fillNewNote(r, v, &f); err != nil {
		return err
	}
	f.When = momentOf(s.now())
	// Writing up an awaited contact: its time, and the contact chosen.
	if c := r.URL.Query().Get("contact"); c != "" {
		for _, a := range f.Awaiting {
			if a.Value == c {
				f.Contact = c
			}
		}
	}
	for i := range 3 {
		f.Actions = append(f.Actions, noteActionForm{Index: i, Number: i + 1})
	}
	return s.render(w, http.StatusOK, "note_form", f)
}

func (s *Server) addNote(w http.ResponseWriter, r *http.Request, v *viewer) error {
	f := noteForm{basePage: s.base(v), ClientID: r.PathValue("id")}
	text, acts := readNoteForm(r, &f, 1)
	if r.PostFormValue("add_action") == "" {
		in := casework.NoteInput{Service: f.Service, Case: f.Case, Contact: f.Contact, NoteText: text, Actions: acts}
		_, err := s.app.Casework.AddNote(r.Context(), v.User.Actor(), f.ClientID, in)
		var ve *casework.ValidationError
		switch {
		case err == nil:
			http.Redirect(w, r, "/clients/"+f.ClientID+"/notes?done=added", http.StatusSeeOther)
			return nil
		case !errors.As(err, &ve):
			return err
		}
		f.setErrors(ve)
	}
	// The form again: with a row more, or with its errors.
	if err := s.fillNewNote(r, v, &f); err != nil {
		return err
	}
	status := http.StatusOK
	if len(f.Errors) > 0 {
		status = http.StatusBadRequest
	}
	return s.render(w, status, "note_form", f)
}

// fillCorrection fills the correction form's choices and the note's
// actions from the note as it is now.
func (s *Server) fillCorrection(r *http.Request, v *viewer, f *noteForm) (casework.NoteView, noteDirectory, error) {
	view, err := s.app.Casework.Note(r.Context(), v.User.Actor(), f.ClientID, f.NoteID, access.Casework)
	if err != nil {
		return view, noteDirectory{}, err
	}
	if !view.CanWrite {
		return view, noteDirectory{}, casework.ErrForbidden
	}
	d, err := s.noteDirectory(r.Context())
	if err != nil {
		return view, d, err
	}
	f.Header, f.Correcting = view.Header, true
	f.Kinds, f.Methods = noteKindOptions(), noteMethodOptions()
	f.Workers = d.workers([]string{view.Note.ServiceID}, v.User.ID)
	withdraw := r.PostForm["withdraw"]
	f.Existing = nil
	for _, a := range view.Note.Actions {
		if a.WithdrawnVersion != 0 {
			continue
		}
		row := d.actionRow(a)
		f.Existing = append(f.Existing, noteExistingAction{ID: a.ID, What: row.What, Who: row.Who, Due: row.Due, Withdraw: slices.Contains(withdraw, a.ID)})
	}
	return view, d, nil
}

func (s *Server) correctNoteForm(w http.ResponseWriter, r *http.Request, v *viewer) error {
	f := noteForm{basePage: s.base(v), ClientID: r.PathValue("id"), NoteID: r.PathValue("note")}
	view, _, err := s.fillCorrection(r, v, &f)
	if err != nil {
		return err
	}
	n := view.Note
	f.Version, f.Kind, f.Method = n.Version, string(n.Kind), string(n.Method)
	f.When = momentOf(n.ContactAt)
	f.Present, f.Discussed, f.Support, f.Expect = n.Present, n.Discussed, n.Support, n.Expectations
	f.Actions = []noteActionForm{{Index: 0, Number: 1}}
	return s.render(w, http.StatusOK, "note_form", f)
}

func (s *Server) correctNote(w http.ResponseWriter, r *http.Request, v *viewer) error {
	f := noteForm{basePage: s.base(v), ClientID: r.PathValue("id"), NoteID: r.PathValue("note")}
	text, acts := readNoteForm(r, &f, 1)
	f.Version, _ = strconv.ParseInt(r.PostFormValue("version"), 10, 64)
	status, conflict := http.StatusOK, false
	if r.PostFormValue("add_action") == "" {
		in := casework.CorrectionInput{Version: f.Version, Reason: f.Reason, NoteText: text, Withdraw: r.PostForm["withdraw"], Actions: acts}
		err := s.app.Casework.CorrectNote(r.Context(), v.User.Actor(), f.ClientID, f.NoteID, in)
		var ve *casework.ValidationError
		switch {
		case err == nil:
			http.Redirect(w, r, "/clients/"+f.ClientID+"/notes/"+f.NoteID+"?done=corrected", http.StatusSeeOther)
			return nil
		case errors.As(err, &ve):
			f.setErrors(ve)
			status = http.StatusBadRequest
		case errors.Is(err, casework.ErrConflict):
			status, conflict = http.StatusConflict, true
		default:
			return err
		}
	}
	// The form again: with a row more, its errors, or what someone else
	// saved meanwhile.
	view, d, err := s.fillCorrection(r, v, &f)
	if err != nil {
		return err
	}
	if conflict {
		// Show their version, keep what this person typed, and let them
		// save over the new version: nothing is lost.
		row := d.noteRow(view.Note)
		f.Conflict, f.Version = &row, view.Note.Version
		f.Errors = []errorItem{{"reason", "Someone else corrected this note while you were writing. Check their version below, then save again"}}
	}
	return s.render(w, status, "note_form", f)
}

func (s *Server) completeAction(w http.ResponseWriter, r *http.Request, v *viewer) error {
	id := r.PathValue("id")
	err := s.app.Casework.CompleteAction(r.Context(), v.User.Actor(), id, r.PathValue("action"))
	var ve *casework.ValidationError
	if errors.As(err, &ve) {
		return casework.ErrNotFound
	}
	if err != nil {
		return err
	}
	back := "/clients/" + id + "/notes"
	if n := r.PostFormValue("note"); store.ValidID(n) {
		back += "/" + n
	}
	http.Redirect(w, r, back+"?done=action", http.StatusSeeOther)
	return nil
}

// --- Letters and e-mails ---

type letterRow struct {
	ID, When, Channel, Recipient, Subject, By string
}

type lettersPage struct {
	basePage
	Header   casework.Header
	ClientID string
	Query    string
	Letters  []letterRow
	CanWrite bool
	PrevURL  string
	NextURL  string
}

func (s *Server) clientLetters(w http.ResponseWriter, r *http.Request, v *viewer) error {
	p, q, ok, err := s.notePurpose(w, r, v)
	if !ok || err != nil {
		return err
	}
	id := r.PathValue("id")
	page := notePage(r)
	view, err := s.app.Casework.Letters(r.Context(), v.User.Actor(), id, p, page)
	if err != nil {
		return err
	}
	d, err := s.noteDirectory(r.Context())
	if err != nil {
		return err
	}
	pg := lettersPage{basePage: s.base(v), Header: view.Header, ClientID: id, Query: q, CanWrite: view.CanWrite}
	for _, l := range view.Letters {
		pg.Letters = append(pg.Letters, letterRow{ID: l.ID, When: noteWhen(l.SentAt), Channel: l.Channel.Label(), Recipient: l.Recipient, Subject: l.Subject, By: d.name(l.SentBy)})
	}
	link := func(n int) string {
		u := url.Values{"page": {strconv.Itoa(n)}}
		if q != "" {
			u.Set("purpose", string(p))
		}
		return "/clients/" + id + "/letters?" + u.Encode()
	}
	if page > 1 {
		pg.PrevURL = link(page - 1)
	}
	if view.More {
		pg.NextURL = link(page + 1)
	}
	pg.Message = noteDoneMessages[r.URL.Query().Get("done")]
	return s.render(w, http.StatusOK, "letters", pg)
}

type letterPage struct {
	basePage
	Header   casework.Header
	ClientID string
	Query    string
	Letter   letterRow
	Service  string
	Address  []string
	Body     []string
}

func (s *Server) viewLetter(w http.ResponseWriter, r *http.Request, v *viewer) error {
	p, q, ok, err := s.notePurpose(w, r, v)
	if !ok || err != nil {
		return err
	}
	id := r.PathValue("id")
	view, err := s.app.Casework.Letter(r.Context(), v.User.Actor(), id, r.PathValue("letter"), p)
	if err != nil {
		return err
	}
	d, err := s.noteDirectory(r.Context())
	if err != nil {
		return err
	}
	l := view.Letter
	return s.render(w, http.StatusOK, "letters_view", letterPage{
		basePage: s.base(v), Header: view.Header, ClientID: id, Query: q,
		Letter:  letterRow{ID: l.ID, When: noteWhen(l.SentAt), Channel: l.Channel.Label(), Recipient: l.Recipient, Subject: l.Subject, By: d.name(l.SentBy)},
		Service: d.services[l.ServiceID], Address: noteLines(l.Address), Body: noteLines(l.Body),
	})
}

type letterForm struct {
	basePage
	Header        casework.Header
	ClientID      string
	PlainEnvelope bool
	Warnings      []string
	Services      []choice
	Service       string
	Cases         []choice
	Case          string
	Channels      []choice
	Channel       string
	When          dateFields
	Recipient     string
	Address       string
	Subject       string
	Body          string
	Err           map[string]string
}

func (s *Server) fillLetterForm(r *http.Request, v *viewer, f *letterForm) error {
	lf, err := s.app.Casework.NewLetterForm(r.Context(), v.User.Actor(), f.ClientID)
	if err != nil {
		return err
	}
	d, err := s.noteDirectory(r.Context())
	if err != nil {
		return err
	}
	f.Header, f.PlainEnvelope, f.Warnings = lf.Header, lf.PlainEnvelope, lf.Warnings
	if len(lf.Services) > 1 {
		f.Services = d.serviceOptions(lf.Services)
	}
	f.Cases = d.caseOptions(lf.Cases)
	f.Channels = nil
	for _, c := range casework.LetterChannels {
		f.Channels = append(f.Channels, choice{Value: string(c), Label: c.Label()})
	}
	return nil
}

func (s *Server) newLetterForm(w http.ResponseWriter, r *http.Request, v *viewer) error {
	f := letterForm{basePage: s.base(v), ClientID: r.PathValue("id")}
	if err := s.fillLetterForm(r, v, &f); err != nil {
		return err
	}
	f.When = momentOf(s.now())
	return s.render(w, http.StatusOK, "letters_new", f)
}

func (s *Server) recordLetter(w http.ResponseWriter, r *http.Request, v *viewer) error {
	f := letterForm{basePage: s.base(v), ClientID: r.PathValue("id")}
	f.Service, f.Case, f.Channel = r.PostFormValue("service"), r.PostFormValue("case"), r.PostFormValue("channel")
	f.When = postedDate(r, "when")
	f.Recipient, f.Address, f.Subject, f.Body = r.PostFormValue("recipient"), r.PostFormValue("address"), r.PostFormValue("subject"), r.PostFormValue("body")
	_, err := s.app.Casework.RecordLetter(r.Context(), v.User.Actor(), f.ClientID, casework.LetterInput{
		Service: f.Service, Case: f.Case, Channel: f.Channel, SentAt: f.When.dateTime(),
		Recipient: f.Recipient, Address: f.Address, Subject: f.Subject, Body: f.Body,
	})
	var ve *casework.ValidationError
	switch {
	case err == nil:
		http.Redirect(w, r, "/clients/"+f.ClientID+"/letters?done=letter", http.StatusSeeOther)
		return nil
	case !errors.As(err, &ve):
		return err
	}
	f.Err = noteErrors(ve, &f.basePage)
	if err := s.fillLetterForm(r, v, &f); err != nil {
		return err
	}
	return s.render(w, http.StatusBadRequest, "letters_new", f)
}

// --- Overdue notes and actions ---

type noteOverdueRow struct {
	ClientID, Reference, Since string
}

// noteOverdueSection is the viewer's overdue notes and actions, for the
// overdue page and the caseload home page.
type noteOverdueSection struct {
	Notes   []noteOverdueRow
	Actions []noteOverdueRow
}

// noteOverdue reads the viewer's overdue notes and actions: clear
// metadata only, nothing opened.
func (s *Server) noteOverdue(ctx context.Context, v *viewer) (noteOverdueSection, error) {
	var sec noteOverdueSection
	actor := v.User.Actor()
	notes, err := s.app.Casework.OverdueNotes(ctx, actor)
	if err != nil {
		return sec, err
	}
	for _, e := range notes {
		sec.Notes = append(sec.Notes, noteOverdueRow{ClientID: e.ClientID, Reference: casework.Reference(e.ClientID), Since: noteWhen(e.Since)})
	}
	acts, err := s.app.Casework.OverdueActions(ctx, actor)
	if err != nil {
		return sec, err
	}
	for _, e := range acts {
		sec.Actions = append(sec.Actions, noteOverdueRow{ClientID: e.ClientID, Reference: casework.Reference(e.ClientID), Since: e.Since.Format("2 January 2006")})
	}
	return sec, nil
}

type noteOverduePage struct {
	basePage
	noteOverdueSection
}

func (s *Server) overdueNotes(w http.ResponseWriter, r *http.Request, v *viewer) error {
	sec, err := s.noteOverdue(r.Context(), v)
	if err != nil {
		return err
	}
	return s.render(w, http.StatusOK, "note_overdue", noteOverduePage{basePage: s.base(v), noteOverdueSection: sec})
}

// --- A service's setting for sessional and clinical notes ---

type noteSettingPage struct {
	basePage
	ServiceID   string
	ServiceName string
	Options     []choice
	Value       string
	Err         map[string]string
}

var clinicalReaderOptions = []choice{
	{Value: string(access.ClinicalAuthorOnly), Label: "Only the note’s author and the service’s managers"},
	{Value: string(access.ClinicalAssigned), Label: "Also the worker who owns the client’s work in the service", Hint: "For example, a new counsellor after a hand-over"},
	{Value: string(access.ClinicalTeam), Label: "Also every caseworker of the service who works with the client", Hint: "Where the caseload is shared, the whole team"},
}

// noteSettingService finds a service the viewer manages, or ErrNotFound.
func (s *Server) noteSettingService(r *http.Request, v *viewer) (staff.Service, error) {
	id := r.PathValue("id")
	if v.User.Role != access.Manager || !v.User.Actor().InService(id) {
		return staff.Service{}, casework.ErrNotFound
	}
	sv, err := s.app.Staff.ServiceByID(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		return sv, casework.ErrNotFound
	}
	return sv, err
}

func (s *Server) clinicalNotesSetting(w http.ResponseWriter, r *http.Request, v *viewer) error {
	sv, err := s.noteSettingService(r, v)
	if err != nil {
		return err
	}
	c, err := s.app.Casework.ClinicalReaders(r.Context(), sv.ID)
	if err != nil {
		return err
	}
	pg := noteSettingPage{basePage: s.base(v), ServiceID: sv.ID, ServiceName: sv.Name, Options: clinicalReaderOptions, Value: string(c)}
	if r.URL.Query().Get("done") == "saved" {
		pg.Message = "Saved."
	}
	return s.render(w, http.StatusOK, "note_settings", pg)
}

func (s *Server) setClinicalNotesSetting(w http.ResponseWriter, r *http.Request, v *viewer) error {
	sv, err := s.noteSettingService(r, v)
	if err != nil {
		return err
	}
	pg := noteSettingPage{basePage: s.base(v), ServiceID: sv.ID, ServiceName: sv.Name, Options: clinicalReaderOptions, Value: r.PostFormValue("clinical_readers")}
	err = s.app.Casework.SetClinicalReaders(r.Context(), v.User.Actor(), sv.ID, access.ClinicalReaders(pg.Value))
	var ve *casework.ValidationError
	switch {
	case errors.As(err, &ve):
		pg.Err = noteErrors(ve, &pg.basePage)
		return s.render(w, http.StatusBadRequest, "note_settings", pg)
	case err != nil:
		return err
	}
	http.Redirect(w, r, "/services/"+sv.ID+"/clinical-notes?done=saved", http.StatusSeeOther)
	return nil
}

// --- JSON API ---

type apiNoteAction struct {
	ID               string `json:"id"`
	Note             string `json:"note"`
	What             string `json:"what"`
	Who              string `json:"who"`
	Worker           string `json:"worker,omitempty"`
	Other            string `json:"other,omitempty"`
	Due              string `json:"due"`
	Owner            string `json:"owner"`
	AddedVersion     int64  `json:"added_version"`
	WithdrawnVersion int64  `json:"withdrawn_version,omitempty"`
	Done             bool   `json:"done"`
	DoneAt           string `json:"done_at,omitempty"`
	DoneBy           string `json:"done_by,omitempty"`
	Overdue          bool   `json:"overdue"`
}

type apiNoteVersion struct {
	Version      int64  `json:"version"`
	Kind         string `json:"kind"`
	Method       string `json:"method"`
	ContactAt    string `json:"contact_at"`
	WrittenBy    string `json:"written_by"`
	WrittenAt    string `json:"written_at"`
	Withheld     bool   `json:"withheld"`
	Reason       string `json:"reason,omitempty"`
	Present      string `json:"present,omitempty"`
	Discussed    string `json:"discussed,omitempty"`
	Support      string `json:"support,omitempty"`
	Expectations string `json:"expectations,omitempty"`
}

type apiNote struct {
	ID           string           `json:"id"`
	Client       string           `json:"client"`
	Service      string           `json:"service"`
	Case         string           `json:"case,omitempty"`
	Author       string           `json:"author"`
	Kind         string           `json:"kind"`
	Method       string           `json:"method"`
	ContactAt    string           `json:"contact_at"`
	Version      int64            `json:"version"`
	Corrected    bool             `json:"corrected"`
	Withheld     bool             `json:"withheld"`
	Present      string           `json:"present,omitempty"`
	Discussed    string           `json:"discussed,omitempty"`
	Support      string           `json:"support,omitempty"`
	Expectations string           `json:"expectations,omitempty"`
	Actions      []apiNoteAction  `json:"actions"`
	Versions     []apiNoteVersion `json:"versions,omitempty"`
	CreatedAt    string           `json:"created_at"`
	UpdatedAt    string           `json:"updated_at"`
}

func noteAPITime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func toAPINoteAction(a casework.AgreedAction) apiNoteAction {
	out := apiNoteAction{ID: a.ID, Note: a.NoteID, What: a.What, Who: string(a.By), Worker: a.WorkerID, Other: a.Other, Due: a.Due,
		Owner: a.OwnerID, AddedVersion: a.AddedVersion, WithdrawnVersion: a.WithdrawnVersion, Done: a.Done(), DoneBy: a.DoneBy, Overdue: a.Overdue}
	if a.Done() {
		out.DoneAt = noteAPITime(a.DoneAt)
	}
	return out
}

func toAPINote(n casework.Note) apiNote {
	out := apiNote{ID: n.ID, Client: n.ClientID, Service: n.ServiceID, Case: n.CaseID, Author: n.AuthorID, Kind: string(n.Kind), Method: string(n.Method),
		ContactAt: noteAPITime(n.ContactAt), Version: n.Version, Corrected: n.Corrected(), Withheld: n.Withheld,
		Present: n.Present, Discussed: n.Discussed, Support: n.Support, Expectations: n.Expectations,
		Actions: []apiNoteAction{}, CreatedAt: noteAPITime(n.CreatedAt), UpdatedAt: noteAPITime(n.UpdatedAt)}
	for _, a := range n.Actions {
		out.Actions = append(out.Actions, toAPINoteAction(a))
	}
	for _, v := range n.Versions {
		out.Versions = append(out.Versions, apiNoteVersion{Version: v.Version, Kind: string(v.Kind), Method: string(v.Method), ContactAt: noteAPITime(v.ContactAt),
			WrittenBy: v.WrittenBy, WrittenAt: noteAPITime(v.WrittenAt), Withheld: v.Withheld, Reason: v.Reason,
			Present: v.Present, Discussed: v.Discussed, Support: v.Support, Expectations: v.Expectations})
	}
	return out
}

type apiExpectedContact struct {
	ID        string `json:"id"`
	Case      string `json:"case,omitempty"`
	Worker    string `json:"worker"`
	ContactAt string `json:"contact_at"`
	Overdue   bool   `json:"overdue"`
}

func (s *Server) apiNotes(w http.ResponseWriter, r *http.Request, v *viewer) error {
	p, err := apiPurpose(r, v)
	if err != nil {
		return err
	}
	page := notePage(r)
	view, err := s.app.Casework.Notes(r.Context(), v.User.Actor(), r.PathValue("id"), p, page)
	if err != nil {
		return err
	}
	out := struct {
		Notes    []apiNote            `json:"notes"`
		Page     int                  `json:"page"`
		More     bool                 `json:"more"`
		Awaiting []apiExpectedContact `json:"awaiting"`
	}{Notes: []apiNote{}, Page: page, More: view.More, Awaiting: []apiExpectedContact{}}
	for _, n := range view.Notes {
		out.Notes = append(out.Notes, toAPINote(n))
	}
	for _, c := range view.Awaiting {
		out.Awaiting = append(out.Awaiting, apiExpectedContact{ID: c.ID, Case: c.CaseID, Worker: c.WorkerID, ContactAt: noteAPITime(c.At), Overdue: c.Overdue})
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) apiGetNote(w http.ResponseWriter, r *http.Request, v *viewer) error {
	p, err := apiPurpose(r, v)
	if err != nil {
		return err
	}
	view, err := s.app.Casework.Note(r.Context(), v.User.Actor(), r.PathValue("id"), r.PathValue("note"), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toAPINote(view.Note))
	return nil
}

func (s *Server) apiCorrectNote(w http.ResponseWriter, r *http.Request, v *viewer) error {
	var in casework.CorrectionInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	noteID := r.PathValue("note")
	if err := s.app.Casework.CorrectNote(r.Context(), v.User.Actor(), r.PathValue("id"), noteID, in); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": noteID, "version": in.Version + 1})
	return nil
}

func (s *Server) apiCompleteAction(w http.ResponseWriter, r *http.Request, v *viewer) error {
	id := r.PathValue("action")
	if err := s.app.Casework.CompleteAction(r.Context(), v.User.Actor(), r.PathValue("id"), id); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": id, "done": true})
	return nil
}

type apiLetter struct {
	ID        string `json:"id"`
	Client    string `json:"client"`
	Service   string `json:"service"`
	Case      string `json:"case,omitempty"`
	Channel   string `json:"channel"`
	SentAt    string `json:"sent_at"`
	SentBy    string `json:"sent_by"`
	Recipient string `json:"recipient"`
	Address   string `json:"address,omitempty"`
	Subject   string `json:"subject"`
	Body      string `json:"body,omitempty"`
	CreatedAt string `json:"created_at"`
}

func toAPILetter(l casework.Letter) apiLetter {
	return apiLetter{ID: l.ID, Client: l.ClientID, Service: l.ServiceID, Case: l.CaseID, Channel: string(l.Channel), SentAt: noteAPITime(l.SentAt),
		SentBy: l.SentBy, Recipient: l.Recipient, Address: l.Address, Subject: l.Subject, Body: l.Body, CreatedAt: noteAPITime(l.CreatedAt)}
}

func (s *Server) apiLetters(w http.ResponseWriter, r *http.Request, v *viewer) error {
	p, err := apiPurpose(r, v)
	if err != nil {
		return err
	}
	page := notePage(r)
	view, err := s.app.Casework.Letters(r.Context(), v.User.Actor(), r.PathValue("id"), p, page)
	if err != nil {
		return err
	}
	out := struct {
		Letters []apiLetter `json:"letters"`
		Page    int         `json:"page"`
		More    bool        `json:"more"`
	}{Letters: []apiLetter{}, Page: page, More: view.More}
	for _, l := range view.Letters {
		out.Letters = append(out.Letters, toAPILetter(l))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) apiGetLetter(w http.ResponseWriter, r *http.Request, v *viewer) error {
	p, err := apiPurpose(r, v)
	if err != nil {
		return err
	}
	view, err := s.app.Casework.Letter(r.Context(), v.User.Actor(), r.PathValue("id"), r.PathValue("letter"), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toAPILetter(view.Letter))
	return nil
}

type apiOverdue struct {
	Client string `json:"client"`
	ID     string `json:"id"`
	Since  string `json:"since"`
}

func (s *Server) apiOverdueNotes(w http.ResponseWriter, r *http.Request, v *viewer) error {
	actor := v.User.Actor()
	notes, err := s.app.Casework.OverdueNotes(r.Context(), actor)
	if err != nil {
		return err
	}
	acts, err := s.app.Casework.OverdueActions(r.Context(), actor)
	if err != nil {
		return err
	}
	out := struct {
		Notes   []apiOverdue `json:"notes"`
		Actions []apiOverdue `json:"actions"`
	}{Notes: []apiOverdue{}, Actions: []apiOverdue{}}
	for _, e := range notes {
		out.Notes = append(out.Notes, apiOverdue{e.ClientID, e.ID, noteAPITime(e.Since)})
	}
	for _, e := range acts {
		out.Actions = append(out.Actions, apiOverdue{e.ClientID, e.ID, e.Since.Format(casework.DateLayout)})
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

type apiClinicalReaders struct {
	Service         string `json:"service,omitempty"`
	ClinicalReaders string `json:"clinical_readers"`
}

func (s *Server) apiClinicalReaders(w http.ResponseWriter, r *http.Request, v *viewer) error {
	id := r.PathValue("id")
	if !v.User.Actor().InService(id) {
		return casework.ErrNotFound
	}
	c, err := s.app.Casework.ClinicalReaders(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, apiClinicalReaders{Service: id, ClinicalReaders: string(c)})
	return nil
}

func (s *Server) apiSetClinicalReaders(w http.ResponseWriter, r *http.Request, v *viewer) error {
	var in apiClinicalReaders
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	id := r.PathValue("id")
	if !v.User.Actor().InService(id) {
		return casework.ErrNotFound
	}
	if err := s.app.Casework.SetClinicalReaders(r.Context(), v.User.Actor(), id, access.ClinicalReaders(in.ClinicalReaders)); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, apiClinicalReaders{Service: id, ClinicalReaders: in.ClinicalReaders})
	return nil
}
