package casework

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/caseward/caseward/internal/access"
	"github.com/caseward/caseward/internal/audit"
	"github.com/caseward/caseward/internal/gate"
	"github.com/caseward/caseward/internal/store"
)

// AgreementKind is which of the organisation's agreements a text is.
type AgreementKind string

// The agreements a client signs before the work starts (P09).
const (
	// Confidentiality explains the limits of confidentiality: when what
	// the client says may be shared without their agreement.
	Confidentiality AgreementKind = "confidentiality"
	// Contract is the counselling contract or work agreement: session
	// pattern, cancellations, endings.
	Contract AgreementKind = "contract"
)

// AgreementKinds lists the kinds, in the order pages show them.
var AgreementKinds = []AgreementKind{Confidentiality, Contract}

// Valid reports whether k is one of AgreementKinds.
func (k AgreementKind) Valid() bool { return k == Confidentiality || k == Contract }

// Label is the kind in the users' words.
func (k AgreementKind) Label() string {
	switch k {
	case Confidentiality:
		return "Confidentiality agreement"
	case Contract:
		return "Counselling contract / work agreement"
	}
	return string(k)
}

// SignLabel is the words of the button that starts signing one.
func (k AgreementKind) SignLabel() string {
	switch k {
	case Confidentiality:
		return "Sign the confidentiality agreement"
	case Contract:
		return "Sign the counselling contract or work agreement"
	}
	return "Sign"
}

// AgreementText is one version of one of the organisation's agreement
// texts. Texts are never changed: new wording is a new version.
type AgreementText struct {
	ID        string        `json:"id"`
	Kind      AgreementKind `json:"kind"`
	Version   int64         `json:"version"`
	Title     string        `json:"title"`
	Body      string        `json:"body"`
	Sample    bool          `json:"sample"` // the sample wording Caseward ships with
	CreatedAt time.Time     `json:"created_at"`
}

