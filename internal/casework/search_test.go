package casework_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/caseward/caseward/internal/access"
	"github.com/caseward/caseward/internal/app/apptest"
	"github.com/caseward/caseward/internal/casework"
	"github.com/caseward/caseward/internal/store"
)

// newClient records a client with a phone number and returns their id.
func findable(t *testing.T, env *apptest.Env, p apptest.Person, service, given, family, dob, phone string) string {
	t.Helper()
	in := casework.ClientInput{ServiceID: service, GivenName: given, FamilyName: family, DateOfBirth: dob}
	if phone != "" {
		in.Contact = &casework.Contact{Phones: []casework.Phone{{Label: "Mobile", Number: phone}}}
	}
	id, err := env.Casework.CreateClient(context.Background(), p.Actor(), in)
	if err != nil {
		t.Fatalf("create %s %s: %v", given, family, err)
	}
	return id
}

func search(t *testing.T, env *apptest.Env, p apptest.Person, q casework.SearchQuery) casework.SearchResults {
	t.Helper()
	rs, err := env.Casework.Search(context.Background(), p.Actor(), access.Casework, q)
	if err != nil {
		t.Fatalf("search %+v: %v", q, err)
	}
	return rs
}

func ids(rs casework.SearchResults) []string {
	var out []string
	for _, r := range rs.Results {
		out = append(out, r.ID)
	}
	return out
}

// Search by name (exact, beginning, initial, typo, spelling variant and
// script), date of birth and phone, within what the worker may see.
func TestSearchFindsClients(t *testing.T) {
	apptest.Each(t, func(t *testing.T, env *apptest.Env) {
		svc := env.Service(t, "Counselling", false)
		w := env.Person(t, access.Caseworker, svc.ID)
		jamila := findable(t, env, w, svc.ID, "Jamila", "Khan", "1990-05-01", "07700 900123")
		muhammad := findable(t, env, w, svc.ID, "Muhammad", "Hussain", "1985-02-11", "")
		aleksandr := findable(t, env, w, svc.ID, "Aleksandr", "Petrov", "1979-12-30", "+44 7700 900456")
		maria := findable(t, env, w, svc.ID, "María José", "García-López", "2001-07-04", "")
		yusuf := findable(t, env, w, svc.ID, "يوسف", "Haddad", "1999-09-09", "")
		findable(t, env, w, svc.ID, "Jamal", "Okafor", "1990-03-03", "")

		for _, tc := range []struct {
			q     casework.SearchQuery
			want  []string // in order
			match casework.Match
		}{
			{casework.SearchQuery{Name: "Jamila Khan"}, []string{jamila}, casework.MatchExact},
			{casework.SearchQuery{Name: "khan jamila"}, []string{jamila}, casework.MatchExact},
			{casework.SearchQuery{Name: "Jam"}, nil, casework.MatchPrefix}, // Jamal and Jamila, checked below
			{casework.SearchQuery{Name: "J Khan"}, []string{jamila}, casework.MatchExact},
			{casework.SearchQuery{Name: "Jamilla"}, []string{jamila}, casework.MatchSounds},
			{casework.SearchQuery{Name: "Jamia Kahn"}, []string{jamila}, casework.MatchSpelling},
			{casework.SearchQuery{Name: "Mohammed Husain"}, []string{muhammad}, casework.MatchSounds},
			{casework.SearchQuery{Name: "Alexander"}, []string{aleksandr}, casework.MatchSounds},
			{casework.SearchQuery{Name: "Александр Петров"}, []string{aleksandr}, casework.MatchSounds},
			{casework.SearchQuery{Name: "maria garcia"}, []string{maria}, casework.MatchExact},
			{casework.SearchQuery{Name: "Lopez"}, []string{maria}, casework.MatchExact},
			{casework.SearchQuery{Name: "Yusuf"}, []string{yusuf}, casework.MatchSounds},
			{casework.SearchQuery{DateOfBirth: "1990-05-01"}, []string{jamila}, casework.MatchOther},
			{casework.SearchQuery{Name: "Khan", DateOfBirth: "1990"}, []string{jamila}, casework.MatchExact},
			{casework.SearchQuery{Name: "Khan", DateOfBirth: "1991"}, nil, ""},
			{casework.SearchQuery{Phone: "900123"}, []string{jamila}, casework.MatchOther},
			{casework.SearchQuery{Phone: "+44 7700 900123"}, []string{jamila}, casework.MatchOther},
			{casework.SearchQuery{Phone: "07700900456"}, []string{aleksandr}, casework.MatchOther},
			{casework.SearchQuery{Name: "Zebedee"}, nil, ""},
		} {
			rs := search(t, env, w, tc.q)
			if tc.q.Name == "Jam" {
				if len(rs.Results) != 2 || rs.Results[0].Match != casework.MatchPrefix {
					t.Errorf("%+v: %d results, want Jamal and Jamila by their beginning", tc.q, len(rs.Results))
				}
				continue
			}
			if got := ids(rs); !slices.Equal(got, tc.want) {
				t.Errorf("%+v: found %v, want %v", tc.q, got, tc.want)
				continue
			}
			if len(rs.Results) > 0 && rs.Results[0].Match != tc.match {
				t.Errorf("%+v: match %q, want %q", tc.q, rs.Results[0].Match, tc.match)
			}
			if rs.Total != len(tc.want) || rs.More || rs.Truncated {
				t.Errorf("%+v: total %d more %v truncated %v", tc.q, rs.Total, rs.More, rs.Truncated)
			}
		}

		// Two words of the query may match one word of the name.
		if got := ids(search(t, env, w, casework.SearchQuery{Name: "Muhammad Mohammed"})); !slices.Equal(got, []string{muhammad}) {
			t.Errorf("two spellings of one name found %v", got)
		}

		// An exact match ranks above a variant.
		findable(t, env, w, svc.ID, "Mohammed", "Ali", "1970-01-01", "")
		rs := search(t, env, w, casework.SearchQuery{Name: "Mohammed"})
		if len(rs.Results) != 2 || rs.Results[0].Match != casework.MatchExact || rs.Results[1].ID != muhammad {
			t.Errorf("Mohammed: %+v", rs.Results)
		}
	})
}

