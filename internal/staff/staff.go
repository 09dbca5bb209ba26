// Package staff holds the organisation's services and its staff accounts,
// and signs staff in: passwords (Argon2id), a second factor (TOTP),
// throttling of guesses, server-side sessions, API tokens, and the one-time
// link that creates the first administrator.
//
// Nothing about clients lives here. Staff names and email addresses are
// stored, but never written to logs or errors: errors carry ids at most.
//
// Secrets a browser or a program presents (session cookies, API tokens,
// setup links) are 256-bit random strings stored only as their SHA-256, so a
// copy of the database cannot be used to sign in, and looking a secret up by
// its hash compares nothing secret in variable time.
package staff

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"embed"
	"encoding/base32"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"time"

	"github.com/caseward/caseward/internal/auth/password"
	"github.com/caseward/caseward/internal/auth/throttle"
	"github.com/caseward/caseward/internal/store"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Errors returned by the Store. Test them with errors.Is.
var (
	// ErrExists means a service or an account with that name or email
	// address already exists. It comes wrapped in a *ValidationError naming
	// the field.
	ErrExists = errors.New("already exists")

	// ErrBadCredentials is the one answer to a failed sign-in, whether the
	// account does not exist, is disabled, or the password is wrong.
	ErrBadCredentials = errors.New("staff: wrong email address or password")

	// ErrBadCode means the second-factor code was wrong, expired or already
	// used, or the account is disabled.
	ErrBadCode = errors.New("staff: wrong or already used security code")

	// ErrNoSession means a session or API token is unknown, expired, or
	// belongs to a disabled account. Send the person to sign in.
	ErrNoSession = errors.New("staff: no session")

	// ErrSetupDone means the first administrator already exists.
	ErrSetupDone = errors.New("staff: setup already done")

	// ErrBadSetupLink means a setup link is unknown, used or expired.
	ErrBadSetupLink = errors.New("staff: setup link unknown, used or expired")
)

// ThrottledError is returned by sign-in checks when too many recent attempts
// failed for the account or from the client's address. The password or code
// was not checked. Wait says how long until the next attempt is allowed.
type ThrottledError struct {
	Wait time.Duration
}

// Error returns a sentence fit to show the person signing in.
func (e *ThrottledError) Error() string {
	n, unit := int((e.Wait+time.Second-1)/time.Second), "second"
	if n > 60 {
		n, unit = (n+59)/60, "minute"
	}
	if n != 1 {
		unit += "s"
	}
	return fmt.Sprintf("Too many attempts. Wait %d %s and try again.", n, unit)
}

// Session lifetimes.
const (
	// IdleTimeout ends a session nobody has used for this long (P19).
	IdleTimeout = 30 * time.Minute
	// AbsoluteTimeout ends every session this long after sign-in.
	AbsoluteTimeout = 12 * time.Hour
	// SecondFactorTimeout ends a session whose second factor is still
	// pending this long after the password was accepted.
	SecondFactorTimeout = 5 * time.Minute
	// ReauthWindow is how long after entering their password or code a
	// person counts as recently authenticated, for sensitive actions.
	ReauthWindow = 5 * time.Minute
)

// seenGranularity is how stale last_seen_at may get before a read of the
// session writes it again, to keep most requests free of writes.
const seenGranularity = time.Minute

// DefaultIssuer names Caseward in authenticator apps unless Options say
// otherwise.
const DefaultIssuer = "Caseward"

// Options configure a Store. Every field is optional.
type Options struct {
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Hasher hashes passwords; default password.NewHasher(0).
	Hasher *password.Hasher
	// Issuer is the name authenticator apps show beside the account;
	// default DefaultIssuer. It must not contain a colon.
	Issuer string
	// SecretKey, 32 bytes, seals the TOTP secrets in the database with
	// AES-256-GCM bound to the user's id. Without it the secrets are stored
	// in clear, which only tests should do. Secrets stored in clear are
	// still read when a key is set, and sealed when next replaced.
	SecretKey []byte
	// AccountPolicy throttles failures per account; default
	// throttle.AccountPolicy().
	AccountPolicy *throttle.Policy
	// IPPolicy throttles failures per client address; default
	// throttle.IPPolicy().
	IPPolicy *throttle.Policy
}

// Store holds services and staff accounts and signs staff in. It is safe for
// concurrent use; several Stores (several instances) may share one
// database.
type Store struct {
	db        *store.DB
	now       func() time.Time
	hasher    *password.Hasher
	issuer    string
	aead      cipher.AEAD // nil: TOTP secrets stored in clear
	account   throttle.Policy
	ipLimiter *throttle.Limiter // per client address, this instance only
}

