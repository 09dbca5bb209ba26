package casework_test

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/caseward/caseward/internal/access"
	"github.com/caseward/caseward/internal/app/apptest"
	"github.com/caseward/caseward/internal/casework"
	"github.com/caseward/caseward/internal/store"
)

func commentView(t *testing.T, env *apptest.Env, p apptest.Person, clientID, id string) casework.Comment {
	t.Helper()
	v, err := env.Casework.ClientComment(context.Background(), p.Actor(), clientID, id, access.Casework)
	if err != nil {
		t.Fatalf("comment: %v", err)
	}
	return v.Comment
}

// The test clock starts on Wednesday 25 November 2026.

// P07: a client's complaint is recorded (what they said sealed), owned by a
// named member of staff, and tracked to an answer with its dates: received,
// due (twenty working days by default), answered, closed.
func TestCommentsP07(t *testing.T) {
	apptest.Each(t, func(t *testing.T, env *apptest.Env) {
		ctx := context.Background()
		svc := env.Service(t, "Counselling", false)
		w := env.Person(t, access.Caseworker, svc.ID)
		mgr := env.Person(t, access.Manager, svc.ID)
		c := apptClient(t, env, w, svc.ID, "Leyla")
		cw := env.Casework

		id, err := cw.RecordComment(ctx, w.Actor(), c, casework.CommentInput{
			Kind: "complaint", What: "The waiting room at Quarry Street is not private.\nOthers could hear me.",
			ReceivedOn: "2026-11-20", HowReceived: "phone", Owner: mgr.ID,
		})
		if err != nil {
			t.Fatal(err)
		}
		got := commentView(t, env, w, c, id)
		if got.Kind != "complaint" || got.What != "The waiting room at Quarry Street is not private.\nOthers could hear me." ||
			got.ReceivedOn.Format(casework.DateLayout) != "2026-11-20" || got.HowReceived != "phone" || got.OwnerID != mgr.ID ||
			got.Status != casework.CommentOpen || got.RecordedBy != w.ID || got.ServiceID != svc.ID {
			t.Fatalf("recorded: %+v", got)
		}
		// Friday 20 November plus twenty working days: Friday 18 December.
		if d := got.DueOn.Format(casework.DateLayout); d != "2026-12-18" {
			t.Errorf("due on %s, want 2026-12-18", d)
		}
		var sealed []byte
		if err := env.DB.QueryRow(ctx, "SELECT what FROM client_comments WHERE id = ?", id).Scan(&sealed); err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(sealed, []byte("Quarry Street")) {
			t.Error("what the client said is stored in clear")
		}

		// Not closed before it is answered.
		if err := cw.CloseComment(ctx, mgr.Actor(), c, id, got.Version); !slices.Equal(fieldsOf(t, err), []string{"status"}) {
			t.Fatalf("closing an unanswered comment: %v", err)
		}
		// Handed to another owner, then answered (today by default).
		if err := cw.SetCommentOwner(ctx, mgr.Actor(), c, id, casework.CommentOwnerInput{Owner: w.ID, Version: got.Version}); err != nil {
			t.Fatal(err)
		}
		got = commentView(t, env, w, c, id)
		if got.OwnerID != w.ID {
			t.Fatalf("owner %s, want %s", got.OwnerID, w.ID)
		}
		if err := cw.AnswerComment(ctx, w.Actor(), c, id, casework.CommentAnswerInput{Answer: "", Version: got.Version}); !slices.Equal(fieldsOf(t, err), []string{"answer"}) {
			t.Fatalf("empty answer: %v", err)
		}
		if err := cw.AnswerComment(ctx, w.Actor(), c, id, casework.CommentAnswerInput{Answer: "x", AnsweredOn: "2026-11-19", Version: got.Version}); !slices.Equal(fieldsOf(t, err), []string{"answered_on"}) {
			t.Fatalf("answered before received: %v", err)
		}
		if err := cw.AnswerComment(ctx, w.Actor(), c, id, casework.CommentAnswerInput{Answer: "We now see clients in room 3, which has a closed door.", Version: got.Version}); err != nil {
			t.Fatal(err)
		}
		got = commentView(t, env, w, c, id)
		if got.Status != casework.CommentAnswered || got.Answer != "We now see clients in room 3, which has a closed door." ||
			got.AnsweredOn.Format(casework.DateLayout) != "2026-11-25" || got.AnsweredBy != w.ID {
			t.Fatalf("answered: %+v", got)
		}
		// A stale form is told, not applied.
		if err := cw.CloseComment(ctx, mgr.Actor(), c, id, got.Version-1); !errors.Is(err, casework.ErrConflict) {
			t.Fatalf("stale close: %v", err)
		}
		env.Clock.Advance(72 * time.Hour)
		if err := cw.CloseComment(ctx, mgr.Actor(), c, id, got.Version); err != nil {
			t.Fatal(err)
		}
		got = commentView(t, env, w, c, id)
		if got.Status != casework.CommentClosed || got.ClosedOn.Format(casework.DateLayout) != "2026-11-28" {
			t.Fatalf("closed: %+v", got)
		}
		if err := cw.AnswerComment(ctx, w.Actor(), c, id, casework.CommentAnswerInput{Answer: "changed", Version: got.Version}); !slices.Equal(fieldsOf(t, err), []string{"status"}) {
			t.Fatalf("answering a closed comment: %v", err)
		}

		list, err := cw.ClientCommentList(ctx, w.Actor(), c, access.Casework)
		if err != nil {
			t.Fatal(err)
		}
		if len(list.Comments) != 1 || list.Comments[0].What != "" || list.Comments[0].Status != casework.CommentClosed || !list.CanRecord {
			t.Fatalf("list (what must stay sealed): %+v", list)
		}
	})
}

