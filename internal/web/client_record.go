package web

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/caseward/caseward/internal/casework"
	"github.com/caseward/caseward/internal/web/ui"
)

// The client record's forms are built here as data (sections of items),
// and drawn by the generic "rec-section" and "rec-item" templates, so the
// id, name, value and error of every input come from one place.

// formOption is one radio, checkbox or select option.
type formOption struct {
	ID, Value, Label, Hint string
	Checked                bool
}

// formItem is one input, or a group of them (a phone number, a person).
type formItem struct {
	Kind    string   // text, textarea, radios, checkboxes, checkbox, select, group
	Field   ui.Field // for Kind text
	ID      string
	Name    string
	Label   string // label, or legend for radios, checkboxes and groups
	Hint    string
	Error   string
	Value   string
	Rows    int
	Inline  bool
	Options []formOption
	Items   []formItem // a group's inputs
}

// DescribedBy is the item's aria-describedby: its hint and error.
func (i formItem) DescribedBy() string {
	var ids []string
	if i.Hint != "" {
		ids = append(ids, i.ID+"-hint")
	}
	if i.Error != "" {
		ids = append(ids, i.ID+"-error")
	}
	return strings.Join(ids, " ")
}

// formSection is one part of a form, under its own heading.
type formSection struct {
	ID, Heading, Hint string
	Items             []formItem
}

func (f *recordForm) text(key, label, value string, opts ...string) formItem {
	fd, err := input(fid(key), key, label, value, f.Err[key], opts...)
	if err != nil {
		panic(err) // options are written in this file
	}
	return formItem{Kind: "text", Field: fd, ID: fd.ID}
}

func (f *recordForm) item(kind, key, label, hint, value string) formItem {
	return formItem{Kind: kind, ID: fid(key), Name: key, Label: label, Hint: hint, Error: f.Err[key], Value: value}
}

func (f *recordForm) textarea(key, label, hint, value string) formItem {
	it := f.item("textarea", key, label, hint, value)
	it.Rows = 3
	return it
}

func (f *recordForm) checkbox(key, label, hint string, checked bool) formItem {
	it := f.item("checkbox", key, label, hint, "yes")
	it.Options = []formOption{{ID: it.ID, Value: "yes", Label: label, Hint: hint, Checked: checked}}
	return it
}

// choice makes radios or a select of opts; the first option's id is the
// item's, so the error summary's link lands on it.
func (f *recordForm) choice(kind, key, label, hint, value string, opts []casework.Option) formItem {
	it := f.item(kind, key, label, hint, value)
	for i, o := range opts {
		id := it.ID
		if i > 0 {
			id = it.ID + "-" + fid(o.Value)
			if o.Value == "" {
				id = it.ID + "-none"
			}
		}
		it.Options = append(it.Options, formOption{ID: id, Value: o.Value, Label: o.Label, Checked: o.Value == value})
	}
	return it
}

var permissionOptions = []casework.Option{{Value: "yes", Label: "Yes"}, {Value: "no", Label: "No"}, {Value: "", Label: "Not asked"}}

func (f *recordForm) permission(key, legend string, p casework.Permission) formItem {
	it := f.choice("radios", key, legend, "", string(p), permissionOptions)
	it.Inline = true
	return it
}

// listOptions offers a list's current items, and a retired one only when
// the record already holds it.
func (f *recordForm) listOptions(list casework.ListName, held ...string) []casework.Option {
	var out []casework.Option
	for _, it := range f.lists[list] {
		if !it.Retired || slices.Contains(held, it.ID) {
			out = append(out, casework.Option{Value: it.ID, Label: it.Label})
		}
	}
	return out
}

// build makes the form's sections for parts, from what In holds.
func (f *recordForm) build(parts []string) {
	f.Sections = nil
	for _, p := range parts {
		switch p {
		case casework.PartDetails:
			f.Sections = append(f.Sections, f.detailsSection())
		case casework.PartSafeContact:
			f.Sections = append(f.Sections, f.safeContactSection())
		case casework.PartContact:
			f.Sections = append(f.Sections, f.contactSection())
		case casework.PartGP:
			f.Sections = append(f.Sections, f.gpSection())
		case casework.PartNetwork:
			f.Sections = append(f.Sections, f.networkSection())
		case casework.PartMonitoring:
			f.Sections = append(f.Sections, f.monitoringSection())
		case casework.PartFlags:
			f.Sections = append(f.Sections, f.flagsSection())
		}
	}
}

