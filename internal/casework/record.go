package casework

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// The client record is kept in parts. Each part is edited on its own form
// (or sent on its own to the API), sealed as one value, versioned on its
// own for edit conflicts, and kept in the record's history when it changes.
const (
	PartNames       = "names"        // given, family, preferred and previous names; date of birth
	PartDetails     = "details"      // pronouns, first language, interpreter, how they heard of us
	PartContact     = "contact"      // address, phones, e-mail
	PartSafeContact = "safe_contact" // how we may contact them safely (P29)
	PartGP          = "gp"           // GP and surgery
	PartNetwork     = "network"      // emergency contact and support network (P12)
	PartMonitoring  = "monitoring"   // equality monitoring (P54)
	PartFlags       = "flags"        // risk, the organisation's flags, hide name
)

// Parts lists the parts of a client's record, in the order the record shows them.
var Parts = []string{PartNames, PartDetails, PartSafeContact, PartContact, PartGP, PartNetwork, PartMonitoring, PartFlags}

// blobParts are the parts stored whole in a column of their own name.
var blobParts = []string{PartDetails, PartContact, PartSafeContact, PartGP, PartNetwork, PartMonitoring, PartFlags}

// Details are the parts of a client's personal details other than names.
type Details struct {
	Pronouns          string `json:"pronouns"`
	FirstLanguage     string `json:"first_language"`
	InterpreterNeeded bool   `json:"interpreter_needed"`
	// HowHeard is the id of an item of the organisation's how-heard list
	// (P52); the API also accepts the item's label.
	HowHeard       string `json:"how_heard"`
	HowHeardDetail string `json:"how_heard_detail"` // in the client's words
}

// Contact is where and how to reach a client. Read the SafeContact part
// before using any of it.
type Contact struct {
	AddressLine1 string  `json:"address_line_1"`
	AddressLine2 string  `json:"address_line_2"`
	Town         string  `json:"town"`
	Postcode     string  `json:"postcode"`
	Phones       []Phone `json:"phones"`
	Email        string  `json:"email"`
}

// Phone is one of a client's phone numbers, with a label such as "Mobile".
type Phone struct {
	Label  string `json:"label"`
	Number string `json:"number"`
}

// PhoneLabels are the labels forms offer for a phone number.
var PhoneLabels = []string{"Mobile", "Home", "Work", "Other"}

// Permission is a client's answer to "may we …?".
type Permission string

// A client's answers. NotAsked is the zero value: the question is still to
// be asked, and nobody may assume yes.
const (
	NotAsked Permission = ""
	Yes      Permission = "yes"
	No       Permission = "no"
)

func (p Permission) valid() bool { return p == NotAsked || p == Yes || p == No }

// SafeContact records how a client may be contacted without putting them
// at risk (P29). It is shown before anyone phones or writes.
type SafeContact struct {
	Phone  Permission `json:"phone"`
	Text   Permission `json:"text"`
	Email  Permission `json:"email"`
	Letter Permission `json:"letter"`
	AtHome Permission `json:"at_home"` // may we contact them at home
	AtWork Permission `json:"at_work"` // may we contact them at work
	// SafeTimes says when contact is safe, in the client's words.
	SafeTimes string `json:"safe_times"`
	// CodeWord is asked for before anything is discussed on the phone.
	CodeWord string `json:"code_word"`
	// NeverNameOrganisation: whoever calls never says where they are from.
	NeverNameOrganisation bool `json:"never_name_organisation"`
	// PlainEnvelope: letters go in a plain envelope, with no sender's name.
	PlainEnvelope bool   `json:"plain_envelope"`
	Notes         string `json:"notes"`
}

// Recorded reports whether the client has been asked anything yet.
func (s SafeContact) Recorded() bool {
	return s != SafeContact{}
}

// Lines returns what must be read before contacting the client, shortest
// first, in words fit for the top of every page of the record. The code
// word itself is not among them: only that one must be asked for.
func (s SafeContact) Lines() []string {
	if !s.Recorded() {
		return []string{"Not yet asked how we may contact them safely: ask before anyone phones or writes"}
	}
	var lines, unasked []string
	for _, c := range []struct {
		p          Permission
		yes, no, q string
	}{
		{s.Phone, "May phone", "Do not phone", "phone"},
		{s.Text, "May text", "Do not text", "text"},
		{s.Email, "May e-mail", "Do not e-mail", "e-mail"},
		{s.Letter, "May write", "Do not write", "letters"},
		{s.AtHome, "May contact at home", "Not at home", "at home"},
		{s.AtWork, "May contact at work", "Not at work", "at work"},
	} {
		switch c.p {
		case Yes:
			lines = append(lines, c.yes)
		case No:
			lines = append(lines, c.no)
		default:
			unasked = append(unasked, c.q)
		}
	}
	if len(unasked) > 0 {
		lines = append(lines, "Not asked yet: "+strings.Join(unasked, ", "))
	}
	if s.SafeTimes != "" {
		lines = append(lines, "Safe times: "+s.SafeTimes)
	}
	if s.CodeWord != "" {
		lines = append(lines, "Ask for the code word first")
	}
	if s.NeverNameOrganisation {
		lines = append(lines, "Never name the organisation when you call")
	}
	if s.PlainEnvelope {
		lines = append(lines, "Letters in a plain envelope")
	}
	return lines
}

