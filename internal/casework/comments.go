package casework

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/caseward/caseward/internal/access"
	"github.com/caseward/caseward/internal/gate"
	"github.com/caseward/caseward/internal/store"
)

// Client comments, suggestions, concerns and complaints (P07): recorded
// with what was said (sealed), its kind, when and how it was received;
// owned by a named member of staff; tracked to an answer (sealed) by a due
// date. Managers see those of their services, overdue first.

const commentsTable = "client_comments"

// The states of a comment.
const (
	CommentOpen     = "open"
	CommentAnswered = "answered"
	CommentClosed   = "closed"
)

// CommentKinds are what a client may bring.
var CommentKinds = []LabelledCode{
	{"suggestion", "Suggestion"},
	{"comment", "Comment"},
	{"concern", "Concern"},
	{"complaint", "Complaint"},
}

// CommentChannels are how a comment may reach us.
var CommentChannels = []LabelledCode{
	{"in-person", "In person"},
	{"phone", "Phone"},
	{"letter", "Letter"},
	{"email", "E-mail"},
	{"form", "Feedback form"},
	{"other", "Another way"},
}

// CommentStatuses are the states of a comment, in words.
var CommentStatuses = []LabelledCode{
	{CommentOpen, "Open"},
	{CommentAnswered, "Answered"},
	{CommentClosed, "Closed"},
}

// CommentDueWorkingDays is how long an answer may take by default: twenty
// working days (Monday to Friday) from the day the comment was received.
const CommentDueWorkingDays = 20

// MaxCommentLength bounds what the client said and the answer, in
// characters.
const MaxCommentLength = 10000

