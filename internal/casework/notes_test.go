package casework_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"strings"
	"testing"
	"time"

	"github.com/caseward/caseward/internal/access"
	"github.com/caseward/caseward/internal/app/apptest"
	"github.com/caseward/caseward/internal/casework"
	"github.com/caseward/caseward/internal/store"
	"github.com/caseward/caseward/internal/store/storetest"
)

// noteWorld is a service with a client, their caseworker, a colleague on
// the same (shared) caseload, the service's manager and admin staff.
type noteWorld struct {
	env                                 *apptest.Env
	serviceID, clientID                 string
	author, colleague, manager, adminSt apptest.Person
}

func newNoteWorld(t testing.TB, env *apptest.Env, shared bool) noteWorld {
	t.Helper()
	svc := env.Service(t, fmt.Sprintf("Counselling %d", crc32.ChecksumIEEE([]byte(t.Name()))), shared)
	w := noteWorld{env: env, serviceID: svc.ID}
	w.author = env.Person(t, access.Caseworker, svc.ID)
	w.colleague = env.Person(t, access.Caseworker, svc.ID)
	w.manager = env.Person(t, access.Manager, svc.ID)
	w.adminSt = env.Person(t, access.AdminStaff, svc.ID)
	id, err := env.Casework.CreateClient(context.Background(), w.author.Actor(), casework.ClientInput{
		ServiceID: svc.ID, GivenName: "Nasrin", FamilyName: "Karimi", DateOfBirth: "1991-04-12",
	})
	if err != nil {
		t.Fatalf("create client: %v", err)
	}
	w.clientID = id
	return w
}

// now formats the test clock's time as a form sends it.
func noteTime(env *apptest.Env, d time.Duration) string {
	return casework.UKTime(env.Clock.Now().Add(d)).Format(casework.NoteTimeLayout)
}

func (w noteWorld) note(kind casework.NoteKind, discussed string) casework.NoteInput {
	return casework.NoteInput{NoteText: casework.NoteText{
		Kind: string(kind), Method: string(casework.MethodFaceToFace), ContactAt: noteTime(w.env, -time.Hour),
		Present: "Client and counsellor", Discussed: discussed, Support: "Weekly sessions", Expectations: "Attend on time",
	}}
}

func (w noteWorld) add(t *testing.T, p apptest.Person, in casework.NoteInput) string {
	t.Helper()
	id, err := w.env.Casework.AddNote(t.Context(), p.Actor(), w.clientID, in)
	if err != nil {
		t.Fatalf("add note: %v", err)
	}
	return id
}

func expect(t *testing.T, env *apptest.Env, clientID string, at time.Time, worker string) {
	t.Helper()
	err := env.DB.Tx(t.Context(), func(tx *store.Tx) error {
		return env.Casework.ExpectNote(t.Context(), tx, clientID, "", at, worker)
	})
	if err != nil {
		t.Fatalf("expect note: %v", err)
	}
}

func overdueIDs(t *testing.T, f func(context.Context, access.Actor) ([]casework.OverdueEntry, error), p apptest.Person) []string {
	t.Helper()
	es, err := f(t.Context(), p.Actor())
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		out = append(out, e.ClientID)
	}
	return out
}

