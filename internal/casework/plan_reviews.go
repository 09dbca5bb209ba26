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
	now := cw.now()
	today := ukToday(now)
	until := now.In(ukZone).AddDate(0, 0, PlanReviewDueDays).Format(DateLayout)
	due, err := cw.caseloadPlans(ctx, actor, planReviewOn, until)
	if err != nil {
		return nil, 0, fmt.Errorf("plan reviews due: %w", err)
	}
	total = len(due)
	if limit <= 0 || total == 0 {
		return nil, total, nil
	}
	due = due[:min(limit, total)]
	opened, err := cw.openCaseloadPlans(ctx, actor, purpose, due)
	if err != nil {
		return nil, 0, fmt.Errorf("plan reviews due: %w", err)
	}
	list = make([]PlanReview, 0, len(due))
	for _, p := range due {
		o, ok := opened[p.planID]
		if !ok {
			continue
		}
		list = append(list, PlanReview{PlanID: p.planID, ClientID: p.clientID, ReviewOn: p.on, Overdue: p.on < today,
			Title: o.body.Title, Client: o.client})
	}
	return list, total, nil
}

// OverduePlan is an active support plan with actions past their date and
// not done, as the caseload home page lists it: the plan's title, those
// actions and the client's row, opened for the actor.
type OverduePlan struct {
	PlanID   string
	ClientID string
	Since    string // YYYY-MM-DD: the earliest date one of Actions was due by
	Title    string
	Actions  []PlanAction // past their date and not done, soonest first
	Client   ClientRow
}

// SinceDate is Since as a time.
func (p OverduePlan) SinceDate() time.Time { return day(p.Since) }

// OverduePlanActions lists the active support plans in actor's caseload
// with actions past their date and not done, those overdue longest first:
// the same caseload as PlanReviewsDue, read the same way. A plan's
// actions name who does them in the plan's own words (the client, a
// worker, another agency), not as a member of staff, so a caseworker's
// list holds every overdue action of their own clients' plans: whoever is
// named, the worker who owns the client's work follows the plan up. The
// earliest date of a plan's open actions is clear (plans.action_due_on);
// only the first limit plans are opened, their clients in one audited
// batch, for the actions, titles and names. total counts every plan with
// an overdue action.
func (cw *Casework) OverduePlanActions(ctx context.Context, actor access.Actor, purpose access.Purpose, limit int) (list []OverduePlan, total int, err error) {
	today := ukToday(cw.now())
	yesterday := cw.now().In(ukZone).AddDate(0, 0, -1).Format(DateLayout)
	due, err := cw.caseloadPlans(ctx, actor, planActionDueOn, yesterday)
	if err != nil {
		return nil, 0, fmt.Errorf("overdue plan actions: %w", err)
	}
	total = len(due)
	if limit <= 0 || total == 0 {
		return nil, total, nil
	}
	due = due[:min(limit, total)]
	opened, err := cw.openCaseloadPlans(ctx, actor, purpose, due)
	if err != nil {
		return nil, 0, fmt.Errorf("overdue plan actions: %w", err)
	}
	list = make([]OverduePlan, 0, len(due))
	for _, p := range due {
		o, ok := opened[p.planID]
		if !ok {
			continue
		}
		op := OverduePlan{PlanID: p.planID, ClientID: p.clientID, Title: o.body.Title, Client: o.client}
		for _, g := range o.body.Goals {
			for _, a := range g.Actions {
				if !a.Done && a.By != "" && a.By < today {
					op.Actions = append(op.Actions, a)
				}
			}
		}
		if len(op.Actions) == 0 {
			continue // saved again, its actions done, since the dates were read
		}
		slices.SortStableFunc(op.Actions, func(a, b PlanAction) int { return strings.Compare(a.By, b.By) })
		op.Since = op.Actions[0].By
		list = append(list, op)
	}
	return list, total, nil
}

// planDateColumn is a clear date column of plans that a caseload list
// selects on; never anything typed.
type planDateColumn string

const (
	planReviewOn    planDateColumn = "review_on"     // the next review
	planActionDueOn planDateColumn = "action_due_on" // the earliest open action
)

// caseloadPlan is an active plan in a caseload, with the date a list
// selected it on.
type caseloadPlan struct {
	planID, clientID string
	on               string // YYYY-MM-DD
}

