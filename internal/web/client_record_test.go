package web_test

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/caseward/caseward/internal/access"
	"github.com/caseward/caseward/internal/app/apptest"
	"github.com/caseward/caseward/internal/casework"
	"github.com/caseward/caseward/internal/store"
)

// listItemID returns the id of the organisation's list item with label.
func listItemID(t *testing.T, env *apptest.Env, list casework.ListName, label string) string {
	t.Helper()
	items, err := env.Casework.List(context.Background(), list)
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range items {
		if it.Label == label {
			return it.ID
		}
	}
	t.Fatalf("no item %q in %s", label, list)
	return ""
}

// fullForm is the new-client form with every field filled.
func fullForm(t *testing.T, env *apptest.Env, serviceID string) url.Values {
	return url.Values{
		"service": {serviceID}, "given_name": {"Shirin"}, "family_name": {"Ahmadzai"},
		"preferred_name": {"Shiri"}, "previous_names": {"Shirin Wardak\r\nShirin Noori"},
		"dob_day": {"3"}, "dob_month": {"9"}, "dob_year": {"1984"},
		"details.pronouns": {"she/her"}, "details.first_language": {"Dari"}, "details.interpreter_needed": {"yes"},
		"details.how_heard": {listItemID(t, env, casework.HowHeardList, "Police")}, "details.how_heard_detail": {"Officer gave a leaflet"},
		"safe_contact.phone": {"no"}, "safe_contact.text": {"yes"}, "safe_contact.email": {"yes"}, "safe_contact.letter": {"no"},
		"safe_contact.at_home": {"no"}, "safe_contact.at_work": {""},
		"safe_contact.safe_times": {"Tuesday mornings"}, "safe_contact.code_word": {"Saffron"},
		"safe_contact.never_name_organisation": {"yes"}, "safe_contact.plain_envelope": {"yes"}, "safe_contact.notes": {"Use the library address"},
		"contact.address_line_1": {"12 Larkspur Close"}, "contact.address_line_2": {""}, "contact.town": {"Leicester"}, "contact.postcode": {"le2 7gh"},
		"contact.phones[0].label": {"Mobile"}, "contact.phones[0].number": {"07700 900417"},
		"contact.phones[1].label": {""}, "contact.phones[1].number": {""},
		"contact.email": {"shiri.a@example.org"},
		"gp.name":       {"Dr Patel"}, "gp.surgery": {"Highfields Surgery"},
		"support_network[0].name": {"Farida Ahmadzai"}, "support_network[0].relationship": {"Sister"},
		"support_network[0].phone": {"07700 900555"}, "support_network[0].may_be_told": {"Only that she is safe"},
		"monitoring.ethnicity.answer": {"asian"}, "monitoring.ethnicity.detail": {"Afghan"},
		"monitoring.religion.answer": {casework.PreferNotToSay}, "monitoring.religion.detail": {""},
		"monitoring.sexual_orientation.answer": {""}, "monitoring.gender_identity.answer": {"woman"}, "monitoring.disability.answer": {""},
		"flags.risk": {"high"}, "flags.kinds": {listItemID(t, env, casework.FlagList, "Address confidential")},
	}
}

