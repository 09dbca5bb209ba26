// Package gate is the only way to a client's personal data. Opening a client
// takes the actor, the client and a purpose; the gate asks package access
// for a decision, commits an audit entry recording it, and only then hands
// back a Handle that can decrypt that client's fields.
//
// The keys live in gate/internal/keys, which the Go compiler lets no package
// outside gate import: domain packages have no other way to decryption.
package gate

import (
	"context"
	"crypto/ed25519"
	"crypto/hkdf"
	"crypto/sha256"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"time"

	"github.com/caseward/caseward/internal/access"
	"github.com/caseward/caseward/internal/audit"
	"github.com/caseward/caseward/internal/gate/internal/keys"
	"github.com/caseward/caseward/internal/store"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// ErrNotFound is returned both when a client does not exist and when the
// actor may not see them, so that the answer never reveals that someone is
// a client (P23).
var ErrNotFound = errors.New("client not found")

// ErrForbidden is returned when an actor may not create a client in a
// service, or may not change a record they opened for reading.
var ErrForbidden = errors.New("not allowed")

// ErrShredded is returned when a client's key has been destroyed.
var ErrShredded = keys.ErrShredded

// ErrRootKey is returned by Open when the root key is missing or wrong.
var ErrRootKey = keys.ErrRootKey

// Options configures a Gate.
type Options struct {
	RootKeyFile string           // default <data dir>/root.key
	Now         func() time.Time // default time.Now
}

// Gate combines access decisions, the audit log and the keys.
type Gate struct {
	db    *store.DB
	keys  *keys.Keyring
	audit *audit.Log
	now   func() time.Time
}

// Open opens the key store at loc, the audit log in db, and replays the
// shred journal. The services table (package staff) must already exist in db.
func Open(ctx context.Context, db *store.DB, loc store.Location, opts Options) (*Gate, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	sub, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		return nil, err
	}
	if err := db.Migrate(ctx, "gate", sub); err != nil {
		return nil, err
	}
	kr, err := keys.Open(ctx, loc, keys.Options{RootKeyFile: opts.RootKeyFile, Now: opts.Now})
	if err != nil {
		return nil, err
	}
	log, err := audit.New(ctx, db, kr.AuditSigningKey(), opts.Now)
	if err != nil {
		kr.Close()
		return nil, err
	}
	g := &Gate{db: db, keys: kr, audit: log, now: opts.Now}
	if err := g.replayShreds(ctx); err != nil {
		kr.Close()
		return nil, err
	}
	return g, nil
}

// Close closes the key store. The data store belongs to the caller.
func (g *Gate) Close() error { return g.keys.Close() }

// Audit returns the audit log, for recording events that are not a client
// opening (sign-in, account changes) and for verification.
func (g *Gate) Audit() *audit.Log { return g.audit }

// AuditPublicKey returns the key that verifies audit checkpoints.
func (g *Gate) AuditPublicKey() ed25519.PublicKey {
	return g.keys.AuditSigningKey().Public().(ed25519.PublicKey)
}

// RotateRootKey replaces the root key and re-wraps every client's data key
// with it. No personal data is re-encrypted.
func (g *Gate) RotateRootKey(ctx context.Context) error { return g.keys.RotateRoot(ctx) }

// BlindIndex returns the keyed, truncated hash of a normalised value, for
// organisation-wide look-ups that must not reveal the value ("do we
// already know this person?").
func (g *Gate) BlindIndex(kind, value string) string { return g.keys.BlindIndex(kind, value) }

// subject reads what the gate needs to decide, without decrypting.
func (g *Gate) subject(ctx context.Context, clientID string) (access.Subject, error) {
	subjects, err := g.subjects(ctx, []string{clientID})
	if err != nil {
		return access.Subject{}, err
	}
	s, ok := subjects[clientID]
	if !ok {
		return s, ErrNotFound
	}
	return s, nil
}

