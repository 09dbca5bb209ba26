package keys

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/caseward/caseward/internal/store"
	"github.com/caseward/caseward/internal/store/storetest"
)

// openKeyring opens a keyring at loc and closes it when the test ends.
func openKeyring(t testing.TB, loc store.Location, opts Options) *Keyring {
	t.Helper()
	k, err := Open(context.Background(), loc, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { k.Close() })
	return k
}

func rootKeyPath(loc store.Location) string { return filepath.Join(loc.Dir, RootKeyFileName) }

// readKeyLines returns the key lines of the root key file.
func readKeyLines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, rootKeyVersion+" ") {
			lines = append(lines, l)
		}
	}
	return lines
}

func mustSeal(t testing.TB, c *Cipher, table, column, row string, plain []byte) []byte {
	t.Helper()
	ct, err := c.Seal(table, column, row, plain)
	if err != nil {
		t.Fatalf("Seal: %v", err)
	}
	return ct
}

// P17: personal fields are encrypted at rest, with a key of the client's own.
func TestSealOpenRoundTrip(t *testing.T) {
	storetest.Each(t, func(t *testing.T, loc store.Location) {
		ctx := context.Background()
		k := openKeyring(t, loc, Options{})
		client := store.NewID()
		c, err := k.NewClientKey(ctx, client)
		if err != nil {
			t.Fatal(err)
		}
		if c.ClientID() != client {
			t.Fatalf("ClientID = %q, want %q", c.ClientID(), client)
		}
		note := []byte("Disclosed that her partner checks her phone every evening.")
		ct := mustSeal(t, c, "notes", "body", "row1", note)
		if bytes.Contains(ct, []byte("partner")) || len(ct) != len(note)+Overhead || ct[0] != formatV1 {
			t.Fatalf("ciphertext has the wrong shape: %d bytes, version %d", len(ct), ct[0])
		}
		if again := mustSeal(t, c, "notes", "body", "row1", note); bytes.Equal(again, ct) {
			t.Fatal("two seals of one value are equal: nonce reused")
		}

		// A Cipher from Client, and one from a keyring opened afresh, read it.
		k.Close()
		k = openKeyring(t, loc, Options{})
		c2, err := k.Client(ctx, client)
		if err != nil {
			t.Fatal(err)
		}
		got, err := c2.Open("notes", "body", "row1", ct)
		if err != nil || !bytes.Equal(got, note) {
			t.Fatalf("Open = %q, %v; want the note", got, err)
		}

		s, err := c2.SealString("clients", "given_name", client, "Aoife")
		if err != nil {
			t.Fatal(err)
		}
		if name, err := c.OpenString("clients", "given_name", client, s); err != nil || name != "Aoife" {
			t.Fatalf("OpenString = %q, %v", name, err)
		}

		// Empty and nil values are values: they open to empty, not nil.
		for _, plain := range [][]byte{nil, {}} {
			ct := mustSeal(t, c, "clients", "phone", client, plain)
			got, err := c.Open("clients", "phone", client, ct)
			if err != nil || got == nil || len(got) != 0 {
				t.Fatalf("empty value opened to %#v, %v; want empty non-nil", got, err)
			}
		}

		if _, err := k.NewClientKey(ctx, client); !errors.Is(err, ErrKeyExists) {
			t.Fatalf("second NewClientKey: %v, want ErrKeyExists", err)
		}
		if _, err := k.Client(ctx, store.NewID()); !errors.Is(err, ErrNoKey) {
			t.Fatalf("Client of unknown id: %v, want ErrNoKey", err)
		}
		if _, err := k.NewClientKey(ctx, "Jane Doe"); err == nil || strings.Contains(err.Error(), "Jane") {
			t.Fatalf("NewClientKey with a name: %v; want an error that does not repeat it", err)
		}
	})
}

