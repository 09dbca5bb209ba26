package staff

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/caseward/caseward/internal/store"
)

// Session is a signed-in browser, held on the server. The browser holds only
// the token; the database holds only the token's hash.
type Session struct {
	// ID names the session in logs and audit entries: the first 8 hex
	// digits of the token's hash. It cannot be used to sign in.
	ID     string
	UserID string
	// SecondFactorDone is false between the password and the code. Such
	// a session may be used for nothing but entering the code.
	SecondFactorDone bool
	CreatedAt        time.Time
	LastSeen         time.Time
	// ReauthAt is when the person last entered their password or code,
	// at sign-in or since; zero before the second factor.
	ReauthAt time.Time
}

// RecentlyAuthenticated reports whether the person entered their password
// or code within ReauthWindow before now, as sensitive actions require.
func (s Session) RecentlyAuthenticated(now time.Time) bool {
	return s.SecondFactorDone && !s.ReauthAt.IsZero() && now.Sub(s.ReauthAt) < ReauthWindow
}

// ExpiresAt is when the session ends unless used again before: after
// IdleTimeout without use, AbsoluteTimeout after sign-in, or
// SecondFactorTimeout after the password while the code is still pending.
func (s Session) ExpiresAt() time.Time {
	if !s.SecondFactorDone {
		return s.CreatedAt.Add(SecondFactorTimeout)
	}
	idle, absolute := s.LastSeen.Add(IdleTimeout), s.CreatedAt.Add(AbsoluteTimeout)
	if idle.Before(absolute) {
		return idle
	}
	return absolute
}

// LogID returns the name of a session token or API token for logs and
// audit entries, the same as Session.ID: the first 8 hex digits of its
// hash. It reveals nothing usable.
func LogID(secret string) string { return hashSecret(secret)[:8] }

// StartSession starts a session for userID after CheckPassword succeeded,
// with the second factor pending, and returns its token for the cookie.
// It returns ErrNoSession if the account is unknown or disabled.
func (s *Store) StartSession(ctx context.Context, userID string) (string, error) {
	token := newSecret("")
	now := micros(s.now())
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		if err := activeUser(ctx, tx, userID); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, "INSERT INTO sessions (id_hash, user_id, created_at, last_seen_at, second_factor_at, reauth_at) VALUES (?, ?, ?, ?, 0, 0)",
			hashSecret(token), userID, now, now)
		return err
	})
	if errors.Is(err, ErrNoSession) {
		return "", ErrNoSession
	}
	if err != nil {
		return "", fmt.Errorf("staff: start session: %w", err)
	}
	return token, nil
}

// CompleteSecondFactor marks the session of token as past the second factor
// after CheckTOTP succeeded, and replaces its token with a new one, which it
// returns: set it as the cookie. The old token stops working, so a token
// planted or seen before sign-in is worth nothing after (session fixation).
// It returns ErrNoSession if the session is unknown or expired or the
// account disabled.
func (s *Store) CompleteSecondFactor(ctx context.Context, token string) (string, error) {
	newToken := newSecret("")
	now := s.now()
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		sess, err := s.liveSession(ctx, tx, token, now)
		if err != nil {
			return err
		}
		if err := activeUser(ctx, tx, sess.UserID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "DELETE FROM sessions WHERE id_hash = ?", hashSecret(token)); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, "INSERT INTO sessions (id_hash, user_id, created_at, last_seen_at, second_factor_at, reauth_at) VALUES (?, ?, ?, ?, ?, ?)",
			hashSecret(newToken), sess.UserID, micros(sess.CreatedAt), micros(now), micros(now), micros(now))
		return err
	})
	if errors.Is(err, ErrNoSession) {
		return "", ErrNoSession
	}
	if err != nil {
		return "", fmt.Errorf("staff: complete second factor: %w", err)
	}
	return newToken, nil
}