// P02: a contact with no note shows as overdue once two working days have
// passed, on the client's notes and on the caseload (for the worker and
// the manager); the note answers it, and it is overdue no more.
func TestP02ContactWithoutNoteIsOverdue(t *testing.T) {
	apptest.Each(t, func(t *testing.T, env *apptest.Env) {
		ctx := t.Context()
		w := newNoteWorld(t, env, false)
		// Wednesday 25 November 2026, 09:30: a session at 09:00, in the
		// client's case; and a phone call at 09:10, in no case.
		cases, err := env.Casework.Cases(ctx, w.author.Actor(), w.clientID, access.Casework)
		if err != nil || len(cases.Cases) != 1 {
			t.Fatalf("cases %+v, %v", cases.Cases, err)
		}
		contact := env.Clock.Now().Add(-30 * time.Minute)
		for range 2 { // twice is once
			if err := env.DB.Tx(ctx, func(tx *store.Tx) error {
				return env.Casework.ExpectNote(ctx, tx, w.clientID, cases.Cases[0].ID, contact, w.author.ID)
			}); err != nil {
				t.Fatal(err)
			}
		}
		call := contact.Add(10 * time.Minute)
		expect(t, env, w.clientID, call, w.author.ID)

		view, err := env.Casework.Notes(ctx, w.author.Actor(), w.clientID, access.Casework, 1)
		if err != nil {
			t.Fatal(err)
		}
		if len(view.Awaiting) != 2 || view.Awaiting[0].Overdue || view.Awaiting[0].CaseID != cases.Cases[0].ID {
			t.Fatalf("awaiting %+v, want two contacts, the case's first, not yet overdue", view.Awaiting)
		}
		// Friday evening is still within two working days.
		env.Clock.Advance(2*24*time.Hour + 10*time.Hour)
		if got := overdueIDs(t, env.Casework.OverdueNotes, w.author); len(got) != 0 {
			t.Fatalf("overdue on Friday: %v", got)
		}
		// Monday: overdue, for the worker and their manager, not for a
		// colleague or admin staff.
		env.Clock.Advance(3 * 24 * time.Hour)
		for _, p := range []apptest.Person{w.author, w.manager} {
			if got := overdueIDs(t, env.Casework.OverdueNotes, p); len(got) != 2 || got[0] != w.clientID || got[1] != w.clientID {
				t.Fatalf("%s: overdue notes %v, want the client's two contacts", p.Role, got)
			}
		}
		for _, p := range []apptest.Person{w.colleague, w.adminSt} {
			if got := overdueIDs(t, env.Casework.OverdueNotes, p); len(got) != 0 {
				t.Fatalf("%s sees overdue notes %v", p.Role, got)
			}
		}
		view, err = env.Casework.Notes(ctx, w.author.Actor(), w.clientID, access.Casework, 1)
		if err != nil {
			t.Fatal(err)
		}
		if len(view.Awaiting) != 2 || !view.Awaiting[0].Overdue || !view.Awaiting[1].Overdue {
			t.Fatalf("awaiting %+v, want two overdue contacts", view.Awaiting)
		}

		// The notes, written late for those contacts, answer them: one
		// naming its contact (and taking its case), one by its time.
		in := w.note(casework.SessionalNote, "Talked about sleep and the move")
		in.Contact = view.Awaiting[0].ID
		in.ContactAt = casework.UKTime(contact).Format(casework.NoteTimeLayout)
		first := w.add(t, w.author, in)
		if n, err := env.Casework.Note(ctx, w.author.Actor(), w.clientID, first, access.Casework); err != nil || n.Note.CaseID != cases.Cases[0].ID {
			t.Fatalf("the note for the contact is in case %q (%v), want the contact's", n.Note.CaseID, err)
		}
		in = w.note(casework.ContactNote, "Phone call about the GP letter")
		in.ContactAt = casework.UKTime(call.Add(5 * time.Minute)).Format(casework.NoteTimeLayout)
		w.add(t, w.author, in)
		for _, p := range []apptest.Person{w.author, w.manager} {
			if got := overdueIDs(t, env.Casework.OverdueNotes, p); len(got) != 0 {
				t.Fatalf("%s: still overdue after the note: %v", p.Role, got)
			}
		}
		view, err = env.Casework.Notes(ctx, w.author.Actor(), w.clientID, access.Casework, 1)
		if err != nil || len(view.Awaiting) != 0 {
			t.Fatalf("awaiting after the note: %+v, %v", view.Awaiting, err)
		}

		// A note without naming the contact answers the one nearest its time.
		expect(t, env, w.clientID, env.Clock.Now().Add(-2*time.Hour), w.author.ID)
		w.add(t, w.author, w.note(casework.ContactNote, "Phone call about housing"))
		if view, _ := env.Casework.Notes(ctx, w.author.Actor(), w.clientID, access.Casework, 1); len(view.Awaiting) != 0 {
			t.Fatalf("the nearest contact was not answered: %+v", view.Awaiting)
		}
	})
}

