package casework_test

import (
	"strings"
	"testing"

	"github.com/caseward/caseward/internal/access"
	"github.com/caseward/caseward/internal/app/apptest"
	"github.com/caseward/caseward/internal/casework"
)

// Reviews due: the active plans of a caseworker's own clients and of a
// manager's services whose review date has passed or is within the week,
// soonest first; later, closed and out-of-reach ones never; only the plans
// listed are opened, in one batch.
func TestPlanReviewsDue(t *testing.T) {
	apptest.Each(t, func(t *testing.T, env *apptest.Env) {
		ctx := t.Context()
		svc := env.Service(t, "Counselling", false)
		other := env.Service(t, "Advocacy", false)
		amy := env.Person(t, access.Caseworker, svc.ID)
		bo := env.Person(t, access.Caseworker, svc.ID)
		cy := env.Person(t, access.Caseworker, other.ID)
		mgr := env.Person(t, access.Manager, svc.ID)
		client := func(p apptest.Person, service, given string) string {
			t.Helper()
			id, err := env.Casework.CreateClient(ctx, p.Actor(), casework.ClientInput{ServiceID: service, GivenName: given, FamilyName: "Tesfaye", DateOfBirth: "1990-01-01"})
			if err != nil {
				t.Fatal(err)
			}
			return id
		}
		plan := func(p apptest.Person, clientID, title, review string, status casework.PlanStatus) string {
			t.Helper()
			id, err := env.Casework.CreatePlan(ctx, p.Actor(), clientID, casework.PlanInput{Title: title, ReviewOn: review, Status: status,
				Goals: []casework.Goal{{Text: "Feel safer at home"}}})
			if err != nil {
				t.Fatal(err)
			}
			return id
		}
		// The clock reads Wednesday 25 November 2026.
		hana, dilan := client(amy, svc.ID, "Hana"), client(amy, svc.ID, "Dilan")
		soon := plan(amy, hana, "Housing plan", "2026-12-02", "") // in 7 days: due
		late := plan(amy, dilan, "Safety plan", "2026-11-20", "") // overdue
		plan(amy, hana, "Later plan", "2026-12-03", "")           // in 8 days
		plan(amy, dilan, "Old plan", "2026-11-01", casework.PlanClosed)
		plan(amy, dilan, "Undated plan", "", "")
		bos := plan(bo, client(bo, svc.ID, "Zofia"), "Bo’s plan", "2026-11-25", "") // today
		elsewhere := plan(cy, client(cy, other.ID, "Samuel"), "Elsewhere plan", "2026-11-21", "")

		ids := func(rs []casework.PlanReview) []string {
			var out []string
			for _, r := range rs {
				out = append(out, r.PlanID)
			}
			return out
		}
		rs, total, err := env.Casework.PlanReviewsDue(ctx, amy.Actor(), access.Casework, 10)
		if err != nil {
			t.Fatal(err)
		}
		if got := ids(rs); total != 2 || len(got) != 2 || got[0] != late || got[1] != soon {
			t.Fatalf("amy's reviews due: %d, %+v", total, rs)
		}
		if r := rs[0]; !r.Overdue || r.Title != "Safety plan" || r.ClientID != dilan || r.Client.DisplayName != "Dilan Tesfaye" || r.ReviewOn != "2026-11-20" {
			t.Errorf("overdue review: %+v", r)
		}
		if r := rs[1]; r.Overdue || r.Title != "Housing plan" || r.Client.DisplayName != "Hana Tesfaye" {
			t.Errorf("review due: %+v", r)
		}

		// The manager: the service's plans, Bo's too; never another service's.
		rs, total, err = env.Casework.PlanReviewsDue(ctx, mgr.Actor(), access.Casework, 10)
		if got := ids(rs); err != nil || total != 3 || len(got) != 3 || got[0] != late || got[1] != bos || got[2] != soon {
			t.Fatalf("manager's reviews due: %d, %+v, %v", total, rs, err)
		}
		rs, _, err = env.Casework.PlanReviewsDue(ctx, cy.Actor(), access.Casework, 10)
		if got := ids(rs); err != nil || len(got) != 1 || got[0] != elsewhere {
			t.Fatalf("cy's reviews due: %+v, %v", rs, err)
		}

		// Only what is listed is opened: with room for one, Dilan's record
		// is opened for it and Hana's is not.
		entries := func(clientID string) int {
			t.Helper()
			es, err := env.Gate.Audit().ForClient(ctx, clientID, 1000)
			if err != nil {
				t.Fatal(err)
			}
			return len(es)
		}
		hanaBefore, dilanBefore := entries(hana), entries(dilan)
		rs, total, err = env.Casework.PlanReviewsDue(ctx, amy.Actor(), access.Casework, 1)
		if got := ids(rs); err != nil || total != 2 || len(got) != 1 || got[0] != late {
			t.Fatalf("the first review due: %d, %+v, %v", total, rs, err)
		}
		if n := entries(dilan); n != dilanBefore+1 {
			t.Errorf("Dilan's record: %d audit entries, then %d", dilanBefore, n)
		}
		if n := entries(hana); n != hanaBefore {
			t.Errorf("Hana's record was opened for a review not listed (%d audit entries, then %d)", hanaBefore, n)
		}

		// Those without a caseload have no reviews due.
		dpo := env.Person(t, access.DPO)
		if rs, total, err := env.Casework.PlanReviewsDue(ctx, dpo.Actor(), access.Review, 10); err != nil || total != 0 || len(rs) != 0 {
			t.Errorf("the DPO's reviews due: %d, %+v, %v", total, rs, err)
		}
	})
}