func TestSearchRefusesEmptyAndBadQueries(t *testing.T) {
	apptest.Each(t, func(t *testing.T, env *apptest.Env) {
		svc := env.Service(t, "Counselling", false)
		w := env.Person(t, access.Caseworker, svc.ID)
		for _, tc := range []struct {
			q     casework.SearchQuery
			field string
		}{
			{casework.SearchQuery{}, "name"},
			{casework.SearchQuery{Name: "J"}, "name"},
			{casework.SearchQuery{Name: "a b c d e f g h i"}, "name"},
			{casework.SearchQuery{Name: "Ann\x00"}, "name"},
			{casework.SearchQuery{Name: "Ann", DateOfBirth: "1990-02-30"}, "date_of_birth"},
			{casework.SearchQuery{Name: "Ann", DateOfBirth: "2999"}, "date_of_birth"},
			{casework.SearchQuery{Phone: "12345"}, "phone"},
			{casework.SearchQuery{Phone: "call 0770090012"}, "phone"},
		} {
			_, err := env.Casework.Search(context.Background(), w.Actor(), access.Casework, tc.q)
			var ve *casework.ValidationError
			if !errors.As(err, &ve) || ve.For(tc.field) == "" {
				t.Errorf("%+v: %v, want a message for %s", tc.q, err, tc.field)
				continue
			}
			// Messages never repeat what was typed.
			for _, f := range ve.Fields {
				for _, typed := range []string{tc.q.Name, tc.q.DateOfBirth, tc.q.Phone} {
					if typed != "" && len(typed) > 2 && strings.Contains(f.Message, typed) {
						t.Errorf("message %q repeats %q", f.Message, typed)
					}
				}
			}
		}
	})
}

