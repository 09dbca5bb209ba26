package store

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
)

// Migrate applies, in order, the migrations in files that component has not
// yet applied. Files are named NNNN_description.sql. Each package that owns
// tables passes its own embedded files and component name, so packages never
// compete for version numbers.
//
// The migrations run in one transaction under a lock (SQLite's write lock, a
// PostgreSQL advisory lock), so instances starting together apply each once.
// SQL is written for both engines; the only rewrite is BLOB → BYTEA.
func (db *DB) Migrate(ctx context.Context, component string, files fs.FS) error {
	type migration struct {
		version int
		name    string
		sql     string
	}
	entries, err := fs.ReadDir(files, ".")
	if err != nil {
		return fmt.Errorf("migrate %s: %w", component, err)
	}
	var ms []migration
	for _, e := range entries {
		if e.IsDir() || path.Ext(e.Name()) != ".sql" {
			continue
		}
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return fmt.Errorf("migrate %s: bad file name %q", component, e.Name())
		}
		body, err := fs.ReadFile(files, e.Name())
		if err != nil {
			return fmt.Errorf("migrate %s: %w", component, err)
		}
		ms = append(ms, migration{v, e.Name(), string(body)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })

	return db.Tx(ctx, func(tx *Tx) error {
		if db.engine == Postgres {
			if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock(7306508773)"); err != nil {
				return fmt.Errorf("migration lock: %w", err)
			}
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			component TEXT NOT NULL,
			version INTEGER NOT NULL,
			name TEXT NOT NULL,
			PRIMARY KEY (component, version))`); err != nil {
			return fmt.Errorf("migrate %s: %w", component, err)
		}
		// Apply every migration not yet recorded, not only those above the
		// highest: a migration merged late with a lower number still runs.
		applied := map[int]bool{}
		rows, err := tx.Query(ctx, "SELECT version FROM schema_migrations WHERE component = ?", component)
		if err != nil {
			return fmt.Errorf("migrate %s: read versions: %w", component, err)
		}
		for rows.Next() {
			var v int
			if err := rows.Scan(&v); err != nil {
				rows.Close()
				return fmt.Errorf("migrate %s: read versions: %w", component, err)
			}
			applied[v] = true
		}
		if err := rows.Close(); err != nil {
			return err
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("migrate %s: read versions: %w", component, err)
		}
		for _, m := range ms {
			if applied[m.version] {
				continue
			}
			body := m.sql
			if db.engine == Postgres {
				body = strings.ReplaceAll(body, "BLOB", "BYTEA")
			}
			if err := tx.execScript(ctx, body); err != nil {
				return fmt.Errorf("migrate %s: %s: %w", component, m.name, err)
			}
			if _, err := tx.Exec(ctx, "INSERT INTO schema_migrations (component, version, name) VALUES (?, ?, ?)", component, m.version, m.name); err != nil {
				return fmt.Errorf("migrate %s: record %s: %w", component, m.name, err)
			}
		}
		return nil
	})
}
