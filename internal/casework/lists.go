package casework

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/caseward/caseward/internal/access"
	"github.com/caseward/caseward/internal/audit"
	"github.com/caseward/caseward/internal/store"
)

// ListName names one of the lists the organisation keeps.
type ListName string

// The organisation's lists. Each starts with sensible items, which
// managers and system administrators change to the organisation's words.
const (
	HowHeardList ListName = "how-heard" // how people heard of us (P52)
	FlagList     ListName = "flag"      // the kinds of flag a record may carry
)

// ListNames lists the organisation's lists, in the order pages show them.
var ListNames = []ListName{FlagList, HowHeardList}

// Valid reports whether l is one of ListNames.
func (l ListName) Valid() bool { return l == HowHeardList || l == FlagList }

// Title is the list's name in words.
func (l ListName) Title() string {
	switch l {
	case HowHeardList:
		return "How people heard of us"
	case FlagList:
		return "Flags"
	}
	return string(l)
}

// ListItem is one item of a list. Retired items are no longer offered but
// still name what records already hold.
type ListItem struct {
	ID       string   `json:"id"`
	List     ListName `json:"-"`
	Label    string   `json:"label"`
	Position int      `json:"position"`
	Retired  bool     `json:"retired"`
}

// MaxListLabel bounds an item's label, in characters.
const MaxListLabel = 100

// orgLists is a snapshot of every list, read in one query.
type orgLists struct {
	items []ListItem
	byID  map[string]ListItem
}

// find returns the item of list whose id, or else whose label (any case),
// is s.
func (o orgLists) find(list ListName, s string) (ListItem, bool) {
	if it, ok := o.byID[s]; ok && it.List == list {
		return it, true
	}
	for _, it := range o.items {
		if it.List == list && strings.EqualFold(it.Label, s) {
			return it, true
		}
	}
	return ListItem{}, false
}

// label returns the label of the item with id, or "" when there is none.
func (o orgLists) label(id string) string { return o.byID[id].Label }

// of returns the items of one list, in order.
func (o orgLists) of(list ListName) []ListItem {
	var out []ListItem
	for _, it := range o.items {
		if it.List == list {
			out = append(out, it)
		}
	}
	return out
}

func (cw *Casework) lists(ctx context.Context) (orgLists, error) {
	rows, err := cw.db.Query(ctx, "SELECT id, list, label, position, retired FROM org_list_items ORDER BY list, position, id")
	if err != nil {
		return orgLists{}, fmt.Errorf("read lists: %w", err)
	}
	defer rows.Close()
	o := orgLists{byID: map[string]ListItem{}}
	for rows.Next() {
		var it ListItem
		var list string
		var retired int
		if err := rows.Scan(&it.ID, &list, &it.Label, &it.Position, &retired); err != nil {
			return orgLists{}, fmt.Errorf("read lists: %w", err)
		}
		it.List, it.Retired = ListName(list), retired != 0
		o.items = append(o.items, it)
		o.byID[it.ID] = it
	}
	if err := rows.Err(); err != nil {
		return orgLists{}, fmt.Errorf("read lists: %w", err)
	}
	return o, nil
}

// List returns the items of a list in order, retired ones included.
// Anyone signed in may read the lists: they hold the organisation's words,
// nothing about any client.
func (cw *Casework) List(ctx context.Context, list ListName) ([]ListItem, error) {
	if !list.Valid() {
		return nil, ErrNotFound
	}
	o, err := cw.lists(ctx)
	if err != nil {
		return nil, err
	}
	return o.of(list), nil
}

// mayEditLists: managers and system administrators keep the lists.
func mayEditLists(actor access.Actor) bool {
	return actor.UserID != "" && (actor.Role == access.Manager || actor.Role == access.Sysadmin)
}

// MayEditLists reports whether actor may change the organisation's lists.
func MayEditLists(actor access.Actor) bool { return mayEditLists(actor) }

func cleanLabel(v *ValidationError, s string) string {
	s = strings.Join(strings.Fields(s), " ")
	switch {
	case s == "":
		v.add("label", "Enter the item’s wording")
	case !utf8.ValidString(s):
		v.add("label", "The wording contains characters that cannot be stored")
	case utf8.RuneCountInString(s) > MaxListLabel:
		v.add("label", fmt.Sprintf("The wording must be %d characters or fewer", MaxListLabel))
	}
	return s
}

// changeList runs change in a transaction with an audit entry naming the
// item, after checking the actor may edit lists.
func (cw *Casework) changeList(ctx context.Context, actor access.Actor, itemID string, change func(tx *store.Tx) error) error {
	if !mayEditLists(actor) {
		return ErrForbidden
	}
	return cw.db.Tx(ctx, func(tx *store.Tx) error {
		if err := change(tx); err != nil {
			return err
		}
		_, err := cw.gate.Audit().Append(ctx, tx, audit.Entry{
			Actor: actor.UserID, Action: "lists.change", RecordIDs: []string{itemID},
			Allowed: true, Reason: string(actor.Role),
		})
		return err
	})
}

