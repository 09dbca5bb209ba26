// Package keys is Caseward's key hierarchy, the mechanism behind the promise
// "nothing personal rests in clear" (P17) and behind erasure (P42, P48).
//
//   - A root key lives in a file outside every database (root.key in the
//     data directory, or CASEWARD_ROOT_KEY_FILE). It only wraps other keys.
//   - The key store (keys.db, or schema caseward_keys on PostgreSQL) holds,
//     wrapped by the root key: one random AES-256 data key per client, the
//     blind-index key and the audit signing key. A copy of the data alone
//     reveals nothing; a copy of the key store alone reveals nothing either.
//   - A client's fields are sealed with AES-256-GCM under their data key,
//     bound by associated data to table, column, row and client.
//   - Shredding deletes a client's data key, which erases that client from
//     every copy of the data at once, backups included.
//
// The package sits under gate/internal so that only package gate can import
// it: the compiler, not a convention, keeps domain packages from decrypting
// without an access decision and an audit entry.
//
// # What operators must keep
//
// Back up the root key file and the key store separately from the data and
// from each other. Losing the root key file loses every client record.
//
// Shredding is final in the live key store at once. A backup of the key
// store taken before a shred still holds the wrapped key; restoring it is
// safe because package gate replays the shred journal at start
// (ReplayShreds). Against someone who holds such a backup and the root key
// together, the shred becomes final once that root key is gone: rotate the
// root key (RotateRoot) on a schedule, and destroy backups of a retired root
// key when the key store backups made under it expire.
package keys

import (
	"context"
	"crypto/cipher"
	"crypto/ed25519"
	"crypto/rand"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/caseward/caseward/internal/store"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Errors returned by this package, wrapped with context; test with errors.Is.
var (
	// ErrRootKey means the root key file is missing, unreadable, too widely
	// readable, malformed, or does not hold the key that wraps the key
	// store's keys. The message names the file and what to do.
	ErrRootKey = errors.New("root key unavailable")
	// ErrNoKey means the client has no data key: they were never created.
	ErrNoKey = errors.New("client has no data key")
	// ErrShredded means the client's data key was destroyed; their fields
	// can never be read again.
	ErrShredded = errors.New("client data key shredded")
	// ErrKeyExists is returned by NewClientKey when the client already has a
	// data key: replacing it would make their existing fields unreadable.
	ErrKeyExists = errors.New("client data key already exists")
	// ErrDecrypt means a ciphertext did not open: it was altered, or belongs
	// to another row, column, table or client.
	ErrDecrypt = errors.New("cannot decrypt")
)

// RootKeyFileName is the root key file's name in the data directory when
// Options.RootKeyFile is empty.
const RootKeyFileName = "root.key"

// DefaultBlindIndexBits is the blind index length when Options leaves it 0.
const DefaultBlindIndexBits = 16

// Options configures a Keyring. The zero value is usable.
type Options struct {
	// RootKeyFile is the path of the root key file; empty means
	// <Location.Dir>/root.key. The CLI fills it from CASEWARD_ROOT_KEY_FILE.
	RootKeyFile string
	// Now is the clock for the times recorded in the key store; nil means
	// time.Now.
	Now func() time.Time
	// BlindIndexBits is how many bits of each blind index are kept, from 1
	// to 32; 0 means 16. Fewer bits mean more candidates per look-up, which
	// is the point: a look-up says "perhaps", never "certainly". With N
	// indexed values of one kind, a look-up returns about N/2^bits false
	// candidates besides any true one; choose bits near log2(N/5) for about
	// five. Changing it later makes existing indexes unusable until they
	// are recomputed.
	BlindIndexBits int
}

// Keyring holds the root keys in memory and reaches the key store. It is
// safe for concurrent use. Only package gate holds one.
type Keyring struct {
	db       *store.DB
	path     string
	now      func() time.Time
	bits     int
	blindKey []byte
	auditKey ed25519.PrivateKey

	mu    sync.RWMutex
	roots map[string]cipher.AEAD // root key id → AES-256-GCM under it

	// rotateHook, when set by a test, runs at each step of RotateRoot; an
	// error stops the rotation there, as a crash would.
	rotateHook func(step string) error
}

// Open opens the key store at loc, applies its migrations, and loads the
// root key. On the very first start (a key store holding no keys) it
// creates the root key file if there is none, with mode 0600, and makes the
// blind-index and audit signing keys.
//
// Once keys exist, Open refuses to start, with an error wrapping ErrRootKey
// that names the file, if the root key file is missing, unreadable,
// readable by group or others, malformed, or holds the wrong key. It never
// makes a new root key over existing data: a new key could read nothing,
// and the message says to restore the file from its backup instead.
func Open(ctx context.Context, loc store.Location, opts Options) (*Keyring, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.BlindIndexBits == 0 {
		opts.BlindIndexBits = DefaultBlindIndexBits
	}
	if opts.BlindIndexBits < 1 || opts.BlindIndexBits > 32 {
		return nil, fmt.Errorf("open keys: blind index bits %d outside 1..32", opts.BlindIndexBits)
	}
	path := opts.RootKeyFile
	if path == "" {
		if loc.Dir == "" {
			return nil, fmt.Errorf("open keys: %w: no root key file: set the data directory or CASEWARD_ROOT_KEY_FILE", ErrRootKey)
		}
		path = filepath.Join(loc.Dir, RootKeyFileName)
	}
	migrations, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		return nil, err
	}
	db, err := store.Open(ctx, loc, "keys")
	if err != nil {
		return nil, fmt.Errorf("open keys: %w", err)
	}
	if err := db.Migrate(ctx, "keys", migrations); err != nil {
		db.Close()
		return nil, fmt.Errorf("open keys: %w", err)
	}
	k := &Keyring{db: db, path: path, now: opts.Now, bits: opts.BlindIndexBits, roots: map[string]cipher.AEAD{}}
	if err := k.load(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open keys: %w", err)
	}
	return k, nil
}

