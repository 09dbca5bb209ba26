package casework

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/caseward/caseward/internal/access"
	"github.com/caseward/caseward/internal/store"
)

// Copies of letters and e-mails sent to the client, kept on their file:
// what was sent, to whom, when and how (P05, P10). A copy is what was
// sent, so it is never changed once recorded. Reading and recording them
// is part of the notes: access.ViewNotes and access.WriteNotes.
//
// Sealed fields, bound to ("letters", column, letter id): recipient,
// address, subject, body.

// LetterChannel is how a letter or message went.
type LetterChannel string

// The ways a letter goes.
const (
	LetterByPost  LetterChannel = "post"
	LetterByEmail LetterChannel = "email"
	LetterByHand  LetterChannel = "hand" // given to the client in person
)

// LetterChannels lists the channels, in the order forms offer them.
var LetterChannels = []LetterChannel{LetterByPost, LetterByEmail, LetterByHand}

// Valid reports whether c is one of LetterChannels.
func (c LetterChannel) Valid() bool {
	return c == LetterByPost || c == LetterByEmail || c == LetterByHand
}

// Label is the channel in words.
func (c LetterChannel) Label() string {
	switch c {
	case LetterByPost:
		return "Letter by post"
	case LetterByEmail:
		return "E-mail"
	case LetterByHand:
		return "Given by hand"
	}
	return string(c)
}

// Limits on a letter's copy, in characters.
const (
	MaxLetterRecipient = 200
	MaxLetterAddress   = 500
	MaxLetterSubject   = 200
	MaxLetterBody      = 50000
)

const lettersTable = "letters"

// LetterInput is a copy of a letter or e-mail sent, as typed or sent.
type LetterInput struct {
	// Service is the service that sent it; it may be left out when the
	// writer and the client share only one, or when Case is given.
	Service   string `json:"service"`
	Case      string `json:"case"`
	Channel   string `json:"channel"`
	SentAt    string `json:"sent_at"`   // RFC 3339, or YYYY-MM-DDTHH:MM in UK time
	Recipient string `json:"recipient"` // to whom
	Address   string `json:"address"`   // the postal or e-mail address it went to
	Subject   string `json:"subject"`
	Body      string `json:"body"`
}

// Letter is a copy of a letter or e-mail sent.
type Letter struct {
	ID        string
	ClientID  string
	ServiceID string
	CaseID    string
	Channel   LetterChannel
	SentAt    time.Time
	SentBy    string
	CreatedAt time.Time
	Recipient string
	Address   string // on the letter's own page only
	Subject   string
	Body      string // on the letter's own page only
}

// LettersView is the client's letters page, newest first.
type LettersView struct {
	Header   Header
	Letters  []Letter
	More     bool // older letters beyond this page
	CanWrite bool
}

// LetterView is one letter's page.
type LetterView struct {
	Header Header
	Letter Letter
}

// LetterForm is what the form recording a letter needs: the header, the
// services it may be sent from, and what must be heeded before writing to
// the client (P29): a plain envelope, channels they refused.
type LetterForm struct {
	Header        Header
	Services      []string
	Cases         []Case
	PlainEnvelope bool
	Warnings      []string
}