func (f *recordForm) detailsSection() formSection {
	d := casework.Details{}
	if f.in.Details != nil {
		d = *f.in.Details
	}
	how := f.choice("select", "details.how_heard", "How did they hear of us?", "", d.HowHeard,
		append([]casework.Option{{Value: "", Label: "Choose"}}, f.listOptions(casework.HowHeardList, d.HowHeard)...))
	return formSection{ID: "details", Heading: "About them", Items: []formItem{
		f.text("details.pronouns", "Pronouns (optional)", d.Pronouns, "hint=For example, she/her, he/him, they/them", "width=govuk-input--width-10"),
		f.text("details.first_language", "First language (optional)", d.FirstLanguage, "width=govuk-input--width-20"),
		f.checkbox("details.interpreter_needed", "They need an interpreter", "", d.InterpreterNeeded),
		how,
		f.text("details.how_heard_detail", "Anything more about how they heard of us (optional)", d.HowHeardDetail),
	}}
}

func (f *recordForm) safeContactSection() formSection {
	s := casework.SafeContact{}
	if f.in.SafeContact != nil {
		s = *f.in.SafeContact
	}
	return formSection{ID: "safe-contact", Heading: "Safe contact",
		Hint: "Ask before anyone phones or writes. What they say is shown at the top of every page of their record.",
		Items: []formItem{
			f.permission("safe_contact.phone", "May we phone them?", s.Phone),
			f.permission("safe_contact.text", "May we send them text messages?", s.Text),
			f.permission("safe_contact.email", "May we e-mail them?", s.Email),
			f.permission("safe_contact.letter", "May we write to them?", s.Letter),
			f.permission("safe_contact.at_home", "May we contact them at home?", s.AtHome),
			f.permission("safe_contact.at_work", "May we contact them at work?", s.AtWork),
			f.textarea("safe_contact.safe_times", "When is it safe to contact them? (optional)", "For example, weekdays between 10am and noon", s.SafeTimes),
			f.text("safe_contact.code_word", "Code word (optional)", s.CodeWord, "hint=Ask for it before discussing anything on the phone", "width=govuk-input--width-20"),
			f.checkbox("safe_contact.never_name_organisation", "Never name the organisation when you call", "", s.NeverNameOrganisation),
			f.checkbox("safe_contact.plain_envelope", "Send letters in a plain envelope", "No sender’s name or logo on the envelope", s.PlainEnvelope),
			f.textarea("safe_contact.notes", "Other instructions (optional)", "", s.Notes),
		}}
}

func (f *recordForm) contactSection() formSection {
	c := casework.Contact{}
	if f.in.Contact != nil {
		c = *f.in.Contact
	}
	phones := append([]casework.Phone(nil), c.Phones...)
	for len(phones) < 2 || phones[len(phones)-1] != (casework.Phone{}) && len(phones) < casework.MaxPhones {
		phones = append(phones, casework.Phone{})
	}
	sec := formSection{ID: "contact", Heading: "Contact details", Hint: "Read the safe contact answers before using any of these.", Items: []formItem{
		f.text("contact.address_line_1", "Address line 1 (optional)", c.AddressLine1),
		f.text("contact.address_line_2", "Address line 2 (optional)", c.AddressLine2),
		f.text("contact.town", "Town or city (optional)", c.Town, "width=govuk-!-width-two-thirds"),
		f.text("contact.postcode", "Postcode (optional)", c.Postcode, "width=govuk-input--width-10"),
	}}
	labels := []casework.Option{{Value: "", Label: "Choose"}}
	for _, l := range casework.PhoneLabels {
		labels = append(labels, casework.Option{Value: l, Label: l})
	}
	for i, ph := range phones {
		k := fmt.Sprintf("contact.phones[%d]", i)
		label := f.choice("select", k+".label", "Which phone", "", ph.Label, labels)
		if ph.Label != "" && !slices.Contains(casework.PhoneLabels, ph.Label) {
			label.Options = append(label.Options, formOption{ID: label.ID + "-own", Value: ph.Label, Label: ph.Label, Checked: true})
		}
		sec.Items = append(sec.Items, formItem{Kind: "group", ID: fid(k), Label: fmt.Sprintf("Phone %d (optional)", i+1), Items: []formItem{
			label,
			f.text(k+".number", "Number", ph.Number, "type=tel", "width=govuk-input--width-20"),
		}})
	}
	sec.Items = append(sec.Items, f.text("contact.email", "Email address (optional)", c.Email, "type=email"))
	return sec
}