// P01, P12, P29, P52, P54: the whole record through the pages: every field
// typed on the new-client form is on the record page; safe contact and
// flags come before any contact detail (P29).
func TestRecordPages(t *testing.T) {
	apptest.Each(t, func(t *testing.T, env *apptest.Env) {
		ts := newServer(t, env)
		svc := env.Service(t, "Counselling", false)
		p := env.Person(t, access.Caseworker, svc.ID)
		c := ts.signIn(t, p)

		resp, body := ts.get(t, c, "/clients/new")
		if resp.StatusCode != 200 || !strings.Contains(body, `name="safe_contact.never_name_organisation" type="checkbox" value="yes" checked`) {
			t.Fatalf("new form: %d; never-name-the-organisation not ticked by default", resp.StatusCode)
		}
		resp, body = ts.post(t, c, "/clients", fullForm(t, env, svc.ID))
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("create: %d %s", resp.StatusCode, errorSummary(body))
		}
		loc := resp.Header.Get("Location")
		resp, body = ts.get(t, c, loc)
		if resp.StatusCode != 200 {
			t.Fatalf("view: %d", resp.StatusCode)
		}
		for _, want := range []string{
			"Shirin", "Ahmadzai", "Shiri", "Shirin Wardak", "Shirin Noori", "3 September 1984", "she/her", "Dari",
			"Police", "Officer gave a leaflet", "Tuesday mornings", "Saffron", "Use the library address",
			"12 Larkspur Close", "Leicester", "LE2 7GH", "Mobile: 07700 900417", "shiri.a@example.org",
			"Dr Patel", "Highfields Surgery", "Farida Ahmadzai (Sister)", "07700 900555", "Only that she is safe",
			"Asian or Asian British", "Afghan", "Prefer not to say", "Woman",
			"Risk: high", "Address confidential", "Interpreter needed: Dari", "Do not phone", "Never name the organisation when you call",
		} {
			if !strings.Contains(html.UnescapeString(body), want) {
				t.Errorf("the record page lacks %q", want)
			}
		}
		// P29: safe contact and flags before any contact detail.
		safe := strings.Index(body, `id="record-safe-contact"`)
		flags := strings.Index(body, `id="record-flags"`)
		phone := strings.Index(body, "07700 900417")
		warn := strings.Index(body, "Do not phone")
		if safe < 0 || flags < 0 || phone < 0 || warn < 0 || !(warn < safe && safe < flags && flags < phone) {
			t.Errorf("order on the page: header warning %d, safe contact %d, flags %d, phone %d", warn, safe, flags, phone)
		}
		// P19: no name in the title or the URL.
		if strings.Contains(title(body), "Shirin") || strings.Contains(loc, "Shirin") {
			t.Errorf("name in title %q or URL %q", title(body), loc)
		}

		// Each part's form opens with the record in it, and saves.
		id := strings.TrimPrefix(loc, "/clients/")
		for _, tc := range []struct {
			part   string
			change url.Values
			shows  string
		}{
			{"personal", url.Values{"given_name": {"Shirin"}, "family_name": {"Ahmadzai-Noori"}, "dob_day": {"3"}, "dob_month": {"9"}, "dob_year": {"1984"},
				"details.first_language": {"Pashto"}, "details.interpreter_needed": {"yes"}}, "Ahmadzai-Noori"},
			{"contact", url.Values{"safe_contact.phone": {"yes"}, "contact.town": {"Loughborough"}, "contact.phones[0].number": {"0116 496 0000"}}, "Loughborough"},
			{"gp", url.Values{"gp.name": {"Dr Okafor"}}, "Dr Okafor"},
			{"support-network", url.Values{"support_network[0].name": {"Nadia Karimi"}, "support_network[1].name": {""}}, "Nadia Karimi"},
			{"monitoring", url.Values{"monitoring.disability.answer": {"no"}}, "monitoring.disability\">No"},
			{"flags", url.Values{"flags.risk": {"medium"}}, "Risk: medium"},
		} {
			t.Run(tc.part, func(t *testing.T) {
				path := loc + "/edit/" + tc.part
				resp, form := ts.get(t, c, path)
				if resp.StatusCode != 200 {
					t.Fatalf("form: %d", resp.StatusCode)
				}
				if strings.Contains(title(form), "Shirin") {
					t.Errorf("name in the title %q", title(form))
				}
				vals := formValues(form)
				for k, v := range tc.change {
					vals[k] = v
				}
				target := loc + "/edit/" + tc.part
				if tc.part == "personal" {
					target = loc
				}
				resp, body := ts.post(t, c, target, vals)
				if resp.StatusCode != http.StatusSeeOther {
					t.Fatalf("save: %d %s", resp.StatusCode, errorSummary(body))
				}
				_, view := ts.get(t, c, loc)
				if !strings.Contains(html.UnescapeString(view), tc.shows) {
					t.Errorf("after saving, the record lacks %q", tc.shows)
				}
			})
		}
		// The rest of the record survived the part-by-part edits.
		rec, err := env.Casework.Client(context.Background(), p.Actor(), id, access.Casework)
		if err != nil {
			t.Fatal(err)
		}
		if rec.PreferredName != "Shiri" || rec.SafeContact.CodeWord != "Saffron" || rec.Contact.Email != "shiri.a@example.org" ||
			len(rec.Network) != 1 || rec.Monitoring.Ethnicity.Answer != "asian" || rec.Details.HowHeardDetail != "Officer gave a leaflet" || len(rec.Flags.Kinds) != 1 {
			t.Errorf("after the edits: %+v", rec)
		}
		if logs := ts.logs.String(); strings.Contains(logs, "Shirin") || strings.Contains(logs, "Ahmadzai") || strings.Contains(logs, "Saffron") || strings.Contains(logs, id) {
			t.Errorf("personal data or a client id in the logs")
		}
	})
}

