package staff

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/caseward/caseward/internal/store"
	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"
)

// Passkeys (WebAuthn credentials) are a second factor beside TOTP: after
// the password, a person may present a passkey instead of a code. Every
// account keeps its TOTP secret, so a lost passkey never locks anyone out.
//
// A ceremony has two halves, each a request: Begin… returns the options the
// browser passes to navigator.credentials, and keeps what the second half
// must check (challenge, relying party, origin) on the server, keyed by the
// session, for CeremonyTimeout; Finish…/CheckPasskey consumes it, once,
// whatever the outcome. Any instance sharing the database can finish a
// ceremony another began.

// Errors about passkeys. Test them with errors.Is.
var (
	// ErrBadPasskey means a passkey's answer was not accepted: an unknown
	// or another account's credential, a bad signature, a wrong challenge,
	// origin or relying party, or a disabled account. The error may carry
	// a reason fit for the log (never personal data), not for the page.
	ErrBadPasskey = errors.New("staff: passkey not accepted")

	// ErrPasskeyCloned means a passkey's signature counter did not move
	// forward: two copies of its private key may exist. It wraps
	// ErrBadPasskey.
	ErrPasskeyCloned = fmt.Errorf("%w: signature counter did not increase (cloned authenticator?)", ErrBadPasskey)

	// ErrNoCeremony means no passkey ceremony of that kind was begun for the
	// session, it expired, or it was already finished. Begin again.
	ErrNoCeremony = errors.New("staff: no passkey ceremony under way, or it expired")
)

// CeremonyTimeout is how long a begun passkey ceremony may be finished: the
// time the browser is told to give the person, too.
const CeremonyTimeout = 5 * time.Minute

// MaxPasskeys is the most passkeys one account may have.
const MaxPasskeys = 20

// Ceremony kinds, as stored.
const (
	ceremonyRegister = "register"
	ceremonySignIn   = "sign-in"
)

// RelyingParty is the site passkeys are made for and used at, as the
// browser sees it. ID is its domain (the host without the port; never an IP
// address, which WebAuthn refuses); Origin is scheme://host[:port].
// A passkey made for one ID works only there.
type RelyingParty struct {
	ID     string
	Origin string
}

// Passkey is a WebAuthn credential of a member of staff.
type Passkey struct {
	// ID names the passkey in Caseward (pages, logs); it is not secret.
	ID     string
	UserID string
	// RPID is the relying party (domain) the passkey was made for.
	RPID string
	// CredentialID is the authenticator's name for the credential.
	CredentialID []byte
	// PublicKey is the credential's public key, a COSE_Key.
	PublicKey []byte
	// SignCount is the authenticator's signature counter at last use; 0
	// for authenticators that keep none (most synced passkeys).
	SignCount uint32
	// Transports are how the browser may reach the authenticator: "usb",
	// "nfc", "ble", "hybrid", "internal", ….
	Transports []string
	// AAGUID names the authenticator model; all zeros when undisclosed.
	AAGUID []byte
	// Name is what the person calls the passkey.
	Name       string
	CreatedAt  time.Time
	LastUsedAt time.Time // zero: never used to sign in

	flags             protocol.AuthenticatorFlags
	attestationType   string
	attestationFormat string
}

// credential returns p as the WebAuthn library sees it.
func (p Passkey) credential() webauthn.Credential {
	transports := make([]protocol.AuthenticatorTransport, len(p.Transports))
	for i, t := range p.Transports {
		transports[i] = protocol.AuthenticatorTransport(t)
	}
	return webauthn.Credential{
		ID:                p.CredentialID,
		PublicKey:         p.PublicKey,
		AttestationType:   p.attestationType,
		AttestationFormat: p.attestationFormat,
		Transport:         transports,
		Flags:             webauthn.NewCredentialFlags(p.flags),
		Authenticator:     webauthn.Authenticator{AAGUID: p.AAGUID, SignCount: p.SignCount},
	}
}

// passkeyUser is an account as the WebAuthn library sees it.
type passkeyUser struct {
	handle      []byte
	name        string // the email address: what passkey managers list the passkey under
	displayName string
	credentials []webauthn.Credential
}