// P02: agreed actions, with who does them and by when, are overdue the day
// after they were due until done.
func TestP02AgreedActionsOverdue(t *testing.T) {
	apptest.Each(t, func(t *testing.T, env *apptest.Env) {
		ctx := t.Context()
		w := newNoteWorld(t, env, false)
		tomorrow := casework.UKTime(env.Clock.Now().Add(24 * time.Hour)).Format(casework.DateLayout)
		in := w.note(casework.ContactNote, "Agreed next steps")
		in.Actions = []casework.AgreedActionInput{
			{What: "Call the housing officer", Who: "worker", Worker: w.colleague.ID, Due: tomorrow},
			{}, // an empty row of the form is not an action
			{What: "Bring the tenancy letter", Who: "client", Due: tomorrow},
			{What: "Send the school report", Who: "other", Other: "Her sister", Due: tomorrow},
		}
		noteID := w.add(t, w.author, in)
		n, err := env.Casework.Note(ctx, w.author.Actor(), w.clientID, noteID, access.Casework)
		if err != nil {
			t.Fatal(err)
		}
		if len(n.Note.Actions) != 3 {
			t.Fatalf("actions %+v", n.Note.Actions)
		}
		owners := map[string]string{}
		for _, a := range n.Note.Actions {
			owners[a.What] = a.OwnerID
			if a.Overdue || a.Done() {
				t.Errorf("new action %q overdue or done", a.What)
			}
		}
		if owners["Call the housing officer"] != w.colleague.ID || owners["Bring the tenancy letter"] != w.author.ID {
			t.Fatalf("owners %v", owners)
		}
		if got := overdueIDs(t, env.Casework.OverdueActions, w.author); len(got) != 0 {
			t.Fatalf("overdue before the day: %v", got)
		}
		env.Clock.Advance(2 * 24 * time.Hour)
		if got := overdueIDs(t, env.Casework.OverdueActions, w.colleague); len(got) != 1 {
			t.Fatalf("colleague's overdue actions %v, want 1", got)
		}
		if got := overdueIDs(t, env.Casework.OverdueActions, w.author); len(got) != 2 {
			t.Fatalf("author's overdue actions %v, want 2", got)
		}
		if got := overdueIDs(t, env.Casework.OverdueActions, w.manager); len(got) != 3 {
			t.Fatalf("manager's overdue actions %v, want 3", got)
		}
		for _, a := range n.Note.Actions {
			if err := env.Casework.CompleteAction(ctx, w.author.Actor(), w.clientID, a.ID); err != nil {
				t.Fatal(err)
			}
		}
		if got := overdueIDs(t, env.Casework.OverdueActions, w.manager); len(got) != 0 {
			t.Fatalf("done actions still overdue: %v", got)
		}
		view, err := env.Casework.Notes(ctx, w.author.Actor(), w.clientID, access.Casework, 1)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range view.Notes[0].Actions {
			if !a.Done() || a.DoneBy != w.author.ID || a.Overdue {
				t.Errorf("action %+v not shown done", a)
			}
		}
	})
}