// Bad input: each problem named by its field, and nothing written.
func TestCommentBadInput(t *testing.T) {
	apptest.Each(t, func(t *testing.T, env *apptest.Env) {
		ctx := context.Background()
		svc := env.Service(t, "Counselling", false)
		other := env.Service(t, "Advocacy", false)
		w := env.Person(t, access.Caseworker, svc.ID)
		outsider := env.Person(t, access.Manager, other.ID)
		c := apptClient(t, env, w, svc.ID, "Rahel")
		ok := casework.CommentInput{Kind: "concern", What: "x", ReceivedOn: "2026-11-25", HowReceived: "letter", Owner: w.ID}
		with := func(f func(*casework.CommentInput)) casework.CommentInput {
			in := ok
			f(&in)
			return in
		}
		for _, tt := range []struct {
			name   string
			in     casework.CommentInput
			fields []string
		}{
			{"nothing said", with(func(in *casework.CommentInput) { in.What = "  " }), []string{"what"}},
			{"unknown kind", with(func(in *casework.CommentInput) { in.Kind = "rant" }), []string{"kind"}},
			{"received tomorrow", with(func(in *casework.CommentInput) { in.ReceivedOn = "2026-11-26" }), []string{"received_on"}},
			{"received on no day", with(func(in *casework.CommentInput) { in.ReceivedOn = "2026-13-01" }), []string{"received_on"}},
			{"unknown owner", with(func(in *casework.CommentInput) { in.Owner = store.NewID() }), []string{"owner"}},
			{"owner of another service", with(func(in *casework.CommentInput) { in.Owner = outsider.ID }), []string{"owner"}},
			{"due before received", with(func(in *casework.CommentInput) { in.DueOn = "2026-11-01" }), []string{"due_on"}},
			{"unknown channel", with(func(in *casework.CommentInput) { in.HowReceived = "pigeon" }), []string{"how_received"}},
			{"everything", casework.CommentInput{}, []string{"kind", "what", "received_on", "how_received", "owner"}},
		} {
			t.Run(tt.name, func(t *testing.T) {
				_, err := env.Casework.RecordComment(ctx, w.Actor(), c, tt.in)
				if got := fieldsOf(t, err); !slices.Equal(got, tt.fields) {
					t.Fatalf("fields %v, want %v", got, tt.fields)
				}
			})
		}
		if n := apptCount(t, env, "SELECT COUNT(*) FROM client_comments"); n != 0 {
			t.Fatalf("bad input wrote %d comments", n)
		}
		// Given explicitly, the due date is kept.
		id, err := env.Casework.RecordComment(ctx, w.Actor(), c, with(func(in *casework.CommentInput) { in.DueOn = "2026-12-01" }))
		if err != nil {
			t.Fatal(err)
		}
		if d := commentView(t, env, w, c, id).DueOn.Format(casework.DateLayout); d != "2026-12-01" {
			t.Errorf("due on %s, want 2026-12-01", d)
		}
	})
}

