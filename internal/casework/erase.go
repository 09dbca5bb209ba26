package casework

import (
	"context"

	"github.com/caseward/caseward/internal/access"
	"github.com/caseward/caseward/internal/store"
)

// EraseClient answers an erasure request (P42): the client's key is
// destroyed, so every sealed field of theirs is unreadable in every copy,
// and what casework keeps in clear derived from those fields (the search
// index) is deleted in the same transaction as the shred's journal entry,
// so that neither a search nor the intake check can find them again
// (P23). The clear metadata of cases, notes and appointments (dates,
// services, codes) stays, for the anonymous statistics P42 keeps. Only the
// DPO may; anyone else gets ErrForbidden, audited.
func (cw *Casework) EraseClient(ctx context.Context, actor access.Actor, clientID string) error {
	return cw.gate.ShredClient(ctx, actor, clientID, func(ctx context.Context, tx *store.Tx) error {
		return cw.DeleteIndexes(ctx, tx, clientID)
	})
}
