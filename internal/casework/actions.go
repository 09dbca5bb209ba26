package casework

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/caseward/caseward/internal/access"
	"github.com/caseward/caseward/internal/gate"
	"github.com/caseward/caseward/internal/store"
)

// Agreed actions: what was agreed at a contact, who does it, by when, and
// whether it is done (P02). Actions are overdue the day after they were
// due, until done or withdrawn.

// ActionBy says who does an agreed action.
type ActionBy string

// Who may do an agreed action.
const (
	ActionByWorker ActionBy = "worker" // a member of staff of the note's service
	ActionByClient ActionBy = "client" // the client
	ActionByOther  ActionBy = "other"  // someone else, named
)

// ActionBys lists who may do an action, in the order forms offer them.
var ActionBys = []ActionBy{ActionByWorker, ActionByClient, ActionByOther}

// Valid reports whether b is one of ActionBys.
func (b ActionBy) Valid() bool {
	return b == ActionByWorker || b == ActionByClient || b == ActionByOther
}

// Limits on an agreed action, in characters.
const (
	MaxActionWhat  = 1000
	MaxActionOther = 200
)

// AgreedActionInput is an agreed action as typed or sent. A row with
// nothing in it is not an action, and is skipped.
type AgreedActionInput struct {
	What   string `json:"what"`
	Who    string `json:"who"`    // worker, client or other
	Worker string `json:"worker"` // the worker's id, when Who is worker
	Other  string `json:"other"`  // who does it, when Who is other
	Due    string `json:"due"`    // YYYY-MM-DD
}

func (a AgreedActionInput) blank() bool {
	return strings.TrimSpace(a.What) == "" && strings.TrimSpace(a.Who) == "" && strings.TrimSpace(a.Worker) == "" &&
		strings.TrimSpace(a.Other) == "" && strings.TrimSpace(a.Due) == ""
}

// AgreedAction is an agreed action as a reader sees it.
type AgreedAction struct {
	ID       string
	NoteID   string
	ClientID string
	What     string
	By       ActionBy
	WorkerID string // when By is ActionByWorker
	Other    string // when By is ActionByOther
	Due      string // YYYY-MM-DD
	// OwnerID is who follows it up: the worker doing it, or else the
	// note's author.
	OwnerID          string
	AddedVersion     int64 // the note's version that added it
	WithdrawnVersion int64 // the version that withdrew it; 0 if none
	DoneAt           time.Time
	DoneBy           string
	// Overdue is true when it is past its day and neither done nor
	// withdrawn.
	Overdue bool
}

// Done reports whether the action has been done.
func (a AgreedAction) Done() bool { return !a.DoneAt.IsZero() }

// DueDate returns the day the action is due.
func (a AgreedAction) DueDate() time.Time {
	d, _ := time.Parse(DateLayout, a.Due)
	return d
}

type validAction struct {
	what, other, worker, due string
	by                       ActionBy
	field                    string // e.g. actions[2], for errors found later
}

// validateActions checks the actions typed for a contact at contactAt.
func validateActions(v *ValidationError, prefix string, ins []AgreedActionInput, contactAt time.Time) []validAction {
	var out []validAction
	earliest := ""
	if !contactAt.IsZero() {
		earliest = ukToday(contactAt)
	}
	for i, in := range ins {
		if in.blank() {
			continue
		}
		f := prefix + "[" + strconv.Itoa(i) + "]"
		a := validAction{field: f}
		a.what = cleanText(v, f+".what", "the action", in.What, MaxActionWhat, true)
		if a.what == "" && v.For(f+".what") == "" {
			v.add(f+".what", "Enter what was agreed")
		}
		a.by = ActionBy(strings.TrimSpace(in.Who))
		switch a.by {
		case ActionByWorker:
			a.worker = strings.TrimSpace(in.Worker)
			if !store.ValidID(a.worker) {
				v.add(f+".worker", "Choose the member of staff who will do it")
			}
		case ActionByClient:
		case ActionByOther:
			a.other = cleanText(v, f+".other", "who will do it", in.Other, MaxActionOther, false)
			if a.other == "" && v.For(f+".other") == "" {
				v.add(f+".other", "Enter who will do it")
			}
		default:
			v.add(f+".who", "Choose who will do it")
		}
		a.due = strings.TrimSpace(in.Due)
		d, err := time.Parse(DateLayout, a.due)
		switch {
		case a.due == "":
			v.add(f+".due", "Enter the date it is to be done by")
		case err != nil:
			v.add(f+".due", "The date it is to be done by must be a real date, for example 9 12 2026")
		case earliest != "" && a.due < earliest:
			v.add(f+".due", "The date it is to be done by must be on or after the day of the contact")
		case d.Year() > contactAt.Year()+5:
			v.add(f+".due", "The date it is to be done by must be within five years")
		}
		out = append(out, a)
	}
	if len(out) > MaxNoteActions {
		v.add(prefix, "Record at most "+strconv.Itoa(MaxNoteActions)+" actions at once")
	}
	return out
}

