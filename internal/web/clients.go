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

// home is the caseload home page (cases.go).
func (s *Server) home(w http.ResponseWriter, r *http.Request, v *viewer) error {
	return s.caseloadHome(w, r, v)
}

// recordForm is a client's record as typed, kept whole when it comes back
// with errors. The new-client form shows every part; an edit form shows
// one (Part). Its sections are built from what was typed (In) and the
// errors, so the same code shows a blank form, a record to change, and a
// form that came back.
type recordForm struct {
	basePage
	ID       string
	Version  int64
	Part     string // the form's part (editParts), "" on the new-client form
	Title    string // the page's h1: fixed words, never personal data
	Header   *casework.Header
	Services []staff.Service
	Service  string
	// The names part, as typed.
	GivenName, FamilyName, PreferredName, PreviousNames string
	DobDay, DobMonth, DobYear                           string
	// NameWithheld: the client's name is hidden from this viewer, whose
	// personal details form has no names.
	NameWithheld bool
	Err          map[string]string
	Sections     []formSection
	// Conflict is what someone else saved meanwhile, in this form's parts.
	Conflict []summarySection

	in    casework.RecordParts
	lists map[casework.ListName][]casework.ListItem
}

// editParts are the record's edit forms: each changes these parts.
var editParts = map[string][]string{
	"personal":        {casework.PartNames, casework.PartDetails},
	"contact":         {casework.PartSafeContact, casework.PartContact},
	"gp":              {casework.PartGP},
	"support-network": {casework.PartNetwork},
	"monitoring":      {casework.PartMonitoring},
	"flags":           {casework.PartFlags},
}

var editTitles = map[string]string{
	"personal":        "Change personal details",
	"contact":         "Change contact details and safe contact",
	"gp":              "Change GP",
	"support-network": "Change support network",
	"monitoring":      "Change equality monitoring",
	"flags":           "Change flags",
}

// fid turns a field name of the domain ("contact.phones[1].number") into
// the id of its input ("contact-phones-1-number").
func fid(field string) string {
	switch field {
	case "date_of_birth":
		return "dob-day"
	case "previous_names":
		return "previous-names"
	}
	if strings.HasPrefix(field, "previous_names[") {
		return "previous-names"
	}
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(field) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.TrimSuffix(b.String(), "-")
}

func (f *recordForm) setErrors(ve *casework.ValidationError) {
	f.Err = map[string]string{}
	for _, fe := range ve.Fields {
		key := fe.Field
		if strings.HasPrefix(key, "previous_names") {
			key = "previous_names"
		}
		if _, dup := f.Err[key]; dup {
			continue
		}
		f.Err[key] = fe.Message
		f.Errors = append(f.Errors, errorItem{fid(fe.Field), fe.Message})
	}
}

