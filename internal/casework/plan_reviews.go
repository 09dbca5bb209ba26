package casework

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/caseward/caseward/internal/access"
)

// PlanReviewDueDays is how far ahead a support plan's review counts as due
// on the caseload home page.
const PlanReviewDueDays = 7

// PlanReview is a support plan whose review is due, as the caseload home
// page lists it: the plan's title and the client's row, opened for the
// actor.
type PlanReview struct {
	PlanID   string
	ClientID string
	ReviewOn string // YYYY-MM-DD
	Overdue  bool   // the review date has passed
	Title    string
	Client   ClientRow
}

// ReviewDate is the review date as a time.
func (r PlanReview) ReviewDate() time.Time { return day(r.ReviewOn) }

// PlanReviewsDue lists the active support plans in actor's caseload whose
// review date has passed or falls within PlanReviewDueDays, soonest first.
// A caseworker's caseload is the clients whose work they own; a manager's,
// their services' clients (for either, the 1,000 most recently linked, as
// gate.Reach gives them). The dates are clear and are read without opening
// anyone; only the first limit plans are opened, their clients in one
// audited batch, for their titles and the clients' names. total counts
// every review due; a plan whose client the actor may not read is left
// out of the list.
func (cw *Casework) PlanReviewsDue(ctx context.Context, actor access.Actor, purpose access.Purpose, limit int) (list []PlanReview, total int, err error) {
	var mineOnly bool
	switch actor.Role {
	case access.Caseworker:
		mineOnly = true
	case access.Manager:
	default:
		return nil, 0, nil // no caseload
	}
	ids, err := cw.gate.Reach(ctx, actor, mineOnly, 1000, 0)
	if err != nil {
		return nil, 0, err
	}
	now := cw.now()
	today := ukToday(now)
	until := now.In(ukZone).AddDate(0, 0, PlanReviewDueDays).Format(DateLayout)
	var due []PlanReview
	const chunk = 250
	for start := 0; start < len(ids); start += chunk {
		part := ids[start:min(start+chunk, len(ids))]
		args := make([]any, 0, len(part)+2)
		for _, id := range part {
			args = append(args, id)
		}
		rows, err := cw.db.Query(ctx, `SELECT id, client_id, review_on FROM plans
			WHERE client_id IN (`+marks(len(part))+`) AND status = ? AND review_on <> '' AND review_on <= ?`,
			append(args, string(PlanActive), until)...)
		if err != nil {
			return nil, 0, fmt.Errorf("plan reviews due: %w", err)
		}
		for rows.Next() {
			var r PlanReview
			if err := rows.Scan(&r.PlanID, &r.ClientID, &r.ReviewOn); err != nil {
				rows.Close()
				return nil, 0, fmt.Errorf("plan reviews due: %w", err)
			}
			r.Overdue = r.ReviewOn < today
			due = append(due, r)
		}
		if err := rows.Close(); err != nil {
			return nil, 0, err
		}
		if err := rows.Err(); err != nil {
			return nil, 0, fmt.Errorf("plan reviews due: %w", err)
		}
	}
	slices.SortFunc(due, func(a, b PlanReview) int {
		if c := strings.Compare(a.ReviewOn, b.ReviewOn); c != 0 {
			return c
		}
		return strings.Compare(a.PlanID, b.PlanID)
	})
	total = len(due)
	if limit <= 0 || len(due) == 0 {
		return nil, total, nil
	}
	due = due[:min(limit, len(due))]
	return cw.openPlanReviews(ctx, actor, purpose, due, total)
}

// openPlanReviews opens the clients of the reviews shown, in one batch,
// and decrypts the plans' titles and the clients' names: three queries
// however many there are.
func (cw *Casework) openPlanReviews(ctx context.Context, actor access.Actor, purpose access.Purpose, due []PlanReview, total int) ([]PlanReview, int, error) {
	var clientIDs []string
	planArgs := make([]any, 0, len(due))
	for _, r := range due {
		if !slices.Contains(clientIDs, r.ClientID) {
			clientIDs = append(clientIDs, r.ClientID)
		}
		planArgs = append(planArgs, r.PlanID)
	}
	handles, err := cw.gate.OpenClients(ctx, actor, clientIDs, purpose, planReadAction(actor))
	if err != nil {
		return nil, 0, err
	}
	if len(handles) == 0 {
		return nil, total, nil
	}
	type sealedPlan struct {
		version int64
		body    []byte
	}
	plans := make(map[string]sealedPlan, len(due))
	rows, err := cw.db.Query(ctx, `SELECT p.id, p.version, v.body FROM plans p
		JOIN plan_versions v ON v.plan_id = p.id AND v.version = p.version
		WHERE p.id IN (`+marks(len(planArgs))+`)`, planArgs...)
	if err != nil {
		return nil, 0, fmt.Errorf("plan reviews due: %w", err)
	}
	for rows.Next() {
		var id string
		var p sealedPlan
		if err := rows.Scan(&id, &p.version, &p.body); err != nil {
			rows.Close()
			return nil, 0, fmt.Errorf("plan reviews due: %w", err)
		}
		plans[id] = p
	}
	if err := rows.Close(); err != nil {
		return nil, 0, err
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("plan reviews due: %w", err)
	}
	type sealedNames struct{ given, family, flags []byte }
	names := make(map[string]sealedNames, len(handles))
	clientArgs := make([]any, 0, len(handles))
	for id := range handles {
		clientArgs = append(clientArgs, id)
	}
	rows, err = cw.db.Query(ctx, "SELECT id, given_name, family_name, flags FROM clients WHERE id IN ("+marks(len(clientArgs))+")", clientArgs...)
	if err != nil {
		return nil, 0, fmt.Errorf("plan reviews due: %w", err)
	}
	for rows.Next() {
		var id string
		var n sealedNames
		if err := rows.Scan(&id, &n.given, &n.family, &n.flags); err != nil {
			rows.Close()
			return nil, 0, fmt.Errorf("plan reviews due: %w", err)
		}
		names[id] = n
	}
	if err := rows.Close(); err != nil {
		return nil, 0, err
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("plan reviews due: %w", err)
	}
	var lists *orgLists
	rowOf := make(map[string]ClientRow, len(handles))
	out := make([]PlanReview, 0, len(due))
	for _, r := range due {
		h, ok := handles[r.ClientID]
		p, found := plans[r.PlanID]
		n, named := names[r.ClientID]
		if !ok || !found || !named {
			continue
		}
		body, err := openPlanBody(h, r.PlanID, p.version, p.body)
		if err != nil {
			return nil, 0, fmt.Errorf("plan reviews due: %w", err)
		}
		r.Title = body.Title
		row, seen := rowOf[r.ClientID]
		if !seen {
			if row, err = cw.row(ctx, actor, h, n.given, n.family, n.flags, &lists); err != nil {
				return nil, 0, err
			}
			rowOf[r.ClientID] = row
		}
		r.Client = row
		out = append(out, r)
	}
	return out, total, nil
}
