package web_test

import (
	"context"
	"strings"
	"testing"

	"github.com/caseward/caseward/internal/access"
	"github.com/caseward/caseward/internal/app/apptest"
	"github.com/caseward/caseward/internal/casework"
)

// The home page's "Reviews due": a plan whose review is due shows, linked,
// overdue ones first; one due far in the future does not; one of a client
// outside the viewer's reach never does.
func TestHomeReviewsDue(t *testing.T) {
	apptest.Each(t, func(t *testing.T, env *apptest.Env) {
		ctx := context.Background()
		ts := newServer(t, env)
		svc := env.Service(t, "Counselling", false)
		other := env.Service(t, "Advocacy", false)
		amy := env.Person(t, access.Caseworker, svc.ID)
		bo := env.Person(t, access.Caseworker, svc.ID)
		cy := env.Person(t, access.Caseworker, other.ID)
		plan := func(p apptest.Person, clientID, title, review string) string {
			t.Helper()
			id, err := env.Casework.CreatePlan(ctx, p.Actor(), clientID, casework.PlanInput{Title: title, ReviewOn: review,
				Goals: []casework.Goal{{Text: "Settle the housing situation"}}})
			if err != nil {
				t.Fatal(err)
			}
			return id
		}
		// The clock reads Wednesday 25 November 2026.
		hana := recordClient(t, env, amy, svc.ID, "Hana", "Mohammed Ali")
		due := plan(amy, hana, "Housing plan", "2026-11-27")
		overdue := plan(amy, hana, "Safety plan", "2026-11-18")
		plan(amy, recordClient(t, env, amy, svc.ID, "Dilan", "Rashid"), "Far plan", "2027-03-01")
		plan(bo, recordClient(t, env, bo, svc.ID, "Zofia", "Kowalczyk"), "Colleague plan", "2026-11-26")
		plan(cy, recordClient(t, env, cy, other.ID, "Samuel", "Tesfaye"), "Elsewhere plan", "2026-11-26")

		_, body := ts.get(t, ts.signIn(t, amy), "/")
		mustContain(t, "amy's home", body, `id="my-reviews"`, "Reviews due",
			`href="/clients/`+hana+`/plans/`+due+`">Housing plan`, `href="/clients/`+hana+`/plans/`+overdue+`">Safety plan`,
			"27 November 2026", "18 November 2026", "Overdue")
		if i, j := strings.Index(body, "Safety plan"), strings.Index(body, "Housing plan"); i > j {
			t.Error("the overdue review is not first")
		}
		for _, no := range []string{"Far plan", "Colleague plan", "Elsewhere plan"} {
			if strings.Contains(body, no) {
				t.Errorf("amy's home shows %q", no)
			}
		}
		if strings.Contains(title(body), "Hana") {
			t.Errorf("a name in the title: %q", title(body))
		}

		// A caseworker of another service sees only theirs.
		_, body = ts.get(t, ts.signIn(t, cy), "/")
		mustContain(t, "cy's home", body, "Reviews due", "Elsewhere plan")
		for _, no := range []string{"Housing plan", "Safety plan", "Colleague plan", "Hana"} {
			if strings.Contains(body, no) {
				t.Errorf("cy's home shows %q", no)
			}
		}
		// Nothing due: no section.
		_, body = ts.get(t, ts.signIn(t, env.Person(t, access.Caseworker, svc.ID)), "/")
		if strings.Contains(body, "Reviews due") {
			t.Error("a home with no plans shows reviews due")
		}
	})
}

