package web

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/caseward/caseward/internal/access"
	"github.com/caseward/caseward/internal/casework"
	"github.com/caseward/caseward/internal/pdf"
)

// Plans and agreements: the "Plans and agreements" section of a client's
// record. Support plans with goals, actions and reviews, versioned; the
// client's answer to each version; the client's copy as a PDF (P04); the
// confidentiality agreement and the counselling contract / work
// agreement, signed on screen (P09, P11). The JSON API mirrors each page.

// planStaffNames names the members of staff behind ids, for "saved by"
// lines: a handful per page, looked up once each.
func (s *Server) planStaffNames(r *http.Request, ids ...string) map[string]string {
	names := map[string]string{}
	for _, id := range ids {
		if _, done := names[id]; done || id == "" {
			continue
		}
		if u, err := s.app.Staff.UserByID(r.Context(), id); err == nil {
			names[id] = u.Name
		} else {
			names[id] = "A former member of staff"
		}
	}
	return names
}

// planFieldID turns a domain field name ("goals.0.actions.1.by") into the
// id of its input ("goals-0-actions-1-by").
func planFieldID(field string) string {
	switch field {
	case "goals":
		return "goals-0-text"
	case "signature":
		return "typed-name"
	}
	if strings.HasSuffix(field, ".actions") {
		return strings.ReplaceAll(field, ".", "-") + "-0-what"
	}
	return strings.ReplaceAll(strings.ReplaceAll(field, ".", "-"), "_", "-")
}

// planErrors turns a validation error into messages by field and the
// error summary's links.
func planErrors(ve *casework.ValidationError, b *basePage) map[string]string {
	return fieldErrors(ve, b, planFieldID)
}

// planWriter reports whether the viewer makes and changes plans: staff
// who write notes, since a plan holds internal notes (admin staff and the
// DPO do not).
func planWriter(v *viewer) bool {
	return v.User.Role == access.Caseworker || v.User.Role == access.Manager
}

// --- The section: plans and signed agreements ---

type plansPage struct {
	basePage
	casework.PlansPage
	Purpose        string // query string carrying the DPO's purpose, or ""
	CanEdit        bool   // may start and change plans
	CanSign        bool   // may record signatures and answers
	AgreementKinds []casework.AgreementKind
}

func (s *Server) plans(w http.ResponseWriter, r *http.Request, v *viewer) error {
	p, ok, err := s.casePurpose(w, r, v)
	if !ok {
		return err
	}
	page, err := s.app.Casework.Plans(r.Context(), v.User.Actor(), r.PathValue("id"), p)
	if err != nil {
		return err
	}
	out := plansPage{basePage: s.base(v), PlansPage: page, Purpose: purposeQuery(v, p), CanEdit: planWriter(v), CanSign: v.User.Role != access.DPO, AgreementKinds: casework.AgreementKinds}
	switch r.URL.Query().Get("done") {
	case "signed":
		out.Message = "The agreement is signed and kept on the record."
	}
	return s.render(w, http.StatusOK, "plans", out)
}

// --- A plan's form: new, edit, and its rows ---

type planActionRow struct {
	Index, Number  int
	What, Who, By  string
	Done           bool
	FieldPrefix    string // "goals-0-actions-1-"
	ErrPrefixField string // "goals.0.actions.1."
}

type planGoalRow struct {
	Index, Number  int
	Text, Status   string
	Actions        []planActionRow
	FieldPrefix    string // "goals-0-"
	ErrPrefixField string // "goals.0."
}

type planForm struct {
	basePage
	Header        casework.Header
	ClientID      string
	PlanID        string // "" for a new plan
	Version       int64
	Title         string
	Status        string
	ReviewOn      string
	InternalNotes string
	Reason        string
	Goals         []planGoalRow
	Err           map[string]string
	Conflict      *casework.Plan // what someone else saved meanwhile
	GoalStatuses  []casework.GoalStatus
}

// E returns the message for a field, or "".
func (f planForm) E(field string) string { return f.Err[field] }

func newGoalRow(i int, g casework.Goal, blankActions int) planGoalRow {
	row := planGoalRow{Index: i, Number: i + 1, Text: g.Text, Status: string(g.Status),
		FieldPrefix: "goals-" + strconv.Itoa(i) + "-", ErrPrefixField: "goals." + strconv.Itoa(i) + "."}
	for j, a := range g.Actions {
		row.Actions = append(row.Actions, newActionRow(i, j, a))
	}
	for range blankActions {
		row.Actions = append(row.Actions, newActionRow(i, len(row.Actions), casework.PlanAction{}))
	}
	return row
}

