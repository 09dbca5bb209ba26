package audit

import (
	"context"
	"crypto/ed25519"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/caseward/caseward/internal/store"
	"github.com/caseward/caseward/internal/store/storetest"
	"golang.org/x/mod/sumdb/tlog"
)

// fakeClock starts in 2026 and moves a millisecond at every reading.
type fakeClock struct{ us atomic.Int64 }

func newClock() *fakeClock {
	c := &fakeClock{}
	c.us.Store(time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC).UnixMicro())
	return c
}

func (c *fakeClock) Now() time.Time {
	// The nanoseconds show that the log truncates to microseconds itself.
	return time.UnixMicro(c.us.Add(1000)).Add(789 * time.Nanosecond)
}

func openDB(t testing.TB, loc store.Location) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), loc, "data")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func newLog(t testing.TB, db *store.DB, key ed25519.PrivateKey) *Log {
	t.Helper()
	l, err := New(context.Background(), db, key, newClock().Now)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// entryFor makes the n'th test entry: clients and records are ids.
func entryFor(n int) Entry {
	e := Entry{
		Actor:    "staff:" + strconv.Itoa(n%7),
		Action:   "client.open",
		ClientID: "client-" + strconv.Itoa(n%5),
		Purpose:  "casework",
		Allowed:  n%4 != 3,
		Reason:   "assigned",
	}
	if !e.Allowed {
		e.Reason = "not-assigned"
	}
	for i := range n % 3 {
		e.RecordIDs = append(e.RecordIDs, fmt.Sprintf("note-%d-%d", n, i))
	}
	return e
}

func record(t testing.TB, l *Log, from, to int) {
	t.Helper()
	for n := from; n < to; n++ {
		idx, err := l.Record(context.Background(), entryFor(n))
		if err != nil {
			t.Fatal(err)
		}
		if idx != int64(n) {
			t.Fatalf("entry %d got index %d", n, idx)
		}
	}
}

func mustVerify(t testing.TB, l *Log, entries int64) Summary {
	t.Helper()
	s, err := l.Verify(context.Background())
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if s.Entries != entries {
		t.Fatalf("Verify counted %d entries, want %d", s.Entries, entries)
	}
	return s
}

func count(t testing.TB, db *store.DB, query string) int64 {
	t.Helper()
	var n int64
	if err := db.QueryRow(context.Background(), query).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestAppendAndVerify(t *testing.T) {
	storetest.Each(t, func(t *testing.T, loc store.Location) {
		ctx := context.Background()
		db := openDB(t, loc)
		l := newLog(t, db, testKey("a"))

		mustVerify(t, l, 0) // the empty log verifies, and keeps a checkpoint at 0
		record(t, l, 0, 10)
		// Several entries in one caller transaction, beside the caller's own work.
		err := db.Tx(ctx, func(tx *store.Tx) error {
			for n := 10; n < 13; n++ {
				idx, err := l.Append(ctx, tx, entryFor(n))
				if err != nil {
					return err
				}
				if idx != int64(n) {
					return fmt.Errorf("index %d, want %d", idx, n)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		s := mustVerify(t, l, 13)
		if !strings.Contains(s.String(), "13 entries") || s.Root == "" {
			t.Fatalf("summary %q", s)
		}

		// The head holds the root Verify computed, signed.
		var root []byte
		var ckpt string
		if err := db.QueryRow(ctx, "SELECT root, checkpoint FROM audit_head WHERE id = 1").Scan(&root, &ckpt); err != nil {
			t.Fatal(err)
		}
		h, _ := hashFromBytes(root)
		if h.String() != s.Root || !strings.HasPrefix(ckpt, "caseward-audit\n13\n"+s.Root+"\n") {
			t.Fatalf("head root %s, checkpoint %q; verify said %s", h, ckpt, s.Root)
		}
		if got := count(t, db, "SELECT COUNT(*) FROM audit_hashes"); got != tlog.StoredHashCount(13) {
			t.Fatalf("%d stored hashes, want %d", got, tlog.StoredHashCount(13))
		}
		// Verify at 0 and at 13 kept checkpoints.
		if got := count(t, db, "SELECT COUNT(*) FROM audit_checkpoints WHERE verified_us IS NOT NULL"); got != 2 {
			t.Fatalf("%d verified checkpoints, want 2", got)
		}

		// A second Log on the same database (a restart) carries on.
		l2 := newLog(t, db, testKey("a"))
		record(t, l2, 13, 20)
		mustVerify(t, l, 20)
	})
}

// P21: who looked at a client can be shown, newest first, refusals included.
func TestForClient(t *testing.T) {
	storetest.Each(t, func(t *testing.T, loc store.Location) {
		ctx := context.Background()
		db := openDB(t, loc)
		l := newLog(t, db, testKey("a"))
		record(t, l, 0, 30)

		got, err := l.ForClient(ctx, "client-2", 4)
		if err != nil {
			t.Fatal(err)
		}
		var idx []int64
		for _, e := range got {
			idx = append(idx, e.Index)
		}
		if !slices.Equal(idx, []int64{27, 22, 17, 12}) {
			t.Fatalf("ForClient indexes %v", idx)
		}
		want := entryFor(27)
		e := got[0]
		if e.Actor != want.Actor || e.Action != want.Action || e.ClientID != "client-2" || !slices.Equal(e.RecordIDs, want.RecordIDs) ||
			e.Purpose != want.Purpose || e.Allowed != want.Allowed || e.Reason != want.Reason {
			t.Fatalf("entry 27 = %+v, want %+v", e, want)
		}
		if e.At.Location() != time.UTC || e.At.Nanosecond()%1000 != 0 || e.At.Year() != 2026 {
			t.Fatalf("time %v", e.At)
		}
		if !got[1].At.Before(got[0].At) {
			t.Fatal("times do not follow the log")
		}
		all, err := l.ForClient(ctx, "client-2", 0)
		if err != nil || len(all) != 6 {
			t.Fatalf("ForClient all: %d entries, %v", len(all), err)
		}
		if _, err := l.ForClient(ctx, "Mary Jones", 10); !errors.Is(err, ErrInvalidEntry) {
			t.Fatalf("ForClient with a name: %v", err)
		}
		if none, err := l.ForClient(ctx, "client-9", 10); err != nil || len(none) != 0 {
			t.Fatalf("unknown client: %v %v", none, err)
		}

		// A row edited in place is reported, not shown.
		raw := rawDB(t, loc)
		rawExec(t, raw, "UPDATE audit_entries SET actor = 'staff:6' WHERE idx = 22")
		_, err = l.ForClient(ctx, "client-2", 10)
		var ve *VerifyError
		if !errors.As(err, &ve) || ve.Index != 22 {
			t.Fatalf("ForClient over an edited row: %v", err)
		}
	})
}

// An action that rolls back takes its trace with it, and the log carries on
// as if it had never been tried.
func TestRolledBackAppendLeavesNoTrace(t *testing.T) {
	storetest.Each(t, func(t *testing.T, loc store.Location) {
		ctx := context.Background()
		db := openDB(t, loc)
		l := newLog(t, db, testKey("a"))
		record(t, l, 0, 3)
		before := count(t, db, "SELECT COUNT(*) FROM audit_hashes")

		boom := errors.New("boom")
		for range 2 {
			err := db.Tx(ctx, func(tx *store.Tx) error {
				for n := 3; n < 5; n++ {
					if _, err := l.Append(ctx, tx, entryFor(100+n)); err != nil {
						return err
					}
				}
				return boom
			})
			if !errors.Is(err, boom) {
				t.Fatalf("Tx = %v, want boom", err)
			}
		}
		if n := count(t, db, "SELECT COUNT(*) FROM audit_entries"); n != 3 {
			t.Fatalf("%d entries after rollback, want 3", n)
		}
		if n := count(t, db, "SELECT size FROM audit_head"); n != 3 {
			t.Fatalf("head size %d after rollback, want 3", n)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM audit_hashes"); n != before {
			t.Fatalf("%d hashes after rollback, want %d", n, before)
		}
		// The Log's memory of the rolled-back tree must not leak into the next
		// append: indexes 3 and 4 are reused and the tree still verifies.
		record(t, l, 3, 6)
		mustVerify(t, l, 6)

		// An invalid entry fails the caller's transaction: the action goes too.
		err := db.Tx(ctx, func(tx *store.Tx) error {
			_, err := l.Append(ctx, tx, Entry{Actor: "Mary Jones", Action: "client.open"})
			return err
		})
		if !errors.Is(err, ErrInvalidEntry) {
			t.Fatalf("invalid entry: %v", err)
		}
		if _, err := l.Record(ctx, Entry{Actor: "staff:1", Action: "client.open", Reason: "she is at risk"}); !errors.Is(err, ErrInvalidEntry) {
			t.Fatalf("invalid entry: %v", err)
		}
		mustVerify(t, l, 6)
	})
}

// rawDB opens the database behind loc the way an intruder with file or SQL
// access would: a plain database/sql connection, past the store and the log.
func rawDB(t testing.TB, loc store.Location) *sql.DB {
	t.Helper()
	var (
		db  *sql.DB
		err error
	)
	if loc.URL == "" {
		db, err = sql.Open("sqlite", "file:"+filepath.Join(loc.Dir, "data.db")+"?_pragma=busy_timeout(10000)")
	} else {
		db, err = sql.Open("pgx", loc.URL+"&search_path=caseward_data")
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func rawExec(t testing.TB, db *sql.DB, stmts ...string) {
	t.Helper()
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

// Tampering with the tables directly, however it is done, makes Verify fail
// and name the first entry affected.
func TestVerifyCatchesTampering(t *testing.T) {
	const size = 40
	leaf := func(n int64) int64 { return tlog.StoredHashIndex(0, n) }
	otherHash := "(SELECT hash FROM audit_hashes WHERE n = 0)"
	type tamperCase struct {
		name  string
		sql   []string
		index int64 // -1: the log as a whole
	}
	cases := []tamperCase{
		{"field changed", []string{"UPDATE audit_entries SET actor = 'staff:mallory' WHERE idx = 7"}, 7},
		{"refusal turned into permission", []string{"UPDATE audit_entries SET allowed = NOT allowed WHERE idx = 15"}, 15},
		{"time moved", []string{"UPDATE audit_entries SET at_us = at_us + 1 WHERE idx = 12"}, 12},
		{"record dropped from entry", []string{"UPDATE audit_entries SET record_ids = 'note-5-0' WHERE idx = 5"}, 5},
		{"stray space in record ids", []string{"UPDATE audit_entries SET record_ids = record_ids || ' ' WHERE idx = 2"}, 2},
		{"name written in", []string{"UPDATE audit_entries SET client_id = 'Mary Jones' WHERE idx = 9"}, 9},
		{"entry deleted", []string{"DELETE FROM audit_entries WHERE idx = 13"}, 13},
		{"first entry deleted", []string{"DELETE FROM audit_entries WHERE idx = 0"}, 0},
		{"last entry deleted", []string{"DELETE FROM audit_entries WHERE idx = 39"}, 39},
		{"entries swapped", []string{
			"UPDATE audit_entries SET idx = -1 WHERE idx = 3",
			"UPDATE audit_entries SET idx = 3 WHERE idx = 11",
			"UPDATE audit_entries SET idx = 11 WHERE idx = -1",
		}, 3},
		{"entry hash changed", []string{"UPDATE audit_entries SET hash = " + otherHash + " WHERE idx = 4"}, 4},
		{"leaf hash changed", []string{fmt.Sprintf("UPDATE audit_hashes SET hash = %s WHERE n = %d", otherHash, leaf(9))}, 9},
		{"inner hash changed", []string{fmt.Sprintf("UPDATE audit_hashes SET hash = %s WHERE n = %d", otherHash, tlog.StoredHashIndex(2, 1))}, 7},
		{"hash deleted", []string{fmt.Sprintf("DELETE FROM audit_hashes WHERE n = %d", leaf(21))}, 21},
		{"entry added past the head", []string{
			"INSERT INTO audit_entries (idx, at_us, actor, action, client_id, record_ids, purpose, allowed, reason, hash) " +
				"SELECT 40, at_us, actor, action, client_id, record_ids, purpose, allowed, reason, hash FROM audit_entries WHERE idx = 39",
		}, 40},
		{"head truncated", []string{"UPDATE audit_head SET size = 39"}, 39},
		{"head root changed", []string{"UPDATE audit_head SET root = " + otherHash}, -1},
		{"checkpoint replaced", []string{"UPDATE audit_checkpoints SET checkpoint = (SELECT checkpoint FROM audit_head) WHERE size = 20"}, -1},
		{"head checkpoint replaced by an older one", []string{"UPDATE audit_head SET checkpoint = (SELECT checkpoint FROM audit_checkpoints WHERE size = 20)"}, -1},
	}
	storetest.Each(t, func(t *testing.T, loc store.Location) {
		cases := cases
		if loc.Engine() == store.SQLite {
			// SQLite stores any value in any column; PostgreSQL refuses this.
			cases = append(cases,
				tamperCase{"column of the wrong type", []string{"UPDATE audit_entries SET allowed = 'Mary Jones' WHERE idx = 10"}, 10},
				tamperCase{"hash index of the wrong type", []string{fmt.Sprintf("UPDATE audit_hashes SET n = 'x' || n WHERE n = %d", leaf(17))}, 17},
			)
		}
		for _, c := range cases {
			t.Run(strings.ReplaceAll(c.name, " ", "_"), func(t *testing.T) {
				// Each case on a log of its own.
				loc := storetest.New(t, engineOf(loc))
				db := openDB(t, loc)
				l := newLog(t, db, testKey("a"))
				record(t, l, 0, 20)
				mustVerify(t, l, 20) // keeps a checkpoint at 20
				record(t, l, 20, size)
				mustVerify(t, l, size)

				rawExec(t, rawDB(t, loc), c.sql...)
				_, err := l.Verify(context.Background())
				var ve *VerifyError
				if !errors.As(err, &ve) {
					t.Fatalf("Verify after tampering = %v, want a *VerifyError", err)
				}
				if ve.Index != c.index {
					t.Fatalf("Verify named entry %d (%v), want %d", ve.Index, err, c.index)
				}
				if strings.Contains(err.Error(), "Mary") {
					t.Fatalf("the error repeats what was written in: %v", err)
				}
				t.Log(err)
			})
		}
	})
}

// Fail closed: a log whose stored tree no longer gives the signed head
// refuses new entries, so the actions they would record fail too, rather
// than burying the damage under new entries.
func TestAppendFailsClosedOnDamagedTree(t *testing.T) {
	storetest.Each(t, func(t *testing.T, loc store.Location) {
		ctx := context.Background()
		db := openDB(t, loc)
		l := newLog(t, db, testKey("a"))
		record(t, l, 0, 40)
		raw := rawDB(t, loc)

		// A frontier hash of the 40-entry tree (the subtree of entries 0-31).
		rawExec(t, raw, fmt.Sprintf("UPDATE audit_hashes SET hash = (SELECT hash FROM audit_hashes WHERE n = 0) WHERE n = %d", tlog.StoredHashIndex(5, 0)))
		// This Log remembers the tree it built, which still matches the head,
		// so it appends (Verify is what finds the damage)...
		record(t, l, 40, 41)
		// ...but an instance that must read the tree back refuses.
		cold := newLog(t, db, testKey("a"))
		if _, err := cold.Record(ctx, entryFor(41)); err == nil || !strings.Contains(err.Error(), "run Verify") {
			t.Fatalf("append to a damaged tree: %v", err)
		}
		// A head changed under a running Log is noticed at once.
		rawExec(t, raw, "UPDATE audit_head SET root = (SELECT hash FROM audit_hashes WHERE n = 1)")
		if _, err := l.Record(ctx, entryFor(41)); err == nil {
			t.Fatal("append after the head was changed succeeded")
		}
		if n := count(t, db, "SELECT COUNT(*) FROM audit_entries"); n != 41 {
			t.Fatalf("%d entries, want 41", n)
		}
	})
}

func engineOf(loc store.Location) store.Engine { return loc.Engine() }

// Only the log's own key can sign its checkpoints: a log signed with any
// other key fails, whichever key Verify is given.
func TestVerifyRejectsAnotherKey(t *testing.T) {
	storetest.Each(t, func(t *testing.T, loc store.Location) {
		ctx := context.Background()
		db := openDB(t, loc)
		mine := newLog(t, db, testKey("ours"))
		record(t, mine, 0, 5)
		mustVerify(t, mine, 5)
		record(t, mine, 5, 8)

		theirs := newLog(t, db, testKey("theirs"))
		_, err := theirs.Verify(ctx)
		var ve *VerifyError
		if !errors.As(err, &ve) || ve.Index != -1 || !strings.Contains(ve.Problem, "signature") {
			t.Fatalf("Verify with another key: %v", err)
		}
		// An intruder with a key of their own appends and re-signs the head.
		record(t, theirs, 8, 9)
		if _, err := mine.Verify(ctx); !errors.As(err, &ve) || ve.Index != -1 || !strings.Contains(ve.Problem, "signature") {
			t.Fatalf("Verify of a head signed by another key: %v", err)
		}
	})
}

// Appends from many goroutines, and from two instances sharing the database,
// are serialised into one tree that verifies, with no index lost or reused.
func TestConcurrentAppends(t *testing.T) {
	storetest.Each(t, func(t *testing.T, loc store.Location) {
		ctx := context.Background()
		logs := []*Log{
			newLog(t, openDB(t, loc), testKey("a")),
			newLog(t, openDB(t, loc), testKey("a")), // a second instance
		}
		const workers, each = 8, 25
		var (
			mu   sync.Mutex
			seen []int64
			wg   sync.WaitGroup
		)
		errs := make(chan error, workers)
		for w := range workers {
			wg.Go(func() {
				l := logs[w%len(logs)]
				for i := range each {
					// Every fifth attempt rolls back, so each instance's memory of
					// the tree is regularly wrong and must be caught out.
					if i%5 == 4 {
						err := l.db.Tx(ctx, func(tx *store.Tx) error {
							if _, err := l.Append(ctx, tx, entryFor(i)); err != nil {
								return err
							}
							return errRollback
						})
						if !errors.Is(err, errRollback) {
							errs <- err
							return
						}
						continue
					}
					idx, err := l.Record(ctx, entryFor(w*each+i))
					if err != nil {
						errs <- err
						return
					}
					mu.Lock()
					seen = append(seen, idx)
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		slices.Sort(seen)
		for i, idx := range seen {
			if idx != int64(i) {
				t.Fatalf("indexes handed out: %v", seen)
			}
		}
		n := int64(len(seen))
		mustVerify(t, logs[0], n)
		mustVerify(t, logs[1], n)
	})
}

var errRollback = errors.New("roll back")

// Checkpoints are kept every thousand entries, and a batch crossing several
// keeps each.
func TestCheckpointsEveryThousand(t *testing.T) {
	storetest.Each(t, func(t *testing.T, loc store.Location) {
		db := openDB(t, loc)
		l := newLog(t, db, testKey("a"))
		bulkAppend(t, l, 0, 2500, 1700)
		record(t, l, 2500, 2501)
		if n := count(t, db, "SELECT COUNT(*) FROM audit_checkpoints WHERE size IN (1000, 2000)"); n != 2 {
			t.Fatalf("%d checkpoints at 1000 and 2000, want 2", n)
		}
		mustVerify(t, l, 2501)

		// A checkpoint is a fixed point: one that disagrees with the tree
		// (here: moved to another size) is caught even if the head is sound.
		rawExec(t, rawDB(t, loc), "UPDATE audit_checkpoints SET size = 1001 WHERE size = 1000")
		_, err := l.Verify(context.Background())
		var ve *VerifyError
		if !errors.As(err, &ve) || ve.Index != -1 || !strings.Contains(ve.Problem, "1001") {
			t.Fatalf("Verify with a moved checkpoint: %v", err)
		}
	})
}

// bulkAppend appends entries from..to in transactions of batch entries,
// one head update each: the fast path for building large logs in tests.
func bulkAppend(t testing.TB, l *Log, from, to, batch int) {
	t.Helper()
	ctx := context.Background()
	es := make([]Entry, 0, batch)
	for start := from; start < to; start += batch {
		es = es[:0]
		for n := start; n < min(start+batch, to); n++ {
			es = append(es, entryFor(n))
		}
		err := l.db.Tx(ctx, func(tx *store.Tx) error {
			_, err := l.appendEntries(ctx, tx, es)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}
