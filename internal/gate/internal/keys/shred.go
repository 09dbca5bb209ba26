package keys

import (
	"context"
	"fmt"

	"github.com/caseward/caseward/internal/store"
)

// Shred destroys the client's data key, so that every field sealed for
// them is unreadable in every copy of the data, backups included, and
// records the client id and time in the key store's shred journal in the
// same transaction. Shredding again, or shredding a client who never had a
// key, succeeds and keeps the first time recorded. The client can never be
// given a key again.
func (k *Keyring) Shred(ctx context.Context, clientID string) error {
	if err := checkID(clientID); err != nil {
		return fmt.Errorf("shred: %w", err)
	}
	if _, err := k.shred(ctx, []string{clientID}); err != nil {
		return fmt.Errorf("shred %s: %w", clientID, err)
	}
	return nil
}

// ShredJournal returns the ids of every shredded client, oldest first.
// Package gate keeps a copy in the data database, so that either journal
// can restore the other after a restore from backup.
func (k *Keyring) ShredJournal(ctx context.Context) ([]string, error) {
	rows, err := k.db.Query(ctx, "SELECT client_id FROM shred_journal ORDER BY shredded_at, client_id")
	if err != nil {
		return nil, fmt.Errorf("read shred journal: %w", err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("read shred journal: %w", err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read shred journal: %w", err)
	}
	return ids, nil
}

// ReplayShreds destroys the key of every listed client that still has one
// and records them all in the shred journal, returning how many keys it
// destroyed. After the key store is restored from a backup older than some
// shreds, replaying the gate's copy of the journal makes them final again.
func (k *Keyring) ReplayShreds(ctx context.Context, clientIDs []string) (int, error) {
	for _, id := range clientIDs {
		if err := checkID(id); err != nil {
			return 0, fmt.Errorf("replay shreds: %w", err)
		}
	}
	n, err := k.shred(ctx, clientIDs)
	if err != nil {
		return 0, fmt.Errorf("replay shreds: %w", err)
	}
	return n, nil
}

// shred deletes the listed keys and journals the ids in one transaction,
// returning how many keys it deleted.
func (k *Keyring) shred(ctx context.Context, clientIDs []string) (int, error) {
	if len(clientIDs) == 0 {
		return 0, nil
	}
	now := k.now().UTC().UnixMicro()
	var deleted int
	err := k.db.Tx(ctx, func(tx *store.Tx) error {
		if _, err := lockKeyring(ctx, tx); err != nil {
			return err
		}
		if err := scrubDeletes(ctx, tx); err != nil {
			return err
		}
		for _, id := range clientIDs {
			res, err := tx.Exec(ctx, "DELETE FROM client_keys WHERE client_id = ?", id)
			if err != nil {
				return err
			}
			n, err := res.RowsAffected()
			if err != nil {
				return err
			}
			deleted += int(n)
			if _, err := tx.Exec(ctx, "INSERT INTO shred_journal (client_id, shredded_at) VALUES (?, ?) ON CONFLICT (client_id) DO NOTHING", id, now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	if deleted > 0 {
		k.checkpoint(ctx)
	}
	return deleted, nil
}

// scrubDeletes makes SQLite overwrite deleted and replaced rows with zeros
// instead of leaving them in free pages, where a copy of keys.db (and the
// root key file beside it) would give a shredded key back. The setting is
// per connection; the key store's writer is one long-lived connection, and
// setting it in every writing transaction survives a reconnect.
//
// This is the one place keys knows an engine: store has no per-database
// pragma option yet. PostgreSQL cannot be made to zero dead rows or its
// write-ahead log; there, root key rotation is what retires old copies (see
// the package comment).
func scrubDeletes(ctx context.Context, tx *store.Tx) error {
	if tx.Engine() != store.SQLite {
		return nil
	}
	_, err := tx.Exec(ctx, "PRAGMA secure_delete = ON")
	return err
}

// checkpoint moves SQLite's write-ahead log into keys.db and truncates it,
// so the frames that held a shredded key do not linger in keys.db-wal. It
// is best effort: a busy reader only postpones it to the next checkpoint.
func (k *Keyring) checkpoint(ctx context.Context) {
	if k.db.Engine() != store.SQLite {
		return
	}
	// A checkpoint is allowed on the read-only (query_only) pool.
	rows, err := k.db.Query(ctx, "PRAGMA wal_checkpoint(TRUNCATE)")
	if err == nil {
		rows.Close()
	}
}