func (f *recordForm) gpSection() formSection {
	g := casework.GP{}
	if f.in.GP != nil {
		g = *f.in.GP
	}
	return formSection{ID: "gp", Heading: "GP", Items: []formItem{
		f.text("gp.name", "GP’s name (optional)", g.Name),
		f.text("gp.surgery", "Surgery (optional)", g.Surgery),
	}}
}

func (f *recordForm) networkSection() formSection {
	var people []casework.SupportPerson
	if f.in.SupportNetwork != nil {
		people = append(people, *f.in.SupportNetwork...)
	}
	if len(people) == 0 || people[len(people)-1] != (casework.SupportPerson{}) && len(people) < casework.MaxSupportPeople {
		people = append(people, casework.SupportPerson{})
	}
	sec := formSection{ID: "support-network", Heading: "Emergency contact and support network",
		Hint: "People we may contact for them, and what each may be told. Leave a row empty to remove it."}
	for i, p := range people {
		k := fmt.Sprintf("support_network[%d]", i)
		sec.Items = append(sec.Items, formItem{Kind: "group", ID: fid(k), Label: fmt.Sprintf("Person %d", i+1), Items: []formItem{
			f.text(k+".name", "Name", p.Name),
			f.text(k+".relationship", "Relationship to them", p.Relationship, "hint=For example, sister, friend, support worker", "width=govuk-input--width-20"),
			f.text(k+".phone", "Phone number", p.Phone, "type=tel", "width=govuk-input--width-20"),
			f.textarea(k+".may_be_told", "What they may be told", "If nothing, say so", p.MayBeTold),
		}})
	}
	return sec
}

func (f *recordForm) monitoringSection() formSection {
	m := casework.Monitoring{}
	if f.in.Monitoring != nil {
		m = *f.in.Monitoring
	}
	sec := formSection{ID: "monitoring", Heading: "Equality monitoring (optional)",
		Hint: "Every question is optional, and they may prefer not to say. The answers are used only in anonymous statistics."}
	for i, a := range m.Answers() {
		q := casework.MonitoringQuestions[i]
		k := "monitoring." + q.Key
		opts := append([]casework.Option{{Value: "", Label: "Not asked"}}, q.Options...)
		sec.Items = append(sec.Items, formItem{Kind: "group", ID: fid(k), Label: q.Label, Items: []formItem{
			f.choice("select", k+".answer", "Answer", "", a.Answer, opts),
			f.text(k+".detail", "In their own words (optional)", a.Detail),
		}})
	}
	return sec
}

func (f *recordForm) flagsSection() formSection {
	fl := casework.Flags{}
	if f.in.Flags != nil {
		fl = *f.in.Flags
	}
	risk := f.choice("radios", "flags.risk", "Risk level", "From the latest risk assessment", fl.Risk,
		append([]casework.Option{{Value: "", Label: "Not assessed"}}, casework.RiskLevels...))
	kinds := f.item("checkboxes", "flags.kinds", "Flags", "Shown on every page of the record and before any contact", "")
	for i, o := range f.listOptions(casework.FlagList, fl.Kinds...) {
		id := kinds.ID
		if i > 0 {
			id = kinds.ID + "-" + o.Value
		}
		kinds.Options = append(kinds.Options, formOption{ID: id, Value: o.Value, Label: o.Label, Checked: slices.Contains(fl.Kinds, o.Value)})
	}
	items := []formItem{risk, kinds}
	if !f.NameWithheld || !fl.HideName {
		items = append(items, f.checkbox("flags.hide_name", "Hide their name",
			"Lists and search results show only initials and the case number, except to the workers linked to them and their service’s managers", fl.HideName))
	} else {
		// Whoever may not see the name may not reveal it: keep the setting.
		items = append(items, formItem{Kind: "hidden", Name: "flags.hide_name", Value: "yes"})
	}
	return formSection{ID: "flags", Heading: "Flags", Items: items}
}