func (u *passkeyUser) WebAuthnID() []byte                         { return u.handle }
func (u *passkeyUser) WebAuthnName() string                       { return u.name }
func (u *passkeyUser) WebAuthnDisplayName() string                { return u.displayName }
func (u *passkeyUser) WebAuthnCredentials() []webauthn.Credential { return u.credentials }

// webAuthn returns the WebAuthn relying party for rp: user verification and
// a discoverable credential preferred, no attestation asked for (Caseward
// does not restrict authenticator models).
func (s *Store) webAuthn(rp RelyingParty) (*webauthn.WebAuthn, error) {
	no := false
	return webauthn.New(&webauthn.Config{
		RPID:                  rp.ID,
		RPDisplayName:         s.issuer,
		RPOrigins:             []string{rp.Origin},
		AttestationPreference: protocol.PreferNoAttestation,
		AuthenticatorSelection: protocol.AuthenticatorSelection{
			ResidentKey:        protocol.ResidentKeyRequirementPreferred,
			RequireResidentKey: &no,
			UserVerification:   protocol.VerificationPreferred,
		},
		Timeouts: webauthn.TimeoutsConfig{
			Login:        webauthn.TimeoutConfig{Timeout: CeremonyTimeout, TimeoutUVD: CeremonyTimeout},
			Registration: webauthn.TimeoutConfig{Timeout: CeremonyTimeout, TimeoutUVD: CeremonyTimeout},
		},
	})
}

// checkRelyingParty says what is wrong with rp, if anything.
func checkRelyingParty(rp RelyingParty) error {
	if err := protocol.ValidateRPID(rp.ID); err != nil {
		return fmt.Errorf("relying party id: %w", err)
	}
	if !strings.HasPrefix(rp.Origin, "https://") && !strings.HasPrefix(rp.Origin, "http://") {
		return errors.New("relying party origin is not an http(s) origin")
	}
	return nil
}

// BeginPasskeyRegistration starts adding a passkey called name to the
// account of the session of token, at relying party rp, and returns the
// options for navigator.credentials.create() as JSON ({"publicKey": …}).
// The account's WebAuthn user handle is made now if it has none.
//
// The session must be past its second factor; ask for the password again
// first (Session.RecentlyAuthenticated): this method does not. A name that
// is empty or too long, or an account that already has MaxPasskeys, comes
// back as ValidationErrors for field "name". An unknown or expired session,
// or a disabled account, is ErrNoSession.
func (s *Store) BeginPasskeyRegistration(ctx context.Context, token string, rp RelyingParty, name string) (json.RawMessage, error) {
	name, msg := checkName(name, "a name for the passkey")
	if msg != "" {
		return nil, ValidationErrors{{Field: "name", Message: msg}}
	}
	if err := checkRelyingParty(rp); err != nil {
		return nil, fmt.Errorf("staff: begin passkey registration: %w", err)
	}
	wa, err := s.webAuthn(rp)
	if err != nil {
		return nil, fmt.Errorf("staff: begin passkey registration: %w", err)
	}
	now := s.now()
	var options json.RawMessage
	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		sess, err := s.liveSession(ctx, tx, token, now)
		if err != nil {
			return err
		}
		if !sess.SecondFactorDone {
			return ErrNoSession
		}
		u, err := userWhere(ctx, tx, "id = ?", sess.UserID)
		if errors.Is(err, store.ErrNotFound) || err == nil && u.Disabled {
			return ErrNoSession
		}
		if err != nil {
			return err
		}
		existing, err := passkeysWhere(ctx, tx, "user_id = ?", u.ID)
		if err != nil {
			return err
		}
		if len(existing) >= MaxPasskeys {
			return ValidationErrors{{Field: "name", Message: fmt.Sprintf("You already have %d passkeys, the most an account can have. Remove one first", MaxPasskeys)}}
		}
		handle, err := s.userHandle(ctx, tx, u.ID, now)
		if err != nil {
			return err
		}
		// The authenticators that already hold a passkey for this account
		// are told so, and decline to make a second.
		var exclude []protocol.CredentialDescriptor
		for _, p := range existing {
			if p.RPID == rp.ID {
				c := p.credential()
				exclude = append(exclude, c.Descriptor())
			}
		}
		user := &passkeyUser{handle: handle, name: u.Email, displayName: u.Name}
		creation, data, err := wa.BeginRegistration(user,
			webauthn.WithExclusions(exclude),
			webauthn.WithRegistrationOrigin(rp.Origin))
		if err != nil {
			return err
		}
		if options, err = json.Marshal(creation); err != nil {
			return err
		}
		return s.putCeremony(ctx, tx, token, ceremonyRegister, u.ID, name, data, now)
	})
	if errors.Is(err, ErrNoSession) {
		return nil, ErrNoSession
	}
	if isValidation(err) {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("staff: begin passkey registration: %w", err)
	}
	return options, nil
}

