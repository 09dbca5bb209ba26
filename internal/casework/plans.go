package casework

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/caseward/caseward/internal/access"
	"github.com/caseward/caseward/internal/audit"
	"github.com/caseward/caseward/internal/gate"
	"github.com/caseward/caseward/internal/store"
)

// PlanStatus is whether a support plan is being worked to.
type PlanStatus string

// The statuses of a plan.
const (
	PlanActive PlanStatus = "active"
	PlanClosed PlanStatus = "closed"
)

// Valid reports whether s is a plan status.
func (s PlanStatus) Valid() bool { return s == PlanActive || s == PlanClosed }

// Label is the status in plain words.
func (s PlanStatus) Label() string {
	if s == PlanClosed {
		return "Closed"
	}
	return "Active"
}

// GoalStatus is how far a goal has come.
type GoalStatus string

// The statuses of a goal.
const (
	GoalNotStarted GoalStatus = "not-started"
	GoalUnderWay   GoalStatus = "under-way"
	GoalAchieved   GoalStatus = "achieved"
	GoalStopped    GoalStatus = "stopped"
)

// GoalStatuses lists the statuses, in the order forms offer them.
var GoalStatuses = []GoalStatus{GoalNotStarted, GoalUnderWay, GoalAchieved, GoalStopped}

// Valid reports whether s is one of GoalStatuses.
func (s GoalStatus) Valid() bool {
	return s == GoalNotStarted || s == GoalUnderWay || s == GoalAchieved || s == GoalStopped
}

// Label is the status in plain words, as the client's copy says it.
func (s GoalStatus) Label() string {
	switch s {
	case GoalUnderWay:
		return "Under way"
	case GoalAchieved:
		return "Achieved"
	case GoalStopped:
		return "No longer needed"
	}
	return "Not started"
}

// PlanAction is one agreed action towards a goal: what, who does it, and
// by when.
type PlanAction struct {
	What string `json:"what"`
	Who  string `json:"who"`
	By   string `json:"by"` // YYYY-MM-DD, or "" when no date was agreed
	Done bool   `json:"done"`
}

// Goal is one goal of a plan, with its actions.
type Goal struct {
	Text    string       `json:"text"`
	Status  GoalStatus   `json:"status"`
	Actions []PlanAction `json:"actions"`
}

// planBody is what the client's copy shows: sealed as one value per version.
type planBody struct {
	Title string `json:"title"`
	Goals []Goal `json:"goals"`
}

// Plan is one version of a support plan, decrypted for one actor.
type Plan struct {
	ID        string     `json:"id"`
	ClientID  string     `json:"client_id"`
	Version   int64      `json:"version"` // the version shown
	Latest    int64      `json:"latest"`  // the plan's newest version
	Status    PlanStatus `json:"status"`
	Title     string     `json:"title"`
	ReviewOn  string     `json:"review_on"` // next review, YYYY-MM-DD or ""
	Goals     []Goal     `json:"goals"`
	Reason    string     `json:"reason"` // why this version was saved; "" for the first
	SavedBy   string     `json:"saved_by"`
	SavedAt   time.Time  `json:"saved_at"`
	CreatedAt time.Time  `json:"created_at"`
	// InternalNotes are for staff only, never in the client's copy; they
	// are empty unless NotesShown.
	InternalNotes string `json:"internal_notes,omitempty"`
	NotesShown    bool   `json:"-"`
}

// PlanVersion is one entry of a plan's history.
type PlanVersion struct {
	Version  int64      `json:"version"`
	Status   PlanStatus `json:"status"`
	ReviewOn string     `json:"review_on"`
	Reason   string     `json:"reason"`
	SavedBy  string     `json:"saved_by"`
	SavedAt  time.Time  `json:"saved_at"`
}

// PlanAgreementMethod is how the client answered a plan.
type PlanAgreementMethod string

// The client's possible answers to a plan (P04).
const (
	AgreedSigned   PlanAgreementMethod = "signed"   // signed on screen
	AgreedVerbally PlanAgreementMethod = "verbal"   // agreed verbally
	Declined       PlanAgreementMethod = "declined" // did not agree
)

