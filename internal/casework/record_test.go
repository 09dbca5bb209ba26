package casework_test

import (
	"bytes"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/caseward/caseward/internal/access"
	"github.com/caseward/caseward/internal/app/apptest"
	"github.com/caseward/caseward/internal/casework"
	"github.com/caseward/caseward/internal/store"
)

// fullRecord is a client with every field of the record filled, in values
// distinctive enough to search for at rest.
func fullRecord(serviceID string) casework.ClientInput {
	return casework.ClientInput{
		ServiceID:     serviceID,
		GivenName:     "Gulshan",
		FamilyName:    "Yusupova-Karimova",
		DateOfBirth:   "1986-04-23",
		PreferredName: "Gulya",
		PreviousNames: []string{"Gulshan Abdurakhmanova"},
		RecordParts: casework.RecordParts{
			Details: &casework.Details{
				Pronouns: "she/her", FirstLanguage: "Uzbek", InterpreterNeeded: true,
				HowHeard: "Friend or family", HowHeardDetail: "Her cousin Malika volunteers here",
			},
			Contact: &casework.Contact{
				AddressLine1: "Flat 7, Quillbrook House", AddressLine2: "Marigold Terrace",
				Town: "Wolverhampton", Postcode: "wv3 9pq",
				Phones: []casework.Phone{{Label: "Mobile", Number: "07700 913462"}, {Label: "Work", Number: "+44 1902 557 210"}},
				Email:  "gulshan.yk@example.net",
			},
			SafeContact: &casework.SafeContact{
				Phone: casework.Yes, Text: casework.No, Email: casework.Yes, Letter: casework.No,
				AtHome: casework.No, AtWork: casework.Yes,
				SafeTimes: "Weekdays between ten and noon", CodeWord: "Pomegranate",
				NeverNameOrganisation: true, PlainEnvelope: true, Notes: "Partner reads her texts",
			},
			GP: &casework.GP{Name: "Dr Oyelaran-Whitfield", Surgery: "Penncroft Medical Practice"},
			SupportNetwork: &[]casework.SupportPerson{
				{Name: "Malika Rustamova", Relationship: "Cousin", Phone: "07700 946173", MayBeTold: "Appointment times only"},
				{Name: "Irena Vasquez-Holm", Relationship: "Friend", MayBeTold: "Nothing without asking first"},
			},
			Monitoring: &casework.Monitoring{
				Ethnicity:         casework.MonitoringAnswer{Answer: "asian", Detail: "Uzbek Tajik heritage"},
				Religion:          casework.MonitoringAnswer{Answer: casework.PreferNotToSay},
				SexualOrientation: casework.MonitoringAnswer{Answer: "bisexual"},
				GenderIdentity:    casework.MonitoringAnswer{Answer: "woman"},
				Disability:        casework.MonitoringAnswer{Answer: "yes", Detail: "Fibromyalgia diagnosed"},
			},
			Flags: &casework.Flags{Risk: casework.RiskHigh, Kinds: []string{"Address confidential", "MARAC referral"}, HideName: false},
		},
	}
}

