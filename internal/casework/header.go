package casework

import (
	"context"
	"strings"
	"unicode/utf8"

	"github.com/caseward/caseward/internal/access"
	"github.com/caseward/caseward/internal/gate"
)

// Header is what every page of a client's record shows at its top, before
// anything else: who the client is (or only their initials and case
// number, for clients whose name is hidden), their flags, and how they may
// be contacted safely (P29).
type Header struct {
	ClientID    string
	DisplayName string   // full name, or initials for a hidden name
	Reference   string   // the case number staff may say aloud: never the name
	Flags       []string // e.g. "Risk: high", "Address confidential"
	SafeContact []string // lines such as "Do not phone", "Never name the organisation"
}

// Reference makes the short reference shown beside or instead of a name:
// the first characters of the client's opaque id, upper-cased.
func Reference(clientID string) string {
	if len(clientID) < 8 {
		return strings.ToUpper(clientID)
	}
	return "CW-" + strings.ToUpper(clientID[:8])
}

// Initials returns the initials of a name, for lists that must not show it.
func Initials(given, family string) string {
	var b strings.Builder
	for _, part := range []string{given, family} {
		if r, _ := utf8.DecodeRuneInString(strings.TrimSpace(part)); r != utf8.RuneError {
			b.WriteRune(r)
			b.WriteString(".")
		}
	}
	return b.String()
}

// Header opens the client for contact details and returns their header.
func (cw *Casework) Header(ctx context.Context, actor access.Actor, id string, purpose access.Purpose) (Header, error) {
	h, err := cw.gate.OpenClient(ctx, actor, id, purpose, access.ViewContact)
	if err != nil {
		return Header{}, err
	}
	return cw.header(ctx, h)
}

// header builds the header from an open handle, for pages that have one.
func (cw *Casework) header(ctx context.Context, h *gate.Handle) (Header, error) {
	c, err := cw.readClient(ctx, h)
	if err != nil {
		return Header{}, err
	}
	return c.Header(), nil
}

// Header derives the record's header from the client's record.
func (c Client) Header() Header {
	return Header{
		ClientID:    c.ID,
		DisplayName: c.GivenName + " " + c.FamilyName,
		Reference:   Reference(c.ID),
	}
}