// PlanAgreementMethods lists the answers, in the order forms offer them.
var PlanAgreementMethods = []PlanAgreementMethod{AgreedSigned, AgreedVerbally, Declined}

// Valid reports whether m is one of PlanAgreementMethods.
func (m PlanAgreementMethod) Valid() bool {
	return m == AgreedSigned || m == AgreedVerbally || m == Declined
}

// Label is the answer in plain words.
func (m PlanAgreementMethod) Label() string {
	switch m {
	case AgreedSigned:
		return "Signed on screen"
	case AgreedVerbally:
		return "Agreed verbally"
	case Declined:
		return "Declined"
	}
	return string(m)
}

// PlanAgreement is the client's answer to one version of a plan.
type PlanAgreement struct {
	ID          string              `json:"id"`
	PlanVersion int64               `json:"plan_version"`
	Method      PlanAgreementMethod `json:"method"`
	AgreedOn    string              `json:"agreed_on"` // YYYY-MM-DD
	Signature   *Signature          `json:"signature,omitempty"`
	Note        string              `json:"note,omitempty"`
	RecordedBy  string              `json:"recorded_by"`
	RecordedAt  time.Time           `json:"recorded_at"`
}

// PlanInput is a plan as typed into the form or sent to the API. Empty
// goals and actions (blank rows of the form) are left out.
type PlanInput struct {
	Title         string     `json:"title"`
	Status        PlanStatus `json:"status"`    // "" means active
	ReviewOn      string     `json:"review_on"` // YYYY-MM-DD (or D/M/YYYY)
	Goals         []Goal     `json:"goals"`
	InternalNotes string     `json:"internal_notes"`
	Reason        string     `json:"reason"` // what changed and why: needed for every change
}

// Limits of a plan.
const (
	MaxPlanGoals      = 30
	MaxGoalActions    = 30
	MaxInternalNotes  = 20000
	maxActionWhat     = 1000
	maxPlanReasonText = 1000
)

type validPlan struct {
	status        PlanStatus
	reviewOn      string
	body          planBody
	internalNotes string
	reason        string
	actionDueOn   string
}

// Field names in errors: "title", "status", "review_on", "goals" (none
// given), "goals.N.text", "goals.N.status", "goals.N.actions.M.what",
// ".who", ".by", "internal_notes", "reason". N and M count every goal and
// action sent, blank ones included, so a form can point at its own rows.
func (in PlanInput) validate(first bool) (validPlan, error) {
	var v ValidationError
	var p validPlan
	p.body.Title = cleanText(&v, "title", "the title", in.Title, MaxTextLength, false)
	if p.body.Title == "" && v.For("title") == "" {
		v.add("title", "Enter a title for the plan, like “Support plan”")
	}
	p.status = in.Status
	if p.status == "" {
		p.status = PlanActive
	}
	if !p.status.Valid() {
		v.add("status", "Choose whether the plan is active or closed")
	}
	p.reviewOn = parsePlanDate(&v, "review_on", "the next review date", in.ReviewOn)
	for i, g := range in.Goals {
		f := "goals." + strconv.Itoa(i) + "."
		text := cleanText(&v, f+"text", "the goal", g.Text, MaxLongTextLength, true)
		var actions []PlanAction
		for j, a := range g.Actions {
			af := f + "actions." + strconv.Itoa(j) + "."
			a.What = cleanText(&v, af+"what", "what will be done", a.What, maxActionWhat, true)
			a.Who = cleanText(&v, af+"who", "who will do it", a.Who, MaxTextLength, false)
			a.By = parsePlanDate(&v, af+"by", "the date", a.By)
			if a.What == "" && a.Who == "" && a.By == "" && strings.TrimSpace(g.Actions[j].By) == "" {
				continue // a blank row
			}
			if a.What == "" && v.For(af+"what") == "" {
				v.add(af+"what", "Say what will be done")
			}
			actions = append(actions, a)
		}
		if text == "" && len(actions) == 0 && v.For(f+"text") == "" {
			continue // a blank goal
		}
		if text == "" && v.For(f+"text") == "" {
			v.add(f+"text", "Describe the goal")
		}
		status := g.Status
		if status == "" {
			status = GoalNotStarted
		}
		if !status.Valid() {
			v.add(f+"status", "Choose how far the goal has come")
		}
		if len(actions) > MaxGoalActions {
			v.add(f+"actions", "A goal can have at most "+strconv.Itoa(MaxGoalActions)+" actions")
		}
		p.body.Goals = append(p.body.Goals, Goal{Text: text, Status: status, Actions: actions})
	}
	switch {
	case len(p.body.Goals) == 0:
		v.add("goals", "Add at least one goal")
	case len(p.body.Goals) > MaxPlanGoals:
		v.add("goals", "A plan can have at most "+strconv.Itoa(MaxPlanGoals)+" goals")
	}
	p.internalNotes = cleanText(&v, "internal_notes", "the internal notes", in.InternalNotes, MaxInternalNotes, true)
	p.reason = cleanText(&v, "reason", "the reason", in.Reason, maxPlanReasonText, true)
	if !first && p.reason == "" && v.For("reason") == "" {
		v.add("reason", "Say what changed and why, like “Reviewed with the client”")
	}
	if p.status == PlanActive {
		for _, g := range p.body.Goals {
			for _, a := range g.Actions {
				if !a.Done && a.By != "" && (p.actionDueOn == "" || a.By < p.actionDueOn) {
					p.actionDueOn = a.By
				}
			}
		}
	}
	return p, v.orNil()
}