// P13, P23: a search never finds, counts or opens a client the worker may
// not see, however well the name matches.
func TestSearchStaysWithinReach(t *testing.T) {
	apptest.Each(t, func(t *testing.T, env *apptest.Env) {
		ctx := context.Background()
		counselling := env.Service(t, "Counselling", false)
		advocacy := env.Service(t, "Advocacy", true)
		amy := env.Person(t, access.Caseworker, counselling.ID)
		bo := env.Person(t, access.Caseworker, counselling.ID)
		cy := env.Person(t, access.Caseworker, advocacy.ID)
		mgr := env.Person(t, access.Manager, counselling.ID)
		dpo := env.Person(t, access.DPO)
		amys := findable(t, env, amy, counselling.ID, "Jamila", "Khan", "1990-05-01", "")
		bos := findable(t, env, bo, counselling.ID, "Jamila", "Khan", "1990-05-01", "")
		cys := findable(t, env, cy, advocacy.ID, "Jamila", "Khan", "1990-05-01", "")
		q := casework.SearchQuery{Name: "Jamila Khan"}

		for _, tc := range []struct {
			who  apptest.Person
			want []string
		}{
			{amy, []string{amys}},                // her own; not Bo's (the service's caseload is not shared)
			{bo, []string{bos}},                  // likewise
			{mgr, sorted(amys, bos)},             // the service's manager: the service's clients
			{cy, []string{cys}},                  // Advocacy only
			{env.Person(t, access.Trustee), nil}, // P14
			{env.Person(t, access.Sysadmin), nil},
		} {
			rs, err := env.Casework.Search(ctx, tc.who.Actor(), access.Casework, q)
			if err != nil {
				t.Fatal(err)
			}
			if got := sorted(ids(rs)...); !slices.Equal(got, tc.want) {
				t.Errorf("%s finds %v, want %v", tc.who.Role, got, tc.want)
			}
			if rs.Total != len(tc.want) {
				t.Errorf("%s: total %d counts clients out of reach", tc.who.Role, rs.Total)
			}
		}
		// The DPO finds anyone, for a rights request only.
		rs, err := env.Casework.Search(ctx, dpo.Actor(), access.RightsRequest, q)
		if err != nil || len(rs.Results) != 3 {
			t.Errorf("DPO for a rights request: %d results, %v", len(rs.Results), err)
		}
		rs, _ = env.Casework.Search(ctx, dpo.Actor(), access.Casework, q)
		if len(rs.Results) != 0 {
			t.Errorf("DPO for casework finds %d", len(rs.Results))
		}

		// Nothing outside Amy's reach was opened (no audit entry naming
		// her against Bo's or Cy's client), and her own client's opening
		// is recorded.
		for id, want := range map[string]int{amys: 1, bos: 0, cys: 0} {
			es, err := env.Gate.Audit().ForClient(ctx, id, 100)
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, e := range es {
				if e.Actor == amy.ID && e.Action == "client.view-contact" {
					n++
				}
			}
			if n != want {
				t.Errorf("Amy has %d audit entries on a client, want %d", n, want)
			}
		}
	})
}

func sorted(ss ...string) []string {
	out := slices.Clone(ss)
	slices.Sort(out)
	return out
}

