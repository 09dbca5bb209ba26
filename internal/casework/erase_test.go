package casework_test

import (
	"context"
	"errors"
	"testing"

	"github.com/caseward/caseward/internal/access"
	"github.com/caseward/caseward/internal/app/apptest"
	"github.com/caseward/caseward/internal/casework"
)

// P42, P23: once a client is erased at their request, nobody can find
// them: not a search by name, date of birth or phone (by their own worker
// or the DPO), nor the intake check from another service, which would
// otherwise say that the person had been a client. Only the DPO erases.
func TestEraseClientLeavesNothingToFind(t *testing.T) {
	apptest.Each(t, func(t *testing.T, env *apptest.Env) {
		ctx := context.Background()
		refuge := env.Service(t, "Refuge", false)
		counselling := env.Service(t, "Counselling", false)
		rae := env.Person(t, access.Caseworker, refuge.ID)
		amy := env.Person(t, access.Caseworker, counselling.ID)
		dpo := env.Person(t, access.DPO)
		id := findable(t, env, rae, refuge.ID, "Leyla", "Demir", "1990-03-04", "07700 900321")
		other := findable(t, env, rae, refuge.ID, "Leyla", "Aksoy", "1991-08-09", "")

		queries := []casework.SearchQuery{{Name: "Leyla Demir"}, {Name: "Demirr"}, {DateOfBirth: "1990-03-04"}, {Phone: "900321"}}
		found := func(p apptest.Person, purpose access.Purpose) int {
			t.Helper()
			n := 0
			for _, q := range queries {
				rs, err := env.Casework.Search(ctx, p.Actor(), purpose, q)
				if err != nil {
					t.Fatalf("search %+v: %v", q, err)
				}
				for _, r := range rs.Results {
					if r.ID == id {
						n++
					}
				}
			}
			return n
		}
		intake := func() bool {
			t.Helper()
			a, err := env.Casework.IntakeCheck(ctx, amy.Actor(), casework.IntakeQuery{GivenName: "Leyla", FamilyName: "Demir", DateOfBirth: "1990-03-04"})
			if err != nil {
				t.Fatalf("intake check: %v", err)
			}
			return a.PossibleMatch
		}
		if n := found(rae, access.Casework); n != len(queries) || !intake() {
			t.Fatalf("before erasure: found by %d of %d searches, intake match %v", n, len(queries), intake())
		}

		if err := env.Casework.EraseClient(ctx, rae.Actor(), id); !errors.Is(err, casework.ErrForbidden) {
			t.Fatalf("a caseworker erased a client: %v", err)
		}
		if n := found(rae, access.Casework); n != len(queries) {
			t.Fatalf("a refused erasure touched the index: found by %d of %d searches", n, len(queries))
		}
		if err := env.Casework.EraseClient(ctx, dpo.Actor(), id); err != nil {
			t.Fatal(err)
		}

		if n := found(rae, access.Casework); n != 0 {
			t.Errorf("their worker still finds the erased client, by %d searches", n)
		}
		if n := found(dpo, access.RightsRequest); n != 0 {
			t.Errorf("the DPO still finds the erased client, by %d searches", n)
		}
		if intake() {
			t.Error("the intake check still says an erased client may be known")
		}
		var rows int
		if err := env.DB.QueryRow(ctx, "SELECT COUNT(*) FROM client_search WHERE client_id = ?", id).Scan(&rows); err != nil || rows != 0 {
			t.Errorf("%d index rows left after erasure (%v)", rows, err)
		}
		if _, err := env.Casework.Client(ctx, rae.Actor(), id, access.Casework); err == nil {
			t.Error("the erased client's record can still be read")
		}
		// Nobody else was erased with them.
		rs := search(t, env, rae, casework.SearchQuery{Name: "Leyla"})
		if got := ids(rs); len(got) != 1 || got[0] != other {
			t.Errorf("search for the other Leyla: %v, want %v", got, []string{other})
		}
	})
}