// GP is the client's family doctor and their practice.
type GP struct {
	Name    string `json:"name"`
	Surgery string `json:"surgery"`
}

// SupportPerson is someone to contact for the client (P12): an emergency
// contact, a family member, a friend. MayBeTold says what the client
// allows us to tell them.
type SupportPerson struct {
	Name         string `json:"name"`
	Relationship string `json:"relationship"`
	Phone        string `json:"phone"`
	MayBeTold    string `json:"may_be_told"`
}

// MaxSupportPeople and MaxPhones bound the lists of a record.
const (
	MaxSupportPeople = 20
	MaxPhones        = 10
)

// PreferNotToSay is an answer every monitoring question accepts (P54).
const PreferNotToSay = "prefer-not-to-say"

// MonitoringAnswer is the answer to one equality monitoring question:
// Answer is one of the question's options ("" while not asked), Detail the
// client's own words, if they want to add any.
type MonitoringAnswer struct {
	Answer string `json:"answer"`
	Detail string `json:"detail"`
}

// Monitoring is equality monitoring (P54). Every question is optional and
// offers "prefer not to say"; the answers are used only anonymously.
type Monitoring struct {
	Ethnicity         MonitoringAnswer `json:"ethnicity"`
	Religion          MonitoringAnswer `json:"religion"`
	SexualOrientation MonitoringAnswer `json:"sexual_orientation"`
	GenderIdentity    MonitoringAnswer `json:"gender_identity"`
	Disability        MonitoringAnswer `json:"disability"`
}

// Option is one choice of a question.
type Option struct {
	Value, Label string
}

// MonitoringQuestion is one equality monitoring question and its options.
type MonitoringQuestion struct {
	Key, Label string
	Options    []Option
}

// MonitoringQuestions are the questions of Monitoring, in the order forms
// ask them; the categories follow the 2021 census for England and Wales.
var MonitoringQuestions = []MonitoringQuestion{
	{"ethnicity", "Ethnic group", []Option{
		{"asian", "Asian or Asian British"},
		{"black", "Black, Black British, Caribbean or African"},
		{"mixed", "Mixed or multiple ethnic groups"},
		{"white", "White"},
		{"other", "Another ethnic group"},
		{PreferNotToSay, "Prefer not to say"},
	}},
	{"religion", "Religion or belief", []Option{
		{"none", "No religion"},
		{"buddhist", "Buddhist"},
		{"christian", "Christian"},
		{"hindu", "Hindu"},
		{"jewish", "Jewish"},
		{"muslim", "Muslim"},
		{"sikh", "Sikh"},
		{"other", "Another religion or belief"},
		{PreferNotToSay, "Prefer not to say"},
	}},
	{"sexual_orientation", "Sexual orientation", []Option{
		{"straight", "Straight or heterosexual"},
		{"gay-lesbian", "Gay or lesbian"},
		{"bisexual", "Bisexual"},
		{"other", "Another sexual orientation"},
		{PreferNotToSay, "Prefer not to say"},
	}},
	{"gender_identity", "Gender identity", []Option{
		{"woman", "Woman"},
		{"man", "Man"},
		{"non-binary", "Non-binary"},
		{"other", "In another way"},
		{PreferNotToSay, "Prefer not to say"},
	}},
	{"disability", "Disability or long-term health condition", []Option{
		{"yes", "Yes"},
		{"no", "No"},
		{PreferNotToSay, "Prefer not to say"},
	}},
}

// Answers returns the answers in the order of MonitoringQuestions.
func (m *Monitoring) Answers() []*MonitoringAnswer {
	return []*MonitoringAnswer{&m.Ethnicity, &m.Religion, &m.SexualOrientation, &m.GenderIdentity, &m.Disability}
}

// OptionLabel returns the label of the question's option value, or "".
func (q MonitoringQuestion) OptionLabel(value string) string {
	for _, o := range q.Options {
		if o.Value == value {
			return o.Label
		}
	}
	return ""
}