// Session returns the session of token and its account, read afresh, so a
// change of role or services applies at the next request. It returns
// ErrNoSession if the token is unknown, the session has expired (idle,
// absolute, or second factor not done in time) or the account is disabled.
//
// The session may still await its second factor: check SecondFactorDone
// before anything but the code page.
//
// Using a session keeps it alive: last_seen is written when it is a minute
// old or more, so most requests write nothing, and the idle timeout is
// measured to within a minute.
func (s *Store) Session(ctx context.Context, token string) (Session, User, error) {
	now := s.now()
	sess, err := s.liveSession(ctx, s.db, token, now)
	if err != nil {
		if errors.Is(err, ErrNoSession) {
			return Session{}, User{}, ErrNoSession
		}
		return Session{}, User{}, fmt.Errorf("staff: session: %w", err)
	}
	u, err := userWhere(ctx, s.db, "id = ?", sess.UserID)
	if errors.Is(err, store.ErrNotFound) || err == nil && u.Disabled {
		return Session{}, User{}, ErrNoSession
	}
	if err != nil {
		return Session{}, User{}, fmt.Errorf("staff: session: %w", err)
	}
	if now.Sub(sess.LastSeen) >= seenGranularity {
		err := s.db.Tx(ctx, func(tx *store.Tx) error {
			_, err := tx.Exec(ctx, "UPDATE sessions SET last_seen_at = ? WHERE id_hash = ? AND last_seen_at < ?",
				micros(now), hashSecret(token), micros(now))
			return err
		})
		if err != nil {
			return Session{}, User{}, fmt.Errorf("staff: session: %w", err)
		}
		sess.LastSeen = fromMicros(micros(now))
	}
	return sess, u, nil
}

// Reauthenticate records that the person of token's session has just
// entered their password (CheckPassword) or code (CheckTOTP) again, so that
// RecentlyAuthenticated holds for ReauthWindow. Call it only after one of
// those succeeded for the session's user. It returns ErrNoSession if the
// session is unknown, expired or still awaits its second factor.
func (s *Store) Reauthenticate(ctx context.Context, token string) error {
	now := s.now()
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		sess, err := s.liveSession(ctx, tx, token, now)
		if err != nil {
			return err
		}
		if !sess.SecondFactorDone {
			return ErrNoSession
		}
		_, err = tx.Exec(ctx, "UPDATE sessions SET reauth_at = ?, last_seen_at = ? WHERE id_hash = ?", micros(now), micros(now), hashSecret(token))
		return err
	})
	if errors.Is(err, ErrNoSession) {
		return ErrNoSession
	}
	if err != nil {
		return fmt.Errorf("staff: reauthenticate: %w", err)
	}
	return nil
}

// EndSession signs the session of token out. Ending an unknown or already
// ended session is not an error.
func (s *Store) EndSession(ctx context.Context, token string) error {
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, "DELETE FROM sessions WHERE id_hash = ?", hashSecret(token))
		return err
	})
	if err != nil {
		return fmt.Errorf("staff: end session: %w", err)
	}
	return nil
}

// EndAllSessions signs account userID out everywhere. API tokens are not
// affected: revoke them with RevokeToken, or disable the account.
func (s *Store) EndAllSessions(ctx context.Context, userID string) error {
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, "DELETE FROM sessions WHERE user_id = ?", userID)
		return err
	})
	if err != nil {
		return fmt.Errorf("staff: end all sessions: %w", err)
	}
	return nil
}

// liveSession reads the session of token and returns ErrNoSession unless it
// exists and has not expired at now. In a transaction it locks the row.
func (s *Store) liveSession(ctx context.Context, q querier, token string, now time.Time) (Session, error) {
	if token == "" || len(token) > maxTokenLen {
		return Session{}, ErrNoSession
	}
	hash := hashSecret(token)
	query := "SELECT user_id, created_at, last_seen_at, second_factor_at, reauth_at FROM sessions WHERE id_hash = ?"
	if tx, ok := q.(*store.Tx); ok {
		query += tx.ForUpdate()
	}
	var created, seen, second, reauth int64
	sess := Session{ID: hash[:8]}
	err := store.NotFound(q.QueryRow(ctx, query, hash).Scan(&sess.UserID, &created, &seen, &second, &reauth))
	if errors.Is(err, store.ErrNotFound) {
		return Session{}, ErrNoSession
	}
	if err != nil {
		return Session{}, err
	}
	sess.CreatedAt, sess.LastSeen, sess.ReauthAt = fromMicros(created), fromMicros(seen), fromMicros(reauth)
	sess.SecondFactorDone = second != 0
	if !now.Before(sess.ExpiresAt()) {
		return Session{}, ErrNoSession
	}
	return sess, nil
}

// activeUser returns ErrNoSession unless account id exists and is enabled.
func activeUser(ctx context.Context, q querier, id string) error {
	var disabled int64
	err := store.NotFound(q.QueryRow(ctx, "SELECT disabled FROM users WHERE id = ?", id).Scan(&disabled))
	if errors.Is(err, store.ErrNotFound) || err == nil && disabled != 0 {
		return ErrNoSession
	}
	return err
}
