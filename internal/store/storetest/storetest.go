// Package storetest gives tests a fresh, real database on each engine:
// SQLite files in a temporary directory, and a PostgreSQL database of the
// test's own, dropped when the test ends.
//
// PostgreSQL is reached at CASEWARD_TEST_POSTGRES (default
// postgres://postgres@127.0.0.1:5432/test?sslmode=disable). Without it the
// PostgreSQL half of a test is skipped with a message saying how to get it;
// with CI=true it fails instead, so nothing is skipped in CI.
package storetest

import (
	"context"
	"database/sql"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/caseward/caseward/internal/store"
	"github.com/jackc/pgx/v5"
	_ "github.com/jackc/pgx/v5/stdlib" // registers "pgx"
)

// DefaultPostgres is the server tests use when CASEWARD_TEST_POSTGRES is unset.
const DefaultPostgres = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// Engines lists the engines every store test runs on.
var Engines = []store.Engine{store.SQLite, store.Postgres}

// Each runs fn as a subtest on every engine, each with a fresh Location.
func Each(t *testing.T, fn func(t *testing.T, loc store.Location)) {
	t.Helper()
	for _, e := range Engines {
		t.Run(string(e), func(t *testing.T) {
			fn(t, New(t, e))
		})
	}
}

// New returns a fresh, empty Location on engine e, removed when t ends.
func New(t testing.TB, e store.Engine) store.Location {
	t.Helper()
	loc := store.Location{Dir: t.TempDir()}
	if e == store.Postgres {
		loc.URL = NewPostgresDatabase(t)
	}
	return loc
}

// Open opens the named part of a fresh Location on engine e.
func Open(t testing.TB, e store.Engine, name string) *store.DB {
	t.Helper()
	loc := New(t, e)
	db, err := store.Open(context.Background(), loc, name)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// NewPostgresDatabase creates a database of the test's own and returns its
// URL; the database is dropped when the test ends.
func NewPostgresDatabase(t testing.TB) string {
	t.Helper()
	base := os.Getenv("CASEWARD_TEST_POSTGRES")
	if base == "" {
		base = DefaultPostgres
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	admin, err := sql.Open("pgx", base)
	if err == nil {
		err = admin.PingContext(ctx)
	}
	if err != nil {
		if admin != nil {
			admin.Close()
		}
		msg := "PostgreSQL not reachable at " + redact(base) + " (" + err.Error() + "); start one or set CASEWARD_TEST_POSTGRES"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	name := "caseward_test_" + store.NewID()
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		admin.Close()
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
			t.Errorf("drop test database: %v", err)
		}
		admin.Close()
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("parse %s: %v", redact(base), err)
	}
	u.Path = "/" + name
	return u.String()
}

func redact(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(unparseable URL)"
	}
	return u.Redacted()
}