// Risk levels, as a risk assessment checklist (DASH) grades them.
const (
	RiskStandard = "standard"
	RiskMedium   = "medium"
	RiskHigh     = "high"
)

// RiskLevels are the risk levels a record may carry, lowest first; the
// empty level means not assessed.
var RiskLevels = []Option{{RiskStandard, "Standard"}, {RiskMedium, "Medium"}, {RiskHigh, "High"}}

// Flags are warnings shown on every page of the record and before any
// contact.
type Flags struct {
	Risk string `json:"risk"` // one of RiskLevels, or "" (not assessed)
	// Kinds are ids of items of the organisation's flag list; the API also
	// accepts their labels.
	Kinds []string `json:"kinds"`
	// HideName: lists and search results show initials and the case
	// number only, except to the assigned team.
	HideName bool `json:"hide_name"`
}

// RecordParts are the parts of a record other than names, as typed into a
// form or sent to the API. A nil part is left as it is.
type RecordParts struct {
	Details        *Details         `json:"details,omitempty"`
	Contact        *Contact         `json:"contact,omitempty"`
	SafeContact    *SafeContact     `json:"safe_contact,omitempty"`
	GP             *GP              `json:"gp,omitempty"`
	SupportNetwork *[]SupportPerson `json:"support_network,omitempty"`
	Monitoring     *Monitoring      `json:"monitoring,omitempty"`
	Flags          *Flags           `json:"flags,omitempty"`
}

// otherNames is the rest of the names part, sealed in other_names (with given_name,
// family_name and date_of_birth in their own columns) and in the history.
type otherNames struct {
	Preferred string   `json:"preferred,omitempty"`
	Previous  []string `json:"previous,omitempty"`
}

// historyNames is the names part as the history keeps it.
type historyNames struct {
	GivenName     string   `json:"given_name"`
	FamilyName    string   `json:"family_name"`
	DateOfBirth   string   `json:"date_of_birth"`
	PreferredName string   `json:"preferred_name,omitempty"`
	PreviousNames []string `json:"previous_names,omitempty"`
}

// validParts is RecordParts checked and normalised, keyed by part.
type validParts map[string]any

