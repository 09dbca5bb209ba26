package gate_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/caseward/caseward/internal/access"
	"github.com/caseward/caseward/internal/app"
	"github.com/caseward/caseward/internal/app/apptest"
	"github.com/caseward/caseward/internal/casework"
	"github.com/caseward/caseward/internal/gate"
	"github.com/caseward/caseward/internal/store"
	"github.com/caseward/caseward/internal/store/storetest"
)

// P42 (the mechanism behind erasure): shredding a client's key makes every
// field of theirs unreadable, and a restore of the key store from a backup
// taken before the shred does not bring them back: the journal kept in the
// data database is replayed at start.
func TestShredSurvivesKeyStoreRestore(t *testing.T) {
	for _, e := range storetest.Engines {
		t.Run(string(e), func(t *testing.T) {
			ctx := context.Background()
			loc := storetest.New(t, e)
			cfg := app.Config{DataDir: loc.Dir, DatabaseURL: loc.URL}
			a, err := app.Open(ctx, cfg, time.Now)
			if err != nil {
				t.Fatal(err)
			}
			env := &apptest.Env{App: a, Loc: loc}
			svc := env.Service(t, "Counselling", false)
			worker := env.Person(t, access.Caseworker, svc.ID)
			dpo := env.Person(t, access.DPO)
			id, err := a.Casework.CreateClient(ctx, worker.Actor(), casework.ClientInput{ServiceID: svc.ID, GivenName: "Leyla", FamilyName: "Demir", DateOfBirth: "1990-03-04"})
			if err != nil {
				t.Fatal(err)
			}

			// The "backup" of the key store: the client's wrapped key as it was.
			keysDB, err := store.Open(ctx, loc, "keys")
			if err != nil {
				t.Fatal(err)
			}
			defer keysDB.Close()
			var rootID string
			var wrapped []byte
			var created int64
			if err := keysDB.QueryRow(ctx, "SELECT root_key_id, wrapped_key, created_at FROM client_keys WHERE client_id = ?", id).Scan(&rootID, &wrapped, &created); err != nil {
				t.Fatal(err)
			}

			if err := a.Gate.ShredClient(ctx, worker.Actor(), id, nil); !errors.Is(err, gate.ErrForbidden) {
				t.Fatalf("a caseworker shredded: %v", err)
			}
			if err := a.Gate.ShredClient(ctx, dpo.Actor(), id, nil); err != nil {
				t.Fatal(err)
			}
			if _, err := a.Casework.Client(ctx, worker.Actor(), id, access.Casework); err == nil {
				t.Fatal("shredded client still readable")
			}
			a.Close()

			// Restore the key store from the backup: the key row is back and
			// the key store's own journal has lost the shred.
			if err := keysDB.Tx(ctx, func(tx *store.Tx) error {
				if _, err := tx.Exec(ctx, "INSERT INTO client_keys (client_id, root_key_id, wrapped_key, created_at) VALUES (?, ?, ?, ?)", id, rootID, wrapped, created); err != nil {
					return err
				}
				_, err := tx.Exec(ctx, "DELETE FROM shred_journal WHERE client_id = ?", id)
				return err
			}); err != nil {
				t.Fatal(err)
			}

			a, err = app.Open(ctx, cfg, time.Now)
			if err != nil {
				t.Fatal(err)
			}
			defer a.Close()
			if _, err := a.Casework.Client(ctx, worker.Actor(), id, access.Casework); err == nil {
				t.Fatal("restoring the key store brought a shredded client back")
			}
			var n int
			if err := keysDB.QueryRow(ctx, "SELECT COUNT(*) FROM client_keys WHERE client_id = ?", id).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n != 0 {
				t.Fatal("the restored key was not destroyed again at start")
			}
		})
	}
}

// P42: the domain's erasure of derived data and the shred's journal entry
// commit together: when the erasure fails, nothing is journalled, the key
// stays and the client can still be read, so a retry starts from a whole
// record rather than from half an erasure.
func TestShredEraseFailsWhole(t *testing.T) {
	apptest.Each(t, func(t *testing.T, env *apptest.Env) {
		ctx := context.Background()
		svc := env.Service(t, "Counselling", false)
		worker := env.Person(t, access.Caseworker, svc.ID)
		dpo := env.Person(t, access.DPO)
		id, err := env.Casework.CreateClient(ctx, worker.Actor(), casework.ClientInput{ServiceID: svc.ID, GivenName: "Leyla", FamilyName: "Demir", DateOfBirth: "1990-03-04"})
		if err != nil {
			t.Fatal(err)
		}
		boom := errors.New("erase failed")
		err = env.Gate.ShredClient(ctx, dpo.Actor(), id, func(ctx context.Context, tx *store.Tx) error {
			if err := env.Casework.DeleteIndexes(ctx, tx, id); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("shred with a failing erasure: %v", err)
		}
		var journalled, indexed int
		if err := env.DB.QueryRow(ctx, "SELECT COUNT(*) FROM gate_shred_journal WHERE client_id = ?", id).Scan(&journalled); err != nil {
			t.Fatal(err)
		}
		if err := env.DB.QueryRow(ctx, "SELECT COUNT(*) FROM client_search WHERE client_id = ?", id).Scan(&indexed); err != nil {
			t.Fatal(err)
		}
		if journalled != 0 || indexed == 0 {
			t.Errorf("after a failed erasure: %d journal entries, %d index rows; want none and some", journalled, indexed)
		}
		if _, err := env.Casework.Client(ctx, worker.Actor(), id, access.Casework); err != nil {
			t.Errorf("the client cannot be read after a failed erasure: %v", err)
		}
	})
}
