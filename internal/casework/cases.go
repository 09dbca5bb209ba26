package casework

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/caseward/caseward/internal/access"
	"github.com/caseward/caseward/internal/audit"
	"github.com/caseward/caseward/internal/gate"
	"github.com/caseward/caseward/internal/store"
)

// CaseKind says what sort of work a case is.
type CaseKind string

// The kinds of case.
const (
	Enquiry     CaseKind = "enquiry"  // someone asked for help or information
	Referral    CaseKind = "referral" // a GP, social care, another agency or the client referred them
	PieceOfWork CaseKind = "work"     // a piece of work: a course of counselling, advocacy on a matter
)

// CaseKinds lists the kinds, in the order forms offer them.
var CaseKinds = []CaseKind{Enquiry, Referral, PieceOfWork}

// Label is the kind in words.
func (k CaseKind) Label() string {
	switch k {
	case Enquiry:
		return "Enquiry"
	case Referral:
		return "Referral"
	case PieceOfWork:
		return "Piece of work"
	}
	return string(k)
}

// CaseStatus is where a case stands.
type CaseStatus string

// The statuses of a case. Open and on-hold cases are the owner's caseload;
// a closed case has a closing reason.
const (
	CaseOpen   CaseStatus = "open"
	CaseOnHold CaseStatus = "on-hold"
	CaseClosed CaseStatus = "closed"
)

// CaseStatuses lists the statuses, in the order forms offer them.
var CaseStatuses = []CaseStatus{CaseOpen, CaseOnHold, CaseClosed}

// Label is the status in words.
func (s CaseStatus) Label() string {
	switch s {
	case CaseOpen:
		return "Open"
	case CaseOnHold:
		return "On hold"
	case CaseClosed:
		return "Closed"
	}
	return string(s)
}

// CloseReason is why a case was closed: a code from a fixed list, so that
// it can be counted for funders without reading anyone's notes.
type CloseReason string

// The reasons a case may be closed for.
const (
	ClosedCompleted   CloseReason = "completed"
	ClosedClientEnded CloseReason = "client-ended"
	ClosedReferredOn  CloseReason = "referred-on"
	ClosedNoContact   CloseReason = "no-contact"
	ClosedNotEligible CloseReason = "not-eligible"
	ClosedMovedAway   CloseReason = "moved-away"
	ClosedDied        CloseReason = "died"
	ClosedInError     CloseReason = "opened-in-error"
)

// CloseReasons lists the closing reasons, in the order forms offer them.
var CloseReasons = []CloseReason{ClosedCompleted, ClosedClientEnded, ClosedReferredOn, ClosedNoContact,
	ClosedNotEligible, ClosedMovedAway, ClosedDied, ClosedInError}

// Label is the reason in words.
func (r CloseReason) Label() string {
	switch r {
	case ClosedCompleted:
		return "Work completed"
	case ClosedClientEnded:
		return "The client ended the work"
	case ClosedReferredOn:
		return "Referred to another organisation"
	case ClosedNoContact:
		return "Could not contact the client"
	case ClosedNotEligible:
		return "Outside what the service offers"
	case ClosedMovedAway:
		return "The client moved away"
	case ClosedDied:
		return "The client died"
	case ClosedInError:
		return "Opened in error"
	}
	return string(r)
}