// subjects reads the subjects of several clients in one query; clients that
// do not exist are absent from the map.
func (g *Gate) subjects(ctx context.Context, clientIDs []string) (map[string]access.Subject, error) {
	out := make(map[string]access.Subject, len(clientIDs))
	const chunk = 500
	for start := 0; start < len(clientIDs); start += chunk {
		marks, args := store.InList(clientIDs[start:min(start+chunk, len(clientIDs))])
		rows, err := g.db.Query(ctx, `SELECT s.client_id, COALESCE(l.service_id, ''), COALESCE(l.worker_id, ''), COALESCE(sv.caseload_shared, 0)
			FROM gate_subjects s
			LEFT JOIN gate_links l ON l.client_id = s.client_id
			LEFT JOIN services sv ON sv.id = l.service_id
			WHERE s.client_id IN (`+marks+`)
			ORDER BY s.client_id, l.created_at, l.service_id, l.worker_id`, args...)
		if err != nil {
			return nil, fmt.Errorf("read subjects: %w", err)
		}
		for rows.Next() {
			var id string
			var l access.Link
			var shared int64
			if err := rows.Scan(&id, &l.ServiceID, &l.WorkerID, &shared); err != nil {
				rows.Close()
				return nil, fmt.Errorf("read subjects: %w", err)
			}
			s := out[id]
			s.ClientID = id
			if l.ServiceID != "" && !containsLink(s.Links, l.ServiceID, l.WorkerID) {
				l.Shared = shared != 0
				s.Links = append(s.Links, l)
			}
			out[id] = s
		}
		if err := rows.Close(); err != nil {
			return nil, err
		}
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("read subjects: %w", err)
		}
	}
	return out, nil
}

// SetLinks replaces the client's links to services and workers, inside the
// caller's transaction (casework calls it when a case is opened, closed or
// handed over, from within Handle.Update). Duplicates are ignored.
func (h *Handle) SetLinks(ctx context.Context, tx *store.Tx, links []access.Link) error {
	if h.action != access.Edit {
		return ErrForbidden
	}
	id := h.subject.ClientID
	if _, err := tx.Exec(ctx, "DELETE FROM gate_links WHERE client_id = ?", id); err != nil {
		return fmt.Errorf("set links: %w", err)
	}
	now := h.g.now().UTC().UnixMicro()
	for i, l := range links {
		if _, err := tx.Exec(ctx, "INSERT INTO gate_links (client_id, service_id, worker_id, created_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
			id, l.ServiceID, l.WorkerID, now+int64(i)); err != nil {
			return fmt.Errorf("set links: %w", err)
		}
	}
	return nil
}

// OpenClient decides whether actor may perform act on the client for
// purpose, commits the audit entry, and returns a Handle for the client's
// fields. A client that does not exist and a client the actor may not see
// give the same ErrNotFound after the same work, and both are audited.
func (g *Gate) OpenClient(ctx context.Context, actor access.Actor, clientID string, purpose access.Purpose, act access.Action) (*Handle, error) {
	entry := audit.Entry{
		Actor:    actor.UserID,
		Action:   "client." + string(act),
		ClientID: clientID,
		Purpose:  string(purpose),
	}
	var (
		subject  access.Subject
		decision access.Decision
	)
	if !store.ValidID(clientID) {
		// Never write what was typed into the audit log: it could be a name.
		entry.ClientID = ""
		decision = access.Decision{Reason: "malformed-id"}
	} else if s, err := g.subject(ctx, clientID); errors.Is(err, ErrNotFound) {
		decision = access.Decision{Reason: "no-such-client"}
		// Decide anyway, so that a missing client costs what a present one does.
		access.Decide(actor, access.Subject{ClientID: clientID, Links: []access.Link{{}}}, act, purpose)
	} else if err != nil {
		return nil, fmt.Errorf("open client: %w", err)
	} else {
		subject = s
		decision = access.Decide(actor, s, act, purpose)
	}
	entry.Allowed, entry.Reason = decision.Allowed, decision.Reason
	if _, err := g.audit.Record(ctx, entry); err != nil {
		return nil, fmt.Errorf("open client: audit: %w", err)
	}
	if !decision.Allowed {
		return nil, ErrNotFound
	}
	c, err := g.keys.Client(ctx, clientID)
	if err != nil {
		return nil, fmt.Errorf("open client: %w", err)
	}
	return &Handle{g: g, actor: actor, subject: subject, purpose: purpose, action: act, cipher: c}, nil
}

