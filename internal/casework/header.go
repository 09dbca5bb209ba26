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
	return cw.headerFor(ctx, actor, h)
}

// headerFor builds the header from a handle actor opened, for pages that
// have one: the name shows to the assigned team, initials to others.
func (cw *Casework) headerFor(ctx context.Context, actor access.Actor, h *gate.Handle) (Header, error) {
	return cw.headerAs(ctx, h, maySeeName(actor, h.Subject()))
}

func (cw *Casework) headerAs(ctx context.Context, h *gate.Handle, seeName bool) (Header, error) {
	// Only what the header shows is decrypted.
	c, err := cw.readClient(ctx, h, seeName, PartNames, PartDetails, PartSafeContact, PartFlags)
	if err != nil {
		return Header{}, err
	}
	return c.Header(), nil
}

// Header derives the record's header from the client's record: the name
// (initials and case number when it is withheld), the flags, and how the
// client may be contacted safely (P29).
func (c Client) Header() Header {
	hd := Header{ClientID: c.ID, Reference: Reference(c.ID)}
	switch {
	case c.NameWithheld:
		hd.DisplayName = c.Initials
	case c.PreferredName != "" && c.PreferredName != c.GivenName:
		hd.DisplayName = c.GivenName + " " + c.FamilyName + " (known as " + c.PreferredName + ")"
	default:
		hd.DisplayName = c.GivenName + " " + c.FamilyName
	}
	hd.Flags = c.flagLines()
	hd.SafeContact = c.SafeContact.Lines()
	return hd
}

// flagLines lists the record's flags in words: risk first, then the
// organisation's flags, an interpreter, a hidden name.
func (c Client) flagLines() []string {
	var out []string
	if l := optionLabel(RiskLevels, c.Flags.Risk); l != "" {
		out = append(out, "Risk: "+strings.ToLower(l))
	}
	out = append(out, c.FlagLabels...)
	if c.Details.InterpreterNeeded {
		if c.Details.FirstLanguage != "" {
			out = append(out, "Interpreter needed: "+c.Details.FirstLanguage)
		} else {
			out = append(out, "Interpreter needed")
		}
	}
	if c.Flags.HideName {
		out = append(out, "Name hidden in lists")
	}
	return out
}
