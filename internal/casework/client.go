// Package casework is what caseworkers, counsellors and service managers do
// all day: clients, cases, notes. It speaks their words and imports neither
// HTTP nor key material; every read and write of a client's data goes
// through package gate.
package casework

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
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
type Client struct {
	ID          string
	ServiceID   string
	GivenName   string
	FamilyName  string
	DateOfBirth time.Time
	Version     int64
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// ClientInput is a client's record as typed into a form or sent to the API.
// The same validation serves both.
type ClientInput struct {
	ServiceID   string `json:"service"`
	GivenName   string `json:"given_name"`
	FamilyName  string `json:"family_name"`
	DateOfBirth string `json:"date_of_birth"` // YYYY-MM-DD
}

type validClient struct {
	givenName, familyName string
	dateOfBirth           time.Time
}

func (in ClientInput) validate(now time.Time, needService bool) (validClient, error) {
	var v ValidationError
	var c validClient
	if needService && in.ServiceID == "" {
		v.add("service", "Choose the service")
	}
	c.givenName = cleanName(&v, "given_name", "given name", in.GivenName)
	c.familyName = cleanName(&v, "family_name", "family name", in.FamilyName)
	c.dateOfBirth = parseBirthDate(&v, "date_of_birth", in.DateOfBirth, now)
	return c, v.orNil()
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

const clientsTable = "clients"

// CreateClient records a new client in a service and returns its id.
func (cw *Casework) CreateClient(ctx context.Context, actor access.Actor, in ClientInput) (string, error) {
	vc, err := in.validate(cw.now(), true)
	if err != nil {
		return "", err
	}
	now := cw.now().UTC().UnixMicro()
	return cw.gate.CreateClient(ctx, actor, in.ServiceID, access.Casework, func(ctx context.Context, tx *store.Tx, h *gate.Handle) error {
		given, family, dob, err := sealClient(h, vc)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO clients (id, given_name, family_name, date_of_birth, version, created_at, updated_at)
			VALUES (?, ?, ?, ?, 1, ?, ?)`, h.ClientID(), given, family, dob, now, now)
		return err
	})
}

func sealClient(h *gate.Handle, vc validClient) (given, family, dob []byte, err error) {
	id := h.ClientID()
	if given, err = h.SealString(clientsTable, "given_name", id, vc.givenName); err != nil {
		return
	}
	if family, err = h.SealString(clientsTable, "family_name", id, vc.familyName); err != nil {
		return
	}
	dob, err = h.SealString(clientsTable, "date_of_birth", id, vc.dateOfBirth.Format(DateLayout))
	return
}

// Client opens a client's record for reading.
func (cw *Casework) Client(ctx context.Context, actor access.Actor, id string, purpose access.Purpose) (Client, error) {
	h, err := cw.gate.OpenClient(ctx, actor, id, purpose, access.ViewRecord)
	if err != nil {
		return Client{}, err
	}
	return cw.readClient(ctx, h)
}

func (cw *Casework) readClient(ctx context.Context, h *gate.Handle) (Client, error) {
	c := Client{ID: h.ClientID()}
	if links := h.Subject().Links; len(links) > 0 {
		c.ServiceID = links[0].ServiceID
	}
	var given, family, dob []byte
	var created, updated int64
	err := cw.db.QueryRow(ctx, `SELECT given_name, family_name, date_of_birth, version, created_at, updated_at
		FROM clients WHERE id = ?`, c.ID).Scan(&given, &family, &dob, &c.Version, &created, &updated)
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
	d, err := h.OpenString(clientsTable, "date_of_birth", c.ID, dob)
	if err != nil {
		return Client{}, fmt.Errorf("read client: %w", err)
	}
	if c.DateOfBirth, err = time.Parse(DateLayout, d); err != nil {
		return Client{}, fmt.Errorf("read client: date of birth: %w", err)
	}
	return c, nil
}

// UpdateClient changes a client's record. version is the version the editor
// started from; if someone saved in between, ErrConflict is returned and
// nothing is written.
func (cw *Casework) UpdateClient(ctx context.Context, actor access.Actor, id string, version int64, in ClientInput) error {
	vc, err := in.validate(cw.now(), false)
	if err != nil {
		return err
	}
	h, err := cw.gate.OpenClient(ctx, actor, id, access.Casework, access.Edit)
	if err != nil {
		return err
	}
	given, family, dob, err := sealClient(h, vc)
	if err != nil {
		return err
	}
	now := cw.now().UTC().UnixMicro()
	return h.Update(ctx, []string{id}, func(ctx context.Context, tx *store.Tx) error {
		res, err := tx.Exec(ctx, `UPDATE clients SET given_name = ?, family_name = ?, date_of_birth = ?, version = version + 1, updated_at = ?
			WHERE id = ? AND version = ?`, given, family, dob, now, id, version)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if n != 1 {
			return ErrConflict
		}
		return nil
	})
}
