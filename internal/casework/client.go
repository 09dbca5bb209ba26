// Package casework is what caseworkers, counsellors and service managers do
// all day: clients, cases, notes. It speaks their words and imports neither
// HTTP nor key material; every read and write of a client's data goes
// through package gate.
package casework

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"time"

	"github.com/caseward/caseward/internal/access"
	"github.com/caseward/caseward/internal/gate"
	"github.com/caseward/caseward/internal/store"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// ErrConflict is returned when a record changed since the editor opened it:
// the second editor is told, and the first change is not lost.
var ErrConflict = errors.New("the record was changed by someone else")

// ErrNotFound is returned for a client that does not exist or that the actor
// may not see: the two are indistinguishable on purpose (P23).
var ErrNotFound = gate.ErrNotFound

// ErrForbidden is returned when the actor may not do what they asked.
var ErrForbidden = gate.ErrForbidden

// Client is a client's personal record, decrypted for one actor.
//
// When the client's name is hidden (Flags.HideName) and the actor is not
// in the assigned team, NameWithheld is true and the names, date of birth
// and support network are blank: only Initials and the case number
// identify them.
type Client struct {
	ID            string
	ServiceID     string
	GivenName     string
	FamilyName    string
	PreferredName string
	PreviousNames []string
	DateOfBirth   time.Time
	AgeBand       string // clear, for statistics: "25-34"
	Initials      string
	NameWithheld  bool
	Details       Details
	Contact       Contact
	SafeContact   SafeContact
	GP            GP
	Network       []SupportPerson
	Monitoring    Monitoring
	Flags         Flags
	// HowHeardLabel and FlagLabels are the organisation's words for
	// Details.HowHeard and Flags.Kinds.
	HowHeardLabel string
	FlagLabels    []string
	Version       int64
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// ClientInput is a client's record as typed into a form or sent to the API.
// The same validation serves both. The names part (names and date of
// birth) is always given; of the other parts, those left nil are not
// recorded (on create) or left as they are (on update).
type ClientInput struct {
	ServiceID     string   `json:"service"`
	GivenName     string   `json:"given_name"`
	FamilyName    string   `json:"family_name"`
	DateOfBirth   string   `json:"date_of_birth"` // YYYY-MM-DD
	PreferredName string   `json:"preferred_name,omitempty"`
	PreviousNames []string `json:"previous_names,omitempty"`
	RecordParts
}

type validClient struct {
	givenName, familyName string
	dateOfBirth           time.Time
	other                 otherNames
}

func (in ClientInput) validateNames(v *ValidationError, now time.Time) validClient {
	var c validClient
	c.givenName = cleanName(v, "given_name", "given name", in.GivenName)
	c.familyName = cleanName(v, "family_name", "family name", in.FamilyName)
	c.dateOfBirth = parseBirthDate(v, "date_of_birth", in.DateOfBirth, now)
	c.other.Preferred = cleanOptionalName(v, "preferred_name", "preferred name", in.PreferredName)
	if len(in.PreviousNames) > 20 {
		v.add("previous_names", "Record at most 20 previous names")
	}
	for i, n := range in.PreviousNames {
		if n = cleanOptionalName(v, fmt.Sprintf("previous_names[%d]", i), "previous name", n); n != "" {
			c.other.Previous = append(c.other.Previous, n)
		}
	}
	return c
}

// Casework holds the domain's dependencies.
type Casework struct {
	db   *store.DB
	gate *gate.Gate
	now  func() time.Time
}

// New migrates casework's tables and returns the domain.
func New(ctx context.Context, db *store.DB, g *gate.Gate, now func() time.Time) (*Casework, error) {
	if now == nil {
		now = time.Now
	}
	sub, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		return nil, err
	}
	if err := db.Migrate(ctx, "casework", sub); err != nil {
		return nil, err
	}
	return &Casework{db: db, gate: g, now: now}, nil
}

// WithClock returns the domain with another clock, sharing everything
// else: for recording, through the same checks as the forms, work that
// took place earlier (the demo's past appointments and plans). Only the
// domain's dates follow it; the gate's audit keeps the real time.
func (cw *Casework) WithClock(now func() time.Time) *Casework {
	c := *cw
	c.now = now
	return &c
}

const (
	clientsTable = "clients"
	historyTable = "client_record_history"
)

// validate checks a new client: the service, the names part and the other
// parts given.
func (cw *Casework) validateNew(ctx context.Context, in ClientInput) (validClient, validParts, error) {
	lists, err := cw.lists(ctx)
	if err != nil {
		return validClient{}, nil, err
	}
	var v ValidationError
	if in.ServiceID == "" {
		v.add("service", "Choose the service")
	}
	vc := in.validateNames(&v, cw.now())
	vp := in.RecordParts.validate(&v, lists)
	return vc, vp, v.orNil()
}