// Close closes the key store.
func (k *Keyring) Close() error { return k.db.Close() }

// keyringRow is the key store's one keyring row.
type keyringRow struct {
	rootID     string
	blindIndex []byte // wrapped
	auditKey   []byte // wrapped
}

// rowQuerier is what *store.DB and *store.Tx have in common for one row.
type rowQuerier interface {
	QueryRow(ctx context.Context, query string, args ...any) *sql.Row
}

func readKeyring(ctx context.Context, q rowQuerier) (keyringRow, error) {
	var r keyringRow
	err := q.QueryRow(ctx, "SELECT root_key_id, blind_index_key, audit_signing_key FROM keyring WHERE id = 1").
		Scan(&r.rootID, &r.blindIndex, &r.auditKey)
	return r, err
}

// load reads the root key file (creating it on a first start), makes the
// keyring's own keys on a first start, and proves the root key right by
// unwrapping them.
func (k *Keyring) load(ctx context.Context) error {
	row, err := readKeyring(ctx, k.db)
	initialised := err == nil
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("read keyring: %w", err)
	}
	if !initialised {
		// The keyring row is written before any client key, so client
		// keys without it mean a damaged or hand-edited key store.
		var n int
		if err := k.db.QueryRow(ctx, "SELECT COUNT(*) FROM client_keys").Scan(&n); err != nil {
			return fmt.Errorf("count client keys: %w", err)
		}
		if n > 0 {
			return fmt.Errorf("%w: the key store holds %d client keys but no keyring record: restore the key store from its backup", ErrRootKey, n)
		}
	}

	roots, err := readRootKeyFile(k.path)
	created := false
	switch {
	case err == nil:
	case isNotExist(err) && !initialised:
		roots = []rootKey{newRootKey()}
		if err := writeRootKeyFile(k.path, roots); err != nil {
			return fmt.Errorf("%w: create root key file %s: %w", ErrRootKey, k.path, err)
		}
		created = true
	case isNotExist(err):
		return fmt.Errorf("%w: root key file %s is missing, but the key store holds keys wrapped by root key %s: "+
			"restore the root key file from its backup (a new root key could read none of the existing data, so none is made)",
			ErrRootKey, k.path, row.rootID)
	default:
		return fmt.Errorf("%w: %w", ErrRootKey, err)
	}
	if err := k.addRoots(roots); err != nil {
		return err
	}

	if !initialised {
		if row, err = k.initialise(ctx, roots[0]); err != nil {
			return err
		}
	}
	if err := k.unwrapSecrets(row); err != nil {
		if created {
			// Another instance initialised the shared key store with its
			// own root key between our read and our write; the key we
			// just made wraps nothing, and leaving it would mislead.
			os.Remove(k.path)
		}
		return err
	}

	// Every client key must be wrapped by a key the file holds; better to
	// refuse now than to fail on some client at 3 a.m.
	rows, err := k.db.Query(ctx, "SELECT DISTINCT root_key_id FROM client_keys")
	if err != nil {
		return fmt.Errorf("read client keys: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return fmt.Errorf("read client keys: %w", err)
		}
		if _, err := k.root(id); err != nil {
			return err
		}
	}
	return rows.Err()
}

