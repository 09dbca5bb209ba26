package keys

import (
	"context"
	"crypto/cipher"
	"fmt"

	"github.com/caseward/caseward/internal/store"
)

// RotateRoot makes a new root key and re-wraps every key in the key store
// with it. No personal data is re-encrypted: data keys stay the same, only
// their wrapping changes, so rotation takes seconds even for years of notes.
//
// It is safe to stop at any point. In order:
//
//  1. the key store is locked, and the root key file is rewritten
//     atomically to hold the new key beside every key it held;
//  2. every key is re-wrapped, and the new root key recorded, in one
//     transaction;
//  3. the file is rewritten to hold only the new key.
//
// A crash before 2 commits leaves the old wrapping and a file holding both
// keys; after 2, the new wrapping and a file holding both. Open works in
// both states; the next rotation tidies the file.
//
// Afterwards the operator must back up the new root key file at once (the
// old backup no longer opens the live key store), and copy it to every
// other instance that shares a PostgreSQL key store. Keep the backup of the
// old root key only as long as key store backups made before the rotation
// are kept: it is what opens them, and destroying it makes every shred
// before the rotation final in those backups too.
func (k *Keyring) RotateRoot(ctx context.Context) error {
	next := newRootKey()
	nextAEAD, err := newAEAD(next.key)
	if err != nil {
		return err
	}
	type clientKey struct {
		id, rootID string
		wrapped    []byte
	}
	err = k.db.Tx(ctx, func(tx *store.Tx) error {
		if _, err := lockKeyring(ctx, tx); err != nil {
			return err
		}
		row, err := readKeyring(ctx, tx)
		if err != nil {
			return fmt.Errorf("read keyring: %w", err)
		}
		rows, err := tx.Query(ctx, "SELECT client_id, root_key_id, wrapped_key FROM client_keys")
		if err != nil {
			return fmt.Errorf("read client keys: %w", err)
		}
		var clientKeys []clientKey
		used := map[string]bool{row.rootID: true} // root key ids in use
		for rows.Next() {
			var c clientKey
			if err := rows.Scan(&c.id, &c.rootID, &c.wrapped); err != nil {
				rows.Close()
				return fmt.Errorf("read client keys: %w", err)
			}
			clientKeys = append(clientKeys, c)
			used[c.rootID] = true
		}
		// Rows must be closed before the updates: one connection serves
		// the whole transaction.
		if err := rows.Close(); err != nil {
			return fmt.Errorf("read client keys: %w", err)
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("read client keys: %w", err)
		}

		// Step 1. The file written here must hold every root key the
		// store uses, or a crash before commit would strand keys wrapped
		// by a key that only this process's memory held.
		file, err := readRootKeyFile(k.path)
		if err != nil {
			return fmt.Errorf("%w: %w", ErrRootKey, err)
		}
		inFile := map[string]bool{}
		for _, r := range file {
			inFile[r.id] = true
		}
		for id := range used {
			if !inFile[id] {
				return fmt.Errorf("%w: root key file %s no longer holds root key %s, which the key store uses: restore it before rotating", ErrRootKey, k.path, id)
			}
		}
		if err := writeRootKeyFile(k.path, append([]rootKey{next}, file...)); err != nil {
			return fmt.Errorf("write root key file %s: %w", k.path, err)
		}
		if err := k.addRoots([]rootKey{next}); err != nil {
			return err
		}
		if err := k.hook("both-keys-written"); err != nil {
			return err
		}

		// Step 2.
		if err := scrubDeletes(ctx, tx); err != nil {
			return err
		}
		for _, c := range clientKeys {
			old, err := k.root(c.rootID)
			if err != nil {
				return err
			}
			key, err := open(old, c.wrapped, clientKeyAD(c.id, c.rootID))
			if err != nil {
				return fmt.Errorf("unwrap client key %s: %w", c.id, ErrDecrypt)
			}
			w := seal(nextAEAD, key, clientKeyAD(c.id, next.id))
			clear(key)
			if _, err := tx.Exec(ctx, "UPDATE client_keys SET root_key_id = ?, wrapped_key = ? WHERE client_id = ?", next.id, w, c.id); err != nil {
				return fmt.Errorf("re-wrap client key %s: %w", c.id, err)
			}
		}
		_, err = tx.Exec(ctx, "UPDATE keyring SET root_key_id = ?, blind_index_key = ?, audit_signing_key = ?, rotated_at = ? WHERE id = 1",
			next.id,
			seal(nextAEAD, k.blindKey, secretAD(secretBlindIndex, next.id)),
			seal(nextAEAD, k.auditKey.Seed(), secretAD(secretAudit, next.id)),
			k.now().UTC().UnixMicro())
		return err
	})
	if err != nil {
		return fmt.Errorf("rotate root key (nothing lost: %s may hold the new key beside the old): %w", k.path, err)
	}
	if err := k.hook("rewrapped"); err != nil {
		return err
	}

	// Step 3. Only now, with the commit confirmed, may the old key go.
	k.mu.Lock()
	k.roots = map[string]cipher.AEAD{next.id: nextAEAD}
	k.mu.Unlock()
	if err := writeRootKeyFile(k.path, []rootKey{next}); err != nil {
		return fmt.Errorf("root key rotated, but %s still holds the retired key beside the new one (safe; rotate again to remove it): %w", k.path, err)
	}
	k.checkpoint(ctx)
	return nil
}

// hook runs the test hook for step, if any.
func (k *Keyring) hook(step string) error {
	if k.rotateHook == nil {
		return nil
	}
	return k.rotateHook(step)
}
