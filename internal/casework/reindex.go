package casework

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/caseward/caseward/internal/access"
	"github.com/caseward/caseward/internal/store"
)

// ReindexBatch is how many clients one step of Reindex opens, and rewrites
// the index rows of in one transaction, unless told otherwise.
const ReindexBatch = 500

// ReindexResult counts what Reindex did.
type ReindexResult struct {
	// Indexed is how many clients' rows were rebuilt from their record.
	Indexed int
	// Erased is how many shredded clients were passed over, any rows of
	// theirs deleted (a restore of the data from before their erasure
	// brings rows back).
	Erased int
	// Skipped is how many clients the actor could not open: none, for
	// the installation's own actor.
	Skipped int
}

// Done is how many clients Reindex has been through.
func (r ReindexResult) Done() int { return r.Indexed + r.Erased + r.Skipped }

// Reindex rebuilds every client's search index from their sealed record:
// for clients recorded before the index existed, after a change to what it
// holds, or after a restore. It goes through the clients in batches of
// batch (ReindexBatch when 0 or less, 1024 at most): each batch is opened
// through the gate by actor for access.Maintenance (the installation
// itself, access.System; an audit entry per client, as for any opening),
// decrypted, and its rows rewritten in one transaction. Running it again
// changes nothing.
//
// It may run while the server does. A part of a record saved since the
// batch read it is left as its own save indexed it, and a client shredded
// meanwhile keeps no rows (gate.Shredded orders the two). progress, when
// not nil, is called after each batch with the count so far.
func (cw *Casework) Reindex(ctx context.Context, actor access.Actor, batch int, progress func(ReindexResult)) (ReindexResult, error) {
	if batch <= 0 {
		batch = ReindexBatch
	}
	// A whole rebuild answers what migrations asked for before it began
	// (ReindexPending), whoever runs it.
	pending, err := cw.pendingReasons(ctx)
	if err != nil {
		return ReindexResult{}, err
	}
	var res ReindexResult
	after := ""
	for {
		ids, err := cw.clientIDsAfter(ctx, after, min(batch, 1024))
		if err != nil {
			return res, err
		}
		if len(ids) == 0 {
			return res, cw.forgetPending(ctx, pending)
		}
		done, err := cw.reindexBatch(ctx, actor, ids)
		if err != nil {
			return res, err
		}
		res.Indexed += done.Indexed
		res.Erased += done.Erased
		res.Skipped += done.Skipped
		after = ids[len(ids)-1]
		if progress != nil {
			progress(res)
		}
	}
}

