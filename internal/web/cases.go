package web

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/caseward/caseward/internal/access"
	"github.com/caseward/caseward/internal/casework"
	"github.com/caseward/caseward/internal/staff"
)

// Cases and caseloads: the "Cases" section of a client's record (open a
// case, change its status, hand it over), the caseload home page, a
// manager's view of their team's caseloads, and moving a leaver's caseload
// (P03, P08). The JSON API mirrors each page.

// caseloadPageSize is how many cases a caseload page lists.
const caseloadPageSize = 25

// caseDirectory names the staff and services that cases refer to by id,
// read once per request.
type caseDirectory struct {
	users    map[string]staff.User
	services []staff.Service
}

func (s *Server) caseDirectory(r *http.Request) (caseDirectory, error) {
	users, err := s.app.Staff.Users(r.Context())
	if err != nil {
		return caseDirectory{}, err
	}
	svcs, err := s.app.Staff.Services(r.Context())
	if err != nil {
		return caseDirectory{}, err
	}
	d := caseDirectory{users: make(map[string]staff.User, len(users)), services: svcs}
	for _, u := range users {
		d.users[u.ID] = u
	}
	return d, nil
}

// staffName names a member of staff; an account that no longer exists is
// still somebody who did the work.
func (d caseDirectory) staffName(id string) string {
	if u, ok := d.users[id]; ok {
		return u.Name
	}
	if id == "" {
		return ""
	}
	return "A former member of staff"
}

func (d caseDirectory) serviceName(id string) string {
	for _, sv := range d.services {
		if sv.ID == id {
			return sv.Name
		}
	}
	return "Another service"
}

// servicesOf lists the services among ids, in name order.
func (d caseDirectory) servicesOf(ids []string) []staff.Service {
	var out []staff.Service
	for _, sv := range d.services {
		if slices.Contains(ids, sv.ID) {
			out = append(out, sv)
		}
	}
	return out
}

// workers lists, by name, who may own cases in any of serviceIDs: enabled
// caseworkers and service managers of those services, except except.
func (d caseDirectory) workers(serviceIDs []string, except string) []staff.User {
	var out []staff.User
	for _, u := range d.users {
		if u.Disabled || u.ID == except || (u.Role != access.Caseworker && u.Role != access.Manager) {
			continue
		}
		if slices.ContainsFunc(u.Services, func(s string) bool { return slices.Contains(serviceIDs, s) }) {
			out = append(out, u)
		}
	}
	slices.SortFunc(out, func(a, b staff.User) int {
		return strings.Compare(strings.ToLower(a.Name)+"\x00"+a.ID, strings.ToLower(b.Name)+"\x00"+b.ID)
	})
	return out
}

// caseView is a case with the names of its service and owner.
type caseView struct {
	casework.Case
	ServiceName string
	OwnerName   string
}

func (d caseDirectory) caseView(c casework.Case) caseView {
	return caseView{Case: c, ServiceName: d.serviceName(c.ServiceID), OwnerName: d.staffName(c.OwnerID)}
}

// caseFieldIDs maps the domain's field names to the inputs they link to.
var caseFieldIDs = map[string]string{
	"service":   "service",
	"kind":      "kind",
	"owner":     "owner",
	"opened_on": "opened-day",
	"status":    "status",
	"reason":    "reason",
	"note":      "note",
	"version":   "status",
	"to":        "to",
}

// caseErrors turns a validation error into the messages by each field and
// the error summary's links.
func caseErrors(ve *casework.ValidationError, b *basePage) map[string]string {
	return fieldErrors(ve, b, func(f string) string { return caseFieldIDs[f] })
}

// purposeQuery is the query string that carries the DPO's purpose from one
// page of the record to the next ("" for everyone else).
func purposeQuery(v *viewer, p access.Purpose) string {
	if v.User.Role != access.DPO {
		return ""
	}
	return "?purpose=" + url.QueryEscape(string(p))
}

// casePurposePage asks the DPO why they open the record, then comes back
// to the same page.
type casePurposePage struct {
	basePage
	Action string
}

