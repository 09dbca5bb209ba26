package password

import (
	_ "embed"
	"errors"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// Length limits, counted in characters (Unicode code points), not bytes.
const (
	// MinLength is the shortest password accepted for an account without a
	// second factor (NIST SP 800-63B-4, section 3.1.1.2).
	MinLength = 15
	// MinLengthWithSecondFactor is the shortest password accepted for an
	// account that also has a second factor.
	MinLengthWithSecondFactor = 8
	// MaxLength is the longest password accepted. It bounds the work of
	// hashing; 128 is far beyond any passphrase a person types.
	MaxLength = 128
)

// Errors returned by [Check], to be tested with errors.Is. The error Check
// returns wraps one of these and its Error method gives a sentence fit to
// show the person choosing the password.
var (
	// ErrTooShort means the password has fewer characters than the minimum.
	ErrTooShort = errors.New("password too short")
	// ErrTooLong means the password has more than MaxLength characters.
	ErrTooLong = errors.New("password too long")
	// ErrTooCommon means the password is in the list of common passwords.
	ErrTooCommon = errors.New("password too common")
)

// policyError carries a message for the user and the sentinel it matches.
type policyError struct {
	msg  string
	kind error
}

func (e *policyError) Error() string { return e.msg }
func (e *policyError) Unwrap() error { return e.kind }

var (
	errTooShort = &policyError{
		msg:  "Choose a password of at least " + strconv.Itoa(MinLength) + " characters",
		kind: ErrTooShort,
	}
	errTooShortWithSecondFactor = &policyError{
		msg:  "Choose a password of at least " + strconv.Itoa(MinLengthWithSecondFactor) + " characters",
		kind: ErrTooShort,
	}
	errTooLong = &policyError{
		msg:  "Choose a password of at most " + strconv.Itoa(MaxLength) + " characters",
		kind: ErrTooLong,
	}
	errTooCommon = &policyError{
		msg:  "This password is too common: choose another",
		kind: ErrTooCommon,
	}
)

// Check reports whether pw may be chosen as a new password. It requires at
// least [MinLength] characters, or [MinLengthWithSecondFactor] when the
// account has a second factor (in Caseward every account has one), at most
// [MaxLength], and that pw, ignoring case, is not in the shipped list of
// common passwords. Any characters are allowed, spaces included, and no mix
// of character classes is demanded. The error, if any, wraps [ErrTooShort],
// [ErrTooLong] or [ErrTooCommon] and reads as advice to the user, for
// example "Choose a password of at least 15 characters".
func Check(pw string, hasSecondFactor bool) error {
	n := utf8.RuneCountInString(pw)
	switch {
	case n > MaxLength:
		return errTooLong
	case hasSecondFactor && n < MinLengthWithSecondFactor:
		return errTooShortWithSecondFactor
	case !hasSecondFactor && n < MinLength:
		return errTooShort
	}
	if _, found := commonPasswords()[strings.ToLower(pw)]; found {
		return errTooCommon
	}
	return nil
}

// commonPasswordsText is the list of common passwords, one per line, lower
// case. See NOTICE in this directory for its source and licence.
//
//go:embed common-passwords.txt
var commonPasswordsText string

// commonPasswords returns the embedded list as a set, built on first use.
var commonPasswords = sync.OnceValue(func() map[string]struct{} {
	lines := strings.Split(commonPasswordsText, "\n")
	set := make(map[string]struct{}, len(lines))
	for _, line := range lines {
		if line = strings.TrimSpace(line); line != "" {
			set[strings.ToLower(line)] = struct{}{}
		}
	}
	return set
})