// checkWorkers checks that the workers chosen for actions are active
// members of staff of the note's service. Staff and their services are
// package staff's tables; only ids are read.
func (cw *Casework) checkWorkers(ctx context.Context, v *ValidationError, prefix, serviceID string, acts []validAction) error {
	var ids []any
	for _, a := range acts {
		if a.by == ActionByWorker && store.ValidID(a.worker) {
			ids = append(ids, a.worker)
		}
	}
	if len(ids) == 0 || serviceID == "" {
		return nil
	}
	rows, err := cw.db.Query(ctx, `SELECT us.user_id FROM user_services us JOIN users u ON u.id = us.user_id
		WHERE us.service_id = ? AND u.disabled = 0 AND us.user_id IN (`+strings.Repeat(",?", len(ids))[1:]+`)`,
		append([]any{serviceID}, ids...)...)
	if err != nil {
		return fmt.Errorf("check workers: %w", err)
	}
	defer rows.Close()
	ok := map[string]bool{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return fmt.Errorf("check workers: %w", err)
		}
		ok[id] = true
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("check workers: %w", err)
	}
	for _, a := range acts {
		if a.by == ActionByWorker && store.ValidID(a.worker) && !ok[a.worker] {
			v.add(a.field+".worker", "Choose a member of staff of the note’s service")
		}
	}
	return nil
}

type sealedAction struct {
	id          string
	what, other []byte
	a           validAction
}

func sealActions(h *gate.Handle, acts []validAction) ([]sealedAction, error) {
	out := make([]sealedAction, 0, len(acts))
	for _, a := range acts {
		s := sealedAction{id: store.NewID(), a: a}
		var err error
		if s.what, err = h.SealString(noteActionsTable, "what", s.id, a.what); err != nil {
			return nil, err
		}
		if a.by == ActionByOther {
			if s.other, err = h.SealString(noteActionsTable, "other_name", s.id, a.other); err != nil {
				return nil, err
			}
		}
		out = append(out, s)
	}
	return out, nil
}