// P07: managers track the comments of their services, overdue first; a
// caseworker the ones they own; another service sees none of them, and a
// client's comments are not found by someone who may not see the client.
func TestTrackComments(t *testing.T) {
	apptest.Each(t, func(t *testing.T, env *apptest.Env) {
		ctx := context.Background()
		svc := env.Service(t, "Counselling", false)
		other := env.Service(t, "Advocacy", false)
		w := env.Person(t, access.Caseworker, svc.ID)
		w2 := env.Person(t, access.Caseworker, svc.ID)
		mgr := env.Person(t, access.Manager, svc.ID)
		ow := env.Person(t, access.Caseworker, other.ID)
		otherMgr := env.Person(t, access.Manager, other.ID)
		c1 := apptClient(t, env, w, svc.ID, "Dawit")
		c2 := apptClient(t, env, w2, svc.ID, "Elif")
		c3 := apptClient(t, env, ow, other.ID, "Farah")
		rec := func(p apptest.Person, client, received, owner string) string {
			t.Helper()
			id, err := env.Casework.RecordComment(ctx, p.Actor(), client, casework.CommentInput{
				Kind: "suggestion", What: "More evening sessions", ReceivedOn: received, HowReceived: "form", Owner: owner})
			if err != nil {
				t.Fatal(err)
			}
			return id
		}
		recent := rec(w, c1, "2026-11-24", w.ID)    // due 22 December
		overdue := rec(w2, c2, "2026-10-01", w2.ID) // due 29 October: overdue
		answered := rec(w, c1, "2026-09-01", mgr.ID)
		if err := env.Casework.AnswerComment(ctx, mgr.Actor(), c1, answered, casework.CommentAnswerInput{Answer: "We will", Version: 1}); err != nil {
			t.Fatal(err)
		}
		rec(ow, c3, "2026-10-01", ow.ID) // another service's

		list, more, err := env.Casework.TrackComments(ctx, mgr.Actor(), casework.CommentFilter{}, access.Casework)
		if err != nil || more {
			t.Fatal(err, more)
		}
		var ids []string
		for _, tc := range list {
			ids = append(ids, tc.ID)
			if !tc.CanOpen || tc.DisplayName == "" || tc.What != "" {
				t.Errorf("row: %+v", tc)
			}
		}
		// Overdue first, then by due date.
		if want := []string{overdue, answered, recent}; !slices.Equal(ids, want) {
			t.Fatalf("manager's list %v, want %v", ids, want)
		}
		if !list[0].Overdue || list[1].Overdue || list[2].Overdue {
			t.Errorf("overdue flags: %v %v %v", list[0].Overdue, list[1].Overdue, list[2].Overdue)
		}
		mine, _, err := env.Casework.TrackComments(ctx, w.Actor(), casework.CommentFilter{}, access.Casework)
		if err != nil || len(mine) != 1 || mine[0].ID != recent {
			t.Fatalf("caseworker's own: %+v %v", mine, err)
		}
		theirs, _, err := env.Casework.TrackComments(ctx, otherMgr.Actor(), casework.CommentFilter{}, access.Casework)
		if err != nil || len(theirs) != 1 || theirs[0].ClientID != c3 {
			t.Fatalf("another service's manager: %+v %v", theirs, err)
		}
		closed, _, err := env.Casework.TrackComments(ctx, mgr.Actor(), casework.CommentFilter{Closed: true}, access.Casework)
		if err != nil || len(closed) != 0 {
			t.Fatalf("closed: %+v %v", closed, err)
		}

		_, e1 := env.Casework.ClientCommentList(ctx, ow.Actor(), c1, access.Casework)
		_, e2 := env.Casework.ClientComment(ctx, ow.Actor(), c1, recent, access.Casework)
		_, e3 := env.Casework.ClientComment(ctx, w.Actor(), c1, overdue, access.Casework) // another client's comment
		_, e4 := env.Casework.RecordComment(ctx, ow.Actor(), c1, casework.CommentInput{Kind: "comment", What: "x", ReceivedOn: "2026-11-25", HowReceived: "phone", Owner: ow.ID})
		for i, err := range []error{e1, e2, e3, e4} {
			if !errors.Is(err, casework.ErrNotFound) {
				t.Errorf("call %d: %v, want ErrNotFound", i+1, err)
			}
		}
	})
}

func TestCommentDue(t *testing.T) {
	for _, tt := range []struct{ received, due string }{
		{"2026-11-20", "2026-12-18"}, // a Friday
		{"2026-11-21", "2026-12-18"}, // a Saturday: counting starts on Monday
		{"2026-11-23", "2026-12-21"},
	} {
		d, _ := time.Parse(casework.DateLayout, tt.received)
		if got := casework.CommentDue(d).Format(casework.DateLayout); got != tt.due {
			t.Errorf("CommentDue(%s) = %s, want %s", tt.received, got, tt.due)
		}
	}
}
