package staff

import (
	"errors"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ValidationError says what is wrong with one field of the input, in a
// sentence fit to show next to that field. Field is the name of the form
// field: "email", "name", "role", "services" or "password".
type ValidationError struct {
	Field   string
	Message string
	err     error // ErrExists, or nil
}

// Error returns the message.
func (e *ValidationError) Error() string { return e.Message }

// Unwrap returns ErrExists for a duplicate name or email address.
func (e *ValidationError) Unwrap() error { return e.err }

// ValidationErrors lists every problem found with an input, in the order of
// the form's fields. Methods that validate return it (never empty) when
// anything is wrong, and then write nothing. errors.As finds both the list
// and, through Unwrap, its first *ValidationError.
type ValidationErrors []*ValidationError

// Error joins the messages.
func (v ValidationErrors) Error() string {
	msgs := make([]string, len(v))
	for i, e := range v {
		msgs[i] = e.Message
	}
	return strings.Join(msgs, "; ")
}

// Unwrap returns the individual errors.
func (v ValidationErrors) Unwrap() []error {
	errs := make([]error, len(v))
	for i, e := range v {
		errs[i] = e
	}
	return errs
}

// For returns the message for field, or "" if the field is fine.
func (v ValidationErrors) For(field string) string {
	for _, e := range v {
		if e.Field == field {
			return e.Message
		}
	}
	return ""
}

// add appends a problem with field.
func (v *ValidationErrors) add(field, msg string) {
	*v = append(*v, &ValidationError{Field: field, Message: msg})
}

// err returns v as an error, or nil when there is no problem.
func (v ValidationErrors) err() error {
	if len(v) == 0 {
		return nil
	}
	return v
}

// exists is the error for a name or email address already taken.
func exists(field, msg string) error {
	return ValidationErrors{{Field: field, Message: msg, err: ErrExists}}
}

// isValidation reports whether err lists problems with the input.
func isValidation(err error) bool {
	var v ValidationErrors
	return errors.As(err, &v)
}

// maxNameLen bounds service and staff names, in characters.
const maxNameLen = 100

// checkName trims a person's or a service's name and says what is wrong with
// it, if anything: empty is "Enter " + what.
func checkName(name, what string) (string, string) {
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		return name, "Enter " + what
	case utf8.RuneCountInString(name) > maxNameLen:
		return name, capitalise(what) + " must be 100 characters or fewer"
	case !utf8.ValidString(name) || strings.ContainsFunc(name, unicode.IsControl):
		return name, capitalise(what) + " must not contain control characters"
	}
	return name, ""
}

func capitalise(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[n:]
}

// maxEmailLen is the longest address SMTP can carry (RFC 5321, 4.5.3.1.3).
const maxEmailLen = 254

// checkEmail trims an email address and says what is wrong with its shape,
// if anything. It checks shape only: local@domain.tld, no spaces, no
// colon (which the authenticator label cannot carry).
func checkEmail(email string) (string, string) {
	email = strings.TrimSpace(email)
	if email == "" {
		return email, "Enter an email address"
	}
	const format = "Enter an email address in the correct format, like name@example.org"
	if len(email) > maxEmailLen || !utf8.ValidString(email) {
		return email, format
	}
	if strings.ContainsFunc(email, func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsControl(r) || strings.ContainsRune(`:<>()[]\,;"`, r)
	}) {
		return email, format
	}
	at := strings.LastIndexByte(email, '@')
	if at < 1 || strings.Count(email, "@") != 1 {
		return email, format
	}
	domain := email[at+1:]
	if !strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") ||
		strings.Contains(domain, "..") || strings.HasPrefix(domain, "-") {
		return email, format
	}
	return email, ""
}

// emailKey is the form an email address is unique and looked up in.
func emailKey(email string) string { return strings.ToLower(strings.TrimSpace(email)) }