// parsePlanDate reads an optional date typed as 2027-03-27 (what a date
// input sends) or 27/3/2027, and returns it as YYYY-MM-DD.
func parsePlanDate(v *ValidationError, field, label, s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	d, err := time.Parse(DateLayout, s)
	if err != nil {
		parts := strings.FieldsFunc(s, func(r rune) bool { return r == '/' || r == ' ' || r == '.' || r == '-' })
		if len(parts) == 3 && len(parts[2]) == 4 {
			day, e1 := strconv.Atoi(parts[0])
			month, e2 := strconv.Atoi(parts[1])
			year, e3 := strconv.Atoi(parts[2])
			if e1 == nil && e2 == nil && e3 == nil {
				d = time.Date(year, time.Month(month), day, 0, 0, 0, 0, time.UTC)
				if d.Day() == day && int(d.Month()) == month {
					err = nil
				}
			}
		}
	}
	if err != nil || d.Year() < 1900 || d.Year() > 2200 {
		v.add(field, "Enter "+label+" as a real date, like 27/3/2027")
		return ""
	}
	return d.Format(DateLayout)
}

// planReadAction is what reading plans needs. Internal notes on a plan are
// notes: staff who read notes open plans for that, and see them; admin
// staff, who need not see notes (002), open the record and see plans
// without them.
func planReadAction(actor access.Actor) access.Action {
	if actor.Role == access.AdminStaff {
		return access.ViewRecord
	}
	return access.ViewNotes
}

// day reads a YYYY-MM-DD date; the zero time if s is not one.
func day(s string) time.Time {
	d, _ := time.Parse(DateLayout, s)
	return d
}

// ReviewDate is the next review date as a time (zero if none).
func (p Plan) ReviewDate() time.Time { return day(p.ReviewOn) }

// ReviewDate is the review date this version set, as a time (zero if none).
func (v PlanVersion) ReviewDate() time.Time { return day(v.ReviewOn) }

// ReviewDate is the next review date as a time (zero if none).
func (s PlanSummary) ReviewDate() time.Time { return day(s.ReviewOn) }

// ByDate is the date the action is due by, as a time (zero if none).
func (a PlanAction) ByDate() time.Time { return day(a.By) }

// Date is the date of the client's answer, as a time.
func (a PlanAgreement) Date() time.Time { return day(a.AgreedOn) }

func planVersionRow(planID string, version int64) string {
	return planID + "." + strconv.FormatInt(version, 10)
}

