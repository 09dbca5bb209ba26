package staff

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/caseward/caseward/internal/store"
)

// TokenPrefix starts every API token, so that secret scanners and people
// recognise one in a log, a chat or a repository.
const TokenPrefix = "cw_"

// MaxTokenTTL is the longest an API token may live.
const MaxTokenTTL = 366 * 24 * time.Hour

// ErrDisabled means the account is disabled.
var ErrDisabled = errors.New("staff: account disabled")

// CreateToken makes an API token for the account with email, valid for ttl
// (more than zero, at most MaxTokenTTL), and returns it: TokenPrefix and 256
// random bits. Only its hash is stored, so show it once. It returns an
// error wrapping store.ErrNotFound for an unknown account and ErrDisabled
// for a disabled one. A token acts with its account's role and services and
// needs no second factor: hand tokens only to programs, and prefer short
// lives.
func (s *Store) CreateToken(ctx context.Context, email string, ttl time.Duration) (string, error) {
	if ttl <= 0 || ttl > MaxTokenTTL {
		return "", fmt.Errorf("staff: create token: lifetime %v is not between 0 and %v", ttl, MaxTokenTTL)
	}
	token := newSecret(TokenPrefix)
	now := s.now()
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		var (
			id       string
			disabled int64
		)
		if err := tx.QueryRow(ctx, "SELECT id, disabled FROM users WHERE email_key = ?", emailKey(email)).Scan(&id, &disabled); err != nil {
			return store.NotFound(err)
		}
		if disabled != 0 {
			return ErrDisabled
		}
		_, err := tx.Exec(ctx, "INSERT INTO api_tokens (id_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)",
			hashSecret(token), id, micros(now), micros(now.Add(ttl)))
		return err
	})
	if err != nil {
		return "", fmt.Errorf("staff: create token: %w", err)
	}
	return token, nil
}

// TokenUser returns the account an API token acts for. It returns
// ErrNoSession if the token is unknown, revoked or expired, or the account
// is disabled. The token is found by its hash, so nothing secret is compared
// in variable time.
func (s *Store) TokenUser(ctx context.Context, token string) (User, error) {
	if !strings.HasPrefix(token, TokenPrefix) || len(token) > maxTokenLen {
		return User{}, ErrNoSession
	}
	var (
		userID  string
		expires int64
	)
	err := store.NotFound(s.db.QueryRow(ctx, "SELECT user_id, expires_at FROM api_tokens WHERE id_hash = ?", hashSecret(token)).Scan(&userID, &expires))
	if errors.Is(err, store.ErrNotFound) {
		return User{}, ErrNoSession
	}
	if err != nil {
		return User{}, fmt.Errorf("staff: token: %w", err)
	}
	if !s.now().Before(fromMicros(expires)) {
		return User{}, ErrNoSession
	}
	u, err := userWhere(ctx, s.db, "id = ?", userID)
	if errors.Is(err, store.ErrNotFound) || err == nil && u.Disabled {
		return User{}, ErrNoSession
	}
	if err != nil {
		return User{}, fmt.Errorf("staff: token: %w", err)
	}
	return u, nil
}

// RevokeToken ends an API token at once. Revoking an unknown or already
// revoked token is not an error.
func (s *Store) RevokeToken(ctx context.Context, token string) error {
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, "DELETE FROM api_tokens WHERE id_hash = ?", hashSecret(token))
		return err
	})
	if err != nil {
		return fmt.Errorf("staff: revoke token: %w", err)
	}
	return nil
}

// RevokeTokens ends every API token of account userID.
func (s *Store) RevokeTokens(ctx context.Context, userID string) error {
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, "DELETE FROM api_tokens WHERE user_id = ?", userID)
		return err
	})
	if err != nil {
		return fmt.Errorf("staff: revoke tokens: %w", err)
	}
	return nil
}
