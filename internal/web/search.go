package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/caseward/caseward/internal/access"
	"github.com/caseward/caseward/internal/casework"
	"github.com/caseward/caseward/internal/store"
)

// Finding people: "Find a client" within what the viewer may see, and
// "Add a client", which starts with a look-up ("do we already know this
// person?", within reach and across the organisation) before the form.
//
// Names typed to search travel only in POST bodies, never in a URL: the
// server logs the route pattern alone, but browsers keep URLs in their
// history and tools keep them in logs. For the same reason the form that
// carries the typed names on to the new-client form is a POST too.

// searchForm is the "Find a client" form as typed, with its results.
type searchForm struct {
	basePage
	Name, Phone               string
	DobDay, DobMonth, DobYear string
	Purpose                   string // the DPO's purpose, a code
	AskPurpose                bool
	Err                       map[string]string
	Searched                  bool
	Results                   casework.SearchResults
	Rows                      []searchRow
	Services                  map[string]string // id → name
}

// searchRow is one result as the page shows it.
type searchRow struct {
	casework.SearchResult
	URL      string
	Services []string // names
}

// DobHint is the hint under the date of birth boxes.
func (f searchForm) DobHint() string { return "Optional. For example, 27 3 2007, or only the year" }

// DobHint is the hint under the date of birth boxes.
func (f intakeForm) DobHint() string { return "For example, 27 3 2007" }

// ChecksPerHour is how many checks anyone may make in an hour.
func (f intakeForm) ChecksPerHour() int { return casework.IntakeChecksPerHour }

// PrevPage and NextPage are the pages around the one shown.
func (f searchForm) PrevPage() int { return f.Results.Page - 1 }

// NextPage is the page after the one shown.
func (f searchForm) NextPage() int { return f.Results.Page + 1 }

var searchFields = map[string]string{"name": "name", "date_of_birth": "dob-day", "phone": "phone", "purpose": "purpose"}

func (f *searchForm) setErrors(ve *casework.ValidationError) {
	f.Err = map[string]string{}
	for _, fe := range ve.Fields {
		f.Err[fe.Field] = fe.Message
		f.Errors = append(f.Errors, errorItem{searchFields[fe.Field], fe.Message})
	}
}

// searchDate makes the date of birth of a search from its three boxes:
// YYYY-MM-DD, or YYYY when only the year is given.
func searchDate(day, month, year string) string {
	if day == "" && month == "" {
		return year
	}
	return joinDate(day, month, year)
}

// maySearch reports whether the viewer works with clients at all.
func maySearch(v *viewer) bool {
	switch v.User.Role {
	case access.Caseworker, access.Manager, access.AdminStaff:
		return len(v.User.Services) > 0
	case access.DPO:
		return true
	}
	return false
}

func (s *Server) searchPage(w http.ResponseWriter, r *http.Request, v *viewer) error {
	if !maySearch(v) {
		return casework.ErrForbidden
	}
	f := searchForm{basePage: s.base(v), AskPurpose: v.User.Role == access.DPO, Err: map[string]string{}}
	return s.render(w, http.StatusOK, "search", f)
}

