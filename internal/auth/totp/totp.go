// Package totp implements time-based one-time passwords (RFC 6238) as the
// second factor for staff sign-in.
//
// The settings are the ones every authenticator app understands: HMAC-SHA1,
// 6 digits, a 30-second period. [Generate] makes a secret and the otpauth URI
// to show as a QR code when a person enrols; [Validate] checks a code at
// sign-in, allowing one step of clock skew either way and refusing any step
// already used, so that a code observed over someone's shoulder or replayed
// from a phishing proxy cannot be used a second time.
//
// The code is written against the RFCs with the standard library alone
// (RFC 4226 dynamic truncation is a dozen lines); the tests check it against
// the RFC 6238 test vectors and against github.com/pquerna/otp.
package totp

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base32"
	"encoding/binary"
	"errors"
	"net/url"
	"strings"
	"time"
)

// Fixed TOTP settings, chosen for compatibility with authenticator apps.
const (
	// Digits is the number of digits in a code.
	Digits = 6
	// Period is how long one code is valid, in seconds; one period is a step.
	Period = 30
	// Skew is how many steps before or after the current one Validate
	// accepts, to forgive a phone's clock being slightly off.
	Skew = 1
	// SecretSize is the length of a generated secret in bytes: 160 bits, the
	// length RFC 4226 recommends for HMAC-SHA1.
	SecretSize = 20
)

// ErrInvalidLabel is returned by [Generate] when the issuer or account is
// empty or contains a colon, which the otpauth URI label cannot carry.
var ErrInvalidLabel = errors.New("totp: issuer and account must be non-empty and contain no colon")

// b32 is the secret's text form: RFC 4648 base32, upper case, no padding,
// as authenticator apps expect.
var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// Generate returns a new random secret, in base32, and an otpauth URI that
// carries it, for an authenticator app to scan as a QR code. The URI's label
// is "issuer:account" exactly as given (percent-encoded), so the caller
// decides what the app shows: in Caseward, the organisation or product name
// and the staff member's email, never anything about a client. Store the
// secret encrypted, and the URI nowhere: it contains the secret.
func Generate(issuer, account string) (secret, otpauthURI string, err error) {
	if issuer == "" || account == "" || strings.Contains(issuer, ":") || strings.Contains(account, ":") {
		return "", "", ErrInvalidLabel
	}
	key := make([]byte, SecretSize)
	rand.Read(key) // never returns an error; crashes the program on failure
	secret = b32.EncodeToString(key)

	// Key Uri Format (github.com/google/google-authenticator/wiki/Key-Uri-Format):
	// otpauth://totp/ISSUER:ACCOUNT?secret=…&issuer=ISSUER&algorithm=SHA1&digits=6&period=30
	// Spaces must be %20, not '+'.
	label := url.PathEscape(issuer) + ":" + url.PathEscape(account)
	query := "secret=" + secret +
		"&issuer=" + queryEscape(issuer) +
		"&algorithm=SHA1&digits=6&period=30"
	return secret, "otpauth://totp/" + label + "?" + query, nil
}

// queryEscape escapes s for a query value, writing spaces as %20: some
// authenticator apps show a '+' literally.
func queryEscape(s string) string {
	// QueryEscape writes a literal '+' as %2B, so every '+' left is a space.
	return strings.ReplaceAll(url.QueryEscape(s), "+", "%20")
}

// Validate reports whether code is the right code for secret at now, or one
// step either side of it, in a step later than lastUsedStep. On success it
// returns the step that matched: the caller must store it as lastUsedStep
// for the next call, which is what stops a code being used twice. Pass 0 as
// lastUsedStep when no code has been used yet.
//
// code must be 6 ASCII digits; spaces in it are ignored, since apps often
// display "123 456". The comparison takes constant time. An invalid secret
// or code gives (0, false).
func Validate(secret, code string, now time.Time, lastUsedStep int64) (step int64, ok bool) {
	code = strings.ReplaceAll(code, " ", "")
	if len(code) != Digits || strings.Trim(code, "0123456789") != "" {
		return 0, false
	}
	key, err := b32.DecodeString(secret)
	if err != nil || len(key) == 0 {
		return 0, false
	}
	current := stepAt(now)
	// Every candidate is computed and compared, whatever matches, so the
	// time taken does not depend on which step (if any) matched.
	matched := int64(-1)
	for s := current - Skew; s <= current+Skew; s++ {
		if s < 0 {
			continue
		}
		eq := subtle.ConstantTimeCompare([]byte(codeAt(key, s)), []byte(code)) == 1
		if eq && s > lastUsedStep && matched < 0 {
			matched = s
		}
	}
	if matched < 0 {
		return 0, false
	}
	return matched, true
}

// stepAt returns the RFC 6238 time step T = floor(unix seconds / Period).
func stepAt(t time.Time) int64 {
	sec := t.Unix()
	s := sec / Period
	if sec%Period < 0 { // round towards minus infinity before 1970
		s--
	}
	return s
}

// codeAt returns the RFC 4226 HOTP value of key for counter step, as a
// zero-padded Digits-digit string.
func codeAt(key []byte, step int64) string {
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], uint64(step))
	mac := hmac.New(sha1.New, key)
	mac.Write(msg[:])
	sum := mac.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	bin := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	n := bin % 1_000_000 // 10^Digits
	var out [Digits]byte
	for i := Digits - 1; i >= 0; i-- {
		out[i] = byte('0' + n%10)
		n /= 10
	}
	return string(out[:])
}