// CreateClient decides whether actor may add a client to serviceID (linked
// to the actor when a caseworker adds them), makes the client's data key, and in one transaction records the client, the
// audit entry and whatever write does with the new Handle. If anything
// fails, nothing is left behind.
func (g *Gate) CreateClient(ctx context.Context, actor access.Actor, serviceID string, purpose access.Purpose, write func(ctx context.Context, tx *store.Tx, h *Handle) error) (string, error) {
	clientID := store.NewID()
	entry := audit.Entry{Actor: actor.UserID, Action: "client." + string(access.Create), ClientID: clientID, Purpose: string(purpose)}
	var decision access.Decision
	var exists int
	switch err := store.NotFound(g.db.QueryRow(ctx, "SELECT 1 FROM services WHERE id = ?", serviceID).Scan(&exists)); {
	case errors.Is(err, store.ErrNotFound) || !store.ValidID(serviceID):
		decision = access.Decision{Reason: "no-such-service"}
	case err != nil:
		return "", fmt.Errorf("create client: %w", err)
	default:
		decision = access.Decide(actor, access.Subject{Links: []access.Link{{ServiceID: serviceID}}}, access.Create, purpose)
	}
	if !decision.Allowed {
		entry.Reason = decision.Reason
		if _, err := g.audit.Record(ctx, entry); err != nil {
			return "", fmt.Errorf("create client: audit: %w", err)
		}
		return "", ErrForbidden
	}
	entry.Allowed, entry.Reason = true, decision.Reason

	c, err := g.keys.NewClientKey(ctx, clientID)
	if err != nil {
		return "", fmt.Errorf("create client: %w", err)
	}
	link := access.Link{ServiceID: serviceID}
	if actor.Role == access.Caseworker {
		// A caseworker who records a client works with them until someone
		// hands the work over.
		link.WorkerID = actor.UserID
	}
	subject := access.Subject{ClientID: clientID, Links: []access.Link{link}}
	h := &Handle{g: g, actor: actor, subject: subject, purpose: purpose, action: access.Create, cipher: c}
	err = g.db.Tx(ctx, func(tx *store.Tx) error {
		now := g.now().UTC().UnixMicro()
		if _, err := tx.Exec(ctx, "INSERT INTO gate_subjects (client_id, created_at) VALUES (?, ?)", clientID, now); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "INSERT INTO gate_links (client_id, service_id, worker_id, created_at) VALUES (?, ?, ?, ?)",
			clientID, link.ServiceID, link.WorkerID, now); err != nil {
			return err
		}
		if err := write(ctx, tx, h); err != nil {
			return err
		}
		// Last in the transaction: on PostgreSQL the append holds the audit
		// head's lock until commit, and every audited write waits for it.
		if _, err := g.audit.Append(ctx, tx, entry); err != nil {
			return fmt.Errorf("audit: %w", err)
		}
		return nil
	})
	if err != nil {
		// The key of a client that was never written protects nothing.
		_ = g.keys.Shred(context.WithoutCancel(ctx), clientID)
		return "", fmt.Errorf("create client: %w", err)
	}
	return clientID, nil
}

// ShredClient destroys the client's data key, so every field of theirs is
// unreadable in every copy of the data, backups included. Only the DPO may,
// answering a rights request. The journal entry is written to the data
// database first, so a crash between the two steps is repaired at the next
// start.
//
// erase (when not nil) removes what the domain keeps in clear that was
// derived from the client's sealed fields (casework's search index), in
// the transaction that writes the journal entry: the two commit together
// or not at all, so a crash can leave only the key to be destroyed, which
// the next start does. Casework's EraseClient is the way to call it.
func (g *Gate) ShredClient(ctx context.Context, actor access.Actor, clientID string, erase func(ctx context.Context, tx *store.Tx) error) error {
	if !store.ValidID(clientID) {
		return ErrNotFound
	}
	entry := audit.Entry{Actor: actor.UserID, Action: "client.shred", ClientID: clientID, Purpose: string(access.RightsRequest)}
	if actor.Role != access.DPO {
		entry.Reason = "not-dpo"
		if _, err := g.audit.Record(ctx, entry); err != nil {
			return fmt.Errorf("shred client: audit: %w", err)
		}
		return ErrForbidden
	}
	if _, err := g.subject(ctx, clientID); err != nil {
		return err
	}
	entry.Allowed, entry.Reason = true, "dpo-rights-request"
	err := g.db.Tx(ctx, func(tx *store.Tx) error {
		// The subject's lock orders this shred with anything that writes
		// derived data for the client after asking Shredded.
		var locked string
		if err := tx.QueryRow(ctx, "SELECT client_id FROM gate_subjects WHERE client_id = ?"+tx.ForUpdate(), clientID).Scan(&locked); err != nil {
			return store.NotFound(err)
		}
		if _, err := tx.Exec(ctx, "INSERT INTO gate_shred_journal (client_id, shredded_at) VALUES (?, ?) ON CONFLICT (client_id) DO NOTHING",
			clientID, g.now().UTC().UnixMicro()); err != nil {
			return err
		}
		if erase != nil {
			if err := erase(ctx, tx); err != nil {
				return err
			}
		}
		_, err := g.audit.Append(ctx, tx, entry)
		return err
	})
	if err != nil {
		return fmt.Errorf("shred client: %w", err)
	}
	if err := g.keys.Shred(ctx, clientID); err != nil {
		return fmt.Errorf("shred client: %w", err)
	}
	return nil
}