func sealPlanVersion(h *gate.Handle, planID string, version int64, p validPlan) (body, notes, reason []byte, err error) {
	row := planVersionRow(planID, version)
	b, err := json.Marshal(p.body)
	if err != nil {
		return nil, nil, nil, err
	}
	if body, err = h.Seal("plan_versions", "body", row, b); err != nil {
		return
	}
	if notes, err = h.SealString("plan_versions", "internal_notes", row, p.internalNotes); err != nil {
		return
	}
	reason, err = h.SealString("plan_versions", "reason", row, p.reason)
	return
}

// CreatePlan starts a support plan for a client and returns its id. Only
// staff who write notes make and change plans.
func (cw *Casework) CreatePlan(ctx context.Context, actor access.Actor, clientID string, in PlanInput) (string, error) {
	p, err := in.validate(true)
	if err != nil {
		return "", err
	}
	// A plan holds internal notes: writing one is writing notes, which
	// admin staff do not (002); otherwise a save by someone who cannot
	// see the notes would drop them.
	h, err := cw.gate.OpenClient(ctx, actor, clientID, access.Casework, access.WriteNotes)
	if err != nil {
		return "", err
	}
	id := store.NewID()
	body, notes, reason, err := sealPlanVersion(h, id, 1, p)
	if err != nil {
		return "", err
	}
	now := cw.now().UTC().UnixMicro()
	err = h.Update(ctx, []string{id}, func(ctx context.Context, tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO plans (id, client_id, status, version, review_on, action_due_on, created_by, created_at, updated_at)
			VALUES (?, ?, ?, 1, ?, ?, ?, ?, ?)`, id, h.ClientID(), string(p.status), p.reviewOn, p.actionDueOn, actor.UserID, now, now); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO plan_versions (plan_id, version, client_id, status, review_on, body, internal_notes, reason, saved_by, saved_at)
			VALUES (?, 1, ?, ?, ?, ?, ?, ?, ?, ?)`, id, h.ClientID(), string(p.status), p.reviewOn, body, notes, reason, actor.UserID, now)
		return err
	})
	if err != nil {
		return "", err
	}
	return id, nil
}

