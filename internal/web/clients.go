package web

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/caseward/caseward/internal/access"
	"github.com/caseward/caseward/internal/casework"
	"github.com/caseward/caseward/internal/staff"
)

type homePage struct {
	basePage
	CanAddClients bool
}

func (s *Server) home(w http.ResponseWriter, r *http.Request, v *viewer) error {
	p := homePage{basePage: s.base(v)}
	switch v.User.Role {
	case access.Caseworker, access.Manager, access.AdminStaff:
		p.CanAddClients = len(v.User.Services) > 0
	}
	return s.render(w, http.StatusOK, "home", p)
}

// clientForm is the client record as typed, kept whole when it comes back
// with errors.
type clientForm struct {
	basePage
	ID                    string
	Version               int64
	Services              []staff.Service
	Service               string
	GivenName, FamilyName string
	DobDay, DobMonth      string
	DobYear               string
	Err                   map[string]string
	Conflict              *casework.Client // what someone else saved meanwhile
}

// formFields maps the domain's field names to the inputs they link to.
var formFields = map[string]string{
	"service":       "service",
	"given_name":    "given-name",
	"family_name":   "family-name",
	"date_of_birth": "dob-day",
}

func (f *clientForm) setErrors(ve *casework.ValidationError) {
	f.Err = map[string]string{}
	for _, fe := range ve.Fields {
		f.Err[fe.Field] = fe.Message
		f.Errors = append(f.Errors, errorItem{formFields[fe.Field], fe.Message})
	}
}

func readClientForm(r *http.Request, f *clientForm) casework.ClientInput {
	f.Service = r.PostFormValue("service")
	f.GivenName = r.PostFormValue("given_name")
	f.FamilyName = r.PostFormValue("family_name")
	f.DobDay = strings.TrimSpace(r.PostFormValue("dob_day"))
	f.DobMonth = strings.TrimSpace(r.PostFormValue("dob_month"))
	f.DobYear = strings.TrimSpace(r.PostFormValue("dob_year"))
	return casework.ClientInput{
		ServiceID:   f.Service,
		GivenName:   f.GivenName,
		FamilyName:  f.FamilyName,
		DateOfBirth: joinDate(f.DobDay, f.DobMonth, f.DobYear),
	}
}

// joinDate makes YYYY-MM-DD of the three boxes of a date input; anything
// that is not a number is passed through so validation can name the field.
func joinDate(day, month, year string) string {
	if day == "" && month == "" && year == "" {
		return ""
	}
	d, e1 := strconv.Atoi(day)
	m, e2 := strconv.Atoi(month)
	y, e3 := strconv.Atoi(year)
	if e1 != nil || e2 != nil || e3 != nil || y < 1000 || y > 9999 {
		return "invalid"
	}
	return fmt.Sprintf("%04d-%02d-%02d", y, m, d)
}

// myServices lists the services the viewer may add clients to.
func (s *Server) myServices(r *http.Request, v *viewer) ([]staff.Service, error) {
	all, err := s.app.Staff.Services(r.Context())
	if err != nil {
		return nil, err
	}
	var mine []staff.Service
	for _, sv := range all {
		if v.User.Actor().InService(sv.ID) {
			mine = append(mine, sv)
		}
	}
	return mine, nil
}

func (s *Server) newClientForm(w http.ResponseWriter, r *http.Request, v *viewer) error {
	svcs, err := s.myServices(r, v)
	if err != nil {
		return err
	}
	f := clientForm{basePage: s.base(v), Services: svcs}
	if len(svcs) == 1 {
		f.Service = svcs[0].ID
	}
	return s.render(w, http.StatusOK, "client_new", f)
}

func (s *Server) createClient(w http.ResponseWriter, r *http.Request, v *viewer) error {
	svcs, err := s.myServices(r, v)
	if err != nil {
		return err
	}
	f := clientForm{basePage: s.base(v), Services: svcs}
	in := readClientForm(r, &f)
	id, err := s.app.Casework.CreateClient(r.Context(), v.User.Actor(), in)
	var ve *casework.ValidationError
	switch {
	case errors.As(err, &ve):
		f.setErrors(ve)
		return s.render(w, http.StatusBadRequest, "client_new", f)
	case errors.Is(err, casework.ErrForbidden):
		f.setErrors(&casework.ValidationError{Fields: []casework.FieldError{{Field: "service", Message: "You cannot add clients to that service: choose one of yours"}}})
		return s.render(w, http.StatusBadRequest, "client_new", f)
	case err != nil:
		return err
	}
	http.Redirect(w, r, "/clients/"+id, http.StatusSeeOther)
	return nil
}