// P41: a note is never silently changed. A correction adds a version with
// its reason; the old version stays, readable; the list shows the latest,
// marked corrected; two people correcting at once: the second is told.
func TestP41CorrectionKeepsHistory(t *testing.T) {
	apptest.Each(t, func(t *testing.T, env *apptest.Env) {
		ctx := t.Context()
		w := newNoteWorld(t, env, false)
		in := w.note(casework.ContactNote, "Discussed the move to Leeds")
		in.Actions = []casework.AgreedActionInput{{What: "Ring the school", Who: "client", Due: "2026-12-01"}}
		noteID := w.add(t, w.author, in)
		first, err := env.Casework.Note(ctx, w.author.Actor(), w.clientID, noteID, access.Casework)
		if err != nil {
			t.Fatal(err)
		}

		env.Clock.Advance(time.Hour)
		corr := casework.CorrectionInput{Version: 1, Reason: "Wrong city: it was Bradford", NoteText: in.NoteText,
			Withdraw: []string{first.Note.Actions[0].ID},
			Actions:  []casework.AgreedActionInput{{What: "Ring the new school", Who: "client", Due: "2026-12-02"}}}
		corr.Discussed = "Discussed the move to Bradford"
		if err := env.Casework.CorrectNote(ctx, w.manager.Actor(), w.clientID, noteID, corr); err != nil {
			t.Fatalf("correct: %v", err)
		}
		// Someone still on version 1 is told, and nothing is written.
		stale := corr
		stale.Discussed = "Something else"
		if err := env.Casework.CorrectNote(ctx, w.author.Actor(), w.clientID, noteID, stale); !errors.Is(err, casework.ErrConflict) {
			t.Fatalf("stale correction: %v, want ErrConflict", err)
		}
		// A correction without a reason is refused.
		noReason := corr
		noReason.Version, noReason.Reason = 2, "  "
		var ve *casework.ValidationError
		if err := env.Casework.CorrectNote(ctx, w.author.Actor(), w.clientID, noteID, noReason); !errors.As(err, &ve) || ve.For("reason") == "" {
			t.Fatalf("correction without a reason: %v", err)
		}

		n, err := env.Casework.Note(ctx, w.author.Actor(), w.clientID, noteID, access.Casework)
		if err != nil {
			t.Fatal(err)
		}
		if len(n.Note.Versions) != 2 || n.Note.Version != 2 || !n.Note.Corrected() {
			t.Fatalf("versions %+v", n.Note.Versions)
		}
		v1, v2 := n.Note.Versions[0], n.Note.Versions[1]
		if v1.Discussed != "Discussed the move to Leeds" || v1.Reason != "" || v1.WrittenBy != w.author.ID {
			t.Errorf("first version %+v", v1)
		}
		if v2.Discussed != "Discussed the move to Bradford" || v2.Reason != "Wrong city: it was Bradford" || v2.WrittenBy != w.manager.ID || !v2.WrittenAt.After(v1.WrittenAt) {
			t.Errorf("second version %+v", v2)
		}
		if n.Note.Discussed != v2.Discussed || n.Note.AuthorID != w.author.ID {
			t.Errorf("the note shows %q by %s", n.Note.Discussed, n.Note.AuthorID)
		}
		if len(n.Note.Actions) != 2 {
			t.Fatalf("actions %+v, want the withdrawn one and the new one", n.Note.Actions)
		}
		for _, a := range n.Note.Actions {
			switch a.What {
			case "Ring the school":
				if a.WithdrawnVersion != 2 || a.AddedVersion != 1 {
					t.Errorf("withdrawn action %+v", a)
				}
			case "Ring the new school":
				if a.WithdrawnVersion != 0 || a.AddedVersion != 2 {
					t.Errorf("added action %+v", a)
				}
			default:
				t.Errorf("action %q", a.What)
			}
		}
		view, err := env.Casework.Notes(ctx, w.author.Actor(), w.clientID, access.Casework, 1)
		if err != nil {
			t.Fatal(err)
		}
		if len(view.Notes) != 1 || !view.Notes[0].Corrected() || view.Notes[0].Discussed != v2.Discussed || len(view.Notes[0].Actions) != 1 {
			t.Fatalf("list %+v", view.Notes)
		}
		var versions int
		if err := env.DB.QueryRow(ctx, "SELECT COUNT(*) FROM note_versions WHERE note_id = ?", noteID).Scan(&versions); err != nil || versions != 2 {
			t.Fatalf("%d versions stored (%v)", versions, err)
		}
	})
}