// A ciphertext is bound to its place: copied elsewhere it does not open.
func TestMovedCiphertextFails(t *testing.T) {
	storetest.Each(t, func(t *testing.T, loc store.Location) {
		ctx := context.Background()
		k := openKeyring(t, loc, Options{})
		a, err := k.NewClientKey(ctx, store.NewID())
		if err != nil {
			t.Fatal(err)
		}
		b, err := k.NewClientKey(ctx, store.NewID())
		if err != nil {
			t.Fatal(err)
		}
		ct := mustSeal(t, a, "notes", "body", "row1", []byte("x"))
		for _, tc := range []struct {
			name               string
			c                  *Cipher
			table, column, row string
		}{
			{"other row", a, "notes", "body", "row2"},
			{"other column", a, "notes", "summary", "row1"},
			{"other table", a, "letters", "body", "row1"},
			{"other client", b, "notes", "body", "row1"},
			{"shifted boundary", a, "notesb", "ody", "row1"},
		} {
			if _, err := tc.c.Open(tc.table, tc.column, tc.row, ct); !errors.Is(err, ErrDecrypt) {
				t.Errorf("%s: Open = %v, want ErrDecrypt", tc.name, err)
			}
		}
	})
}

func TestTamperedCiphertextFails(t *testing.T) {
	c, err := newCipher(store.NewID(), randomKey())
	if err != nil {
		t.Fatal(err)
	}
	ct := mustSeal(t, c, "notes", "body", "row1", []byte("safe address: 12 Elm Road"))
	for i := range ct {
		bad := bytes.Clone(ct)
		bad[i] ^= 0x01
		if _, err := c.Open("notes", "body", "row1", bad); !errors.Is(err, ErrDecrypt) {
			t.Fatalf("byte %d flipped: Open = %v, want ErrDecrypt", i, err)
		}
	}
	for _, bad := range [][]byte{nil, {}, ct[:Overhead-1], ct[:len(ct)-1], append(bytes.Clone(ct), 0)} {
		if _, err := c.Open("notes", "body", "row1", bad); !errors.Is(err, ErrDecrypt) {
			t.Fatalf("%d bytes: Open = %v, want ErrDecrypt", len(bad), err)
		}
	}
}

func TestRootKeyFileCreated(t *testing.T) {
	storetest.Each(t, func(t *testing.T, loc store.Location) {
		openKeyring(t, loc, Options{})
		info, err := os.Stat(rootKeyPath(loc))
		if err != nil {
			t.Fatal(err)
		}
		if perm := info.Mode().Perm(); perm != 0o600 {
			t.Fatalf("root key file mode %04o, want 0600", perm)
		}
		if lines := readKeyLines(t, rootKeyPath(loc)); len(lines) != 1 {
			t.Fatalf("root key file holds %d keys, want 1", len(lines))
		}

		// Options.RootKeyFile puts it elsewhere (CASEWARD_ROOT_KEY_FILE).
		other := storetest.New(t, loc.Engine())
		path := filepath.Join(t.TempDir(), "secrets", "caseward.key")
		openKeyring(t, other, Options{RootKeyFile: path})
		if _, err := os.Stat(path); err != nil {
			t.Fatalf("root key file not at RootKeyFile: %v", err)
		}
		if _, err := os.Stat(rootKeyPath(other)); !os.IsNotExist(err) {
			t.Fatalf("root key file also made in the data directory: %v", err)
		}
	})
}

