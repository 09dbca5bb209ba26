// Package audit is Caseward's append-only, tamper-evident log: the trace
// behind the promise that nothing personal is read without one.
//
// Every entry says who did what, to which client and records, for what
// purpose, and whether it was allowed, in ids and short codes only: Append
// refuses anything that could be a name or a sentence. Entries are leaves
// of a Merkle tree (golang.org/x/mod/sumdb/tlog, the design of Certificate
// Transparency and the Go checksum database). The tree's size and root are
// signed after every append, and a signed checkpoint is kept every 1,000
// entries and at every verification, so removing, reordering or editing any
// entry — even by someone who recomputes every hash — is caught by Verify.
// What no log inside the database can catch on its own is the whole
// database put back to an earlier, validly signed state; that needs a
// checkpoint kept somewhere else (see VerifierKey).
//
// An entry is appended inside the caller's transaction, so the trace and the
// action it records commit together or not at all: if the entry cannot be
// written, the action fails (fail closed).
package audit

import (
	"context"
	"crypto/ed25519"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"sync"
	"time"

	"github.com/caseward/caseward/internal/store"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// checkpointEvery is how often (in entries) a signed checkpoint is kept for
// good. Each is a fixed point a later rewrite of history cannot match
// without the signing key; 1,000 keeps the table small (a thousand rows per
// million entries) while bounding how much history a rewrite could hide
// between two of them.
const checkpointEvery = 1000

// Entry is one line of the audit log. It holds ids and short codes, never
// names or content.
type Entry struct {
	Index     int64     // position in the log, from 0; assigned by the log
	At        time.Time // when it was appended (UTC, microseconds); assigned by the log
	Actor     string    // who: a staff or system id, e.g. "staff:abc123" or "system:retention"
	Action    string    // what: a code such as "client.open" or "note.update"
	ClientID  string    // whose data, if any
	RecordIDs []string  // which records of that client, if any (at most 1,000)
	Purpose   string    // why: a code such as "casework" or "sar"
	Allowed   bool      // whether the access policy allowed it; refusals are logged too
	Reason    string    // a code for the decision, such as "assigned" or "not-assigned"
}

// Log is the audit log in one store.DB. It is safe for concurrent use, and
// several Logs (in several processes) may append to the same PostgreSQL
// database at once.
type Log struct {
	db       *store.DB
	signer   note.Signer
	verifier note.Verifier
	public   ed25519.PublicKey
	now      func() time.Time

	// The frontier after the last append this Log made, and the root it
	// gives. It spares every append from reading hashes back. It is only a
	// guess: the transaction that made it may have rolled back, and another
	// instance may have appended since. So it is used only when its size and
	// root equal the head row read under lock; otherwise the frontier is
	// read from the database (at most 63 hashes, one query). This is also
	// why the log keeps no wider cache of stored hashes: a hash cached from
	// a transaction that later rolls back would poison every append after.
	mu    sync.Mutex
	cache frontier
	croot tlog.Hash
	valid bool
}

// New opens the audit log in db, creating its tables if needed. signer
// signs the log's checkpoints; keep it apart from the data (it comes from
// the key store), since whoever holds it could rewrite history undetected.
// now is the clock (time.Now if nil).
func New(ctx context.Context, db *store.DB, signer ed25519.PrivateKey, now func() time.Time) (*Log, error) {
	if now == nil {
		now = time.Now
	}
	s, v, err := newSignerVerifier(signer)
	if err != nil {
		return nil, err
	}
	files, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		return nil, err
	}
	if err := db.Migrate(ctx, "audit", files); err != nil {
		return nil, err
	}
	l := &Log{db: db, signer: s, verifier: v, public: signer.Public().(ed25519.PublicKey), now: now}

	// The head row exists from the start, so every append can lock it.
	// Instances starting together may both try; the first one wins.
	empty, err := tlog.TreeHash(0, nil)
	if err != nil {
		return nil, err
	}
	ckpt, err := signCheckpoint(s, 0, empty)
	if err != nil {
		return nil, err
	}
	err = db.Tx(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO audit_head (id, size, root, checkpoint, at_us)
			VALUES (1, 0, ?, ?, ?) ON CONFLICT (id) DO NOTHING`, empty[:], ckpt, l.now().UnixMicro())
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("audit: create head: %w", err)
	}
	return l, nil
}

// VerifierKey returns the note verifier key ("caseward-audit+hash+key") for
// the log's signing key, for anyone who checks exported checkpoints outside
// Caseward.
func (l *Log) VerifierKey() string {
	k, _ := note.NewEd25519VerifierKey(SignerName, l.public) // cannot fail: New checked the key
	return k
}

// Append appends e inside the caller's transaction tx and returns its index.
// The entry commits or rolls back with tx, so an action and its trace are
// never apart; if Append fails the caller must fail the action (returning
// the error from store.DB.Tx does that). e.Index and e.At are ignored: the
// log assigns them. An entry whose fields are not ids and codes is refused
// with an error wrapping ErrInvalidEntry.
//
// Append locks the log's head row until tx ends, so appends from every
// instance queue behind it: call it late in the transaction, once the
// action has been decided, and keep the transaction short.
func (l *Log) Append(ctx context.Context, tx *store.Tx, e Entry) (int64, error) {
	if tx == nil {
		return 0, errors.New("audit: append: no transaction")
	}
	return l.appendEntries(ctx, tx, []Entry{e})
}

// Record appends e in a transaction of its own, for events that change no
// other data (a failed sign-in, a refused access). It must not be called
// from inside store.DB.Tx: on SQLite there is one writer, and it would wait
// for itself. Use Append there.
func (l *Log) Record(ctx context.Context, e Entry) (int64, error) {
	var idx int64
	err := l.db.Tx(ctx, func(tx *store.Tx) error {
		var err error
		idx, err = l.Append(ctx, tx, e)
		return err
	})
	if err != nil {
		return 0, err
	}
	return idx, nil
}

// AppendAll appends several entries inside the caller's transaction, in
// order, and returns the index of the first: one lock and one signed
// checkpoint for a whole list of decisions (a page of search results).
func (l *Log) AppendAll(ctx context.Context, tx *store.Tx, es []Entry) (int64, error) {
	if len(es) == 0 {
		return 0, nil
	}
	return l.appendEntries(ctx, tx, es)
}

// appendEntries appends es in order and returns the index of the first.
// Append uses it for one entry; tests and benchmarks use it to build large
// logs quickly, with one head update per batch.
func (l *Log) appendEntries(ctx context.Context, tx *store.Tx, es []Entry) (first int64, err error) {
	defer func() {
		if err != nil && !errors.Is(err, ErrInvalidEntry) {
			err = fmt.Errorf("audit: append: %w", err)
		}
	}()
	es = append([]Entry(nil), es...) // the log assigns Index and At; leave the caller's copy alone
	for i := range es {
		if err := validate(&es[i]); err != nil {
			return 0, err
		}
	}

	// Lock the head: from here until tx ends no other append can start.
	var (
		size    int64
		rootCol []byte
	)
	err = tx.QueryRow(ctx, "SELECT size, root FROM audit_head WHERE id = 1"+tx.ForUpdate()).Scan(&size, &rootCol)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, errors.New("the log has no head row (was it created with audit.New?)")
	}
	if err != nil {
		return 0, err
	}
	headRoot, ok := hashFromBytes(rootCol)
	if !ok {
		return 0, errors.New("the head's root is malformed; run Verify")
	}
	f, err := l.frontierAt(ctx, tx, size, headRoot)
	if err != nil {
		return 0, err
	}

	// Time is read under the lock, so on one clock it never runs backwards
	// along the log.
	at := time.UnixMicro(l.now().UnixMicro()).UTC()
	first = size
	entryArgs := make([]any, 0, len(es)*10)
	var hashArgs []any
	var ckptArgs []any
	var buf []byte
	for i := range es {
		e := &es[i]
		e.Index, e.At = f.n, at
		buf = encodeEntry(buf[:0], e)
		leaf := tlog.RecordHash(buf)
		hs, err := f.add(leaf)
		if err != nil {
			return 0, err
		}
		entryArgs = append(entryArgs, e.Index, at.UnixMicro(), e.Actor, e.Action, e.ClientID,
			strings.Join(e.RecordIDs, " "), e.Purpose, e.Allowed, e.Reason, leaf[:])
		// A record's stored hashes are contiguous, and so are consecutive
		// records', so the batch's hashes run on from the first's index.
		for _, h := range hs {
			hashArgs = append(hashArgs, tlog.StoredHashIndex(0, first)+int64(len(hashArgs)/2), h[:])
		}
		if f.n%checkpointEvery == 0 {
			root, err := f.root()
			if err != nil {
				return 0, err
			}
			ckpt, err := signCheckpoint(l.signer, f.n, root)
			if err != nil {
				return 0, err
			}
			ckptArgs = append(ckptArgs, f.n, root[:], ckpt, at.UnixMicro())
		}
	}
	root, err := f.root()
	if err != nil {
		return 0, err
	}
	ckpt, err := signCheckpoint(l.signer, f.n, root)
	if err != nil {
		return 0, err
	}

	if err := insertRows(ctx, tx, "INSERT INTO audit_entries (idx, at_us, actor, action, client_id, record_ids, purpose, allowed, reason, hash) VALUES ", 10, entryArgs); err != nil {
		return 0, err
	}
	if err := insertRows(ctx, tx, "INSERT INTO audit_hashes (n, hash) VALUES ", 2, hashArgs); err != nil {
		return 0, err
	}
	if err := insertRows(ctx, tx, "INSERT INTO audit_checkpoints (size, root, checkpoint, made_us) VALUES ", 4, ckptArgs); err != nil {
		return 0, err
	}
	// The size condition is a second guard on the lock: an update that
	// finds the head moved would fork the tree, so it fails instead.
	res, err := tx.Exec(ctx, "UPDATE audit_head SET size = ?, root = ?, checkpoint = ?, at_us = ? WHERE id = 1 AND size = ?",
		f.n, root[:], ckpt, at.UnixMicro(), size)
	if err != nil {
		return 0, err
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return 0, fmt.Errorf("head moved during append (rows %d, %v)", n, err)
	}

	l.mu.Lock()
	l.cache, l.croot, l.valid = f, root, true
	l.mu.Unlock()
	return first, nil
}

// frontierAt returns the frontier of the tree of size records whose root
// the head (read under lock) says is root: from memory when the last append
// left exactly that tree, else from the stored hashes. Stored hashes that do
// not give the head's root mean the log has been tampered with; appending to
// it would only bury that, so the append fails.
func (l *Log) frontierAt(ctx context.Context, tx *store.Tx, size int64, root tlog.Hash) (frontier, error) {
	l.mu.Lock()
	if l.valid && l.cache.n == size && l.croot == root {
		f := l.cache.clone()
		l.mu.Unlock()
		return f, nil
	}
	l.mu.Unlock()

	f := frontier{n: size, index: frontierIndexes(size)}
	if len(f.index) > 0 {
		q := "SELECT n, hash FROM audit_hashes WHERE n IN (?" + strings.Repeat(", ?", len(f.index)-1) + ")"
		args := make([]any, len(f.index))
		for i, x := range f.index {
			args[i] = x
		}
		rows, err := tx.Query(ctx, q, args...)
		if err != nil {
			return frontier{}, err
		}
		defer rows.Close()
		got := make(map[int64]tlog.Hash, len(f.index))
		for rows.Next() {
			var (
				n int64
				b []byte
			)
			if err := rows.Scan(&n, &b); err != nil {
				return frontier{}, err
			}
			h, ok := hashFromBytes(b)
			if !ok {
				return frontier{}, fmt.Errorf("stored hash %d is malformed; run Verify", n)
			}
			got[n] = h
		}
		if err := rows.Err(); err != nil {
			return frontier{}, err
		}
		for _, x := range f.index {
			h, ok := got[x]
			if !ok {
				return frontier{}, fmt.Errorf("stored hash %d is missing; run Verify", x)
			}
			f.hashes = append(f.hashes, h)
		}
	}
	r, err := f.root()
	if err != nil {
		return frontier{}, err
	}
	if r != root {
		return frontier{}, fmt.Errorf("stored hashes do not give the head's root at size %d; run Verify", size)
	}
	return f, nil
}

// maxParams bounds the placeholders in one statement, well inside both
// SQLite's limit (32,766) and PostgreSQL's (65,535).
const maxParams = 8000

// insertRows inserts len(args)/cols rows with multi-row INSERTs: one round
// trip for an ordinary append's few hashes, and few statements for a batch.
func insertRows(ctx context.Context, tx *store.Tx, prefix string, cols int, args []any) error {
	row := "(?" + strings.Repeat(", ?", cols-1) + ")"
	per := maxParams / cols
	for len(args) > 0 {
		n := min(len(args)/cols, per)
		var q strings.Builder
		q.WriteString(prefix)
		for i := range n {
			if i > 0 {
				q.WriteString(", ")
			}
			q.WriteString(row)
		}
		if _, err := tx.Exec(ctx, q.String(), args[:n*cols]...); err != nil {
			return err
		}
		args = args[n*cols:]
	}
	return nil
}

// entryColumns are the columns scanEntry reads, in its order.
const entryColumns = "idx, at_us, actor, action, client_id, record_ids, purpose, allowed, reason, hash"

// scanEntry reads one row of entryColumns into e and its stored leaf hash.
func scanEntry(rows *sql.Rows, e *Entry, hash *[]byte) error {
	var (
		at  int64
		ids string
	)
	if err := rows.Scan(&e.Index, &at, &e.Actor, &e.Action, &e.ClientID, &ids, &e.Purpose, &e.Allowed, &e.Reason, hash); err != nil {
		return err
	}
	e.At = timeFromMicro(at)
	e.RecordIDs = splitIDs(nil, ids)
	return nil
}

func timeFromMicro(us int64) time.Time { return time.UnixMicro(us).UTC() }

// splitIDs appends the space-separated ids in s to dst. Like strings.Split
// it keeps empty pieces, so a stray space in the column shows up as an
// invalid (empty) id instead of being quietly dropped.
func splitIDs(dst []string, s string) []string {
	if s == "" {
		return dst
	}
	for {
		id, rest, more := strings.Cut(s, " ")
		dst = append(dst, id)
		if !more {
			return dst
		}
		s = rest
	}
}

// maxForClient caps ForClient's answer; a longer history is read in pages
// by a caller that needs it.
const maxForClient = 10000

// ForClient returns up to limit entries about clientID, newest first: who
// looked at or changed the client's records, and who was refused (P21).
// A limit outside 1…10,000 is taken as 10,000.
//
// Each entry is checked against its stored hash, so a row edited in place
// is reported (as a *VerifyError) rather than shown; a full check of the
// log, which also catches deleted rows, is Verify.
func (l *Log) ForClient(ctx context.Context, clientID string, limit int) ([]Entry, error) {
	if clientID == "" || !isID(clientID) {
		return nil, fmt.Errorf("%w: client id is not an id", ErrInvalidEntry)
	}
	if limit < 1 || limit > maxForClient {
		limit = maxForClient
	}
	rows, err := l.db.Query(ctx, "SELECT "+entryColumns+" FROM audit_entries WHERE client_id = ? ORDER BY idx DESC LIMIT ?", clientID, limit)
	if err != nil {
		return nil, fmt.Errorf("audit: for client: %w", err)
	}
	defer rows.Close()
	var (
		out  []Entry
		hash []byte
		buf  []byte
	)
	for rows.Next() {
		var e Entry
		if err := scanEntry(rows, &e, &hash); err != nil {
			return nil, fmt.Errorf("audit: for client: %w", err)
		}
		if err := validate(&e); err != nil {
			return nil, &VerifyError{Index: e.Index, Problem: "stored fields are not ids and codes"}
		}
		buf = encodeEntry(buf[:0], &e)
		if leaf := tlog.RecordHash(buf); !equalHash(leaf, hash) {
			return nil, &VerifyError{Index: e.Index, Problem: "stored fields do not match the entry's hash"}
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("audit: for client: %w", err)
	}
	return out, nil
}
