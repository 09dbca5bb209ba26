package staff

import (
	"context"
	"errors"
	"fmt"
	"net/netip"

	"github.com/caseward/caseward/internal/auth/throttle"
	"github.com/caseward/caseward/internal/auth/totp"
	"github.com/caseward/caseward/internal/store"
)

// CheckPassword checks a password at sign-in and returns the account.
//
// A failure is ErrBadCredentials whether the account does not exist, is
// disabled or the password is wrong, after the same work (an Argon2id
// verification) and the same writes, so neither the answer nor its timing
// says which accounts exist. Failures are counted per email address typed
// (in the database, shared by every instance) and per client address (in
// memory); once either has failed too often, CheckPassword returns a
// *ThrottledError without checking the password. Waits grow from a second
// to at most 15 minutes and are forgotten after an hour without failure:
// an attacker can slow an account down but never lock its owner out.
//
// clientIP is the address the request came from ("" when unknown, as on the
// command line); "host:port" is accepted.
//
// Success is half a sign-in: the account's failure count is cleared only
// when the second factor succeeds (CheckTOTP), so that a stolen password
// does not buy unlimited guesses at the code.
func (s *Store) CheckPassword(ctx context.Context, email, pw, clientIP string) (User, error) {
	ip := ipKey(clientIP)
	if wait := s.ipLimiter.Wait(ip); wait > 0 {
		return User{}, &ThrottledError{Wait: wait}
	}
	key := accountKey(email)
	if err := s.beginAttempt(ctx, key); err != nil {
		return User{}, err
	}

	var (
		id, hash string
		disabled int64
		ok       bool
		rehash   bool
	)
	err := store.NotFound(s.db.QueryRow(ctx, "SELECT id, password_hash, disabled FROM users WHERE email_key = ?", emailKey(email)).
		Scan(&id, &hash, &disabled))
	switch {
	case errors.Is(err, store.ErrNotFound):
		if err := s.hasher.DummyVerify(ctx); err != nil {
			return User{}, err
		}
	case err != nil:
		return User{}, fmt.Errorf("staff: check password: %w", err)
	default:
		if ok, rehash, err = s.hasher.Verify(ctx, pw, hash); err != nil {
			return User{}, fmt.Errorf("staff: check password of user %s: %w", id, err)
		}
	}
	if !ok || disabled != 0 {
		s.ipLimiter.Failure(ip)
		return User{}, ErrBadCredentials
	}

	if err := s.undoAttempt(ctx, key); err != nil {
		return User{}, err
	}
	if rehash {
		if err := s.rehash(ctx, id, pw); err != nil {
			return User{}, err
		}
	}
	u, err := s.UserByID(ctx, id)
	if err != nil {
		return User{}, err
	}
	return u, nil
}

// rehash stores a hash of pw made with the current parameters.
func (s *Store) rehash(ctx context.Context, id, pw string) error {
	hash, err := s.hasher.Hash(ctx, pw)
	if err != nil {
		return fmt.Errorf("staff: rehash password: %w", err)
	}
	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, "UPDATE users SET password_hash = ? WHERE id = ?", hash, id)
		return err
	})
	if err != nil {
		return fmt.Errorf("staff: rehash password: %w", err)
	}
	return nil
}