// readNames reads the names part of a form.
func (f *recordForm) readNames(r *http.Request) casework.ClientInput {
	f.GivenName = r.PostFormValue("given_name")
	f.FamilyName = r.PostFormValue("family_name")
	f.PreferredName = r.PostFormValue("preferred_name")
	f.PreviousNames = r.PostFormValue("previous_names")
	f.DobDay = strings.TrimSpace(r.PostFormValue("dob_day"))
	f.DobMonth = strings.TrimSpace(r.PostFormValue("dob_month"))
	f.DobYear = strings.TrimSpace(r.PostFormValue("dob_year"))
	in := casework.ClientInput{
		ServiceID:     f.Service,
		GivenName:     f.GivenName,
		FamilyName:    f.FamilyName,
		DateOfBirth:   joinDate(f.DobDay, f.DobMonth, f.DobYear),
		PreferredName: f.PreferredName,
	}
	for _, line := range strings.Split(f.PreviousNames, "\n") {
		if line = strings.TrimSpace(line); line != "" {
			in.PreviousNames = append(in.PreviousNames, line)
		}
	}
	return in
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

// fillNames puts a client's names part into the form.
func (f *recordForm) fillNames(c casework.Client) {
	f.NameWithheld = c.NameWithheld
	if c.NameWithheld {
		return
	}
	f.GivenName, f.FamilyName, f.PreferredName = c.GivenName, c.FamilyName, c.PreferredName
	f.PreviousNames = strings.Join(c.PreviousNames, "\n")
	if !c.DateOfBirth.IsZero() {
		f.DobDay = strconv.Itoa(c.DateOfBirth.Day())
		f.DobMonth = strconv.Itoa(int(c.DateOfBirth.Month()))
		f.DobYear = strconv.Itoa(c.DateOfBirth.Year())
	}
}

// fillParts puts a client's parts into the form, for the parts given.
func (f *recordForm) fillParts(c casework.Client, parts []string) {
	for _, p := range parts {
		switch p {
		case casework.PartDetails:
			d := c.Details
			f.in.Details = &d
		case casework.PartContact:
			ct := c.Contact
			ct.Phones = append([]casework.Phone(nil), ct.Phones...)
			f.in.Contact = &ct
		case casework.PartSafeContact:
			sc := c.SafeContact
			f.in.SafeContact = &sc
		case casework.PartGP:
			gp := c.GP
			f.in.GP = &gp
		case casework.PartNetwork:
			n := append([]casework.SupportPerson(nil), c.Network...)
			f.in.SupportNetwork = &n
		case casework.PartMonitoring:
			m := c.Monitoring
			f.in.Monitoring = &m
		case casework.PartFlags:
			fl := c.Flags
			fl.Kinds = append([]string(nil), fl.Kinds...)
			f.in.Flags = &fl
		}
	}
}

// readParts reads the parts given from a posted form.
func (f *recordForm) readParts(r *http.Request, parts []string) {
	get := func(k string) string { return r.PostFormValue(k) }
	yes := func(k string) bool { return r.PostFormValue(k) == "yes" }
	for _, p := range parts {
		switch p {
		case casework.PartDetails:
			f.in.Details = &casework.Details{
				Pronouns:          get("details.pronouns"),
				FirstLanguage:     get("details.first_language"),
				InterpreterNeeded: yes("details.interpreter_needed"),
				HowHeard:          get("details.how_heard"),
				HowHeardDetail:    get("details.how_heard_detail"),
			}
		case casework.PartContact:
			ct := &casework.Contact{
				AddressLine1: get("contact.address_line_1"),
				AddressLine2: get("contact.address_line_2"),
				Town:         get("contact.town"),
				Postcode:     get("contact.postcode"),
				Email:        get("contact.email"),
			}
			for i := 0; i < casework.MaxPhones+5; i++ {
				k := fmt.Sprintf("contact.phones[%d]", i)
				if _, ok := r.PostForm[k+".number"]; !ok {
					break
				}
				ct.Phones = append(ct.Phones, casework.Phone{Label: get(k + ".label"), Number: get(k + ".number")})
			}
			f.in.Contact = ct
		case casework.PartSafeContact:
			perm := func(k string) casework.Permission { return casework.Permission(get("safe_contact." + k)) }
			f.in.SafeContact = &casework.SafeContact{
				Phone: perm("phone"), Text: perm("text"), Email: perm("email"), Letter: perm("letter"),
				AtHome: perm("at_home"), AtWork: perm("at_work"),
				SafeTimes:             get("safe_contact.safe_times"),
				CodeWord:              get("safe_contact.code_word"),
				NeverNameOrganisation: yes("safe_contact.never_name_organisation"),
				PlainEnvelope:         yes("safe_contact.plain_envelope"),
				Notes:                 get("safe_contact.notes"),
			}
		case casework.PartGP:
			f.in.GP = &casework.GP{Name: get("gp.name"), Surgery: get("gp.surgery")}
		case casework.PartNetwork:
			people := []casework.SupportPerson{}
			for i := 0; i < casework.MaxSupportPeople+5; i++ {
				k := fmt.Sprintf("support_network[%d]", i)
				if _, ok := r.PostForm[k+".name"]; !ok {
					break
				}
				people = append(people, casework.SupportPerson{
					Name: get(k + ".name"), Relationship: get(k + ".relationship"),
					Phone: get(k + ".phone"), MayBeTold: get(k + ".may_be_told"),
				})
			}
			f.in.SupportNetwork = &people
		case casework.PartMonitoring:
			m := &casework.Monitoring{}
			for i, a := range m.Answers() {
				q := casework.MonitoringQuestions[i]
				a.Answer = get("monitoring." + q.Key + ".answer")
				a.Detail = get("monitoring." + q.Key + ".detail")
			}
			f.in.Monitoring = m
		case casework.PartFlags:
			f.in.Flags = &casework.Flags{
				Risk:     get("flags.risk"),
				Kinds:    r.PostForm["flags.kinds"],
				HideName: yes("flags.hide_name"),
			}
		}
	}
}

// loadLists reads the organisation's lists the form offers.
func (s *Server) loadLists(r *http.Request, f *recordForm) error {
	f.lists = map[casework.ListName][]casework.ListItem{}
	for _, l := range casework.ListNames {
		items, err := s.app.Casework.List(r.Context(), l)
		if err != nil {
			return err
		}
		f.lists[l] = items
	}
	return nil
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

// newParts are the parts the new-client form asks for, besides names.
var newParts = []string{casework.PartDetails, casework.PartSafeContact, casework.PartContact, casework.PartGP,
	casework.PartNetwork, casework.PartMonitoring, casework.PartFlags}

func (s *Server) newRecordForm(r *http.Request, v *viewer) (recordForm, error) {
	svcs, err := s.myServices(r, v)
	if err != nil {
		return recordForm{}, err
	}
	f := recordForm{basePage: s.base(v), Services: svcs, Title: "Add a client"}
	return f, s.loadLists(r, &f)
}

func (s *Server) newClientForm(w http.ResponseWriter, r *http.Request, v *viewer) error {
	f, err := s.newRecordForm(r, v)
	if err != nil {
		return err
	}
	if len(f.Services) == 1 {
		f.Service = f.Services[0].ID
	}
	// P29: staff never name the organisation when they phone, unless the
	// client says they may.
	f.fillParts(casework.Client{SafeContact: casework.SafeContact{NeverNameOrganisation: true}}, newParts)
	f.build(newParts)
	return s.render(w, http.StatusOK, "client_new", f)
}

func (s *Server) createClient(w http.ResponseWriter, r *http.Request, v *viewer) error {
	f, err := s.newRecordForm(r, v)
	if err != nil {
		return err
	}
	f.Service = r.PostFormValue("service")
	in := f.readNames(r)
	f.readParts(r, newParts)
	in.RecordParts = f.in
	id, err := s.app.Casework.CreateClient(r.Context(), v.User.Actor(), in)
	var ve *casework.ValidationError
	switch {
	case errors.As(err, &ve):
		f.setErrors(ve)
		f.build(newParts)
		return s.render(w, http.StatusBadRequest, "client_new", f)
	case errors.Is(err, casework.ErrForbidden):
		f.setErrors(&casework.ValidationError{Fields: []casework.FieldError{{Field: "service", Message: "You cannot add clients to that service: choose one of yours"}}})
		f.build(newParts)
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
	Header      casework.Header
	ServiceName string
	Purpose     string
	AskPurpose  bool
	CanEdit     bool
	Sections    []summarySection
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
	page := clientPage{basePage: s.base(v), Client: c, Header: c.Header(), ServiceName: s.serviceName(r, c.ServiceID), Purpose: string(p)}
	page.CanEdit = v.User.Role != access.DPO
	page.Sections = recordSummary(c, page.ServiceName, page.CanEdit)
	if r.URL.Query().Get("saved") == "1" {
		page.Message = "Saved."
	}
	return s.render(w, http.StatusOK, "client_view", page)
}

// editForm opens the record for one edit form.
func (s *Server) editForm(r *http.Request, v *viewer, part string) (recordForm, casework.Client, error) {
	p, ok := purpose(v, r)
	if !ok || v.User.Role == access.DPO {
		return recordForm{}, casework.Client{}, casework.ErrForbidden
	}
	c, err := s.app.Casework.Client(r.Context(), v.User.Actor(), r.PathValue("id"), p)
	if err != nil {
		return recordForm{}, c, err
	}
	h := c.Header()
	f := recordForm{basePage: s.base(v), ID: c.ID, Version: c.Version, Part: part, Title: editTitles[part], Header: &h, NameWithheld: c.NameWithheld}
	return f, c, s.loadLists(r, &f)
}

func (s *Server) editClientForm(w http.ResponseWriter, r *http.Request, v *viewer) error {
	return s.editPart(w, r, v, "personal")
}

func (s *Server) updateClient(w http.ResponseWriter, r *http.Request, v *viewer) error {
	return s.savePart(w, r, v, "personal")
}

// editPart shows the edit form of one part of the record.
func (s *Server) editPart(w http.ResponseWriter, r *http.Request, v *viewer, part string) error {
	parts, ok := editParts[part]
	if !ok {
		return casework.ErrNotFound
	}
	f, c, err := s.editForm(r, v, part)
	if err != nil {
		return err
	}
	if c.NameWithheld && part == "support-network" {
		return casework.ErrForbidden
	}
	f.fillNames(c)
	f.fillParts(c, parts)
	f.build(parts)
	return s.render(w, http.StatusOK, "client_edit", f)
}

// savePart saves one edit form. On an edit conflict the form comes back
// with what the other person saved above it and what this person typed
// still in it, ready to save over the new version: nothing is lost.
func (s *Server) savePart(w http.ResponseWriter, r *http.Request, v *viewer, part string) error {
	parts, ok := editParts[part]
	if !ok {
		return casework.ErrNotFound
	}
	f, c, err := s.editForm(r, v, part)
	if err != nil {
		return err
	}
	version, _ := strconv.ParseInt(r.PostFormValue("version"), 10, 64)
	f.Version = version
	f.readParts(r, parts)
	actor := v.User.Actor()
	if part == "personal" && !c.NameWithheld {
		in := f.readNames(r)
		in.RecordParts = f.in
		err = s.app.Casework.UpdateClient(r.Context(), actor, c.ID, version, in)
	} else {
		err = s.app.Casework.UpdateRecord(r.Context(), actor, c.ID, version, f.in)
	}
	var ve *casework.ValidationError
	switch {
	case errors.As(err, &ve):
		f.setErrors(ve)
		f.build(parts)
		return s.render(w, http.StatusBadRequest, "client_edit", f)
	case errors.Is(err, casework.ErrConflict):
		p, _ := purpose(v, r)
		current, cerr := s.app.Casework.Client(r.Context(), actor, c.ID, p)
		if cerr != nil {
			return cerr
		}
		f.Version = current.Version
		f.Conflict = conflictSummary(current, parts)
		first := "version"
		f.build(parts)
		if len(f.Sections) > 0 && len(f.Sections[0].Items) > 0 {
			first = f.Sections[0].Items[0].ID
		}
		if part == "personal" && !c.NameWithheld {
			first = "given-name"
		}
		f.Errors = []errorItem{{first, "Someone else changed this record while you were editing it. Check their changes, then save again"}}
		return s.render(w, http.StatusConflict, "client_edit", f)
	case err != nil:
		return err
	}
	http.Redirect(w, r, "/clients/"+c.ID+"?saved=1", http.StatusSeeOther)
	return nil
}