// purpose is why the viewer opens a record. Staff working with clients
// open them for casework (admin staff for administration); the DPO must say
// which of their purposes applies, and is asked first.
func purpose(v *viewer, r *http.Request) (access.Purpose, bool) {
	switch v.User.Role {
	case access.AdminStaff:
		return access.Administration, true
	case access.DPO:
		p := access.Purpose(r.FormValue("purpose"))
		return p, p == access.RightsRequest || p == access.Review
	}
	return access.Casework, true
}

type clientPage struct {
	basePage
	Client      casework.Client
	ServiceName string
	Purpose     string
	AskPurpose  bool
	CanEdit     bool
}

func (s *Server) serviceName(r *http.Request, id string) string {
	sv, err := s.app.Staff.ServiceByID(r.Context(), id)
	if err != nil {
		return ""
	}
	return sv.Name
}

func (s *Server) viewClient(w http.ResponseWriter, r *http.Request, v *viewer) error {
	p, ok := purpose(v, r)
	if !ok {
		return s.render(w, http.StatusOK, "client_purpose", clientPage{basePage: s.base(v), Client: casework.Client{ID: r.PathValue("id")}, AskPurpose: true})
	}
	c, err := s.app.Casework.Client(r.Context(), v.User.Actor(), r.PathValue("id"), p)
	if err != nil {
		return err
	}
	page := clientPage{basePage: s.base(v), Client: c, ServiceName: s.serviceName(r, c.ServiceID), Purpose: string(p)}
	page.CanEdit = v.User.Role != access.DPO
	if r.URL.Query().Get("saved") == "1" {
		page.Message = "Saved."
	}
	return s.render(w, http.StatusOK, "client_view", page)
}

func (s *Server) editClientForm(w http.ResponseWriter, r *http.Request, v *viewer) error {
	p, ok := purpose(v, r)
	if !ok || v.User.Role == access.DPO {
		return casework.ErrForbidden
	}
	c, err := s.app.Casework.Client(r.Context(), v.User.Actor(), r.PathValue("id"), p)
	if err != nil {
		return err
	}
	f := clientForm{basePage: s.base(v), ID: c.ID, Version: c.Version}
	fillFromClient(&f, c)
	return s.render(w, http.StatusOK, "client_edit", f)
}

func fillFromClient(f *clientForm, c casework.Client) {
	f.GivenName, f.FamilyName = c.GivenName, c.FamilyName
	f.DobDay = strconv.Itoa(c.DateOfBirth.Day())
	f.DobMonth = strconv.Itoa(int(c.DateOfBirth.Month()))
	f.DobYear = strconv.Itoa(c.DateOfBirth.Year())
}

func (s *Server) updateClient(w http.ResponseWriter, r *http.Request, v *viewer) error {
	id := r.PathValue("id")
	f := clientForm{basePage: s.base(v), ID: id}
	in := readClientForm(r, &f)
	version, _ := strconv.ParseInt(r.PostFormValue("version"), 10, 64)
	f.Version = version
	err := s.app.Casework.UpdateClient(r.Context(), v.User.Actor(), id, version, in)
	var ve *casework.ValidationError
	switch {
	case errors.As(err, &ve):
		f.setErrors(ve)
		return s.render(w, http.StatusBadRequest, "client_edit", f)
	case errors.Is(err, casework.ErrConflict):
		// Show what the other person saved, keep what this person typed,
		// and let them save again over the new version: nothing is lost.
		p, _ := purpose(v, r)
		current, cerr := s.app.Casework.Client(r.Context(), v.User.Actor(), id, p)
		if cerr != nil {
			return cerr
		}
		f.Conflict = &current
		f.Version = current.Version
		f.Errors = []errorItem{{"given-name", "Someone else changed this record while you were editing it. Check their changes below, then save again"}}
		return s.render(w, http.StatusConflict, "client_edit", f)
	case err != nil:
		return err
	}
	http.Redirect(w, r, "/clients/"+id+"?saved=1", http.StatusSeeOther)
	return nil
}