// P01, P12, P29, P52, P54: every field of the record is kept and reads back
// as saved (normalised: the postcode in capitals, list items by id).
func TestRecordRoundTrip(t *testing.T) {
	apptest.Each(t, func(t *testing.T, env *apptest.Env) {
		ctx := t.Context()
		svc := env.Service(t, "Counselling", false)
		cw := env.Person(t, access.Caseworker, svc.ID)
		in := fullRecord(svc.ID)
		id, err := env.Casework.CreateClient(ctx, cw.Actor(), in)
		if err != nil {
			t.Fatal(err)
		}
		c, err := env.Casework.Client(ctx, cw.Actor(), id, access.Casework)
		if err != nil {
			t.Fatal(err)
		}
		flags, err := env.Casework.List(ctx, casework.FlagList)
		if err != nil {
			t.Fatal(err)
		}
		howHeard, _ := env.Casework.List(ctx, casework.HowHeardList)
		idOf := func(items []casework.ListItem, label string) string {
			for _, it := range items {
				if it.Label == label {
					return it.ID
				}
			}
			t.Fatalf("no list item %q", label)
			return ""
		}

		want := *in.Details
		want.HowHeard = idOf(howHeard, "Friend or family")
		wantContact := *in.Contact
		wantContact.Postcode = "WV3 9PQ"
		wantFlags := casework.Flags{Risk: "high", Kinds: []string{idOf(flags, "Address confidential"), idOf(flags, "MARAC referral")}}
		for _, tc := range []struct {
			name      string
			got, want any
		}{
			{"given name", c.GivenName, in.GivenName},
			{"family name", c.FamilyName, in.FamilyName},
			{"preferred name", c.PreferredName, in.PreferredName},
			{"previous names", c.PreviousNames, in.PreviousNames},
			{"date of birth", c.DateOfBirth.Format(casework.DateLayout), in.DateOfBirth},
			{"age band", c.AgeBand, "35-44"},
			{"details", c.Details, want},
			{"how heard label", c.HowHeardLabel, "Friend or family"},
			{"contact", c.Contact, wantContact},
			{"safe contact", c.SafeContact, *in.SafeContact},
			{"GP", c.GP, *in.GP},
			{"support network", c.Network, *in.SupportNetwork},
			{"monitoring", c.Monitoring, *in.Monitoring},
			{"flags", c.Flags, wantFlags},
			{"flag labels", c.FlagLabels, []string{"Address confidential", "MARAC referral"}},
			{"version", c.Version, int64(1)},
		} {
			if !reflect.DeepEqual(tc.got, tc.want) {
				t.Errorf("%s: got %#v, want %#v", tc.name, tc.got, tc.want)
			}
		}

		// Each part changes on its own and reads back; the others stay.
		gp := casework.GP{Name: "Dr Fenwick", Surgery: "Tettenhall Road Surgery"}
		if err := env.Casework.UpdateRecord(ctx, cw.Actor(), id, c.Version, casework.RecordParts{GP: &gp}); err != nil {
			t.Fatal(err)
		}
		c2, err := env.Casework.Client(ctx, cw.Actor(), id, access.Casework)
		if err != nil {
			t.Fatal(err)
		}
		if c2.GP != gp || !reflect.DeepEqual(c2.Contact, c.Contact) || c2.GivenName != c.GivenName || c2.Version != 2 {
			t.Errorf("after changing the GP: %+v", c2)
		}

		// The age band is the only thing about the person in clear.
		var band string
		if err := env.DB.QueryRow(ctx, "SELECT age_band FROM clients WHERE id = ?", id).Scan(&band); err != nil || band != "35-44" {
			t.Errorf("age band in clear: %q (%v)", band, err)
		}
	})
}

func TestAgeBand(t *testing.T) {
	on := time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		dob  string
		want string
	}{
		{"2026-11-25", "0-17"},
		{"2008-11-26", "0-17"},
		{"2008-11-25", "18-24"},
		{"2001-11-26", "18-24"},
		{"2001-11-25", "25-34"},
		{"1992-01-01", "25-34"},
		{"1991-11-25", "35-44"},
		{"1977-01-01", "45-54"},
		{"1962-06-01", "55-64"},
		{"1952-01-01", "65-74"},
		{"1951-11-25", "75+"},
		{"1901-01-01", "75+"},
	} {
		d, _ := time.Parse(casework.DateLayout, tc.dob)
		if got := casework.AgeBand(d, on); got != tc.want {
			t.Errorf("AgeBand(%s) = %q, want %q", tc.dob, got, tc.want)
		}
	}
	if casework.AgeBand(time.Time{}, on) != "" {
		t.Error("no date of birth has an age band")
	}
}

