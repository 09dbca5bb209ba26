package audit

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/caseward/caseward/internal/store"
	"golang.org/x/mod/sumdb/tlog"
)

// VerifyError is the first problem Verify found in the log.
type VerifyError struct {
	// Index is the first entry found bad: missing, edited, out of place, or
	// with a stored hash that does not match. It is -1 when the problem is
	// with the log as a whole (its signed head or a checkpoint) and no
	// single entry can be named, as when the whole tree has been rewritten.
	Index   int64
	Problem string
}

// Error names the entry (when there is one) and the problem; it never
// quotes a stored value.
func (e *VerifyError) Error() string {
	if e.Index < 0 {
		return "audit: log fails verification: " + e.Problem
	}
	return fmt.Sprintf("audit: log fails verification at entry %d: %s", e.Index, e.Problem)
}

// Summary describes a log that passed Verify.
type Summary struct {
	Entries int64  // number of entries
	Root    string // the Merkle tree's root hash, base64
}

// String returns a one-line description, fit for a log line or a page,
// such as "1000000 entries, root U8c+IyQu…=".
func (s Summary) String() string {
	return fmt.Sprintf("%d entries, root %s", s.Entries, s.Root)
}

// Verify checks the whole log and returns a *VerifyError naming the first
// bad entry if it finds tampering; other errors mean it could not finish.
// It checks that the entries run from 0 without a gap, that each entry's
// stored fields encode to its leaf hash, that every stored tree hash
// matches the tree recomputed from the entries, that every kept checkpoint
// is signed by the log's key and matches the tree at its size, and that the
// head's root matches and its signature verifies. On success it keeps the
// head as a checkpoint, so a later rewrite of what was verified today shows.
//
// It reads entries and hashes as two ordered streams and rebuilds the tree
// in memory, so it needs neither memory nor queries in proportion to the
// log. Appends may continue meanwhile: Verify checks the log up to the head
// it read first.
func (l *Log) Verify(ctx context.Context) (Summary, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	var (
		size     int64
		rootCol  []byte
		headCkpt string
	)
	err := l.db.QueryRow(ctx, "SELECT size, root, checkpoint FROM audit_head WHERE id = 1").Scan(&size, &rootCol, &headCkpt)
	if errors.Is(err, sql.ErrNoRows) {
		return Summary{}, &VerifyError{Index: -1, Problem: "the head row is missing"}
	}
	if err != nil {
		return Summary{}, fmt.Errorf("audit: verify: read head: %w", err)
	}
	ckpts, err := l.checkpointsUpTo(ctx, size)
	if err != nil {
		return Summary{}, err
	}

	hashes := l.streamHashes(ctx, tlog.StoredHashCount(size))
	defer func() {
		cancel()
		for range hashes { // let the reader finish so its rows are closed
		}
	}()
	var (
		batch hashBatch
		pos   int
		nextN int64 // stored-hash index expected next
	)
	nextHash := func() (r hashRow, ok bool, err error) {
		for pos == len(batch.rows) {
			if batch.err != nil {
				return hashRow{}, false, batch.err
			}
			if batch, ok = <-hashes; !ok {
				return hashRow{}, false, nil
			}
			pos = 0
		}
		pos++
		return batch.rows[pos-1], true, nil
	}

	rows, err := l.db.Query(ctx, "SELECT "+entryColumns+" FROM audit_entries WHERE idx < ? ORDER BY idx", size)
	if err != nil {
		return Summary{}, fmt.Errorf("audit: verify: %w", err)
	}
	defer rows.Close()
	var (
		f    frontier
		e    Entry
		hash sql.RawBytes
		buf  []byte
	)
	// A checkpoint of the empty log (from a Verify before the first entry).
	for len(ckpts) > 0 && ckpts[0].size <= 0 {
		if err := l.checkCheckpoint(&f, ckpts[0]); err != nil {
			return Summary{}, err
		}
		ckpts = ckpts[1:]
	}
	for rows.Next() {
		i := f.n
		if err := scanEntryRaw(rows, &e, &hash); err != nil {
			// Rows.Next has already read the row; a Scan error is a value
			// of the wrong type, which only an edit outside the log makes.
			// The driver's message is left out: it quotes the value, and
			// that value may be exactly what must not reach a log.
			return Summary{}, &VerifyError{Index: i, Problem: "the stored row cannot be read (a column holds a value of the wrong type)"}
		}
		if e.Index != i {
			return Summary{}, &VerifyError{Index: i, Problem: fmt.Sprintf("entry is missing (the next entry stored is %d)", e.Index)}
		}
		if err := validate(&e); err != nil {
			return Summary{}, &VerifyError{Index: i, Problem: "stored fields are not ids and codes"}
		}
		buf = encodeEntry(buf[:0], &e)
		leaf := tlog.RecordHash(buf)
		if !equalHash(leaf, hash) {
			return Summary{}, &VerifyError{Index: i, Problem: "stored fields do not match the entry's hash"}
		}
		hs, err := f.add(leaf)
		if err != nil {
			return Summary{}, err
		}
		for _, h := range hs {
			r, ok, err := nextHash()
			if errors.Is(err, errUnreadableHash) {
				return Summary{}, &VerifyError{Index: i, Problem: fmt.Sprintf("stored hash %d cannot be read", nextN)}
			}
			if err != nil {
				return Summary{}, fmt.Errorf("audit: verify: %w", err)
			}
			if !ok || r.n != nextN {
				return Summary{}, &VerifyError{Index: i, Problem: fmt.Sprintf("stored hash %d is missing", nextN)}
			}
			if r.bad || r.h != h {
				return Summary{}, &VerifyError{Index: i, Problem: fmt.Sprintf("stored hash %d does not match the tree", nextN)}
			}
			nextN++
		}
		for len(ckpts) > 0 && ckpts[0].size <= f.n {
			if err := l.checkCheckpoint(&f, ckpts[0]); err != nil {
				return Summary{}, err
			}
			ckpts = ckpts[1:]
		}
	}
	if err := rows.Err(); err != nil {
		return Summary{}, fmt.Errorf("audit: verify: %w", err)
	}
	if f.n < size {
		return Summary{}, &VerifyError{Index: f.n, Problem: fmt.Sprintf("entry is missing (the head says there are %d)", size)}
	}

	if err := l.checkTail(ctx); err != nil {
		return Summary{}, err
	}
	root, err := f.root()
	if err != nil {
		return Summary{}, err
	}
	if !equalHash(root, rootCol) {
		return Summary{}, &VerifyError{Index: -1, Problem: "the head's root does not match the entries"}
	}
	n, signed, err := openCheckpoint(l.verifier, headCkpt)
	if err != nil {
		return Summary{}, &VerifyError{Index: -1, Problem: "the head's checkpoint: " + err.Error()}
	}
	if n != size || signed != root {
		return Summary{}, &VerifyError{Index: -1, Problem: "the head's signed checkpoint does not match the entries"}
	}

	// Keep what was verified. Verify may run at the same size twice; the
	// checkpoint is the same (it holds no time), so only the time changes.
	now := l.now().UnixMicro()
	err = l.db.Tx(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO audit_checkpoints (size, root, checkpoint, made_us, verified_us)
			VALUES (?, ?, ?, ?, ?) ON CONFLICT (size) DO UPDATE SET verified_us = excluded.verified_us`,
			size, root[:], headCkpt, now, now)
		return err
	})
	if err != nil {
		return Summary{}, fmt.Errorf("audit: verify: keep checkpoint: %w", err)
	}
	return Summary{Entries: size, Root: root.String()}, nil
}

// checkTail looks for entries or hashes past the head. Appends write them
// in the same transaction as the head, so any there were written some other
// way. Head and maxima are read in one statement, so an append committing
// meanwhile cannot make a false alarm.
func (l *Log) checkTail(ctx context.Context) error {
	var size, maxIdx, maxN int64
	err := l.db.QueryRow(ctx, `SELECT
		(SELECT size FROM audit_head WHERE id = 1),
		(SELECT COALESCE(MAX(idx), -1) FROM audit_entries),
		(SELECT COALESCE(MAX(n), -1) FROM audit_hashes)`).Scan(&size, &maxIdx, &maxN)
	if err != nil {
		return fmt.Errorf("audit: verify: %w", err)
	}
	if maxIdx >= size {
		return &VerifyError{Index: size, Problem: "entry stored past the signed head"}
	}
	if maxN >= tlog.StoredHashCount(size) {
		return &VerifyError{Index: size, Problem: "hash stored past the signed head"}
	}
	return nil
}

type checkpointRow struct {
	size int64
	root []byte
	text string
}

// checkpointsUpTo reads the kept checkpoints for trees of at most size
// entries, smallest first. There is one per thousand entries, so they fit
// in memory.
func (l *Log) checkpointsUpTo(ctx context.Context, size int64) ([]checkpointRow, error) {
	rows, err := l.db.Query(ctx, "SELECT size, root, checkpoint FROM audit_checkpoints WHERE size <= ? ORDER BY size", size)
	if err != nil {
		return nil, fmt.Errorf("audit: verify: read checkpoints: %w", err)
	}
	defer rows.Close()
	var out []checkpointRow
	for rows.Next() {
		var c checkpointRow
		if err := rows.Scan(&c.size, &c.root, &c.text); err != nil {
			return nil, fmt.Errorf("audit: verify: read checkpoints: %w", err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("audit: verify: read checkpoints: %w", err)
	}
	return out, nil
}

// checkCheckpoint checks c against the tree in f, which has c.size entries.
func (l *Log) checkCheckpoint(f *frontier, c checkpointRow) error {
	bad := func(p string) error {
		return &VerifyError{Index: -1, Problem: fmt.Sprintf("checkpoint at %d entries: %s", c.size, p)}
	}
	n, signed, err := openCheckpoint(l.verifier, c.text)
	if err != nil {
		return bad(err.Error())
	}
	root, err := f.root()
	if err != nil {
		return err
	}
	if n != c.size || !equalHash(signed, c.root) {
		return bad("the signed tree differs from the row")
	}
	if signed != root {
		return bad("does not match the tree (the history before it was rewritten)")
	}
	return nil
}

// errUnreadableHash marks a stored hash row whose index is not a number,
// which only an edit outside the log makes.
var errUnreadableHash = errors.New("stored hash row cannot be read")

type hashRow struct {
	n   int64
	h   tlog.Hash
	bad bool // the stored value was not a hash at all
}

type hashBatch struct {
	rows []hashRow
	err  error
}

// streamHashes reads the first count stored hashes in index order on a
// goroutine of its own, in batches, so that reading them overlaps with
// reading and hashing the entries.
func (l *Log) streamHashes(ctx context.Context, count int64) <-chan hashBatch {
	const batchSize = 4096
	out := make(chan hashBatch, 4)
	go func() {
		defer close(out)
		send := func(b hashBatch) bool {
			select {
			case out <- b:
				return true
			case <-ctx.Done():
				return false
			}
		}
		rows, err := l.db.Query(ctx, "SELECT n, hash FROM audit_hashes WHERE n < ? ORDER BY n", count)
		if err != nil {
			send(hashBatch{err: err})
			return
		}
		defer rows.Close()
		b := make([]hashRow, 0, batchSize)
		var raw sql.RawBytes
		for rows.Next() {
			var r hashRow
			if err := rows.Scan(&r.n, &raw); err != nil {
				send(hashBatch{rows: b, err: errUnreadableHash})
				return
			}
			if len(raw) == len(r.h) {
				copy(r.h[:], raw)
			} else {
				r.bad = true
			}
			b = append(b, r)
			if len(b) == batchSize {
				if !send(hashBatch{rows: b}) {
					return
				}
				b = make([]hashRow, 0, batchSize)
			}
		}
		send(hashBatch{rows: b, err: rows.Err()})
	}()
	return out
}

// scanEntryRaw is scanEntry for Verify's hot loop: the hash is read
// without a copy, valid until the next row.
func scanEntryRaw(rows *sql.Rows, e *Entry, hash *sql.RawBytes) error {
	var (
		at  int64
		ids string
	)
	if err := rows.Scan(&e.Index, &at, &e.Actor, &e.Action, &e.ClientID, &ids, &e.Purpose, &e.Allowed, &e.Reason, hash); err != nil {
		return err
	}
	e.At = timeFromMicro(at)
	e.RecordIDs = splitIDs(e.RecordIDs[:0], ids)
	return nil
}