// A client whose name is hidden is found, but shows as initials and case
// number, without date of birth, to anyone outside the assigned team.
func TestSearchHidesHiddenNames(t *testing.T) {
	apptest.Each(t, func(t *testing.T, env *apptest.Env) {
		ctx := context.Background()
		svc := env.Service(t, "Refuge", true)
		amy := env.Person(t, access.Caseworker, svc.ID)
		bo := env.Person(t, access.Caseworker, svc.ID)
		admin := env.Person(t, access.AdminStaff, svc.ID)
		id := findable(t, env, amy, svc.ID, "Leila", "Farouk", "1988-08-08", "")
		c, err := env.Casework.Client(ctx, amy.Actor(), id, access.Casework)
		if err != nil {
			t.Fatal(err)
		}
		if err := env.Casework.UpdateRecord(ctx, amy.Actor(), id, c.Version, casework.RecordParts{Flags: &casework.Flags{HideName: true}}); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			who    apptest.Person
			hidden bool
		}{{amy, false}, {bo, true}, {admin, true}} {
			rs, err := env.Casework.Search(ctx, tc.who.Actor(), access.Casework, casework.SearchQuery{Name: "Leila Farouk"})
			if err != nil || len(rs.Results) != 1 {
				t.Fatalf("%s: %d results, %v", tc.who.Role, len(rs.Results), err)
			}
			r := rs.Results[0]
			if r.Hidden != tc.hidden {
				t.Errorf("%s: hidden %v", tc.who.Role, r.Hidden)
			}
			if tc.hidden && (strings.Contains(r.DisplayName, "Leila") || strings.Contains(r.DisplayName, "Farouk") || !r.DateOfBirth.IsZero() || r.DisplayName != "L.F.") {
				t.Errorf("%s sees %q, born %v", tc.who.Role, r.DisplayName, r.DateOfBirth)
			}
			if !tc.hidden && r.DisplayName != "Leila Farouk" {
				t.Errorf("the assigned worker sees %q", r.DisplayName)
			}
		}
	})
}

// Results come in a stable order (how well the name matched, then family
// name, then id), a page at a time, each client on exactly one page.
func TestSearchPagesAreStable(t *testing.T) {
	apptest.Each(t, func(t *testing.T, env *apptest.Env) {
		svc := env.Service(t, "Advice", true)
		w := env.Person(t, access.Caseworker, svc.ID)
		var all []string
		for i := range 45 {
			family := fmt.Sprintf("Ahmed%c", 'a'+i%7) // Ahmeda … Ahmedg: found by their beginning
			if i%3 == 0 {
				family = "Ahmed"
			}
			all = append(all, findable(t, env, w, svc.ID, fmt.Sprintf("Client%02d", i), family, "1980-01-01", ""))
		}
		var seen []string
		var families []string
		for page := 1; ; page++ {
			q := casework.SearchQuery{Name: "Ahmed", Page: page}
			rs := search(t, env, w, q)
			again := search(t, env, w, q)
			if !slices.Equal(ids(rs), ids(again)) {
				t.Fatalf("page %d differs between two searches", page)
			}
			if len(rs.Results) > casework.SearchPageSize {
				t.Fatalf("page %d has %d results", page, len(rs.Results))
			}
			for _, r := range rs.Results {
				seen = append(seen, r.ID)
				families = append(families, string(r.Match)+" "+strings.Fields(r.DisplayName)[1])
			}
			if !rs.More {
				break
			}
			if page > 5 {
				t.Fatal("too many pages")
			}
		}
		if len(seen) != len(all) || !slices.Equal(sorted(seen...), sorted(all...)) {
			t.Fatalf("pages hold %d clients, want each of %d once", len(seen), len(all))
		}
		// The 15 exact matches first, then the others by family name.
		for i, f := range families {
			if (i < 15) != strings.HasPrefix(f, "exact Ahmed") {
				t.Fatalf("result %d is %q", i, f)
			}
		}
		if !slices.IsSorted(families[15:]) {
			t.Errorf("beginnings not in family-name order: %v", families[15:])
		}
	})
}