// Each field is checked: a bad value is refused with a message naming the
// field, never repeating what was typed, and nothing is written.
func TestRecordValidation(t *testing.T) {
	long := strings.Repeat("ſ", casework.MaxTextLength+1)
	tests := []struct {
		name  string
		edit  func(in *casework.ClientInput)
		field string
		typed string // must not be in the message
	}{
		{"no given name", func(in *casework.ClientInput) { in.GivenName = " " }, "given_name", ""},
		{"preferred name with a control character", func(in *casework.ClientInput) { in.PreferredName = "Gu\x07lya" }, "preferred_name", "Gu\x07lya"},
		{"previous name too long", func(in *casework.ClientInput) { in.PreviousNames = []string{"", strings.Repeat("q", 101)} }, "previous_names[1]", "qqqq"},
		{"pronouns too long", func(in *casework.ClientInput) { in.Details.Pronouns = strings.Repeat("x", 51) }, "details.pronouns", "xxxx"},
		{"interpreter without a language", func(in *casework.ClientInput) { in.Details.FirstLanguage = "" }, "details.first_language", ""},
		{"how heard not on the list", func(in *casework.ClientInput) { in.Details.HowHeard = "Carrier pigeon" }, "details.how_heard", "Carrier pigeon"},
		{"how heard detail too long", func(in *casework.ClientInput) { in.Details.HowHeardDetail = long }, "details.how_heard_detail", "ſſſſ"},
		{"address line on two lines", func(in *casework.ClientInput) { in.Contact.AddressLine1 = "Flat 7\nQuillbrook" }, "contact.address_line_1", "Quillbrook"},
		{"town too long", func(in *casework.ClientInput) { in.Contact.Town = strings.Repeat("w", 101) }, "contact.town", "wwww"},
		{"postcode", func(in *casework.ClientInput) { in.Contact.Postcode = "WV99 ZZZZ" }, "contact.postcode", "WV99"},
		{"phone with letters", func(in *casework.ClientInput) { in.Contact.Phones[1].Number = "0770 CALL ME" }, "contact.phones[1].number", "CALL"},
		{"phone too short", func(in *casework.ClientInput) { in.Contact.Phones[0].Number = "12345" }, "contact.phones[0].number", "12345"},
		{"phone label without a number", func(in *casework.ClientInput) { in.Contact.Phones[0].Number = "" }, "contact.phones[0].number", ""},
		{"too many phones", func(in *casework.ClientInput) {
			in.Contact.Phones = slices.Repeat([]casework.Phone{{Number: "07700 900000"}}, casework.MaxPhones+1)
		}, "contact.phones", ""},
		{"email", func(in *casework.ClientInput) { in.Contact.Email = "gulshan at example" }, "contact.email", "gulshan"},
		{"permission not yes or no", func(in *casework.ClientInput) { in.SafeContact.Letter = "maybe" }, "safe_contact.letter", "maybe"},
		{"safe times too long", func(in *casework.ClientInput) { in.SafeContact.SafeTimes = strings.Repeat("t", 501) }, "safe_contact.safe_times", "tttt"},
		{"code word on two lines", func(in *casework.ClientInput) { in.SafeContact.CodeWord = "Pome\ngranate" }, "safe_contact.code_word", "Pome"},
		{"GP name too long", func(in *casework.ClientInput) { in.GP.Name = long }, "gp.name", "ſſſſ"},
		{"surgery with a control character", func(in *casework.ClientInput) { in.GP.Surgery = "Penn\x00croft" }, "gp.surgery", "Penn"},
		{"support person without a name", func(in *casework.ClientInput) { (*in.SupportNetwork)[1].Name = "" }, "support_network[1].name", ""},
		{"support person's phone", func(in *casework.ClientInput) { (*in.SupportNetwork)[0].Phone = "ring me" }, "support_network[0].phone", "ring me"},
		{"what they may be told too long", func(in *casework.ClientInput) {
			(*in.SupportNetwork)[0].MayBeTold = strings.Repeat("m", casework.MaxLongTextLength+1)
		}, "support_network[0].may_be_told", "mmmm"},
		{"monitoring answer not an option", func(in *casework.ClientInput) { in.Monitoring.Religion.Answer = "Jedi" }, "monitoring.religion.answer", "Jedi"},
		{"monitoring detail too long", func(in *casework.ClientInput) { in.Monitoring.Ethnicity.Detail = long }, "monitoring.ethnicity.detail", "ſſſſ"},
		{"risk level", func(in *casework.ClientInput) { in.Flags.Risk = "extreme" }, "flags.risk", "extreme"},
		{"flag not on the list", func(in *casework.ClientInput) { in.Flags.Kinds = []string{"Owes us money"} }, "flags.kinds", "Owes us money"},
	}
	apptest.Each(t, func(t *testing.T, env *apptest.Env) {
		ctx := t.Context()
		svc := env.Service(t, "Counselling", false)
		cw := env.Person(t, access.Caseworker, svc.ID)
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				in := fullRecord(svc.ID)
				tc.edit(&in)
				_, err := env.Casework.CreateClient(ctx, cw.Actor(), in)
				var ve *casework.ValidationError
				if !errors.As(err, &ve) {
					t.Fatalf("err = %v, want a validation error", err)
				}
				msg := ve.For(tc.field)
				if msg == "" {
					t.Fatalf("no message for %s: %v", tc.field, ve)
				}
				if len(ve.Fields) != 1 {
					t.Errorf("more than the one field refused: %v", ve)
				}
				if tc.typed != "" && strings.Contains(ve.Error(), tc.typed) {
					t.Errorf("the message repeats what was typed: %q", msg)
				}
			})
		}
		var n int
		if err := env.DB.QueryRow(ctx, "SELECT COUNT(*) FROM clients").Scan(&n); err != nil || n != 0 {
			t.Fatalf("%d clients written (%v)", n, err)
		}
	})
}