// P13: a sessional or clinical note is seen by its author, the service's
// manager and who the service allows; not by another caseworker of the
// same service, even with a shared caseload, nor by admin staff. A contact
// note is seen by the whole caseload.
func TestP13RestrictedNotes(t *testing.T) {
	apptest.Each(t, func(t *testing.T, env *apptest.Env) {
		ctx := t.Context()
		w := newNoteWorld(t, env, true)
		clinical := w.add(t, w.author, w.note(casework.ClinicalNote, "Disclosed self-harm last month"))
		env.Clock.Advance(time.Minute)
		contact := w.add(t, w.author, w.note(casework.ContactNote, "Confirmed next week's time"))

		sees := func(p apptest.Person, purpose access.Purpose) (list map[string]bool, page error) {
			t.Helper()
			view, err := env.Casework.Notes(ctx, p.Actor(), w.clientID, purpose, 1)
			if err != nil {
				return nil, err
			}
			list = map[string]bool{}
			for _, n := range view.Notes {
				if n.Withheld {
					if n.Discussed != "" || n.Present != "" || len(n.Actions) > 0 {
						t.Errorf("%s: a withheld note carries its text", p.Role)
					}
					continue
				}
				list[n.ID] = true
			}
			_, page = env.Casework.Note(ctx, p.Actor(), w.clientID, clinical, purpose)
			return list, page
		}
		for _, tc := range []struct {
			name    string
			p       apptest.Person
			purpose access.Purpose
			want    bool
		}{
			{"author", w.author, access.Casework, true},
			{"manager", w.manager, access.Casework, true},
			{"colleague on the shared caseload", w.colleague, access.Casework, false},
		} {
			list, page := sees(tc.p, tc.purpose)
			if list == nil {
				t.Fatalf("%s: cannot open the notes at all: %v", tc.name, page)
			}
			if list[clinical] != tc.want || (page == nil) != tc.want {
				t.Errorf("%s: sees the clinical note in the list %v, on its page %v (%v); want %v", tc.name, list[clinical], page == nil, page, tc.want)
			}
			if !list[contact] {
				t.Errorf("%s: does not see the contact note", tc.name)
			}
			if !tc.want && !errors.Is(page, casework.ErrNotFound) {
				t.Errorf("%s: the withheld note answers %v, want not found", tc.name, page)
			}
		}
		// Admin staff do not open notes at all.
		if _, err := env.Casework.Notes(ctx, w.adminSt.Actor(), w.clientID, access.Administration, 1); !errors.Is(err, casework.ErrNotFound) {
			t.Errorf("admin staff open the notes: %v", err)
		}
		// Nor can the colleague complete or correct what they cannot see.
		if err := env.Casework.CorrectNote(ctx, w.colleague.Actor(), w.clientID, clinical, casework.CorrectionInput{Version: 1, Reason: "x", NoteText: w.note(casework.ContactNote, "x").NoteText}); !errors.Is(err, casework.ErrNotFound) {
			t.Errorf("colleague corrects the clinical note: %v", err)
		}

		// The service may let its team read them: only its manager may say so.
		if err := env.Casework.SetClinicalReaders(ctx, w.author.Actor(), w.serviceID, access.ClinicalTeam); !errors.Is(err, casework.ErrForbidden) {
			t.Fatalf("a caseworker changed the setting: %v", err)
		}
		if err := env.Casework.SetClinicalReaders(ctx, w.manager.Actor(), w.serviceID, access.ClinicalTeam); err != nil {
			t.Fatal(err)
		}
		if c, err := env.Casework.ClinicalReaders(ctx, w.serviceID); err != nil || c != access.ClinicalTeam {
			t.Fatalf("setting reads %q, %v", c, err)
		}
		if list, page := sees(w.colleague, access.Casework); !list[clinical] || page != nil {
			t.Errorf("with the team allowed, the colleague still does not see it: %v", page)
		}
		// "assigned": only the worker who owns the client's work.
		if err := env.Casework.SetClinicalReaders(ctx, w.manager.Actor(), w.serviceID, access.ClinicalAssigned); err != nil {
			t.Fatal(err)
		}
		if list, _ := sees(w.colleague, access.Casework); list[clinical] {
			t.Error("with only the assigned worker allowed, the colleague sees it")
		}
	})
}