// The index follows the record: a changed name or phone is found by its
// new value and no longer by the old; erasure removes every trace.
func TestSearchIndexFollowsRecord(t *testing.T) {
	apptest.Each(t, func(t *testing.T, env *apptest.Env) {
		ctx := context.Background()
		svc := env.Service(t, "Counselling", false)
		w := env.Person(t, access.Caseworker, svc.ID)
		id := findable(t, env, w, svc.ID, "Zofia", "Kowalczyk", "1979-06-30", "07700 900111")
		c, err := env.Casework.Client(ctx, w.Actor(), id, access.Casework)
		if err != nil {
			t.Fatal(err)
		}
		err = env.Casework.UpdateClient(ctx, w.Actor(), id, c.Version, casework.ClientInput{
			GivenName: "Zofia", FamilyName: "Nowak", DateOfBirth: "1979-06-30", PreviousNames: []string{"Kowalczyk"}, PreferredName: "Zosia",
		})
		if err != nil {
			t.Fatal(err)
		}
		c, _ = env.Casework.Client(ctx, w.Actor(), id, access.Casework)
		if err := env.Casework.UpdateRecord(ctx, w.Actor(), id, c.Version, casework.RecordParts{
			Contact: &casework.Contact{Phones: []casework.Phone{{Label: "Mobile", Number: "07700 900222"}}},
		}); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			q     casework.SearchQuery
			found bool
		}{
			{casework.SearchQuery{Name: "Nowak"}, true},
			{casework.SearchQuery{Name: "Kowalczyk"}, true}, // a previous name
			{casework.SearchQuery{Name: "Zosia"}, true},     // the preferred name
			{casework.SearchQuery{Phone: "900222"}, true},
			{casework.SearchQuery{Phone: "900111"}, false},
		} {
			if got := len(search(t, env, w, tc.q).Results) == 1; got != tc.found {
				t.Errorf("%+v: found %v, want %v", tc.q, got, tc.found)
			}
		}
		// Names changed without the previous name: the old one goes.
		c, _ = env.Casework.Client(ctx, w.Actor(), id, access.Casework)
		if err := env.Casework.UpdateClient(ctx, w.Actor(), id, c.Version, casework.ClientInput{GivenName: "Zofia", FamilyName: "Nowak", DateOfBirth: "1979-06-30"}); err != nil {
			t.Fatal(err)
		}
		if n := len(search(t, env, w, casework.SearchQuery{Name: "Kowalczyk"}).Results); n != 0 {
			t.Errorf("an old name still finds the client")
		}
		if err := env.DB.Tx(ctx, func(tx *store.Tx) error { return env.Casework.DeleteIndexes(ctx, tx, id) }); err != nil {
			t.Fatal(err)
		}
		for _, q := range []casework.SearchQuery{{Name: "Nowak"}, {DateOfBirth: "1979-06-30"}, {Phone: "900222"}} {
			if n := len(search(t, env, w, q).Results); n != 0 {
				t.Errorf("%+v finds an erased client", q)
			}
		}
		var rows int
		if err := env.DB.QueryRow(ctx, "SELECT COUNT(*) FROM client_search WHERE client_id = ?", id).Scan(&rows); err != nil || rows != 0 {
			t.Errorf("%d index rows left, %v", rows, err)
		}
	})
}