// P54: equality monitoring is optional; "prefer not to say" is an answer,
// and keeps no description with it.
func TestP54MonitoringOptional(t *testing.T) {
	apptest.Each(t, func(t *testing.T, env *apptest.Env) {
		ctx := t.Context()
		svc := env.Service(t, "Counselling", false)
		cw := env.Person(t, access.Caseworker, svc.ID)
		// No monitoring at all: nothing required.
		id, err := env.Casework.CreateClient(ctx, cw.Actor(), casework.ClientInput{ServiceID: svc.ID, GivenName: "Ana", FamilyName: "Lima", DateOfBirth: "1990-01-01"})
		if err != nil {
			t.Fatal(err)
		}
		c, _ := env.Casework.Client(ctx, cw.Actor(), id, access.Casework)
		if c.Monitoring != (casework.Monitoring{}) {
			t.Errorf("monitoring recorded without being asked: %+v", c.Monitoring)
		}
		// Every question answered "prefer not to say"; a stray description
		// is not kept.
		pnts := casework.MonitoringAnswer{Answer: casework.PreferNotToSay, Detail: "said something anyway"}
		m := casework.Monitoring{Ethnicity: pnts, Religion: pnts, SexualOrientation: pnts, GenderIdentity: pnts, Disability: pnts}
		if err := env.Casework.UpdateRecord(ctx, cw.Actor(), id, c.Version, casework.RecordParts{Monitoring: &m}); err != nil {
			t.Fatal(err)
		}
		c, _ = env.Casework.Client(ctx, cw.Actor(), id, access.Casework)
		for i, a := range c.Monitoring.Answers() {
			if a.Answer != casework.PreferNotToSay || a.Detail != "" {
				t.Errorf("%s: %+v", casework.MonitoringQuestions[i].Key, *a)
			}
		}
		// Every question offers it.
		for _, q := range casework.MonitoringQuestions {
			if q.OptionLabel(casework.PreferNotToSay) != "Prefer not to say" {
				t.Errorf("%s does not offer prefer not to say", q.Key)
			}
		}
	})
}

// P12: someone to contact for the client, with what they may be told.
// Empty rows of a form are dropped; the list can be emptied.
func TestP12SupportNetwork(t *testing.T) {
	apptest.Each(t, func(t *testing.T, env *apptest.Env) {
		ctx := t.Context()
		svc := env.Service(t, "Counselling", false)
		cw := env.Person(t, access.Caseworker, svc.ID)
		people := []casework.SupportPerson{{}, {Name: "Joan Okoro", Relationship: "Sister", Phone: "07700 900123", MayBeTold: "That she is safe\nNothing else"}, {}}
		in := casework.ClientInput{ServiceID: svc.ID, GivenName: "Ada", FamilyName: "Okoro", DateOfBirth: "1979-02-03",
			RecordParts: casework.RecordParts{SupportNetwork: &people}}
		id, err := env.Casework.CreateClient(ctx, cw.Actor(), in)
		if err != nil {
			t.Fatal(err)
		}
		c, _ := env.Casework.Client(ctx, cw.Actor(), id, access.Casework)
		if len(c.Network) != 1 || c.Network[0] != people[1] {
			t.Fatalf("network %+v", c.Network)
		}
		empty := []casework.SupportPerson{}
		if err := env.Casework.UpdateRecord(ctx, cw.Actor(), id, c.Version, casework.RecordParts{SupportNetwork: &empty}); err != nil {
			t.Fatal(err)
		}
		c, _ = env.Casework.Client(ctx, cw.Actor(), id, access.Casework)
		if len(c.Network) != 0 {
			t.Fatalf("network not emptied: %+v", c.Network)
		}
	})
}