// summaryRow is one row of a summary list.
type summaryRow struct {
	Key   string
	Field string // data-field, for tests and styling
	Lines []string
}

// summarySection is one part of the record, shown as a summary list.
type summarySection struct {
	ID, Title string
	EditPath  string // "" when the viewer may not change it
	Rows      []summaryRow
	Empty     string // shown when there are no rows
}

func row(key, field string, lines ...string) summaryRow {
	var out []string
	for _, l := range lines {
		for _, s := range strings.Split(l, "\n") {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
	}
	if len(out) == 0 {
		out = []string{"Not recorded"}
	}
	return summaryRow{Key: key, Field: field, Lines: out}
}

func yesNo(b bool) string {
	if b {
		return "Yes"
	}
	return "No"
}

func permissionWords(p casework.Permission) string {
	switch p {
	case casework.Yes:
		return "Yes"
	case casework.No:
		return "No"
	}
	return "Not asked yet"
}

// partSummary shows one part of a client's record.
func partSummary(c casework.Client, part, serviceName string) summarySection {
	switch part {
	case casework.PartSafeContact:
		s := c.SafeContact
		sec := summarySection{ID: "safe-contact", Title: "Safe contact"}
		if !s.Recorded() {
			sec.Empty = "Not asked yet. Ask how we may contact them safely before anyone phones or writes."
			return sec
		}
		sec.Rows = []summaryRow{
			row("May we phone?", "safe_contact.phone", permissionWords(s.Phone)),
			row("May we text?", "safe_contact.text", permissionWords(s.Text)),
			row("May we e-mail?", "safe_contact.email", permissionWords(s.Email)),
			row("May we write?", "safe_contact.letter", permissionWords(s.Letter)),
			row("At home?", "safe_contact.at_home", permissionWords(s.AtHome)),
			row("At work?", "safe_contact.at_work", permissionWords(s.AtWork)),
			row("Safe times", "safe_contact.safe_times", s.SafeTimes),
			row("Code word", "safe_contact.code_word", s.CodeWord),
			row("Never name the organisation", "safe_contact.never_name_organisation", yesNo(s.NeverNameOrganisation)),
			row("Plain envelope", "safe_contact.plain_envelope", yesNo(s.PlainEnvelope)),
			row("Other instructions", "safe_contact.notes", s.Notes),
		}
		return sec
	case casework.PartFlags:
		risk := "Not assessed"
		for _, o := range casework.RiskLevels {
			if o.Value == c.Flags.Risk {
				risk = o.Label
			}
		}
		flags := "None"
		if len(c.FlagLabels) > 0 {
			flags = strings.Join(c.FlagLabels, "\n")
		}
		return summarySection{ID: "flags", Title: "Flags", Rows: []summaryRow{
			row("Risk level", "flags.risk", risk),
			row("Flags", "flags.kinds", flags),
			row("Name hidden in lists", "flags.hide_name", yesNo(c.Flags.HideName)),
		}}
	case casework.PartNames:
		if c.NameWithheld {
			return summarySection{ID: "names", Title: "Name", Rows: []summaryRow{
				row("Name", "name", "Hidden: only the workers linked to them and their service’s managers see it"),
			}}
		}
		dob := ""
		if !c.DateOfBirth.IsZero() {
			dob = c.DateOfBirth.Format("2 January 2006")
		}
		return summarySection{ID: "names", Title: "Name", Rows: []summaryRow{
			row("Given name", "given_name", c.GivenName),
			row("Family name", "family_name", c.FamilyName),
			row("Preferred name", "preferred_name", c.PreferredName),
			row("Previous names", "previous_names", strings.Join(c.PreviousNames, "\n")),
			row("Date of birth", "date_of_birth", dob),
		}}
	case casework.PartDetails:
		d := c.Details
		interp := "No"
		if d.InterpreterNeeded {
			interp = "Yes"
		}
		rows := []summaryRow{
			row("Pronouns", "details.pronouns", d.Pronouns),
			row("First language", "details.first_language", d.FirstLanguage),
			row("Interpreter needed", "details.interpreter_needed", interp),
			row("How they heard of us", "details.how_heard", c.HowHeardLabel, d.HowHeardDetail),
		}
		if serviceName != "" {
			rows = append(rows, row("Service", "service", serviceName))
		}
		return summarySection{ID: "details", Title: "About them", Rows: rows}
	case casework.PartContact:
		ct := c.Contact
		var phones []string
		for _, p := range ct.Phones {
			if p.Label != "" {
				phones = append(phones, p.Label+": "+p.Number)
			} else {
				phones = append(phones, p.Number)
			}
		}
		return summarySection{ID: "contact", Title: "Contact details", Rows: []summaryRow{
			row("Address", "contact.address", ct.AddressLine1, ct.AddressLine2, ct.Town, ct.Postcode),
			row("Phone", "contact.phones", strings.Join(phones, "\n")),
			row("Email", "contact.email", ct.Email),
		}}
	case casework.PartGP:
		return summarySection{ID: "gp", Title: "GP", Rows: []summaryRow{
			row("GP", "gp.name", c.GP.Name),
			row("Surgery", "gp.surgery", c.GP.Surgery),
		}}
	case casework.PartNetwork:
		sec := summarySection{ID: "support-network", Title: "Emergency contact and support network"}
		if c.NameWithheld {
			sec.Empty = "Hidden with their name: only the workers linked to them and their service’s managers see it."
			return sec
		}
		if len(c.Network) == 0 {
			sec.Empty = "Nobody recorded."
		}
		for i, p := range c.Network {
			who := p.Name
			if p.Relationship != "" {
				who += " (" + p.Relationship + ")"
			}
			told := "May be told: " + p.MayBeTold
			if p.MayBeTold == "" {
				told = "May be told: not recorded"
			}
			sec.Rows = append(sec.Rows, row(who, fmt.Sprintf("support_network[%d]", i), p.Phone, told))
		}
		return sec
	case casework.PartMonitoring:
		sec := summarySection{ID: "monitoring", Title: "Equality monitoring"}
		m := c.Monitoring
		for i, a := range m.Answers() {
			q := casework.MonitoringQuestions[i]
			ans := q.OptionLabel(a.Answer)
			if ans == "" {
				ans = "Not asked"
			}
			sec.Rows = append(sec.Rows, row(q.Label, "monitoring."+q.Key, ans, a.Detail))
		}
		return sec
	}
	return summarySection{}
}

// recordOrder is the order of the record page: how to contact them
// safely and their flags come first, before any contact details (P29).
var recordOrder = []struct{ part, edit string }{
	{casework.PartSafeContact, "contact"},
	{casework.PartFlags, "flags"},
	{casework.PartNames, "personal"},
	{casework.PartDetails, "personal"},
	{casework.PartContact, "contact"},
	{casework.PartGP, "gp"},
	{casework.PartNetwork, "support-network"},
	{casework.PartMonitoring, "monitoring"},
}

// recordSummary is the whole record, part by part, for the record page.
func recordSummary(c casework.Client, serviceName string, canEdit bool) []summarySection {
	var out []summarySection
	for _, p := range recordOrder {
		sec := partSummary(c, p.part, serviceName)
		if canEdit && !(c.NameWithheld && p.part == casework.PartNetwork) {
			sec.EditPath = "/clients/" + c.ID + "/edit"
			if p.edit != "personal" {
				sec.EditPath += "/" + p.edit
			}
		}
		out = append(out, sec)
	}
	return out
}

// conflictSummary shows the parts of a form as someone else saved them.
func conflictSummary(c casework.Client, parts []string) []summarySection {
	var out []summarySection
	for _, p := range parts {
		out = append(out, partSummary(c, p, ""))
	}
	return out
}

func (s *Server) editRecordPart(w http.ResponseWriter, r *http.Request, v *viewer) error {
	return s.editPart(w, r, v, r.PathValue("part"))
}

func (s *Server) saveRecordPart(w http.ResponseWriter, r *http.Request, v *viewer) error {
	return s.savePart(w, r, v, r.PathValue("part"))
}

// listsPage is the page where managers and system administrators keep the
// organisation's lists.
type listsPage struct {
	basePage
	Lists []listView
}

type listView struct {
	Name     casework.ListName
	Title    string
	Items    []casework.ListItem
	AddValue string
	AddError string
	// ItemError and ItemValue hold a refused rename, by item id.
	ItemError map[string]string
	ItemValue map[string]string
}

func (s *Server) listsPage(r *http.Request, v *viewer) (listsPage, error) {
	if !casework.MayEditLists(v.User.Actor()) {
		return listsPage{}, casework.ErrForbidden
	}
	p := listsPage{basePage: s.base(v)}
	for _, l := range casework.ListNames {
		items, err := s.app.Casework.List(r.Context(), l)
		if err != nil {
			return p, err
		}
		p.Lists = append(p.Lists, listView{Name: l, Title: l.Title(), Items: items, ItemError: map[string]string{}, ItemValue: map[string]string{}})
	}
	return p, nil
}

func (s *Server) settingsLists(w http.ResponseWriter, r *http.Request, v *viewer) error {
	p, err := s.listsPage(r, v)
	if err != nil {
		return err
	}
	if r.URL.Query().Get("saved") == "1" {
		p.Message = "Saved."
	}
	return s.render(w, http.StatusOK, "settings_lists", p)
}

func (s *Server) addListItem(w http.ResponseWriter, r *http.Request, v *viewer) error {
	list := casework.ListName(r.PathValue("list"))
	label := r.PostFormValue("label")
	_, err := s.app.Casework.AddListItem(r.Context(), v.User.Actor(), list, label)
	var ve *casework.ValidationError
	if errors.As(err, &ve) {
		p, perr := s.listsPage(r, v)
		if perr != nil {
			return perr
		}
		for i := range p.Lists {
			if p.Lists[i].Name == list {
				p.Lists[i].AddValue, p.Lists[i].AddError = label, ve.For("label")
				p.Errors = append(p.Errors, errorItem{"add-" + string(list), ve.For("label")})
			}
		}
		return s.render(w, http.StatusBadRequest, "settings_lists", p)
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/settings/lists?saved=1#list-"+string(list), http.StatusSeeOther)
	return nil
}

func (s *Server) changeListItem(w http.ResponseWriter, r *http.Request, v *viewer) error {
	id := r.PathValue("item")
	actor := v.User.Actor()
	ctx := r.Context()
	var err error
	label := r.PostFormValue("label")
	switch r.PostFormValue("action") {
	case "rename":
		err = s.app.Casework.RenameListItem(ctx, actor, id, label)
	case "retire":
		err = s.app.Casework.RetireListItem(ctx, actor, id, true)
	case "restore":
		err = s.app.Casework.RetireListItem(ctx, actor, id, false)
	case "up", "down":
		err = s.app.Casework.MoveListItem(ctx, actor, id, r.PostFormValue("action") == "up")
	default:
		return casework.ErrNotFound
	}
	var ve *casework.ValidationError
	if errors.As(err, &ve) {
		p, perr := s.listsPage(r, v)
		if perr != nil {
			return perr
		}
		for i := range p.Lists {
			for _, it := range p.Lists[i].Items {
				if it.ID == id {
					p.Lists[i].ItemError[id], p.Lists[i].ItemValue[id] = ve.For("label"), label
					p.Errors = append(p.Errors, errorItem{"label-" + id, ve.For("label")})
				}
			}
		}
		return s.render(w, http.StatusBadRequest, "settings_lists", p)
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/settings/lists?saved=1", http.StatusSeeOther)
	return nil
}