// Letters opens the client's notes and lists the copies of letters sent,
// newest first, one page (from 1) at a time. Only who each went to and its
// subject are decrypted.
func (cw *Casework) Letters(ctx context.Context, actor access.Actor, clientID string, purpose access.Purpose, page int) (LettersView, error) {
	h, err := cw.gate.OpenClient(ctx, actor, clientID, purpose, access.ViewNotes)
	if err != nil {
		return LettersView{}, err
	}
	hd, err := cw.headerFor(ctx, actor, h)
	if err != nil {
		return LettersView{}, err
	}
	if page < 1 {
		page = 1
	}
	view := LettersView{Header: hd, CanWrite: access.Decide(actor, h.Subject(), access.WriteNotes, purpose).Allowed}
	rows, err := cw.db.Query(ctx, `SELECT id, service_id, case_id, channel, sent_at, sent_by, created_at, recipient, subject
		FROM letters WHERE client_id = ? ORDER BY sent_at DESC, id DESC LIMIT ? OFFSET ?`, clientID, NotesPerPage+1, (page-1)*NotesPerPage)
	if err != nil {
		return LettersView{}, fmt.Errorf("read letters: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		l := Letter{ClientID: clientID}
		var channel string
		var sent, created int64
		var recipient, subject []byte
		if err := rows.Scan(&l.ID, &l.ServiceID, &l.CaseID, &channel, &sent, &l.SentBy, &created, &recipient, &subject); err != nil {
			return LettersView{}, fmt.Errorf("read letters: %w", err)
		}
		if len(view.Letters) == NotesPerPage {
			view.More = true
			break
		}
		l.Channel, l.SentAt, l.CreatedAt = LetterChannel(channel), noteMicro(sent), noteMicro(created)
		if l.Recipient, err = h.OpenString(lettersTable, "recipient", l.ID, recipient); err != nil {
			return LettersView{}, fmt.Errorf("read letters: %w", err)
		}
		if l.Subject, err = h.OpenString(lettersTable, "subject", l.ID, subject); err != nil {
			return LettersView{}, fmt.Errorf("read letters: %w", err)
		}
		view.Letters = append(view.Letters, l)
	}
	return view, rows.Err()
}

// Letter opens one copy whole.
func (cw *Casework) Letter(ctx context.Context, actor access.Actor, clientID, letterID string, purpose access.Purpose) (LetterView, error) {
	h, err := cw.gate.OpenClient(ctx, actor, clientID, purpose, access.ViewNotes)
	if err != nil {
		return LetterView{}, err
	}
	if !store.ValidID(letterID) {
		return LetterView{}, ErrNotFound
	}
	l := Letter{ID: letterID, ClientID: clientID}
	var channel string
	var sent, created int64
	var recipient, address, subject, body []byte
	err = store.NotFound(cw.db.QueryRow(ctx, `SELECT service_id, case_id, channel, sent_at, sent_by, created_at, recipient, address, subject, body
		FROM letters WHERE id = ? AND client_id = ?`, letterID, clientID).
		Scan(&l.ServiceID, &l.CaseID, &channel, &sent, &l.SentBy, &created, &recipient, &address, &subject, &body))
	if errors.Is(err, store.ErrNotFound) {
		return LetterView{}, ErrNotFound
	}
	if err != nil {
		return LetterView{}, fmt.Errorf("read letter: %w", err)
	}
	l.Channel, l.SentAt, l.CreatedAt = LetterChannel(channel), noteMicro(sent), noteMicro(created)
	for _, f := range []struct {
		col    string
		sealed []byte
		dst    *string
	}{{"recipient", recipient, &l.Recipient}, {"address", address, &l.Address}, {"subject", subject, &l.Subject}, {"body", body, &l.Body}} {
		if *f.dst, err = h.OpenString(lettersTable, f.col, letterID, f.sealed); err != nil {
			return LetterView{}, fmt.Errorf("read letter: %w", err)
		}
	}
	hd, err := cw.headerFor(ctx, actor, h)
	if err != nil {
		return LetterView{}, err
	}
	return LetterView{Header: hd, Letter: l}, nil
}

// NewLetterForm opens the client for writing and returns what the form
// recording a letter needs, the plain-envelope flag first.
func (cw *Casework) NewLetterForm(ctx context.Context, actor access.Actor, clientID string) (LetterForm, error) {
	h, err := cw.gate.OpenClient(ctx, actor, clientID, access.Casework, access.WriteNotes)
	if err != nil {
		return LetterForm{}, err
	}
	c, err := cw.readClient(ctx, h, maySeeName(actor, h.Subject()), PartDetails, PartSafeContact, PartFlags)
	if err != nil {
		return LetterForm{}, err
	}
	f := LetterForm{Header: c.Header(), Services: sharedServices(actor, h.Subject())}
	f.PlainEnvelope, f.Warnings = letterSafety(c.SafeContact)
	if f.Cases, err = cw.noteCases(ctx, clientID, f.Services); err != nil {
		return LetterForm{}, err
	}
	return f, nil
}

// letterSafety says what the client's safe-contact answers (P29) mean for
// a letter or e-mail: whether it goes in a plain envelope, and what to
// heed before sending anything.
func letterSafety(s SafeContact) (plain bool, warnings []string) {
	if s.PlainEnvelope {
		warnings = append(warnings, "Send letters in a plain envelope, with no sender’s name or logo")
	}
	if s.Letter == No {
		warnings = append(warnings, "The client has asked us not to write to them")
	}
	if s.Email == No {
		warnings = append(warnings, "The client has asked us not to e-mail them")
	}
	if s.AtHome == No {
		warnings = append(warnings, "Do not contact the client at home")
	}
	if !s.Recorded() {
		warnings = append(warnings, "Nobody has asked the client yet how we may contact them safely: ask before sending anything")
	}
	return s.PlainEnvelope, warnings
}

type validLetter struct {
	channel                           LetterChannel
	sentAt                            time.Time
	recipient, address, subject, body string
}

func (in LetterInput) validate(v *ValidationError, now time.Time) validLetter {
	var l validLetter
	l.channel = LetterChannel(strings.TrimSpace(in.Channel))
	if !l.channel.Valid() {
		v.add("channel", "Choose how it was sent")
	}
	l.sentAt = parseContactTime(v, "sent_at", "sending", in.SentAt, now)
	l.recipient = cleanText(v, "recipient", "who it was sent to", in.Recipient, MaxLetterRecipient, false)
	if l.recipient == "" && v.For("recipient") == "" {
		v.add("recipient", "Enter who it was sent to")
	}
	l.address = cleanText(v, "address", "the address", in.Address, MaxLetterAddress, true)
	l.subject = cleanText(v, "subject", "the subject", in.Subject, MaxLetterSubject, false)
	if l.subject == "" && v.For("subject") == "" {
		v.add("subject", "Enter the subject or heading")
	}
	l.body = cleanText(v, "body", "the text", in.Body, MaxLetterBody, true)
	if l.body == "" && v.For("body") == "" {
		v.add("body", "Enter the text that was sent")
	}
	return l
}

// RecordLetter keeps a copy of a letter or e-mail sent to the client and
// returns its id.
func (cw *Casework) RecordLetter(ctx context.Context, actor access.Actor, clientID string, in LetterInput) (string, error) {
	now := cw.now()
	var v ValidationError
	l := in.validate(&v, now)
	in.Service, in.Case = strings.TrimSpace(in.Service), strings.TrimSpace(in.Case)
	h, err := cw.gate.OpenClient(ctx, actor, clientID, access.Casework, access.WriteNotes)
	if err != nil {
		return "", err
	}
	serviceID := cw.chooseNoteService(ctx, &v, actor, h, in.Service, in.Case)
	if err := v.orNil(); err != nil {
		return "", err
	}
	id := store.NewID()
	sealed := make([][]byte, 4)
	for i, f := range []struct{ col, val string }{{"recipient", l.recipient}, {"address", l.address}, {"subject", l.subject}, {"body", l.body}} {
		if sealed[i], err = h.SealString(lettersTable, f.col, id, f.val); err != nil {
			return "", err
		}
	}
	stamp := now.UTC().UnixMicro()
	err = h.Update(ctx, []string{id}, func(ctx context.Context, tx *store.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO letters (id, client_id, service_id, case_id, channel, sent_at, sent_by, recipient, address, subject, body, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			id, clientID, serviceID, in.Case, string(l.channel), l.sentAt.UnixMicro(), actor.UserID, sealed[0], sealed[1], sealed[2], sealed[3], stamp)
		return err
	})
	if err != nil {
		return "", err
	}
	return id, nil
}