// P29: safe contact is recorded and becomes the first lines of the
// record's header, shown before any contact; a client never asked says so.
func TestP29SafeContactInHeader(t *testing.T) {
	apptest.Each(t, func(t *testing.T, env *apptest.Env) {
		ctx := t.Context()
		svc := env.Service(t, "Counselling", false)
		cw := env.Person(t, access.Caseworker, svc.ID)
		id, err := env.Casework.CreateClient(ctx, cw.Actor(), casework.ClientInput{ServiceID: svc.ID, GivenName: "Ana", FamilyName: "Lima", DateOfBirth: "1990-01-01"})
		if err != nil {
			t.Fatal(err)
		}
		h, err := env.Casework.Header(ctx, cw.Actor(), id, access.Casework)
		if err != nil {
			t.Fatal(err)
		}
		if len(h.SafeContact) != 1 || !strings.Contains(h.SafeContact[0], "Not yet asked") {
			t.Fatalf("unasked safe contact: %q", h.SafeContact)
		}
		in := fullRecord(svc.ID)
		if err := env.Casework.UpdateRecord(ctx, cw.Actor(), id, 1, casework.RecordParts{SafeContact: in.SafeContact, Flags: in.Flags, Details: in.Details}); err != nil {
			t.Fatal(err)
		}
		h, err = env.Casework.Header(ctx, cw.Actor(), id, access.Casework)
		if err != nil {
			t.Fatal(err)
		}
		want := []string{"May phone", "Do not text", "May e-mail", "Do not write", "Not at home", "May contact at work",
			"Safe times: Weekdays between ten and noon", "Ask for the code word first", "Never name the organisation when you call", "Letters in a plain envelope"}
		if !slices.Equal(h.SafeContact, want) {
			t.Errorf("safe contact lines\n got %q\nwant %q", h.SafeContact, want)
		}
		if strings.Contains(strings.Join(h.SafeContact, " "), "Pomegranate") {
			t.Error("the code word itself is in the header")
		}
		wantFlags := []string{"Risk: high", "Address confidential", "MARAC referral", "Interpreter needed: Uzbek"}
		if !slices.Equal(h.Flags, wantFlags) {
			t.Errorf("flags %q, want %q", h.Flags, wantFlags)
		}
	})
}

// The organisation's lists: managers and system administrators change
// them; records show the current wording; retired items stay readable.
func TestP52Lists(t *testing.T) {
	apptest.Each(t, func(t *testing.T, env *apptest.Env) {
		ctx := t.Context()
		svc := env.Service(t, "Counselling", false)
		cw := env.Person(t, access.Caseworker, svc.ID)
		mgr := env.Person(t, access.Manager, svc.ID)
		admin := env.Person(t, access.Sysadmin)

		// Seeded at installation.
		hh, err := env.Casework.List(ctx, casework.HowHeardList)
		if err != nil || len(hh) < 5 {
			t.Fatalf("how-heard list: %d items, %v", len(hh), err)
		}
		if _, err := env.Casework.AddListItem(ctx, cw.Actor(), casework.HowHeardList, "Radio"); !errors.Is(err, casework.ErrForbidden) {
			t.Fatalf("a caseworker added a list item: %v", err)
		}
		radio, err := env.Casework.AddListItem(ctx, mgr.Actor(), casework.HowHeardList, "  Local   radio ")
		if err != nil || radio.Label != "Local radio" || radio.Position != len(hh)+1 {
			t.Fatalf("add: %+v %v", radio, err)
		}
		var ve *casework.ValidationError
		if _, err := env.Casework.AddListItem(ctx, admin.Actor(), casework.HowHeardList, "LOCAL RADIO"); !errors.As(err, &ve) || ve.For("label") == "" {
			t.Fatalf("duplicate label: %v", err)
		}
		if _, err := env.Casework.AddListItem(ctx, admin.Actor(), casework.HowHeardList, ""); !errors.As(err, &ve) {
			t.Fatalf("empty label: %v", err)
		}

		// P52: a client's answer, by label.
		d := casework.Details{HowHeard: "local radio"}
		id, err := env.Casework.CreateClient(ctx, cw.Actor(), casework.ClientInput{ServiceID: svc.ID, GivenName: "Ana", FamilyName: "Lima", DateOfBirth: "1990-01-01",
			RecordParts: casework.RecordParts{Details: &d}})
		if err != nil {
			t.Fatal(err)
		}
		if err := env.Casework.RenameListItem(ctx, admin.Actor(), radio.ID, "Local radio or podcast"); err != nil {
			t.Fatal(err)
		}
		if err := env.Casework.RetireListItem(ctx, mgr.Actor(), radio.ID, true); err != nil {
			t.Fatal(err)
		}
		c, err := env.Casework.Client(ctx, cw.Actor(), id, access.Casework)
		if err != nil || c.Details.HowHeard != radio.ID || c.HowHeardLabel != "Local radio or podcast" {
			t.Fatalf("client's answer after rename and retire: %q %q %v", c.Details.HowHeard, c.HowHeardLabel, err)
		}
		// Moving: the new item goes up one place.
		if err := env.Casework.MoveListItem(ctx, mgr.Actor(), radio.ID, true); err != nil {
			t.Fatal(err)
		}
		hh2, _ := env.Casework.List(ctx, casework.HowHeardList)
		if hh2[len(hh2)-2].ID != radio.ID || !hh2[len(hh2)-2].Retired {
			t.Errorf("after moving up: %+v", hh2[len(hh2)-2:])
		}
		if err := env.Casework.RenameListItem(ctx, mgr.Actor(), store.NewID(), "x"); !errors.Is(err, casework.ErrNotFound) {
			t.Errorf("rename a missing item: %v", err)
		}
		// Every change is in the audit log, with ids only.
		var changes int
		if err := env.DB.QueryRow(ctx, "SELECT COUNT(*) FROM audit_entries WHERE action = 'lists.change'").Scan(&changes); err != nil {
			t.Fatal(err)
		}
		if changes != 4 {
			t.Errorf("%d list changes audited, want 4", changes)
		}
	})
}