// The index is kept by service, and follows the client's links: a case
// opened in a second service makes them findable there, and closing the
// first service's case takes their rows out of it, so a search reads only
// the rows of the services the searcher works in.
func TestSearchIndexFollowsLinks(t *testing.T) {
	apptest.Each(t, func(t *testing.T, env *apptest.Env) {
		ctx := context.Background()
		counselling := env.Service(t, "Counselling", false)
		advocacy := env.Service(t, "Advocacy", false)
		amy := env.Person(t, access.Caseworker, counselling.ID)
		bo := env.Person(t, access.Caseworker, advocacy.ID)
		both := env.Person(t, access.Manager, counselling.ID, advocacy.ID)
		counsellingMgr := env.Person(t, access.Manager, counselling.ID)
		id := findable(t, env, amy, counselling.ID, "Farida", "Osman", "1985-02-11", "")
		q := casework.SearchQuery{Name: "Farida Osman"}
		scopes := func() []string {
			t.Helper()
			rows, err := env.DB.Query(ctx, "SELECT DISTINCT scope FROM client_search WHERE client_id = ? ORDER BY scope", id)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			var out []string
			for rows.Next() {
				var s string
				if err := rows.Scan(&s); err != nil {
					t.Fatal(err)
				}
				out = append(out, s)
			}
			return out
		}
		if got := scopes(); !slices.Equal(got, []string{counselling.ID}) {
			t.Fatalf("scopes %v, want Counselling's only", got)
		}
		if n := len(search(t, env, bo, q).Results); n != 0 {
			t.Fatalf("Advocacy finds a client it has no work with")
		}

		first := onlyCase(t, env, amy, id)
		if _, err := env.Casework.OpenCase(ctx, both.Actor(), id, casework.CaseInput{ServiceID: advocacy.ID, Kind: "referral", OwnerID: bo.ID}); err != nil {
			t.Fatal(err)
		}
		if got := scopes(); !slices.Equal(got, sorted(counselling.ID, advocacy.ID)) {
			t.Errorf("after a case in Advocacy, scopes %v", got)
		}
		if got := ids(search(t, env, bo, q)); !slices.Equal(got, []string{id}) {
			t.Errorf("Advocacy's new owner finds %v", got)
		}
		if got := ids(search(t, env, both, q)); !slices.Equal(got, []string{id}) {
			t.Errorf("a manager of both services finds %v, want the client once", got)
		}

		err := env.Casework.SetCaseStatus(ctx, both.Actor(), id, first.ID, casework.StatusInput{Status: "closed", Reason: string(casework.CloseReasons[0]), Version: first.Version})
		if err != nil {
			t.Fatal(err)
		}
		if got := scopes(); !slices.Equal(got, []string{advocacy.ID}) {
			t.Errorf("after Counselling's case closed, scopes %v", got)
		}
		if n := len(search(t, env, counsellingMgr, q).Results); n != 0 {
			t.Errorf("Counselling's manager still finds a client it no longer works with")
		}
		// A change to the record keeps the scopes it has.
		c, err := env.Casework.Client(ctx, bo.Actor(), id, access.Casework)
		if err != nil {
			t.Fatal(err)
		}
		if err := env.Casework.UpdateClient(ctx, bo.Actor(), id, c.Version, casework.ClientInput{GivenName: "Farida", FamilyName: "Abdi", DateOfBirth: "1985-02-11"}); err != nil {
			t.Fatal(err)
		}
		if got := scopes(); !slices.Equal(got, []string{advocacy.ID}) {
			t.Errorf("after a change of name, scopes %v", got)
		}
		if got := ids(search(t, env, bo, casework.SearchQuery{Name: "Farida Abdi"})); !slices.Equal(got, []string{id}) {
			t.Errorf("the new name finds %v", got)
		}
	})
}