// casePurpose returns why the viewer opens a client's cases; for the DPO,
// who must say, it renders the question and returns ok false.
func (s *Server) casePurpose(w http.ResponseWriter, r *http.Request, v *viewer) (access.Purpose, bool, error) {
	p, ok := purpose(v, r)
	if ok {
		return p, true, nil
	}
	return "", false, s.render(w, http.StatusOK, "case_purpose", casePurposePage{basePage: s.base(v), Action: r.URL.Path})
}

// --- The caseload home page ---

type caseloadRowView struct {
	casework.CaseloadRow
	ServiceName string
	OwnerName   string
}

// caseloadSection is one paged list of cases on the home page.
type caseloadSection struct {
	Label      string // names the section's page links for screen readers
	Rows       []caseloadRowView
	Page       int
	PrevURL    string
	NextURL    string
	ShowOwners bool
}

type caseloadHomePage struct {
	homePage
	Caseworking  bool // the viewer works with clients (caseworker, manager)
	Mine         caseloadSection
	Appointments homeAppointments   // appointments.go
	Overdue      noteOverdueSection // notes.go
	Reviews      homeReviews        // plans.go
	PlanActions  homePlanActions    // plans.go
	IsManager    bool
	Services     caseloadSection
	TeamURL      string
}

// pageParam reads a 1-based page number.
func pageParam(r *http.Request, name string) int {
	n, err := strconv.Atoi(r.URL.Query().Get(name))
	if err != nil || n < 1 || n > 100000 {
		return 1
	}
	return n
}

// caseloadHome is the home page: the viewer's open cases, their
// appointments today and this week (appointments.go), their overdue notes
// and actions (notes.go) and support plan actions (plans.go), their
// support plans due for review (plans.go) and, for a manager, their
// services' open cases with their owners.
func (s *Server) caseloadHome(w http.ResponseWriter, r *http.Request, v *viewer) error {
	p := caseloadHomePage{homePage: homePage{basePage: s.base(v)}}
	if m := caseDoneMessages[r.URL.Query().Get("done")]; m != "" {
		p.Message = m + " The client is no longer in your caseload."
	}
	actor := v.User.Actor()
	switch v.User.Role {
	case access.Caseworker, access.Manager, access.AdminStaff:
		p.CanAddClients = len(v.User.Services) > 0
	}
	if v.User.Role != access.Caseworker && v.User.Role != access.Manager {
		return s.render(w, http.StatusOK, "home", p)
	}
	p.Caseworking = true
	d, err := s.caseDirectory(r)
	if err != nil {
		return err
	}
	load := func(sec *caseloadSection, param string, f casework.CaseloadFilter) error {
		sec.Page = pageParam(r, param)
		f.Limit, f.Offset = caseloadPageSize, (sec.Page-1)*caseloadPageSize
		rows, more, err := s.app.Casework.Caseload(r.Context(), actor, f)
		if err != nil {
			return err
		}
		for _, row := range rows {
			sec.Rows = append(sec.Rows, caseloadRowView{CaseloadRow: row, ServiceName: d.serviceName(row.ServiceID), OwnerName: d.staffName(row.OwnerID)})
		}
		link := func(n int) string {
			q := r.URL.Query()
			q.Set(param, strconv.Itoa(n))
			return "/?" + q.Encode()
		}
		if sec.Page > 1 {
			sec.PrevURL = link(sec.Page - 1)
		}
		if more {
			sec.NextURL = link(sec.Page + 1)
		}
		return nil
	}
	p.Mine.Label, p.Services.Label = "Pages of my cases", "Pages of my services’ cases"
	if err := load(&p.Mine, "page", casework.CaseloadFilter{OwnerID: v.User.ID}); err != nil {
		return err
	}
	if p.Appointments, err = s.homeAppointments(r, v); err != nil {
		return err
	}
	if p.Overdue, err = s.noteOverdue(r.Context(), v); err != nil {
		return err
	}
	if p.PlanActions, err = s.homePlanActions(r, v); err != nil {
		return err
	}
	if p.Reviews, err = s.homeReviews(r, v); err != nil {
		return err
	}
	if v.User.Role == access.Manager && len(v.User.Services) > 0 {
		p.IsManager, p.Services.ShowOwners, p.TeamURL = true, true, "/caseloads"
		if err := load(&p.Services, "services-page", casework.CaseloadFilter{ServiceIDs: v.User.Services}); err != nil {
			return err
		}
	}
	return s.render(w, http.StatusOK, "home", p)
}

