package gate

import (
	"context"
	"fmt"

	"github.com/caseward/caseward/internal/access"
	"github.com/caseward/caseward/internal/audit"
	"github.com/caseward/caseward/internal/gate/internal/keys"
	"github.com/caseward/caseward/internal/store"
)

// Handle is one actor's permission, decided and audited, to work with one
// client's fields for one purpose. It lives for one request.
type Handle struct {
	g       *Gate
	actor   access.Actor
	subject access.Subject
	purpose access.Purpose
	action  access.Action
	cipher  *keys.Cipher
}

// ClientID returns the id of the client the handle opens.
func (h *Handle) ClientID() string { return h.subject.ClientID }

// Subject returns the clear metadata the decision was made on.
func (h *Handle) Subject() access.Subject { return h.subject }

// Action returns what the handle was opened for.
func (h *Handle) Action() access.Action { return h.action }

// Seal encrypts a field of this client's, bound to table, column and row.
func (h *Handle) Seal(table, column, rowID string, plaintext []byte) ([]byte, error) {
	return h.cipher.Seal(table, column, rowID, plaintext)
}

// Open decrypts a field sealed by Seal with the same table, column and row.
func (h *Handle) Open(table, column, rowID string, ciphertext []byte) ([]byte, error) {
	return h.cipher.Open(table, column, rowID, ciphertext)
}

// SealString is Seal for text.
func (h *Handle) SealString(table, column, rowID, s string) ([]byte, error) {
	return h.cipher.Seal(table, column, rowID, []byte(s))
}

// OpenString is Open for text.
func (h *Handle) OpenString(table, column, rowID string, ciphertext []byte) (string, error) {
	b, err := h.cipher.Open(table, column, rowID, ciphertext)
	return string(b), err
}

// Update runs change in a transaction together with the audit entry that
// records it, so that a change is never made without its trace nor a trace
// left of a change that did not happen. The handle must have been opened
// for access.Edit or access.WriteNotes.
func (h *Handle) Update(ctx context.Context, recordIDs []string, change func(ctx context.Context, tx *store.Tx) error) error {
	if h.action != access.Edit && h.action != access.WriteNotes {
		return ErrForbidden
	}
	entry := audit.Entry{
		Actor:     h.actor.UserID,
		Action:    "client.update",
		ClientID:  h.subject.ClientID,
		RecordIDs: recordIDs,
		Purpose:   string(h.purpose),
		Allowed:   true,
		Reason:    "edit-opened",
	}
	err := h.g.db.Tx(ctx, func(tx *store.Tx) error {
		if err := change(ctx, tx); err != nil {
			return err
		}
		// Last, so the audit head's lock is held for the shortest time.
		if _, err := h.g.audit.Append(ctx, tx, entry); err != nil {
			return fmt.Errorf("audit: %w", err)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("update client: %w", err)
	}
	return nil
}
