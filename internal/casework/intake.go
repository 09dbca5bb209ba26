package casework

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/caseward/caseward/internal/access"
	"github.com/caseward/caseward/internal/audit"
	"github.com/caseward/caseward/internal/store"
)

// The intake check: "do we already know this person?", asked across the
// whole organisation before a new client is recorded, so that one person
// does not get two records and the services that already work with them
// can be asked. Even the fact that someone uses a service is confidential
// (P23), so the answer says only that a possible match exists and which
// services or workers to ask: never a name, a record, a client's id, nor
// how many people matched. It is found by blind indexes alone (nothing is
// decrypted: the person asking may not see those records), every check is
// audited (action "client.intake-check", with no client id, and whether a
// possible match was found), and each member of staff may make only so
// many checks an hour, so the check cannot be used to trawl.

// IntakeChecksPerHour is how many intake checks one member of staff may
// make in any hour.
const IntakeChecksPerHour = 30

// ErrRateLimited is returned when someone has made IntakeChecksPerHour
// checks in the last hour.
var ErrRateLimited = errors.New("too many intake checks in the last hour; try again later")

// IntakeQuery is what the intake check asks about: the person's names and
// date of birth, all three needed (a check on fewer would match too many
// people to say anything, and say too much about them).
type IntakeQuery struct {
	GivenName   string `json:"given_name"`
	FamilyName  string `json:"family_name"`
	DateOfBirth string `json:"date_of_birth"` // YYYY-MM-DD
}

// IntakeAnswer is all the intake check says.
type IntakeAnswer struct {
	// PossibleMatch is true when someone already recorded has a name that
	// is, or sounds, the same and the same date of birth (or none
	// recorded). It is a "perhaps": ask before assuming.
	PossibleMatch bool
	// Ask lists whom to ask: a service and the worker who owns the
	// person's work there ("" when nobody does: ask the service's
	// manager). Each pair appears once, whatever the number of matches.
	Ask []access.Link
	// AskDPO is true when a possible match has no open work in any
	// service: the Data Protection Officer can find out.
	AskDPO bool
	// YouCanSee is true when a possible match is someone the asker may
	// already see: searching for them finds them.
	YouCanSee bool
}

// mayCheckIntake reports whether the actor's role takes on clients.
func mayCheckIntake(actor access.Actor) bool {
	switch actor.Role {
	case access.Caseworker, access.Manager, access.AdminStaff:
		return actor.UserID != "" && len(actor.Services) > 0
	}
	return false
}

func (q IntakeQuery) parse(now time.Time) (given, family []string, dob string, err error) {
	var v ValidationError
	words := func(field, label, s string) []string {
		s = strings.TrimSpace(s)
		switch {
		case s == "":
			v.add(field, "Enter the person’s "+label)
		case !utf8.ValidString(s) || strings.IndexFunc(s, isControl) >= 0:
			v.add(field, "The "+label+" must be on one line, in characters that can be typed")
		case utf8.RuneCountInString(s) > MaxNameLength:
			v.add(field, "The "+label+" must be 100 characters or fewer")
		default:
			ws := nameWords(s)
			if len(ws) == 0 {
				v.add(field, "Enter the person’s "+label+" in letters")
			}
			if len(ws) > MaxSearchWords {
				v.add(field, fmt.Sprintf("Enter at most %d words of the %s", MaxSearchWords, label))
			}
			return ws
		}
		return nil
	}
	given = words("given_name", "given name", q.GivenName)
	family = words("family_name", "family name", q.FamilyName)
	d := strings.TrimSpace(q.DateOfBirth)
	if d == "" {
		v.add("date_of_birth", "Enter the person’s date of birth")
	} else if t, perr := time.Parse(DateLayout, d); perr != nil || t.Year() < 1900 || t.After(now) {
		v.add("date_of_birth", "Date of birth must be a real date in the past, for example 27 3 2007")
	} else {
		dob = t.Format(DateLayout)
	}
	return given, family, dob, v.orNil()
}

