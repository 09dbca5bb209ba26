package store

import (
	"context"
	"testing"
	"testing/fstest"
)

// On SQLite, statements run in a transaction are prepared after it ends and
// reused by the next one, without ever waiting for the writer connection
// the transaction holds.
func TestStatementCache(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, Location{Dir: t.TempDir()}, "data")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Migrate(ctx, "t", fstest.MapFS{"0001_t.sql": {Data: []byte("CREATE TABLE t (n BIGINT NOT NULL);")}}); err != nil {
		t.Fatal(err)
	}
	insert := func(n int) error {
		return db.Tx(ctx, func(tx *Tx) error {
			_, err := tx.Exec(ctx, "INSERT INTO t (n) VALUES (?)", n)
			return err
		})
	}
	for i := range 3 {
		if err := insert(i); err != nil {
			t.Fatal(err)
		}
	}
	if _, ok := db.stmts.Load(stmtKey{db.write, "INSERT INTO t (n) VALUES (?)"}); !ok {
		t.Fatal("the insert was not prepared after its transaction")
	}
	var sum int
	if err := db.QueryRow(ctx, "SELECT SUM(n) FROM t").Scan(&sum); err != nil || sum != 3 {
		t.Fatalf("sum = %d, %v", sum, err)
	}
	// A statement that fails to prepare is simply run unprepared (and fails there).
	if err := db.Tx(ctx, func(tx *Tx) error { _, err := tx.Exec(ctx, "INSERT INTO nowhere VALUES (1)"); return err }); err == nil {
		t.Fatal("insert into a missing table succeeded")
	}
	if err := insert(4); err != nil {
		t.Fatal(err)
	}
}
