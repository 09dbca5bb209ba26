package casework_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/caseward/caseward/internal/access"
	"github.com/caseward/caseward/internal/app/apptest"
	"github.com/caseward/caseward/internal/casework"
	"github.com/caseward/caseward/internal/store"
)

// indexRows lists the whole search index, in order, to compare.
func indexRows(t *testing.T, env *apptest.Env) []string {
	t.Helper()
	rows, err := env.DB.Query(context.Background(), "SELECT client_id, part, scope, tag FROM client_search ORDER BY client_id, part, scope, tag")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id, part, scope, tag string
		if err := rows.Scan(&id, &part, &scope, &tag); err != nil {
			t.Fatal(err)
		}
		out = append(out, strings.Join([]string{id, part, scope, tag}, "|"))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// Reindex rebuilds lost index rows from the sealed record, in batches,
// each client opened (and audited) for maintenance; it is idempotent, and
// it deletes the rows an erased client left (P42: here brought back as a
// restore of the data from before the erasure would).
func TestReindex(t *testing.T) {
	apptest.Each(t, func(t *testing.T, env *apptest.Env) {
		ctx := context.Background()
		svc := env.Service(t, "Counselling", false)
		advocacy := env.Service(t, "Advocacy", false)
		w := env.Person(t, access.Caseworker, svc.ID, advocacy.ID)
		dpo := env.Person(t, access.DPO)
		system := access.Actor{UserID: "cli", Role: access.System}
		jamila := findable(t, env, w, svc.ID, "Jamila", "Khan", "1990-05-01", "07700 900123")
		zofia := findable(t, env, w, svc.ID, "Zofia", "Nowak", "1979-06-30", "")
		c, err := env.Casework.Client(ctx, w.Actor(), zofia, access.Casework)
		if err != nil {
			t.Fatal(err)
		}
		if err := env.Casework.UpdateClient(ctx, w.Actor(), zofia, c.Version, casework.ClientInput{
			GivenName: "Zofia", FamilyName: "Nowak", DateOfBirth: "1979-06-30", PreviousNames: []string{"Kowalczyk"},
		}); err != nil {
			t.Fatal(err)
		}
		// Zofia's work is in two services: her rows are in both.
		if _, err := env.Casework.OpenCase(ctx, w.Actor(), zofia, casework.CaseInput{ServiceID: advocacy.ID, Kind: "referral", OwnerID: w.ID}); err != nil {
			t.Fatal(err)
		}
		findable(t, env, w, svc.ID, "Aleksandr", "Petrov", "1979-12-30", "")
		findable(t, env, w, svc.ID, "Muhammad", "Hussain", "1985-02-11", "")
		erased := findable(t, env, w, svc.ID, "Leyla", "Demir", "1990-03-04", "07700 900321")
		full := indexRows(t, env)
		var leyla []string
		for _, r := range full {
			if strings.HasPrefix(r, erased+"|") {
				leyla = append(leyla, r)
			}
		}
		if err := env.Casework.EraseClient(ctx, dpo.Actor(), erased); err != nil {
			t.Fatal(err)
		}
		want := indexRows(t, env)
		scopes := map[string]bool{}
		for _, r := range want {
			if f := strings.Split(r, "|"); f[0] == zofia {
				scopes[f[2]] = true
			}
		}
		if len(scopes) != 2 || !scopes[svc.ID] || !scopes[advocacy.ID] {
			t.Fatalf("Zofia's rows are in %v, want her two services", scopes)
		}

		// Lose Jamila's and Zofia's rows (all of them, in every service:
		// as for a client recorded before the index), and bring back the erased
		// client's, as an old backup would.
		if err := env.DB.Tx(ctx, func(tx *store.Tx) error {
			if _, err := tx.Exec(ctx, "DELETE FROM client_search WHERE client_id IN (?, ?)", jamila, zofia); err != nil {
				return err
			}
			for _, r := range leyla {
				f := strings.Split(r, "|")
				if _, err := tx.Exec(ctx, "INSERT INTO client_search (client_id, part, scope, tag) VALUES (?, ?, ?, ?)", f[0], f[1], f[2], f[3]); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		for _, q := range []casework.SearchQuery{{Name: "Jamila Khan"}, {Name: "Kowalczyk"}} {
			if n := len(search(t, env, w, q).Results); n != 0 {
				t.Fatalf("%+v found %d before the reindex: the rows were not lost", q, n)
			}
		}

		var steps []casework.ReindexResult
		res, err := env.Casework.Reindex(ctx, system, 2, func(r casework.ReindexResult) { steps = append(steps, r) })
		if err != nil {
			t.Fatal(err)
		}
		if res != (casework.ReindexResult{Indexed: 4, Erased: 1}) {
			t.Errorf("reindex: %+v, want 4 indexed and 1 erased", res)
		}
		if len(steps) != 3 || steps[0].Done() != 2 || steps[2] != res {
			t.Errorf("progress after each batch of 2 of 5 clients: %+v", steps)
		}
		if got := indexRows(t, env); !slices.Equal(got, want) {
			t.Errorf("the index after reindexing differs from the one kept in step:\n got %d rows\nwant %d rows", len(got), len(want))
		}
		for _, tc := range []struct {
			q    casework.SearchQuery
			want string
		}{
			{casework.SearchQuery{Name: "Jamila Khan"}, jamila},
			{casework.SearchQuery{Phone: "900123"}, jamila},
			{casework.SearchQuery{Name: "Kowalczyk"}, zofia},
			{casework.SearchQuery{DateOfBirth: "1979-06-30"}, zofia},
		} {
			if got := ids(search(t, env, w, tc.q)); !slices.Equal(got, []string{tc.want}) {
				t.Errorf("%+v after reindex: %v, want %v", tc.q, got, []string{tc.want})
			}
		}

		// Idempotent.
		if res, err := env.Casework.Reindex(ctx, system, 0, nil); err != nil || res != (casework.ReindexResult{Indexed: 4, Erased: 1}) {
			t.Errorf("second reindex: %+v, %v", res, err)
		}
		if got := indexRows(t, env); !slices.Equal(got, want) {
			t.Error("a second reindex changed the index")
		}

		// Each client was opened for maintenance, and audited so.
		es, err := env.Gate.Audit().ForClient(ctx, jamila, 100)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, e := range es {
			if e.Actor == "cli" && e.Purpose == string(access.Maintenance) && e.Action == "client.view-contact" && e.Allowed {
				n++
			}
		}
		if n != 2 {
			t.Errorf("%d audited maintenance openings of a client by two reindexes, want 2", n)
		}

		// Staff cannot reindex: nobody's rows are touched.
		if res, err := env.Casework.Reindex(ctx, dpo.Actor(), 0, nil); err != nil || res.Indexed != 0 || res.Skipped != 4 {
			t.Errorf("a reindex by the DPO: %+v, %v; want every live client skipped", res, err)
		}
		if got := indexRows(t, env); !slices.Equal(got, want) {
			t.Error("a refused reindex changed the index")
		}
	})
}

// An upgrade whose index needs a rebuild (here: clients recorded before
// the intake check's ix tags) says so in search_reindex_pending, and
// ReindexPending rebuilds once: the intake check finds those clients
// again (P23: it still says only whom to ask), and a second call does
// nothing.
func TestReindexPending(t *testing.T) {
	apptest.Each(t, func(t *testing.T, env *apptest.Env) {
		ctx := context.Background()
		svc := env.Service(t, "Counselling", false)
		refuge := env.Service(t, "Refuge", false)
		w := env.Person(t, access.Caseworker, svc.ID)
		asker := env.Person(t, access.Caseworker, refuge.ID)
		system := access.Actor{UserID: "serve", Role: access.System}
		findable(t, env, w, svc.ID, "Dawit", "Tesfaye", "1992-09-09", "")
		check := func() bool {
			t.Helper()
			a, err := env.Casework.IntakeCheck(ctx, asker.Actor(), casework.IntakeQuery{GivenName: "Dawit", FamilyName: "Tesfaye", DateOfBirth: "1992-09-09"})
			if err != nil {
				t.Fatal(err)
			}
			return a.PossibleMatch
		}
		if _, rebuilt, err := env.Casework.ReindexPending(ctx, system, nil); err != nil || rebuilt {
			t.Fatalf("nothing pending: rebuilt %v, %v", rebuilt, err)
		}
		// As installed before the ix tags, with the migration's reason.
		err := env.DB.Tx(ctx, func(tx *store.Tx) error {
			if _, err := tx.Exec(ctx, "DELETE FROM client_search WHERE tag LIKE 'ix:%'"); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, "INSERT INTO search_reindex_pending (reason) VALUES ('intake-tags')")
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if check() {
			t.Fatal("the intake check found a client with no ix tags: the test shows nothing")
		}
		res, rebuilt, err := env.Casework.ReindexPending(ctx, system, nil)
		if err != nil || !rebuilt || res.Indexed != 1 {
			t.Fatalf("pending reindex: %+v, rebuilt %v, %v", res, rebuilt, err)
		}
		if !check() {
			t.Error("after the rebuild, the intake check misses the client")
		}
		if _, rebuilt, err := env.Casework.ReindexPending(ctx, system, nil); err != nil || rebuilt {
			t.Errorf("a second call rebuilt again: %v, %v", rebuilt, err)
		}
		// A rebuild run by hand ('caseward search reindex', before serve
		// starts) answers the reason too, so serve does not rebuild again.
		err = env.DB.Tx(ctx, func(tx *store.Tx) error {
			_, err := tx.Exec(ctx, "INSERT INTO search_reindex_pending (reason) VALUES ('by-hand')")
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := env.Casework.Reindex(ctx, system, 0, nil); err != nil {
			t.Fatal(err)
		}
		if _, rebuilt, err := env.Casework.ReindexPending(ctx, system, nil); err != nil || rebuilt {
			t.Errorf("after a rebuild by hand, serve would rebuild again: %v, %v", rebuilt, err)
		}
	})
}