func (s *Server) search(w http.ResponseWriter, r *http.Request, v *viewer) error {
	if !maySearch(v) {
		return casework.ErrForbidden
	}
	f := searchForm{
		basePage:   s.base(v),
		Name:       r.PostFormValue("name"),
		Phone:      r.PostFormValue("phone"),
		DobDay:     strings.TrimSpace(r.PostFormValue("dob_day")),
		DobMonth:   strings.TrimSpace(r.PostFormValue("dob_month")),
		DobYear:    strings.TrimSpace(r.PostFormValue("dob_year")),
		Purpose:    r.PostFormValue("purpose"),
		AskPurpose: v.User.Role == access.DPO,
		Err:        map[string]string{},
	}
	p, ok := purpose(v, r)
	if !ok {
		f.setErrors(&casework.ValidationError{Fields: []casework.FieldError{{Field: "purpose", Message: "Choose why you are searching"}}})
		return s.render(w, http.StatusBadRequest, "search", f)
	}
	page, _ := strconv.Atoi(r.PostFormValue("page"))
	q := casework.SearchQuery{Name: f.Name, DateOfBirth: searchDate(f.DobDay, f.DobMonth, f.DobYear), Phone: f.Phone, Page: page}
	rs, err := s.app.Casework.Search(r.Context(), v.User.Actor(), p, q)
	var ve *casework.ValidationError
	switch {
	case errors.As(err, &ve):
		f.setErrors(ve)
		return s.render(w, http.StatusBadRequest, "search", f)
	case err != nil:
		return err
	}
	f.Searched, f.Results = true, rs
	f.Rows, err = s.searchRows(r, v, rs.Results, p)
	if err != nil {
		return err
	}
	return s.render(w, http.StatusOK, "search", f)
}

// searchRows adds what the page shows beside each result: a link to the
// record (the DPO's carries their purpose, a code) and service names.
func (s *Server) searchRows(r *http.Request, v *viewer, rs []casework.SearchResult, p access.Purpose) ([]searchRow, error) {
	names, err := s.serviceNames(r)
	if err != nil {
		return nil, err
	}
	rows := make([]searchRow, len(rs))
	for i, res := range rs {
		row := searchRow{SearchResult: res, URL: "/clients/" + res.ID}
		if v.User.Role == access.DPO {
			row.URL += "?purpose=" + string(p)
		}
		for _, id := range res.ServiceIDs {
			row.Services = append(row.Services, names[id])
		}
		rows[i] = row
	}
	return rows, nil
}

func (s *Server) serviceNames(r *http.Request) (map[string]string, error) {
	all, err := s.app.Staff.Services(r.Context())
	if err != nil {
		return nil, err
	}
	names := make(map[string]string, len(all))
	for _, sv := range all {
		names[sv.ID] = sv.Name
	}
	return names, nil
}

// intakeForm is the first step of adding a client: who is it, and do we
// know them already?
type intakeForm struct {
	basePage
	GivenName, FamilyName     string
	DobDay, DobMonth, DobYear string
	Err                       map[string]string
	Checked                   bool
	Rows                      []searchRow // matches the viewer may see
	More                      bool
	Answer                    casework.IntakeAnswer
	Ask                       []askWhom
}

// askWhom is one service (and worker) to ask about a possible match.
type askWhom struct {
	Service, Worker string
}

var intakeFields = map[string]string{"given_name": "given-name", "family_name": "family-name", "date_of_birth": "dob-day"}

func (f *intakeForm) setErrors(ve *casework.ValidationError) {
	f.Err = map[string]string{}
	for _, fe := range ve.Fields {
		f.Err[fe.Field] = fe.Message
		f.Errors = append(f.Errors, errorItem{intakeFields[fe.Field], fe.Message})
	}
}

// mayAddClients reports whether the viewer records clients.
func mayAddClients(v *viewer) bool {
	switch v.User.Role {
	case access.Caseworker, access.Manager, access.AdminStaff:
		return len(v.User.Services) > 0
	}
	return false
}

func (s *Server) findBeforeAddForm(w http.ResponseWriter, r *http.Request, v *viewer) error {
	if !mayAddClients(v) {
		return casework.ErrForbidden
	}
	return s.render(w, http.StatusOK, "intake", intakeForm{basePage: s.base(v), Err: map[string]string{}})
}