func insertActions(ctx context.Context, tx *store.Tx, noteID, clientID, serviceID, authorID string, version int64, acts []sealedAction) error {
	for _, s := range acts {
		owner := authorID
		if s.a.by == ActionByWorker {
			owner = s.a.worker
		}
		if _, err := tx.Exec(ctx, `INSERT INTO note_actions (id, note_id, client_id, service_id, added_version, what, assignee, worker_id, other_name, owner_id, due_on)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			s.id, noteID, clientID, serviceID, version, s.what, string(s.a.by), s.a.worker, s.other, owner, s.a.due); err != nil {
			return err
		}
	}
	return nil
}

// noteActions reads and decrypts the actions of the given notes of h's
// client, by date due; withdrawn ones only when asked.
func (cw *Casework) noteActions(ctx context.Context, h *gate.Handle, noteIDs []string, withdrawn bool) ([]AgreedAction, error) {
	if len(noteIDs) == 0 {
		return nil, nil
	}
	args := []any{h.ClientID()}
	for _, id := range noteIDs {
		args = append(args, id)
	}
	q := `SELECT id, note_id, what, assignee, worker_id, other_name, owner_id, due_on, added_version, withdrawn_version, done_at, done_by
		FROM note_actions WHERE client_id = ? AND note_id IN (` + strings.Repeat(",?", len(noteIDs))[1:] + `)`
	if !withdrawn {
		q += " AND withdrawn_version = 0"
	}
	rows, err := cw.db.Query(ctx, q+" ORDER BY due_on, id", args...)
	if err != nil {
		return nil, fmt.Errorf("read actions: %w", err)
	}
	defer rows.Close()
	today := ukToday(cw.now())
	var out []AgreedAction
	for rows.Next() {
		a := AgreedAction{ClientID: h.ClientID()}
		var what, other []byte
		var by string
		var done int64
		if err := rows.Scan(&a.ID, &a.NoteID, &what, &by, &a.WorkerID, &other, &a.OwnerID, &a.Due, &a.AddedVersion, &a.WithdrawnVersion, &done, &a.DoneBy); err != nil {
			return nil, fmt.Errorf("read actions: %w", err)
		}
		a.By = ActionBy(by)
		if done != 0 {
			a.DoneAt = noteMicro(done)
		}
		if a.What, err = h.OpenString(noteActionsTable, "what", a.ID, what); err != nil {
			return nil, fmt.Errorf("read actions: %w", err)
		}
		if other != nil {
			if a.Other, err = h.OpenString(noteActionsTable, "other_name", a.ID, other); err != nil {
				return nil, fmt.Errorf("read actions: %w", err)
			}
		}
		a.Overdue = done == 0 && a.WithdrawnVersion == 0 && a.Due < today
		out = append(out, a)
	}
	return out, rows.Err()
}

// CompleteAction marks an agreed action done. Marking it again changes
// nothing; a withdrawn action cannot be done.
func (cw *Casework) CompleteAction(ctx context.Context, actor access.Actor, clientID, actionID string) error {
	h, err := cw.gate.OpenClient(ctx, actor, clientID, access.Casework, access.WriteNotes)
	if err != nil {
		return err
	}
	if !store.ValidID(actionID) {
		return ErrNotFound
	}
	var noteID string
	var withdrawn, done int64
	err = store.NotFound(cw.db.QueryRow(ctx, "SELECT note_id, withdrawn_version, done_at FROM note_actions WHERE id = ? AND client_id = ?",
		actionID, clientID).Scan(&noteID, &withdrawn, &done))
	if errors.Is(err, store.ErrNotFound) {
		return ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("complete action: %w", err)
	}
	n, err := cw.noteMeta(ctx, clientID, noteID)
	if err != nil {
		return err
	}
	settings, err := cw.clinicalSettings(ctx, h.Subject())
	if err != nil {
		return err
	}
	if !mayReadNote(actor, h, access.Casework, settings, n.ServiceID, n.AuthorID, n.Kind) {
		return ErrNotFound
	}
	switch {
	case withdrawn != 0:
		return &ValidationError{Fields: []FieldError{{"action", "That action was withdrawn by a correction of the note"}}}
	case done != 0:
		return nil
	}
	now := cw.now().UTC().UnixMicro()
	return h.Update(ctx, []string{noteID, actionID}, func(ctx context.Context, tx *store.Tx) error {
		_, err := tx.Exec(ctx, "UPDATE note_actions SET open = 0, done_at = ?, done_by = ? WHERE id = ? AND client_id = ? AND open = 1",
			now, actor.UserID, actionID, clientID)
		return err
	})
}

// OverdueEntry is a contact still without a note, or an agreed action not
// done, past its time: clear metadata only, for caseload and home pages.
type OverdueEntry struct {
	ClientID string
	ID       string    // the contact's or the action's id
	Since    time.Time // when the contact was; the day the action was due
}

// overdueLimit bounds an overdue list: beyond it, the manager has a
// different problem.
const overdueLimit = 500

// OverdueNotes lists, oldest first, the contacts without a note that are
// overdue (P02) in actor's caseload: for a caseworker, the contacts they
// had; for a service manager, the contacts of their services' cases (and,
// for contacts outside any case, of the 1,000 clients most recently
// linked to their services). At most 500. Nothing is decrypted and nothing
// opened: it reads ids and dates only.
func (cw *Casework) OverdueNotes(ctx context.Context, actor access.Actor) ([]OverdueEntry, error) {
	cutoff := noteOverdueBefore(cw.now()).UnixMicro()
	scan := func(q string, args ...any) ([]OverdueEntry, error) {
		rows, err := cw.db.Query(ctx, q, args...)
		if err != nil {
			return nil, fmt.Errorf("overdue notes: %w", err)
		}
		defer rows.Close()
		var out []OverdueEntry
		for rows.Next() {
			var e OverdueEntry
			var at int64
			if err := rows.Scan(&e.ClientID, &e.ID, &at); err != nil {
				return nil, fmt.Errorf("overdue notes: %w", err)
			}
			e.Since = noteMicro(at)
			out = append(out, e)
		}
		return out, rows.Err()
	}
	switch actor.Role {
	case access.Caseworker:
		return scan(`SELECT client_id, id, contact_at FROM note_contacts
			WHERE worker_id = ? AND note_id = '' AND contact_at < ? ORDER BY contact_at, id LIMIT ?`, actor.UserID, cutoff, overdueLimit)
	case access.Manager:
		if len(actor.Services) == 0 {
			return nil, nil
		}
		svcs := make([]any, 0, len(actor.Services)+2)
		for _, id := range actor.Services {
			svcs = append(svcs, id)
		}
		out, err := scan(`SELECT client_id, id, contact_at FROM note_contacts
			WHERE service_id IN (`+strings.Repeat(",?", len(svcs))[1:]+`) AND note_id = '' AND contact_at < ? ORDER BY contact_at, id LIMIT ?`,
			append(svcs, cutoff, overdueLimit)...)
		if err != nil {
			return nil, err
		}
		// Contacts outside any case: those of the clients in the manager's
		// reach.
		err = cw.caseloadChunks(ctx, actor, func(marks string, ids []any) error {
			got, err := scan(`SELECT client_id, id, contact_at FROM note_contacts
				WHERE client_id IN (`+marks+`) AND note_id = '' AND contact_at < ? AND service_id = '' ORDER BY contact_at, id LIMIT ?`, append(ids, cutoff, overdueLimit)...)
			out = append(out, got...)
			return err
		})
		return sortOverdue(out), err
	}
	return nil, nil
}

// OverdueActions lists, oldest first, the agreed actions past their day
// and neither done nor withdrawn in actor's caseload: for a caseworker,
// those they follow up; for a service manager, those agreed in notes of
// their services. At most 500; ids and dates only.
func (cw *Casework) OverdueActions(ctx context.Context, actor access.Actor) ([]OverdueEntry, error) {
	today := ukToday(cw.now())
	scan := func(q string, args ...any) ([]OverdueEntry, error) {
		rows, err := cw.db.Query(ctx, q, args...)
		if err != nil {
			return nil, fmt.Errorf("overdue actions: %w", err)
		}
		defer rows.Close()
		var out []OverdueEntry
		for rows.Next() {
			var e OverdueEntry
			var due string
			if err := rows.Scan(&e.ClientID, &e.ID, &due); err != nil {
				return nil, fmt.Errorf("overdue actions: %w", err)
			}
			e.Since, _ = time.Parse(DateLayout, due)
			out = append(out, e)
		}
		return out, rows.Err()
	}
	switch actor.Role {
	case access.Caseworker:
		return scan(`SELECT client_id, id, due_on FROM note_actions
			WHERE owner_id = ? AND open = 1 AND due_on < ? ORDER BY due_on, id LIMIT ?`, actor.UserID, today, overdueLimit)
	case access.Manager:
		if len(actor.Services) == 0 {
			return nil, nil
		}
		svcs := make([]any, 0, len(actor.Services)+2)
		for _, id := range actor.Services {
			svcs = append(svcs, id)
		}
		return scan(`SELECT client_id, id, due_on FROM note_actions
			WHERE service_id IN (`+strings.Repeat(",?", len(svcs))[1:]+`) AND open = 1 AND due_on < ? ORDER BY due_on, id LIMIT ?`,
			append(svcs, today, overdueLimit)...)
	}
	return nil, nil
}

// caseloadChunks calls fn with the clients the actor may work with, a few
// hundred at a time, as '?' marks and arguments.
func (cw *Casework) caseloadChunks(ctx context.Context, actor access.Actor, fn func(marks string, ids []any) error) error {
	ids, err := cw.gate.Reach(ctx, actor, false, 1000, 0)
	if err != nil {
		return err
	}
	const chunk = 250
	for start := 0; start < len(ids); start += chunk {
		part := ids[start:min(start+chunk, len(ids))]
		args := make([]any, len(part), len(part)+2)
		for i, id := range part {
			args[i] = id
		}
		if err := fn(strings.Repeat(",?", len(part))[1:], args); err != nil {
			return err
		}
	}
	return nil
}

func sortOverdue(es []OverdueEntry) []OverdueEntry {
	slices.SortFunc(es, func(a, b OverdueEntry) int {
		if c := a.Since.Compare(b.Since); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	if len(es) > overdueLimit {
		es = es[:overdueLimit]
	}
	return es
}