// Comment is a client's comment, concern or complaint, decrypted for one
// actor. What and Answer are "" in lists, which decrypt neither.
type Comment struct {
	ID          string
	ClientID    string
	ServiceID   string
	Kind        string
	What        string
	ReceivedOn  time.Time // a date
	HowReceived string
	OwnerID     string
	Status      string
	DueOn       time.Time
	Answer      string
	AnsweredOn  time.Time // zero until answered
	AnsweredBy  string
	ClosedOn    time.Time // zero until closed
	RecordedBy  string
	Version     int64
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// KindLabel returns the words for the comment's kind.
func (c Comment) KindLabel() string { return LabelFor(CommentKinds, c.Kind) }

// ChannelLabel returns the words for how the comment was received.
func (c Comment) ChannelLabel() string { return LabelFor(CommentChannels, c.HowReceived) }

// StatusLabel returns the words for the comment's state.
func (c Comment) StatusLabel() string { return LabelFor(CommentStatuses, c.Status) }

// Overdue reports whether the comment is still open after its due date, on
// the day today.
func (c Comment) Overdue(today time.Time) bool {
	return c.Status == CommentOpen && c.DueOn.Format(DateLayout) < today.Format(DateLayout)
}

// CommentInput is a comment as typed into the form or sent to the API.
type CommentInput struct {
	Service     string `json:"service"` // needed only when the client is in several of the actor's services
	Kind        string `json:"kind"`
	What        string `json:"what"`
	ReceivedOn  string `json:"received_on"` // YYYY-MM-DD
	HowReceived string `json:"how_received"`
	Owner       string `json:"owner"`  // a member of staff's id
	DueOn       string `json:"due_on"` // YYYY-MM-DD; "" for 20 working days after received_on
}

// CommentAnswerInput is the answer given to a comment.
type CommentAnswerInput struct {
	Answer     string `json:"answer"`
	AnsweredOn string `json:"answered_on"` // YYYY-MM-DD; "" for today
	Version    int64  `json:"version"`
}

// CommentOwnerInput hands a comment to another member of staff.
type CommentOwnerInput struct {
	Owner   string `json:"owner"`
	Version int64  `json:"version"`
}

// CommentDue returns the default due date of a comment received on day:
// CommentDueWorkingDays working days later, weekends not counted.
func CommentDue(received time.Time) time.Time {
	d := time.Date(received.Year(), received.Month(), received.Day(), 0, 0, 0, 0, time.UTC)
	for n := 0; n < CommentDueWorkingDays; {
		d = d.AddDate(0, 0, 1)
		if wd := d.Weekday(); wd != time.Saturday && wd != time.Sunday {
			n++
		}
	}
	return d
}

// commentToday is today's date, local time, as a UTC midnight.
func commentToday(now time.Time) time.Time {
	t := now.In(localZone)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// commentDate parses an optional or required date of a comment; it may not
// be in the future when past is set, nor before 2000.
func commentDate(v *ValidationError, field, label, s string, required, past bool, today time.Time) time.Time {
	s = strings.TrimSpace(s)
	if s == "" {
		if required {
			v.add(field, "Enter the date "+label)
		}
		return time.Time{}
	}
	d, err := time.Parse(DateLayout, s)
	switch {
	case err != nil:
		v.add(field, "The date "+label+" must be a real date, for example 2026-11-03")
		return time.Time{}
	case past && d.After(today):
		v.add(field, "The date "+label+" must be today or in the past")
	case d.Year() < 2000:
		v.add(field, "The date "+label+" must be after 2000")
	case d.After(today.AddDate(2, 0, 0)):
		v.add(field, "The date "+label+" must be within the next two years")
	default:
		return d
	}
	return time.Time{}
}

// RecordComment records a client's comment, concern or complaint, owned by
// a member of staff, and returns its id. The due date defaults to twenty
// working days after it was received.
func (cw *Casework) RecordComment(ctx context.Context, actor access.Actor, clientID string, in CommentInput) (string, error) {
	h, err := cw.gate.OpenClient(ctx, actor, clientID, apptPurpose(actor), access.Edit)
	if err != nil {
		return "", err
	}
	today := commentToday(cw.now())
	var v ValidationError
	service := apptChooseService(&v, in.Service, sharedServices(actor, h.Subject()))
	kind := strings.TrimSpace(in.Kind)
	if !apptHasCode(CommentKinds, kind) {
		v.add("kind", "Choose suggestion, comment, concern or complaint")
	}
	what := apptText(&v, "what", "What the client said", in.What, MaxCommentLength, false)
	if what == "" && v.For("what") == "" {
		v.add("what", "Enter what the client said")
	}
	received := commentDate(&v, "received_on", "it was received", in.ReceivedOn, true, true, today)
	how := strings.TrimSpace(in.HowReceived)
	if !apptHasCode(CommentChannels, how) {
		v.add("how_received", "Choose how it was received")
	}
	owner := strings.TrimSpace(in.Owner)
	if err := cw.commentOwner(ctx, &v, owner, service); err != nil {
		return "", err
	}
	due := commentDate(&v, "due_on", "it is due", in.DueOn, false, false, today)
	switch {
	case strings.TrimSpace(in.DueOn) == "" && !received.IsZero():
		due = CommentDue(received)
	case !due.IsZero() && !received.IsZero() && due.Before(received):
		v.add("due_on", "The due date must be on or after the date it was received")
	}
	if err := v.orNil(); err != nil {
		return "", err
	}
	id := store.NewID()
	sealed, err := h.SealString(commentsTable, "what", id, what)
	if err != nil {
		return "", err
	}
	now := cw.now().UTC().UnixMicro()
	err = h.Update(ctx, []string{id}, func(ctx context.Context, tx *store.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO client_comments (id, client_id, service_id, kind, what, received_on, how_received, owner_id, status, due_on, recorded_by, version, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)`,
			id, clientID, service, kind, sealed, received.Format(DateLayout), how, owner, CommentOpen, due.Format(DateLayout), actor.UserID, now, now)
		return err
	})
	if err != nil {
		return "", fmt.Errorf("record comment: %w", err)
	}
	return id, nil
}

// commentOwner checks the owner: a caseworker or manager of the service.
func (cw *Casework) commentOwner(ctx context.Context, v *ValidationError, owner, service string) error {
	if owner == "" {
		v.add("owner", "Choose who owns it: the member of staff who sees it answered")
		return nil
	}
	if service == "" {
		return nil
	}
	ok, err := isWorker(ctx, cw.db, owner, service)
	if err != nil {
		return err
	}
	if !ok {
		v.add("owner", "Choose a caseworker or manager who works in the service")
	}
	return nil
}

const commentColumns = `id, client_id, service_id, kind, what, received_on, how_received, owner_id, status, due_on,
	answer, answered_on, answered_by, closed_on, recorded_by, version, created_at, updated_at`

type commentRow struct {
	Comment
	what, answer []byte
}

func scanComment(r apptScanner) (commentRow, error) {
	var (
		c                               commentRow
		received, due, answered, closed string
		created, updated                int64
	)
	err := r.Scan(&c.ID, &c.ClientID, &c.ServiceID, &c.Kind, &c.what, &received, &c.HowReceived, &c.OwnerID, &c.Status, &due,
		&c.answer, &answered, &c.AnsweredBy, &closed, &c.RecordedBy, &c.Version, &created, &updated)
	if err != nil {
		return c, err
	}
	for _, d := range []struct {
		s   string
		dst *time.Time
	}{{received, &c.ReceivedOn}, {due, &c.DueOn}, {answered, &c.AnsweredOn}, {closed, &c.ClosedOn}} {
		if d.s == "" {
			continue
		}
		if *d.dst, err = time.Parse(DateLayout, d.s); err != nil {
			return c, fmt.Errorf("comment %s: %w", c.ID, err)
		}
	}
	c.CreatedAt, c.UpdatedAt = localMicros(created), localMicros(updated)
	return c, nil
}

func (c *commentRow) open(h *gate.Handle) (Comment, error) {
	var err error
	if c.What, err = h.OpenString(commentsTable, "what", c.ID, c.what); err != nil {
		return Comment{}, fmt.Errorf("open comment: %w", err)
	}
	if c.answer != nil {
		if c.Answer, err = h.OpenString(commentsTable, "answer", c.ID, c.answer); err != nil {
			return Comment{}, fmt.Errorf("open comment: %w", err)
		}
	}
	return c.Comment, nil
}

// canSeeComment is the need-to-know rule for a comment of a client the
// actor may open: it belongs to one of their services, or they own it; the
// DPO, for a request or a review, sees all.
func canSeeComment(actor access.Actor, serviceID, ownerID string) bool {
	return actor.Role == access.DPO || actor.InService(serviceID) || ownerID == actor.UserID
}

// ClientComments is a client's comments page: the header and their
// comments the actor may see, most recently received first.
type ClientComments struct {
	Header    Header
	Comments  []Comment // What and Answer left sealed
	CanRecord bool
	Today     time.Time
}

// ClientCommentList opens the client for reading and lists their comments,
// without decrypting what they say.
func (cw *Casework) ClientCommentList(ctx context.Context, actor access.Actor, clientID string, purpose access.Purpose) (ClientComments, error) {
	h, err := cw.gate.OpenClient(ctx, actor, clientID, purpose, access.ViewRecord)
	if err != nil {
		return ClientComments{}, err
	}
	hd, err := cw.headerFor(ctx, actor, h)
	if err != nil {
		return ClientComments{}, err
	}
	out := ClientComments{Header: hd, Today: commentToday(cw.now())}
	out.CanRecord = actor.Role != access.DPO && len(sharedServices(actor, h.Subject())) > 0
	rows, err := cw.db.Query(ctx, "SELECT "+commentColumns+" FROM client_comments WHERE client_id = ? ORDER BY received_on DESC, created_at DESC, id", clientID)
	if err != nil {
		return ClientComments{}, fmt.Errorf("comments: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		c, err := scanComment(rows)
		if err != nil {
			return ClientComments{}, fmt.Errorf("comments: %w", err)
		}
		if canSeeComment(actor, c.ServiceID, c.OwnerID) {
			out.Comments = append(out.Comments, c.Comment)
		}
	}
	return out, rows.Err()
}

// CommentView is one comment with its client's header.
type CommentView struct {
	Header  Header
	Comment Comment
	Today   time.Time
}

// ClientComment opens the client for reading and returns one of their
// comments, decrypted. A comment of another client, or one the actor may
// not see, is ErrNotFound.
func (cw *Casework) ClientComment(ctx context.Context, actor access.Actor, clientID, commentID string, purpose access.Purpose) (CommentView, error) {
	h, err := cw.gate.OpenClient(ctx, actor, clientID, purpose, access.ViewRecord)
	if err != nil {
		return CommentView{}, err
	}
	r, err := readCommentRow(ctx, apptDB{cw.db}, actor, clientID, commentID, "")
	if err != nil {
		return CommentView{}, err
	}
	c, err := r.open(h)
	if err != nil {
		return CommentView{}, err
	}
	hd, err := cw.headerFor(ctx, actor, h)
	if err != nil {
		return CommentView{}, err
	}
	return CommentView{Header: hd, Comment: c, Today: commentToday(cw.now())}, nil
}

func readCommentRow(ctx context.Context, q apptQuerier, actor access.Actor, clientID, id, lock string) (commentRow, error) {
	if !store.ValidID(id) {
		return commentRow{}, ErrNotFound
	}
	c, err := scanComment(q.QueryRow(ctx, "SELECT "+commentColumns+" FROM client_comments WHERE id = ? AND client_id = ?"+lock, id, clientID))
	if err = store.NotFound(err); errors.Is(err, store.ErrNotFound) {
		return commentRow{}, ErrNotFound
	} else if err != nil {
		return commentRow{}, fmt.Errorf("read comment: %w", err)
	}
	if !canSeeComment(actor, c.ServiceID, c.OwnerID) {
		return commentRow{}, ErrNotFound
	}
	return c, nil
}

// changeComment opens the client for editing, checks the input against the
// comment as it is, and runs change with the audit entry; version, when not
// 0, must be the comment's current version.
func (cw *Casework) changeComment(ctx context.Context, actor access.Actor, clientID, id string, version int64,
	check func(c commentRow, v *ValidationError) error,
	change func(ctx context.Context, tx *store.Tx, h *gate.Handle, c commentRow) error) error {
	h, err := cw.gate.OpenClient(ctx, actor, clientID, apptPurpose(actor), access.Edit)
	if err != nil {
		return err
	}
	c, err := readCommentRow(ctx, apptDB{cw.db}, actor, clientID, id, "")
	if err != nil {
		return err
	}
	if version != 0 && version != c.Version {
		return ErrConflict
	}
	var v ValidationError
	if err := check(c, &v); err != nil {
		return err
	}
	if err := v.orNil(); err != nil {
		return err
	}
	return h.Update(ctx, []string{id}, func(ctx context.Context, tx *store.Tx) error {
		cur, err := readCommentRow(ctx, apptTx{tx}, actor, clientID, id, tx.ForUpdate())
		if err != nil {
			return err
		}
		if cur.Version != c.Version || cur.Status != c.Status {
			return ErrConflict
		}
		if err := change(ctx, tx, h, cur); err != nil {
			return err
		}
		return bumpVersion(ctx, tx, "client_comments", id, cur.Version, cw.now())
	})
}

// AnswerComment records the answer given to an open comment (or corrects
// the answer of an answered one) and the date it was given.
func (cw *Casework) AnswerComment(ctx context.Context, actor access.Actor, clientID, id string, in CommentAnswerInput) error {
	var answer string
	var on time.Time
	return cw.changeComment(ctx, actor, clientID, id, in.Version,
		func(c commentRow, v *ValidationError) error {
			if c.Status == CommentClosed {
				v.add("status", "This comment is closed: its answer can no longer be changed")
				return nil
			}
			answer = apptText(v, "answer", "The answer", in.Answer, MaxCommentLength, false)
			if answer == "" && v.For("answer") == "" {
				v.add("answer", "Enter the answer given to the client")
			}
			today := commentToday(cw.now())
			on = commentDate(v, "answered_on", "it was answered", in.AnsweredOn, false, true, today)
			switch {
			case strings.TrimSpace(in.AnsweredOn) == "":
				on = today
			case !on.IsZero() && on.Before(c.ReceivedOn):
				v.add("answered_on", "The date it was answered must be on or after the date it was received")
			}
			return nil
		},
		func(ctx context.Context, tx *store.Tx, h *gate.Handle, c commentRow) error {
			sealed, err := h.SealString(commentsTable, "answer", id, answer)
			if err != nil {
				return err
			}
			_, err = tx.Exec(ctx, "UPDATE client_comments SET status = ?, answer = ?, answered_on = ?, answered_by = ? WHERE id = ?",
				CommentAnswered, sealed, on.Format(DateLayout), actor.UserID, id)
			return err
		})
}

// CloseComment closes an answered comment: nothing more is to be done.
func (cw *Casework) CloseComment(ctx context.Context, actor access.Actor, clientID, id string, version int64) error {
	return cw.changeComment(ctx, actor, clientID, id, version,
		func(c commentRow, v *ValidationError) error {
			switch c.Status {
			case CommentOpen:
				v.add("status", "Record the answer before closing it")
			case CommentClosed:
				v.add("status", "It is already closed")
			}
			return nil
		},
		func(ctx context.Context, tx *store.Tx, h *gate.Handle, c commentRow) error {
			_, err := tx.Exec(ctx, "UPDATE client_comments SET status = ?, closed_on = ? WHERE id = ?",
				CommentClosed, commentToday(cw.now()).Format(DateLayout), id)
			return err
		})
}

// SetCommentOwner hands a comment that is not closed to another member of
// staff of its service.
func (cw *Casework) SetCommentOwner(ctx context.Context, actor access.Actor, clientID, id string, in CommentOwnerInput) error {
	owner := strings.TrimSpace(in.Owner)
	return cw.changeComment(ctx, actor, clientID, id, in.Version,
		func(c commentRow, v *ValidationError) error {
			if c.Status == CommentClosed {
				v.add("status", "This comment is closed: it needs no owner now")
				return nil
			}
			if err := cw.commentOwner(ctx, v, owner, c.ServiceID); err != nil {
				return err
			}
			if owner == c.OwnerID && v.For("owner") == "" {
				v.add("owner", "Choose someone other than the present owner")
			}
			return nil
		},
		func(ctx context.Context, tx *store.Tx, h *gate.Handle, c commentRow) error {
			_, err := tx.Exec(ctx, "UPDATE client_comments SET owner_id = ? WHERE id = ?", owner, id)
			return err
		})
}

// TrackedComment is a comment in the list a manager tracks, with its
// client as the actor may see them.
type TrackedComment struct {
	Comment     // What and Answer left sealed
	DisplayName string
	Reference   string
	CanOpen     bool
	Overdue     bool
}

// CommentFilter chooses what TrackComments lists.
type CommentFilter struct {
	Closed bool // the closed comments instead of those still open or answered
	Limit  int  // default and at most 200
	Offset int
}

// TrackComments lists the comments a manager tracks across their services
// (anyone else: the comments they own), overdue first, then by due date,
// with the clients' names opened in one audited batch. more reports a
// further page.
func (cw *Casework) TrackComments(ctx context.Context, actor access.Actor, f CommentFilter, purpose access.Purpose) (list []TrackedComment, more bool, err error) {
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = 200
	}
	if f.Offset < 0 {
		f.Offset = 0
	}
	var where string
	var args []any
	switch {
	case actor.UserID == "":
		return nil, false, nil
	case actor.Role == access.Manager && len(actor.Services) > 0:
		where = "service_id IN (" + strings.Repeat(",?", len(actor.Services))[1:] + ")"
		for _, s := range actor.Services {
			args = append(args, s)
		}
	default:
		where = "owner_id = ?"
		args = append(args, actor.UserID)
	}
	today := commentToday(cw.now()).Format(DateLayout)
	order := "CASE WHEN status = 'open' AND due_on < ? THEN 0 ELSE 1 END, due_on, received_on, id"
	if f.Closed {
		where += " AND status = 'closed'"
		order = "closed_on DESC, id"
	} else {
		where += " AND status IN ('open', 'answered')"
	}
	q := "SELECT " + commentColumns + " FROM client_comments WHERE " + where + " ORDER BY " + order + " LIMIT ? OFFSET ?"
	if !f.Closed {
		args = append(args, today)
	}
	args = append(args, f.Limit+1, f.Offset)
	rows, err := cw.db.Query(ctx, q, args...)
	if err != nil {
		return nil, false, fmt.Errorf("track comments: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		c, err := scanComment(rows)
		if err != nil {
			return nil, false, fmt.Errorf("track comments: %w", err)
		}
		if len(list) == f.Limit {
			more = true
			break
		}
		list = append(list, TrackedComment{Comment: c.Comment, Reference: Reference(c.ClientID)})
	}
	if err := rows.Err(); err != nil {
		return nil, false, fmt.Errorf("track comments: %w", err)
	}
	rows.Close()
	ids := make([]string, 0, len(list))
	seen := map[string]bool{}
	for _, c := range list {
		if !seen[c.ClientID] {
			seen[c.ClientID] = true
			ids = append(ids, c.ClientID)
		}
	}
	names, err := cw.ListRows(ctx, actor, ids, purpose)
	if err != nil {
		return nil, false, err
	}
	byID := make(map[string]string, len(names))
	for _, r := range names {
		byID[r.ID] = r.DisplayName
	}
	t := commentToday(cw.now())
	for i := range list {
		list[i].DisplayName, list[i].CanOpen = byID[list[i].ClientID]
		list[i].Overdue = list[i].Comment.Overdue(t)
	}
	return list, more, nil
}