// initialise makes the blind-index and audit signing keys, wrapped by
// root, and returns the keyring row as stored. If another instance got
// there first, its row wins and is returned instead.
func (k *Keyring) initialise(ctx context.Context, root rootKey) (keyringRow, error) {
	aead, err := k.root(root.id)
	if err != nil {
		return keyringRow{}, err
	}
	blind := randomKey()
	seed := randomKey()
	defer clear(blind)
	defer clear(seed)
	var row keyringRow
	err = k.db.Tx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO keyring (id, root_key_id, blind_index_key, audit_signing_key, created_at)
			VALUES (1, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
			root.id,
			seal(aead, blind, secretAD(secretBlindIndex, root.id)),
			seal(aead, seed, secretAD(secretAudit, root.id)),
			k.now().UTC().UnixMicro()); err != nil {
			return err
		}
		row, err = readKeyring(ctx, tx)
		return err
	})
	if err != nil {
		return keyringRow{}, fmt.Errorf("initialise keyring: %w", err)
	}
	return row, nil
}

// Names of the keyring's own secrets, bound into their associated data.
const (
	secretBlindIndex = "blind-index"
	secretAudit      = "audit-signing"
)

// unwrapSecrets proves the root key right and keeps the keyring's secrets
// in memory. The secrets never change; only their wrapping does.
func (k *Keyring) unwrapSecrets(row keyringRow) error {
	aead, err := k.root(row.rootID)
	if err != nil {
		return err
	}
	blind, err := open(aead, row.blindIndex, secretAD(secretBlindIndex, row.rootID))
	if err != nil {
		return fmt.Errorf("%w: root key file %s holds a key with id %s, but not the key that wrapped this key store's keys: "+
			"restore the root key file from its backup", ErrRootKey, k.path, row.rootID)
	}
	seed, err := open(aead, row.auditKey, secretAD(secretAudit, row.rootID))
	if err != nil || len(seed) != ed25519.SeedSize || len(blind) != keySize {
		return fmt.Errorf("%w: the keyring record in the key store is damaged: restore the key store from its backup", ErrRootKey)
	}
	k.blindKey = blind
	k.auditKey = ed25519.NewKeyFromSeed(seed)
	clear(seed)
	return nil
}

// addRoots makes the keys of a root key file usable, keeping those already
// loaded.
func (k *Keyring) addRoots(roots []rootKey) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, r := range roots {
		if _, ok := k.roots[r.id]; ok {
			continue
		}
		aead, err := newAEAD(r.key)
		if err != nil {
			return fmt.Errorf("%w: root key %s: %w", ErrRootKey, r.id, err)
		}
		k.roots[r.id] = aead
	}
	return nil
}

// root returns the AEAD of root key id. A key not in memory is looked for
// in the file again: another instance sharing the PostgreSQL key store may
// have rotated the root key, and the operator copied the new file here.
func (k *Keyring) root(id string) (cipher.AEAD, error) {
	k.mu.RLock()
	aead, ok := k.roots[id]
	k.mu.RUnlock()
	if ok {
		return aead, nil
	}
	roots, err := readRootKeyFile(k.path)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrRootKey, err)
	}
	if err := k.addRoots(roots); err != nil {
		return nil, err
	}
	k.mu.RLock()
	aead, ok = k.roots[id]
	k.mu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("%w: root key file %s does not hold root key %s, which wraps keys in the key store: "+
			"restore the root key file from its backup (or, after a rotation on another instance, copy that instance's file here)",
			ErrRootKey, k.path, id)
	}
	return aead, nil
}

// lockKeyring locks the keyring row for the rest of tx and returns the id
// of the root key that wraps every key. Every write to the key store takes
// this lock first, so writes, shreds and rotations on several instances
// happen one at a time (on SQLite the write transaction already does).
func lockKeyring(ctx context.Context, tx *store.Tx) (string, error) {
	var id string
	if err := tx.QueryRow(ctx, "SELECT root_key_id FROM keyring WHERE id = 1"+tx.ForUpdate()).Scan(&id); err != nil {
		return "", fmt.Errorf("lock keyring: %w", err)
	}
	return id, nil
}

func clientKeyAD(clientID, rootID string) []byte {
	return associatedData(domainClientKey, clientID, rootID)
}

func secretAD(name, rootID string) []byte {
	return associatedData(domainSecret, name, rootID)
}

func randomKey() []byte {
	b := make([]byte, keySize)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return b
}

// checkID refuses anything but a Caseward id, so that nothing but opaque
// ids ever reaches the key store, which is kept in clear. The value is not
// echoed: it could be a name typed by mistake.
func checkID(clientID string) error {
	if !store.ValidID(clientID) {
		return errors.New("client id is not a Caseward id")
	}
	return nil
}