func newActionRow(i, j int, a casework.PlanAction) planActionRow {
	return planActionRow{Index: j, Number: j + 1, What: a.What, Who: a.Who, By: a.By, Done: a.Done,
		FieldPrefix:    "goals-" + strconv.Itoa(i) + "-actions-" + strconv.Itoa(j) + "-",
		ErrPrefixField: "goals." + strconv.Itoa(i) + ".actions." + strconv.Itoa(j) + "."}
}

// maxFormRows bounds how many rows a posted form is read for.
const maxFormRows = 100

// readPlanForm reads the plan form's fields into f and the domain's input.
// Goal and action rows are read while their inputs are present.
func readPlanForm(r *http.Request, f *planForm) casework.PlanInput {
	f.Title = r.PostFormValue("title")
	f.Status = r.PostFormValue("status")
	f.ReviewOn = r.PostFormValue("review_on")
	f.InternalNotes = r.PostFormValue("internal_notes")
	f.Reason = r.PostFormValue("reason")
	in := casework.PlanInput{Title: f.Title, Status: casework.PlanStatus(f.Status), ReviewOn: f.ReviewOn, InternalNotes: f.InternalNotes, Reason: f.Reason}
	f.Goals = nil
	for i := 0; i < maxFormRows; i++ {
		gp := "goals-" + strconv.Itoa(i) + "-"
		if _, ok := r.PostForm[gp+"text"]; !ok {
			break
		}
		g := casework.Goal{Text: r.PostFormValue(gp + "text"), Status: casework.GoalStatus(r.PostFormValue(gp + "status"))}
		for j := 0; j < maxFormRows; j++ {
			ap := gp + "actions-" + strconv.Itoa(j) + "-"
			if _, ok := r.PostForm[ap+"what"]; !ok {
				break
			}
			g.Actions = append(g.Actions, casework.PlanAction{
				What: r.PostFormValue(ap + "what"), Who: r.PostFormValue(ap + "who"),
				By: r.PostFormValue(ap + "by"), Done: r.PostFormValue(ap+"done") != "",
			})
		}
		in.Goals = append(in.Goals, g)
		f.Goals = append(f.Goals, newGoalRow(i, g, 0))
	}
	return in
}

// addRow handles the form's "Add another goal" and "Add another action"
// buttons, which post the form without saving it. It reports whether the
// post was one of them.
func (f *planForm) addRow(r *http.Request) bool {
	add := r.PostFormValue("add")
	switch {
	case add == "goal":
		if len(f.Goals) < casework.MaxPlanGoals {
			f.Goals = append(f.Goals, newGoalRow(len(f.Goals), casework.Goal{}, 1))
		}
		return true
	case strings.HasPrefix(add, "action-"):
		i, err := strconv.Atoi(strings.TrimPrefix(add, "action-"))
		if err == nil && i >= 0 && i < len(f.Goals) && len(f.Goals[i].Actions) < casework.MaxGoalActions {
			g := &f.Goals[i]
			g.Actions = append(g.Actions, newActionRow(i, len(g.Actions), casework.PlanAction{}))
		}
		return true
	}
	return false
}

func (s *Server) newPlanForm(w http.ResponseWriter, r *http.Request, v *viewer) error {
	p, ok := purpose(v, r)
	if !ok || !planWriter(v) {
		return casework.ErrForbidden
	}
	hd, err := s.app.Casework.Header(r.Context(), v.User.Actor(), r.PathValue("id"), p)
	if err != nil {
		return err
	}
	f := planForm{basePage: s.base(v), Header: hd, ClientID: hd.ClientID, Title: "Support plan", Status: string(casework.PlanActive),
		Goals: []planGoalRow{newGoalRow(0, casework.Goal{}, 1)}, GoalStatuses: casework.GoalStatuses}
	return s.render(w, http.StatusOK, "plan_form", f)
}