// IntakeCheck answers "do we already know this person?" across the whole
// organisation (P23: see IntakeAnswer for all it says). It returns a
// *ValidationError for a bad query, ErrForbidden for a role that does not
// take on clients, and ErrRateLimited after too many checks; each of those
// but the first is audited, and so is every answer.
func (cw *Casework) IntakeCheck(ctx context.Context, actor access.Actor, q IntakeQuery) (IntakeAnswer, error) {
	purpose := editPurpose(actor)
	entry := audit.Entry{Actor: actor.UserID, Action: "client.intake-check", Purpose: string(purpose)}
	if !mayCheckIntake(actor) {
		if actor.UserID == "" {
			return IntakeAnswer{}, ErrForbidden
		}
		entry.Reason = "role"
		if _, err := cw.gate.Audit().Record(ctx, entry); err != nil {
			return IntakeAnswer{}, fmt.Errorf("intake check: audit: %w", err)
		}
		return IntakeAnswer{}, ErrForbidden
	}
	now := cw.now()
	given, family, dob, err := q.parse(now)
	if err != nil {
		return IntakeAnswer{}, err
	}
	matches, err := cw.intakeMatches(ctx, given, family, dob)
	if err != nil {
		return IntakeAnswer{}, err
	}
	var ans IntakeAnswer
	if len(matches) > 0 {
		whom, err := cw.gate.WhomToAsk(ctx, actor, purpose, matches)
		if err != nil {
			return IntakeAnswer{}, err
		}
		ans = IntakeAnswer{Ask: whom.Links, AskDPO: whom.Unlinked, YouCanSee: whom.InReach}
		ans.PossibleMatch = len(ans.Ask) > 0 || ans.AskDPO
	}

	// Count, record and answer in one transaction: nothing is said unless
	// the check is within the limit and its trace is committed.
	at := now.UTC()
	limited := false
	err = cw.db.Tx(ctx, func(tx *store.Tx) error {
		since := at.Add(-time.Hour).UnixMicro()
		var n, all int
		if err := tx.QueryRow(ctx, `SELECT COALESCE(SUM(CASE WHEN checked_at > ? THEN 1 ELSE 0 END), 0), COUNT(*)
			FROM client_intake_checks WHERE actor_id = ?`, since, actor.UserID).Scan(&n, &all); err != nil {
			return err
		}
		if all-n >= IntakeChecksPerHour {
			// Forget checks older than the window, now and then.
			if _, err := tx.Exec(ctx, "DELETE FROM client_intake_checks WHERE actor_id = ? AND checked_at <= ?", actor.UserID, since); err != nil {
				return err
			}
		}
		e := entry
		if n >= IntakeChecksPerHour {
			limited = true
			e.Reason = "rate-limited"
		} else {
			if _, err := tx.Exec(ctx, "INSERT INTO client_intake_checks (actor_id, checked_at) VALUES (?, ?)", actor.UserID, at.UnixMicro()); err != nil {
				return err
			}
			e.Allowed = true
			e.Reason = "no-match"
			if ans.PossibleMatch {
				e.Reason = "possible-match"
			}
		}
		_, err := cw.gate.Audit().Append(ctx, tx, e)
		return err
	})
	if err != nil {
		return IntakeAnswer{}, fmt.Errorf("intake check: %w", err)
	}
	if limited {
		return IntakeAnswer{}, ErrRateLimited
	}
	return ans, nil
}

// intakeValue is what an ix tag (search.go) is made from: a word of a
// name by its phonetic key (or itself, when the key is too short to say
// much), and a date of birth ("" when not known).
func intakeValue(word, dob string) string {
	key := "n " + word
	if p := phonetic(word); len(p) >= minPhoneticLength {
		key = "ph " + p
	}
	if dob == "" {
		dob = "none"
	}
	return key + " " + dob
}

// intakeMatches returns the clients, anywhere in the organisation, with a
// word of their names that is or sounds like a word of the given name,
// another like a word of the family name (in either of their names:
// people's names are recorded in either order), and whose date of birth
// is dob or unknown. Each look-up is of a name word together with a date
// of birth (kind ix), so it reads only the rows of people who have both,
// however common the name.
func (cw *Casework) intakeMatches(ctx context.Context, given, family []string, dob string) ([]string, error) {
	// The parts, as bits: a given-name and a family-name word, each with
	// the date of birth asked about or with none. A match needs both words
	// with the same date: when different values share a truncated index
	// (tagger), one client's rows must not seem to match across them.
	const (
		givenDOB = 1 << iota
		familyDOB
		givenNone
		familyNone
	)
	t := tagger{cw: cw, tags: map[string]*tagUse{}}
	for _, part := range []struct {
		words       []string
		dob, noDate int
	}{{given, givenDOB, givenNone}, {family, familyDOB, familyNone}} {
		for _, w := range part.words {
			t.add(kindIntake, intakeValue(w, dob), part.dob, levelExact)
			t.add(kindIntake, intakeValue(w, ""), part.noDate, levelExact)
		}
	}
	bits := map[string]int{}
	tags := make([]string, 0, len(t.tags))
	for tag, u := range t.tags {
		for _, l := range u.lookups {
			bits[tag] |= l.part // the parts here are bits
		}
		tags = append(tags, tag)
	}
	slices.Sort(tags)
	scopes, err := cw.allScopes(ctx)
	if err != nil {
		return nil, fmt.Errorf("intake check: %w", err)
	}
	found := map[string]int{}
	err = cw.eachIndexRow(ctx, scopes, tags, func(tag, id string) { found[id] |= bits[tag] })
	if err != nil {
		return nil, fmt.Errorf("intake check: %w", err)
	}
	var out []string
	for id, b := range found {
		if b&(givenDOB|familyDOB) == givenDOB|familyDOB || b&(givenNone|familyNone) == givenNone|familyNone {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out, nil
}

// eachIndexRow calls fn for every index row, in scopes, whose tag is one
// of tags.
func (cw *Casework) eachIndexRow(ctx context.Context, scopes []string, tags []string, fn func(tag, id string)) error {
	scopeArgs := paddedArgs(scopes, scopeListLength(len(scopes)))
	for start := 0; start < len(tags); start += maxTagsPerQuery {
		args := slices.Clone(scopeArgs)
		args = append(args, paddedArgs(tags[start:min(start+maxTagsPerQuery, len(tags))], maxTagsPerQuery)...)
		// The limit is a guard, and it steers PostgreSQL to a scan of the
		// index alone (it holds every column) rather than of the table.
		args = append(args, maxCandidates)
		rows, err := cw.db.Query(ctx, "SELECT tag, client_id FROM client_search WHERE scope IN ("+marks(len(scopeArgs))+
			") AND tag IN ("+marks(maxTagsPerQuery)+") LIMIT ?", args...)
		if err != nil {
			return err
		}
		for rows.Next() {
			var tag, id string
			if err := rows.Scan(&tag, &id); err != nil {
				rows.Close()
				return err
			}
			fn(tag, id)
		}
		if err := rows.Close(); err != nil {
			return err
		}
		if err := rows.Err(); err != nil {
			return err
		}
	}
	return nil
}