// UpdatePlan saves a new version of a plan; the versions before it stay in
// its history. version is the version the editor started from: if someone
// saved in between, ErrConflict is returned and nothing is written.
func (cw *Casework) UpdatePlan(ctx context.Context, actor access.Actor, clientID, planID string, version int64, in PlanInput) error {
	p, err := in.validate(false)
	if err != nil {
		return err
	}
	h, err := cw.gate.OpenClient(ctx, actor, clientID, access.Casework, access.WriteNotes)
	if err != nil {
		return err
	}
	next := version + 1
	body, notes, reason, err := sealPlanVersion(h, planID, next, p)
	if err != nil {
		return err
	}
	now := cw.now().UTC().UnixMicro()
	return h.Update(ctx, []string{planID}, func(ctx context.Context, tx *store.Tx) error {
		if err := cw.checkPlanVersion(ctx, tx, h.ClientID(), planID, version); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE plans SET version = ?, status = ?, review_on = ?, action_due_on = ?, updated_at = ?
			WHERE id = ? AND client_id = ? AND version = ?`, next, string(p.status), p.reviewOn, p.actionDueOn, now, planID, h.ClientID(), version); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO plan_versions (plan_id, version, client_id, status, review_on, body, internal_notes, reason, saved_by, saved_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, planID, next, h.ClientID(), string(p.status), p.reviewOn, body, notes, reason, actor.UserID, now)
		return err
	})
}

// checkPlanVersion returns ErrNotFound if the client has no such plan and
// ErrConflict if its newest version is not version. Inside the write
// transaction, so nobody can save in between.
func (cw *Casework) checkPlanVersion(ctx context.Context, tx *store.Tx, clientID, planID string, version int64) error {
	var current int64
	err := tx.QueryRow(ctx, "SELECT version FROM plans WHERE id = ? AND client_id = ?"+tx.ForUpdate(), planID, clientID).Scan(&current)
	if errors.Is(store.NotFound(err), store.ErrNotFound) {
		return ErrNotFound
	}
	if err != nil {
		return err
	}
	if current != version {
		return ErrConflict
	}
	return nil
}

// PlanSummary is a plan as the list of a client's plans shows it.
type PlanSummary struct {
	ID        string         `json:"id"`
	Title     string         `json:"title"`
	Status    PlanStatus     `json:"status"`
	Version   int64          `json:"version"`
	ReviewOn  string         `json:"review_on"`
	UpdatedAt time.Time      `json:"updated_at"`
	Agreement *PlanAgreement `json:"agreement,omitempty"` // the latest answer to any version, without signature or note
}

// PlansPage is the "Plans and agreements" section of a client's record.
type PlansPage struct {
	Header     Header
	Plans      []PlanSummary
	Agreements []ClientAgreement
}

// Plans lists a client's support plans, newest first, and the agreements
// they signed, in one opening of the record.
func (cw *Casework) Plans(ctx context.Context, actor access.Actor, clientID string, purpose access.Purpose) (PlansPage, error) {
	h, err := cw.gate.OpenClient(ctx, actor, clientID, purpose, access.ViewRecord)
	if err != nil {
		return PlansPage{}, err
	}
	var page PlansPage
	if page.Header, err = cw.headerFor(ctx, actor, h); err != nil {
		return PlansPage{}, err
	}
	if page.Plans, err = cw.planSummaries(ctx, h); err != nil {
		return PlansPage{}, err
	}
	if page.Agreements, err = cw.clientAgreements(ctx, h.ClientID()); err != nil {
		return PlansPage{}, err
	}
	return page, nil
}

func (cw *Casework) planSummaries(ctx context.Context, h *gate.Handle) ([]PlanSummary, error) {
	rows, err := cw.db.Query(ctx, `SELECT p.id, p.status, p.version, p.review_on, p.updated_at, v.body
		FROM plans p JOIN plan_versions v ON v.plan_id = p.id AND v.version = p.version
		WHERE p.client_id = ? ORDER BY p.created_at DESC, p.id`, h.ClientID())
	if err != nil {
		return nil, fmt.Errorf("plans: %w", err)
	}
	var out []PlanSummary
	index := map[string]int{}
	for rows.Next() {
		var s PlanSummary
		var updated int64
		var sealed []byte
		if err := rows.Scan(&s.ID, &s.Status, &s.Version, &s.ReviewOn, &updated, &sealed); err != nil {
			rows.Close()
			return nil, fmt.Errorf("plans: %w", err)
		}
		s.UpdatedAt = time.UnixMicro(updated).UTC()
		body, err := openPlanBody(h, s.ID, s.Version, sealed)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("plans: %w", err)
		}
		s.Title = body.Title
		index[s.ID] = len(out)
		out = append(out, s)
	}
	if err := rows.Close(); err != nil {
		return nil, err
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("plans: %w", err)
	}
	if len(out) == 0 {
		return nil, nil
	}
	// The latest answer to each plan, in one query, without decrypting.
	arows, err := cw.db.Query(ctx, `SELECT id, plan_id, plan_version, method, agreed_on, recorded_by, recorded_at
		FROM plan_agreements WHERE client_id = ? ORDER BY plan_id, seq`, h.ClientID())
	if err != nil {
		return nil, fmt.Errorf("plan agreements: %w", err)
	}
	defer arows.Close()
	for arows.Next() {
		var a PlanAgreement
		var planID string
		var at int64
		if err := arows.Scan(&a.ID, &planID, &a.PlanVersion, &a.Method, &a.AgreedOn, &a.RecordedBy, &at); err != nil {
			return nil, fmt.Errorf("plan agreements: %w", err)
		}
		a.RecordedAt = time.UnixMicro(at).UTC()
		if i, ok := index[planID]; ok {
			out[i].Agreement = &a
		}
	}
	return out, arows.Err()
}

func openPlanBody(h *gate.Handle, planID string, version int64, sealed []byte) (planBody, error) {
	var body planBody
	b, err := h.Open("plan_versions", "body", planVersionRow(planID, version), sealed)
	if err != nil {
		return body, err
	}
	err = json.Unmarshal(b, &body)
	return body, err
}

// PlanView is one plan as its page shows it.
type PlanView struct {
	Header     Header
	Plan       Plan
	History    []PlanVersion   // newest first
	Agreements []PlanAgreement // newest first, every version's
}

// Agreement returns the client's latest answer to the version shown, or nil.
func (v PlanView) Agreement() *PlanAgreement {
	for i := range v.Agreements {
		if v.Agreements[i].PlanVersion == v.Plan.Version {
			return &v.Agreements[i]
		}
	}
	return nil
}

// Plan opens one plan: version 0 means the newest. Staff who read notes
// see its internal notes; admin staff do not.
func (cw *Casework) Plan(ctx context.Context, actor access.Actor, clientID, planID string, version int64, purpose access.Purpose) (PlanView, error) {
	act := planReadAction(actor)
	h, err := cw.gate.OpenClient(ctx, actor, clientID, purpose, act)
	if err != nil {
		return PlanView{}, err
	}
	var view PlanView
	if view.Header, err = cw.headerFor(ctx, actor, h); err != nil {
		return PlanView{}, err
	}
	if view.Plan, err = cw.readPlan(ctx, h, planID, version, act == access.ViewNotes); err != nil {
		return PlanView{}, err
	}
	if view.History, err = cw.planHistory(ctx, h, planID); err != nil {
		return PlanView{}, err
	}
	if view.Agreements, err = cw.planAgreements(ctx, h, planID, 0); err != nil {
		return PlanView{}, err
	}
	return view, nil
}

// readPlan reads one version of a plan (0: the newest).
func (cw *Casework) readPlan(ctx context.Context, h *gate.Handle, planID string, version int64, withNotes bool) (Plan, error) {
	p := Plan{ID: planID, ClientID: h.ClientID(), NotesShown: withNotes}
	var created int64
	err := cw.db.QueryRow(ctx, "SELECT version, created_at FROM plans WHERE id = ? AND client_id = ?", planID, h.ClientID()).Scan(&p.Latest, &created)
	if errors.Is(store.NotFound(err), store.ErrNotFound) {
		return Plan{}, ErrNotFound
	}
	if err != nil {
		return Plan{}, fmt.Errorf("read plan: %w", err)
	}
	p.CreatedAt = time.UnixMicro(created).UTC()
	p.Version = version
	if version <= 0 {
		p.Version = p.Latest
	}
	var body, notes, reason []byte
	var saved int64
	err = cw.db.QueryRow(ctx, `SELECT status, review_on, body, internal_notes, reason, saved_by, saved_at
		FROM plan_versions WHERE plan_id = ? AND version = ? AND client_id = ?`, planID, p.Version, h.ClientID()).
		Scan(&p.Status, &p.ReviewOn, &body, &notes, &reason, &p.SavedBy, &saved)
	if errors.Is(store.NotFound(err), store.ErrNotFound) {
		return Plan{}, ErrNotFound
	}
	if err != nil {
		return Plan{}, fmt.Errorf("read plan: %w", err)
	}
	p.SavedAt = time.UnixMicro(saved).UTC()
	b, err := openPlanBody(h, planID, p.Version, body)
	if err != nil {
		return Plan{}, fmt.Errorf("read plan: %w", err)
	}
	p.Title, p.Goals = b.Title, b.Goals
	row := planVersionRow(planID, p.Version)
	if p.Reason, err = h.OpenString("plan_versions", "reason", row, reason); err != nil {
		return Plan{}, fmt.Errorf("read plan: %w", err)
	}
	if withNotes {
		if p.InternalNotes, err = h.OpenString("plan_versions", "internal_notes", row, notes); err != nil {
			return Plan{}, fmt.Errorf("read plan: %w", err)
		}
	}
	return p, nil
}

func (cw *Casework) planHistory(ctx context.Context, h *gate.Handle, planID string) ([]PlanVersion, error) {
	rows, err := cw.db.Query(ctx, `SELECT version, status, review_on, reason, saved_by, saved_at
		FROM plan_versions WHERE plan_id = ? AND client_id = ? ORDER BY version DESC`, planID, h.ClientID())
	if err != nil {
		return nil, fmt.Errorf("plan history: %w", err)
	}
	defer rows.Close()
	var out []PlanVersion
	for rows.Next() {
		var v PlanVersion
		var reason []byte
		var saved int64
		if err := rows.Scan(&v.Version, &v.Status, &v.ReviewOn, &reason, &v.SavedBy, &saved); err != nil {
			return nil, fmt.Errorf("plan history: %w", err)
		}
		v.SavedAt = time.UnixMicro(saved).UTC()
		if v.Reason, err = h.OpenString("plan_versions", "reason", planVersionRow(planID, v.Version), reason); err != nil {
			return nil, fmt.Errorf("plan history: %w", err)
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// planAgreements returns the client's answers to a plan, newest first;
// only version's when version > 0.
func (cw *Casework) planAgreements(ctx context.Context, h *gate.Handle, planID string, version int64) ([]PlanAgreement, error) {
	rows, err := cw.db.Query(ctx, `SELECT id, plan_version, method, agreed_on, signature, note, recorded_by, recorded_at
		FROM plan_agreements WHERE plan_id = ? AND client_id = ? AND (? = 0 OR plan_version = ?) ORDER BY seq DESC`,
		planID, h.ClientID(), version, version)
	if err != nil {
		return nil, fmt.Errorf("plan agreements: %w", err)
	}
	defer rows.Close()
	var out []PlanAgreement
	for rows.Next() {
		var a PlanAgreement
		var sig, note []byte
		var at int64
		if err := rows.Scan(&a.ID, &a.PlanVersion, &a.Method, &a.AgreedOn, &sig, &note, &a.RecordedBy, &at); err != nil {
			return nil, fmt.Errorf("plan agreements: %w", err)
		}
		a.RecordedAt = time.UnixMicro(at).UTC()
		if a.Signature, err = openSignature(h, "plan_agreements", "signature", a.ID, sig); err != nil {
			return nil, fmt.Errorf("plan agreements: %w", err)
		}
		if a.Note, err = h.OpenString("plan_agreements", "note", a.ID, note); err != nil {
			return nil, fmt.Errorf("plan agreements: %w", err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// PlanAgreementInput is the client's answer to a plan, as the form or the
// API sends it.
type PlanAgreementInput struct {
	Version   int64               `json:"version"` // the version the client was shown
	Method    PlanAgreementMethod `json:"method"`
	AgreedOn  string              `json:"agreed_on"` // verbal or declined: when; "" means today
	Note      string              `json:"note"`
	Signature SignatureInput      `json:"signature"` // signed on screen
}

// RecordPlanAgreement records the client's answer to the version of the
// plan they were shown: signed on screen (today), agreed verbally or
// declined (on a date up to today). If the plan changed since, ErrConflict
// is returned: the client must see the new version.
func (cw *Casework) RecordPlanAgreement(ctx context.Context, actor access.Actor, clientID, planID string, in PlanAgreementInput) (string, error) {
	var v ValidationError
	today := cw.now().UTC().Format(DateLayout)
	if !in.Method.Valid() {
		v.add("method", "Choose how the client answered")
	}
	on := today
	var sig *Signature
	switch in.Method {
	case AgreedSigned:
		s := in.Signature.validate(&v)
		sig = &s
	case AgreedVerbally, Declined:
		if d := parsePlanDate(&v, "agreed_on", "the date", in.AgreedOn); d != "" {
			if d > today {
				v.add("agreed_on", "The date must be today or in the past")
			}
			on = d
		}
	}
	note := cleanText(&v, "note", "the note", in.Note, MaxLongTextLength, true)
	if err := v.orNil(); err != nil {
		return "", err
	}
	h, err := cw.gate.OpenClient(ctx, actor, clientID, access.Casework, access.Edit)
	if err != nil {
		return "", err
	}
	id := store.NewID()
	var sealedSig []byte
	if sig != nil {
		if sealedSig, err = sealSignature(h, "plan_agreements", "signature", id, *sig); err != nil {
			return "", err
		}
	}
	sealedNote, err := h.SealString("plan_agreements", "note", id, note)
	if err != nil {
		return "", err
	}
	now := cw.now().UTC().UnixMicro()
	err = h.Update(ctx, []string{planID, id}, func(ctx context.Context, tx *store.Tx) error {
		if err := cw.checkPlanVersion(ctx, tx, h.ClientID(), planID, in.Version); err != nil {
			return err
		}
		var seq int64
		if err := tx.QueryRow(ctx, "SELECT COALESCE(MAX(seq), 0) + 1 FROM plan_agreements WHERE plan_id = ?", planID).Scan(&seq); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO plan_agreements (id, plan_id, seq, plan_version, client_id, method, agreed_on, signature, note, recorded_by, recorded_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, id, planID, seq, in.Version, h.ClientID(), string(in.Method), on, sealedSig, sealedNote, actor.UserID, now)
		return err
	})
	if err != nil {
		return "", err
	}
	return id, nil
}

// PlanCopy is the client's copy of a plan (P04): what was agreed, in plain
// words. It has no field for internal notes, so they cannot reach it.
type PlanCopy struct {
	ClientName string
	ServiceID  string
	Title      string
	Version    int64
	Status     PlanStatus
	SavedAt    time.Time
	ReviewOn   string
	Goals      []Goal
	// Agreement is the client's latest answer to this version, or nil.
	Agreement *PlanAgreement
}

// PlanCopy returns the newest version of a plan for the client's copy, and
// records the print in the audit log as "plan.print": a copy on paper or
// in a file leaves the system, so it is deliberate and recorded (P20). If
// the entry cannot be written, no copy is made.
func (cw *Casework) PlanCopy(ctx context.Context, actor access.Actor, clientID, planID string, purpose access.Purpose) (PlanCopy, error) {
	h, err := cw.gate.OpenClient(ctx, actor, clientID, purpose, access.ViewRecord)
	if err != nil {
		return PlanCopy{}, err
	}
	c, err := cw.readClient(ctx, h, maySeeName(actor, h.Subject()))
	if err != nil {
		return PlanCopy{}, err
	}
	name := strings.TrimSpace(c.GivenName + " " + c.FamilyName)
	if c.NameWithheld {
		name = c.Initials // the name is hidden from this member of staff
	}
	p, err := cw.readPlan(ctx, h, planID, 0, false)
	if err != nil {
		return PlanCopy{}, err
	}
	agreements, err := cw.planAgreements(ctx, h, planID, p.Version)
	if err != nil {
		return PlanCopy{}, err
	}
	out := PlanCopy{
		ClientName: name, ServiceID: c.ServiceID,
		Title: p.Title, Version: p.Version, Status: p.Status, SavedAt: p.SavedAt, ReviewOn: p.ReviewOn, Goals: p.Goals,
	}
	if len(agreements) > 0 {
		a := agreements[0]
		a.Note = "" // a note on the answer is the worker's, not the client's copy
		out.Agreement = &a
	}
	if err := cw.recordClientEvent(ctx, actor, "plan.print", h.ClientID(), purpose, "client-copy", planID); err != nil {
		return PlanCopy{}, err
	}
	return out, nil
}

// recordClientEvent writes an audit entry for something done with a
// client's data that an opening does not cover: a print, a download.
func (cw *Casework) recordClientEvent(ctx context.Context, actor access.Actor, action, clientID string, purpose access.Purpose, reason string, recordIDs ...string) error {
	_, err := cw.gate.Audit().Record(ctx, audit.Entry{
		Actor: actor.UserID, Action: action, ClientID: clientID, RecordIDs: recordIDs,
		Purpose: string(purpose), Allowed: true, Reason: reason,
	})
	if err != nil {
		return fmt.Errorf("%s: audit: %w", action, err)
	}
	return nil
}