// CreateClient records a new client in a service and returns its id.
func (cw *Casework) CreateClient(ctx context.Context, actor access.Actor, in ClientInput) (string, error) {
	vc, vp, err := cw.validateNew(ctx, in)
	if err != nil {
		return "", err
	}
	now := cw.now()
	at := now.UTC().UnixMicro()
	return cw.gate.CreateClient(ctx, actor, in.ServiceID, access.Casework, func(ctx context.Context, tx *store.Tx, h *gate.Handle) error {
		cols, args, err := sealNames(h, vc)
		if err != nil {
			return err
		}
		cols = append(cols, "names_version", "age_band")
		args = append(args, 1, AgeBand(vc.dateOfBirth, now))
		for _, part := range blobParts {
			val, ok := vp[part]
			if !ok {
				continue
			}
			b, err := sealPart(h, part, val)
			if err != nil {
				return err
			}
			cols = append(cols, part, part+"_version")
			args = append(args, b, 1)
		}
		cols = append(cols, "id", "version", "created_at", "updated_at")
		args = append(args, h.ClientID(), 1, at, at)
		if _, err := tx.Exec(ctx, "INSERT INTO clients ("+strings.Join(cols, ", ")+") VALUES ("+marks(len(cols))+")", args...); err != nil {
			return err
		}
		vp[PartNames] = vc.history()
		if err := cw.writeHistory(ctx, tx, h, actor.UserID, 1, vp, at); err != nil {
			return err
		}
		// Keep the search index in step, in this transaction (search.go).
		if err := cw.indexClient(ctx, tx, h.ClientID(), []string{in.ServiceID}, &vc, vp); err != nil {
			return err
		}
		// A caseworker who records a client owns the first case (cases.go).
		return cw.openFirstCase(ctx, tx, actor, h.ClientID(), in.ServiceID)
	})
}

func marks(n int) string { return strings.Repeat(", ?", n)[2:] }

func (vc validClient) history() historyNames {
	return historyNames{
		GivenName: vc.givenName, FamilyName: vc.familyName, DateOfBirth: vc.dateOfBirth.Format(DateLayout),
		PreferredName: vc.other.Preferred, PreviousNames: vc.other.Previous,
	}
}

// sealNames seals the names part into its four columns.
func sealNames(h *gate.Handle, vc validClient) (cols []string, args []any, err error) {
	id := h.ClientID()
	other, err := json.Marshal(vc.other)
	if err != nil {
		return nil, nil, err
	}
	for _, c := range []struct {
		col string
		val []byte
	}{
		{"given_name", []byte(vc.givenName)},
		{"family_name", []byte(vc.familyName)},
		{"date_of_birth", []byte(vc.dateOfBirth.Format(DateLayout))},
		{"other_names", other},
	} {
		b, err := h.Seal(clientsTable, c.col, id, c.val)
		if err != nil {
			return nil, nil, err
		}
		cols, args = append(cols, c.col), append(args, b)
	}
	return cols, args, nil
}

// sealPart seals a part as JSON in the column of its name.
func sealPart(h *gate.Handle, part string, value any) ([]byte, error) {
	b, err := json.Marshal(value)
	if err != nil {
		return nil, err
	}
	return h.Seal(clientsTable, part, h.ClientID(), b)
}

// openPart opens the part sealed in a column; a NULL column leaves dst as
// it is.
func openPart(h *gate.Handle, part string, sealed []byte, dst any) error {
	if sealed == nil {
		return nil
	}
	b, err := h.Open(clientsTable, part, h.ClientID(), sealed)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, dst)
}

// writeHistory keeps each part's new value in the record's history, each
// sealed under the client's key and bound to its own history row.
func (cw *Casework) writeHistory(ctx context.Context, tx *store.Tx, h *gate.Handle, actorID string, version int64, vp validParts, at int64) error {
	for _, part := range Parts {
		val, ok := vp[part]
		if !ok {
			continue
		}
		b, err := json.Marshal(val)
		if err != nil {
			return err
		}
		id := store.NewID()
		sealed, err := h.Seal(historyTable, "value", id, b)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO client_record_history (id, client_id, part, version, value, changed_by, changed_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, id, h.ClientID(), part, version, sealed, actorID, at); err != nil {
			return fmt.Errorf("record history: %w", err)
		}
	}
	return nil
}