// The home page's overdue support plan actions: an action past its date
// shows under "Overdue" with a link to its plan; one not yet due, one done
// and one of a closed plan do not; another service's never does. Only the
// clients listed are opened for their plans.
func TestHomeOverduePlanActions(t *testing.T) {
	apptest.Each(t, func(t *testing.T, env *apptest.Env) {
		ctx := context.Background()
		ts := newServer(t, env)
		svc := env.Service(t, "Counselling", false)
		other := env.Service(t, "Advocacy", false)
		amy := env.Person(t, access.Caseworker, svc.ID)
		cy := env.Person(t, access.Caseworker, other.ID)
		mgr := env.Person(t, access.Manager, svc.ID)
		plan := func(p apptest.Person, clientID, title string, status casework.PlanStatus, actions ...casework.PlanAction) string {
			t.Helper()
			id, err := env.Casework.CreatePlan(ctx, p.Actor(), clientID, casework.PlanInput{Title: title, Status: status,
				Goals: []casework.Goal{{Text: "Settle the housing situation", Actions: actions}}})
			if err != nil {
				t.Fatal(err)
			}
			return id
		}
		// The clock reads Wednesday 25 November 2026.
		hana := recordClient(t, env, amy, svc.ID, "Hana", "Mohammed Ali")
		dilan := recordClient(t, env, amy, svc.ID, "Dilan", "Rashid")
		housing := plan(amy, hana, "Housing plan", "",
			casework.PlanAction{What: "Ring the council", Who: "Amy", By: "2026-11-20"},
			casework.PlanAction{What: "Fill in the form", By: "2026-11-12", Done: true},
			casework.PlanAction{What: "Visit the flat", By: "2026-12-01"})
		plan(amy, dilan, "Future plan", "", casework.PlanAction{What: "Open a bank account", By: "2026-12-04"},
			casework.PlanAction{What: "Get a bus pass", By: "2026-11-02", Done: true})
		plan(amy, dilan, "Closed plan", casework.PlanClosed, casework.PlanAction{What: "See the solicitor", By: "2026-11-03"})
		elsewhere := plan(cy, recordClient(t, env, cy, other.ID, "Samuel", "Tesfaye"), "Elsewhere plan", "",
			casework.PlanAction{What: "Write to the Home Office", By: "2026-11-19"})

		opened := func(clientID string) int {
			t.Helper()
			es, err := env.Gate.Audit().ForClient(ctx, clientID, 1000)
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, e := range es {
				if e.Action == "client."+string(access.ViewNotes) {
					n++
				}
			}
			return n
		}
		hanaBefore, dilanBefore := opened(hana), opened(dilan)
		_, body := ts.get(t, ts.signIn(t, amy), "/")
		mustContain(t, "amy's home", body, `id="my-overdue"`, `id="my-overdue-plan-actions"`,
			`href="/clients/`+hana+`/plans/`+housing+`">Housing plan`, "Ring the council", "Amy, by 20 November 2026")
		for _, no := range []string{"Fill in the form", "Visit the flat", "Future plan", "Open a bank account", "Get a bus pass",
			"Closed plan", "See the solicitor", "Elsewhere plan", "Write to the Home Office"} {
			if strings.Contains(body, no) {
				t.Errorf("amy's home shows %q", no)
			}
		}
		if strings.Contains(title(body), "Hana") {
			t.Errorf("a name in the title: %q", title(body))
		}
		if n := opened(hana); n != hanaBefore+1 {
			t.Errorf("Hana's record opened for notes %d times, then %d", hanaBefore, n)
		}
		if n := opened(dilan); n != dilanBefore {
			t.Errorf("Dilan's record was opened for plans not listed (%d, then %d)", dilanBefore, n)
		}

		// The manager sees the service's; a caseworker of another service
		// only theirs.
		_, body = ts.get(t, ts.signIn(t, mgr), "/")
		mustContain(t, "the manager's home", body, `href="/clients/`+hana+`/plans/`+housing+`">Housing plan`)
		if strings.Contains(body, "Elsewhere plan") {
			t.Error("the manager's home shows another service's plan")
		}
		_, body = ts.get(t, ts.signIn(t, cy), "/")
		mustContain(t, "cy's home", body, `/plans/`+elsewhere+`">Elsewhere plan`, "Write to the Home Office", "By 19 November 2026")
		for _, no := range []string{"Housing plan", "Ring the council", "Hana"} {
			if strings.Contains(body, no) {
				t.Errorf("cy's home shows %q", no)
			}
		}
		// Nothing overdue: no section.
		_, body = ts.get(t, ts.signIn(t, env.Person(t, access.Caseworker, svc.ID)), "/")
		if strings.Contains(body, `id="my-overdue`) {
			t.Error("a home with nothing overdue has an Overdue section")
		}
	})
}