func (s *Server) createPlan(w http.ResponseWriter, r *http.Request, v *viewer) error {
	id := r.PathValue("id")
	f := planForm{basePage: s.base(v), ClientID: id, GoalStatuses: casework.GoalStatuses}
	in := readPlanForm(r, &f)
	if f.addRow(r) {
		return s.renderPlanForm(w, r, v, &f, http.StatusOK)
	}
	planID, err := s.app.Casework.CreatePlan(r.Context(), v.User.Actor(), id, in)
	var ve *casework.ValidationError
	switch {
	case errors.As(err, &ve):
		f.Err = planErrors(ve, &f.basePage)
		return s.renderPlanForm(w, r, v, &f, http.StatusBadRequest)
	case err != nil:
		return err
	}
	http.Redirect(w, r, "/clients/"+id+"/plans/"+planID+"?saved=1", http.StatusSeeOther)
	return nil
}

// renderPlanForm shows the form again, with the record's header.
func (s *Server) renderPlanForm(w http.ResponseWriter, r *http.Request, v *viewer, f *planForm, status int) error {
	p, _ := purpose(v, r)
	hd, err := s.app.Casework.Header(r.Context(), v.User.Actor(), f.ClientID, p)
	if err != nil {
		return err
	}
	f.Header = hd
	return s.render(w, status, "plan_form", f)
}

func (s *Server) editPlanForm(w http.ResponseWriter, r *http.Request, v *viewer) error {
	p, ok := purpose(v, r)
	if !ok || !planWriter(v) {
		return casework.ErrForbidden
	}
	view, err := s.app.Casework.Plan(r.Context(), v.User.Actor(), r.PathValue("id"), r.PathValue("plan"), 0, p)
	if err != nil {
		return err
	}
	f := planForm{basePage: s.base(v), Header: view.Header, ClientID: view.Plan.ClientID, PlanID: view.Plan.ID, GoalStatuses: casework.GoalStatuses}
	fillPlanForm(&f, view.Plan)
	return s.render(w, http.StatusOK, "plan_form", f)
}

// fillPlanForm puts a saved plan into the form, with a blank action row
// under each goal to add to.
func fillPlanForm(f *planForm, pl casework.Plan) {
	f.Version = pl.Version
	f.Title, f.Status, f.ReviewOn, f.InternalNotes = pl.Title, string(pl.Status), pl.ReviewOn, pl.InternalNotes
	f.Goals = nil
	for i, g := range pl.Goals {
		f.Goals = append(f.Goals, newGoalRow(i, g, 1))
	}
}

func (s *Server) updatePlan(w http.ResponseWriter, r *http.Request, v *viewer) error {
	id, planID := r.PathValue("id"), r.PathValue("plan")
	f := planForm{basePage: s.base(v), ClientID: id, PlanID: planID, GoalStatuses: casework.GoalStatuses}
	in := readPlanForm(r, &f)
	f.Version, _ = strconv.ParseInt(r.PostFormValue("version"), 10, 64)
	if f.addRow(r) {
		return s.renderPlanForm(w, r, v, &f, http.StatusOK)
	}
	err := s.app.Casework.UpdatePlan(r.Context(), v.User.Actor(), id, planID, f.Version, in)
	var ve *casework.ValidationError
	switch {
	case errors.As(err, &ve):
		f.Err = planErrors(ve, &f.basePage)
		return s.renderPlanForm(w, r, v, &f, http.StatusBadRequest)
	case errors.Is(err, casework.ErrConflict):
		// Show what the other person saved, keep what this person typed,
		// and let them save again over the new version: nothing is lost.
		p, _ := purpose(v, r)
		current, cerr := s.app.Casework.Plan(r.Context(), v.User.Actor(), id, planID, 0, p)
		if cerr != nil {
			return cerr
		}
		f.Header, f.Conflict, f.Version = current.Header, &current.Plan, current.Plan.Version
		f.Errors = []errorItem{{"title", "Someone else saved this plan while you were editing it. Check their version below, then save again"}}
		return s.render(w, http.StatusConflict, "plan_form", f)
	case err != nil:
		return err
	}
	http.Redirect(w, r, "/clients/"+id+"/plans/"+planID+"?saved=1", http.StatusSeeOther)
	return nil
}

// --- A plan ---

type planPage struct {
	basePage
	casework.PlanView
	Purpose   string
	CanEdit   bool              // may change the plan
	CanAnswer bool              // may record the client's answer
	Names     map[string]string // staff names by id
	Agreement *casework.PlanAgreement
}

// Name names a member of staff.
func (p planPage) Name(id string) string { return p.Names[id] }