// Case is one piece of work with a client in one service, with exactly one
// named owner (P03). Everything in it is clear metadata: no personal data.
type Case struct {
	ID          string
	ClientID    string
	ServiceID   string
	Kind        CaseKind
	Status      CaseStatus
	OwnerID     string
	OpenedOn    time.Time
	ClosedOn    time.Time // zero unless closed
	CloseReason CloseReason
	Version     int64
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Active reports whether the case is part of its owner's caseload (open
// or on hold).
func (c Case) Active() bool { return c.Status != CaseClosed }

// CaseEventKind is what happened to a case.
type CaseEventKind string

// The events of a case's history.
const (
	EventOpened   CaseEventKind = "opened"
	EventStatus   CaseEventKind = "status"
	EventHandOver CaseEventKind = "handover"
)

// CaseEvent is one entry of a case's history: who did what, when, and why.
type CaseEvent struct {
	ID          string
	Kind        CaseEventKind
	At          time.Time
	ByID        string
	FromStatus  CaseStatus
	ToStatus    CaseStatus
	CloseReason CloseReason
	FromOwnerID string
	ToOwnerID   string
	MoveID      string // set when the hand-over was part of a caseload move (P08)
	Note        string // the closing note or the hand-over's reason, decrypted
}

// CaseInput opens a case, as typed into a form or sent to the API.
type CaseInput struct {
	ServiceID string `json:"service"`
	Kind      string `json:"kind"`
	OwnerID   string `json:"owner"`
	OpenedOn  string `json:"opened_on"` // YYYY-MM-DD; empty means today
}

// StatusInput changes a case's status. Version is the case's version the
// change was made from; Reason (a CloseReasons code) is required to close.
type StatusInput struct {
	Status  string `json:"status"`
	Reason  string `json:"reason"`
	Note    string `json:"note"`
	Version int64  `json:"version"`
}

// HandOverInput gives a case to another owner, saying why.
type HandOverInput struct {
	OwnerID string `json:"owner"`
	Reason  string `json:"reason"`
	Version int64  `json:"version"`
}

// CaseloadMoveInput moves a worker's whole caseload to another worker.
type CaseloadMoveInput struct {
	ToID   string `json:"to"`
	Reason string `json:"reason"`
}

// MoveResult says what a caseload move did.
type MoveResult struct {
	MoveID  string // groups the hand-over records; "" when nothing moved
	Moved   int    // cases handed over
	Clients int    // clients whose cases moved
	// LeftAlone counts, per service, the worker's open cases in services
	// the manager does not manage: a manager of those services moves them.
	LeftAlone []ServiceCount
}

// ServiceCount is a number of cases in one service.
type ServiceCount struct {
	ServiceID string `json:"service"`
	Cases     int    `json:"cases"`
}

// CaseList is a client's cases, with the record's header.
type CaseList struct {
	Header Header
	Cases  []Case
}

// CaseDetail is one case with its history, and the record's header.
type CaseDetail struct {
	Header Header
	Case   Case
	Events []CaseEvent
}

// CaseloadRow is one line of a caseload: the case, and the client as a
// list may show them (ListRows: their name, or initials where the name is
// hidden, and their flags).
type CaseloadRow struct {
	Case
	Client ClientRow // only Reference is set when the client could not be opened
}

// CaseloadFilter chooses the active cases of a caseload page.
type CaseloadFilter struct {
	OwnerID    string   // the cases this worker owns; or
	ServiceIDs []string // the cases of these services (managers)
	Limit      int      // default 25, at most 200
	Offset     int
}

const (
	casesTable      = "cases"
	caseEventsTable = "case_events"
	// MaxCaseNote bounds a closing note or a hand-over's reason, in characters.
	MaxCaseNote = 2000
)

// mayChangeCases reports whether the actor's role opens, closes and hands
// over cases: caseworkers and service managers. Admin staff book and
// handle contact details; the DPO reads only.
func mayChangeCases(a access.Actor) bool {
	return a.Role == access.Caseworker || a.Role == access.Manager
}

// MayHandOver reports whether the actor may give case c to someone else:
// a manager of its service, or its owner passing on their own work.
func MayHandOver(a access.Actor, c Case) bool {
	if !a.InService(c.ServiceID) {
		return false
	}
	return a.Role == access.Manager || (a.Role == access.Caseworker && a.UserID == c.OwnerID)
}

// MayChangeStatus reports whether the actor may open, hold or close case c
// (the gate still decides whether they may edit the client at all).
func MayChangeStatus(a access.Actor, c Case) bool {
	return mayChangeCases(a) && a.InService(c.ServiceID)
}

// caseVisible reports whether the actor sees case c in a client's record:
// the cases of their own services (need to know, P13), or every case for
// the DPO answering a request or reviewing.
func caseVisible(a access.Actor, c Case) bool {
	return a.Role == access.DPO || a.InService(c.ServiceID)
}

type rowQuerier interface {
	QueryRow(ctx context.Context, query string, args ...any) *sql.Row
}

// isWorker reports whether userID is an enabled caseworker or service
// manager of serviceID: who may own a case there. It reads staff's tables
// for ids and roles only (no client data is in them).
func isWorker(ctx context.Context, q rowQuerier, userID, serviceID string) (bool, error) {
	if !store.ValidID(userID) || !store.ValidID(serviceID) {
		return false, nil
	}
	var one int
	err := store.NotFound(q.QueryRow(ctx, `SELECT 1 FROM users u JOIN user_services us ON us.user_id = u.id
		WHERE u.id = ? AND us.service_id = ? AND u.disabled = 0 AND u.role IN (?, ?)`,
		userID, serviceID, string(access.Caseworker), string(access.Manager)).Scan(&one))
	switch {
	case errors.Is(err, store.ErrNotFound):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("check worker: %w", err)
	}
	return true, nil
}

// cleanNote trims a closing note or hand-over reason and checks it: it may
// span lines but holds no other control characters.
func cleanNote(v *ValidationError, field, label, s string, required bool) string {
	s = strings.TrimSpace(strings.ReplaceAll(s, "\r\n", "\n"))
	switch {
	case s == "" && required:
		v.add(field, "Enter "+label)
	case !utf8.ValidString(s):
		v.add(field, "The "+strings.TrimPrefix(label, "the ")+" contains characters that cannot be stored")
	case utf8.RuneCountInString(s) > MaxCaseNote:
		v.add(field, fmt.Sprintf("The %s must be %d characters or fewer", strings.TrimPrefix(label, "the "), MaxCaseNote))
	case strings.IndexFunc(s, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\t' }) >= 0:
		v.add(field, "The "+strings.TrimPrefix(label, "the ")+" must not contain control characters")
	}
	return s
}

// parseOpenedOn reads the date a case was opened: today when empty, else a
// real date, not in the future.
func parseOpenedOn(v *ValidationError, s string, now time.Time) time.Time {
	today := now.UTC().Truncate(24 * time.Hour)
	s = strings.TrimSpace(s)
	if s == "" {
		return today
	}
	d, err := time.Parse(DateLayout, s)
	switch {
	case err != nil:
		v.add("opened_on", "The date opened must be a real date, for example 2026-03-27")
	case d.After(today):
		v.add("opened_on", "The date opened must be today or in the past")
	case d.Year() < 1900:
		v.add("opened_on", "The date opened must be after 1900")
	}
	return d
}

// OpenCase opens a new case for a client in one of the actor's services,
// owned by a worker of that service, and moves the client's access links
// to follow it. It returns the case's id.
func (cw *Casework) OpenCase(ctx context.Context, actor access.Actor, clientID string, in CaseInput) (string, error) {
	if !mayChangeCases(actor) {
		return "", ErrForbidden
	}
	var v ValidationError
	switch {
	case in.ServiceID == "":
		v.add("service", "Choose the service")
	case !actor.InService(in.ServiceID):
		v.add("service", "Choose one of your services")
	}
	kind := CaseKind(in.Kind)
	if !slices.Contains(CaseKinds, kind) {
		v.add("kind", "Choose what kind of case this is")
	}
	switch ok, err := isWorker(ctx, cw.db, in.OwnerID, in.ServiceID); {
	case err != nil:
		return "", err
	case in.OwnerID == "":
		v.add("owner", "Choose who owns the case")
	case !ok && v.For("service") == "":
		v.add("owner", "Choose someone who works in this service")
	}
	opened := parseOpenedOn(&v, in.OpenedOn, cw.now())
	if err := v.orNil(); err != nil {
		return "", err
	}
	h, err := cw.gate.OpenClient(ctx, actor, clientID, access.Casework, access.Edit)
	if err != nil {
		return "", err
	}
	c := Case{ID: store.NewID(), ClientID: clientID, ServiceID: in.ServiceID, Kind: kind, Status: CaseOpen, OwnerID: in.OwnerID, OpenedOn: opened}
	err = h.Update(ctx, []string{c.ID}, func(ctx context.Context, tx *store.Tx) error {
		if err := lockClients(ctx, tx, clientID); err != nil {
			return err
		}
		if err := cw.insertCase(ctx, tx, actor, c); err != nil {
			return err
		}
		return relink(ctx, tx, map[string]*gate.Handle{clientID: h})
	})
	if err != nil {
		return "", err
	}
	return c.ID, nil
}

// openFirstCase opens the first case of a client being created, inside
// CreateClient's transaction: an enquiry in the client's service owned by
// the caseworker who recorded them, who the gate has already linked to the
// client. Anyone else who records a client (a manager, admin staff) leaves
// the work unowned until a case is opened for it.
func (cw *Casework) openFirstCase(ctx context.Context, tx *store.Tx, actor access.Actor, clientID, serviceID string) error {
	if actor.Role != access.Caseworker {
		return nil
	}
	c := Case{ID: store.NewID(), ClientID: clientID, ServiceID: serviceID, Kind: Enquiry, Status: CaseOpen,
		OwnerID: actor.UserID, OpenedOn: cw.now().UTC().Truncate(24 * time.Hour)}
	return cw.insertCase(ctx, tx, actor, c)
}

func (cw *Casework) insertCase(ctx context.Context, tx *store.Tx, actor access.Actor, c Case) error {
	now := cw.now().UTC().UnixMicro()
	if _, err := tx.Exec(ctx, `INSERT INTO cases (id, client_id, service_id, kind, status, owner_id, opened_on, version, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?)`,
		c.ID, c.ClientID, c.ServiceID, string(c.Kind), string(c.Status), c.OwnerID, c.OpenedOn.Format(DateLayout), now, now); err != nil {
		return fmt.Errorf("open case: %w", err)
	}
	return insertEvent(ctx, tx, nil, c, 1, CaseEvent{Kind: EventOpened, At: cw.now(), ByID: actor.UserID, ToStatus: CaseOpen, ToOwnerID: c.OwnerID})
}

// insertEvent records an event of case c as its seq-th; a note is sealed
// under the client's key with h.
func insertEvent(ctx context.Context, tx *store.Tx, h *gate.Handle, c Case, seq int64, e CaseEvent) error {
	row, err := eventRow(h, c, seq, e)
	if err != nil {
		return err
	}
	return insertEvents(ctx, tx, [][]any{row})
}

// eventRow seals an event's note and returns the values of its row.
func eventRow(h *gate.Handle, c Case, seq int64, e CaseEvent) ([]any, error) {
	id := store.NewID()
	var note []byte
	if e.Note != "" {
		var err error
		if note, err = h.SealString(caseEventsTable, "note", id, e.Note); err != nil {
			return nil, err
		}
	}
	return []any{id, c.ID, c.ClientID, seq, string(e.Kind), e.At.UTC().UnixMicro(), e.ByID, string(e.FromStatus), string(e.ToStatus),
		string(e.CloseReason), e.FromOwnerID, e.ToOwnerID, e.MoveID, note}, nil
}

// insertEvents writes event rows, many to a statement.
func insertEvents(ctx context.Context, tx *store.Tx, rows [][]any) error {
	const perStatement = 100
	one := "(" + caseMarks(14) + ")"
	for start := 0; start < len(rows); start += perStatement {
		part := rows[start:min(start+perStatement, len(rows))]
		args := make([]any, 0, len(part)*14)
		for _, r := range part {
			args = append(args, r...)
		}
		_, err := tx.Exec(ctx, `INSERT INTO case_events (id, case_id, client_id, seq, kind, at, by_id, from_status, to_status, close_reason, from_owner, to_owner, move_id, note)
			VALUES `+strings.Repeat(","+one, len(part))[1:], args...)
		if err != nil {
			return fmt.Errorf("record case events: %w", err)
		}
	}
	return nil
}

const caseColumns = "id, client_id, service_id, kind, status, owner_id, opened_on, closed_on, close_reason, version, created_at, updated_at"

type scanner interface{ Scan(dest ...any) error }

func scanCase(s scanner) (Case, error) {
	var (
		c                    Case
		kind, status, reason string
		opened, closed       string
		created, updated     int64
	)
	if err := s.Scan(&c.ID, &c.ClientID, &c.ServiceID, &kind, &status, &c.OwnerID, &opened, &closed, &reason, &c.Version, &created, &updated); err != nil {
		return Case{}, err
	}
	c.Kind, c.Status, c.CloseReason = CaseKind(kind), CaseStatus(status), CloseReason(reason)
	c.CreatedAt, c.UpdatedAt = time.UnixMicro(created).UTC(), time.UnixMicro(updated).UTC()
	var err error
	if c.OpenedOn, err = time.Parse(DateLayout, opened); err != nil {
		return Case{}, fmt.Errorf("case %s: opened on: %w", c.ID, err)
	}
	if closed != "" {
		if c.ClosedOn, err = time.Parse(DateLayout, closed); err != nil {
			return Case{}, fmt.Errorf("case %s: closed on: %w", c.ID, err)
		}
	}
	return c, nil
}

// lockClients locks, on PostgreSQL, every case of the given clients, in
// the order of their ids, before a change of cases: two changes of one
// client's cases then run one after the other, so that each recomputes the
// client's access links from what the other wrote (relink), and the fixed
// order means two changes never wait for each other. SQLite's one writer
// already serialises them.
func lockClients(ctx context.Context, tx *store.Tx, clientIDs ...string) error {
	if tx.ForUpdate() == "" || len(clientIDs) == 0 {
		return nil
	}
	args := make([]any, len(clientIDs))
	for i, id := range clientIDs {
		args[i] = id
	}
	rows, err := tx.Query(ctx, "SELECT id FROM cases WHERE client_id IN ("+caseMarks(len(args))+") ORDER BY id"+tx.ForUpdate(), args...)
	if err != nil {
		return fmt.Errorf("lock cases: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
	}
	return rows.Err()
}

// lockCase reads case caseID of client clientID in tx, locked for the
// change; a case of another client, or of a service the actor does not
// belong to, is not found.
func lockCase(ctx context.Context, tx *store.Tx, actor access.Actor, clientID, caseID string, version int64) (Case, error) {
	c, err := scanCase(tx.QueryRow(ctx, "SELECT "+caseColumns+" FROM cases WHERE id = ?"+tx.ForUpdate(), caseID))
	if err != nil {
		return Case{}, store.NotFound(err)
	}
	if c.ClientID != clientID || !actor.InService(c.ServiceID) {
		return Case{}, ErrNotFound
	}
	if c.Version != version {
		return Case{}, ErrConflict
	}
	return c, nil
}

func needVersion(v *ValidationError, version int64) {
	if version <= 0 {
		v.add("version", "Send the case’s version, as read with the case")
	}
}

// SetCaseStatus puts a case on hold, closes it (with a reason from
// CloseReasons and an optional note, sealed) or opens it again, records the
// change in the case's history and moves the client's access links to
// follow. A case changed since version gives ErrConflict.
func (cw *Casework) SetCaseStatus(ctx context.Context, actor access.Actor, clientID, caseID string, in StatusInput) error {
	if !mayChangeCases(actor) {
		return ErrForbidden
	}
	var v ValidationError
	to := CaseStatus(in.Status)
	if !slices.Contains(CaseStatuses, to) {
		v.add("status", "Choose the case’s new status")
	}
	reason := CloseReason(in.Reason)
	if to == CaseClosed && !slices.Contains(CloseReasons, reason) {
		v.add("reason", "Choose why the case is being closed")
	}
	if to != CaseClosed {
		reason = ""
	}
	note := cleanNote(&v, "note", "the note", in.Note, false)
	needVersion(&v, in.Version)
	if err := v.orNil(); err != nil {
		return err
	}
	h, err := cw.gate.OpenClient(ctx, actor, clientID, access.Casework, access.Edit)
	if err != nil {
		return err
	}
	return h.Update(ctx, []string{caseID}, func(ctx context.Context, tx *store.Tx) error {
		if err := lockClients(ctx, tx, clientID); err != nil {
			return err
		}
		c, err := lockCase(ctx, tx, actor, clientID, caseID, in.Version)
		if err != nil {
			return err
		}
		switch {
		case c.Status == to:
			v.add("status", "The case is already "+strings.ToLower(to.Label())+": choose another status")
		case to == CaseOnHold && c.Status == CaseClosed:
			v.add("status", "A closed case cannot be put on hold: open it again first")
		case to == CaseOpen && c.Status == CaseClosed:
			// Reopening gives the work back to its owner, who must still
			// work in the service.
			ok, err := isWorker(ctx, tx, c.OwnerID, c.ServiceID)
			if err != nil {
				return err
			}
			if !ok {
				v.add("status", "The case’s owner no longer works in this service: hand the case over, then open it again")
			}
		}
		if err := v.orNil(); err != nil {
			return err
		}
		closedOn := ""
		if to == CaseClosed {
			closedOn = cw.now().UTC().Format(DateLayout)
		}
		if _, err := tx.Exec(ctx, `UPDATE cases SET status = ?, closed_on = ?, close_reason = ?, version = version + 1, updated_at = ? WHERE id = ?`,
			string(to), closedOn, string(reason), cw.now().UTC().UnixMicro(), c.ID); err != nil {
			return fmt.Errorf("set case status: %w", err)
		}
		if err := insertEvent(ctx, tx, h, c, c.Version+1, CaseEvent{Kind: EventStatus, At: cw.now(), ByID: actor.UserID,
			FromStatus: c.Status, ToStatus: to, CloseReason: reason, Note: note}); err != nil {
			return err
		}
		return relink(ctx, tx, map[string]*gate.Handle{clientID: h})
	})
}

// HandOver gives a case to another worker of its service, recording who
// handed it over, when and why (the reason sealed: it may speak of the
// client), and moves the client's access to follow (P03). A manager of the
// service, or the case's owner, may hand it over.
func (cw *Casework) HandOver(ctx context.Context, actor access.Actor, clientID, caseID string, in HandOverInput) error {
	if !mayChangeCases(actor) {
		return ErrForbidden
	}
	var v ValidationError
	if in.OwnerID == "" {
		v.add("owner", "Choose who takes the case over")
	}
	reason := cleanNote(&v, "reason", "the reason for the hand-over", in.Reason, true)
	needVersion(&v, in.Version)
	if err := v.orNil(); err != nil {
		return err
	}
	h, err := cw.gate.OpenClient(ctx, actor, clientID, access.Casework, access.Edit)
	if err != nil {
		return err
	}
	return h.Update(ctx, []string{caseID}, func(ctx context.Context, tx *store.Tx) error {
		if err := lockClients(ctx, tx, clientID); err != nil {
			return err
		}
		c, err := lockCase(ctx, tx, actor, clientID, caseID, in.Version)
		if err != nil {
			return err
		}
		if !MayHandOver(actor, c) {
			return ErrForbidden
		}
		if in.OwnerID == c.OwnerID {
			v.add("owner", "Choose someone other than the case’s owner")
		} else if ok, err := isWorker(ctx, tx, in.OwnerID, c.ServiceID); err != nil {
			return err
		} else if !ok {
			v.add("owner", "Choose someone who works in the case’s service")
		}
		if err := v.orNil(); err != nil {
			return err
		}
		if err := cw.handOver(ctx, tx, h, actor, c, in.OwnerID, reason); err != nil {
			return err
		}
		return relink(ctx, tx, map[string]*gate.Handle{clientID: h})
	})
}

// handOver changes the owner of c (read in tx) and records the hand-over.
func (cw *Casework) handOver(ctx context.Context, tx *store.Tx, h *gate.Handle, actor access.Actor, c Case, to, reason string) error {
	if _, err := tx.Exec(ctx, "UPDATE cases SET owner_id = ?, version = version + 1, updated_at = ? WHERE id = ?",
		to, cw.now().UTC().UnixMicro(), c.ID); err != nil {
		return fmt.Errorf("hand over: %w", err)
	}
	return insertEvent(ctx, tx, h, c, c.Version+1, CaseEvent{Kind: EventHandOver, At: cw.now(), ByID: actor.UserID,
		FromOwnerID: c.OwnerID, ToOwnerID: to, Note: reason})
}

// relink recomputes, inside tx, the access links of each client in hs from
// their cases, so that who may see a client follows who owns their work:
// one link {service, owner} per open or on-hold case; a client with no
// such case stays linked, with no worker, to the service of their most
// recent case, so its manager still sees them. A client with no case at
// all keeps the links they have.
func relink(ctx context.Context, tx *store.Tx, hs map[string]*gate.Handle) error {
	ids := make([]string, 0, len(hs))
	for id := range hs {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	byClient := map[string][]Case{}
	for start := 0; start < len(ids); start += 500 {
		chunk := ids[start:min(start+500, len(ids))]
		args := make([]any, len(chunk))
		for i, id := range chunk {
			args[i] = id
		}
		rows, err := tx.Query(ctx, "SELECT "+caseColumns+" FROM cases WHERE client_id IN ("+caseMarks(len(chunk))+")", args...)
		if err != nil {
			return fmt.Errorf("relink: %w", err)
		}
		for rows.Next() {
			c, err := scanCase(rows)
			if err != nil {
				rows.Close()
				return fmt.Errorf("relink: %w", err)
			}
			byClient[c.ClientID] = append(byClient[c.ClientID], c)
		}
		if err := rows.Close(); err != nil {
			return err
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("relink: %w", err)
		}
	}
	for _, id := range ids {
		cases := byClient[id]
		if len(cases) == 0 {
			continue
		}
		links := linksOf(cases)
		if err := hs[id].SetLinks(ctx, tx, links); err != nil {
			return err
		}
		// The search index follows the links (search.go).
		if err := rescopeIndex(ctx, tx, id, links); err != nil {
			return err
		}
	}
	return nil
}

// linksOf derives a client's access links from their cases (see relink).
func linksOf(cases []Case) []access.Link {
	slices.SortFunc(cases, func(a, b Case) int {
		return cmp.Or(a.OpenedOn.Compare(b.OpenedOn), a.CreatedAt.Compare(b.CreatedAt), strings.Compare(a.ID, b.ID))
	})
	var links []access.Link
	latest := cases[0]
	for _, c := range cases {
		if c.Active() {
			links = append(links, access.Link{ServiceID: c.ServiceID, WorkerID: c.OwnerID})
		}
		if c.ClosedOn.Compare(latest.ClosedOn) >= 0 {
			latest = c
		}
	}
	if len(links) == 0 {
		links = []access.Link{{ServiceID: latest.ServiceID}}
	}
	return links
}

func caseMarks(n int) string { return strings.Repeat(",?", n)[1:] }

// Cases opens a client's record and lists their cases in the actor's
// services (every case, for the DPO), oldest first.
func (cw *Casework) Cases(ctx context.Context, actor access.Actor, clientID string, purpose access.Purpose) (CaseList, error) {
	h, err := cw.gate.OpenClient(ctx, actor, clientID, purpose, access.ViewRecord)
	if err != nil {
		return CaseList{}, err
	}
	hd, err := cw.headerFor(ctx, actor, h)
	if err != nil {
		return CaseList{}, err
	}
	rows, err := cw.db.Query(ctx, "SELECT "+caseColumns+" FROM cases WHERE client_id = ? ORDER BY opened_on, id", clientID)
	if err != nil {
		return CaseList{}, fmt.Errorf("list cases: %w", err)
	}
	defer rows.Close()
	out := CaseList{Header: hd}
	for rows.Next() {
		c, err := scanCase(rows)
		if err != nil {
			return CaseList{}, fmt.Errorf("list cases: %w", err)
		}
		if caseVisible(actor, c) {
			out.Cases = append(out.Cases, c)
		}
	}
	if err := rows.Err(); err != nil {
		return CaseList{}, fmt.Errorf("list cases: %w", err)
	}
	return out, nil
}

// Case opens a client's record and reads one case of theirs with its
// history, notes decrypted. A case the actor may not see is not found.
func (cw *Casework) Case(ctx context.Context, actor access.Actor, clientID, caseID string, purpose access.Purpose) (CaseDetail, error) {
	h, err := cw.gate.OpenClient(ctx, actor, clientID, purpose, access.ViewRecord)
	if err != nil {
		return CaseDetail{}, err
	}
	c, err := scanCase(cw.db.QueryRow(ctx, "SELECT "+caseColumns+" FROM cases WHERE id = ?", caseID))
	if err != nil {
		return CaseDetail{}, fmt.Errorf("read case: %w", store.NotFound(err))
	}
	if c.ClientID != clientID || !caseVisible(actor, c) {
		return CaseDetail{}, ErrNotFound
	}
	hd, err := cw.headerFor(ctx, actor, h)
	if err != nil {
		return CaseDetail{}, err
	}
	rows, err := cw.db.Query(ctx, `SELECT id, kind, at, by_id, from_status, to_status, close_reason, from_owner, to_owner, move_id, note
		FROM case_events WHERE case_id = ? ORDER BY seq`, caseID)
	if err != nil {
		return CaseDetail{}, fmt.Errorf("read case history: %w", err)
	}
	defer rows.Close()
	d := CaseDetail{Header: hd, Case: c}
	for rows.Next() {
		var (
			e                      CaseEvent
			kind, from, to, reason string
			at                     int64
			note                   []byte
		)
		if err := rows.Scan(&e.ID, &kind, &at, &e.ByID, &from, &to, &reason, &e.FromOwnerID, &e.ToOwnerID, &e.MoveID, &note); err != nil {
			return CaseDetail{}, fmt.Errorf("read case history: %w", err)
		}
		e.Kind, e.FromStatus, e.ToStatus, e.CloseReason = CaseEventKind(kind), CaseStatus(from), CaseStatus(to), CloseReason(reason)
		e.At = time.UnixMicro(at).UTC()
		if note != nil {
			if e.Note, err = h.OpenString(caseEventsTable, "note", e.ID, note); err != nil {
				return CaseDetail{}, fmt.Errorf("read case history: %w", err)
			}
		}
		d.Events = append(d.Events, e)
	}
	if err := rows.Err(); err != nil {
		return CaseDetail{}, fmt.Errorf("read case history: %w", err)
	}
	return d, nil
}

// Caseload lists a page of active (open and on-hold) cases, newest first
// with a stable order, and the clients' names as a list may show them:
// the cases a worker owns (their own, or, for a manager, a worker's in
// the manager's services), or a manager's services' cases. Clients are
// opened together, in one audited step, for contact details only. more
// says whether a further page exists.
func (cw *Casework) Caseload(ctx context.Context, actor access.Actor, f CaseloadFilter) (rows []CaseloadRow, more bool, err error) {
	if f.Limit <= 0 {
		f.Limit = 25
	}
	f.Limit = min(f.Limit, 200)
	f.Offset = max(f.Offset, 0)
	var (
		where string
		args  []any
	)
	switch {
	case f.OwnerID != "" && f.OwnerID == actor.UserID && mayChangeCases(actor):
		where, args = "owner_id = ?", []any{f.OwnerID}
	case f.OwnerID != "" && actor.Role == access.Manager:
		// A manager looks at a worker's cases in the manager's services.
		if len(actor.Services) == 0 {
			return nil, false, nil
		}
		where = "owner_id = ? AND service_id IN (" + caseMarks(len(actor.Services)) + ")"
		args = []any{f.OwnerID}
		for _, s := range actor.Services {
			args = append(args, s)
		}
	case f.OwnerID == "" && len(f.ServiceIDs) > 0 && actor.Role == access.Manager:
		where = "service_id IN (" + caseMarks(len(f.ServiceIDs)) + ")"
		for _, s := range f.ServiceIDs {
			if !actor.InService(s) {
				return nil, false, ErrForbidden
			}
			args = append(args, s)
		}
	default:
		return nil, false, ErrForbidden
	}
	args = append(args, f.Limit+1, f.Offset)
	q, err := cw.db.Query(ctx, "SELECT "+caseColumns+" FROM cases WHERE "+where+" AND closed_on = '' ORDER BY opened_on DESC, id DESC LIMIT ? OFFSET ?", args...)
	if err != nil {
		return nil, false, fmt.Errorf("caseload: %w", err)
	}
	defer q.Close()
	var clients []string
	for q.Next() {
		c, err := scanCase(q)
		if err != nil {
			return nil, false, fmt.Errorf("caseload: %w", err)
		}
		rows = append(rows, CaseloadRow{Case: c, Client: ClientRow{Reference: Reference(c.ClientID)}})
		if !slices.Contains(clients, c.ClientID) {
			clients = append(clients, c.ClientID)
		}
	}
	if err := q.Err(); err != nil {
		return nil, false, fmt.Errorf("caseload: %w", err)
	}
	if len(rows) > f.Limit {
		rows, more = rows[:f.Limit], true
		clients = clients[:0]
		for _, r := range rows {
			if !slices.Contains(clients, r.ClientID) {
				clients = append(clients, r.ClientID)
			}
		}
	}
	listed, err := cw.ListRows(ctx, actor, clients, access.Casework)
	if err != nil {
		return nil, false, err
	}
	byID := make(map[string]ClientRow, len(listed))
	for _, r := range listed {
		byID[r.ID] = r
	}
	for i := range rows {
		if r, ok := byID[rows[i].ClientID]; ok {
			rows[i].Client = r
		}
	}
	return rows, more, nil
}

// CaseCounts counts the active cases of the services given (a manager's),
// per owner: for a manager's view of their team.
func (cw *Casework) CaseCounts(ctx context.Context, actor access.Actor) (map[string]int, error) {
	out := map[string]int{}
	if actor.Role != access.Manager || len(actor.Services) == 0 {
		return out, nil
	}
	args := make([]any, len(actor.Services))
	for i, s := range actor.Services {
		args[i] = s
	}
	rows, err := cw.db.Query(ctx, "SELECT owner_id, COUNT(*) FROM cases WHERE service_id IN ("+caseMarks(len(args))+") AND closed_on = '' GROUP BY owner_id", args...)
	if err != nil {
		return nil, fmt.Errorf("count cases: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			return nil, fmt.Errorf("count cases: %w", err)
		}
		out[id] = n
	}
	return out, rows.Err()
}

// WorkerCaseload counts a worker's active cases per service, split into
// those in the actor's services and the rest: what a caseload move would
// move and what it would leave alone. No client is opened.
func (cw *Casework) WorkerCaseload(ctx context.Context, actor access.Actor, workerID string) (mine, others []ServiceCount, err error) {
	if actor.Role != access.Manager {
		return nil, nil, ErrForbidden
	}
	rows, err := cw.db.Query(ctx, "SELECT service_id, COUNT(*) FROM cases WHERE owner_id = ? AND closed_on = '' GROUP BY service_id ORDER BY service_id", workerID)
	if err != nil {
		return nil, nil, fmt.Errorf("count caseload: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var sc ServiceCount
		if err := rows.Scan(&sc.ServiceID, &sc.Cases); err != nil {
			return nil, nil, fmt.Errorf("count caseload: %w", err)
		}
		if actor.InService(sc.ServiceID) {
			mine = append(mine, sc)
		} else {
			others = append(others, sc)
		}
	}
	return mine, others, rows.Err()
}

// errCaseloadChanged means cases were added to the caseload between
// reading it and moving it; the move is tried again.
var errCaseloadChanged = errors.New("the caseload changed during the move")

// MoveCaseload hands every active case a worker owns in the manager's
// services to another worker, in one transaction: each case gets a
// hand-over record (the reason sealed under each client's key) and each
// client's access follows (P08). The worker's cases in services the
// manager does not manage are left alone and counted in the result.
// The new owner must work in every service a case is moved in; otherwise
// nothing moves.
func (cw *Casework) MoveCaseload(ctx context.Context, actor access.Actor, fromID string, in CaseloadMoveInput) (MoveResult, error) {
	if actor.Role != access.Manager {
		return MoveResult{}, ErrForbidden
	}
	var v ValidationError
	switch {
	case in.ToID == "":
		v.add("to", "Choose who takes the caseload over")
	case in.ToID == fromID:
		v.add("to", "Choose someone other than the worker whose caseload is moving")
	}
	reason := cleanNote(&v, "reason", "the reason for the move", in.Reason, true)
	if err := v.orNil(); err != nil {
		return MoveResult{}, err
	}
	for attempt := 0; ; attempt++ {
		res, err := cw.moveCaseload(ctx, actor, fromID, in.ToID, reason)
		if errors.Is(err, errCaseloadChanged) && attempt < 3 {
			continue
		}
		return res, err
	}
}

func (cw *Casework) moveCaseload(ctx context.Context, actor access.Actor, fromID, toID, reason string) (MoveResult, error) {
	var res MoveResult
	mine, others, err := cw.WorkerCaseload(ctx, actor, fromID)
	if err != nil {
		return res, err
	}
	res.LeftAlone = others
	if len(mine) == 0 {
		return res, nil
	}
	var v ValidationError
	services := make([]any, len(mine))
	for i, sc := range mine {
		services[i] = sc.ServiceID
		ok, err := isWorker(ctx, cw.db, toID, sc.ServiceID)
		if err != nil {
			return res, err
		}
		if !ok && v.For("to") == "" {
			v.add("to", "Choose someone who works in every service these cases belong to")
		}
	}
	if err := v.orNil(); err != nil {
		return res, err
	}
	selectCases := "SELECT " + caseColumns + " FROM cases WHERE owner_id = ? AND closed_on = '' AND service_id IN (" + caseMarks(len(services)) + ") ORDER BY client_id, id"
	args := append([]any{fromID}, services...)
	var clients []string
	rows, err := cw.db.Query(ctx, selectCases, args...)
	if err != nil {
		return res, fmt.Errorf("move caseload: %w", err)
	}
	for rows.Next() {
		c, err := scanCase(rows)
		if err != nil {
			rows.Close()
			return res, fmt.Errorf("move caseload: %w", err)
		}
		if !slices.Contains(clients, c.ClientID) {
			clients = append(clients, c.ClientID)
		}
	}
	if err := rows.Close(); err != nil {
		return res, err
	}
	if err := rows.Err(); err != nil {
		return res, fmt.Errorf("move caseload: %w", err)
	}
	hs, err := cw.gate.OpenClients(ctx, actor, clients, access.Casework, access.Edit)
	if err != nil {
		return res, err
	}
	for _, id := range clients {
		if hs[id] == nil {
			// The manager's services' cases are always linked to their
			// services; a client the gate refuses means the links are out
			// of step, and nothing must move until someone looks.
			return res, fmt.Errorf("move caseload: client %s could not be opened for editing", id)
		}
	}
	moveID := store.NewID()
	records := map[string][]string{}
	err = cw.updateMany(ctx, actor, access.Casework, hs, records, func(ctx context.Context, tx *store.Tx) error {
		if err := lockClients(ctx, tx, clients...); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, selectCases, args...)
		if err != nil {
			return err
		}
		var cases []Case
		for rows.Next() {
			c, err := scanCase(rows)
			if err != nil {
				rows.Close()
				return err
			}
			cases = append(cases, c)
		}
		if err := rows.Close(); err != nil {
			return err
		}
		if err := rows.Err(); err != nil {
			return err
		}
		moved := map[string]*gate.Handle{}
		events := make([][]any, 0, len(cases))
		ids := make([]any, 0, len(cases))
		for _, c := range cases {
			h := hs[c.ClientID]
			if h == nil {
				return errCaseloadChanged
			}
			row, err := eventRow(h, c, c.Version+1, CaseEvent{Kind: EventHandOver, At: cw.now(), ByID: actor.UserID,
				FromOwnerID: c.OwnerID, ToOwnerID: toID, MoveID: moveID, Note: reason})
			if err != nil {
				return err
			}
			events, ids = append(events, row), append(ids, c.ID)
			moved[c.ClientID] = h
			records[c.ClientID] = append(records[c.ClientID], c.ID)
		}
		now := cw.now().UTC().UnixMicro()
		for start := 0; start < len(ids); start += 500 {
			part := ids[start:min(start+500, len(ids))]
			if _, err := tx.Exec(ctx, "UPDATE cases SET owner_id = ?, version = version + 1, updated_at = ? WHERE id IN ("+caseMarks(len(part))+")",
				append([]any{toID, now}, part...)...); err != nil {
				return err
			}
		}
		if err := insertEvents(ctx, tx, events); err != nil {
			return err
		}
		res.Moved, res.Clients = len(cases), len(moved)
		return relink(ctx, tx, moved)
	})
	if err != nil {
		return MoveResult{LeftAlone: others}, err
	}
	if res.Moved > 0 {
		res.MoveID = moveID
	}
	return res, nil
}

// updateMany is Handle.Update for several clients at once: change runs in
// one transaction with one audit entry per client, written last, exactly
// as Handle.Update writes them, so that a caseload move is one step that
// either happens whole, with its trace, or not at all. change fills
// records with the ids of each client's changed records; a client without
// any gets no entry. Every handle must have been opened by actor for
// purpose and access.Edit.
func (cw *Casework) updateMany(ctx context.Context, actor access.Actor, purpose access.Purpose, hs map[string]*gate.Handle, records map[string][]string, change func(ctx context.Context, tx *store.Tx) error) error {
	for _, h := range hs {
		if h.Action() != access.Edit {
			return ErrForbidden
		}
	}
	err := cw.db.Tx(ctx, func(tx *store.Tx) error {
		if err := change(ctx, tx); err != nil {
			return err
		}
		ids := make([]string, 0, len(records))
		for id := range records {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		entries := make([]audit.Entry, 0, len(ids))
		for _, id := range ids {
			recs := records[id]
			if len(recs) > 1000 {
				recs = recs[:1000]
			}
			entries = append(entries, audit.Entry{Actor: actor.UserID, Action: "client.update", ClientID: id,
				RecordIDs: recs, Purpose: string(purpose), Allowed: true, Reason: "edit-opened"})
		}
		if _, err := cw.gate.Audit().AppendAll(ctx, tx, entries); err != nil {
			return fmt.Errorf("audit: %w", err)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("update clients: %w", err)
	}
	return nil
}