// P05, P10: copies of letters and e-mails sent are kept on the client's
// file and listed, newest first; writing one shows the plain-envelope flag.
func TestP05P10LetterCopiesKept(t *testing.T) {
	apptest.Each(t, func(t *testing.T, env *apptest.Env) {
		ctx := t.Context()
		svc := env.Service(t, "Advocacy", false)
		cw := env.Person(t, access.Caseworker, svc.ID)
		clientID, err := env.Casework.CreateClient(ctx, cw.Actor(), casework.ClientInput{
			ServiceID: svc.ID, GivenName: "Olena", FamilyName: "Kovalenko", DateOfBirth: "1985-06-30",
			RecordParts: casework.RecordParts{SafeContact: &casework.SafeContact{Letter: casework.Yes, Email: casework.No, PlainEnvelope: true}},
		})
		if err != nil {
			t.Fatal(err)
		}
		form, err := env.Casework.NewLetterForm(ctx, cw.Actor(), clientID)
		if err != nil {
			t.Fatal(err)
		}
		if !form.PlainEnvelope || len(form.Warnings) < 2 {
			t.Fatalf("letter form: plain envelope %v, warnings %v", form.PlainEnvelope, form.Warnings)
		}
		first, err := env.Casework.RecordLetter(ctx, cw.Actor(), clientID, casework.LetterInput{
			Channel: "post", SentAt: noteTime(env, -24*time.Hour), Recipient: "Olena Kovalenko", Address: "12 Mill Lane\nLeeds LS1 4AB",
			Subject: "Your appointment", Body: "Dear Olena,\nYour next appointment is on Monday at 10:00.",
		})
		if err != nil {
			t.Fatal(err)
		}
		second, err := env.Casework.RecordLetter(ctx, cw.Actor(), clientID, casework.LetterInput{
			Channel: "hand", SentAt: noteTime(env, 0), Recipient: "Olena Kovalenko", Subject: "Support plan", Body: "Your support plan, as agreed today.",
		})
		if err != nil {
			t.Fatal(err)
		}
		view, err := env.Casework.Letters(ctx, cw.Actor(), clientID, access.Casework, 1)
		if err != nil {
			t.Fatal(err)
		}
		if len(view.Letters) != 2 || view.Letters[0].ID != second || view.Letters[1].ID != first {
			t.Fatalf("letters %+v, want newest first", view.Letters)
		}
		if l := view.Letters[1]; l.Subject != "Your appointment" || l.Recipient != "Olena Kovalenko" || l.Channel != casework.LetterByPost || l.Body != "" || l.SentBy != cw.ID {
			t.Errorf("listed letter %+v (the body is for its own page)", l)
		}
		one, err := env.Casework.Letter(ctx, cw.Actor(), clientID, first, access.Casework)
		if err != nil {
			t.Fatal(err)
		}
		if one.Letter.Body != "Dear Olena,\nYour next appointment is on Monday at 10:00." || one.Letter.Address != "12 Mill Lane\nLeeds LS1 4AB" {
			t.Errorf("letter %+v", one.Letter)
		}
		// Another service's worker sees no letters, as for no client.
		outsider := env.Person(t, access.Caseworker, env.Service(t, "Welfare", false).ID)
		if _, err := env.Casework.Letters(ctx, outsider.Actor(), clientID, access.Casework, 1); !errors.Is(err, casework.ErrNotFound) {
			t.Errorf("outsider: %v", err)
		}
		if _, err := env.Casework.Letter(ctx, cw.Actor(), clientID, store.NewID(), access.Casework); !errors.Is(err, casework.ErrNotFound) {
			t.Errorf("no such letter: %v", err)
		}
	})
}