// Once keys exist, a missing, wrong or exposed root key file stops the
// start, and no new key is ever made over existing data.
func TestRefuseWithoutTheRootKey(t *testing.T) {
	storetest.Each(t, func(t *testing.T, loc store.Location) {
		ctx := context.Background()
		k := openKeyring(t, loc, Options{})
		if _, err := k.NewClientKey(ctx, store.NewID()); err != nil {
			t.Fatal(err)
		}
		k.Close()
		path := rootKeyPath(loc)
		good, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		id := strings.Fields(readKeyLines(t, path)[0])[1]
		sameIDWrongKey := newRootKey()
		sameIDWrongKey.id = id

		for _, tc := range []struct {
			name  string
			setup func() error
			want  string // in the message
		}{
			{"missing", func() error { return os.Remove(path) }, "restore the root key file from its backup"},
			{"other key", func() error { return writeRootKeyFile(path, []rootKey{newRootKey()}) }, "does not hold root key " + id},
			{"same id, wrong key", func() error { return writeRootKeyFile(path, []rootKey{sameIDWrongKey}) }, "restore the root key file from its backup"},
			{"readable by others", func() error { return os.Chmod(path, 0o644) }, "group or others can read it"},
			{"malformed", func() error { return os.WriteFile(path, []byte(rootKeyVersion+" abc not-base64\n"), 0o600) }, "not 32 bytes"},
			{"unknown format", func() error { return os.WriteFile(path, []byte("caseward-root-key-v9 abc AAAA\n"), 0o600) }, "not a caseward-root-key-v1 line"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				if err := writeFile0600(path, good); err != nil {
					t.Fatal(err)
				}
				if err := tc.setup(); err != nil {
					t.Fatal(err)
				}
				before, _ := os.ReadFile(path)
				k, err := Open(ctx, loc, Options{})
				if err == nil {
					k.Close()
					t.Fatal("Open succeeded")
				}
				if !errors.Is(err, ErrRootKey) || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("Open = %v\nwant ErrRootKey naming %s and saying %q", err, path, tc.want)
				}
				if strings.Contains(err.Error(), "creat") {
					t.Fatalf("message speaks of creating a key: %v", err)
				}
				// No new key over existing data: the file is as it was (or still absent).
				after, _ := os.ReadFile(path)
				if !bytes.Equal(before, after) {
					t.Fatal("Open changed the root key file")
				}
			})
		}

		// The original file still opens everything.
		if err := writeFile0600(path, good); err != nil {
			t.Fatal(err)
		}
		openKeyring(t, loc, Options{})
	})
}

func TestRotateRoot(t *testing.T) {
	storetest.Each(t, func(t *testing.T, loc store.Location) {
		ctx := context.Background()
		k := openKeyring(t, loc, Options{BlindIndexBits: 32})
		sealed := sealForClients(t, k, 3)
		index := k.BlindIndex("family-name", "García")
		audit := k.AuditSigningKey()
		oldLines := readKeyLines(t, rootKeyPath(loc))

		if err := k.RotateRoot(ctx); err != nil {
			t.Fatal(err)
		}
		lines := readKeyLines(t, rootKeyPath(loc))
		if len(lines) != 1 || lines[0] == oldLines[0] {
			t.Fatalf("after rotation the file holds %d keys (old key kept: %v), want only the new one", len(lines), lines[0] == oldLines[0])
		}
		if info, _ := os.Stat(rootKeyPath(loc)); info.Mode().Perm() != 0o600 {
			t.Fatalf("rotated file mode %04o", info.Mode().Perm())
		}
		checkSealed(t, k, sealed)

		k.Close()
		k = openKeyring(t, loc, Options{BlindIndexBits: 32})
		checkSealed(t, k, sealed)
		if got := k.BlindIndex("family-name", "García"); got != index {
			t.Fatal("blind index changed with the root key")
		}
		if !bytes.Equal(k.AuditSigningKey(), audit) {
			t.Fatal("audit signing key changed with the root key")
		}
		// New keys are wrapped with the new root key.
		sealForClients(t, k, 1)
	})
}

