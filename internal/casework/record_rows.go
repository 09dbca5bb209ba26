package casework

import (
	"context"
	"fmt"
	"strings"

	"github.com/caseward/caseward/internal/access"
	"github.com/caseward/caseward/internal/gate"
)

// ClientRow is one client as a list or a page of search results shows them.
type ClientRow struct {
	ID string
	// DisplayName is the client's name, or their initials when the name is
	// hidden from this actor (Hidden).
	DisplayName string
	Reference   string   // the case number (Reference)
	Flags       []string // as on the record's header
	AgeBand     string
	Hidden      bool
}

// inTeam reports whether actor is in the client's assigned team: a worker
// linked to the client, or a manager of a service the client is linked to.
func inTeam(actor access.Actor, s access.Subject) bool {
	for _, l := range s.Links {
		if l.WorkerID != "" && l.WorkerID == actor.UserID {
			return true
		}
		if actor.Role == access.Manager && actor.InService(l.ServiceID) {
			return true
		}
	}
	return false
}

// maySeeName reports whether actor may see the name of a client whose name
// is hidden: the assigned team, and the DPO (who opens records only for a
// rights request or a review, and needs to know whose they are).
func maySeeName(actor access.Actor, s access.Subject) bool {
	return actor.Role == access.DPO || inTeam(actor, s)
}

// ListRows opens the clients ids for a list or a page of search results
// (one audited gate transaction for them all) and returns a row for each
// client the actor may see, in the order of ids; the others are left out,
// whether missing or not allowed. A client whose name is hidden shows as
// initials and case number, except to the assigned team (P23 and the
// "hide name" setting).
func (cw *Casework) ListRows(ctx context.Context, actor access.Actor, ids []string, purpose access.Purpose) ([]ClientRow, error) {
	handles, err := cw.gate.OpenClients(ctx, actor, ids, purpose, access.ViewContact)
	if err != nil {
		return nil, err
	}
	if len(handles) == 0 {
		return nil, nil
	}
	type sealedRow struct {
		given, family, flags []byte
		ageBand              string
	}
	sealed := make(map[string]sealedRow, len(handles))
	open := make([]string, 0, len(handles))
	for id := range handles {
		open = append(open, id)
	}
	const chunk = 500
	for start := 0; start < len(open); start += chunk {
		part := open[start:min(start+chunk, len(open))]
		args := make([]any, len(part))
		for i, id := range part {
			args[i] = id
		}
		rows, err := cw.db.Query(ctx, "SELECT id, given_name, family_name, flags, age_band FROM clients WHERE id IN ("+marks(len(part))+")", args...)
		if err != nil {
			return nil, fmt.Errorf("list rows: %w", err)
		}
		for rows.Next() {
			var id string
			var r sealedRow
			if err := rows.Scan(&id, &r.given, &r.family, &r.flags, &r.ageBand); err != nil {
				rows.Close()
				return nil, fmt.Errorf("list rows: %w", err)
			}
			sealed[id] = r
		}
		if err := rows.Close(); err != nil {
			return nil, err
		}
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("list rows: %w", err)
		}
	}
	var lists *orgLists
	out := make([]ClientRow, 0, len(handles))
	seen := make(map[string]bool, len(handles))
	for _, id := range ids {
		h, ok := handles[id]
		r, found := sealed[id]
		if !ok || !found || seen[id] {
			continue
		}
		seen[id] = true
		row, err := cw.row(ctx, actor, h, r.given, r.family, r.flags, &lists)
		if err != nil {
			return nil, err
		}
		row.AgeBand = r.ageBand
		out = append(out, row)
	}
	return out, nil
}

// row decrypts one list row; lists is read once, when a row first needs it.
func (cw *Casework) row(ctx context.Context, actor access.Actor, h *gate.Handle, given, family, flags []byte, lists **orgLists) (ClientRow, error) {
	id := h.ClientID()
	row := ClientRow{ID: id, Reference: Reference(id)}
	g, err := h.OpenString(clientsTable, "given_name", id, given)
	if err != nil {
		return row, fmt.Errorf("list rows: %w", err)
	}
	f, err := h.OpenString(clientsTable, "family_name", id, family)
	if err != nil {
		return row, fmt.Errorf("list rows: %w", err)
	}
	c := Client{ID: id, GivenName: g, FamilyName: f, Initials: Initials(g, f)}
	if err := openPart(h, PartFlags, flags, &c.Flags); err != nil {
		return row, fmt.Errorf("list rows: %w", err)
	}
	if len(c.Flags.Kinds) > 0 {
		if *lists == nil {
			l, err := cw.lists(ctx)
			if err != nil {
				return row, err
			}
			*lists = &l
		}
		c.resolveLabels(**lists)
	}
	if c.Flags.HideName && !maySeeName(actor, h.Subject()) {
		row.Hidden = true
		row.DisplayName = c.Initials
	} else {
		row.DisplayName = strings.TrimSpace(g + " " + f)
	}
	row.Flags = c.flagLines()
	return row, nil
}