// Bad input: every problem comes back at once, by field, in words that
// never repeat what was typed; nothing is written.
func TestNoteBadInput(t *testing.T) {
	apptest.Each(t, func(t *testing.T, env *apptest.Env) {
		ctx := t.Context()
		w := newNoteWorld(t, env, false)
		other := env.Service(t, "Other", false)
		outsiderWorker := env.Person(t, access.Caseworker, other.ID)
		ok := w.note(casework.ContactNote, "ok")
		tests := []struct {
			name   string
			change func(in *casework.NoteInput)
			fields []string
		}{
			{"nothing", func(in *casework.NoteInput) { *in = casework.NoteInput{} }, []string{"kind", "method", "contact_at", "discussed"}},
			{"unknown kind and method", func(in *casework.NoteInput) { in.Kind, in.Method = "secret", "pigeon" }, []string{"kind", "method"}},
			{"not a time", func(in *casework.NoteInput) { in.ContactAt = "2026-02-30T10:00" }, []string{"contact_at"}},
			{"in the future", func(in *casework.NoteInput) { in.ContactAt = noteTime(env, 2*time.Hour) }, []string{"contact_at"}},
			{"control characters", func(in *casework.NoteInput) { in.Discussed = "a\x00b" }, []string{"discussed"}},
			{"too long", func(in *casework.NoteInput) { in.Support = strings.Repeat("a", casework.MaxNoteText+1) }, []string{"support"}},
			{"not someone's service", func(in *casework.NoteInput) { in.Service = other.ID }, []string{"service"}},
			{"no such case", func(in *casework.NoteInput) { in.Case = store.NewID() }, []string{"case"}},
			{"no such contact", func(in *casework.NoteInput) { in.Contact = store.NewID() }, []string{"contact"}},
			{"action half filled", func(in *casework.NoteInput) {
				in.Actions = []casework.AgreedActionInput{{}, {What: "Call back"}}
			}, []string{"actions[1].who", "actions[1].due"}},
			{"action by a worker of another service", func(in *casework.NoteInput) {
				in.Actions = []casework.AgreedActionInput{{What: "Call", Who: "worker", Worker: outsiderWorker.ID, Due: "2026-12-01"}}
			}, []string{"actions[0].worker"}},
			{"action without a name, due before the contact", func(in *casework.NoteInput) {
				in.Actions = []casework.AgreedActionInput{{What: "Call", Who: "other", Due: "2026-01-01"}}
			}, []string{"actions[0].other", "actions[0].due"}},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				in := ok
				tc.change(&in)
				_, err := env.Casework.AddNote(ctx, w.author.Actor(), w.clientID, in)
				var ve *casework.ValidationError
				if !errors.As(err, &ve) {
					t.Fatalf("err %v, want a ValidationError", err)
				}
				for _, f := range tc.fields {
					if ve.For(f) == "" {
						t.Errorf("no message for %s: %v", f, ve)
					}
				}
				for _, fe := range ve.Fields {
					if strings.Contains(fe.Message, "pigeon") || strings.Contains(fe.Message, "Call back") {
						t.Errorf("message repeats the input: %q", fe.Message)
					}
				}
			})
		}
		// A DNA needs no discussion.
		dna := ok
		dna.Method, dna.Discussed = string(casework.MethodDidNotAttend), ""
		w.add(t, w.author, dna)
		var n int
		if err := env.DB.QueryRow(ctx, "SELECT COUNT(*) FROM notes").Scan(&n); err != nil || n != 1 {
			t.Fatalf("%d notes written (%v), want only the good one", n, err)
		}
		// Admin staff may not write notes; another service's worker is
		// told the client does not exist.
		if _, err := env.Casework.AddNote(ctx, w.adminSt.Actor(), w.clientID, ok); !errors.Is(err, casework.ErrNotFound) {
			t.Errorf("admin staff: %v", err)
		}
		if _, err := env.Casework.AddNote(ctx, outsiderWorker.Actor(), w.clientID, ok); !errors.Is(err, casework.ErrNotFound) {
			t.Errorf("outsider: %v", err)
		}
	})
}

