package keys

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"slices"
	"strings"
	"unicode"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// BlindIndex returns a keyed hash of Normalise(value) for organisation-wide
// look-ups ("do we already know this person?") that must not reveal the
// value: HMAC-SHA256 under the keyring's blind-index key, separated by kind
// ("family-name", "dob", a phonetic code…) so equal values of different
// kinds do not match, and truncated to Options.BlindIndexBits bits, written
// as lower-case hex (16 bits: 4 characters). Truncation is deliberate: each
// index is shared by many values, so a look-up yields a few candidates to
// check by decrypting within the worker's rights, and a stolen index table
// tells an attacker little.
//
// A value that normalises to nothing gives "": store no index for it.
func (k *Keyring) BlindIndex(kind, value string) string {
	n := Normalise(value)
	if n == "" {
		return ""
	}
	m := hmac.New(sha256.New, k.blindKey)
	m.Write(associatedData(domainBlind, kind, n))
	v := binary.BigEndian.Uint64(m.Sum(nil)) >> (64 - k.bits)
	return fmt.Sprintf("%0*x", (k.bits+3)/4, v)
}

// Normalise reduces a name or other short value to the form in which two
// spellings of the same thing compare equal: Unicode compatibility
// decomposition (NFKD), combining marks removed ("José" → "Jose"), case
// folded ("Straße" → "strasse"), apostrophes dropped ("O’Brien" →
// "obrien"), and every other run of characters that are not letters or
// digits turned into one space between words, with none at either end.
//
// In scripts whose vowel signs are combining marks (Devanagari, for
// instance) those signs are dropped too: two names may then share a form,
// which for a blind index only adds a candidate. Invalid UTF-8 counts as a
// separator. Normalise(Normalise(s)) == Normalise(s).
func Normalise(s string) string {
	// Decompose, fold, and decompose again: folding can produce
	// characters with compatibility decompositions of their own.
	s = norm.NFKD.String(cases.Fold().String(norm.NFKD.String(s)))
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		switch {
		case unicode.IsMark(r), isApostrophe(r):
			// dropped without a trace
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = false
			// x/text folds Cherokee lower case to upper and upper to lower,
			// so folding twice undoes itself; ToLower settles every letter
			// on one form and keeps Normalise idempotent.
			b.WriteRune(unicode.ToLower(r))
		default:
			space = true
		}
	}
	return b.String()
}

// isApostrophe reports the characters people type inside names (O'Brien,
// D’Angelo), which should join the parts rather than split them.
func isApostrophe(r rune) bool {
	switch r {
	case '\'', '\u2019', '\u02bc', '\u2018', '`':
		return true
	}
	return false
}

// NameTokens returns the distinct words of Normalise(name), in order, so a
// name can be indexed word by word ("María José García-López" → maria,
// jose, garcia, lopez) and found whichever parts a worker types.
func NameTokens(name string) []string {
	var out []string
	for _, w := range strings.Fields(Normalise(name)) {
		if !slices.Contains(out, w) {
			out = append(out, w)
		}
	}
	return out
}
