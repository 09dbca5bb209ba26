package casework

import (
	"context"
	"strings"
	"testing"

	"github.com/caseward/caseward/internal/gate"
	"github.com/caseward/caseward/internal/store"
	"github.com/caseward/caseward/internal/store/storetest"
)

// The candidates look-up must seek the index by scope and tag for each
// tag of the query, however many tags there are. SQLite's planner, left
// to itself, chose for the 64-tag statement (names of three words) to
// read every row of the scope instead: six seconds at 100,000 clients,
// against eight milliseconds. The plan is checked on SQLite only, whose
// planner needs no statistics; PostgreSQL's depends on them.
func TestCandidatesSeekEachTag(t *testing.T) {
	ctx := context.Background()
	loc := storetest.New(t, store.SQLite)
	db, err := store.Open(ctx, loc, "data")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	g, err := gate.Open(ctx, db, loc, gate.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Close() })
	if _, err := New(ctx, db, g, nil); err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{16, 32, 64, 128} {
		for _, scopes := range []int{4, 64} {
			var args []any
			for i := range n {
				args = append(args, "t", i%3, levelExact)
			}
			for range scopes {
				args = append(args, "s")
			}
			args = append(args, 3, maxCandidates+1)
			rows, err := db.Query(ctx, "EXPLAIN QUERY PLAN "+candidatesSQL(n, scopes), args...)
			if err != nil {
				t.Fatal(err)
			}
			var plan []string
			for rows.Next() {
				var id, parent, unused int
				var detail string
				if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
					t.Fatal(err)
				}
				plan = append(plan, detail)
			}
			rows.Close()
			if p := strings.Join(plan, "\n"); !strings.Contains(p, "client_search") || !strings.Contains(p, "(scope=? AND tag=?)") {
				t.Errorf("%d tags, %d scopes: the plan does not seek each tag:\n%s", n, scopes, p)
			}
		}
	}
}