// P17: what a note and a letter say is nowhere in clear at rest.
func TestNotesEncryptedAtRest(t *testing.T) {
	secrets := []string{
		"Disclosed that her brother Rustam threatens her",  // discussed
		"Safehouse placement with Refuge Yorkshire",        // support
		"Mother-in-law Gulnara present throughout",         // present
		"Ring Inspector Halvorsen about the injunction",    // an action
		"Auntie Zuleikha Begum",                            // who else does it
		"Typo: it was her cousin Rustam, not her brother",  // a correction's reason
		"Application for the Tamarind Court tenancy",       // a letter's subject
		"Flat 9, Tamarind Court, Kirkstall",                // its address
		"Dear Ms Abdulayeva, your tenancy starts Thursday", // its body
	}
	apptest.Each(t, func(t *testing.T, env *apptest.Env) {
		ctx := t.Context()
		w := newNoteWorld(t, env, false)
		in := w.note(casework.ClinicalNote, secrets[0])
		in.Support, in.Present = secrets[1], secrets[2]
		in.Actions = []casework.AgreedActionInput{
			{What: secrets[3], Who: "client", Due: "2026-12-01"},
			{What: "Follow up", Who: "other", Other: secrets[4], Due: "2026-12-01"},
		}
		id := w.add(t, w.author, in)
		corr := casework.CorrectionInput{Version: 1, Reason: secrets[5], NoteText: in.NoteText}
		corr.Discussed += "."
		if err := env.Casework.CorrectNote(ctx, w.author.Actor(), w.clientID, id, corr); err != nil {
			t.Fatal(err)
		}
		if _, err := env.Casework.RecordLetter(ctx, w.author.Actor(), w.clientID, casework.LetterInput{
			Channel: "email", SentAt: noteTime(env, 0), Recipient: "Nasrin Karimi", Address: secrets[7], Subject: secrets[6], Body: secrets[8],
		}); err != nil {
			t.Fatal(err)
		}
		var sealed []byte
		if err := env.DB.QueryRow(ctx, "SELECT body FROM note_versions WHERE note_id = ? AND version = 1", id).Scan(&sealed); err != nil {
			t.Fatal(err)
		}
		terms := map[string][]byte{}
		for _, s := range secrets {
			for _, v := range []string{s, strings.ToLower(s)} {
				terms[v+" (UTF-8)"] = []byte(v)
				terms[v+" (UTF-16LE)"] = utf16le(v)
			}
		}
		// The distinctive words alone, too.
		for _, word := range []string{"Rustam", "Yorkshire", "Gulnara", "Halvorsen", "Zuleikha", "Tamarind", "Kirkstall", "Abdulayeva"} {
			terms[word] = []byte(word)
		}
		var where map[string][]byte
		switch env.Loc.Engine() {
		case store.SQLite:
			where = readDataDir(t, env.Loc.Dir)
			if !anyContains(where, sealed) {
				t.Fatal("the search does not find a note's ciphertext: it is not looking where notes are")
			}
		case store.Postgres:
			where = dumpPostgres(t, env.Loc.URL)
			if _, ok := where["caseward_data.note_versions"]; !ok {
				t.Fatal("note_versions was not dumped")
			}
			if !anyContains(where, []byte(fmt.Sprintf("%x", sealed))) {
				t.Fatal("the search does not find a note's ciphertext in hex: it is not looking where notes are")
			}
			hexTerms := map[string][]byte{}
			for k, v := range terms {
				hexTerms[k] = v
				hexTerms[k+", hex-encoded"] = []byte(fmt.Sprintf("%x", v))
			}
			terms = hexTerms
		default:
			t.Fatalf("no at-rest check for engine %s", env.Loc.Engine())
		}
		for name, b := range where {
			for term, s := range terms {
				if bytes.Contains(b, s) {
					t.Errorf("%s holds %s in clear", name, term)
				}
			}
		}
	})
}

// The cost of writing a note (a short session note with one agreed
// action), and of opening a client with 50 notes (one page, decrypted).
func BenchmarkAddNote(b *testing.B) {
	for _, e := range storetest.Engines {
		b.Run(string(e), func(b *testing.B) {
			env := apptest.New(b, e, apptest.NewClock())
			w := newNoteWorld(b, env, false)
			in := benchNote(env, w)
			ctx := context.Background()
			b.ResetTimer()
			for b.Loop() {
				if _, err := env.Casework.AddNote(ctx, w.author.Actor(), w.clientID, in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkOpenClientWith50Notes(b *testing.B) {
	for _, e := range storetest.Engines {
		b.Run(string(e), func(b *testing.B) {
			env := apptest.New(b, e, apptest.NewClock())
			w := newNoteWorld(b, env, false)
			in := benchNote(env, w)
			ctx := context.Background()
			for range 50 {
				if _, err := env.Casework.AddNote(ctx, w.author.Actor(), w.clientID, in); err != nil {
					b.Fatal(err)
				}
			}
			b.ResetTimer()
			for b.Loop() {
				v, err := env.Casework.Notes(ctx, w.author.Actor(), w.clientID, access.Casework, 1)
				if err != nil || len(v.Notes) != 50 {
					b.Fatalf("%d notes, %v", len(v.Notes), err)
				}
			}
		})
	}
}

func benchNote(env *apptest.Env, w noteWorld) casework.NoteInput {
	in := w.note(casework.SessionalNote, strings.Repeat("Talked about the week, sleep, work and the children. ", 20))
	in.Actions = []casework.AgreedActionInput{{What: "Book the next session", Who: "worker", Worker: w.author.ID,
		Due: casework.UKTime(env.Clock.Now().Add(7 * 24 * time.Hour)).Format(casework.DateLayout)}}
	return in
}