// NewClientKey makes a random 256-bit data key for the client, stores it
// wrapped by the root key, and returns a Cipher for it. It fails with
// ErrKeyExists if the client already has a key and with ErrShredded if the
// client was shredded: a shredded id is never given a key again.
func (k *Keyring) NewClientKey(ctx context.Context, clientID string) (*Cipher, error) {
	if err := checkID(clientID); err != nil {
		return nil, fmt.Errorf("new client key: %w", err)
	}
	key := randomKey()
	defer clear(key)
	c, err := newCipher(clientID, key)
	if err != nil {
		return nil, err
	}
	err = k.db.Tx(ctx, func(tx *store.Tx) error {
		rootID, err := lockKeyring(ctx, tx)
		if err != nil {
			return err
		}
		aead, err := k.root(rootID)
		if err != nil {
			return err
		}
		var one int
		switch err := tx.QueryRow(ctx, "SELECT 1 FROM shred_journal WHERE client_id = ?", clientID).Scan(&one); {
		case err == nil:
			return ErrShredded
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}
		switch err := tx.QueryRow(ctx, "SELECT 1 FROM client_keys WHERE client_id = ?", clientID).Scan(&one); {
		case err == nil:
			return ErrKeyExists
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}
		_, err = tx.Exec(ctx, "INSERT INTO client_keys (client_id, root_key_id, wrapped_key, created_at) VALUES (?, ?, ?, ?)",
			clientID, rootID, seal(aead, key, clientKeyAD(clientID, rootID)), k.now().UTC().UnixMicro())
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("new client key %s: %w", clientID, err)
	}
	return c, nil
}

// Clients returns the ciphers of several clients at once, for lists and
// search results; a client without a key (shredded or never made) is
// simply absent from the map.
func (k *Keyring) Clients(ctx context.Context, clientIDs []string) (map[string]*Cipher, error) {
	out := make(map[string]*Cipher, len(clientIDs))
	const chunk = 500
	for start := 0; start < len(clientIDs); start += chunk {
		marks, args := store.InList(clientIDs[start:min(start+chunk, len(clientIDs))])
		rows, err := k.db.Query(ctx, "SELECT client_id, root_key_id, wrapped_key FROM client_keys WHERE client_id IN ("+marks+")", args...)
		if err != nil {
			return nil, fmt.Errorf("client keys: %w", err)
		}
		for rows.Next() {
			var id, rootID string
			var wrapped []byte
			if err := rows.Scan(&id, &rootID, &wrapped); err != nil {
				rows.Close()
				return nil, fmt.Errorf("client keys: %w", err)
			}
			if _, dup := out[id]; dup {
				continue // a padded IN list repeats the last id
			}
			aead, err := k.root(rootID)
			if err != nil {
				rows.Close()
				return nil, fmt.Errorf("client key %s: %w", id, err)
			}
			key, err := open(aead, wrapped, clientKeyAD(id, rootID))
			if err != nil {
				rows.Close()
				return nil, fmt.Errorf("client key %s: unwrap: %w", id, ErrDecrypt)
			}
			c, err := newCipher(id, key)
			clear(key)
			if err != nil {
				rows.Close()
				return nil, err
			}
			out[id] = c
		}
		if err := rows.Close(); err != nil {
			return nil, err
		}
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("client keys: %w", err)
		}
	}
	return out, nil
}

// Client returns a Cipher for the client's data key. It fails with ErrNoKey
// if the client has none and ErrShredded if it was destroyed.
//
// Keys are read from the key store on every call and never cached, so a
// shred on any instance takes effect at the next call everywhere.
func (k *Keyring) Client(ctx context.Context, clientID string) (*Cipher, error) {
	var (
		rootID  string
		wrapped []byte
	)
	err := k.db.QueryRow(ctx, "SELECT root_key_id, wrapped_key FROM client_keys WHERE client_id = ?", clientID).Scan(&rootID, &wrapped)
	if errors.Is(err, sql.ErrNoRows) {
		var one int
		switch err := k.db.QueryRow(ctx, "SELECT 1 FROM shred_journal WHERE client_id = ?", clientID).Scan(&one); {
		case err == nil:
			return nil, fmt.Errorf("client key %s: %w", clientID, ErrShredded)
		case errors.Is(err, sql.ErrNoRows):
			return nil, fmt.Errorf("client key %s: %w", clientID, ErrNoKey)
		default:
			return nil, fmt.Errorf("client key %s: %w", clientID, err)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("client key %s: %w", clientID, err)
	}
	aead, err := k.root(rootID)
	if err != nil {
		return nil, fmt.Errorf("client key %s: %w", clientID, err)
	}
	key, err := open(aead, wrapped, clientKeyAD(clientID, rootID))
	if err != nil {
		// The root key is proven right at Open, so this row was altered.
		return nil, fmt.Errorf("client key %s: unwrap: %w", clientID, ErrDecrypt)
	}
	defer clear(key)
	return newCipher(clientID, key)
}

// AuditSigningKey returns the Ed25519 key that signs audit checkpoints. It
// is made on the first start and kept wrapped by the root key, so a copy
// of the data cannot forge a checkpoint. The result is a copy.
func (k *Keyring) AuditSigningKey() ed25519.PrivateKey {
	return append(ed25519.PrivateKey(nil), k.auditKey...)
}