var (
	inputRE    = regexp.MustCompile(`<input[^>]*>`)
	textareaRE = regexp.MustCompile(`(?s)<textarea[^>]*name="([^"]+)"[^>]*>(.*?)</textarea>`)
	selectRE   = regexp.MustCompile(`(?s)<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>`)
	attrRE     = regexp.MustCompile(`(\w[\w-]*)(?:="([^"]*)")?`)
	optionRE   = regexp.MustCompile(`<option value="([^"]*)"( selected)?`)
)

// formValues reads what a browser would post from the form on a page.
func formValues(page string) url.Values {
	v := url.Values{}
	for _, in := range inputRE.FindAllString(page, -1) {
		attrs := map[string]string{}
		has := map[string]bool{}
		for _, m := range attrRE.FindAllStringSubmatch(strings.TrimPrefix(in, "<input"), -1) {
			attrs[m[1]] = html.UnescapeString(m[2])
			has[m[1]] = true
		}
		name := attrs["name"]
		if name == "" {
			continue
		}
		switch attrs["type"] {
		case "checkbox", "radio":
			if has["checked"] {
				v.Add(name, attrs["value"])
			}
		default:
			v.Add(name, attrs["value"])
		}
	}
	for _, m := range textareaRE.FindAllStringSubmatch(page, -1) {
		v.Add(m[1], html.UnescapeString(m[2]))
	}
	for _, m := range selectRE.FindAllStringSubmatch(page, -1) {
		val := ""
		for _, o := range optionRE.FindAllStringSubmatch(m[2], -1) {
			if o[2] != "" {
				val = html.UnescapeString(o[1])
			}
		}
		v.Set(m[1], val)
	}
	return v
}

var summaryRE = regexp.MustCompile(`(?s)govuk-error-summary__list">(.*?)</ul>`)

func errorSummary(body string) string {
	if m := summaryRE.FindStringSubmatch(body); m != nil {
		return m[1]
	}
	return ""
}