// Client opens a client's record for reading.
func (cw *Casework) Client(ctx context.Context, actor access.Actor, id string, purpose access.Purpose) (Client, error) {
	h, err := cw.gate.OpenClient(ctx, actor, id, purpose, access.ViewRecord)
	if err != nil {
		return Client{}, err
	}
	return cw.readClient(ctx, h, maySeeName(actor, h.Subject()), Parts...)
}

// clientColumns are read by readClient, in this order.
const clientColumns = `given_name, family_name, date_of_birth, other_names, details, contact, safe_contact, gp, network, monitoring, flags,
	age_band, version, created_at, updated_at`

// readClient reads a client's record and decrypts the parts asked for
// (the names always, for the initials). seeName says whether the reader
// may see a hidden name.
func (cw *Casework) readClient(ctx context.Context, h *gate.Handle, seeName bool, parts ...string) (Client, error) {
	c := Client{ID: h.ClientID()}
	if links := h.Subject().Links; len(links) > 0 {
		c.ServiceID = links[0].ServiceID
	}
	var given, family, dob, other []byte
	sealed := map[string]*[]byte{}
	for _, p := range blobParts {
		sealed[p] = new([]byte)
	}
	var created, updated int64
	err := cw.db.QueryRow(ctx, "SELECT "+clientColumns+" FROM clients WHERE id = ?", c.ID).Scan(
		&given, &family, &dob, &other,
		sealed[PartDetails], sealed[PartContact], sealed[PartSafeContact], sealed[PartGP], sealed[PartNetwork], sealed[PartMonitoring], sealed[PartFlags],
		&c.AgeBand, &c.Version, &created, &updated)
	if err != nil {
		return Client{}, fmt.Errorf("read client: %w", store.NotFound(err))
	}
	c.CreatedAt, c.UpdatedAt = time.UnixMicro(created).UTC(), time.UnixMicro(updated).UTC()
	if c.GivenName, err = h.OpenString(clientsTable, "given_name", c.ID, given); err != nil {
		return Client{}, fmt.Errorf("read client: %w", err)
	}
	if c.FamilyName, err = h.OpenString(clientsTable, "family_name", c.ID, family); err != nil {
		return Client{}, fmt.Errorf("read client: %w", err)
	}
	c.Initials = Initials(c.GivenName, c.FamilyName)
	// The flags come first: they say whether the name may be shown.
	if err := openPart(h, PartFlags, *sealed[PartFlags], &c.Flags); err != nil {
		return Client{}, fmt.Errorf("read client: %w", err)
	}
	targets := map[string]any{
		PartDetails: &c.Details, PartContact: &c.Contact, PartSafeContact: &c.SafeContact,
		PartGP: &c.GP, PartNetwork: &c.Network, PartMonitoring: &c.Monitoring,
	}
	for _, p := range parts {
		switch p {
		case PartNames:
			d, err := h.OpenString(clientsTable, "date_of_birth", c.ID, dob)
			if err != nil {
				return Client{}, fmt.Errorf("read client: %w", err)
			}
			if c.DateOfBirth, err = time.Parse(DateLayout, d); err != nil {
				return Client{}, fmt.Errorf("read client: date of birth: %w", err)
			}
			if other != nil {
				b, err := h.Open(clientsTable, "other_names", c.ID, other)
				if err != nil {
					return Client{}, fmt.Errorf("read client: %w", err)
				}
				var on otherNames
				if err := json.Unmarshal(b, &on); err != nil {
					return Client{}, fmt.Errorf("read client: other names: %w", err)
				}
				c.PreferredName, c.PreviousNames = on.Preferred, on.Previous
			}
		case PartFlags:
		default:
			if t, ok := targets[p]; ok {
				if err := openPart(h, p, *sealed[p], t); err != nil {
					return Client{}, fmt.Errorf("read client: %s: %w", p, err)
				}
			}
		}
	}
	if c.Flags.HideName && !seeName {
		c.withhold()
	}
	if c.Details.HowHeard != "" || len(c.Flags.Kinds) > 0 {
		lists, err := cw.lists(ctx)
		if err != nil {
			return Client{}, err
		}
		c.resolveLabels(lists)
	}
	return c, nil
}

// withhold blanks what would identify a client whose name is hidden: the
// names, the date of birth, and the support network (whose names are often
// the family's).
func (c *Client) withhold() {
	c.NameWithheld = true
	c.GivenName, c.FamilyName, c.PreferredName, c.PreviousNames = "", "", "", nil
	c.DateOfBirth = time.Time{}
	c.Network = nil
}

func (c *Client) resolveLabels(lists orgLists) {
	c.HowHeardLabel = lists.label(c.Details.HowHeard)
	c.FlagLabels = nil
	for _, k := range c.Flags.Kinds {
		if l := lists.label(k); l != "" {
			c.FlagLabels = append(c.FlagLabels, l)
		}
	}
}

