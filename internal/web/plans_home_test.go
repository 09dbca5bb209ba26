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