// A form with errors comes back with each message next to its field (and
// linked from the summary), everything typed still there, and nothing
// saved. Messages never repeat what was typed.
func TestRecordFormErrors(t *testing.T) {
	tests := []struct {
		name  string
		field string // the form field
		value string
		id    string // the input the message is next to
		msg   string
	}{
		{"postcode", "contact.postcode", "NOT A POSTCODE", "contact-postcode", "Enter a real postcode"},
		{"phone", "contact.phones[0].number", "call me maybe", "contact-phones-0-number", "only numbers"},
		{"email", "contact.email", "shiri at home", "contact-email", "correct format"},
		{"support person", "support_network[0].phone", "phone Farida", "support-network-0-phone", "only numbers"},
		{"how heard", "details.how_heard", "tv-advert", "details-how-heard", "from the list"},
		{"monitoring", "monitoring.religion.answer", "pastafarian", "monitoring-religion-answer", "Choose one of the answers"},
		{"permission", "safe_contact.letter", "perhaps", "safe-contact-letter", "yes, no or not asked"},
		{"risk", "flags.risk", "severe", "flags-risk", "risk level"},
		{"preferred name", "preferred_name", strings.Repeat("n", 101), "preferred-name", "100 characters or fewer"},
	}
	apptest.Each(t, func(t *testing.T, env *apptest.Env) {
		ts := newServer(t, env)
		svc := env.Service(t, "Counselling", false)
		c := ts.signIn(t, env.Person(t, access.Caseworker, svc.ID))
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				form := fullForm(t, env, svc.ID)
				form.Set(tc.field, tc.value)
				resp, body := ts.post(t, c, "/clients", form)
				if resp.StatusCode != http.StatusBadRequest {
					t.Fatalf("status %d", resp.StatusCode)
				}
				if !strings.Contains(body, `href="#`+tc.id+`"`) || !strings.Contains(body, `id="`+tc.id+`-error"`) {
					t.Errorf("no message linked to and next to #%s: %s", tc.id, errorSummary(body))
				}
				if !strings.Contains(errorSummary(body), tc.msg) {
					t.Errorf("summary %q lacks %q", errorSummary(body), tc.msg)
				}
				if strings.Contains(errorSummary(body), tc.value) {
					t.Errorf("the message repeats what was typed")
				}
				if !strings.HasPrefix(title(body), "Error: ") {
					t.Errorf("title %q", title(body))
				}
				// Everything typed is still there.
				back := formValues(body)
				for _, k := range []string{"given_name", "contact.town", "safe_contact.code_word", "support_network[0].name", "gp.surgery",
					"details.pronouns", "monitoring.ethnicity.detail", "flags.kinds", tc.field} {
					want := form.Get(k)
					if k == tc.field && (tc.field == "details.how_heard" || tc.field == "monitoring.religion.answer") {
						continue // a select cannot show a value it does not offer
					}
					if tc.field == "safe_contact.letter" && k == tc.field || tc.field == "flags.risk" && k == tc.field {
						continue // nor can radios
					}
					if got := back.Get(k); got != want {
						t.Errorf("%s came back as %q, want %q", k, got, want)
					}
				}
			})
		}
		if n := countClients(t, env); n != 0 {
			t.Fatalf("%d clients written", n)
		}
	})
}

// Two people edit the same part: the second is told, sees what the first
// saved, and keeps what they typed. Editing different parts from the same
// version loses neither change.
func TestRecordEditConflict(t *testing.T) {
	apptest.Each(t, func(t *testing.T, env *apptest.Env) {
		ts := newServer(t, env)
		svc := env.Service(t, "Counselling", false)
		p := env.Person(t, access.Caseworker, svc.ID)
		mgr := env.Person(t, access.Manager, svc.ID)
		a, b := ts.signIn(t, p), ts.signIn(t, mgr)
		resp, _ := ts.post(t, a, "/clients", fullForm(t, env, svc.ID))
		loc := resp.Header.Get("Location")

		_, formA := ts.get(t, a, loc+"/edit/gp")
		_, formB := ts.get(t, b, loc+"/edit/gp")
		_, formB2 := ts.get(t, b, loc+"/edit/contact")
		va, vb, vb2 := formValues(formA), formValues(formB), formValues(formB2)
		va.Set("gp.name", "Dr Adeyemi")
		if resp, _ := ts.post(t, a, loc+"/edit/gp", va); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("first save: %d", resp.StatusCode)
		}
		vb2.Set("contact.town", "Market Harborough")
		if resp, body := ts.post(t, b, loc+"/edit/contact", vb2); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("another part from the same version: %d %s", resp.StatusCode, errorSummary(body))
		}
		vb.Set("gp.name", "Dr Brennan")
		resp, body := ts.post(t, b, loc+"/edit/gp", vb)
		if resp.StatusCode != http.StatusConflict {
			t.Fatalf("the same part: %d, want 409", resp.StatusCode)
		}
		if !strings.Contains(body, "Dr Adeyemi") || !strings.Contains(body, `value="Dr Brennan"`) || !strings.Contains(errorSummary(body), "Someone else changed") {
			t.Fatal("the conflict does not show both versions")
		}
		// Saving again, over the new version, works.
		if resp, _ := ts.post(t, b, loc+"/edit/gp", formValues(body)); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("save after the conflict: %d", resp.StatusCode)
		}
		_, view := ts.get(t, a, loc)
		if !strings.Contains(view, "Dr Brennan") || !strings.Contains(view, "Market Harborough") {
			t.Error("a change was lost")
		}
	})
}

