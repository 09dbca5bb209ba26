package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/caseward/caseward/internal/store"
	"github.com/caseward/caseward/internal/store/storetest"
)

var testMigrations = fstest.MapFS{
	"0001_things.sql": {Data: []byte(`CREATE TABLE things (id TEXT PRIMARY KEY, n BIGINT NOT NULL, b BLOB);`)},
	"0002_index.sql":  {Data: []byte(`CREATE INDEX things_n ON things (n);`)},
}

func TestMigrateAndTx(t *testing.T) {
	storetest.Each(t, func(t *testing.T, loc store.Location) {
		ctx := context.Background()
		db, err := store.Open(ctx, loc, "data")
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		for range 2 { // a second run applies nothing and does not fail
			if err := db.Migrate(ctx, "test", testMigrations); err != nil {
				t.Fatal(err)
			}
		}
		var applied int
		if err := db.QueryRow(ctx, "SELECT COUNT(*) FROM schema_migrations WHERE component = ?", "test").Scan(&applied); err != nil {
			t.Fatal(err)
		}
		if applied != 2 {
			t.Fatalf("applied %d migrations, want 2", applied)
		}

		// A failing transaction leaves nothing behind.
		boom := errors.New("boom")
		err = db.Tx(ctx, func(tx *store.Tx) error {
			if _, err := tx.Exec(ctx, "INSERT INTO things (id, n, b) VALUES (?, ?, ?)", "a", 1, []byte{1, 2}); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("Tx error = %v, want boom", err)
		}
		var n int
		if err := db.QueryRow(ctx, "SELECT COUNT(*) FROM things").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Fatalf("rolled-back row visible: %d rows", n)
		}

		if err := db.Tx(ctx, func(tx *store.Tx) error {
			_, err := tx.Exec(ctx, "INSERT INTO things (id, n, b) VALUES (?, ?, ?)", "a", 1, []byte{1, 2})
			return err
		}); err != nil {
			t.Fatal(err)
		}
		var b []byte
		if err := db.QueryRow(ctx, "SELECT b FROM things WHERE id = ?", "a").Scan(&b); err != nil {
			t.Fatal(err)
		}
		if string(b) != "\x01\x02" {
			t.Fatalf("blob = %x", b)
		}
	})
}

func TestPingFailsWhenGone(t *testing.T) {
	ctx := context.Background()
	_, err := store.Open(ctx, store.Location{URL: "postgres://nobody@127.0.0.1:1/none?sslmode=disable&connect_timeout=2"}, "data")
	if !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("open of an unreachable server: %v, want ErrUnavailable", err)
	}
}

func TestNewID(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		id := store.NewID()
		if !store.ValidID(id) || seen[id] {
			t.Fatalf("bad or repeated id %q", id)
		}
		seen[id] = true
	}
	for _, bad := range []string{"", "x", "../../etc/passwd", "ABCDEFGHIJKLMNOPQRSTUVWXYZ"} {
		if store.ValidID(bad) {
			t.Errorf("ValidID(%q) = true", bad)
		}
	}
}

// A migration merged after a higher-numbered one has run still runs.
func TestMigrateLateLowerNumber(t *testing.T) {
	storetest.Each(t, func(t *testing.T, loc store.Location) {
		ctx := context.Background()
		db, err := store.Open(ctx, loc, "data")
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		first := fstest.MapFS{
			"0001_a.sql": {Data: []byte(`CREATE TABLE a (id TEXT PRIMARY KEY);`)},
			"0003_c.sql": {Data: []byte(`CREATE TABLE c (id TEXT PRIMARY KEY);`)},
		}
		if err := db.Migrate(ctx, "late", first); err != nil {
			t.Fatal(err)
		}
		first["0002_b.sql"] = &fstest.MapFile{Data: []byte(`CREATE TABLE b (id TEXT PRIMARY KEY);`)}
		if err := db.Migrate(ctx, "late", first); err != nil {
			t.Fatal(err)
		}
		var n int
		if err := db.QueryRow(ctx, "SELECT COUNT(*) FROM b").Scan(&n); err != nil {
			t.Fatalf("the late migration did not run: %v", err)
		}
	})
}

func TestInList(t *testing.T) {
	for _, tt := range []struct{ n, size int }{{1, 1}, {2, 4}, {4, 4}, {5, 16}, {300, 1024}} {
		ids := make([]string, tt.n)
		for i := range ids {
			ids[i] = store.NewID()
		}
		marks, args := store.InList(ids)
		if len(args) != tt.size || strings.Count(marks, "?") != tt.size {
			t.Errorf("%d ids: %d args, %q", tt.n, len(args), marks)
		}
		if args[len(args)-1] != ids[tt.n-1] || args[0] != ids[0] {
			t.Errorf("%d ids: padding is not the last id", tt.n)
		}
	}
}
