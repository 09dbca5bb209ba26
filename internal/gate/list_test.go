package gate_test

import (
	"context"
	"slices"
	"testing"

	"github.com/caseward/caseward/internal/access"
	"github.com/caseward/caseward/internal/app/apptest"
	"github.com/caseward/caseward/internal/gate"
	"github.com/caseward/caseward/internal/store"
)

// Lists open many clients at once: each is decided and audited, and only
// what the actor may see comes back (P13).
func TestReachAndOpenClients(t *testing.T) {
	apptest.Each(t, func(t *testing.T, env *apptest.Env) {
		ctx := context.Background()
		svcA := env.Service(t, "Counselling", false)
		svcB := env.Service(t, "Advocacy", true) // shared caseload
		amy := env.Person(t, access.Caseworker, svcA.ID, svcB.ID)
		bo := env.Person(t, access.Caseworker, svcA.ID, svcB.ID)
		mgr := env.Person(t, access.Manager, svcA.ID)
		create := func(p apptest.Person, svc string) string {
			id, err := env.Gate.CreateClient(ctx, p.Actor(), svc, access.Casework, func(context.Context, *store.Tx, *gate.Handle) error { return nil })
			if err != nil {
				t.Fatal(err)
			}
			return id
		}
		amysA := create(amy, svcA.ID)
		bosA := create(bo, svcA.ID)
		bosB := create(bo, svcB.ID)

		reach := func(p apptest.Person, mine bool) []string {
			ids, err := env.Gate.Reach(ctx, p.Actor(), mine, 100, 0)
			if err != nil {
				t.Fatal(err)
			}
			slices.Sort(ids)
			return ids
		}
		sorted := func(ids ...string) []string { slices.Sort(ids); return ids }
		if got, want := reach(amy, false), sorted(amysA, bosB); !slices.Equal(got, want) {
			t.Errorf("Amy reaches %v, want her own and the shared service's %v", got, want)
		}
		if got, want := reach(amy, true), sorted(amysA); !slices.Equal(got, want) {
			t.Errorf("Amy's own caseload %v, want %v", got, want)
		}
		if got, want := reach(mgr, false), sorted(amysA, bosA); !slices.Equal(got, want) {
			t.Errorf("manager reaches %v, want %v", got, want)
		}

		missing := store.NewID()
		hs, err := env.Gate.OpenClients(ctx, amy.Actor(), []string{amysA, bosA, bosB, missing, "Not An Id"}, access.Casework, access.ViewContact)
		if err != nil {
			t.Fatal(err)
		}
		if len(hs) != 2 || hs[amysA] == nil || hs[bosB] == nil {
			t.Fatalf("opened %d handles, want Amy's client and the shared one", len(hs))
		}
		for id, want := range map[string]bool{amysA: true, bosA: false, bosB: true, missing: false} {
			es, err := env.Gate.Audit().ForClient(ctx, id, 1)
			if err != nil || len(es) != 1 || es[0].Actor != amy.ID || es[0].Allowed != want {
				t.Errorf("audit for %s: %+v %v, want allowed=%v", id, es, err, want)
			}
		}
	})
}