// Hide name, through the pages: outside the assigned team (here admin
// staff) the header shows initials and the case number, and the record
// neither the names nor the date of birth; the team sees them.
func TestHideNamePages(t *testing.T) {
	apptest.Each(t, func(t *testing.T, env *apptest.Env) {
		ts := newServer(t, env)
		svc := env.Service(t, "Counselling", false)
		worker := ts.signIn(t, env.Person(t, access.Caseworker, svc.ID))
		admin := ts.signIn(t, env.Person(t, access.AdminStaff, svc.ID))
		form := fullForm(t, env, svc.ID)
		form.Set("flags.hide_name", "yes")
		resp, _ := ts.post(t, worker, "/clients", form)
		loc := resp.Header.Get("Location")
		ref := casework.Reference(strings.TrimPrefix(loc, "/clients/"))

		_, mine := ts.get(t, worker, loc)
		if !strings.Contains(mine, "Shirin Ahmadzai") || !strings.Contains(mine, "Name hidden in lists") {
			t.Error("the team does not see the name")
		}
		resp, theirs := ts.get(t, admin, loc)
		if resp.StatusCode != 200 {
			t.Fatalf("admin staff: %d", resp.StatusCode)
		}
		for _, secret := range []string{"Shirin", "Ahmadzai", "Shiri", "Wardak", "1984"} {
			if strings.Contains(theirs, secret) {
				t.Errorf("admin staff see %q", secret)
			}
		}
		if !strings.Contains(theirs, "S.A.") || !strings.Contains(theirs, ref) || !strings.Contains(theirs, "Do not phone") {
			t.Error("admin staff do not see initials, case number and safe contact")
		}
		// Their personal details form has no names, and keeps the setting.
		_, f := ts.get(t, admin, loc+"/edit")
		if strings.Contains(f, `name="given_name"`) {
			t.Error("admin staff are offered the names")
		}
		_, f = ts.get(t, admin, loc+"/edit/flags")
		if strings.Contains(f, `type="checkbox" value="yes" checked`) && strings.Contains(f, "flags-hide-name") {
			t.Error("admin staff are offered to reveal the name")
		}
		if resp, body := ts.post(t, admin, loc+"/edit/flags", formValues(f)); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("admin staff save flags: %d %s", resp.StatusCode, errorSummary(body))
		}
		_, theirs = ts.get(t, admin, loc)
		if strings.Contains(theirs, "Shirin") {
			t.Error("saving the flags revealed the name")
		}
	})
}

// The organisation's lists page: managers and system administrators only;
// errors next to the item; changes shown on the forms.
func TestListsPage(t *testing.T) {
	apptest.Each(t, func(t *testing.T, env *apptest.Env) {
		ts := newServer(t, env)
		svc := env.Service(t, "Counselling", false)
		worker := ts.signIn(t, env.Person(t, access.Caseworker, svc.ID))
		mgr := ts.signIn(t, env.Person(t, access.Manager, svc.ID))
		if resp, _ := ts.get(t, worker, "/settings/lists"); resp.StatusCode != http.StatusForbidden {
			t.Fatalf("a caseworker opened the lists: %d", resp.StatusCode)
		}
		if resp, _ := ts.post(t, worker, "/settings/lists/flag", url.Values{"label": {"Sneaky"}}); resp.StatusCode != http.StatusForbidden {
			t.Fatalf("a caseworker added a flag: %d", resp.StatusCode)
		}
		resp, body := ts.get(t, mgr, "/settings/lists")
		if resp.StatusCode != 200 || !strings.Contains(body, "Address confidential") || !strings.Contains(body, "Friend or family") {
			t.Fatalf("lists page: %d", resp.StatusCode)
		}
		if resp, _ := ts.post(t, mgr, "/settings/lists/flag", url.Values{"label": {"Pets in the home"}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("add: %d", resp.StatusCode)
		}
		resp, body = ts.post(t, mgr, "/settings/lists/flag", url.Values{"label": {"pets IN the home"}})
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, `id="add-flag-error"`) || !strings.Contains(body, `value="pets IN the home"`) {
			t.Fatalf("duplicate: %d", resp.StatusCode)
		}
		pets := listItemID(t, env, casework.FlagList, "Pets in the home")
		resp, body = ts.post(t, mgr, "/settings/lists/items/"+pets, url.Values{"action": {"rename"}, "label": {""}})
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, `id="label-`+pets+`-error"`) {
			t.Fatalf("empty rename: %d", resp.StatusCode)
		}
		if resp, _ := ts.post(t, mgr, "/settings/lists/items/"+pets, url.Values{"action": {"rename"}, "label": {"Dogs in the home"}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("rename: %d", resp.StatusCode)
		}
		_, newForm := ts.get(t, worker, "/clients/new")
		if !strings.Contains(newForm, "Dogs in the home") {
			t.Error("the new flag is not offered")
		}
		for _, action := range []string{"up", "down", "retire"} {
			if resp, _ := ts.post(t, mgr, "/settings/lists/items/"+pets, url.Values{"action": {action}}); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("%s: %d", action, resp.StatusCode)
			}
		}
		_, newForm = ts.get(t, worker, "/clients/new")
		if strings.Contains(newForm, "Dogs in the home") {
			t.Error("a retired flag is still offered")
		}
	})
}