// A rotation stopped at either step leaves a key store that opens, and the
// next rotation leaves one key in the file.
func TestRotateRootInterrupted(t *testing.T) {
	for _, step := range []string{"both-keys-written", "rewrapped"} {
		t.Run(step, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, loc store.Location) {
				ctx := context.Background()
				k := openKeyring(t, loc, Options{})
				sealed := sealForClients(t, k, 2)
				crash := errors.New("crash")
				k.rotateHook = func(s string) error {
					if s == step {
						return crash
					}
					return nil
				}
				if err := k.RotateRoot(ctx); !errors.Is(err, crash) {
					t.Fatalf("RotateRoot = %v, want the crash", err)
				}
				k.Close()
				if n := len(readKeyLines(t, rootKeyPath(loc))); n != 2 {
					t.Fatalf("file holds %d keys after the crash, want both", n)
				}

				k = openKeyring(t, loc, Options{})
				checkSealed(t, k, sealed)
				if err := k.RotateRoot(ctx); err != nil {
					t.Fatal(err)
				}
				if n := len(readKeyLines(t, rootKeyPath(loc))); n != 1 {
					t.Fatalf("file holds %d keys after a full rotation, want 1", n)
				}
				k.Close()
				k = openKeyring(t, loc, Options{})
				checkSealed(t, k, sealed)
			})
		})
	}
}

// An instance whose key store was rotated by another instance picks up the
// new key from its file without a restart.
func TestRootKeyReloadedAfterRotationElsewhere(t *testing.T) {
	storetest.Each(t, func(t *testing.T, loc store.Location) {
		ctx := context.Background()
		a := openKeyring(t, loc, Options{})
		b := openKeyring(t, loc, Options{}) // same file, same key store
		sealed := sealForClients(t, a, 1)
		if err := a.RotateRoot(ctx); err != nil {
			t.Fatal(err)
		}
		checkSealed(t, b, sealed)
		sealForClients(t, b, 1)
	})
}

// writeFile0600 writes b to path with mode 0600, whatever mode it had.
func writeFile0600(path string, b []byte) error {
	if err := os.WriteFile(path, b, 0o600); err != nil {
		return err
	}
	return os.Chmod(path, 0o600)
}

// Keys made on one instance while another rotates the root key are never
// wrapped by the retired key: the keyring row lock puts them in order.
func TestNewClientKeyDuringRotation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, loc store.Location) {
		ctx := context.Background()
		a := openKeyring(t, loc, Options{})
		b := openKeyring(t, loc, Options{}) // a second instance on the same key store and file
		ids := make(chan string, 40)
		errs := make(chan error, 42)
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() {
				for range 10 {
					id := store.NewID()
					if _, err := b.NewClientKey(ctx, id); err != nil {
						errs <- err
						return
					}
					ids <- id
				}
			})
		}
		wg.Go(func() {
			for range 2 {
				if err := a.RotateRoot(ctx); err != nil {
					errs <- err
				}
			}
		})
		wg.Wait()
		close(ids)
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		for id := range ids {
			for _, k := range []*Keyring{a, b} {
				if _, err := k.Client(ctx, id); err != nil {
					t.Fatalf("key made during rotation: %v", err)
				}
			}
		}
		if n := len(readKeyLines(t, rootKeyPath(loc))); n != 1 {
			t.Fatalf("file holds %d keys", n)
		}
	})
}

type sealedValue struct {
	client string
	ct     []byte
	plain  string
}