// Lines splits text into its lines, one paragraph each.
func (p planPage) Lines(s string) []string { return planTextLines(s) }

// planTextLines splits text typed in a text area into its non-empty lines.
func planTextLines(s string) []string {
	var out []string
	for l := range strings.SplitSeq(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// Num numbers the i'th goal from 1.
func (p planPage) Num(i int) int { return i + 1 }

func (s *Server) viewPlan(w http.ResponseWriter, r *http.Request, v *viewer) error {
	p, ok, err := s.casePurpose(w, r, v)
	if !ok {
		return err
	}
	version, _ := strconv.ParseInt(r.URL.Query().Get("version"), 10, 64)
	view, err := s.app.Casework.Plan(r.Context(), v.User.Actor(), r.PathValue("id"), r.PathValue("plan"), version, p)
	if err != nil {
		return err
	}
	ids := []string{view.Plan.SavedBy}
	for _, h := range view.History {
		ids = append(ids, h.SavedBy)
	}
	for _, a := range view.Agreements {
		ids = append(ids, a.RecordedBy)
	}
	page := planPage{basePage: s.base(v), PlanView: view, Purpose: purposeQuery(v, p), CanEdit: planWriter(v), CanAnswer: v.User.Role != access.DPO,
		Names: s.planStaffNames(r, ids...), Agreement: view.Agreement()}
	switch r.URL.Query().Get("saved") {
	case "1":
		page.Message = "The plan is saved."
	case "agreement":
		page.Message = "The client’s answer is recorded."
	}
	return s.render(w, http.StatusOK, "plan_view", page)
}

// --- The client's answer to a plan ---

// signatureForm is the signing part of a form: a drawn signature (with
// JavaScript), a typed full name, and the "I agree" tick.
type signatureForm struct {
	Drawn     string
	TypedName string
	Agree     bool
	Err       map[string]string
}

func readSignatureForm(r *http.Request) (signatureForm, casework.SignatureInput) {
	f := signatureForm{Drawn: r.PostFormValue("signature"), TypedName: r.PostFormValue("typed_name"), Agree: r.PostFormValue("agree") == "yes"}
	return f, casework.SignatureInput{Drawn: f.Drawn, TypedName: f.TypedName, Agree: f.Agree}
}

type planAgreementForm struct {
	basePage
	Header    casework.Header
	Plan      casework.Plan
	Method    string
	AgreedOn  string
	Note      string
	Signature signatureForm
	Err       map[string]string
	Methods   []casework.PlanAgreementMethod
}

func (s *Server) planAgreementForm(w http.ResponseWriter, r *http.Request, v *viewer) error {
	p, ok := purpose(v, r)
	if !ok || v.User.Role == access.DPO {
		return casework.ErrForbidden
	}
	view, err := s.app.Casework.Plan(r.Context(), v.User.Actor(), r.PathValue("id"), r.PathValue("plan"), 0, p)
	if err != nil {
		return err
	}
	f := planAgreementForm{basePage: s.base(v), Header: view.Header, Plan: view.Plan, Methods: casework.PlanAgreementMethods}
	return s.render(w, http.StatusOK, "plan_agreement", f)
}

func (s *Server) recordPlanAgreement(w http.ResponseWriter, r *http.Request, v *viewer) error {
	id, planID := r.PathValue("id"), r.PathValue("plan")
	sf, sig := readSignatureForm(r)
	f := planAgreementForm{basePage: s.base(v), Method: r.PostFormValue("method"), AgreedOn: r.PostFormValue("agreed_on"),
		Note: r.PostFormValue("note"), Signature: sf, Methods: casework.PlanAgreementMethods}
	version, _ := strconv.ParseInt(r.PostFormValue("version"), 10, 64)
	_, err := s.app.Casework.RecordPlanAgreement(r.Context(), v.User.Actor(), id, planID, casework.PlanAgreementInput{
		Version: version, Method: casework.PlanAgreementMethod(f.Method), AgreedOn: f.AgreedOn, Note: f.Note, Signature: sig,
	})
	var ve *casework.ValidationError
	switch {
	case errors.As(err, &ve):
		f.Err = planErrors(ve, &f.basePage)
		f.Signature.Err = f.Err
	case errors.Is(err, casework.ErrConflict):
		// The plan changed since the client was shown it: they must see
		// the version they are agreeing to.
		f.Errors = []errorItem{{"method", "The plan was changed while the client was reading it. Show them this version, then record their answer again"}}
		f.Err = map[string]string{"method": f.Errors[0].Message}
		f.Signature = signatureForm{TypedName: sf.TypedName}
	case err != nil:
		return err
	default:
		http.Redirect(w, r, "/clients/"+id+"/plans/"+planID+"?saved=agreement", http.StatusSeeOther)
		return nil
	}
	p, _ := purpose(v, r)
	view, verr := s.app.Casework.Plan(r.Context(), v.User.Actor(), id, planID, 0, p)
	if verr != nil {
		return verr
	}
	f.Header, f.Plan = view.Header, view.Plan
	status := http.StatusBadRequest
	if errors.Is(err, casework.ErrConflict) {
		status = http.StatusConflict
	}
	return s.render(w, status, "plan_agreement", f)
}

// --- The client's copy (P04) ---

// planCopyFileName is the name the client's copy is saved under: generic,
// never the client's name, which would show in download lists.
const planCopyFileName = "support-plan.pdf"

func (s *Server) planCopy(w http.ResponseWriter, r *http.Request, v *viewer) error {
	p, ok := purpose(v, r)
	if !ok {
		return casework.ErrForbidden
	}
	return s.writePlanCopy(w, r, v, p)
}

// writePlanCopy makes the client's copy and sends it as a download. The
// print is recorded in the audit log before a byte is made (P20).
func (s *Server) writePlanCopy(w http.ResponseWriter, r *http.Request, v *viewer, p access.Purpose) error {
	cp, err := s.app.Casework.PlanCopy(r.Context(), v.User.Actor(), r.PathValue("id"), r.PathValue("plan"), p)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := pdf.Render(&buf, planDocument(cp, s.serviceName(r, cp.ServiceID))); err != nil {
		return fmt.Errorf("plan copy: %w", err)
	}
	h := w.Header()
	h.Set("Content-Type", "application/pdf")
	h.Set("Content-Disposition", `attachment; filename="`+planCopyFileName+`"`)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(http.StatusOK)
	_, err = buf.WriteTo(w)
	return err
}

// planDate writes a YYYY-MM-DD date as the client reads it: 27 March 2027.
func planDate(s string) string {
	d, err := time.Parse(casework.DateLayout, s)
	if err != nil {
		return s
	}
	return d.Format("2 January 2006")
}

// planDocument is the client's copy of a plan in plain words: their name,
// the goals, what each of us will do and by when, the next review, and
// their answer. It has no internal notes: casework.PlanCopy has none.
func planDocument(cp casework.PlanCopy, serviceName string) pdf.Document {
	d := pdf.Document{Title: "Your support plan", Lang: "en-GB"}
	add := func(b ...pdf.Block) { d.Blocks = append(d.Blocks, b...) }
	add(pdf.Heading{Text: "Your support plan", Level: 1})
	rows := []pdf.Row{{Key: "For", Value: cp.ClientName}}
	if cp.Title != "" && cp.Title != "Support plan" {
		rows = append(rows, pdf.Row{Key: "Plan", Value: cp.Title})
	}
	if serviceName != "" {
		rows = append(rows, pdf.Row{Key: "With", Value: serviceName})
	}
	rows = append(rows, pdf.Row{Key: "Last changed", Value: cp.SavedAt.Format("2 January 2006")})
	if cp.ReviewOn != "" {
		rows = append(rows, pdf.Row{Key: "We will look at it again on", Value: planDate(cp.ReviewOn)})
	}
	if cp.Status == casework.PlanClosed {
		rows = append(rows, pdf.Row{Key: "This plan", Value: "has ended"})
	}
	add(pdf.Table{Rows: rows})
	add(pdf.Paragraph{Text: "This is your copy of the plan we made together: what you want to achieve, and what each of us will do to get there."})

	for i, g := range cp.Goals {
		add(pdf.Heading{Text: "Goal " + strconv.Itoa(i+1), Level: 2})
		add(pdf.Paragraph{Text: g.Text})
		add(pdf.Paragraph{Text: "How it is going: " + g.Status.Label()})
		if len(g.Actions) == 0 {
			continue
		}
		add(pdf.Paragraph{Text: "What we agreed to do:"})
		var items []string
		for _, a := range g.Actions {
			item := a.What
			var more []string
			if a.Who != "" {
				more = append(more, "who: "+a.Who)
			}
			if a.By != "" {
				more = append(more, "by "+planDate(a.By))
			}
			if a.Done {
				more = append(more, "done")
			}
			if len(more) > 0 {
				item += " (" + strings.Join(more, ", ") + ")"
			}
			items = append(items, item)
		}
		add(pdf.List{Items: items})
	}

	add(pdf.Heading{Text: "Your agreement", Level: 2})
	switch a := cp.Agreement; {
	case a == nil:
		add(pdf.Paragraph{Text: "Sign below if you agree with this plan."})
		add(pdf.Signature{Label: "Your signature", DateLabel: "Date"})
	case a.Method == casework.AgreedSigned:
		add(pdf.Paragraph{Text: "You agreed to this plan and signed it on screen on " + planDate(a.AgreedOn) + "."})
	case a.Method == casework.AgreedVerbally:
		add(pdf.Paragraph{Text: "You told us you agree with this plan on " + planDate(a.AgreedOn) + "."})
	case a.Method == casework.Declined:
		add(pdf.Paragraph{Text: "On " + planDate(a.AgreedOn) + " you told us you did not agree with this plan. We can change it together."})
	}
	add(pdf.Paragraph{Text: "If anything here is wrong, or you want to change the plan, talk to the person working with you. You can ask for this copy in another language or format."})
	return d
}

// --- Agreements: the confidentiality agreement and the counselling
// contract / work agreement (P09, P11) ---

type agreementSignPage struct {
	basePage
	Header    casework.Header
	Text      casework.AgreementText
	Signature signatureForm
	Err       map[string]string
}

func (s *Server) signAgreementForm(w http.ResponseWriter, r *http.Request, v *viewer) error {
	p, ok := purpose(v, r)
	if !ok || v.User.Role == access.DPO {
		return casework.ErrForbidden
	}
	text, err := s.app.Casework.CurrentAgreementText(r.Context(), casework.AgreementKind(r.URL.Query().Get("kind")))
	if err != nil {
		return err
	}
	hd, err := s.app.Casework.Header(r.Context(), v.User.Actor(), r.PathValue("id"), p)
	if err != nil {
		return err
	}
	return s.render(w, http.StatusOK, "agreement_sign", agreementSignPage{basePage: s.base(v), Header: hd, Text: text})
}

func (s *Server) signAgreement(w http.ResponseWriter, r *http.Request, v *viewer) error {
	id := r.PathValue("id")
	sf, sig := readSignatureForm(r)
	textID := r.PostFormValue("text_id")
	_, err := s.app.Casework.SignAgreement(r.Context(), v.User.Actor(), id, casework.AgreementInput{TextID: textID, Signature: sig})
	var ve *casework.ValidationError
	switch {
	case errors.As(err, &ve):
	case err != nil:
		return err
	default:
		http.Redirect(w, r, "/clients/"+id+"/plans?done=signed", http.StatusSeeOther)
		return nil
	}
	page := agreementSignPage{basePage: s.base(v), Signature: sf}
	page.Err = planErrors(ve, &page.basePage)
	page.Signature.Err = page.Err
	// Show again the very version the client was shown.
	text, terr := s.app.Casework.AgreementText(r.Context(), textID)
	if terr != nil {
		return terr
	}
	page.Text = text
	p, _ := purpose(v, r)
	if page.Header, err = s.app.Casework.Header(r.Context(), v.User.Actor(), id, p); err != nil {
		return err
	}
	return s.render(w, http.StatusBadRequest, "agreement_sign", page)
}

type agreementViewPage struct {
	basePage
	casework.AgreementView
	Purpose      string
	RecordedName string
}

func (s *Server) viewAgreement(w http.ResponseWriter, r *http.Request, v *viewer) error {
	p, ok, err := s.casePurpose(w, r, v)
	if !ok {
		return err
	}
	view, err := s.app.Casework.ClientAgreement(r.Context(), v.User.Actor(), r.PathValue("id"), r.PathValue("agreement"), p)
	if err != nil {
		return err
	}
	page := agreementViewPage{basePage: s.base(v), AgreementView: view, Purpose: purposeQuery(v, p),
		RecordedName: s.planStaffNames(r, view.Agreement.RecordedBy)[view.Agreement.RecordedBy]}
	return s.render(w, http.StatusOK, "agreement_view", page)
}

// --- The organisation's agreement texts ---

type agreementTextsPage struct {
	basePage
	Texts   []casework.AgreementText
	CanEdit bool
	Kinds   []casework.AgreementKind
	Kind    string
	Title   string
	Body    string
	Err     map[string]string
}

func (s *Server) agreementTexts(w http.ResponseWriter, r *http.Request, v *viewer) error {
	return s.renderAgreementTexts(w, r, v, agreementTextsPage{}, http.StatusOK)
}

func (s *Server) renderAgreementTexts(w http.ResponseWriter, r *http.Request, v *viewer, page agreementTextsPage, status int) error {
	texts, err := s.app.Casework.AgreementTexts(r.Context())
	if err != nil {
		return err
	}
	page.basePage.User = s.base(v).User
	page.Texts, page.CanEdit, page.Kinds = texts, casework.CanEditAgreementTexts(v.User.Actor()), casework.AgreementKinds
	if r.URL.Query().Get("saved") == "1" {
		page.Message = "The new version is published. Clients sign it from now on; what was signed before is unchanged."
	}
	return s.render(w, status, "agreement_texts", page)
}

func (s *Server) addAgreementText(w http.ResponseWriter, r *http.Request, v *viewer) error {
	page := agreementTextsPage{Kind: r.PostFormValue("kind"), Title: r.PostFormValue("title"), Body: r.PostFormValue("body")}
	_, err := s.app.Casework.AddAgreementText(r.Context(), v.User.Actor(), casework.AgreementTextInput{
		Kind: casework.AgreementKind(page.Kind), Title: page.Title, Body: page.Body})
	var ve *casework.ValidationError
	switch {
	case errors.As(err, &ve):
		page.Err = planErrors(ve, &page.basePage)
		return s.renderAgreementTexts(w, r, v, page, http.StatusBadRequest)
	case err != nil:
		return err
	}
	http.Redirect(w, r, "/agreement-texts?saved=1", http.StatusSeeOther)
	return nil
}

// --- The JSON API ---

func (s *Server) apiPlans(w http.ResponseWriter, r *http.Request, v *viewer) error {
	p, err := apiPurpose(r, v)
	if err != nil {
		return err
	}
	page, err := s.app.Casework.Plans(r.Context(), v.User.Actor(), r.PathValue("id"), p)
	if err != nil {
		return err
	}
	out := struct {
		Plans      []casework.PlanSummary     `json:"plans"`
		Agreements []casework.ClientAgreement `json:"agreements"`
	}{page.Plans, page.Agreements}
	if out.Plans == nil {
		out.Plans = []casework.PlanSummary{}
	}
	if out.Agreements == nil {
		out.Agreements = []casework.ClientAgreement{}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) apiCreatePlan(w http.ResponseWriter, r *http.Request, v *viewer) error {
	var in casework.PlanInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	id, err := s.app.Casework.CreatePlan(r.Context(), v.User.Actor(), r.PathValue("id"), in)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/clients/"+r.PathValue("id")+"/plans/"+id)
	writeJSON(w, http.StatusCreated, map[string]any{"id": id, "version": 1})
	return nil
}

// apiPlanView is a plan as the API shows it.
type apiPlanView struct {
	Plan       casework.Plan            `json:"plan"`
	History    []casework.PlanVersion   `json:"history"`
	Agreements []casework.PlanAgreement `json:"agreements"`
}

func (s *Server) apiGetPlan(w http.ResponseWriter, r *http.Request, v *viewer) error {
	p, err := apiPurpose(r, v)
	if err != nil {
		return err
	}
	var version int64
	if q := r.URL.Query().Get("version"); q != "" {
		if version, err = strconv.ParseInt(q, 10, 64); err != nil || version < 1 {
			return &apiError{Status: http.StatusBadRequest, Code: "invalid", Message: "The request has invalid fields.",
				Fields: []casework.FieldError{{Field: "version", Message: "must be a version number, 1 or more"}}}
		}
	}
	view, err := s.app.Casework.Plan(r.Context(), v.User.Actor(), r.PathValue("id"), r.PathValue("plan"), version, p)
	if err != nil {
		return err
	}
	out := apiPlanView{Plan: view.Plan, History: view.History, Agreements: view.Agreements}
	if out.Agreements == nil {
		out.Agreements = []casework.PlanAgreement{}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) apiUpdatePlan(w http.ResponseWriter, r *http.Request, v *viewer) error {
	var in struct {
		Version int64 `json:"version"`
		casework.PlanInput
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if in.Version < 1 {
		return &apiError{Status: http.StatusBadRequest, Code: "invalid", Message: "The request has invalid fields.",
			Fields: []casework.FieldError{{Field: "version", Message: "is the version you changed: fetch the plan for it"}}}
	}
	if err := s.app.Casework.UpdatePlan(r.Context(), v.User.Actor(), r.PathValue("id"), r.PathValue("plan"), in.Version, in.PlanInput); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": r.PathValue("plan"), "version": in.Version + 1})
	return nil
}

func (s *Server) apiRecordPlanAgreement(w http.ResponseWriter, r *http.Request, v *viewer) error {
	var in casework.PlanAgreementInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	id, err := s.app.Casework.RecordPlanAgreement(r.Context(), v.User.Actor(), r.PathValue("id"), r.PathValue("plan"), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]string{"id": id})
	return nil
}

func (s *Server) apiPlanCopy(w http.ResponseWriter, r *http.Request, v *viewer) error {
	p, err := apiPurpose(r, v)
	if err != nil {
		return err
	}
	return s.writePlanCopy(w, r, v, p)
}

func (s *Server) apiAgreementTexts(w http.ResponseWriter, r *http.Request, v *viewer) error {
	texts, err := s.app.Casework.AgreementTexts(r.Context())
	if err != nil {
		return err
	}
	if texts == nil {
		texts = []casework.AgreementText{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"texts": texts})
	return nil
}

func (s *Server) apiAddAgreementText(w http.ResponseWriter, r *http.Request, v *viewer) error {
	var in casework.AgreementTextInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	t, err := s.app.Casework.AddAgreementText(r.Context(), v.User.Actor(), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, t)
	return nil
}

func (s *Server) apiSignAgreement(w http.ResponseWriter, r *http.Request, v *viewer) error {
	var in casework.AgreementInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	id, err := s.app.Casework.SignAgreement(r.Context(), v.User.Actor(), r.PathValue("id"), in)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/clients/"+r.PathValue("id")+"/agreements/"+id)
	writeJSON(w, http.StatusCreated, map[string]string{"id": id})
	return nil
}

func (s *Server) apiGetAgreement(w http.ResponseWriter, r *http.Request, v *viewer) error {
	p, err := apiPurpose(r, v)
	if err != nil {
		return err
	}
	view, err := s.app.Casework.ClientAgreement(r.Context(), v.User.Actor(), r.PathValue("id"), r.PathValue("agreement"), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"agreement": view.Agreement, "text": view.Text, "text_intact": view.TextIntact})
	return nil
}

// homeReviewsShown is how many reviews due the home page lists.
const homeReviewsShown = 10

// homeReviews is the caseload home page's "Reviews due": the support plans
// of the viewer's caseload whose review has passed or falls within the
// week, soonest first, with a link to each.
type homeReviews struct {
	Rows  []casework.PlanReview
	Total int // every review due, shown or not
	Days  int
}

// homeReviews reads the reviews due: clear dates first, then the plans
// shown and their clients opened in one audited batch (casework).
func (s *Server) homeReviews(r *http.Request, v *viewer) (homeReviews, error) {
	p, _ := purpose(v, r)
	rows, total, err := s.app.Casework.PlanReviewsDue(r.Context(), v.User.Actor(), p, homeReviewsShown)
	return homeReviews{Rows: rows, Total: total, Days: casework.PlanReviewDueDays}, err
}

// homePlanActionsShown is how many plans with overdue actions the home
// page lists.
const homePlanActionsShown = 10

// homePlanActions is the support plan part of the caseload home page's
// "Overdue": the plans of the viewer's caseload with actions past their
// date and not done, overdue longest first, with a link to each.
type homePlanActions struct {
	Rows  []casework.OverduePlan
	Total int // every plan with an overdue action, shown or not
}

// homePlanActions reads the overdue plan actions: clear dates first, then
// the plans shown and their clients opened in one audited batch
// (casework).
func (s *Server) homePlanActions(r *http.Request, v *viewer) (homePlanActions, error) {
	p, _ := purpose(v, r)
	rows, total, err := s.app.Casework.OverduePlanActions(r.Context(), v.User.Actor(), p, homePlanActionsShown)
	return homePlanActions{Rows: rows, Total: total}, err
}