// validate checks every part given, resolving list items given by label
// to their ids. lists holds the organisation's lists.
func (p RecordParts) validate(v *ValidationError, lists orgLists) validParts {
	out := validParts{}
	if d := p.Details; d != nil {
		c := Details{
			Pronouns:          cleanText(v, "details.pronouns", "pronouns", d.Pronouns, 50, false),
			FirstLanguage:     cleanText(v, "details.first_language", "first language", d.FirstLanguage, 100, false),
			InterpreterNeeded: d.InterpreterNeeded,
			HowHeardDetail:    cleanText(v, "details.how_heard_detail", "how they heard of us", d.HowHeardDetail, MaxTextLength, false),
		}
		if h := strings.TrimSpace(d.HowHeard); h != "" {
			if it, ok := lists.find(HowHeardList, h); ok {
				c.HowHeard = it.ID
			} else {
				v.add("details.how_heard", "Choose how they heard of us from the list")
			}
		}
		if c.InterpreterNeeded && c.FirstLanguage == "" && v.For("details.first_language") == "" {
			v.add("details.first_language", "Enter the language the interpreter is needed for")
		}
		out[PartDetails] = c
	}
	if ct := p.Contact; ct != nil {
		c := Contact{
			AddressLine1: cleanText(v, "contact.address_line_1", "the first line of the address", ct.AddressLine1, MaxTextLength, false),
			AddressLine2: cleanText(v, "contact.address_line_2", "the second line of the address", ct.AddressLine2, MaxTextLength, false),
			Town:         cleanText(v, "contact.town", "town or city", ct.Town, 100, false),
			Postcode:     cleanPostcode(v, "contact.postcode", ct.Postcode),
			Email:        cleanEmail(v, "contact.email", ct.Email),
		}
		if len(ct.Phones) > MaxPhones {
			v.add("contact.phones", fmt.Sprintf("Record at most %d phone numbers", MaxPhones))
		}
		for i, ph := range ct.Phones {
			f := fmt.Sprintf("contact.phones[%d]", i)
			n := Phone{
				Label:  cleanText(v, f+".label", "the phone's label", ph.Label, 30, false),
				Number: cleanPhone(v, f+".number", "the phone number", ph.Number),
			}
			switch {
			case n.Number == "" && n.Label == "":
				continue // an empty row of the form
			case n.Number == "":
				v.add(f+".number", "Enter the phone number, or remove its label")
			}
			c.Phones = append(c.Phones, n)
		}
		out[PartContact] = c
	}
	if s := p.SafeContact; s != nil {
		c := *s
		for _, q := range []struct {
			field string
			p     Permission
		}{{"phone", c.Phone}, {"text", c.Text}, {"email", c.Email}, {"letter", c.Letter}, {"at_home", c.AtHome}, {"at_work", c.AtWork}} {
			if !q.p.valid() {
				v.add("safe_contact."+q.field, "Choose yes, no or not asked yet")
			}
		}
		c.SafeTimes = cleanText(v, "safe_contact.safe_times", "safe times", c.SafeTimes, 500, true)
		c.CodeWord = cleanText(v, "safe_contact.code_word", "the code word", c.CodeWord, 50, false)
		c.Notes = cleanText(v, "safe_contact.notes", "other instructions", c.Notes, MaxLongTextLength, true)
		out[PartSafeContact] = c
	}
	if g := p.GP; g != nil {
		out[PartGP] = GP{
			Name:    cleanText(v, "gp.name", "the GP’s name", g.Name, MaxTextLength, false),
			Surgery: cleanText(v, "gp.surgery", "the surgery", g.Surgery, MaxTextLength, false),
		}
	}
	if n := p.SupportNetwork; n != nil {
		if len(*n) > MaxSupportPeople {
			v.add("support_network", fmt.Sprintf("Record at most %d people", MaxSupportPeople))
		}
		people := []SupportPerson{}
		for i, sp := range *n {
			f := fmt.Sprintf("support_network[%d]", i)
			c := SupportPerson{
				Name:         cleanOptionalName(v, f+".name", "person’s name", sp.Name),
				Relationship: cleanText(v, f+".relationship", "the relationship", sp.Relationship, 100, false),
				Phone:        cleanPhone(v, f+".phone", "their phone number", sp.Phone),
				MayBeTold:    cleanText(v, f+".may_be_told", "what they may be told", sp.MayBeTold, MaxLongTextLength, true),
			}
			if c == (SupportPerson{}) {
				continue // an empty row of the form
			}
			if c.Name == "" && v.For(f+".name") == "" {
				v.add(f+".name", "Enter the person’s name")
			}
			people = append(people, c)
		}
		out[PartNetwork] = people
	}
	if m := p.Monitoring; m != nil {
		c := *m
		for i, a := range c.Answers() {
			q := MonitoringQuestions[i]
			a.Answer = strings.TrimSpace(a.Answer)
			if a.Answer != "" && q.OptionLabel(a.Answer) == "" {
				v.add("monitoring."+q.Key+".answer", "Choose one of the answers, or leave it")
			}
			a.Detail = cleanText(v, "monitoring."+q.Key+".detail", "the description", a.Detail, MaxTextLength, false)
			if a.Answer == PreferNotToSay {
				a.Detail = "" // they preferred not to say: keep nothing
			}
		}
		out[PartMonitoring] = c
	}
	if fl := p.Flags; fl != nil {
		c := Flags{Risk: strings.TrimSpace(fl.Risk), HideName: fl.HideName, Kinds: []string{}}
		if c.Risk != "" && optionLabel(RiskLevels, c.Risk) == "" {
			v.add("flags.risk", "Choose a risk level from the list")
		}
		for _, k := range fl.Kinds {
			it, ok := lists.find(FlagList, strings.TrimSpace(k))
			if !ok {
				v.add("flags.kinds", "Choose flags from the list")
				break
			}
			if !slices.Contains(c.Kinds, it.ID) {
				c.Kinds = append(c.Kinds, it.ID)
			}
		}
		out[PartFlags] = c
	}
	return out
}

func optionLabel(opts []Option, value string) string {
	for _, o := range opts {
		if o.Value == value {
			return o.Label
		}
	}
	return ""
}

// AgeBand returns the band a date of birth falls in on a day, for
// statistics: "0-17", "18-24", "25-34", "35-44", "45-54", "55-64",
// "65-74" or "75+"; "" for the zero date.
func AgeBand(dob, on time.Time) string {
	if dob.IsZero() {
		return ""
	}
	age := on.Year() - dob.Year()
	if on.Month() < dob.Month() || on.Month() == dob.Month() && on.Day() < dob.Day() {
		age--
	}
	switch {
	case age < 18:
		return "0-17"
	case age < 25:
		return "18-24"
	case age >= 75:
		return "75+"
	}
	lo := age / 10 * 10
	if age%10 < 5 {
		lo -= 5
	} else {
		lo += 5
	}
	return fmt.Sprintf("%d-%d", lo, lo+9)
}
