package casework

import (
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
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
