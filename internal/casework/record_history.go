package casework

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/caseward/caseward/internal/access"
)

// RecordChange is one saved value of one part of a client's record: the
// record keeps every value each part has had, so a correction never loses
// what was there before (P41).
type RecordChange struct {
	Part      string // one of Parts
	Version   int64  // the record's version this value was saved at
	ChangedBy string // the member of staff's id
	ChangedAt time.Time
	// Value is the part as saved: a NamesValue for PartNames, else the
	// part's own type (Details, Contact, SafeContact, GP,
	// []SupportPerson, Monitoring, Flags).
	Value any
}

// NamesValue is the names part as the history keeps it.
type NamesValue = historyNames

// History returns every saved value of every part of a client's record,
// newest first. The names and the support network are left out for whoever
// may not see the client's hidden name.
func (cw *Casework) History(ctx context.Context, actor access.Actor, id string, purpose access.Purpose) ([]RecordChange, error) {
	h, err := cw.gate.OpenClient(ctx, actor, id, purpose, access.ViewRecord)
	if err != nil {
		return nil, err
	}
	c, err := cw.readClient(ctx, h, maySeeName(actor, h.Subject()))
	if err != nil {
		return nil, err
	}
	rows, err := cw.db.Query(ctx, `SELECT id, part, version, value, changed_by, changed_at FROM client_record_history
		WHERE client_id = ? ORDER BY version DESC, part`, id)
	if err != nil {
		return nil, fmt.Errorf("record history: %w", err)
	}
	defer rows.Close()
	var out []RecordChange
	for rows.Next() {
		var rowID string
		var sealed []byte
		var at int64
		var ch RecordChange
		if err := rows.Scan(&rowID, &ch.Part, &ch.Version, &sealed, &ch.ChangedBy, &at); err != nil {
			return nil, fmt.Errorf("record history: %w", err)
		}
		if c.NameWithheld && (ch.Part == PartNames || ch.Part == PartNetwork) {
			continue
		}
		ch.ChangedAt = time.UnixMicro(at).UTC()
		b, err := h.Open(historyTable, "value", rowID, sealed)
		if err != nil {
			return nil, fmt.Errorf("record history: %w", err)
		}
		var dst any
		switch ch.Part {
		case PartNames:
			dst = new(NamesValue)
		case PartDetails:
			dst = new(Details)
		case PartContact:
			dst = new(Contact)
		case PartSafeContact:
			dst = new(SafeContact)
		case PartGP:
			dst = new(GP)
		case PartNetwork:
			dst = new([]SupportPerson)
		case PartMonitoring:
			dst = new(Monitoring)
		case PartFlags:
			dst = new(Flags)
		default:
			continue
		}
		if err := json.Unmarshal(b, dst); err != nil {
			return nil, fmt.Errorf("record history: %s: %w", ch.Part, err)
		}
		switch v := dst.(type) {
		case *NamesValue:
			ch.Value = *v
		case *Details:
			ch.Value = *v
		case *Contact:
			ch.Value = *v
		case *SafeContact:
			ch.Value = *v
		case *GP:
			ch.Value = *v
		case *[]SupportPerson:
			ch.Value = *v
		case *Monitoring:
			ch.Value = *v
		case *Flags:
			ch.Value = *v
		}
		out = append(out, ch)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("record history: %w", err)
	}
	return out, nil
}