// findBeforeAdd looks for the person twice: among the clients the viewer
// may see (shown, so they can open the record instead), and across the
// organisation by the intake check (which says only whom to ask, P23).
func (s *Server) findBeforeAdd(w http.ResponseWriter, r *http.Request, v *viewer) error {
	if !mayAddClients(v) {
		return casework.ErrForbidden
	}
	f := intakeForm{
		basePage:   s.base(v),
		GivenName:  r.PostFormValue("given_name"),
		FamilyName: r.PostFormValue("family_name"),
		DobDay:     strings.TrimSpace(r.PostFormValue("dob_day")),
		DobMonth:   strings.TrimSpace(r.PostFormValue("dob_month")),
		DobYear:    strings.TrimSpace(r.PostFormValue("dob_year")),
		Err:        map[string]string{},
	}
	actor := v.User.Actor()
	q := casework.IntakeQuery{GivenName: f.GivenName, FamilyName: f.FamilyName, DateOfBirth: joinDate(f.DobDay, f.DobMonth, f.DobYear)}
	ans, err := s.app.Casework.IntakeCheck(r.Context(), actor, q)
	var ve *casework.ValidationError
	switch {
	case errors.As(err, &ve):
		f.setErrors(ve)
		return s.render(w, http.StatusBadRequest, "intake", f)
	case errors.Is(err, casework.ErrRateLimited):
		f.Errors = []errorItem{{"", "You have made " + strconv.Itoa(casework.IntakeChecksPerHour) + " checks in the last hour, which is as many as anyone may. Try again later, or ask your manager."}}
		return s.render(w, http.StatusTooManyRequests, "intake", f)
	case err != nil:
		return err
	}
	f.Checked, f.Answer = true, ans
	if f.Ask, err = s.askWhom(r, ans.Ask); err != nil {
		return err
	}
	// Those the viewer may see, by name, whatever their date of birth (a
	// date typed wrongly should not hide a record), best first.
	p, _ := purpose(v, r)
	rs, err := s.app.Casework.Search(r.Context(), actor, p, casework.SearchQuery{Name: q.GivenName + " " + q.FamilyName})
	if err != nil && !errors.As(err, &ve) {
		return err
	}
	f.More = rs.More
	if f.Rows, err = s.searchRows(r, v, rs.Results, p); err != nil {
		return err
	}
	return s.render(w, http.StatusOK, "intake", f)
}

// askWhom names the services and workers of an intake answer.
func (s *Server) askWhom(r *http.Request, links []access.Link) ([]askWhom, error) {
	names, err := s.serviceNames(r)
	if err != nil {
		return nil, err
	}
	var out []askWhom
	for _, l := range links {
		a := askWhom{Service: names[l.ServiceID]}
		if l.WorkerID != "" {
			if u, err := s.app.Staff.UserByID(r.Context(), l.WorkerID); err == nil && !u.Disabled {
				a.Worker = u.Name
			} else if err != nil && !errors.Is(err, store.ErrNotFound) {
				return nil, err
			}
		}
		out = append(out, a)
	}
	return out, nil
}

// newClientFromLookup is the new-client form with the names and date of
// birth typed at the look-up already filled in, reached by POST from
// "None of these: add a new client" so that they never travel in a URL.
func (s *Server) newClientFromLookup(w http.ResponseWriter, r *http.Request, v *viewer) error {
	f, err := s.newRecordForm(r, v)
	if err != nil {
		return err
	}
	if len(f.Services) == 1 {
		f.Service = f.Services[0].ID
	}
	// As on the blank form (newClientForm), P29: never name the
	// organisation on the phone unless the client says so.
	f.fillParts(casework.Client{SafeContact: casework.SafeContact{NeverNameOrganisation: true}}, newParts)
	f.GivenName = r.PostFormValue("given_name")
	f.FamilyName = r.PostFormValue("family_name")
	f.DobDay = strings.TrimSpace(r.PostFormValue("dob_day"))
	f.DobMonth = strings.TrimSpace(r.PostFormValue("dob_month"))
	f.DobYear = strings.TrimSpace(r.PostFormValue("dob_year"))
	f.build(newParts)
	return s.render(w, http.StatusOK, "client_new", f)
}

// API: search and the intake check, both POST so that names stay out of
// URLs.

type apiSearchRequest struct {
	casework.SearchQuery
	Purpose string `json:"purpose,omitempty"`
}

