package casework_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/caseward/caseward/internal/access"
	"github.com/caseward/caseward/internal/app/apptest"
	"github.com/caseward/caseward/internal/casework"
)

// planEnv is a service, a caseworker who works with one client, and that
// client.
type planEnv struct {
	env    *apptest.Env
	svc    string
	worker apptest.Person
	client string
}

func newPlanEnv(t *testing.T, env *apptest.Env) planEnv {
	t.Helper()
	svc := env.Service(t, "Counselling", false)
	w := env.Person(t, access.Caseworker, svc.ID)
	id, err := env.Casework.CreateClient(t.Context(), w.Actor(), casework.ClientInput{ServiceID: svc.ID, GivenName: "Łucja", FamilyName: "Wiśniewska", DateOfBirth: "1991-04-12"})
	if err != nil {
		t.Fatal(err)
	}
	return planEnv{env: env, svc: svc.ID, worker: w, client: id}
}

// samplePlan has two goals, one with two actions, and internal notes.
func samplePlan() casework.PlanInput {
	return casework.PlanInput{
		Title:    "Safety and housing plan",
		ReviewOn: "2027-01-15",
		Goals: []casework.Goal{
			{Text: "Find a safe place to live", Status: casework.GoalUnderWay, Actions: []casework.PlanAction{
				{What: "Call the housing options team", Who: "You", By: "2026-12-01"},
				{What: "Write a support letter for the housing application", Who: "Sam, your keyworker", By: "2026-11-28"},
			}},
			{Text: "Feel confident going out again"},
		},
		InternalNotes: "Perpetrator known to drive past the refuge on Thursdays",
	}
}

// planFields lists the fields a validation error names.
func planFields(err error) []string {
	var ve *casework.ValidationError
	if !errors.As(err, &ve) {
		return nil
	}
	var out []string
	for _, f := range ve.Fields {
		out = append(out, f.Field)
	}
	return out
}

