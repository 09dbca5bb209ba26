package staff

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/caseward/caseward/internal/access"
	"github.com/caseward/caseward/internal/store"
)

// NeedsSetup reports whether the installation has no account yet, so that
// the first administrator must be created with a setup link.
func (s *Store) NeedsSetup(ctx context.Context) (bool, error) {
	none, err := noUsers(ctx, s.db)
	if err != nil {
		return false, fmt.Errorf("staff: needs setup: %w", err)
	}
	return none, nil
}

func noUsers(ctx context.Context, q querier) (bool, error) {
	var one int
	err := store.NotFound(q.QueryRow(ctx, "SELECT 1 FROM users LIMIT 1").Scan(&one))
	if errors.Is(err, store.ErrNotFound) {
		return true, nil
	}
	return false, err
}

// CreateSetupLink makes a one-time secret, valid for ttl, with which
// CompleteSetup creates the first administrator; the caller (the command
// line, or the server's start-up log) turns it into a link. Only its hash
// is stored. It returns ErrSetupDone once an account exists.
func (s *Store) CreateSetupLink(ctx context.Context, ttl time.Duration) (string, error) {
	if ttl <= 0 {
		return "", fmt.Errorf("staff: create setup link: lifetime %v is not positive", ttl)
	}
	token := newSecret("")
	now := s.now()
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		none, err := noUsers(ctx, tx)
		if err != nil {
			return err
		}
		if !none {
			return ErrSetupDone
		}
		_, err = tx.Exec(ctx, "INSERT INTO setup_links (id_hash, created_at, expires_at, used_at) VALUES (?, ?, ?, 0)",
			hashSecret(token), micros(now), micros(now.Add(ttl)))
		return err
	})
	if errors.Is(err, ErrSetupDone) {
		return "", ErrSetupDone
	}
	if err != nil {
		return "", fmt.Errorf("staff: create setup link: %w", err)
	}
	return token, nil
}

// CheckSetupLink returns nil if token is a setup link that may still be
// used, ErrSetupDone if an account exists, and ErrBadSetupLink otherwise.
// Use it to show the setup form or an explanation; it consumes nothing.
func (s *Store) CheckSetupLink(ctx context.Context, token string) error {
	if err := s.checkSetupLink(ctx, s.db, token, s.now()); err != nil {
		if errors.Is(err, ErrSetupDone) || errors.Is(err, ErrBadSetupLink) {
			return err
		}
		return fmt.Errorf("staff: check setup link: %w", err)
	}
	return nil
}

func (s *Store) checkSetupLink(ctx context.Context, q querier, token string, now time.Time) error {
	if token == "" || len(token) > maxTokenLen {
		return ErrBadSetupLink
	}
	query := "SELECT expires_at, used_at FROM setup_links WHERE id_hash = ?"
	if tx, ok := q.(*store.Tx); ok {
		query += tx.ForUpdate()
	}
	var expires, used int64
	err := store.NotFound(q.QueryRow(ctx, query, hashSecret(token)).Scan(&expires, &used))
	if errors.Is(err, store.ErrNotFound) {
		return ErrBadSetupLink
	}
	if err != nil {
		return err
	}
	if used != 0 || !now.Before(fromMicros(expires)) {
		return ErrBadSetupLink
	}
	none, err := noUsers(ctx, q)
	if err != nil {
		return err
	}
	if !none {
		return ErrSetupDone
	}
	return nil
}

// CompleteSetup creates the first administrator, whose role must be
// access.Sysadmin or access.DPO, with the setup link token. The link is
// consumed in the same transaction that creates the account, so it serves
// once. A link that is unknown, used or expired gives ErrBadSetupLink; an
// existing account, ErrSetupDone; problems with nu, ValidationErrors, and
// then the link stays usable.
func (s *Store) CompleteSetup(ctx context.Context, token string, nu NewUser) (User, Enrolment, error) {
	if err := s.CheckSetupLink(ctx, token); err != nil {
		return User{}, Enrolment{}, err
	}
	u, hash, err := s.prepareUser(ctx, nu, access.Sysadmin, access.DPO)
	if err != nil {
		return User{}, Enrolment{}, err
	}
	enrol, sealed, err := s.newEnrolment(u)
	if err != nil {
		return User{}, Enrolment{}, fmt.Errorf("staff: complete setup: %w", err)
	}
	now := s.now()
	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		// Lock every link, so that two links used at once cannot both
		// find no account and make two first administrators.
		if err := lockSetupLinks(ctx, tx); err != nil {
			return err
		}
		if err := s.checkSetupLink(ctx, tx, token, now); err != nil {
			return err
		}
		n, err := rowsAffected(tx.Exec(ctx, "UPDATE setup_links SET used_at = ? WHERE id_hash = ? AND used_at = 0", micros(now), hashSecret(token)))
		if err != nil {
			return err
		}
		if n != 1 {
			return ErrBadSetupLink
		}
		return s.insertUser(ctx, tx, u, hash, sealed)
	})
	switch {
	case err == nil:
		return u, enrol, nil
	case errors.Is(err, ErrSetupDone), errors.Is(err, ErrBadSetupLink), isValidation(err):
		return User{}, Enrolment{}, err
	}
	return User{}, Enrolment{}, fmt.Errorf("staff: complete setup: %w", err)
}

// lockSetupLinks locks the (few) rows of setup_links until tx ends. On
// SQLite the transaction already holds the only write lock.
func lockSetupLinks(ctx context.Context, tx *store.Tx) error {
	if tx.ForUpdate() == "" {
		return nil
	}
	rows, err := tx.Query(ctx, "SELECT id_hash FROM setup_links"+tx.ForUpdate())
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var h string
		if err := rows.Scan(&h); err != nil {
			return err
		}
	}
	return rows.Err()
}