// New applies the staff migrations to db and returns a Store over it.
// Package gate joins its clients to the services table made here.
func New(ctx context.Context, db *store.DB, opts Options) (*Store, error) {
	s := &Store{
		db:      db,
		now:     opts.Now,
		hasher:  opts.Hasher,
		issuer:  opts.Issuer,
		account: throttle.AccountPolicy(),
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.hasher == nil {
		s.hasher = password.NewHasher(0)
	}
	if s.issuer == "" {
		s.issuer = DefaultIssuer
	}
	if strings.Contains(s.issuer, ":") {
		return nil, errors.New("staff: the TOTP issuer must not contain a colon")
	}
	if opts.AccountPolicy != nil {
		s.account = *opts.AccountPolicy
	}
	ipPolicy := throttle.IPPolicy()
	if opts.IPPolicy != nil {
		ipPolicy = *opts.IPPolicy
	}
	s.ipLimiter = throttle.NewLimiter(ipPolicy, 0, s.now)
	if opts.SecretKey != nil {
		if len(opts.SecretKey) != 32 {
			return nil, fmt.Errorf("staff: secret key is %d bytes, want 32", len(opts.SecretKey))
		}
		block, err := aes.NewCipher(opts.SecretKey)
		if err != nil {
			return nil, fmt.Errorf("staff: secret key: %w", err)
		}
		if s.aead, err = cipher.NewGCM(block); err != nil {
			return nil, fmt.Errorf("staff: secret key: %w", err)
		}
	}
	sub, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		return nil, err
	}
	if err := db.Migrate(ctx, "staff", sub); err != nil {
		return nil, err
	}
	return s, nil
}

// Now returns the time by the Store's clock, for Session.RecentlyAuthenticated
// and anything else that must agree with it.
func (s *Store) Now() time.Time { return s.now() }

// PurgeExpired deletes expired sessions, API tokens and setup links, and
// sign-in failures old enough to be forgotten. Expired rows are already
// refused; purging only keeps the tables small. Run it from a periodic job.
func (s *Store) PurgeExpired(ctx context.Context) error {
	now := s.now()
	idle := micros(now.Add(-IdleTimeout))
	absolute := micros(now.Add(-AbsoluteTimeout))
	pending := micros(now.Add(-SecondFactorTimeout))
	forgotten := micros(now.Add(-s.account.Window))
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		for _, q := range []struct {
			sql  string
			args []any
		}{
			{"DELETE FROM sessions WHERE last_seen_at <= ? OR created_at <= ? OR (second_factor_at = 0 AND created_at <= ?)", []any{idle, absolute, pending}},
			{"DELETE FROM api_tokens WHERE expires_at <= ?", []any{micros(now)}},
			{"DELETE FROM setup_links WHERE expires_at <= ? OR used_at <> 0", []any{micros(now)}},
			{"DELETE FROM signin_failures WHERE last_failed_at <= ?", []any{forgotten}},
		} {
			if _, err := tx.Exec(ctx, q.sql, q.args...); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("staff: purge expired: %w", err)
	}
	return nil
}

// querier is what both *store.DB and *store.Tx offer for reading, so that
// look-ups run alone or inside a bigger transaction.
type querier interface {
	QueryRow(ctx context.Context, query string, args ...any) *sql.Row
	Query(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// micros stores a time: unix microseconds, UTC.
func micros(t time.Time) int64 { return t.UTC().UnixMicro() }

// fromMicros reads a stored time; 0 is the zero time.
func fromMicros(us int64) time.Time {
	if us == 0 {
		return time.Time{}
	}
	return time.UnixMicro(us).UTC()
}

var tokenEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// maxTokenLen bounds what is hashed from a request; real tokens are shorter.
const maxTokenLen = 128

// newSecret returns prefix and 256 random bits in lower-case base32.
func newSecret(prefix string) string {
	var b [32]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return prefix + tokenEncoding.EncodeToString(b[:])
}

// hashSecret is how a presented secret is stored and looked up.
func hashSecret(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}

// isUniqueViolation reports whether err is a unique-constraint failure on
// either engine ("UNIQUE constraint failed", "duplicate key value violates
// unique constraint").
func isUniqueViolation(err error) bool {
	return err != nil && strings.Contains(strings.ToLower(err.Error()), "unique")
}

// rowsAffected returns how many rows a statement changed.
func rowsAffected(res sql.Result, err error) (int64, error) {
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
