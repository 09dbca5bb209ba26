package casework

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/caseward/caseward/internal/store"
)

// FieldError is a problem with one field, in words fit to show next to it.
// Field is the JSON name of the field; pages map it to their inputs.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// ValidationError lists every problem found in an input, so a form can show
// them all at once. Its messages never repeat what was typed.
type ValidationError struct {
	Fields []FieldError
}

func (e *ValidationError) Error() string {
	var b strings.Builder
	b.WriteString("invalid input: ")
	for i, f := range e.Fields {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(f.Field + ": " + f.Message)
	}
	return b.String()
}

// For returns the message for field, or "".
func (e *ValidationError) For(field string) string {
	for _, f := range e.Fields {
		if f.Field == field {
			return f.Message
		}
	}
	return ""
}

func (e *ValidationError) add(field, msg string) { e.Fields = append(e.Fields, FieldError{field, msg}) }

func (e *ValidationError) orNil() error {
	if len(e.Fields) == 0 {
		return nil
	}
	return e
}

// MaxNameLength bounds names, in characters.
const MaxNameLength = 100

// cleanName trims and checks a name; it accepts every script people's
// names are written in and refuses only control characters.
func cleanName(v *ValidationError, field, label, s string) string {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		v.add(field, "Enter the client’s "+label)
	case !utf8.ValidString(s):
		v.add(field, "The "+label+" contains characters that cannot be stored")
	case utf8.RuneCountInString(s) > MaxNameLength:
		v.add(field, "The "+label+" must be 100 characters or fewer")
	case strings.IndexFunc(s, unicode.IsControl) >= 0:
		v.add(field, "The "+label+" must be on one line, without control characters")
	}
	return s
}

// DateLayout is how dates travel in the API and are stored: YYYY-MM-DD.
const DateLayout = "2006-01-02"

// parseBirthDate checks a date of birth: a real date, not in the future,
// not before 1900.
func parseBirthDate(v *ValidationError, field, s string, now time.Time) time.Time {
	s = strings.TrimSpace(s)
	if s == "" {
		v.add(field, "Enter the client’s date of birth")
		return time.Time{}
	}
	d, err := time.Parse(DateLayout, s)
	if err != nil {
		v.add(field, "Date of birth must be a real date, for example 2007-03-27")
		return time.Time{}
	}
	today := now.UTC().Truncate(24 * time.Hour)
	switch {
	case d.After(today):
		v.add(field, "Date of birth must be today or in the past")
	case d.Year() < 1900:
		v.add(field, "Date of birth must be after 1900")
	}
	return d
}

// MaxTextLength bounds a short free-text field (a town, a GP's name), in
// characters; MaxLongTextLength bounds one that may run to a few lines
// (what a support contact may be told).
const (
	MaxTextLength     = 200
	MaxLongTextLength = 2000
)

// cleanText trims an optional free-text field and checks it: valid UTF-8,
// at most max characters, on one line unless multiline.
func cleanText(v *ValidationError, field, label, s string, max int, multiline bool) string {
	s = strings.TrimSpace(s)
	if multiline {
		s = strings.ReplaceAll(s, "\r\n", "\n")
	}
	switch {
	case s == "":
	case !utf8.ValidString(s):
		v.add(field, capitalise(label)+" contains characters that cannot be stored")
	case utf8.RuneCountInString(s) > max:
		v.add(field, capitalise(label)+" must be "+strconv.Itoa(max)+" characters or fewer")
	case strings.IndexFunc(s, func(r rune) bool { return unicode.IsControl(r) && !(multiline && (r == '\n' || r == '\t')) }) >= 0:
		if multiline {
			v.add(field, capitalise(label)+" must not contain control characters")
		} else {
			v.add(field, capitalise(label)+" must be on one line, without control characters")
		}
	}
	return s
}

// cleanOptionalName is cleanName for a name that may be left out.
func cleanOptionalName(v *ValidationError, field, label, s string) string {
	if strings.TrimSpace(s) == "" {
		return ""
	}
	return cleanName(v, field, label, s)
}

func capitalise(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if r == utf8.RuneError {
		return s
	}
	return string(unicode.ToUpper(r)) + s[n:]
}

// cleanPhone checks a phone number: digits, spaces, brackets, dashes and a
// leading +, with 7 to 15 digits (the international maximum).
func cleanPhone(v *ValidationError, field, label, s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if s == "" {
		return ""
	}
	digits := 0
	for i, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case r == ' ' || r == '(' || r == ')' || r == '-':
		case r == '+' && i == 0:
		default:
			v.add(field, "Enter "+label+" using only numbers, spaces and a leading +, like 07700 900982")
			return s
		}
	}
	if digits < 7 || digits > 15 {
		v.add(field, "Enter "+label+" with between 7 and 15 digits, like 07700 900982")
	}
	return s
}

// cleanEmail checks an e-mail address's shape: something@domain.tld, one
// line, at most 254 characters. Whether it reaches the client is for the
// client to confirm.
func cleanEmail(v *ValidationError, field, s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	local, domain, ok := strings.Cut(s, "@")
	switch {
	case len(s) > 254:
		v.add(field, "The email address must be 254 characters or fewer")
	case !ok || local == "" || strings.Contains(domain, "@") || !strings.Contains(domain, ".") ||
		strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") ||
		strings.IndexFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0:
		v.add(field, "Enter an email address in the correct format, like name@example.com")
	}
	return s
}

// ukPostcode is the shape of a UK postcode, without its space.
var ukPostcode = regexp.MustCompile(`^[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][A-Z]{2}$`)

// cleanPostcode checks a UK postcode and writes it in capitals with one
// space before the last three characters.
func cleanPostcode(v *ValidationError, field, s string) string {
	s = strings.ToUpper(strings.Join(strings.Fields(s), ""))
	if s == "" {
		return ""
	}
	if !ukPostcode.MatchString(s) {
		v.add(field, "Enter a real postcode, like SW1A 1AA")
		return s
	}
	return s[:len(s)-3] + " " + s[len(s)-3:]
}

// bumpVersion moves a row of table on from version to the next, or returns
// ErrConflict when someone saved it in between. table is always one of
// casework's own constant table names, never input.
func bumpVersion(ctx context.Context, tx *store.Tx, table, id string, version int64, now time.Time) error {
	res, err := tx.Exec(ctx, "UPDATE "+table+" SET version = version + 1, updated_at = ? WHERE id = ? AND version = ?",
		now.UTC().UnixMicro(), id, version)
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n != 1 {
		return ErrConflict
	}
	return nil
}