// AddListItem adds an item at the end of a list. A label the list already
// has (in any case) is refused.
func (cw *Casework) AddListItem(ctx context.Context, actor access.Actor, list ListName, label string) (ListItem, error) {
	if !list.Valid() {
		return ListItem{}, ErrNotFound
	}
	if !mayEditLists(actor) {
		return ListItem{}, ErrForbidden
	}
	var v ValidationError
	label = cleanLabel(&v, label)
	if err := v.orNil(); err != nil {
		return ListItem{}, err
	}
	it := ListItem{ID: store.NewID(), List: list, Label: label}
	now := cw.now().UTC().UnixMicro()
	err := cw.changeList(ctx, actor, it.ID, func(tx *store.Tx) error {
		if err := uniqueLabel(ctx, tx, list, "", label); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, "SELECT COALESCE(MAX(position), 0) + 1 FROM org_list_items WHERE list = ?", string(list)).Scan(&it.Position); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO org_list_items (id, list, label, position, retired, created_at, updated_at)
			VALUES (?, ?, ?, ?, 0, ?, ?)`, it.ID, string(list), label, it.Position, now, now)
		return err
	})
	if err != nil {
		return ListItem{}, fmt.Errorf("add list item: %w", err)
	}
	return it, nil
}

func uniqueLabel(ctx context.Context, tx *store.Tx, list ListName, exceptID, label string) error {
	rows, err := tx.Query(ctx, "SELECT id, label FROM org_list_items WHERE list = ?", string(list))
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id, l string
		if err := rows.Scan(&id, &l); err != nil {
			return err
		}
		if id != exceptID && strings.EqualFold(l, label) {
			return &ValidationError{Fields: []FieldError{{"label", "The list already has an item with that wording"}}}
		}
	}
	return rows.Err()
}

func (cw *Casework) listItem(ctx context.Context, tx *store.Tx, id string) (ListItem, error) {
	var it ListItem
	var list string
	var retired int
	err := tx.QueryRow(ctx, "SELECT id, list, label, position, retired FROM org_list_items WHERE id = ?", id).
		Scan(&it.ID, &list, &it.Label, &it.Position, &retired)
	if err != nil {
		if errors.Is(store.NotFound(err), store.ErrNotFound) {
			return it, ErrNotFound
		}
		return it, err
	}
	it.List, it.Retired = ListName(list), retired != 0
	return it, nil
}

// RenameListItem changes an item's wording; records that hold the item
// show the new wording.
func (cw *Casework) RenameListItem(ctx context.Context, actor access.Actor, id, label string) error {
	var v ValidationError
	label = cleanLabel(&v, label)
	if err := v.orNil(); err != nil {
		return err
	}
	return cw.changeList(ctx, actor, id, func(tx *store.Tx) error {
		it, err := cw.listItem(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := uniqueLabel(ctx, tx, it.List, id, label); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, "UPDATE org_list_items SET label = ?, updated_at = ? WHERE id = ?", label, cw.now().UTC().UnixMicro(), id)
		return err
	})
}

// RetireListItem stops offering an item (retired true) or offers it again.
func (cw *Casework) RetireListItem(ctx context.Context, actor access.Actor, id string, retired bool) error {
	return cw.changeList(ctx, actor, id, func(tx *store.Tx) error {
		if _, err := cw.listItem(ctx, tx, id); err != nil {
			return err
		}
		r := 0
		if retired {
			r = 1
		}
		_, err := tx.Exec(ctx, "UPDATE org_list_items SET retired = ?, updated_at = ? WHERE id = ?", r, cw.now().UTC().UnixMicro(), id)
		return err
	})
}

// MoveListItem swaps an item with the one before it (up) or after it.
func (cw *Casework) MoveListItem(ctx context.Context, actor access.Actor, id string, up bool) error {
	return cw.changeList(ctx, actor, id, func(tx *store.Tx) error {
		it, err := cw.listItem(ctx, tx, id)
		if err != nil {
			return err
		}
		q := "SELECT id, position FROM org_list_items WHERE list = ? AND position > ? ORDER BY position LIMIT 1"
		if up {
			q = "SELECT id, position FROM org_list_items WHERE list = ? AND position < ? ORDER BY position DESC LIMIT 1"
		}
		var otherID string
		var otherPos int
		err = tx.QueryRow(ctx, q, string(it.List), it.Position).Scan(&otherID, &otherPos)
		if errors.Is(store.NotFound(err), store.ErrNotFound) {
			return nil // already first or last
		}
		if err != nil {
			return err
		}
		now := cw.now().UTC().UnixMicro()
		if _, err := tx.Exec(ctx, "UPDATE org_list_items SET position = ?, updated_at = ? WHERE id = ?", otherPos, now, it.ID); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, "UPDATE org_list_items SET position = ?, updated_at = ? WHERE id = ?", it.Position, now, otherID)
		return err
	})
}