// Hide name: lists show initials and the case number, except to the
// assigned team: workers linked to the client and managers of their
// services. Admin staff and caseworkers who see a shared caseload are not
// the team; nor can they change the name or reveal it.
func TestHideName(t *testing.T) {
	apptest.Each(t, func(t *testing.T, env *apptest.Env) {
		ctx := t.Context()
		svc := env.Service(t, "Advocacy", true) // shared caseload
		worker := env.Person(t, access.Caseworker, svc.ID)
		colleague := env.Person(t, access.Caseworker, svc.ID)
		mgr := env.Person(t, access.Manager, svc.ID)
		admin := env.Person(t, access.AdminStaff, svc.ID)
		dpo := env.Person(t, access.DPO)

		network := []casework.SupportPerson{{Name: "Amina Begum", Relationship: "Mother"}}
		in := casework.ClientInput{ServiceID: svc.ID, GivenName: "Roksana", FamilyName: "Begum", DateOfBirth: "1993-08-14",
			RecordParts: casework.RecordParts{Flags: &casework.Flags{HideName: true, Risk: casework.RiskHigh}, SupportNetwork: &network}}
		hidden, err := env.Casework.CreateClient(ctx, worker.Actor(), in)
		if err != nil {
			t.Fatal(err)
		}
		plain, err := env.Casework.CreateClient(ctx, worker.Actor(), casework.ClientInput{ServiceID: svc.ID, GivenName: "Tomás", FamilyName: "Ortega", DateOfBirth: "1970-01-01"})
		if err != nil {
			t.Fatal(err)
		}
		ids := []string{plain, store.NewID(), hidden, "not an id"}
		for _, tc := range []struct {
			who     string
			actor   access.Actor
			purpose access.Purpose
			sees    bool
		}{
			{"the assigned worker", worker.Actor(), access.Casework, true},
			{"the service manager", mgr.Actor(), access.Casework, true},
			{"the DPO", dpo.Actor(), access.Review, true},
			{"a colleague on the shared caseload", colleague.Actor(), access.Casework, false},
			{"admin staff", admin.Actor(), access.Administration, false},
		} {
			t.Run(tc.who, func(t *testing.T) {
				rows, err := env.Casework.ListRows(ctx, tc.actor, ids, tc.purpose)
				if err != nil {
					t.Fatal(err)
				}
				if len(rows) != 2 || rows[0].ID != plain || rows[1].ID != hidden {
					t.Fatalf("rows %+v", rows)
				}
				if rows[0].DisplayName != "Tomás Ortega" || rows[0].Hidden {
					t.Errorf("an unhidden client shows as %q", rows[0].DisplayName)
				}
				r := rows[1]
				if r.Reference != casework.Reference(hidden) || r.AgeBand != "25-34" || !slices.Contains(r.Flags, "Risk: high") {
					t.Errorf("row %+v", r)
				}
				c, err := env.Casework.Client(ctx, tc.actor, hidden, tc.purpose)
				if err != nil {
					t.Fatal(err)
				}
				h := c.Header()
				if tc.sees {
					if r.DisplayName != "Roksana Begum" || r.Hidden || c.GivenName != "Roksana" || h.DisplayName != "Roksana Begum" {
						t.Errorf("the team sees %q / %q / %q", r.DisplayName, c.GivenName, h.DisplayName)
					}
					return
				}
				if r.DisplayName != "R.B." || !r.Hidden {
					t.Errorf("outside the team the row shows %q", r.DisplayName)
				}
				if !c.NameWithheld || c.GivenName != "" || c.FamilyName != "" || !c.DateOfBirth.IsZero() || len(c.Network) != 0 || h.DisplayName != "R.B." {
					t.Errorf("outside the team the record shows %+v, header %q", c, h.DisplayName)
				}
				hist, err := env.Casework.History(ctx, tc.actor, hidden, tc.purpose)
				if err != nil || len(hist) == 0 {
					t.Fatalf("history: %v", err)
				}
				for _, ch := range hist {
					if ch.Part == casework.PartNames || ch.Part == casework.PartNetwork {
						t.Errorf("the history shows the %s part outside the team", ch.Part)
					}
				}
				// Neither changing the name nor revealing it.
				err = env.Casework.UpdateClient(ctx, tc.actor, hidden, c.Version, casework.ClientInput{GivenName: "X", FamilyName: "Y", DateOfBirth: "1993-08-14"})
				if !errors.Is(err, casework.ErrForbidden) {
					t.Errorf("name changed from outside the team: %v", err)
				}
				err = env.Casework.UpdateRecord(ctx, tc.actor, hidden, c.Version, casework.RecordParts{Flags: &casework.Flags{}})
				if !errors.Is(err, casework.ErrForbidden) {
					t.Errorf("name revealed from outside the team: %v", err)
				}
				err = env.Casework.UpdateRecord(ctx, tc.actor, hidden, c.Version, casework.RecordParts{SupportNetwork: &[]casework.SupportPerson{}})
				if !errors.Is(err, casework.ErrForbidden) {
					t.Errorf("support network changed from outside the team: %v", err)
				}
				// Other parts they may change.
				gp := casework.GP{Name: "Dr Shah"}
				if err := env.Casework.UpdateRecord(ctx, tc.actor, hidden, c.Version, casework.RecordParts{GP: &gp}); err != nil {
					t.Errorf("GP: %v", err)
				}
			})
		}
	})
}