// Migration 0009 scopes an index made before it: each row is copied to
// every service the client is linked to, so clients recorded before the
// upgrade are found as before.
func TestSearchScopeMigration(t *testing.T) {
	apptest.Each(t, func(t *testing.T, env *apptest.Env) {
		ctx := context.Background()
		counselling := env.Service(t, "Counselling", false)
		mgr := env.Person(t, access.Manager, counselling.ID)
		id := findable(t, env, mgr, counselling.ID, "Dawit", "Tesfaye", "1992-09-09", "07700 900333")
		// Put the index back as it was before 0009: one row per tag, no scope.
		err := env.DB.Tx(ctx, func(tx *store.Tx) error {
			for _, q := range []string{
				`CREATE TABLE client_search_old (tag TEXT NOT NULL, client_id TEXT NOT NULL, part TEXT NOT NULL, PRIMARY KEY (tag, client_id))`,
				`INSERT INTO client_search_old (tag, client_id, part) SELECT DISTINCT tag, client_id, part FROM client_search`,
				`DROP TABLE client_search`,
				`ALTER TABLE client_search_old RENAME TO client_search`,
				`DELETE FROM schema_migrations WHERE component = 'casework' AND version = 9`,
			} {
				if _, err := tx.Exec(ctx, q); err != nil {
					return fmt.Errorf("%s: %w", q, err)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		cw, err := casework.New(ctx, env.DB, env.Gate, env.Clock.Now)
		if err != nil {
			t.Fatalf("migrate: %v", err)
		}
		for _, q := range []casework.SearchQuery{{Name: "Dawit Tesfaye"}, {Name: "Dawitt"}, {Phone: "900333"}} {
			rs, err := cw.Search(ctx, mgr.Actor(), access.Casework, q)
			if err != nil {
				t.Fatal(err)
			}
			if got := ids(rs); !slices.Equal(got, []string{id}) {
				t.Errorf("after the migration, %+v finds %v", q, got)
			}
		}
		var unscoped int
		if err := env.DB.QueryRow(ctx, "SELECT COUNT(*) FROM client_search WHERE scope <> ?", counselling.ID).Scan(&unscoped); err != nil || unscoped != 0 {
			t.Errorf("%d rows outside the client's service, %v", unscoped, err)
		}
	})
}

// P23: the intake check says only that a possible match exists and whom
// to ask, never who, how many or which record; it is audited without a
// client id, and limited per person per hour.
func TestIntakeCheck(t *testing.T) {
	apptest.Each(t, func(t *testing.T, env *apptest.Env) {
		ctx := context.Background()
		counselling := env.Service(t, "Counselling", false)
		refuge := env.Service(t, "Refuge", false)
		amy := env.Person(t, access.Caseworker, counselling.ID)
		rae := env.Person(t, access.Caseworker, refuge.ID)
		rmgr := env.Person(t, access.Manager, refuge.ID)
		theirs := findable(t, env, rae, refuge.ID, "Muhammad", "Hussain", "1985-02-11", "")
		findable(t, env, rmgr, refuge.ID, "Mohamed", "Husain", "1985-02-11", "") // unowned work
		mine := findable(t, env, amy, counselling.ID, "Jamila", "Khan", "1990-05-01", "")

		check := func(p apptest.Person, given, family, dob string) casework.IntakeAnswer {
			t.Helper()
			a, err := env.Casework.IntakeCheck(ctx, p.Actor(), casework.IntakeQuery{GivenName: given, FamilyName: family, DateOfBirth: dob})
			if err != nil {
				t.Fatalf("intake check: %v", err)
			}
			return a
		}
		a := check(amy, "Mohammed", "Hussein", "1985-02-11")
		want := []access.Link{{ServiceID: refuge.ID}, {ServiceID: refuge.ID, WorkerID: rae.ID}}
		if !a.PossibleMatch || !slices.Equal(a.Ask, want) || a.AskDPO || a.YouCanSee {
			t.Errorf("possible match: %+v, want ask %v", a, want)
		}
		// The answer holds nothing but whom to ask.
		if s := fmt.Sprintf("%+v", a); strings.Contains(s, theirs) || strings.Contains(s, "Muhammad") || strings.Contains(s, "1985") {
			t.Errorf("the answer reveals the record: %s", s)
		}
		for _, tc := range []struct{ given, family, dob string }{
			{"Mohammed", "Hussein", "1985-02-12"}, // another date of birth
			{"Mohammed", "Khan", "1985-02-11"},    // another family name
			{"Ali", "Hussein", "1985-02-11"},      // another given name
		} {
			if a := check(amy, tc.given, tc.family, tc.dob); a.PossibleMatch || len(a.Ask) > 0 {
				t.Errorf("%v: %+v", tc, a)
			}
		}
		// One word in both names.
		findable(t, env, rae, refuge.ID, "Abdi", "Abdi", "1970-07-07", "")
		if a := check(amy, "Abdi", "Abdi", "1970-07-07"); !a.PossibleMatch {
			t.Errorf("Abdi Abdi: %+v", a)
		}

		// Names in either order; a match Amy can see says so.
		if a := check(amy, "Khan", "Jamilla", "1990-05-01"); !a.PossibleMatch || !a.YouCanSee || a.Ask[0].ServiceID != counselling.ID {
			t.Errorf("own client: %+v", a)
		}
		_ = mine

		// Audited, with no client id (read from the table: the log has no
		// reader for entries about no client).
		rows, err := env.DB.Query(ctx, "SELECT actor, client_id, record_ids, reason FROM audit_entries WHERE action = 'client.intake-check'")
		if err != nil {
			t.Fatal(err)
		}
		reasons := map[string]int{}
		for rows.Next() {
			var actor, client, records, reason string
			if err := rows.Scan(&actor, &client, &records, &reason); err != nil {
				t.Fatal(err)
			}
			reasons[reason]++
			if client != "" || records != "" || actor != amy.ID {
				t.Errorf("audit entry names %q %q %q", actor, client, records)
			}
		}
		rows.Close()
		if reasons["possible-match"] != 3 || reasons["no-match"] != 3 {
			t.Errorf("audit reasons %v", reasons)
		}

		// Roles that take on no clients may not ask.
		for _, role := range []access.Role{access.DPO, access.Trustee, access.Sysadmin} {
			_, err := env.Casework.IntakeCheck(ctx, env.Person(t, role).Actor(), casework.IntakeQuery{GivenName: "A", FamilyName: "B", DateOfBirth: "2000-01-01"})
			if !errors.Is(err, casework.ErrForbidden) {
				t.Errorf("%s: %v", role, err)
			}
		}
		// All three fields are needed.
		_, err = env.Casework.IntakeCheck(ctx, amy.Actor(), casework.IntakeQuery{GivenName: "Mohammed"})
		var ve *casework.ValidationError
		if !errors.As(err, &ve) || ve.For("family_name") == "" || ve.For("date_of_birth") == "" {
			t.Errorf("incomplete query: %v", err)
		}

		// The limit: so many an hour, then refused (and audited), then
		// allowed again an hour later.
		bo := env.Person(t, access.Caseworker, counselling.ID)
		for range casework.IntakeChecksPerHour {
			check(bo, "Ann", "Other", "2000-01-01")
		}
		_, err = env.Casework.IntakeCheck(ctx, bo.Actor(), casework.IntakeQuery{GivenName: "Mohammed", FamilyName: "Hussein", DateOfBirth: "1985-02-11"})
		if !errors.Is(err, casework.ErrRateLimited) {
			t.Fatalf("check over the limit: %v", err)
		}
		env.Clock.Advance(time.Hour + time.Second)
		check(bo, "Ann", "Other", "2000-01-01")
	})
}

// A search opens (and so audits) only the clients its page needs, and at
// most MaxSearchOpened however broad the query.
func TestSearchOpensOnlyWhatItNeeds(t *testing.T) {
	apptest.Each(t, func(t *testing.T, env *apptest.Env) {
		ctx := context.Background()
		svc := env.Service(t, "Advice", true)
		w := env.Person(t, access.Caseworker, svc.ID)
		for range casework.MaxSearchOpened + 10 {
			findable(t, env, w, svc.ID, "Sam", "Ahmed", "1980-01-01", "")
		}
		samira := findable(t, env, w, svc.ID, "Samira", "Khan", "1990-01-01", "")
		opens := func() int {
			var n int
			if err := env.DB.QueryRow(ctx, "SELECT COUNT(*) FROM audit_entries WHERE actor = ? AND action = 'client.view-contact'", w.ID).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		before := opens()
		rs := search(t, env, w, casework.SearchQuery{Name: "Samira Khan"})
		if got := ids(rs); len(got) != 1 || got[0] != samira || opens()-before != 1 {
			t.Errorf("a precise search found %v and opened %d", got, opens()-before)
		}
		before = opens()
		rs = search(t, env, w, casework.SearchQuery{Name: "Ahmed"})
		if len(rs.Results) != casework.SearchPageSize || !rs.More || rs.Total != -1 {
			t.Errorf("broad search: %d results, more %v, total %d", len(rs.Results), rs.More, rs.Total)
		}
		// So many equal matches are taken in the index's order, as many as
		// the page needs, rather than all opened to sort them by name.
		if n := opens() - before; n > casework.SearchPageSize+1 {
			t.Errorf("the first page of a broad search opened %d clients", n)
		}
		// Its pages still hold each client once, up to MaxSearchOpened.
		seen := map[string]bool{}
		for page := 1; ; page++ {
			rs := search(t, env, w, casework.SearchQuery{Name: "Ahmed", Page: page})
			for _, id := range ids(rs) {
				if seen[id] {
					t.Fatalf("page %d repeats a client", page)
				}
				seen[id] = true
			}
			if !rs.More {
				if !rs.Truncated || len(seen) != casework.MaxSearchOpened {
					t.Errorf("last page %d: truncated %v after %d clients", page, rs.Truncated, len(seen))
				}
				break
			}
		}
	})
}