// Paragraphs splits the body at blank lines, for pages and print.
func (t AgreementText) Paragraphs() []string {
	var out []string
	for p := range strings.SplitSeq(strings.ReplaceAll(t.Body, "\r\n", "\n"), "\n\n") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// Hash is the hex SHA-256 of the title and body, kept with every signature
// so that the text a client signed can be shown to be the one they saw.
func (t AgreementText) Hash() string {
	h := sha256.New()
	h.Write([]byte(t.Title))
	h.Write([]byte{0})
	h.Write([]byte(t.Body))
	return hex.EncodeToString(h.Sum(nil))
}

const agreementTextColumns = "id, kind, version, title, body, sample, created_at"

func scanAgreementText(sc interface{ Scan(...any) error }) (AgreementText, error) {
	var t AgreementText
	var sample, created int64
	if err := sc.Scan(&t.ID, &t.Kind, &t.Version, &t.Title, &t.Body, &sample, &created); err != nil {
		return t, err
	}
	t.Sample, t.CreatedAt = sample != 0, time.UnixMicro(created).UTC()
	return t, nil
}

// AgreementTexts lists every version of every agreement text, each kind's
// newest first. The texts are the organisation's words, not a client's,
// so reading them opens no client.
func (cw *Casework) AgreementTexts(ctx context.Context) ([]AgreementText, error) {
	rows, err := cw.db.Query(ctx, "SELECT "+agreementTextColumns+" FROM agreement_texts ORDER BY kind, version DESC")
	if err != nil {
		return nil, fmt.Errorf("agreement texts: %w", err)
	}
	defer rows.Close()
	var out []AgreementText
	for rows.Next() {
		t, err := scanAgreementText(rows)
		if err != nil {
			return nil, fmt.Errorf("agreement texts: %w", err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// CurrentAgreementText returns the newest version of the kind's text.
func (cw *Casework) CurrentAgreementText(ctx context.Context, kind AgreementKind) (AgreementText, error) {
	if !kind.Valid() {
		return AgreementText{}, ErrNotFound
	}
	t, err := scanAgreementText(cw.db.QueryRow(ctx, "SELECT "+agreementTextColumns+" FROM agreement_texts WHERE kind = ? ORDER BY version DESC LIMIT 1", string(kind)))
	if err != nil {
		if errors.Is(store.NotFound(err), store.ErrNotFound) {
			return t, ErrNotFound
		}
		return t, fmt.Errorf("agreement text: %w", err)
	}
	return t, nil
}

// AgreementText returns one version of a text by its id.
func (cw *Casework) AgreementText(ctx context.Context, id string) (AgreementText, error) {
	if !store.ValidID(id) {
		return AgreementText{}, ErrNotFound
	}
	t, err := scanAgreementText(cw.db.QueryRow(ctx, "SELECT "+agreementTextColumns+" FROM agreement_texts WHERE id = ?", id))
	if err != nil {
		if errors.Is(store.NotFound(err), store.ErrNotFound) {
			return t, ErrNotFound
		}
		return t, fmt.Errorf("agreement text: %w", err)
	}
	return t, nil
}

// AgreementTextInput is new wording for one of the agreements.
type AgreementTextInput struct {
	Kind  AgreementKind `json:"kind"`
	Title string        `json:"title"`
	Body  string        `json:"body"`
}

// MaxAgreementTextLength bounds an agreement's wording, in characters.
const MaxAgreementTextLength = 20000

// CanEditAgreementTexts reports whether the actor may publish new wording:
// service managers and the Data Protection Officer.
func CanEditAgreementTexts(actor access.Actor) bool {
	return actor.Role == access.Manager || actor.Role == access.DPO
}

// AddAgreementText publishes a new version of a kind's text. What clients
// signed before keeps pointing at the version they saw.
func (cw *Casework) AddAgreementText(ctx context.Context, actor access.Actor, in AgreementTextInput) (AgreementText, error) {
	if !CanEditAgreementTexts(actor) {
		return AgreementText{}, ErrForbidden
	}
	var v ValidationError
	if !in.Kind.Valid() {
		v.add("kind", "Choose which agreement this is")
	}
	title := cleanText(&v, "title", "the title", in.Title, MaxTextLength, false)
	if title == "" && v.For("title") == "" {
		v.add("title", "Enter a title")
	}
	body := cleanText(&v, "body", "the wording", in.Body, MaxAgreementTextLength, true)
	if body == "" && v.For("body") == "" {
		v.add("body", "Enter the wording the client will see")
	}
	if err := v.orNil(); err != nil {
		return AgreementText{}, err
	}
	t := AgreementText{ID: store.NewID(), Kind: in.Kind, Title: title, Body: body, CreatedAt: time.UnixMicro(cw.now().UTC().UnixMicro()).UTC()}
	err := cw.db.Tx(ctx, func(tx *store.Tx) error {
		if err := tx.QueryRow(ctx, "SELECT COALESCE(MAX(version), 0) + 1 FROM agreement_texts WHERE kind = ?", string(t.Kind)).Scan(&t.Version); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO agreement_texts (id, kind, version, title, body, sample, created_by, created_at)
			VALUES (?, ?, ?, ?, ?, 0, ?, ?)`, t.ID, string(t.Kind), t.Version, t.Title, t.Body, actor.UserID, t.CreatedAt.UnixMicro()); err != nil {
			return err
		}
		_, err := cw.gate.Audit().Append(ctx, tx, audit.Entry{Actor: actor.UserID, Action: "agreement-text.add", RecordIDs: []string{t.ID}, Purpose: string(access.Administration), Allowed: true, Reason: string(actor.Role)})
		return err
	})
	if err != nil {
		return AgreementText{}, fmt.Errorf("add agreement text: %w", err)
	}
	return t, nil
}

// SignatureMethod is how a client signed on screen.
type SignatureMethod string

// The two ways to sign on screen (P11). Typed is the keyboard-accessible
// alternative to drawing (WCAG 2.2, 2.5.7: no dragging-only input).
const (
	Drawn SignatureMethod = "drawn" // pen, finger or mouse on the screen
	Typed SignatureMethod = "typed" // full name typed, with "I agree" ticked
)

// Signature is a client's signature, decrypted for one actor.
type Signature struct {
	Method SignatureMethod `json:"method"`
	// Path is a drawn signature as SVG path data in a box SignatureWidth
	// by SignatureHeight: "M x y L x y …", whole numbers only.
	Path string `json:"path,omitempty"`
	// Name is the full name typed; with a drawn signature, the name
	// printed beside it, if one was typed.
	Name string `json:"name,omitempty"`
}

// The box a drawn signature's coordinates lie in.
const (
	SignatureWidth  = 1000
	SignatureHeight = 300
)

// MaxSignatureLength bounds a drawn signature's path data, in bytes.
const MaxSignatureLength = 48000

// SignatureInput is a signature as sent by the signing form or the API:
// either a drawn path or a typed name, and the "I agree" tick.
type SignatureInput struct {
	Drawn     string `json:"drawn"`
	TypedName string `json:"typed_name"`
	Agree     bool   `json:"agree"`
}

// validate checks a signature. Its fields are "agree", "typed_name" and
// "signature" (the drawn one).
func (in SignatureInput) validate(v *ValidationError) Signature {
	if !in.Agree {
		v.add("agree", "Tick the box to confirm that the client agrees")
	}
	name := cleanText(v, "typed_name", "the full name", in.TypedName, MaxNameLength, false)
	drawn := strings.TrimSpace(in.Drawn)
	if drawn != "" {
		if !validSignaturePath(drawn) {
			v.add("signature", "The signature could not be read: clear it and sign again, or type the client’s full name instead")
		}
		return Signature{Method: Drawn, Path: drawn, Name: name}
	}
	if name == "" && v.For("typed_name") == "" {
		v.add("typed_name", "Sign in the box, or type the client’s full name")
	}
	return Signature{Method: Typed, Name: name}
}

// validSignaturePath accepts only what signature.js writes: strokes of
// "M x y" followed by "L x y" points, whole numbers inside the box. Nothing
// else (no curves, arcs, scripts or markup) can reach a page.
func validSignaturePath(s string) bool {
	if len(s) > MaxSignatureLength || len(s) < 4 {
		return false
	}
	points := 0
	for i := 0; i < len(s); {
		for i < len(s) && s[i] == ' ' {
			i++
		}
		if i == len(s) {
			break
		}
		cmd := s[i]
		if cmd != 'M' && cmd != 'L' || points == 0 && cmd != 'M' {
			return false
		}
		i++
		for n, limit := range []int{SignatureWidth, SignatureHeight} {
			for i < len(s) && s[i] == ' ' {
				i++
			}
			j := i
			for j < len(s) && s[j] >= '0' && s[j] <= '9' {
				j++
			}
			if j == i || j-i > 4 {
				return false
			}
			x, _ := strconv.Atoi(s[i:j])
			if x > limit {
				return false
			}
			i = j
			if n == 0 {
				if i >= len(s) || s[i] != ' ' && s[i] != ',' {
					return false
				}
				i++
			}
		}
		points++
	}
	return points >= 2
}

// sealSignature seals a signature as JSON, bound to table.column and row.
func sealSignature(h *gate.Handle, table, column, rowID string, s Signature) ([]byte, error) {
	b, err := json.Marshal(s)
	if err != nil {
		return nil, err
	}
	return h.Seal(table, column, rowID, b)
}

func openSignature(h *gate.Handle, table, column, rowID string, sealed []byte) (*Signature, error) {
	if sealed == nil {
		return nil, nil
	}
	b, err := h.Open(table, column, rowID, sealed)
	if err != nil {
		return nil, err
	}
	var s Signature
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, err
	}
	return &s, nil
}

// ClientAgreement is a client's signature of one version of one text.
type ClientAgreement struct {
	ID         string          `json:"id"`
	ClientID   string          `json:"client_id"`
	TextID     string          `json:"text_id"`
	Kind       AgreementKind   `json:"kind"`
	Version    int64           `json:"version"`
	TextHash   string          `json:"text_sha256"`
	Method     SignatureMethod `json:"method"`
	SignedAt   time.Time       `json:"signed_at"`
	RecordedBy string          `json:"recorded_by"`
	Signature  *Signature      `json:"signature,omitempty"` // only when opened with the agreement
}

// AgreementInput is a client's signature of a text, as the signing page or
// the API sends it. TextID is the version the client was shown.
type AgreementInput struct {
	TextID    string         `json:"text_id"`
	Signature SignatureInput `json:"signature"`
}

// SignAgreement records that the client agreed, by a signature on screen,
// to the version of the text they were shown. A later version of the text
// changes nothing that was signed.
func (cw *Casework) SignAgreement(ctx context.Context, actor access.Actor, clientID string, in AgreementInput) (string, error) {
	var v ValidationError
	text, terr := cw.AgreementText(ctx, in.TextID)
	if errors.Is(terr, ErrNotFound) {
		v.add("text_id", "Choose the agreement the client was shown")
	} else if terr != nil {
		return "", terr
	}
	sig := in.Signature.validate(&v)
	if err := v.orNil(); err != nil {
		return "", err
	}
	h, err := cw.gate.OpenClient(ctx, actor, clientID, access.Casework, access.Edit)
	if err != nil {
		return "", err
	}
	id := store.NewID()
	sealed, err := sealSignature(h, "client_agreements", "signature", id, sig)
	if err != nil {
		return "", err
	}
	now := cw.now().UTC().UnixMicro()
	err = h.Update(ctx, []string{id}, func(ctx context.Context, tx *store.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO client_agreements (id, client_id, text_id, kind, version, text_sha256, method, signature, signed_at, recorded_by)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, id, h.ClientID(), text.ID, string(text.Kind), text.Version, text.Hash(), string(sig.Method), sealed, now, actor.UserID)
		return err
	})
	if err != nil {
		return "", err
	}
	return id, nil
}

// clientAgreements lists a client's signed agreements, newest first,
// without their signatures.
func (cw *Casework) clientAgreements(ctx context.Context, clientID string) ([]ClientAgreement, error) {
	rows, err := cw.db.Query(ctx, `SELECT id, text_id, kind, version, text_sha256, method, signed_at, recorded_by
		FROM client_agreements WHERE client_id = ? ORDER BY signed_at DESC, id`, clientID)
	if err != nil {
		return nil, fmt.Errorf("client agreements: %w", err)
	}
	defer rows.Close()
	var out []ClientAgreement
	for rows.Next() {
		a := ClientAgreement{ClientID: clientID}
		var signed int64
		if err := rows.Scan(&a.ID, &a.TextID, &a.Kind, &a.Version, &a.TextHash, &a.Method, &signed, &a.RecordedBy); err != nil {
			return nil, fmt.Errorf("client agreements: %w", err)
		}
		a.SignedAt = time.UnixMicro(signed).UTC()
		out = append(out, a)
	}
	return out, rows.Err()
}

// AgreementView is one signed agreement as its page shows it: the exact
// text the client saw and their signature.
type AgreementView struct {
	Header    Header
	Agreement ClientAgreement
	Text      AgreementText
	// TextIntact is false if the stored text no longer matches the hash
	// kept when the client signed: someone changed it behind Caseward's back.
	TextIntact bool
}

// ClientAgreement opens one of a client's signed agreements with its text
// and signature.
func (cw *Casework) ClientAgreement(ctx context.Context, actor access.Actor, clientID, agreementID string, purpose access.Purpose) (AgreementView, error) {
	h, err := cw.gate.OpenClient(ctx, actor, clientID, purpose, access.ViewRecord)
	if err != nil {
		return AgreementView{}, err
	}
	hd, err := cw.headerFor(ctx, actor, h)
	if err != nil {
		return AgreementView{}, err
	}
	a := ClientAgreement{ID: agreementID, ClientID: h.ClientID()}
	var signed int64
	var sealed []byte
	err = cw.db.QueryRow(ctx, `SELECT text_id, kind, version, text_sha256, method, signature, signed_at, recorded_by
		FROM client_agreements WHERE id = ? AND client_id = ?`, agreementID, h.ClientID()).
		Scan(&a.TextID, &a.Kind, &a.Version, &a.TextHash, &a.Method, &sealed, &signed, &a.RecordedBy)
	if err != nil {
		if errors.Is(store.NotFound(err), store.ErrNotFound) {
			return AgreementView{}, ErrNotFound
		}
		return AgreementView{}, fmt.Errorf("client agreement: %w", err)
	}
	a.SignedAt = time.UnixMicro(signed).UTC()
	if a.Signature, err = openSignature(h, "client_agreements", "signature", a.ID, sealed); err != nil {
		return AgreementView{}, fmt.Errorf("client agreement: %w", err)
	}
	text, err := cw.AgreementText(ctx, a.TextID)
	if err != nil {
		return AgreementView{}, err
	}
	return AgreementView{Header: hd, Agreement: a, Text: text, TextIntact: text.Hash() == a.TextHash}, nil
}