// CheckTOTP checks the second-factor code of account userID. A code is
// accepted once only: the time step it belongs to is stored, and no code of
// that step or an earlier one is accepted again. A wrong, reused or
// expired code, an unknown or disabled account, all give ErrBadCode and
// count as a failure towards the same per-account throttle as passwords;
// when it is running, CheckTOTP returns a *ThrottledError without checking
// the code. Success clears the account's failure count.
//
// It does not change any session: call CompleteSecondFactor (at sign-in) or
// Reauthenticate (before a sensitive action) after it succeeds.
func (s *Store) CheckTOTP(ctx context.Context, userID, code string) error {
	var (
		email    string
		sealed   []byte
		lastStep int64
		disabled int64
	)
	err := store.NotFound(s.db.QueryRow(ctx, "SELECT email, totp_secret, totp_last_step, disabled FROM users WHERE id = ?", userID).
		Scan(&email, &sealed, &lastStep, &disabled))
	if errors.Is(err, store.ErrNotFound) {
		return ErrBadCode
	}
	if err != nil {
		return fmt.Errorf("staff: check code: %w", err)
	}
	key := accountKey(email)
	if err := s.beginAttempt(ctx, key); err != nil {
		return err
	}
	secret, err := s.openSecret(userID, sealed)
	if err != nil {
		return fmt.Errorf("staff: check code of user %s: %w", userID, err)
	}
	step, ok := totp.Validate(secret, code, s.now(), lastStep)
	if !ok || disabled != 0 {
		return ErrBadCode
	}
	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		// The condition makes the step a compare-and-set: of two requests
		// racing with the same code, one wins.
		n, err := rowsAffected(tx.Exec(ctx, "UPDATE users SET totp_last_step = ? WHERE id = ? AND totp_last_step < ?", step, userID, step))
		if err != nil {
			return err
		}
		if n == 0 {
			return ErrBadCode
		}
		_, err = tx.Exec(ctx, "DELETE FROM signin_failures WHERE account_key = ?", key)
		return err
	})
	if errors.Is(err, ErrBadCode) {
		return ErrBadCode
	}
	if err != nil {
		return fmt.Errorf("staff: check code: %w", err)
	}
	return nil
}

// beginAttempt refuses an attempt on account key with a *ThrottledError if
// its wait is still running, and otherwise records the attempt as a failure
// before the password or code is checked, so that attempts made in parallel
// count against each other. undoAttempt takes it back on success.
func (s *Store) beginAttempt(ctx context.Context, key string) error {
	now := s.now()
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		// One statement creates the row if need be, locks it until the
		// transaction ends, and reads it, so that concurrent attempts
		// queue behind one another and each sees the others' counts.
		var count, last int64
		if err := tx.QueryRow(ctx, `INSERT INTO signin_failures (account_key, failed_count, last_failed_at) VALUES (?, 0, 0)
			ON CONFLICT (account_key) DO UPDATE SET failed_count = signin_failures.failed_count
			RETURNING failed_count, last_failed_at`, key).Scan(&count, &last); err != nil {
			return err
		}
		lastAt := fromMicros(last)
		if wait := s.account.Delay(int(count), lastAt, now); wait > 0 {
			return &ThrottledError{Wait: wait}
		}
		next := s.account.Count(int(count), lastAt, now) + 1
		_, err := tx.Exec(ctx, "UPDATE signin_failures SET failed_count = ?, last_failed_at = ? WHERE account_key = ?", next, micros(now), key)
		return err
	})
	var te *ThrottledError
	if errors.As(err, &te) {
		return te
	}
	if err != nil {
		return fmt.Errorf("staff: sign-in throttle: %w", err)
	}
	return nil
}

// undoAttempt takes back the failure beginAttempt recorded for an attempt
// that succeeded.
func (s *Store) undoAttempt(ctx context.Context, key string) error {
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, "UPDATE signin_failures SET failed_count = failed_count - 1 WHERE account_key = ? AND failed_count > 0", key)
		return err
	})
	if err != nil {
		return fmt.Errorf("staff: sign-in throttle: %w", err)
	}
	return nil
}

// accountKey is the key failures are counted under for an email address,
// whether or not an account has it. Hashing keeps addresses that have no
// account (typos, guesses) out of the database in clear.
func accountKey(email string) string {
	return hashSecret("caseward/staff/account\x00" + emailKey(email))
}

// ipKey is the key failures are counted under for a client address.
func ipKey(clientIP string) string {
	if a, err := netip.ParseAddr(clientIP); err == nil {
		return throttle.IPKey(a)
	}
	if ap, err := netip.ParseAddrPort(clientIP); err == nil {
		return throttle.IPKey(ap.Addr())
	}
	return "unparsed:" + clientIP
}