func planRows(t *testing.T, env *apptest.Env, table string) int {
	t.Helper()
	var n int
	if err := env.DB.QueryRow(context.Background(), "SELECT COUNT(*) FROM "+table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// auditActions returns the actions of the audit entries about a client
// that name recordID.
func auditActions(t *testing.T, env *apptest.Env, clientID, recordID string) []string {
	t.Helper()
	entries, err := env.Gate.Audit().ForClient(t.Context(), clientID, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if slices.Contains(e.RecordIDs, recordID) {
			out = append(out, e.Action)
		}
	}
	return out
}

// P04: a support plan has goals with actions (what, who, by when), review
// dates and a status; changes add versions and the history stays; internal
// notes are for staff who read notes only.
func TestP04PlanVersionsKeepHistory(t *testing.T) {
	apptest.Each(t, func(t *testing.T, env *apptest.Env) {
		ctx := t.Context()
		pe := newPlanEnv(t, env)
		actor := pe.worker.Actor()
		id, err := env.Casework.CreatePlan(ctx, actor, pe.client, samplePlan())
		if err != nil {
			t.Fatal(err)
		}
		v1, err := env.Casework.Plan(ctx, actor, pe.client, id, 0, access.Casework)
		if err != nil {
			t.Fatal(err)
		}
		p := v1.Plan
		if p.Version != 1 || p.Title != "Safety and housing plan" || p.ReviewOn != "2027-01-15" || p.Status != casework.PlanActive ||
			len(p.Goals) != 2 || len(p.Goals[0].Actions) != 2 || p.Goals[1].Status != casework.GoalNotStarted ||
			!p.NotesShown || !strings.Contains(p.InternalNotes, "Thursdays") {
			t.Fatalf("version 1 reads back as %+v", p)
		}

		// A change needs a reason, and is a new version.
		in := samplePlan()
		in.Goals[0].Actions[1].Done = true
		in.Goals[0].Status = casework.GoalAchieved
		in.ReviewOn = "15/2/2027"
		if err := env.Casework.UpdatePlan(ctx, actor, pe.client, id, 1, in); !slices.Equal(planFields(err), []string{"reason"}) {
			t.Fatalf("a change without a reason: %v", err)
		}
		in.Reason = "Reviewed with the client"
		if err := env.Casework.UpdatePlan(ctx, actor, pe.client, id, 1, in); err != nil {
			t.Fatal(err)
		}
		// Saving again from version 1 is a conflict: nothing is lost.
		in.Title = "Someone else's title"
		if err := env.Casework.UpdatePlan(ctx, actor, pe.client, id, 1, in); !errors.Is(err, casework.ErrConflict) {
			t.Fatalf("a stale save: %v, want ErrConflict", err)
		}
		v2, err := env.Casework.Plan(ctx, actor, pe.client, id, 0, access.Casework)
		if err != nil {
			t.Fatal(err)
		}
		if v2.Plan.Version != 2 || v2.Plan.Title != "Safety and housing plan" || v2.Plan.ReviewOn != "2027-02-15" ||
			!v2.Plan.Goals[0].Actions[1].Done || v2.Plan.Reason != "Reviewed with the client" {
			t.Fatalf("version 2 reads back as %+v", v2.Plan)
		}
		if len(v2.History) != 2 || v2.History[0].Version != 2 || v2.History[1].Version != 1 || v2.History[0].Reason != "Reviewed with the client" {
			t.Fatalf("history %+v", v2.History)
		}
		old, err := env.Casework.Plan(ctx, actor, pe.client, id, 1, access.Casework)
		if err != nil {
			t.Fatal(err)
		}
		if old.Plan.Version != 1 || old.Plan.Latest != 2 || old.Plan.Goals[0].Actions[1].Done || old.Plan.ReviewOn != "2027-01-15" {
			t.Fatalf("version 1 changed: %+v", old.Plan)
		}

		// The caseload's clear dates: next review and the earliest action
		// not done.
		var review, due string
		if err := env.DB.QueryRow(ctx, "SELECT review_on, action_due_on FROM plans WHERE id = ?", id).Scan(&review, &due); err != nil {
			t.Fatal(err)
		}
		if review != "2027-02-15" || due != "2026-12-01" {
			t.Errorf("clear dates %q %q", review, due)
		}

		// Admin staff see the plan without its internal notes (002).
		admin := env.Person(t, access.AdminStaff, pe.svc)
		av, err := env.Casework.Plan(ctx, admin.Actor(), pe.client, id, 0, access.Administration)
		if err != nil {
			t.Fatal(err)
		}
		if av.Plan.NotesShown || av.Plan.InternalNotes != "" || len(av.Plan.Goals) != 2 {
			t.Fatalf("admin staff read %+v", av.Plan)
		}
		// Nor do they change it: a save without the notes they cannot see
		// would drop them.
		in.Reason, in.InternalNotes = "Admin edit", ""
		if err := env.Casework.UpdatePlan(ctx, admin.Actor(), pe.client, id, 2, in); err == nil {
			t.Fatal("admin staff changed a plan")
		}
		if _, err := env.Casework.CreatePlan(ctx, admin.Actor(), pe.client, samplePlan()); err == nil {
			t.Fatal("admin staff started a plan")
		}

		// The list shows the plan by its title, without opening it again.
		list, err := env.Casework.Plans(ctx, actor, pe.client, access.Casework)
		if err != nil {
			t.Fatal(err)
		}
		if len(list.Plans) != 1 || list.Plans[0].Title != "Safety and housing plan" || list.Plans[0].Version != 2 {
			t.Fatalf("list %+v", list.Plans)
		}

		// Another service's worker cannot see or change it (P13, P23).
		outsider := env.Person(t, access.Caseworker, env.Service(t, "Advocacy", false).ID)
		if _, err := env.Casework.Plan(ctx, outsider.Actor(), pe.client, id, 0, access.Casework); !errors.Is(err, casework.ErrNotFound) {
			t.Errorf("outsider reads the plan: %v", err)
		}
		if err := env.Casework.UpdatePlan(ctx, outsider.Actor(), pe.client, id, 2, in); !errors.Is(err, casework.ErrNotFound) {
			t.Errorf("outsider changes the plan: %v", err)
		}
		// A plan of another client is not found through this one.
		other, err := env.Casework.CreateClient(ctx, actor, casework.ClientInput{ServiceID: pe.svc, GivenName: "Other", FamilyName: "Client", DateOfBirth: "1980-01-01"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := env.Casework.Plan(ctx, actor, other, id, 0, access.Casework); !errors.Is(err, casework.ErrNotFound) {
			t.Errorf("a plan read through another client: %v", err)
		}
	})
}

// A plan with errors is refused whole, naming each field, and nothing is
// written.
func TestPlanValidation(t *testing.T) {
	long := strings.Repeat("x", casework.MaxLongTextLength+1)
	tests := []struct {
		name   string
		change func(*casework.PlanInput)
		fields []string
	}{
		{"no title", func(p *casework.PlanInput) { p.Title = " " }, []string{"title"}},
		{"no goals", func(p *casework.PlanInput) { p.Goals = nil }, []string{"goals"}},
		{"only blank goals", func(p *casework.PlanInput) { p.Goals = []casework.Goal{{}, {Actions: []casework.PlanAction{{}}}} }, []string{"goals"}},
		{"not a date", func(p *casework.PlanInput) { p.ReviewOn = "next week" }, []string{"review_on"}},
		{"31 February", func(p *casework.PlanInput) { p.Goals[0].Actions[0].By = "31/2/2027" }, []string{"goals.0.actions.0.by"}},
		{"an action without what", func(p *casework.PlanInput) { p.Goals[0].Actions[1].What = "" }, []string{"goals.0.actions.1.what"}},
		{"a goal too long", func(p *casework.PlanInput) { p.Goals[1].Text = long }, []string{"goals.1.text"}},
		{"actions without a goal", func(p *casework.PlanInput) {
			p.Goals[1].Text = ""
			p.Goals[1].Actions = []casework.PlanAction{{What: "x"}}
		}, []string{"goals.1.text"}},
		{"unknown goal status", func(p *casework.PlanInput) { p.Goals[0].Status = "done-ish" }, []string{"goals.0.status"}},
		{"unknown plan status", func(p *casework.PlanInput) { p.Status = "paused" }, []string{"status"}},
		{"a control character", func(p *casework.PlanInput) { p.Title = "Plan\x07" }, []string{"title"}},
	}
	apptest.Each(t, func(t *testing.T, env *apptest.Env) {
		pe := newPlanEnv(t, env)
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				in := samplePlan()
				tt.change(&in)
				_, err := env.Casework.CreatePlan(t.Context(), pe.worker.Actor(), pe.client, in)
				if got := planFields(err); !slices.Equal(got, tt.fields) {
					t.Fatalf("fields %v (%v), want %v", got, err, tt.fields)
				}
				var ve *casework.ValidationError
				errors.As(err, &ve)
				for _, f := range ve.Fields {
					if strings.Contains(f.Message, "xxxxxxxx") || strings.Contains(f.Message, "next week") {
						t.Errorf("message repeats the input: %q", f.Message)
					}
				}
			})
		}
		if n := planRows(t, env, "plans") + planRows(t, env, "plan_versions"); n != 0 {
			t.Fatalf("refused plans wrote %d rows", n)
		}
	})
}

// P04: the client's answer to a version is recorded with its date and how:
// signed on screen, agreed verbally, or declined. A change to the plan
// after it was shown to the client is caught.
func TestP04ClientAnswersThePlan(t *testing.T) {
	apptest.Each(t, func(t *testing.T, env *apptest.Env) {
		ctx := t.Context()
		pe := newPlanEnv(t, env)
		actor := pe.worker.Actor()
		id, err := env.Casework.CreatePlan(ctx, actor, pe.client, samplePlan())
		if err != nil {
			t.Fatal(err)
		}
		for _, tt := range []struct {
			name   string
			in     casework.PlanAgreementInput
			fields []string
		}{
			{"no answer", casework.PlanAgreementInput{Version: 1}, []string{"method"}},
			{"signed without agreeing", casework.PlanAgreementInput{Version: 1, Method: casework.AgreedSigned, Signature: casework.SignatureInput{TypedName: "Łucja Wiśniewska"}}, []string{"agree"}},
			{"signed with nothing", casework.PlanAgreementInput{Version: 1, Method: casework.AgreedSigned, Signature: casework.SignatureInput{Agree: true}}, []string{"typed_name"}},
			{"verbally, tomorrow", casework.PlanAgreementInput{Version: 1, Method: casework.AgreedVerbally, AgreedOn: "2026-11-26"}, []string{"agreed_on"}},
		} {
			if _, err := env.Casework.RecordPlanAgreement(ctx, actor, pe.client, id, tt.in); !slices.Equal(planFields(err), tt.fields) {
				t.Errorf("%s: %v, want fields %v", tt.name, err, tt.fields)
			}
		}
		if n := planRows(t, env, "plan_agreements"); n != 0 {
			t.Fatalf("refused answers wrote %d rows", n)
		}

		if _, err := env.Casework.RecordPlanAgreement(ctx, actor, pe.client, id, casework.PlanAgreementInput{
			Version: 1, Method: casework.AgreedVerbally, AgreedOn: "2026-11-20", Note: "Agreed on the phone"}); err != nil {
			t.Fatal(err)
		}
		if _, err := env.Casework.RecordPlanAgreement(ctx, actor, pe.client, id, casework.PlanAgreementInput{
			Version: 1, Method: casework.AgreedSigned, Signature: casework.SignatureInput{TypedName: "Łucja Wiśniewska", Agree: true}}); err != nil {
			t.Fatal(err)
		}
		view, err := env.Casework.Plan(ctx, actor, pe.client, id, 0, access.Casework)
		if err != nil {
			t.Fatal(err)
		}
		a := view.Agreement()
		if a == nil || a.Method != casework.AgreedSigned || a.AgreedOn != "2026-11-25" || a.Signature == nil ||
			a.Signature.Method != casework.Typed || a.Signature.Name != "Łucja Wiśniewska" || len(view.Agreements) != 2 ||
			view.Agreements[1].Note != "Agreed on the phone" || view.Agreements[1].AgreedOn != "2026-11-20" {
			t.Fatalf("answers %+v", view.Agreements)
		}

		// The plan changes: the answer was to version 1, not to version 2.
		in := samplePlan()
		in.Reason = "New goal"
		in.Goals = append(in.Goals, casework.Goal{Text: "Register with a GP"})
		if err := env.Casework.UpdatePlan(ctx, actor, pe.client, id, 1, in); err != nil {
			t.Fatal(err)
		}
		if _, err := env.Casework.RecordPlanAgreement(ctx, actor, pe.client, id, casework.PlanAgreementInput{
			Version: 1, Method: casework.Declined}); !errors.Is(err, casework.ErrConflict) {
			t.Fatalf("an answer to a version that is no longer current: %v", err)
		}
		view, err = env.Casework.Plan(ctx, actor, pe.client, id, 0, access.Casework)
		if err != nil {
			t.Fatal(err)
		}
		if view.Agreement() != nil {
			t.Fatalf("version 2 shows version 1's answer")
		}
		list, err := env.Casework.Plans(ctx, actor, pe.client, access.Casework)
		if err != nil {
			t.Fatal(err)
		}
		if a := list.Plans[0].Agreement; a == nil || a.PlanVersion != 1 || a.Method != casework.AgreedSigned {
			t.Fatalf("the list's latest answer %+v", a)
		}
	})
}

// P04, P20: the client's copy holds the plan in plain words and never the
// internal notes; making it is recorded in the audit log as "plan.print".
func TestP04PlanCopyIsAuditedAndHasNoInternalNotes(t *testing.T) {
	apptest.Each(t, func(t *testing.T, env *apptest.Env) {
		ctx := t.Context()
		pe := newPlanEnv(t, env)
		actor := pe.worker.Actor()
		id, err := env.Casework.CreatePlan(ctx, actor, pe.client, samplePlan())
		if err != nil {
			t.Fatal(err)
		}
		before := auditActions(t, env, pe.client, id)
		cp, err := env.Casework.PlanCopy(ctx, actor, pe.client, id, access.Casework)
		if err != nil {
			t.Fatal(err)
		}
		if cp.ClientName != "Łucja Wiśniewska" || cp.Title != "Safety and housing plan" || len(cp.Goals) != 2 || cp.Goals[0].Actions[0].What != "Call the housing options team" {
			t.Fatalf("copy %+v", cp)
		}
		// Every string in the copy, searched for the internal notes.
		all := cp.ClientName + cp.Title + cp.ReviewOn
		for _, g := range cp.Goals {
			all += g.Text
			for _, a := range g.Actions {
				all += a.What + a.Who
			}
		}
		if strings.Contains(all, "Thursdays") {
			t.Fatal("the client's copy holds the internal notes")
		}
		after := auditActions(t, env, pe.client, id)
		if len(after) != len(before)+1 || after[0] != "plan.print" {
			t.Fatalf("audit entries naming the plan: before %v, after %v", before, after)
		}
		entries, err := env.Gate.Audit().ForClient(ctx, pe.client, 1)
		if err != nil {
			t.Fatal(err)
		}
		if e := entries[0]; e.Action != "plan.print" || e.Actor != actor.UserID || !e.Allowed || e.Purpose != string(access.Casework) {
			t.Fatalf("print entry %+v", e)
		}
		// Nobody outside the team prints it, and the refusal is recorded.
		outsider := env.Person(t, access.Caseworker, env.Service(t, "Advocacy", false).ID)
		if _, err := env.Casework.PlanCopy(ctx, outsider.Actor(), pe.client, id, access.Casework); !errors.Is(err, casework.ErrNotFound) {
			t.Fatalf("outsider prints: %v", err)
		}
		entries, _ = env.Gate.Audit().ForClient(ctx, pe.client, 1)
		if e := entries[0]; e.Allowed || e.Actor != outsider.ID {
			t.Fatalf("the refusal is not the last entry: %+v", e)
		}
	})
}