// Shredded reports which of clientIDs have been shredded, inside the
// caller's transaction, for rebuilding what is derived in clear from the
// clients' sealed fields (casework's Reindex) without bringing back what a
// shred erased. It first locks the clients' subjects, as ShredClient does,
// so no shred can commit between this answer and the caller's commit: one
// that started before waits for it, and its erasure then runs after the
// caller's writes.
func (g *Gate) Shredded(ctx context.Context, tx *store.Tx, clientIDs []string) (map[string]bool, error) {
	ids := validIDs(clientIDs)
	slices.Sort(ids) // one order of locking for every caller
	out := map[string]bool{}
	for start := 0; start < len(ids); start += subjectChunk {
		args := padded(ids[start:min(start+subjectChunk, len(ids))])
		// Two statements: on PostgreSQL a statement that waited for a lock
		// does not see what the holder committed, the next one does.
		lock := "SELECT client_id FROM gate_subjects WHERE client_id IN (" + marksFor(len(args)) + ") ORDER BY client_id" + tx.ForUpdate()
		if err := eachID(ctx, tx, lock, args, func(string) {}); err != nil {
			return nil, fmt.Errorf("shredded: %w", err)
		}
		journal := "SELECT client_id FROM gate_shred_journal WHERE client_id IN (" + marksFor(len(args)) + ")"
		if err := eachID(ctx, tx, journal, args, func(id string) { out[id] = true }); err != nil {
			return nil, fmt.Errorf("shredded: %w", err)
		}
	}
	return out, nil
}

// eachID runs a query returning ids in tx, calling fn for each.
func eachID(ctx context.Context, tx *store.Tx, query string, args []any, fn func(id string)) error {
	rows, err := tx.Query(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return err
		}
		fn(id)
	}
	return rows.Err()
}

// replayShreds makes the two shred journals agree and destroys any key
// listed in either: after a restore of the key store from an old backup,
// shredded clients stay shredded.
func (g *Gate) replayShreds(ctx context.Context) error {
	rows, err := g.db.Query(ctx, "SELECT client_id FROM gate_shred_journal")
	if err != nil {
		return fmt.Errorf("read shred journal: %w", err)
	}
	var ids []string
	known := map[string]bool{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return fmt.Errorf("read shred journal: %w", err)
		}
		ids = append(ids, id)
		known[id] = true
	}
	if err := rows.Close(); err != nil {
		return err
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read shred journal: %w", err)
	}
	if len(ids) > 0 {
		if _, err := g.keys.ReplayShreds(ctx, ids); err != nil {
			return fmt.Errorf("replay shred journal: %w", err)
		}
	}
	fromKeys, err := g.keys.ShredJournal(ctx)
	if err != nil {
		return fmt.Errorf("read key store shred journal: %w", err)
	}
	now := g.now().UTC().UnixMicro()
	return g.db.Tx(ctx, func(tx *store.Tx) error {
		for _, id := range fromKeys {
			if known[id] {
				continue
			}
			if _, err := tx.Exec(ctx, "INSERT INTO gate_shred_journal (client_id, shredded_at) VALUES (?, ?) ON CONFLICT (client_id) DO NOTHING", id, now); err != nil {
				return fmt.Errorf("copy shred journal: %w", err)
			}
		}
		return nil
	})
}

// StaffSecretKey returns the 32-byte key that seals staff members' TOTP
// secrets in the data database. It is derived (HKDF-SHA256) from a secret
// held wrapped in the key store, so a copy of the data alone cannot mint
// second-factor codes.
func (g *Gate) StaffSecretKey() []byte {
	k, err := hkdf.Key(sha256.New, g.keys.AuditSigningKey().Seed(), nil, "caseward staff totp secrets v1", 32)
	if err != nil {
		panic(err) // only for a length sha256 cannot produce
	}
	return k
}