// FinishPasskeyRegistration checks the browser's answer to the options
// BeginPasskeyRegistration returned for the session of token (the JSON of
// the PublicKeyCredential), and if it holds, stores the new passkey under
// the name given then. The ceremony is used up either way.
//
// It returns ErrNoSession if the session has ended, ErrNoCeremony if no
// registration was begun for it (or it expired), and an error wrapping
// ErrBadPasskey if the answer does not hold or the credential is already
// registered.
func (s *Store) FinishPasskeyRegistration(ctx context.Context, token string, response []byte) (Passkey, error) {
	now := s.now()
	c, err := s.takeCeremony(ctx, token, ceremonyRegister, now)
	if err != nil {
		return Passkey{}, err
	}
	u, err := userWhere(ctx, s.db, "id = ?", c.userID)
	if errors.Is(err, store.ErrNotFound) || err == nil && u.Disabled {
		return Passkey{}, ErrNoSession
	}
	if err != nil {
		return Passkey{}, fmt.Errorf("staff: finish passkey registration: %w", err)
	}
	wa, err := s.webAuthn(c.relyingParty())
	if err != nil {
		return Passkey{}, fmt.Errorf("staff: finish passkey registration: %w", err)
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes(response)
	if err != nil {
		return Passkey{}, badPasskey(err)
	}
	user := &passkeyUser{handle: c.data.UserID, name: u.Email, displayName: u.Name}
	cred, err := wa.CreateCredential(user, c.data, parsed)
	if err != nil {
		return Passkey{}, badPasskey(err)
	}
	p := Passkey{
		ID:                store.NewID(),
		UserID:            u.ID,
		RPID:              c.data.RelyingPartyID,
		CredentialID:      cred.ID,
		PublicKey:         cred.PublicKey,
		SignCount:         cred.Authenticator.SignCount,
		AAGUID:            cred.Authenticator.AAGUID,
		Name:              c.name,
		CreatedAt:         fromMicros(micros(now)),
		flags:             cred.Flags.ProtocolValue(),
		attestationType:   cred.AttestationType,
		attestationFormat: cred.AttestationFormat,
	}
	for _, t := range cred.Transport {
		if t := string(t); t != "" && !strings.ContainsRune(t, ',') && !slices.Contains(p.Transports, t) {
			p.Transports = append(p.Transports, t)
		}
	}
	if len(p.AAGUID) != 16 {
		p.AAGUID = make([]byte, 16)
	}
	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		if err := activeUser(ctx, tx, u.ID); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO passkeys (id, user_id, rp_id, credential_id, public_key, sign_count, transports, aaguid, flags,
			attestation_type, attestation_format, name, created_at, last_used_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)`,
			p.ID, p.UserID, p.RPID, p.CredentialID, p.PublicKey, int64(p.SignCount), strings.Join(p.Transports, ","), p.AAGUID, int64(p.flags),
			p.attestationType, p.attestationFormat, p.Name, micros(p.CreatedAt))
		if isUniqueViolation(err) {
			return fmt.Errorf("%w: credential already registered", ErrBadPasskey)
		}
		return err
	})
	switch {
	case errors.Is(err, ErrNoSession):
		return Passkey{}, ErrNoSession
	case errors.Is(err, ErrBadPasskey):
		return Passkey{}, err
	case err != nil:
		return Passkey{}, fmt.Errorf("staff: finish passkey registration: %w", err)
	}
	return p, nil
}

// BeginPasskeySignIn starts a passkey sign-in for the session of token, at
// relying party rp, and returns the options for navigator.credentials.get()
// as JSON ({"publicKey": …}), allowing any of the account's passkeys made
// for rp. Call it after the password (the session awaits its second
// factor); it does not check the session's state beyond its being live.
//
// It returns ErrNoSession for an unknown or expired session or a disabled
// account, and an error wrapping store.ErrNotFound if the account has no
// passkey for rp.
func (s *Store) BeginPasskeySignIn(ctx context.Context, token string, rp RelyingParty) (json.RawMessage, error) {
	if err := checkRelyingParty(rp); err != nil {
		return nil, fmt.Errorf("staff: begin passkey sign-in: %w", err)
	}
	wa, err := s.webAuthn(rp)
	if err != nil {
		return nil, fmt.Errorf("staff: begin passkey sign-in: %w", err)
	}
	now := s.now()
	var options json.RawMessage
	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		sess, err := s.liveSession(ctx, tx, token, now)
		if err != nil {
			return err
		}
		if err := activeUser(ctx, tx, sess.UserID); err != nil {
			return err
		}
		user, err := s.passkeyUser(ctx, tx, sess.UserID, rp.ID)
		if err != nil {
			return err
		}
		assertion, data, err := wa.BeginLogin(user,
			webauthn.WithUserVerification(protocol.VerificationPreferred),
			webauthn.WithLoginOrigin(rp.Origin))
		if err != nil {
			return err
		}
		if options, err = json.Marshal(assertion); err != nil {
			return err
		}
		return s.putCeremony(ctx, tx, token, ceremonySignIn, sess.UserID, "", data, now)
	})
	if errors.Is(err, ErrNoSession) {
		return nil, ErrNoSession
	}
	if err != nil {
		return nil, fmt.Errorf("staff: begin passkey sign-in: %w", err)
	}
	return options, nil
}

// CheckPasskey checks the browser's answer (the JSON of the
// PublicKeyCredential) to the options BeginPasskeySignIn returned for the
// session of token. The ceremony is used up either way.
//
// Like CheckTOTP, a failure counts towards the account's throttle, shared
// with passwords and codes; while it runs, CheckPasskey returns a
// *ThrottledError without checking the answer. Success clears the count,
// moves the passkey's signature counter on and records its use. A counter
// that does not move on (a cloned authenticator, or a replayed answer) is
// ErrPasskeyCloned; any other failure wraps ErrBadPasskey. ErrNoCeremony
// means nothing was begun (or it expired); ErrNoSession that the session
// has ended.
//
// It does not change the session: call CompleteSecondFactor after it
// succeeds.
func (s *Store) CheckPasskey(ctx context.Context, token string, response []byte) error {
	now := s.now()
	c, err := s.takeCeremony(ctx, token, ceremonySignIn, now)
	if err != nil {
		return err
	}
	var (
		email    string
		disabled int64
	)
	err = store.NotFound(s.db.QueryRow(ctx, "SELECT email, disabled FROM users WHERE id = ?", c.userID).Scan(&email, &disabled))
	if errors.Is(err, store.ErrNotFound) {
		return ErrNoSession
	}
	if err != nil {
		return fmt.Errorf("staff: check passkey: %w", err)
	}
	key := accountKey(email)
	if err := s.beginAttempt(ctx, key); err != nil {
		return err
	}
	if disabled != 0 {
		return fmt.Errorf("%w: account disabled", ErrBadPasskey)
	}
	wa, err := s.webAuthn(c.relyingParty())
	if err != nil {
		return fmt.Errorf("staff: check passkey: %w", err)
	}
	parsed, err := protocol.ParseCredentialRequestResponseBytes(response)
	if err != nil {
		return badPasskey(err)
	}
	user, err := s.passkeyUser(ctx, s.db, c.userID, c.data.RelyingPartyID)
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("%w: the account has no passkey", ErrBadPasskey) // removed since the ceremony began
	}
	if err != nil {
		return fmt.Errorf("staff: check passkey: %w", err)
	}
	cred, err := wa.ValidateLogin(user, c.data, parsed)
	if err != nil {
		return badPasskey(err)
	}
	if cred.Authenticator.CloneWarning {
		return ErrPasskeyCloned
	}
	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		if err := s.countSignature(ctx, tx, c.userID, cred.ID, cred.Authenticator.SignCount, cred.Flags.ProtocolValue(), now); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, "DELETE FROM signin_failures WHERE account_key = ?", key)
		return err
	})
	if errors.Is(err, ErrBadPasskey) {
		return err
	}
	if err != nil {
		return fmt.Errorf("staff: check passkey: %w", err)
	}
	return nil
}

// badPasskey wraps a reason from the WebAuthn library in ErrBadPasskey. The
// library's messages are fixed sentences; its debugging detail, which may
// echo what the browser sent, is left out.
func badPasskey(err error) error {
	var unknown *protocol.ErrorUnknownCredential
	if errors.As(err, &unknown) {
		err = unknown.Err
	}
	var perr *protocol.Error
	if errors.As(err, &perr) {
		return fmt.Errorf("%w: %s: %s", ErrBadPasskey, perr.Type, perr.Details)
	}
	return fmt.Errorf("%w: %v", ErrBadPasskey, err)
}

// Passkeys returns the passkeys of account userID, oldest first.
func (s *Store) Passkeys(ctx context.Context, userID string) ([]Passkey, error) {
	ps, err := passkeysWhere(ctx, s.db, "user_id = ?", userID)
	if err != nil {
		return nil, fmt.Errorf("staff: passkeys: %w", err)
	}
	return ps, nil
}

// PasskeyByCredentialID returns the passkey with the authenticator's
// credential id, or an error wrapping store.ErrNotFound.
func (s *Store) PasskeyByCredentialID(ctx context.Context, credentialID []byte) (Passkey, error) {
	ps, err := passkeysWhere(ctx, s.db, "credential_id = ?", credentialID)
	if err == nil && len(ps) == 0 {
		err = store.ErrNotFound
	}
	if err != nil {
		return Passkey{}, fmt.Errorf("staff: passkey: %w", err)
	}
	return ps[0], nil
}

// PasskeyUserHandle returns the WebAuthn user handle of account userID, or
// an error wrapping store.ErrNotFound if the account has never begun adding
// a passkey.
func (s *Store) PasskeyUserHandle(ctx context.Context, userID string) ([]byte, error) {
	var handle []byte
	if err := s.db.QueryRow(ctx, "SELECT handle FROM passkey_users WHERE user_id = ?", userID).Scan(&handle); err != nil {
		return nil, fmt.Errorf("staff: passkey user handle: %w", store.NotFound(err))
	}
	return handle, nil
}

// RenamePasskey renames passkey id of account userID. A bad name is
// ValidationErrors for field "name"; a passkey that is not the account's is
// an error wrapping store.ErrNotFound.
func (s *Store) RenamePasskey(ctx context.Context, userID, id, name string) error {
	name, msg := checkName(name, "a name for the passkey")
	if msg != "" {
		return ValidationErrors{{Field: "name", Message: msg}}
	}
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		n, err := rowsAffected(tx.Exec(ctx, "UPDATE passkeys SET name = ? WHERE id = ? AND user_id = ?", name, id, userID))
		if err == nil && n == 0 {
			err = store.ErrNotFound
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("staff: rename passkey: %w", err)
	}
	return nil
}

// RemovePasskey removes passkey id of account userID; it no longer signs
// in. A passkey that is not the account's is an error wrapping
// store.ErrNotFound. Removing is a sensitive action: ask for the password
// again first (Session.RecentlyAuthenticated); this method does not.
func (s *Store) RemovePasskey(ctx context.Context, userID, id string) error {
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		n, err := rowsAffected(tx.Exec(ctx, "DELETE FROM passkeys WHERE id = ? AND user_id = ?", id, userID))
		if err == nil && n == 0 {
			err = store.ErrNotFound
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("staff: remove passkey: %w", err)
	}
	return nil
}

// UpdatePasskeySignCount records that passkey id signed with counter count
// just now. The counter must move forward, unless it is and stays 0
// (authenticators that keep no counter): anything else is
// ErrPasskeyCloned and nothing changes. A compare-and-set, so of two
// answers racing with the same counter, one wins. CheckPasskey does this
// itself; an unknown id is an error wrapping store.ErrNotFound.
func (s *Store) UpdatePasskeySignCount(ctx context.Context, id string, count uint32) error {
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		var (
			userID string
			credID []byte
			flags  int64
		)
		if err := tx.QueryRow(ctx, "SELECT user_id, credential_id, flags FROM passkeys WHERE id = ?"+tx.ForUpdate(), id).Scan(&userID, &credID, &flags); err != nil {
			return store.NotFound(err)
		}
		return s.countSignature(ctx, tx, userID, credID, count, protocol.AuthenticatorFlags(flags), s.now())
	})
	if errors.Is(err, ErrBadPasskey) {
		return err
	}
	if err != nil {
		return fmt.Errorf("staff: update passkey sign count: %w", err)
	}
	return nil
}

// countSignature moves the counter of userID's credential credID to count,
// refusing one that does not move forward, and records the use at now.
func (s *Store) countSignature(ctx context.Context, tx *store.Tx, userID string, credID []byte, count uint32, flags protocol.AuthenticatorFlags, now time.Time) error {
	n, err := rowsAffected(tx.Exec(ctx, `UPDATE passkeys SET sign_count = ?, flags = ?, last_used_at = ?
		WHERE credential_id = ? AND user_id = ? AND (sign_count < ? OR (sign_count = 0 AND ? = 0))`,
		int64(count), int64(flags), micros(now), credID, userID, int64(count), int64(count)))
	if err != nil {
		return err
	}
	if n == 0 {
		return ErrPasskeyCloned
	}
	return nil
}

// passkeyUser reads account userID with its passkeys for relying party
// rpID, or an error wrapping store.ErrNotFound if it has none.
func (s *Store) passkeyUser(ctx context.Context, q querier, userID, rpID string) (*passkeyUser, error) {
	u, err := userWhere(ctx, q, "id = ?", userID)
	if err != nil {
		return nil, err
	}
	ps, err := passkeysWhere(ctx, q, "user_id = ? AND rp_id = ?", userID, rpID)
	if err != nil {
		return nil, err
	}
	if len(ps) == 0 {
		return nil, fmt.Errorf("no passkey for this relying party: %w", store.ErrNotFound)
	}
	var handle []byte
	if err := q.QueryRow(ctx, "SELECT handle FROM passkey_users WHERE user_id = ?", userID).Scan(&handle); err != nil {
		return nil, store.NotFound(err)
	}
	pu := &passkeyUser{handle: handle, name: u.Email, displayName: u.Name}
	for _, p := range ps {
		pu.credentials = append(pu.credentials, p.credential())
	}
	return pu, nil
}

// userHandle returns the WebAuthn user handle of account userID, making it
// if the account has none: 64 random bytes, as the specification advises.
func (s *Store) userHandle(ctx context.Context, tx *store.Tx, userID string, now time.Time) ([]byte, error) {
	fresh := make([]byte, 64)
	_, _ = rand.Read(fresh) // crypto/rand.Read never fails on supported platforms
	if _, err := tx.Exec(ctx, "INSERT INTO passkey_users (user_id, handle, created_at) VALUES (?, ?, ?) ON CONFLICT (user_id) DO NOTHING",
		userID, fresh, micros(now)); err != nil {
		return nil, err
	}
	var handle []byte
	if err := tx.QueryRow(ctx, "SELECT handle FROM passkey_users WHERE user_id = ?", userID).Scan(&handle); err != nil {
		return nil, err
	}
	return handle, nil
}

// passkeysWhere reads passkeys, oldest first.
func passkeysWhere(ctx context.Context, q querier, where string, args ...any) ([]Passkey, error) {
	rows, err := q.Query(ctx, `SELECT id, user_id, rp_id, credential_id, public_key, sign_count, transports, aaguid, flags,
		attestation_type, attestation_format, name, created_at, last_used_at FROM passkeys WHERE `+where+` ORDER BY created_at, id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ps []Passkey
	for rows.Next() {
		var (
			p                   Passkey
			count, flags        int64
			transports          string
			created, lastUsedAt int64
		)
		if err := rows.Scan(&p.ID, &p.UserID, &p.RPID, &p.CredentialID, &p.PublicKey, &count, &transports, &p.AAGUID, &flags,
			&p.attestationType, &p.attestationFormat, &p.Name, &created, &lastUsedAt); err != nil {
			return nil, err
		}
		p.SignCount, p.flags = uint32(count), protocol.AuthenticatorFlags(flags)
		if transports != "" {
			p.Transports = strings.Split(transports, ",")
		}
		p.CreatedAt, p.LastUsedAt = fromMicros(created), fromMicros(lastUsedAt)
		ps = append(ps, p)
	}
	return ps, rows.Err()
}

// ceremony is a begun passkey ceremony as stored.
type ceremony struct {
	userID string
	name   string
	data   webauthn.SessionData
}

// relyingParty returns the relying party the ceremony was begun at; its
// second half is checked against that, whatever host it arrives on.
func (c ceremony) relyingParty() RelyingParty {
	return RelyingParty{ID: c.data.RelyingPartyID, Origin: c.data.Origin}
}

// putCeremony stores a begun ceremony of kind for the session of token,
// replacing any other of that kind, and forgets expired ones.
func (s *Store) putCeremony(ctx context.Context, tx *store.Tx, token, kind, userID, name string, data *webauthn.SessionData, now time.Time) error {
	encoded, err := json.Marshal(data)
	if err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, "DELETE FROM passkey_ceremonies WHERE expires_at <= ?", micros(now)); err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `INSERT INTO passkey_ceremonies (session_hash, kind, user_id, name, data, expires_at) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (session_hash, kind) DO UPDATE SET user_id = excluded.user_id, name = excluded.name, data = excluded.data, expires_at = excluded.expires_at`,
		hashSecret(token), kind, userID, name, encoded, micros(now.Add(CeremonyTimeout)))
	return err
}