// sealForClients makes n clients and seals one note for each.
func sealForClients(t *testing.T, k *Keyring, n int) []sealedValue {
	t.Helper()
	var out []sealedValue
	for i := range n {
		id := store.NewID()
		c, err := k.NewClientKey(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		plain := strings.Repeat("note ", i+1)
		out = append(out, sealedValue{id, mustSeal(t, c, "notes", "body", id, []byte(plain)), plain})
	}
	return out
}

func checkSealed(t *testing.T, k *Keyring, sealed []sealedValue) {
	t.Helper()
	for _, s := range sealed {
		c, err := k.Client(context.Background(), s.client)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := c.OpenString("notes", "body", s.client, s.ct); err != nil || got != s.plain {
			t.Fatalf("Open = %q, %v; want %q", got, err, s.plain)
		}
	}
}

// P42, P48: erasure destroys the client's key, so their data is gone from
// every copy; the journal keeps it gone after a restore of the key store.
func TestShred(t *testing.T) {
	storetest.Each(t, func(t *testing.T, loc store.Location) {
		ctx := context.Background()
		now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
		k := openKeyring(t, loc, Options{Now: func() time.Time { return now }})
		sealed := sealForClients(t, k, 2)
		gone, kept := sealed[0], sealed[1]

		if err := k.Shred(ctx, gone.client); err != nil {
			t.Fatal(err)
		}
		if err := k.Shred(ctx, gone.client); err != nil {
			t.Fatalf("second Shred: %v", err)
		}
		if _, err := k.Client(ctx, gone.client); !errors.Is(err, ErrShredded) {
			t.Fatalf("Client after shred: %v, want ErrShredded", err)
		}
		if _, err := k.NewClientKey(ctx, gone.client); !errors.Is(err, ErrShredded) {
			t.Fatalf("NewClientKey after shred: %v, want ErrShredded", err)
		}
		checkSealed(t, k, []sealedValue{kept})

		// Not even a keyring opened afresh has any way to the old ciphertext.
		k.Close()
		k = openKeyring(t, loc, Options{})
		if _, err := k.Client(ctx, gone.client); !errors.Is(err, ErrShredded) {
			t.Fatalf("Client after reopen: %v, want ErrShredded", err)
		}
		var n int
		if err := k.db.QueryRow(ctx, "SELECT COUNT(*) FROM client_keys WHERE client_id = ?", gone.client).Scan(&n); err != nil || n != 0 {
			t.Fatalf("%d key rows left for the shredded client (%v)", n, err)
		}

		never := store.NewID()
		if err := k.Shred(ctx, never); err != nil {
			t.Fatalf("Shred of a client without a key: %v", err)
		}
		journal, err := k.ShredJournal(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(journal) != 2 || journal[0] != gone.client || journal[1] != never {
			t.Fatalf("journal = %v, want [%s %s]", journal, gone.client, never)
		}
	})
}

// On SQLite, the shredded wrapped key must not survive in keys.db's free
// pages or its write-ahead log, where a copy of the data directory (root
// key file included) would give it back.
func TestShredLeavesNoTraceInSQLiteFile(t *testing.T) {
	ctx := context.Background()
	loc := storetest.New(t, store.SQLite)
	k := openKeyring(t, loc, Options{})
	sealed := sealForClients(t, k, 3)
	var wrapped []byte
	if err := k.db.QueryRow(ctx, "SELECT wrapped_key FROM client_keys WHERE client_id = ?", sealed[1].client).Scan(&wrapped); err != nil {
		t.Fatal(err)
	}
	if err := k.Shred(ctx, sealed[1].client); err != nil {
		t.Fatal(err)
	}
	check := func(when string) {
		for _, name := range []string{"keys.db", "keys.db-wal"} {
			b, err := os.ReadFile(filepath.Join(loc.Dir, name))
			if err != nil && !os.IsNotExist(err) {
				t.Fatal(err)
			}
			if bytes.Contains(b, wrapped) {
				t.Errorf("%s: the shredded key is still in %s", when, name)
			}
		}
	}
	check("while open")
	k.Close()
	check("after close")
}

func TestReplayShredsAfterRestore(t *testing.T) {
	storetest.Each(t, func(t *testing.T, loc store.Location) {
		ctx := context.Background()
		k := openKeyring(t, loc, Options{})
		sealed := sealForClients(t, k, 2)
		gone := sealed[0]
		k.Close()
		backup := backUpKeyStore(t, loc)

		k = openKeyring(t, loc, Options{})
		if err := k.Shred(ctx, gone.client); err != nil {
			t.Fatal(err)
		}
		journal, err := k.ShredJournal(ctx) // the gate keeps this copy
		if err != nil {
			t.Fatal(err)
		}
		k.Close()

		restoreKeyStore(t, loc, backup)
		k = openKeyring(t, loc, Options{})
		if _, err := k.Client(ctx, gone.client); err != nil {
			t.Fatalf("the restored backup should hold the key again: %v", err)
		}
		n, err := k.ReplayShreds(ctx, journal)
		if err != nil || n != 1 {
			t.Fatalf("ReplayShreds = %d, %v; want 1 key destroyed", n, err)
		}
		if _, err := k.Client(ctx, gone.client); !errors.Is(err, ErrShredded) {
			t.Fatalf("Client after replay: %v, want ErrShredded", err)
		}
		if got, _ := k.ShredJournal(ctx); len(got) != 1 || got[0] != gone.client {
			t.Fatalf("journal after replay = %v", got)
		}
		checkSealed(t, k, sealed[1:])
		if n, err := k.ReplayShreds(ctx, journal); err != nil || n != 0 {
			t.Fatalf("second ReplayShreds = %d, %v; want 0", n, err)
		}
	})
}

// keyStoreBackup is a copy of a closed key store: the SQLite file, or on
// PostgreSQL the rows of its tables.
type keyStoreBackup struct {
	file       []byte
	clientKeys [][]any
	journal    [][]any
}

func backUpKeyStore(t *testing.T, loc store.Location) keyStoreBackup {
	t.Helper()
	if loc.Engine() == store.SQLite {
		// Closing the last connection checkpoints the log into keys.db.
		b, err := os.ReadFile(filepath.Join(loc.Dir, "keys.db"))
		if err != nil {
			t.Fatal(err)
		}
		return keyStoreBackup{file: b}
	}
	db, err := store.Open(context.Background(), loc, "keys")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	return keyStoreBackup{
		clientKeys: dumpRows(t, db, "SELECT client_id, root_key_id, wrapped_key, created_at FROM client_keys", 4),
		journal:    dumpRows(t, db, "SELECT client_id, shredded_at FROM shred_journal", 2),
	}
}

func dumpRows(t *testing.T, db *store.DB, query string, n int) [][]any {
	t.Helper()
	rows, err := db.Query(context.Background(), query)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out [][]any
	for rows.Next() {
		vals := make([]any, n)
		ptrs := make([]any, n)
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		out = append(out, vals)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// restoreKeyStore puts a backup back in place of the closed key store.
func restoreKeyStore(t *testing.T, loc store.Location, b keyStoreBackup) {
	t.Helper()
	ctx := context.Background()
	if loc.Engine() == store.SQLite {
		for _, suffix := range []string{"-wal", "-shm"} {
			if err := os.Remove(filepath.Join(loc.Dir, "keys.db"+suffix)); err != nil && !os.IsNotExist(err) {
				t.Fatal(err)
			}
		}
		if err := writeFile0600(filepath.Join(loc.Dir, "keys.db"), b.file); err != nil {
			t.Fatal(err)
		}
		return
	}
	db, err := store.Open(ctx, loc, "keys")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Tx(ctx, func(tx *store.Tx) error {
		for _, q := range []string{"DELETE FROM client_keys", "DELETE FROM shred_journal"} {
			if _, err := tx.Exec(ctx, q); err != nil {
				return err
			}
		}
		for _, r := range b.clientKeys {
			if _, err := tx.Exec(ctx, "INSERT INTO client_keys (client_id, root_key_id, wrapped_key, created_at) VALUES (?, ?, ?, ?)", r...); err != nil {
				return err
			}
		}
		for _, r := range b.journal {
			if _, err := tx.Exec(ctx, "INSERT INTO shred_journal (client_id, shredded_at) VALUES (?, ?)", r...); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestBlindIndex(t *testing.T) {
	storetest.Each(t, func(t *testing.T, loc store.Location) {
		// 32 bits, so that unequal indexes below are not equal by chance.
		k := openKeyring(t, loc, Options{BlindIndexBits: 32})
		a := k.BlindIndex("family-name", "José  García")
		if a != k.BlindIndex("family-name", "jose garcia") || a != k.BlindIndex("family-name", " JOSÉ-garcía ") {
			t.Fatal("spellings of one name index differently")
		}
		if len(a) != 8 {
			t.Fatalf("32-bit index %q, want 8 hex characters", a)
		}
		if a == k.BlindIndex("given-name", "José García") {
			t.Fatal("kinds are not separated")
		}
		if a == k.BlindIndex("family-name", "Jose Garcia Lopez") {
			t.Fatal("different names give one index")
		}
		if k.BlindIndex("family-name", " -- ") != "" || k.BlindIndex("family-name", "") != "" {
			t.Fatal("empty value gave an index")
		}

		// The blind-index key persists: the same installation gives the same
		// index after a restart, another installation a different one.
		k.Close()
		k = openKeyring(t, loc, Options{BlindIndexBits: 32})
		if k.BlindIndex("family-name", "jose garcia") != a {
			t.Fatal("index changed across a restart")
		}
		other := openKeyring(t, storetest.New(t, loc.Engine()), Options{BlindIndexBits: 32})
		if other.BlindIndex("family-name", "jose garcia") == a {
			t.Fatal("two installations share a blind-index key")
		}
	})
}

func TestBlindIndexTruncated(t *testing.T) {
	k := &Keyring{blindKey: randomKey()}
	for _, bits := range []int{1, 10, 16, 20, 32} {
		k.bits = bits
		seen := map[string]bool{}
		for i := range 5000 {
			x := k.BlindIndex("dob", time.Date(1950, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i).Format("2006-01-02"))
			if len(x) != (bits+3)/4 {
				t.Fatalf("%d bits: index %q has %d characters", bits, x, len(x))
			}
			var v uint64
			for _, c := range x {
				v = v<<4 | uint64(strings.IndexRune("0123456789abcdef", c))
			}
			if v >= 1<<bits {
				t.Fatalf("%d bits: index %q too large", bits, x)
			}
			seen[x] = true
		}
		// 5000 values in 2^bits buckets: small widths must collide.
		if bits <= 10 && len(seen) > 1<<bits {
			t.Fatalf("%d bits: %d distinct indexes", bits, len(seen))
		}
	}
}

func TestBlindIndexBitsOption(t *testing.T) {
	for _, bits := range []int{-1, 33, 64} {
		if _, err := Open(context.Background(), storetest.New(t, store.SQLite), Options{BlindIndexBits: bits}); err == nil {
			t.Errorf("BlindIndexBits %d accepted", bits)
		}
	}
	k := openKeyring(t, storetest.New(t, store.SQLite), Options{})
	if got := k.BlindIndex("family-name", "Smith"); len(got) != 4 {
		t.Fatalf("default index %q, want 16 bits (4 hex characters)", got)
	}
}

func TestNormalise(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"José  García", "jose garcia"},
		{"  JOSÉ-GARCÍA\t", "jose garcia"},
		{"O'Brien", "obrien"},
		{"O’Brien", "obrien"},
		{"Straße", "strasse"},
		{"Zoë Ångström", "zoe angstrom"},
		{"Łukasz", "łukasz"}, // Ł has no decomposition: it is a letter of its own
		{"ﬁona", "fiona"},
		{"Ｊｏｈｎ", "john"},
		{"Anne-Marie St. John", "anne marie st john"},
		{"12/03/1985", "12 03 1985"},
		{"Müller\u0000\xff", "muller"},
		{"محمد", "محمد"},
		{"", ""},
		{" .,; ", ""},
	} {
		if got := Normalise(tc.in); got != tc.want {
			t.Errorf("Normalise(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestNameTokens(t *testing.T) {
	got := NameTokens("María José García-López garcia")
	want := []string{"maria", "jose", "garcia", "lopez"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("NameTokens = %q, want %q", got, want)
	}
	if NameTokens(" - ") != nil {
		t.Fatal("tokens of nothing")
	}
}

func TestAuditSigningKey(t *testing.T) {
	storetest.Each(t, func(t *testing.T, loc store.Location) {
		k := openKeyring(t, loc, Options{})
		key := k.AuditSigningKey()
		msg := []byte("checkpoint 42")
		if !ed25519.Verify(key.Public().(ed25519.PublicKey), msg, ed25519.Sign(key, msg)) {
			t.Fatal("signature does not verify")
		}
		key[0] ^= 1 // the caller's copy, not the keyring's
		k.Close()
		k = openKeyring(t, loc, Options{})
		if key[0]^1 != k.AuditSigningKey()[0] || !bytes.Equal(key[1:], k.AuditSigningKey()[1:]) {
			t.Fatal("audit signing key changed across a restart, or the copy was shared")
		}
	})
}

func TestParseRootKeys(t *testing.T) {
	a, b := newRootKey(), newRootKey()
	got, err := parseRootKeys(formatRootKeys([]rootKey{a, b}))
	if err != nil || len(got) != 2 || got[0].id != a.id || !bytes.Equal(got[1].key, b.key) {
		t.Fatalf("round trip: %v, %v", got, err)
	}
	line := strings.TrimSpace(string(formatRootKeys([]rootKey{a})[len(rootKeyHeader):]))
	for name, text := range map[string]string{
		"empty":     "# nothing\n\n",
		"duplicate": line + "\n" + line + "\n",
		"short":     rootKeyVersion + " id\n",
	} {
		if _, err := parseRootKeys([]byte(text)); err == nil {
			t.Errorf("%s: parsed", name)
		}
	}
	if _, err := parseRootKeys([]byte("\r\n" + line + "\r\n")); err != nil {
		t.Errorf("CRLF file: %v", err)
	}
}

func FuzzOpen(f *testing.F) {
	c, err := newCipher(store.NewID(), randomKey())
	if err != nil {
		f.Fatal(err)
	}
	ct := mustSeal(f, c, "notes", "body", "row1", []byte("hello"))
	f.Add(ct)
	f.Add([]byte{})
	f.Add([]byte{formatV1})
	f.Add(ct[:Overhead])
	f.Fuzz(func(t *testing.T, b []byte) {
		plain, err := c.Open("notes", "body", "row1", b)
		if err == nil && !bytes.Equal(b, ct) {
			// Only the sealed ciphertext opens (a forgery would be a GCM break).
			t.Fatalf("forged ciphertext opened to %q", plain)
		}
		if err != nil && !errors.Is(err, ErrDecrypt) {
			t.Fatalf("error %v does not wrap ErrDecrypt", err)
		}
	})
}

func FuzzNormalise(f *testing.F) {
	for _, s := range []string{"José  García", "O'Brien", "Straße", "ǅemal", "İstanbul", "ﬃ", "\xff\xfe", "ᾈ", "Å", "ﾊﾟ", "한국어", "ꭳᎣ"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := Normalise(s)
		if !utf8.ValidString(n) {
			t.Fatalf("Normalise(%q) = %q is not valid UTF-8", s, n)
		}
		if again := Normalise(n); again != n {
			t.Fatalf("not idempotent: Normalise(%q) = %q, then %q", s, n, again)
		}
		if strings.HasPrefix(n, " ") || strings.HasSuffix(n, " ") || strings.Contains(n, "  ") {
			t.Fatalf("Normalise(%q) = %q has stray spaces", s, n)
		}
	})
}

func BenchmarkSealOpen2KB(b *testing.B) {
	c, err := newCipher(store.NewID(), randomKey())
	if err != nil {
		b.Fatal(err)
	}
	note := bytes.Repeat([]byte("a 2 KB case note. "), 2048/18+1)[:2048]
	b.SetBytes(int64(len(note)))
	b.ReportAllocs()
	for b.Loop() {
		ct, err := c.Seal("notes", "body", "row1", note)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := c.Open("notes", "body", "row1", ct); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkClient measures the look-up the gate makes on every client
// opening: one indexed read and one unwrap, no cache.
func BenchmarkClient(b *testing.B) {
	for _, e := range storetest.Engines {
		b.Run(string(e), func(b *testing.B) {
			ctx := context.Background()
			k := openKeyring(b, storetest.New(b, e), Options{})
			ids := make([]string, 1000)
			for i := range ids {
				ids[i] = store.NewID()
				if _, err := k.NewClientKey(ctx, ids[i]); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if _, err := k.Client(ctx, ids[i%len(ids)]); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}