// The API: the whole record created, read and changed part by part, with
// the version; a stale version is 409 and changes nothing.
func TestRecordAPI(t *testing.T) {
	apptest.Each(t, func(t *testing.T, env *apptest.Env) {
		ctx := context.Background()
		ts := newServer(t, env)
		svc := env.Service(t, "Counselling", true)
		p := env.Person(t, access.Caseworker, svc.ID)
		colleague := env.Person(t, access.Caseworker, svc.ID)
		token, err := env.Staff.CreateToken(ctx, p.Email, 3600*1e9)
		if err != nil {
			t.Fatal(err)
		}
		otherToken, _ := env.Staff.CreateToken(ctx, colleague.Email, 3600*1e9)

		resp, out := ts.api(t, token, "GET", "/api/v1/lists", "")
		if resp.StatusCode != 200 || !strings.Contains(fmt.Sprint(out), "Address confidential") {
			t.Fatalf("lists: %d %v", resp.StatusCode, out)
		}
		body := `{"service":"Counselling","given_name":"Yonas","family_name":"Haile","date_of_birth":"1999-12-01",
			"preferred_name":"Yoni","previous_names":["Yonas Tesfay"],
			"details":{"pronouns":"he/him","first_language":"Tigrinya","interpreter_needed":true,"how_heard":"Another charity or support service","how_heard_detail":""},
			"contact":{"address_line_1":"4 Elm Row","town":"Bristol","postcode":"BS1 4DJ","phones":[{"label":"Mobile","number":"07700 900888"}],"email":"yonas@example.org"},
			"safe_contact":{"phone":"yes","text":"yes","email":"no","letter":"no","at_home":"yes","at_work":"","never_name_organisation":true},
			"gp":{"name":"Dr Lowe","surgery":"Old Market"},
			"support_network":[{"name":"Senait Haile","relationship":"Mother","phone":"","may_be_told":"Anything"}],
			"monitoring":{"ethnicity":{"answer":"black"},"religion":{"answer":"christian"}},
			"flags":{"risk":"medium","kinds":["Do not send letters"],"hide_name":true}}`
		resp, out = ts.api(t, token, "POST", "/api/v1/clients", body)
		if resp.StatusCode != 201 {
			t.Fatalf("create: %d %v", resp.StatusCode, out)
		}
		id := out["id"].(string)
		resp, out = ts.api(t, token, "GET", "/api/v1/clients/"+id, "")
		if resp.StatusCode != 200 {
			t.Fatalf("get: %d %v", resp.StatusCode, out)
		}
		got := fmt.Sprint(out)
		for _, want := range []string{"Yonas", "Yoni", "Yonas Tesfay", "Tigrinya", "Another charity or support service", "BS1 4DJ", "07700 900888",
			"Dr Lowe", "Senait Haile", "black", "christian", "Do not send letters", "Risk: medium", "Do not e-mail", "version:1"} {
			if !strings.Contains(got, want) {
				t.Errorf("the client lacks %q: %s", want, got)
			}
		}
		// Outside the team (a colleague on the shared caseload) the name is withheld.
		resp, out = ts.api(t, otherToken, "GET", "/api/v1/clients/"+id, "")
		if resp.StatusCode != 200 || out["name_withheld"] != true || out["given_name"] != nil || out["date_of_birth"] != nil || out["initials"] != "Y.H." {
			t.Fatalf("withheld: %d %v", resp.StatusCode, out)
		}
		resp, out = ts.api(t, otherToken, "PATCH", "/api/v1/clients/"+id, `{"version":1,"given_name":"X","family_name":"Y","date_of_birth":"1999-12-01"}`)
		if resp.StatusCode != 403 {
			t.Fatalf("a name change from outside the team: %d %v", resp.StatusCode, out)
		}

		for _, tc := range []struct {
			name   string
			body   string
			status int
			field  string
		}{
			{"no version", `{"gp":{"name":"Dr X"}}`, 400, "version"},
			{"unknown field", `{"version":1,"religion":"x"}`, 400, "religion"},
			{"service cannot change", `{"version":1,"service":"Advocacy"}`, 400, "service"},
			{"bad postcode", `{"version":1,"contact":{"postcode":"nowhere"}}`, 400, "contact.postcode"},
			{"names part needs every name", `{"version":1,"given_name":"Yonas"}`, 400, "family_name"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				resp, out := ts.api(t, token, "PATCH", "/api/v1/clients/"+id, tc.body)
				if resp.StatusCode != tc.status {
					t.Fatalf("status %d, want %d: %v", resp.StatusCode, tc.status, out)
				}
				if !strings.Contains(fmt.Sprint(out["error"]), "field:"+tc.field) {
					t.Errorf("error does not name %s: %v", tc.field, out)
				}
			})
		}

		resp, out = ts.api(t, token, "PATCH", "/api/v1/clients/"+id, `{"version":1,"gp":{"name":"Dr Rahman","surgery":"Lawrence Hill"}}`)
		if resp.StatusCode != 200 || out["version"] != float64(2) || !strings.Contains(fmt.Sprint(out["gp"]), "Dr Rahman") || !strings.Contains(fmt.Sprint(out["contact"]), "Bristol") {
			t.Fatalf("patch: %d %v", resp.StatusCode, out)
		}
		// The same part from the old version: 409, nothing written.
		resp, out = ts.api(t, token, "PATCH", "/api/v1/clients/"+id, `{"version":1,"gp":{"name":"Dr Stale"}}`)
		if resp.StatusCode != 409 || !strings.Contains(fmt.Sprint(out), "conflict") {
			t.Fatalf("stale patch: %d %v", resp.StatusCode, out)
		}
		// Another part from the old version: kept, and so is the first change.
		resp, out = ts.api(t, token, "PATCH", "/api/v1/clients/"+id, `{"version":1,"given_name":"Yonas","family_name":"Haile-Mariam","date_of_birth":"1999-12-01"}`)
		if resp.StatusCode != 200 || out["family_name"] != "Haile-Mariam" || !strings.Contains(fmt.Sprint(out["gp"]), "Dr Rahman") || out["preferred_name"] != nil {
			t.Fatalf("names patch: %d %v", resp.StatusCode, out)
		}
		// P23: changing a client one may not see is the same 404 as no client.
		outsider := env.Person(t, access.Caseworker, env.Service(t, "Advocacy", false).ID)
		outToken, _ := env.Staff.CreateToken(ctx, outsider.Email, 3600*1e9)
		r1, denied := ts.api(t, outToken, "PATCH", "/api/v1/clients/"+id, `{"version":3,"gp":{"name":"Dr X"}}`)
		r2, missing := ts.api(t, outToken, "PATCH", "/api/v1/clients/"+store.NewID(), `{"version":3,"gp":{"name":"Dr X"}}`)
		if r1.StatusCode != 404 || r2.StatusCode != 404 || !jsonEqual(denied, missing) {
			t.Fatalf("denied %d %v, missing %d %v", r1.StatusCode, denied, r2.StatusCode, missing)
		}
	})
}