// Two people edit the same record: the second is told when they saved the
// same part, and neither change is lost when they saved different parts.
// Each saved value is kept in the record's history.
func TestEditConflictByPart(t *testing.T) {
	apptest.Each(t, func(t *testing.T, env *apptest.Env) {
		ctx := t.Context()
		svc := env.Service(t, "Counselling", false)
		a := env.Person(t, access.Caseworker, svc.ID)
		mgr := env.Person(t, access.Manager, svc.ID)
		id, err := env.Casework.CreateClient(ctx, a.Actor(), fullRecord(svc.ID))
		if err != nil {
			t.Fatal(err)
		}
		// Both open version 1.
		gp := casework.GP{Name: "Dr Ahmed", Surgery: "Riverside"}
		if err := env.Casework.UpdateRecord(ctx, a.Actor(), id, 1, casework.RecordParts{GP: &gp}); err != nil {
			t.Fatal(err)
		}
		m := casework.Monitoring{Disability: casework.MonitoringAnswer{Answer: "no"}}
		if err := env.Casework.UpdateRecord(ctx, mgr.Actor(), id, 1, casework.RecordParts{Monitoring: &m}); err != nil {
			t.Fatalf("a different part, from the same version: %v", err)
		}
		gp2 := casework.GP{Name: "Dr Brown"}
		if err := env.Casework.UpdateRecord(ctx, mgr.Actor(), id, 1, casework.RecordParts{GP: &gp2}); !errors.Is(err, casework.ErrConflict) {
			t.Fatalf("the same part, from a stale version: %v", err)
		}
		in := fullRecord(svc.ID)
		in.GivenName = "Gulnora"
		if err := env.Casework.UpdateClient(ctx, mgr.Actor(), id, 99, in); !errors.Is(err, casework.ErrConflict) {
			t.Fatalf("a version from the future: %v", err)
		}
		c, err := env.Casework.Client(ctx, a.Actor(), id, access.Casework)
		if err != nil {
			t.Fatal(err)
		}
		if c.GP != gp || c.Monitoring != m || c.Version != 3 {
			t.Fatalf("after both saves: GP %+v, monitoring %+v, version %d", c.GP, c.Monitoring, c.Version)
		}
		// History: 8 parts at creation, then one each.
		var n, gpRows int
		if err := env.DB.QueryRow(ctx, "SELECT COUNT(*), SUM(CASE WHEN part = 'gp' THEN 1 ELSE 0 END) FROM client_record_history WHERE client_id = ?", id).Scan(&n, &gpRows); err != nil {
			t.Fatal(err)
		}
		if n != 10 || gpRows != 2 {
			t.Errorf("history rows %d (gp %d), want 10 (2)", n, gpRows)
		}
		// P41: the history shows every value, newest first, with who and when.
		hist, err := env.Casework.History(ctx, a.Actor(), id, access.Casework)
		if err != nil {
			t.Fatal(err)
		}
		if len(hist) != 10 || hist[0].Version != 3 || hist[0].Part != casework.PartMonitoring || hist[0].ChangedBy != mgr.ID {
			t.Fatalf("history %+v", hist[:min(2, len(hist))])
		}
		var gps []casework.GP
		for _, ch := range hist {
			if g, ok := ch.Value.(casework.GP); ok {
				gps = append(gps, g)
			}
			if n, ok := ch.Value.(casework.NamesValue); ok && n.GivenName != "Gulshan" {
				t.Errorf("names in the history: %+v", n)
			}
		}
		if len(gps) != 2 || gps[0] != gp || gps[1].Name != "Dr Oyelaran-Whitfield" {
			t.Errorf("GP history %+v", gps)
		}
	})
}