// OpenClients opens several clients at once for one action and purpose, for
// a list or a page of search results. Each client gets its own decision and
// audit entry, all committed in one transaction before anything can be
// decrypted; the map holds handles for the clients the actor may see, and
// nothing for the others (missing or denied alike).
func (g *Gate) OpenClients(ctx context.Context, actor access.Actor, clientIDs []string, purpose access.Purpose, act access.Action) (map[string]*Handle, error) {
	var valid []string
	for _, id := range clientIDs {
		if store.ValidID(id) {
			valid = append(valid, id)
		}
	}
	subjects, err := g.subjects(ctx, valid)
	if err != nil {
		return nil, fmt.Errorf("open clients: %w", err)
	}
	entries := make([]audit.Entry, 0, len(valid))
	var allowed []string
	for _, id := range valid {
		e := audit.Entry{Actor: actor.UserID, Action: "client." + string(act), ClientID: id, Purpose: string(purpose)}
		s, ok := subjects[id]
		if !ok {
			e.Reason = "no-such-client"
		} else {
			d := access.Decide(actor, s, act, purpose)
			e.Allowed, e.Reason = d.Allowed, d.Reason
			if d.Allowed {
				allowed = append(allowed, id)
			}
		}
		entries = append(entries, e)
	}
	if len(entries) > 0 {
		if err := g.db.Tx(ctx, func(tx *store.Tx) error {
			_, err := g.audit.AppendAll(ctx, tx, entries)
			return err
		}); err != nil {
			return nil, fmt.Errorf("open clients: audit: %w", err)
		}
	}
	ciphers, err := g.keys.Clients(ctx, allowed)
	if err != nil {
		return nil, fmt.Errorf("open clients: %w", err)
	}
	out := make(map[string]*Handle, len(allowed))
	for _, id := range allowed {
		c, ok := ciphers[id]
		if !ok {
			continue // shredded
		}
		out[id] = &Handle{g: g, actor: actor, subject: subjects[id], purpose: purpose, action: act, cipher: c}
	}
	return out, nil
}

// Reach lists the ids of the clients the actor may work with, most
// recently linked first, without opening any: for caseloads and lists,
// which then open the page they show with OpenClients. mineOnly keeps the
// clients whose work the actor owns.
func (g *Gate) Reach(ctx context.Context, actor access.Actor, mineOnly bool, limit, offset int) ([]string, error) {
	if limit <= 0 || limit > 1000 {
		limit = 1000
	}
	var (
		where string
		args  []any
	)
	switch {
	case mineOnly || actor.Role == access.Caseworker:
		where = "l.worker_id = ?"
		args = append(args, actor.UserID)
		if !mineOnly && actor.Role == access.Caseworker && len(actor.Services) > 0 {
			marks := strings.Repeat(",?", len(actor.Services))[1:]
			where = "(" + where + " OR (sv.caseload_shared = 1 AND l.service_id IN (" + marks + ")))"
			for _, s := range actor.Services {
				args = append(args, s)
			}
		}
	case actor.Role == access.Manager || actor.Role == access.AdminStaff:
		if len(actor.Services) == 0 {
			return nil, nil
		}
		where = "l.service_id IN (" + strings.Repeat(",?", len(actor.Services))[1:] + ")"
		for _, s := range actor.Services {
			args = append(args, s)
		}
	default:
		return nil, nil // the DPO, trustees and system administrators have no caseload
	}
	args = append(args, limit, offset)
	rows, err := g.db.Query(ctx, `SELECT l.client_id, MAX(l.created_at) AS linked
		FROM gate_links l LEFT JOIN services sv ON sv.id = l.service_id
		WHERE `+where+`
		GROUP BY l.client_id ORDER BY linked DESC, l.client_id LIMIT ? OFFSET ?`, args...)
	if err != nil {
		return nil, fmt.Errorf("reach: %w", err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		var linked int64
		if err := rows.Scan(&id, &linked); err != nil {
			return nil, fmt.Errorf("reach: %w", err)
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// containsLink reports whether links already holds the service and worker:
// a padded IN list returns the last client's rows more than once.
func containsLink(links []access.Link, serviceID, workerID string) bool {
	for _, l := range links {
		if l.ServiceID == serviceID && l.WorkerID == workerID {
			return true
		}
	}
	return false
}