// clientIDsAfter lists up to n client ids after the id given, in order.
func (cw *Casework) clientIDsAfter(ctx context.Context, after string, n int) ([]string, error) {
	rows, err := cw.db.Query(ctx, "SELECT id FROM clients WHERE id > ? ORDER BY id LIMIT ?", after, n)
	if err != nil {
		return nil, fmt.Errorf("reindex: %w", err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("reindex: %w", err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reindex: %w", err)
	}
	return ids, nil
}

// indexSource is what a client's index is made from, as read, with the
// versions of the two parts it comes from and the services the client
// was linked to when opened.
type indexSource struct {
	names                        validClient
	contact                      Contact
	namesVersion, contactVersion int64
	services                     []string
}

func (cw *Casework) reindexBatch(ctx context.Context, actor access.Actor, ids []string) (ReindexResult, error) {
	var res ReindexResult
	handles, err := cw.gate.OpenClients(ctx, actor, ids, access.Maintenance, access.ViewContact)
	if err != nil {
		return res, fmt.Errorf("reindex: %w", err)
	}
	sources := make(map[string]indexSource, len(handles))
	marks, args := store.InList(ids)
	rows, err := cw.db.Query(ctx, `SELECT id, given_name, family_name, date_of_birth, other_names, contact, names_version, contact_version
		FROM clients WHERE id IN (`+marks+`)`, args...)
	if err != nil {
		return res, fmt.Errorf("reindex: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var given, family, dob, other, contact []byte
		var src indexSource
		if err := rows.Scan(&id, &given, &family, &dob, &other, &contact, &src.namesVersion, &src.contactVersion); err != nil {
			return res, fmt.Errorf("reindex: %w", err)
		}
		h := handles[id]
		if h == nil {
			continue // shredded, or not the actor's to open
		}
		fail := func(err error) (ReindexResult, error) { return res, fmt.Errorf("reindex client %s: %w", id, err) }
		if src.names.givenName, err = h.OpenString(clientsTable, "given_name", id, given); err != nil {
			return fail(err)
		}
		if src.names.familyName, err = h.OpenString(clientsTable, "family_name", id, family); err != nil {
			return fail(err)
		}
		d, err := h.OpenString(clientsTable, "date_of_birth", id, dob)
		if err != nil {
			return fail(err)
		}
		src.names.dateOfBirth, _ = time.Parse(DateLayout, d) // unparsable: not known, as search takes it
		if other != nil {
			b, err := h.Open(clientsTable, "other_names", id, other)
			if err != nil {
				return fail(err)
			}
			if err := json.Unmarshal(b, &src.names.other); err != nil {
				return fail(err)
			}
		}
		if err := openPart(h, PartContact, contact, &src.contact); err != nil {
			return fail(err)
		}
		src.services = h.Subject().ServiceIDs()
		sources[id] = src
	}
	if err := rows.Err(); err != nil {
		return res, fmt.Errorf("reindex: %w", err)
	}

	err = cw.db.Tx(ctx, func(tx *store.Tx) error {
		res = ReindexResult{}
		// Locked, as a save locks its client's row: a save either commits
		// before (and its versions show it) or waits for this batch.
		current := make(map[string][2]int64, len(ids))
		rows, err := tx.Query(ctx, "SELECT id, names_version, contact_version FROM clients WHERE id IN ("+marks+") ORDER BY id"+tx.ForUpdate(), args...)
		if err != nil {
			return err
		}
		for rows.Next() {
			var id string
			var v [2]int64
			if err := rows.Scan(&id, &v[0], &v[1]); err != nil {
				rows.Close()
				return err
			}
			current[id] = v
		}
		if err := rows.Close(); err != nil {
			return err
		}
		if err := rows.Err(); err != nil {
			return err
		}
		shredded, err := cw.gate.Shredded(ctx, tx, ids)
		if err != nil {
			return err
		}
		for _, id := range ids {
			src, ok := sources[id]
			switch {
			case shredded[id]:
				if err := cw.DeleteIndexes(ctx, tx, id); err != nil {
					return err
				}
				res.Erased++
			case !ok:
				res.Skipped++
			default:
				var names *validClient
				if current[id][0] == src.namesVersion {
					names = &src.names
				}
				parts := validParts{}
				if current[id][1] == src.contactVersion {
					parts[PartContact] = src.contact
				}
				scopes, err := reindexScopes(ctx, tx, id, src.services)
				if err != nil {
					return err
				}
				if err := cw.indexClient(ctx, tx, id, scopes, names, parts); err != nil {
					return err
				}
				res.Indexed++
			}
		}
		return nil
	})
	if err != nil {
		return ReindexResult{}, fmt.Errorf("reindex: %w", err)
	}
	return res, nil
}

// reindexScopes are the scopes to rebuild a client's rows in: those their
// rows have, which relinking keeps in step with their links in its own
// transaction; or, for a client with no rows (recorded before the index,
// or lost), the services they were linked to when the batch opened them.
// A relink between the two can leave such a client's new rows in the old
// services, until the client is next relinked.
func reindexScopes(ctx context.Context, tx *store.Tx, clientID string, services []string) ([]string, error) {
	scopes, err := indexScopes(ctx, tx, clientID)
	if err != nil || len(services) == 0 || !slices.Equal(scopes, []string{orgScope}) {
		return scopes, err
	}
	scopes = slices.Clone(services)
	slices.Sort(scopes)
	return scopes, nil
}

// ReindexPending rebuilds the index (Reindex) when a migration has said
// that the index needs what only a rebuild can give it (the table
// search_reindex_pending), and then forgets the reasons it answered. It
// reports whether it rebuilt. The server calls it at start, before it
// serves: until the rebuild, the intake check and search could miss
// clients recorded before the upgrade.
func (cw *Casework) ReindexPending(ctx context.Context, actor access.Actor, progress func(ReindexResult)) (ReindexResult, bool, error) {
	reasons, err := cw.pendingReasons(ctx)
	if err != nil || len(reasons) == 0 {
		return ReindexResult{}, false, err
	}
	res, err := cw.Reindex(ctx, actor, 0, progress)
	return res, err == nil, err
}

// pendingReasons lists what migrations have asked a rebuild for.
func (cw *Casework) pendingReasons(ctx context.Context) ([]string, error) {
	rows, err := cw.db.Query(ctx, "SELECT reason FROM search_reindex_pending ORDER BY reason")
	if err != nil {
		return nil, fmt.Errorf("pending reindex: %w", err)
	}
	defer rows.Close()
	var reasons []string
	for rows.Next() {
		var r string
		if err := rows.Scan(&r); err != nil {
			return nil, fmt.Errorf("pending reindex: %w", err)
		}
		reasons = append(reasons, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("pending reindex: %w", err)
	}
	return reasons, nil
}

// forgetPending deletes the reasons a finished rebuild has answered; any
// written since it began stay for the next.
func (cw *Casework) forgetPending(ctx context.Context, reasons []string) error {
	if len(reasons) == 0 {
		return nil
	}
	marks, args := store.InList(reasons)
	err := cw.db.Tx(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, "DELETE FROM search_reindex_pending WHERE reason IN ("+marks+")", args...)
		return err
	})
	if err != nil {
		return fmt.Errorf("pending reindex: %w", err)
	}
	return nil
}
