package gate

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/caseward/caseward/internal/access"
	"github.com/caseward/caseward/internal/gate/internal/keys"
	"github.com/caseward/caseward/internal/store"
)

// What search needs from the gate, without decrypting anything: which
// candidates found by blind index an actor may see, and whom to ask about
// candidates they may not (the intake check, P23).

// NormaliseName reduces a name to the form BlindIndex hashes: accents
// removed, case folded, one space between words. Search computes its
// tokens from it so that they agree with the index.
func NormaliseName(s string) string { return keys.Normalise(s) }

// NameTokens returns the distinct words of NormaliseName(name), in order.
func NameTokens(name string) []string { return keys.NameTokens(name) }

// ReachFilter returns, in their order, those of clientIDs that actor may
// open for act and purpose: the same decision OpenClients makes, taken
// without opening, auditing or decrypting anything, so that a search can
// drop candidates its blind indexes found outside the actor's reach before
// it opens any. Nothing personal is read, so nothing is recorded; the
// candidates that remain are opened through OpenClients, which decides
// again and records each. Ids that are malformed or unknown are left out.
func (g *Gate) ReachFilter(ctx context.Context, actor access.Actor, clientIDs []string, purpose access.Purpose, act access.Action) ([]string, error) {
	ids := validIDs(clientIDs)
	if len(ids) == 0 {
		return nil, nil
	}
	var subjects map[string]access.Subject
	var err error
	if actor.Role == access.DPO {
		// The DPO's decisions do not depend on links, only on the client
		// existing.
		subjects, err = g.subjects(ctx, padIDs(ids))
	} else {
		// Everyone else's depend on the links alone: a client without any
		// is out of their reach.
		subjects, err = g.linksOf(ctx, ids)
	}
	if err != nil {
		return nil, fmt.Errorf("reach filter: %w", err)
	}
	var out []string
	for _, id := range ids {
		s, ok := subjects[id]
		if ok && access.Decide(actor, s, act, purpose).Allowed {
			out = append(out, id)
		}
	}
	return out, nil
}

// linksOf reads the links of the clients that have any, from gate_links
// alone: lighter than subjects, for the long lists a search filters.
func (g *Gate) linksOf(ctx context.Context, ids []string) (map[string]access.Subject, error) {
	out := make(map[string]access.Subject, len(ids))
	for start := 0; start < len(ids); start += subjectChunk {
		args := padded(ids[start:min(start+subjectChunk, len(ids))])
		rows, err := g.db.Query(ctx, `SELECT l.client_id, l.service_id, l.worker_id, COALESCE(sv.caseload_shared, 0)
			FROM gate_links l LEFT JOIN services sv ON sv.id = l.service_id
			WHERE l.client_id IN (`+marksFor(len(args))+`)`, args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var id string
			var l access.Link
			var shared int64
			if err := rows.Scan(&id, &l.ServiceID, &l.WorkerID, &shared); err != nil {
				rows.Close()
				return nil, err
			}
			l.Shared = shared != 0
			s := out[id]
			s.ClientID = id
			s.Links = append(s.Links, l)
			out[id] = s
		}
		if err := rows.Close(); err != nil {
			return nil, err
		}
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Whom is what the gate tells the intake check about clients found by
// blind index across the whole organisation.
type Whom struct {
	// Links are the services and workers the clients are linked to, each
	// pair once, sorted, with nothing saying which client a pair belongs
	// to, nor how many clients there are.
	Links []access.Link
	// Unlinked reports that one of them has no open work anywhere (their
	// record is held, but no service has them now).
	Unlinked bool
	// InReach reports that the actor may already open one of them (for
	// ViewContact and the purpose given), so a search would find them.
	InReach bool
}

// WhomToAsk answers the intake check's "who should I ask?" about clients
// found by blind index, without opening, auditing or decrypting anything
// (the intake check records its own audit entry, with no client id).
// Shredded clients count for nothing.
func (g *Gate) WhomToAsk(ctx context.Context, actor access.Actor, purpose access.Purpose, clientIDs []string) (Whom, error) {
	var w Whom
	ids := validIDs(clientIDs)
	if len(ids) == 0 {
		return w, nil
	}
	shredded, err := g.shredded(ctx, ids)
	if err != nil {
		return w, fmt.Errorf("whom to ask: %w", err)
	}
	subjects, err := g.subjects(ctx, padIDs(ids))
	if err != nil {
		return w, fmt.Errorf("whom to ask: %w", err)
	}
	seen := map[access.Link]bool{}
	for id, s := range subjects {
		if shredded[id] {
			continue
		}
		if len(s.Links) == 0 {
			w.Unlinked = true
		}
		w.InReach = w.InReach || access.Decide(actor, s, access.ViewContact, purpose).Allowed
		for _, l := range s.Links {
			l.Shared = false
			if !seen[l] {
				seen[l] = true
				w.Links = append(w.Links, l)
			}
		}
	}
	slices.SortFunc(w.Links, func(a, b access.Link) int {
		return cmp.Or(cmp.Compare(a.ServiceID, b.ServiceID), cmp.Compare(a.WorkerID, b.WorkerID))
	})
	return w, nil
}

// shredded reports which of ids are in the shred journal.
func (g *Gate) shredded(ctx context.Context, ids []string) (map[string]bool, error) {
	out := map[string]bool{}
	for start := 0; start < len(ids); start += subjectChunk {
		part := ids[start:min(start+subjectChunk, len(ids))]
		args := padded(part)
		rows, err := g.db.Query(ctx, "SELECT client_id FROM gate_shred_journal WHERE client_id IN ("+marksFor(len(args))+")", args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, err
			}
			out[id] = true
		}
		if err := rows.Close(); err != nil {
			return nil, err
		}
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// subjectChunk is how many ids one IN list holds.
const subjectChunk = 500

// padIDs repeats the last of ids up to the next of a few fixed lengths
// (8, 32, 128, then multiples of subjectChunk), so that the IN lists of
// queries over many different numbers of ids share a handful of prepared
// statements instead of filling the statement cache. Repeats change no
// answer.
func padIDs(ids []string) []string {
	n := 8
	for n < len(ids) && n < subjectChunk {
		n *= 4
	}
	if n >= subjectChunk {
		n = (len(ids) + subjectChunk - 1) / subjectChunk * subjectChunk
	}
	out := make([]string, n)
	for i := range out {
		out[i] = ids[min(i, len(ids)-1)]
	}
	return out
}

// padded is padIDs as query arguments.
func padded(ids []string) []any {
	p := padIDs(ids)
	args := make([]any, len(p))
	for i, id := range p {
		args[i] = id
	}
	return args
}

func marksFor(n int) string { return strings.Repeat(",?", n)[1:] }

// validIDs returns the well-formed ids, each once, in order.
func validIDs(ids []string) []string {
	out := make([]string, 0, len(ids))
	seen := make(map[string]bool, len(ids))
	for _, id := range ids {
		if store.ValidID(id) && !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}
