package staff

import (
	"crypto/rand"
	"errors"
)

// Stored TOTP secrets start with a format byte.
const (
	secretClear  byte = 0 // the base32 secret follows in clear
	secretSealed byte = 1 // a 12-byte nonce and the AES-256-GCM sealed base32 secret follow
)

// secretAD binds a sealed secret to its user, so that a sealed secret
// copied onto another account's row does not open.
func secretAD(userID string) []byte { return []byte("caseward/staff/totp-secret\x00" + userID) }

// sealSecret returns what to store for a user's TOTP secret.
func (s *Store) sealSecret(userID, secret string) []byte {
	if s.aead == nil {
		return append([]byte{secretClear}, secret...)
	}
	out := make([]byte, 1+s.aead.NonceSize(), 1+s.aead.NonceSize()+len(secret)+s.aead.Overhead())
	out[0] = secretSealed
	_, _ = rand.Read(out[1:]) // crypto/rand.Read never fails on supported platforms
	return s.aead.Seal(out, out[1:], []byte(secret), secretAD(userID))
}

// openSecret reads a stored TOTP secret.
func (s *Store) openSecret(userID string, stored []byte) (string, error) {
	if len(stored) == 0 {
		return "", errors.New("empty TOTP secret")
	}
	switch stored[0] {
	case secretClear:
		return string(stored[1:]), nil
	case secretSealed:
		if s.aead == nil {
			return "", errors.New("TOTP secret is sealed but no secret key is configured")
		}
		n := s.aead.NonceSize()
		if len(stored) < 1+n {
			return "", errors.New("sealed TOTP secret too short")
		}
		plain, err := s.aead.Open(nil, stored[1:1+n], stored[1+n:], secretAD(userID))
		if err != nil {
			return "", errors.New("TOTP secret does not open with the configured secret key")
		}
		return string(plain), nil
	}
	return "", errors.New("unknown TOTP secret format")
}