// caseloadPlans lists the active plans in actor's caseload whose date
// column is set and on or before until, soonest first: ids and dates only,
// nobody opened. A caseworker's caseload is the clients whose work they
// own; a manager's, their services' clients (for either, the 1,000 most
// recently linked, as gate.Reach gives them); other roles have none.
func (cw *Casework) caseloadPlans(ctx context.Context, actor access.Actor, col planDateColumn, until string) ([]caseloadPlan, error) {
	var mineOnly bool
	switch actor.Role {
	case access.Caseworker:
		mineOnly = true
	case access.Manager:
	default:
		return nil, nil // no caseload
	}
	ids, err := cw.gate.Reach(ctx, actor, mineOnly, 1000, 0)
	if err != nil {
		return nil, err
	}
	c := string(col)
	var out []caseloadPlan
	const chunk = 250
	for start := 0; start < len(ids); start += chunk {
		part := ids[start:min(start+chunk, len(ids))]
		args := make([]any, 0, len(part)+2)
		for _, id := range part {
			args = append(args, id)
		}
		rows, err := cw.db.Query(ctx, `SELECT id, client_id, `+c+` FROM plans
			WHERE client_id IN (`+marks(len(part))+`) AND status = ? AND `+c+` <> '' AND `+c+` <= ?`,
			append(args, string(PlanActive), until)...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var p caseloadPlan
			if err := rows.Scan(&p.planID, &p.clientID, &p.on); err != nil {
				rows.Close()
				return nil, err
			}
			out = append(out, p)
		}
		if err := rows.Close(); err != nil {
			return nil, err
		}
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	slices.SortFunc(out, func(a, b caseloadPlan) int {
		if c := strings.Compare(a.on, b.on); c != 0 {
			return c
		}
		return strings.Compare(a.planID, b.planID)
	})
	return out, nil
}

// openedPlan is a listed plan's newest version and its client's row.
type openedPlan struct {
	body   planBody
	client ClientRow
}

// openCaseloadPlans opens the clients of the plans a list shows, in one
// audited batch, and decrypts the plans' newest versions and the clients'
// names: three queries however many there are. The map is by plan id; a
// plan whose client the actor may not read is not in it.
func (cw *Casework) openCaseloadPlans(ctx context.Context, actor access.Actor, purpose access.Purpose, shown []caseloadPlan) (map[string]openedPlan, error) {
	var clientIDs []string
	planArgs := make([]any, 0, len(shown))
	for _, p := range shown {
		if !slices.Contains(clientIDs, p.clientID) {
			clientIDs = append(clientIDs, p.clientID)
		}
		planArgs = append(planArgs, p.planID)
	}
	handles, err := cw.gate.OpenClients(ctx, actor, clientIDs, purpose, planReadAction(actor))
	if err != nil {
		return nil, err
	}
	if len(handles) == 0 {
		return nil, nil
	}
	type sealedPlan struct {
		version int64
		body    []byte
	}
	plans := make(map[string]sealedPlan, len(shown))
	rows, err := cw.db.Query(ctx, `SELECT p.id, p.version, v.body FROM plans p
		JOIN plan_versions v ON v.plan_id = p.id AND v.version = p.version
		WHERE p.id IN (`+marks(len(planArgs))+`)`, planArgs...)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var id string
		var p sealedPlan
		if err := rows.Scan(&id, &p.version, &p.body); err != nil {
			rows.Close()
			return nil, err
		}
		plans[id] = p
	}
	if err := rows.Close(); err != nil {
		return nil, err
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	type sealedNames struct{ given, family, flags []byte }
	names := make(map[string]sealedNames, len(handles))
	clientArgs := make([]any, 0, len(handles))
	for id := range handles {
		clientArgs = append(clientArgs, id)
	}
	rows, err = cw.db.Query(ctx, "SELECT id, given_name, family_name, flags FROM clients WHERE id IN ("+marks(len(clientArgs))+")", clientArgs...)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var id string
		var n sealedNames
		if err := rows.Scan(&id, &n.given, &n.family, &n.flags); err != nil {
			rows.Close()
			return nil, err
		}
		names[id] = n
	}
	if err := rows.Close(); err != nil {
		return nil, err
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var lists *orgLists
	rowOf := make(map[string]ClientRow, len(handles))
	out := make(map[string]openedPlan, len(shown))
	for _, p := range shown {
		h, ok := handles[p.clientID]
		sp, found := plans[p.planID]
		n, named := names[p.clientID]
		if !ok || !found || !named {
			continue
		}
		body, err := openPlanBody(h, p.planID, sp.version, sp.body)
		if err != nil {
			return nil, err
		}
		row, seen := rowOf[p.clientID]
		if !seen {
			if row, err = cw.row(ctx, actor, h, n.given, n.family, n.flags, &lists); err != nil {
				return nil, err
			}
			rowOf[p.clientID] = row
		}
		out[p.planID] = openedPlan{body: body, client: row}
	}
	return out, nil
}