type apiSearchResult struct {
	ID          string   `json:"id"`
	Reference   string   `json:"reference"`
	DisplayName string   `json:"display_name"`
	NameHidden  bool     `json:"name_hidden"`
	DateOfBirth string   `json:"date_of_birth,omitempty"`
	Services    []string `json:"services"`
	Flags       []string `json:"flags"`
	Match       string   `json:"match,omitempty"`
}

type apiSearchResults struct {
	Results   []apiSearchResult `json:"results"`
	Page      int               `json:"page"`
	More      bool              `json:"more"`
	Total     *int              `json:"total,omitempty"`
	Truncated bool              `json:"truncated"`
}

func (s *Server) apiSearch(w http.ResponseWriter, r *http.Request, v *viewer) error {
	var req apiSearchRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	p := access.Purpose(req.Purpose)
	if p == "" {
		p = access.Casework
		if v.User.Role == access.AdminStaff {
			p = access.Administration
		}
	}
	if !p.Valid() {
		return &apiError{Status: http.StatusBadRequest, Code: "invalid", Message: "Unknown purpose.",
			Fields: []casework.FieldError{{Field: "purpose", Message: "must be one of casework, administration, rights-request, review"}}}
	}
	rs, err := s.app.Casework.Search(r.Context(), v.User.Actor(), p, req.SearchQuery)
	if err != nil {
		return err
	}
	out := apiSearchResults{Results: []apiSearchResult{}, Page: rs.Page, More: rs.More, Truncated: rs.Truncated}
	if rs.Total >= 0 {
		out.Total = &rs.Total
	}
	for _, res := range rs.Results {
		a := apiSearchResult{ID: res.ID, Reference: res.Reference, DisplayName: res.DisplayName, NameHidden: res.Hidden,
			Services: res.ServiceIDs, Flags: res.Flags, Match: string(res.Match)}
		if a.Services == nil {
			a.Services = []string{}
		}
		if a.Flags == nil {
			a.Flags = []string{}
		}
		if !res.DateOfBirth.IsZero() {
			a.DateOfBirth = res.DateOfBirth.Format(casework.DateLayout)
		}
		out.Results = append(out.Results, a)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

type apiAsk struct {
	Service     string `json:"service"`
	ServiceName string `json:"service_name"`
	Worker      string `json:"worker,omitempty"`
	WorkerName  string `json:"worker_name,omitempty"`
}

type apiIntakeAnswer struct {
	PossibleMatch bool     `json:"possible_match"`
	Ask           []apiAsk `json:"ask"`
	AskDPO        bool     `json:"ask_data_protection_officer"`
	YouCanSee     bool     `json:"you_can_see"`
}

func (s *Server) apiIntakeCheck(w http.ResponseWriter, r *http.Request, v *viewer) error {
	var q casework.IntakeQuery
	if err := decodeJSON(r, &q); err != nil {
		return err
	}
	ans, err := s.app.Casework.IntakeCheck(r.Context(), v.User.Actor(), q)
	if errors.Is(err, casework.ErrRateLimited) {
		w.Header().Set("Retry-After", "3600")
		return &apiError{Status: http.StatusTooManyRequests, Code: "rate_limited",
			Message: "At most " + strconv.Itoa(casework.IntakeChecksPerHour) + " intake checks an hour; try again later."}
	}
	if err != nil {
		return err
	}
	out := apiIntakeAnswer{PossibleMatch: ans.PossibleMatch, Ask: []apiAsk{}, AskDPO: ans.AskDPO, YouCanSee: ans.YouCanSee}
	named, err := s.askWhom(r, ans.Ask)
	if err != nil {
		return err
	}
	for i, l := range ans.Ask {
		out.Ask = append(out.Ask, apiAsk{Service: l.ServiceID, ServiceName: named[i].Service, Worker: l.WorkerID, WorkerName: named[i].Worker})
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