// --- A client's cases ---

type casesPage struct {
	basePage
	Header  casework.Header
	Cases   []caseView
	CanOpen bool
	Query   string // carries the DPO's purpose
}

func (s *Server) clientCases(w http.ResponseWriter, r *http.Request, v *viewer) error {
	p, ok, err := s.casePurpose(w, r, v)
	if !ok {
		return err
	}
	l, err := s.app.Casework.Cases(r.Context(), v.User.Actor(), r.PathValue("id"), p)
	if err != nil {
		return err
	}
	d, err := s.caseDirectory(r)
	if err != nil {
		return err
	}
	page := casesPage{basePage: s.base(v), Header: l.Header, Query: purposeQuery(v, p),
		CanOpen: (v.User.Role == access.Caseworker || v.User.Role == access.Manager) && len(v.User.Services) > 0}
	for _, c := range l.Cases {
		page.Cases = append(page.Cases, d.caseView(c))
	}
	switch r.URL.Query().Get("done") {
	case "opened":
		page.Message = "Case opened."
	}
	return s.render(w, http.StatusOK, "cases", page)
}

// caseForm is the "Open a case" form, kept whole when it comes back with
// errors.
type caseForm struct {
	basePage
	Header                             casework.Header
	Services                           []staff.Service
	Workers                            []staff.User
	Kinds                              []casework.CaseKind
	Service, Kind, Owner               string
	OpenedDay, OpenedMonth, OpenedYear string
	Err                                map[string]string
}

func (s *Server) caseForm(r *http.Request, v *viewer, f *caseForm) error {
	l, err := s.app.Casework.Cases(r.Context(), v.User.Actor(), r.PathValue("id"), access.Casework)
	if err != nil {
		return err
	}
	d, err := s.caseDirectory(r)
	if err != nil {
		return err
	}
	f.basePage.User = s.base(v).User
	f.Header, f.Kinds = l.Header, casework.CaseKinds
	f.Services = d.servicesOf(v.User.Services)
	f.Workers = d.workers(v.User.Services, "")
	return nil
}

func (s *Server) newCaseForm(w http.ResponseWriter, r *http.Request, v *viewer) error {
	if v.User.Role != access.Caseworker && v.User.Role != access.Manager {
		return casework.ErrForbidden
	}
	var f caseForm
	if err := s.caseForm(r, v, &f); err != nil {
		return err
	}
	if len(f.Services) == 1 {
		f.Service = f.Services[0].ID
	}
	f.Owner = v.User.ID
	return s.render(w, http.StatusOK, "case_new", f)
}