// takeCeremony removes and returns the live ceremony of kind for the live
// session of token.
func (s *Store) takeCeremony(ctx context.Context, token, kind string, now time.Time) (ceremony, error) {
	var c ceremony
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		sess, err := s.liveSession(ctx, tx, token, now)
		if err != nil {
			return err
		}
		var (
			encoded []byte
			expires int64
		)
		err = store.NotFound(tx.QueryRow(ctx, "SELECT user_id, name, data, expires_at FROM passkey_ceremonies WHERE session_hash = ? AND kind = ?"+tx.ForUpdate(),
			hashSecret(token), kind).Scan(&c.userID, &c.name, &encoded, &expires))
		if errors.Is(err, store.ErrNotFound) {
			return ErrNoCeremony
		}
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "DELETE FROM passkey_ceremonies WHERE session_hash = ? AND kind = ?", hashSecret(token), kind); err != nil {
			return err
		}
		if !now.Before(fromMicros(expires)) || c.userID != sess.UserID {
			c = ceremony{}
			return nil // used up; reported after the commit
		}
		return json.Unmarshal(encoded, &c.data)
	})
	switch {
	case errors.Is(err, ErrNoSession), errors.Is(err, ErrNoCeremony):
		return ceremony{}, err
	case err != nil:
		return ceremony{}, fmt.Errorf("staff: passkey ceremony: %w", err)
	case c.userID == "" || len(c.data.Challenge) == 0:
		return ceremony{}, ErrNoCeremony
	}
	return c, nil
}