// P17 for the whole record: no value of any part is in clear at rest.
func TestP17RecordPartsAtRest(t *testing.T) {
	apptest.Each(t, func(t *testing.T, env *apptest.Env) {
		ctx := t.Context()
		svc := env.Service(t, "Counselling", false)
		cw := env.Person(t, access.Caseworker, svc.ID)
		in := fullRecord(svc.ID)
		id, err := env.Casework.CreateClient(ctx, cw.Actor(), in)
		if err != nil {
			t.Fatal(err)
		}
		gp := casework.GP{Name: "Dr Oyelaran-Whitfield", Surgery: "Ashmore Park Health Centre"}
		if err := env.Casework.UpdateRecord(ctx, cw.Actor(), id, 1, casework.RecordParts{GP: &gp}); err != nil {
			t.Fatal(err)
		}
		terms := []string{
			"Gulshan", "Yusupova", "Abdurakhmanova", "1986-04-23", "Malika volunteers", "Quillbrook", "Marigold Terrace",
			"Wolverhampton", "WV3 9PQ", "07700 913462", "1902 557 210", "gulshan.yk", "Weekdays between", "Pomegranate",
			"Partner reads", "Oyelaran", "Penncroft", "Ashmore Park", "Malika Rustamova", "07700 946173", "Appointment times only",
			"Irena Vasquez", "Uzbek Tajik", "Fibromyalgia", "bisexual", "prefer-not-to-say", `"risk":"high"`, "hide_name", "she/her",
		}
		var secrets [][]byte
		for _, s := range terms {
			secrets = append(secrets, []byte(s), []byte(strings.ToLower(s)), utf16le(s))
		}
		found := func(name string, b []byte) {
			for i, s := range secrets {
				if bytes.Contains(b, s) {
					t.Errorf("%s holds %q in clear", name, terms[i/3])
				}
			}
		}
		switch env.Loc.Engine() {
		case store.SQLite:
			files := readDataDir(t, env.Loc.Dir)
			if !anyContains(files, []byte("Counselling")) {
				t.Fatal("the search does not see the data")
			}
			for name, b := range files {
				found(name, b)
			}
		case store.Postgres:
			dump := dumpPostgres(t, env.Loc.URL)
			if !anyContains(dump, []byte("Counselling")) {
				t.Fatal("the search does not see the data")
			}
			for table, b := range dump {
				found(table, b)
			}
		}
	})
}

// BenchmarkListRows opens a page of 25 full records for a list: one gate
// transaction, one query, three fields decrypted a row.
func BenchmarkListRows(b *testing.B) {
	env := apptest.New(b, store.SQLite, apptest.NewClock())
	ctx := b.Context()
	svc := env.Service(b, "Counselling", false)
	cw := env.Person(b, access.Caseworker, svc.ID)
	var ids []string
	for range 25 {
		id, err := env.Casework.CreateClient(ctx, cw.Actor(), fullRecord(svc.ID))
		if err != nil {
			b.Fatal(err)
		}
		ids = append(ids, id)
	}
	b.ResetTimer()
	for b.Loop() {
		rows, err := env.Casework.ListRows(ctx, cw.Actor(), ids, access.Casework)
		if err != nil || len(rows) != 25 {
			b.Fatal(len(rows), err)
		}
	}
}

// BenchmarkHeader builds the header every page of a record shows.
func BenchmarkHeader(b *testing.B) {
	env := apptest.New(b, store.SQLite, apptest.NewClock())
	ctx := b.Context()
	svc := env.Service(b, "Counselling", false)
	cw := env.Person(b, access.Caseworker, svc.ID)
	id, err := env.Casework.CreateClient(ctx, cw.Actor(), fullRecord(svc.ID))
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := env.Casework.Header(ctx, cw.Actor(), id, access.Casework); err != nil {
			b.Fatal(err)
		}
	}
}