func (s *Server) openCase(w http.ResponseWriter, r *http.Request, v *viewer) error {
	id := r.PathValue("id")
	f := caseForm{
		Service: r.PostFormValue("service"), Kind: r.PostFormValue("kind"), Owner: r.PostFormValue("owner"),
		OpenedDay: strings.TrimSpace(r.PostFormValue("opened_day")), OpenedMonth: strings.TrimSpace(r.PostFormValue("opened_month")),
		OpenedYear: strings.TrimSpace(r.PostFormValue("opened_year")),
	}
	in := casework.CaseInput{ServiceID: f.Service, Kind: f.Kind, OwnerID: f.Owner, OpenedOn: joinDate(f.OpenedDay, f.OpenedMonth, f.OpenedYear)}
	_, err := s.app.Casework.OpenCase(r.Context(), v.User.Actor(), id, in)
	var ve *casework.ValidationError
	if errors.As(err, &ve) {
		if ferr := s.caseForm(r, v, &f); ferr != nil {
			return ferr
		}
		f.Err = caseErrors(ve, &f.basePage)
		return s.render(w, http.StatusBadRequest, "case_new", f)
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/clients/"+id+"/cases?done=opened", http.StatusSeeOther)
	return nil
}

// --- One case ---

type caseEventView struct {
	casework.CaseEvent
	ByName, FromOwnerName, ToOwnerName string
}

type casePage struct {
	basePage
	Header          casework.Header
	Case            caseView
	Events          []caseEventView
	CanChangeStatus bool
	CanHandOver     bool
	Query           string
}

var caseDoneMessages = map[string]string{
	"status":   "Status changed.",
	"handover": "Case handed over.",
}

func (s *Server) viewCase(w http.ResponseWriter, r *http.Request, v *viewer) error {
	p, ok, err := s.casePurpose(w, r, v)
	if !ok {
		return err
	}
	cd, err := s.app.Casework.Case(r.Context(), v.User.Actor(), r.PathValue("id"), r.PathValue("case"), p)
	done := r.URL.Query().Get("done")
	if errors.Is(err, casework.ErrNotFound) && caseDoneMessages[done] != "" {
		// The viewer just closed or handed over their last work with the
		// client, and with it their access: back to their caseload. A
		// client who was never theirs goes the same way, so this tells
		// nobody anything.
		http.Redirect(w, r, "/?done="+done, http.StatusSeeOther)
		return nil
	}
	if err != nil {
		return err
	}
	d, err := s.caseDirectory(r)
	if err != nil {
		return err
	}
	page := casePage{basePage: s.base(v), Header: cd.Header, Case: d.caseView(cd.Case), Query: purposeQuery(v, p),
		CanChangeStatus: casework.MayChangeStatus(v.User.Actor(), cd.Case),
		CanHandOver:     casework.MayHandOver(v.User.Actor(), cd.Case)}
	for _, e := range cd.Events {
		page.Events = append(page.Events, caseEventView{CaseEvent: e, ByName: d.staffName(e.ByID),
			FromOwnerName: d.staffName(e.FromOwnerID), ToOwnerName: d.staffName(e.ToOwnerID)})
	}
	page.Message = caseDoneMessages[done]
	return s.render(w, http.StatusOK, "case_view", page)
}

// caseChangeForm is the status and hand-over forms, kept whole when they
// come back with errors or after someone else changed the case.
type caseChangeForm struct {
	basePage
	Header   casework.Header
	Case     caseView
	Statuses []casework.CaseStatus
	Reasons  []casework.CloseReason
	Workers  []staff.User
	Status   string
	Reason   string
	Owner    string
	Note     string
	Version  int64
	Err      map[string]string
}

// caseChangeForm reads the case afresh for a form; only those who may
// change it get the form.
func (s *Server) caseChangeForm(r *http.Request, v *viewer, f *caseChangeForm, handOver bool) error {
	cd, err := s.app.Casework.Case(r.Context(), v.User.Actor(), r.PathValue("id"), r.PathValue("case"), access.Casework)
	if err != nil {
		return err
	}
	allowed := casework.MayChangeStatus(v.User.Actor(), cd.Case)
	if handOver {
		allowed = casework.MayHandOver(v.User.Actor(), cd.Case)
	}
	if !allowed {
		return casework.ErrForbidden
	}
	d, err := s.caseDirectory(r)
	if err != nil {
		return err
	}
	f.basePage.User = s.base(v).User
	f.Header, f.Case = cd.Header, d.caseView(cd.Case)
	if f.Version == 0 {
		f.Version = cd.Case.Version
	}
	f.Reasons = casework.CloseReasons
	for _, st := range casework.CaseStatuses {
		if st != cd.Case.Status {
			f.Statuses = append(f.Statuses, st)
		}
	}
	f.Workers = d.workers([]string{cd.Case.ServiceID}, cd.Case.OwnerID)
	return nil
}

func (s *Server) caseStatusForm(w http.ResponseWriter, r *http.Request, v *viewer) error {
	var f caseChangeForm
	if err := s.caseChangeForm(r, v, &f, false); err != nil {
		return err
	}
	return s.render(w, http.StatusOK, "case_status", f)
}

func (s *Server) caseHandOverForm(w http.ResponseWriter, r *http.Request, v *viewer) error {
	var f caseChangeForm
	if err := s.caseChangeForm(r, v, &f, true); err != nil {
		return err
	}
	return s.render(w, http.StatusOK, "case_handover", f)
}

// conflictMessage tells the second of two people changing a case at once.
const conflictMessage = "Someone else changed this case while you were working on it. Check the case as it is now, then submit again"

// afterCaseChange answers a status or hand-over form: back to the case, or
// the form again with the messages by their fields and what was typed.
func (s *Server) afterCaseChange(w http.ResponseWriter, r *http.Request, v *viewer, f caseChangeForm, err error, page, done string) error {
	var ve *casework.ValidationError
	status := http.StatusBadRequest
	switch {
	case err == nil:
		http.Redirect(w, r, "/clients/"+r.PathValue("id")+"/cases/"+r.PathValue("case")+"?done="+done, http.StatusSeeOther)
		return nil
	case errors.As(err, &ve):
		f.Err = caseErrors(ve, &f.basePage)
	case errors.Is(err, casework.ErrConflict):
		// Show the case as it is now, keep what was typed, and let them
		// submit again over the new version.
		status, f.Version = http.StatusConflict, 0
		f.Errors = []errorItem{{caseFieldIDs["status"], conflictMessage}}
		if page == "case_handover" {
			f.Errors[0].Field = "owner"
		}
	default:
		return err
	}
	if ferr := s.caseChangeForm(r, v, &f, page == "case_handover"); ferr != nil {
		return ferr
	}
	return s.render(w, status, page, f)
}

func formVersion(r *http.Request) int64 {
	n, _ := strconv.ParseInt(r.PostFormValue("version"), 10, 64)
	return n
}

func (s *Server) setCaseStatus(w http.ResponseWriter, r *http.Request, v *viewer) error {
	f := caseChangeForm{Status: r.PostFormValue("status"), Reason: r.PostFormValue("reason"), Note: r.PostFormValue("note"), Version: formVersion(r)}
	err := s.app.Casework.SetCaseStatus(r.Context(), v.User.Actor(), r.PathValue("id"), r.PathValue("case"),
		casework.StatusInput{Status: f.Status, Reason: f.Reason, Note: f.Note, Version: f.Version})
	return s.afterCaseChange(w, r, v, f, err, "case_status", "status")
}

func (s *Server) handOverCase(w http.ResponseWriter, r *http.Request, v *viewer) error {
	f := caseChangeForm{Owner: r.PostFormValue("owner"), Reason: r.PostFormValue("reason"), Version: formVersion(r)}
	err := s.app.Casework.HandOver(r.Context(), v.User.Actor(), r.PathValue("id"), r.PathValue("case"),
		casework.HandOverInput{OwnerID: f.Owner, Reason: f.Reason, Version: f.Version})
	return s.afterCaseChange(w, r, v, f, err, "case_handover", "handover")
}

// --- A manager's team, and moving a leaver's caseload (P08) ---

type teamMember struct {
	ID, Name string
	Role     string
	Disabled bool
	Cases    int
}

type teamPage struct {
	basePage
	Members []teamMember
}

// teamCaseloads lists, for a manager, everyone who works in their
// services or owns cases there, with how many open cases each has in
// them, and a way to move each one's caseload.
func (s *Server) teamCaseloads(w http.ResponseWriter, r *http.Request, v *viewer) error {
	if v.User.Role != access.Manager {
		return casework.ErrForbidden
	}
	counts, err := s.app.Casework.CaseCounts(r.Context(), v.User.Actor())
	if err != nil {
		return err
	}
	d, err := s.caseDirectory(r)
	if err != nil {
		return err
	}
	p := teamPage{basePage: s.base(v)}
	for _, u := range d.users {
		works := (u.Role == access.Caseworker || u.Role == access.Manager) &&
			slices.ContainsFunc(u.Services, func(id string) bool { return slices.Contains(v.User.Services, id) })
		if !works && counts[u.ID] == 0 {
			continue
		}
		p.Members = append(p.Members, teamMember{ID: u.ID, Name: u.Name, Role: staff.RoleName(u.Role), Disabled: u.Disabled, Cases: counts[u.ID]})
	}
	slices.SortFunc(p.Members, func(a, b teamMember) int {
		return strings.Compare(strings.ToLower(a.Name)+"\x00"+a.ID, strings.ToLower(b.Name)+"\x00"+b.ID)
	})
	return s.render(w, http.StatusOK, "case_team", p)
}

type serviceCountView struct {
	Name  string
	Cases int
}

type moveForm struct {
	basePage
	WorkerID   string
	WorkerName string
	Mine       []serviceCountView
	MineTotal  int
	Others     []serviceCountView
	Workers    []staff.User
	To         string
	Reason     string
	Err        map[string]string
	// After the move:
	Moved   int
	Clients int
	ToName  string
}

func (d caseDirectory) countViews(counts []casework.ServiceCount) (out []serviceCountView, total int) {
	for _, c := range counts {
		out = append(out, serviceCountView{Name: d.serviceName(c.ServiceID), Cases: c.Cases})
		total += c.Cases
	}
	return out, total
}

func (s *Server) moveForm(r *http.Request, v *viewer, f *moveForm) error {
	if v.User.Role != access.Manager {
		return casework.ErrForbidden
	}
	u, err := s.app.Staff.UserByID(r.Context(), r.PathValue("id"))
	if err != nil {
		return casework.ErrNotFound
	}
	mine, others, err := s.app.Casework.WorkerCaseload(r.Context(), v.User.Actor(), u.ID)
	if err != nil {
		return err
	}
	d, err := s.caseDirectory(r)
	if err != nil {
		return err
	}
	f.basePage.User = s.base(v).User
	f.WorkerID, f.WorkerName = u.ID, u.Name
	f.Mine, f.MineTotal = d.countViews(mine)
	f.Others, _ = d.countViews(others)
	f.Workers = d.workers(v.User.Services, u.ID)
	return nil
}

func (s *Server) moveCaseloadForm(w http.ResponseWriter, r *http.Request, v *viewer) error {
	var f moveForm
	if err := s.moveForm(r, v, &f); err != nil {
		return err
	}
	return s.render(w, http.StatusOK, "case_move", f)
}

func (s *Server) moveCaseload(w http.ResponseWriter, r *http.Request, v *viewer) error {
	f := moveForm{To: r.PostFormValue("to"), Reason: r.PostFormValue("reason")}
	if err := s.moveForm(r, v, &f); err != nil {
		return err
	}
	res, err := s.app.Casework.MoveCaseload(r.Context(), v.User.Actor(), f.WorkerID, casework.CaseloadMoveInput{ToID: f.To, Reason: f.Reason})
	var ve *casework.ValidationError
	if errors.As(err, &ve) {
		f.Err = caseErrors(ve, &f.basePage)
		return s.render(w, http.StatusBadRequest, "case_move", f)
	}
	if err != nil {
		return err
	}
	d, err := s.caseDirectory(r)
	if err != nil {
		return err
	}
	f.Moved, f.Clients, f.ToName = res.Moved, res.Clients, d.staffName(f.To)
	f.Others, _ = d.countViews(res.LeftAlone)
	return s.render(w, http.StatusOK, "case_moved", f)
}

// --- JSON API ---

// apiCase is a case as the API shows it.
type apiCase struct {
	ID          string  `json:"id"`
	Client      string  `json:"client"`
	Service     string  `json:"service"`
	Kind        string  `json:"kind"`
	Status      string  `json:"status"`
	Owner       string  `json:"owner"`
	OpenedOn    string  `json:"opened_on"`
	ClosedOn    *string `json:"closed_on"`
	CloseReason *string `json:"close_reason"`
	Version     int64   `json:"version"`
}

func toAPICase(c casework.Case) apiCase {
	a := apiCase{ID: c.ID, Client: c.ClientID, Service: c.ServiceID, Kind: string(c.Kind), Status: string(c.Status),
		Owner: c.OwnerID, OpenedOn: c.OpenedOn.Format(casework.DateLayout), Version: c.Version}
	if !c.ClosedOn.IsZero() {
		d, r := c.ClosedOn.Format(casework.DateLayout), string(c.CloseReason)
		a.ClosedOn, a.CloseReason = &d, &r
	}
	return a
}

// apiCaseEvent is one entry of a case's history.
type apiCaseEvent struct {
	Kind        string `json:"kind"`
	At          string `json:"at"`
	By          string `json:"by"`
	FromStatus  string `json:"from_status,omitempty"`
	ToStatus    string `json:"to_status,omitempty"`
	CloseReason string `json:"close_reason,omitempty"`
	FromOwner   string `json:"from_owner,omitempty"`
	ToOwner     string `json:"to_owner,omitempty"`
	Move        string `json:"move,omitempty"`
	Note        string `json:"note,omitempty"`
}

func (s *Server) apiListCases(w http.ResponseWriter, r *http.Request, v *viewer) error {
	p, err := apiPurpose(r, v)
	if err != nil {
		return err
	}
	l, err := s.app.Casework.Cases(r.Context(), v.User.Actor(), r.PathValue("id"), p)
	if err != nil {
		return err
	}
	out := make([]apiCase, 0, len(l.Cases))
	for _, c := range l.Cases {
		out = append(out, toAPICase(c))
	}
	writeJSON(w, http.StatusOK, map[string]any{"cases": out})
	return nil
}

func (s *Server) apiGetCase(w http.ResponseWriter, r *http.Request, v *viewer) error {
	p, err := apiPurpose(r, v)
	if err != nil {
		return err
	}
	cd, err := s.app.Casework.Case(r.Context(), v.User.Actor(), r.PathValue("id"), r.PathValue("case"), p)
	if err != nil {
		return err
	}
	events := make([]apiCaseEvent, 0, len(cd.Events))
	for _, e := range cd.Events {
		events = append(events, apiCaseEvent{Kind: string(e.Kind), At: e.At.UTC().Format("2006-01-02T15:04:05.000000Z07:00"), By: e.ByID,
			FromStatus: string(e.FromStatus), ToStatus: string(e.ToStatus), CloseReason: string(e.CloseReason),
			FromOwner: e.FromOwnerID, ToOwner: e.ToOwnerID, Move: e.MoveID, Note: e.Note})
	}
	writeJSON(w, http.StatusOK, struct {
		apiCase
		History []apiCaseEvent `json:"history"`
	}{toAPICase(cd.Case), events})
	return nil
}

// apiCaseload is the home page's lists: scope "mine" (default) or
// "services" (a manager's services).
func (s *Server) apiCaseload(w http.ResponseWriter, r *http.Request, v *viewer) error {
	page := pageParam(r, "page")
	f := casework.CaseloadFilter{Limit: caseloadPageSize, Offset: (page - 1) * caseloadPageSize}
	switch r.URL.Query().Get("scope") {
	case "", "mine":
		f.OwnerID = v.User.ID
	case "services":
		f.ServiceIDs = v.User.Services
	default:
		return &apiError{Status: http.StatusBadRequest, Code: "invalid", Message: "Unknown scope.",
			Fields: []casework.FieldError{{Field: "scope", Message: "must be mine or services"}}}
	}
	rows, more, err := s.app.Casework.Caseload(r.Context(), v.User.Actor(), f)
	if err != nil {
		return err
	}
	type apiCaseloadRow struct {
		apiCase
		ClientName      string `json:"client_name"`
		ClientReference string `json:"client_reference"`
	}
	out := make([]apiCaseloadRow, 0, len(rows))
	for _, row := range rows {
		out = append(out, apiCaseloadRow{toAPICase(row.Case), row.Client.DisplayName, row.Client.Reference})
	}
	body := map[string]any{"cases": out, "page": page}
	if more {
		body["next_page"] = page + 1
	}
	writeJSON(w, http.StatusOK, body)
	return nil
}

func (s *Server) apiMoveCaseload(w http.ResponseWriter, r *http.Request, v *viewer) error {
	var in casework.CaseloadMoveInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if v.User.Role != access.Manager {
		return casework.ErrForbidden
	}
	if _, err := s.app.Staff.UserByID(r.Context(), r.PathValue("id")); err != nil {
		return casework.ErrNotFound
	}
	res, err := s.app.Casework.MoveCaseload(r.Context(), v.User.Actor(), r.PathValue("id"), in)
	if err != nil {
		return err
	}
	left := res.LeftAlone
	if left == nil {
		left = []casework.ServiceCount{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"move": res.MoveID, "moved": res.Moved, "clients": res.Clients, "left_alone": left})
	return nil
}
