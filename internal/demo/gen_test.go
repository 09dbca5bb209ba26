package demo_test

import (
	"context"
	"reflect"
	"testing"

	"github.com/caseward/caseward/internal/access"
	"github.com/caseward/caseward/internal/app/apptest"
	"github.com/caseward/caseward/internal/casework"
	"github.com/caseward/caseward/internal/demo"
)

// The fictitious population is the same for the same seed, and varied.
func TestFictitiousClient(t *testing.T) {
	if a, b := demo.FictitiousClient(7, 42), demo.FictitiousClient(7, 42); !reflect.DeepEqual(a, b) {
		t.Fatalf("not deterministic: %+v, %+v", a, b)
	}
	families := map[string]bool{}
	phones := 0
	for i := range 2000 {
		c := demo.FictitiousClient(7, i)
		families[c.FamilyName] = true
		if c.Contact != nil {
			phones++
		}
	}
	if len(families) < 150 || phones < 1000 || phones > 1800 {
		t.Errorf("%d family names, %d phones in 2,000 clients", len(families), phones)
	}
}

// Generated clients go through CreateClient and are found by search.
func TestAddClients(t *testing.T) {
	apptest.Each(t, func(t *testing.T, env *apptest.Env) {
		ctx := context.Background()
		org, err := demo.AddOrg(ctx, env.App, "Bench", 2, 3)
		if err != nil {
			t.Fatal(err)
		}
		if len(org.Services) != 2 || len(org.Managers) != 2 || len(org.Workers[1]) != 3 || len(org.Creators()) != 6 {
			t.Fatalf("org %+v", org)
		}
		if err := demo.AddClients(ctx, env.Casework, org.Creators(), 60, demo.AddClientsOptions{Seed: 7, Parallel: 3}); err != nil {
			t.Fatal(err)
		}
		// Client 0 was recorded by the first caseworker of the first service.
		p := demo.FictitiousClient(7, 0)
		rs, err := env.Casework.Search(ctx, org.Managers[0].Actor(), access.Casework, casework.SearchQuery{Name: p.GivenName + " " + p.FamilyName, DateOfBirth: p.DateOfBirth})
		if err != nil || len(rs.Results) == 0 {
			t.Fatalf("client 0 not found: %v", err)
		}
		// The second service's manager sees none of the first's.
		rs, _ = env.Casework.Search(ctx, org.Managers[1].Actor(), access.Casework, casework.SearchQuery{Name: p.GivenName + " " + p.FamilyName, DateOfBirth: p.DateOfBirth})
		for _, r := range rs.Results {
			if r.ServiceIDs[0] == org.Services[0].ID {
				t.Error("another service's client found")
			}
		}
	})
}