// Overdue plan actions: the active plans of a caseworker's own clients and
// of a manager's services with actions past their date and not done,
// overdue longest first, each with those actions; done and future actions,
// closed plans and other services' plans never; only the plans listed are
// opened, in one batch.
func TestOverduePlanActions(t *testing.T) {
	apptest.Each(t, func(t *testing.T, env *apptest.Env) {
		ctx := t.Context()
		svc := env.Service(t, "Counselling", false)
		other := env.Service(t, "Advocacy", false)
		amy := env.Person(t, access.Caseworker, svc.ID)
		bo := env.Person(t, access.Caseworker, svc.ID)
		cy := env.Person(t, access.Caseworker, other.ID)
		mgr := env.Person(t, access.Manager, svc.ID)
		client := func(p apptest.Person, service, given string) string {
			t.Helper()
			id, err := env.Casework.CreateClient(ctx, p.Actor(), casework.ClientInput{ServiceID: service, GivenName: given, FamilyName: "Tesfaye", DateOfBirth: "1990-01-01"})
			if err != nil {
				t.Fatal(err)
			}
			return id
		}
		plan := func(p apptest.Person, clientID, title string, status casework.PlanStatus, goals ...casework.Goal) string {
			t.Helper()
			id, err := env.Casework.CreatePlan(ctx, p.Actor(), clientID, casework.PlanInput{Title: title, Status: status, Goals: goals})
			if err != nil {
				t.Fatal(err)
			}
			return id
		}
		goal := func(actions ...casework.PlanAction) casework.Goal {
			return casework.Goal{Text: "Feel safer at home", Actions: actions}
		}
		// The clock reads Wednesday 25 November 2026.
		hana, dilan := client(amy, svc.ID, "Hana"), client(amy, svc.ID, "Dilan")
		housing := plan(amy, hana, "Housing plan", "",
			goal(casework.PlanAction{What: "Ring the council", Who: "Amy", By: "2026-11-20"},
				casework.PlanAction{What: "Fill in the form", Who: "Hana", By: "2026-11-10", Done: true},
				casework.PlanAction{What: "Visit the flat", By: "2026-12-01"},
				casework.PlanAction{What: "Pack the boxes", By: "2026-11-25"}), // due today: not yet overdue
			goal(casework.PlanAction{What: "Book the GP", By: "2026-11-24"}))
		safety := plan(amy, dilan, "Safety plan", "", goal(casework.PlanAction{What: "Change the locks", Who: "Dilan", By: "2026-11-15"}))
		plan(amy, dilan, "Old plan", casework.PlanClosed, goal(casework.PlanAction{What: "Closed action", By: "2026-11-01"}))
		plan(amy, dilan, "Later plan", "", goal(casework.PlanAction{What: "Future action", By: "2026-12-10"},
			casework.PlanAction{What: "Done action", By: "2026-11-02", Done: true}))
		plan(amy, dilan, "Undated plan", "", goal(casework.PlanAction{What: "Some day"}))
		bos := plan(bo, client(bo, svc.ID, "Zofia"), "Bo’s plan", "", goal(casework.PlanAction{What: "Call the school", By: "2026-11-18"}))
		elsewhere := plan(cy, client(cy, other.ID, "Samuel"), "Elsewhere plan", "", goal(casework.PlanAction{What: "Write to the Home Office", By: "2026-11-19"}))

		ids := func(ps []casework.OverduePlan) []string {
			var out []string
			for _, p := range ps {
				out = append(out, p.PlanID)
			}
			return out
		}
		whats := func(p casework.OverduePlan) string {
			var out []string
			for _, a := range p.Actions {
				out = append(out, a.What+" "+a.By)
			}
			return strings.Join(out, "; ")
		}
		ps, total, err := env.Casework.OverduePlanActions(ctx, amy.Actor(), access.Casework, 10)
		if err != nil {
			t.Fatal(err)
		}
		if got := ids(ps); total != 2 || len(got) != 2 || got[0] != safety || got[1] != housing {
			t.Fatalf("amy's overdue plan actions: %d, %+v", total, ps)
		}
		if p := ps[0]; p.Title != "Safety plan" || p.ClientID != dilan || p.Client.DisplayName != "Dilan Tesfaye" || p.Since != "2026-11-15" ||
			whats(p) != "Change the locks 2026-11-15" || p.Actions[0].Who != "Dilan" {
			t.Errorf("the safety plan: %+v", p)
		}
		if p := ps[1]; p.Title != "Housing plan" || p.Client.DisplayName != "Hana Tesfaye" || p.Since != "2026-11-20" ||
			whats(p) != "Ring the council 2026-11-20; Book the GP 2026-11-24" {
			t.Errorf("the housing plan: %+v (%s)", p, whats(p))
		}

		// The manager: the service's plans, Bo's too; never another service's.
		ps, total, err = env.Casework.OverduePlanActions(ctx, mgr.Actor(), access.Casework, 10)
		if got := ids(ps); err != nil || total != 3 || len(got) != 3 || got[0] != safety || got[1] != bos || got[2] != housing {
			t.Fatalf("manager's overdue plan actions: %d, %+v, %v", total, ps, err)
		}
		ps, _, err = env.Casework.OverduePlanActions(ctx, cy.Actor(), access.Casework, 10)
		if got := ids(ps); err != nil || len(got) != 1 || got[0] != elsewhere {
			t.Fatalf("cy's overdue plan actions: %+v, %v", ps, err)
		}

		// Only what is listed is opened: with room for one, Dilan's record
		// is opened for it and Hana's is not.
		entries := func(clientID string) int {
			t.Helper()
			es, err := env.Gate.Audit().ForClient(ctx, clientID, 1000)
			if err != nil {
				t.Fatal(err)
			}
			return len(es)
		}
		hanaBefore, dilanBefore := entries(hana), entries(dilan)
		ps, total, err = env.Casework.OverduePlanActions(ctx, amy.Actor(), access.Casework, 1)
		if got := ids(ps); err != nil || total != 2 || len(got) != 1 || got[0] != safety {
			t.Fatalf("the first overdue plan: %d, %+v, %v", total, ps, err)
		}
		if n := entries(dilan); n != dilanBefore+1 {
			t.Errorf("Dilan's record: %d audit entries, then %d", dilanBefore, n)
		}
		if n := entries(hana); n != hanaBefore {
			t.Errorf("Hana's record was opened for a plan not listed (%d audit entries, then %d)", hanaBefore, n)
		}

		// Done, the action leaves the list.
		view, err := env.Casework.Plan(ctx, amy.Actor(), dilan, safety, 0, access.Casework)
		if err != nil {
			t.Fatal(err)
		}
		in := casework.PlanInput{Title: view.Plan.Title, Goals: view.Plan.Goals, Reason: "Locks changed"}
		in.Goals[0].Actions[0].Done = true
		if err := env.Casework.UpdatePlan(ctx, amy.Actor(), dilan, safety, view.Plan.Version, in); err != nil {
			t.Fatal(err)
		}
		ps, total, err = env.Casework.OverduePlanActions(ctx, amy.Actor(), access.Casework, 10)
		if got := ids(ps); err != nil || total != 1 || len(got) != 1 || got[0] != housing {
			t.Fatalf("after the locks were changed: %d, %+v, %v", total, ps, err)
		}

		// Those without a caseload have none.
		dpo := env.Person(t, access.DPO)
		if ps, total, err := env.Casework.OverduePlanActions(ctx, dpo.Actor(), access.Review, 10); err != nil || total != 0 || len(ps) != 0 {
			t.Errorf("the DPO's overdue plan actions: %d, %+v, %v", total, ps, err)
		}
	})
}