// UpdateClient changes the names part of a client's record (names and
// date of birth), and any other part given in in.RecordParts. version is
// the version the editor started from: if someone has since saved any of
// the same parts, ErrConflict is returned and nothing is written; changes
// to other parts in between are kept.
func (cw *Casework) UpdateClient(ctx context.Context, actor access.Actor, id string, version int64, in ClientInput) error {
	return cw.update(ctx, actor, id, version, &in, in.RecordParts)
}

// UpdateRecord changes the parts of a client's record given in p, leaving
// the names and every nil part as they are; version as for UpdateClient.
func (cw *Casework) UpdateRecord(ctx context.Context, actor access.Actor, id string, version int64, p RecordParts) error {
	return cw.update(ctx, actor, id, version, nil, p)
}

// editPurpose is why staff change a record: admin staff handle contact
// details, everyone else works with the client.
func editPurpose(actor access.Actor) access.Purpose {
	if actor.Role == access.AdminStaff {
		return access.Administration
	}
	return access.Casework
}

func (cw *Casework) update(ctx context.Context, actor access.Actor, id string, version int64, names *ClientInput, p RecordParts) error {
	lists, err := cw.lists(ctx)
	if err != nil {
		return err
	}
	var v ValidationError
	var vc validClient
	if names != nil {
		vc = names.validateNames(&v, cw.now())
	}
	vp := p.validate(&v, lists)
	if err := v.orNil(); err != nil {
		return err
	}
	h, err := cw.gate.OpenClient(ctx, actor, id, editPurpose(actor), access.Edit)
	if err != nil {
		return err
	}
	changing := make([]string, 0, len(vp)+1)
	if names != nil {
		changing = append(changing, PartNames)
	}
	for _, part := range blobParts {
		if _, ok := vp[part]; ok {
			changing = append(changing, part)
		}
	}
	if len(changing) == 0 {
		return nil
	}
	seeName := maySeeName(actor, h.Subject())
	now := cw.now()
	at := now.UTC().UnixMicro()
	return h.Update(ctx, []string{id}, func(ctx context.Context, tx *store.Tx) error {
		versions := make([]any, len(Parts)+1)
		cur := make([]int64, len(Parts)+1)
		var flags []byte
		sel := []string{"version"}
		for i, part := range Parts {
			sel = append(sel, part+"_version")
			versions[i+1] = &cur[i+1]
		}
		versions[0] = &cur[0]
		err := tx.QueryRow(ctx, "SELECT "+strings.Join(sel, ", ")+", flags FROM clients WHERE id = ?"+tx.ForUpdate(), id).
			Scan(append(versions, &flags)...)
		if err != nil {
			return store.NotFound(err)
		}
		current := cur[0]
		if version > current {
			return ErrConflict
		}
		for i, part := range Parts {
			if cur[i+1] > version && slices.Contains(changing, part) {
				return ErrConflict
			}
		}
		if !seeName {
			var f Flags
			if err := openPart(h, PartFlags, flags, &f); err != nil {
				return err
			}
			// Who may not see a hidden name may neither change it (nor the
			// support network, withheld with it) nor reveal it.
			_, network := vp[PartNetwork]
			if nf, ok := vp[PartFlags].(Flags); f.HideName && (names != nil || network || ok && !nf.HideName) {
				return ErrForbidden
			}
		}
		next := current + 1
		set := []string{"version = ?", "updated_at = ?"}
		args := []any{next, at}
		if names != nil {
			cols, nargs, err := sealNames(h, vc)
			if err != nil {
				return err
			}
			for _, c := range cols {
				set = append(set, c+" = ?")
			}
			args = append(args, nargs...)
			set = append(set, "names_version = ?", "age_band = ?")
			args = append(args, next, AgeBand(vc.dateOfBirth, now))
			vp[PartNames] = vc.history()
		}
		for _, part := range blobParts {
			val, ok := vp[part]
			if !ok {
				continue
			}
			b, err := sealPart(h, part, val)
			if err != nil {
				return err
			}
			set = append(set, part+" = ?", part+"_version = ?")
			args = append(args, b, next)
		}
		args = append(args, id, current)
		res, err := tx.Exec(ctx, "UPDATE clients SET "+strings.Join(set, ", ")+" WHERE id = ? AND version = ?", args...)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n != 1 {
			return ErrConflict
		}
		// Keep the search index in step, in this transaction (search.go).
		var named *validClient
		if names != nil {
			named = &vc
		}
		if err := cw.indexClient(ctx, tx, id, nil, named, vp); err != nil {
			return err
		}
		return cw.writeHistory(ctx, tx, h, actor.UserID, next, vp, at)
	})
}
