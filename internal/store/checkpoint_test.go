package store

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// The WAL is moved into the database file in the background, not only by
// the commit that crosses the writer's backstop: after commits far below
// the backstop, the database file grows to hold them without any further
// write.
func TestCheckpointInBackground(t *testing.T) {
	defer func(d time.Duration) { checkpointEvery = d }(checkpointEvery)
	checkpointEvery = 10 * time.Millisecond
	ctx := context.Background()
	dir := t.TempDir()
	db, err := Open(ctx, Location{Dir: dir}, "data")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	path := filepath.Join(dir, "data.db")
	size := func() int64 {
		t.Helper()
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}
	if err := db.Tx(ctx, func(tx *Tx) error {
		_, err := tx.Exec(ctx, "CREATE TABLE blobs (b BLOB)")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	// About 2 MiB in 64 commits: some 500 pages, far below the backstop.
	blob := make([]byte, 32<<10)
	for range 64 {
		if err := db.Tx(ctx, func(tx *Tx) error {
			_, err := tx.Exec(ctx, "INSERT INTO blobs (b) VALUES (?)", blob)
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	const want = 2 << 20
	// Wait for the checkpointer; the deadline only keeps a broken one from
	// hanging the suite.
	for deadline := time.Now().Add(30 * time.Second); size() < want; {
		if time.Now().After(deadline) {
			t.Fatalf("the database file holds %d bytes, want at least %d: the WAL was not checkpointed", size(), want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
