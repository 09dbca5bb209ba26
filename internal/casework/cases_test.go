package casework_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/caseward/caseward/internal/access"
	"github.com/caseward/caseward/internal/app/apptest"
	"github.com/caseward/caseward/internal/audit"
	"github.com/caseward/caseward/internal/casework"
	"github.com/caseward/caseward/internal/gate"
	"github.com/caseward/caseward/internal/store"
)

// newClient records a client in service as p and returns their id.
func newClient(t *testing.T, env *apptest.Env, p apptest.Person, serviceID, given string) string {
	t.Helper()
	id, err := env.Casework.CreateClient(context.Background(), p.Actor(), casework.ClientInput{
		ServiceID: serviceID, GivenName: given, FamilyName: "Testperson", DateOfBirth: "1990-04-01",
	})
	if err != nil {
		t.Fatalf("create client: %v", err)
	}
	return id
}

// sees reports whether p may open the client's record.
func sees(t *testing.T, env *apptest.Env, p apptest.Person, clientID string) bool {
	t.Helper()
	_, err := env.Gate.OpenClient(context.Background(), p.Actor(), clientID, access.Casework, access.ViewRecord)
	switch {
	case err == nil:
		return true
	case errors.Is(err, gate.ErrNotFound):
		return false
	}
	t.Fatalf("open client: %v", err)
	return false
}

func onlyCase(t *testing.T, env *apptest.Env, p apptest.Person, clientID string) casework.Case {
	t.Helper()
	l, err := env.Casework.Cases(context.Background(), p.Actor(), clientID, access.Casework)
	if err != nil {
		t.Fatalf("cases: %v", err)
	}
	if len(l.Cases) != 1 {
		t.Fatalf("%d cases, want 1", len(l.Cases))
	}
	return l.Cases[0]
}

func detail(t *testing.T, env *apptest.Env, p apptest.Person, clientID, caseID string) casework.CaseDetail {
	t.Helper()
	d, err := env.Casework.Case(context.Background(), p.Actor(), clientID, caseID, access.Casework)
	if err != nil {
		t.Fatalf("case: %v", err)
	}
	return d
}

// fieldsOf returns the fields a validation error names, or fails.
func fieldsOf(t *testing.T, err error) []string {
	t.Helper()
	var ve *casework.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("error %v, want a validation error", err)
	}
	var out []string
	for _, f := range ve.Fields {
		out = append(out, f.Field)
	}
	return out
}

func countRows(t *testing.T, env *apptest.Env, table string) int {
	t.Helper()
	var n int
	if err := env.DB.QueryRow(context.Background(), "SELECT COUNT(*) FROM "+table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// P03: every enquiry has one named owner. A caseworker who records a client
// owns its first case; further cases name their owner, who must work in
// the case's service.
func TestCasesHaveOneNamedOwner(t *testing.T) {
	apptest.Each(t, func(t *testing.T, env *apptest.Env) {
		ctx := context.Background()
		counselling := env.Service(t, "Counselling", false)
		advocacy := env.Service(t, "Advocacy", false)
		amy := env.Person(t, access.Caseworker, counselling.ID, advocacy.ID)
		bo := env.Person(t, access.Caseworker, advocacy.ID)
		mgr := env.Person(t, access.Manager, counselling.ID)

		id := newClient(t, env, amy, counselling.ID, "Amira")
		first := onlyCase(t, env, amy, id)
		if first.OwnerID != amy.ID || first.Status != casework.CaseOpen || first.Kind != casework.Enquiry || first.ServiceID != counselling.ID {
			t.Fatalf("first case %+v, want an open enquiry in Counselling owned by its recorder", first)
		}
		if !first.OpenedOn.Equal(env.Clock.Now().Truncate(24*60*60*1e9)) || !first.ClosedOn.IsZero() {
			t.Errorf("opened %v closed %v", first.OpenedOn, first.ClosedOn)
		}
		d := detail(t, env, amy, id, first.ID)
		if len(d.Events) != 1 || d.Events[0].Kind != casework.EventOpened || d.Events[0].ByID != amy.ID || d.Events[0].ToOwnerID != amy.ID {
			t.Fatalf("history %+v, want one opening by Amy", d.Events)
		}

		// A manager who records a client opens no case: the work is the
		// service's until someone opens one, and the manager still sees them.
		unowned := newClient(t, env, mgr, counselling.ID, "Unowned")
		if l, err := env.Casework.Cases(ctx, mgr.Actor(), unowned, access.Casework); err != nil || len(l.Cases) != 0 {
			t.Fatalf("manager's client: %v cases, %v", len(l.Cases), err)
		}

		// A second case in another service, owned by a colleague there.
		second, err := env.Casework.OpenCase(ctx, amy.Actor(), id, casework.CaseInput{ServiceID: advocacy.ID, Kind: "referral", OwnerID: bo.ID, OpenedOn: "2026-11-20"})
		if err != nil {
			t.Fatal(err)
		}
		if !sees(t, env, bo, id) {
			t.Error("the owner of the new case cannot see the client")
		}
		l, err := env.Casework.Cases(ctx, amy.Actor(), id, access.Casework)
		if err != nil || len(l.Cases) != 2 {
			t.Fatalf("cases: %d %v", len(l.Cases), err)
		}
		c2 := l.Cases[0] // opened earlier in the month than the first
		if c2.ID != second || c2.OwnerID != bo.ID || c2.Kind != casework.Referral || c2.OpenedOn.Format(casework.DateLayout) != "2026-11-20" {
			t.Errorf("second case %+v", c2)
		}
		// Bo works only in Advocacy: he sees that case, not Counselling's.
		if l, err := env.Casework.Cases(ctx, bo.Actor(), id, access.Casework); err != nil || len(l.Cases) != 1 || l.Cases[0].ID != second {
			t.Errorf("Bo sees %d cases (%v), want only Advocacy's", len(l.Cases), err)
		}

		// Every case in the database names exactly one owner who works in
		// its service.
		rows, err := env.DB.Query(ctx, "SELECT owner_id, service_id FROM cases")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		n := 0
		for rows.Next() {
			var owner, svc string
			if err := rows.Scan(&owner, &svc); err != nil {
				t.Fatal(err)
			}
			u, err := env.Staff.UserByID(ctx, owner)
			if err != nil || !slices.Contains(u.Services, svc) {
				t.Errorf("case owner %q is not a worker of its service: %v", owner, err)
			}
			n++
		}
		if n != 2 {
			t.Errorf("%d cases, want 2", n)
		}
	})
}

// Bad input comes back as field messages, and nothing is written.
func TestOpenCaseBadInput(t *testing.T) {
	apptest.Each(t, func(t *testing.T, env *apptest.Env) {
		ctx := context.Background()
		counselling := env.Service(t, "Counselling", false)
		advocacy := env.Service(t, "Advocacy", false)
		amy := env.Person(t, access.Caseworker, counselling.ID)
		outsider := env.Person(t, access.Caseworker, advocacy.ID)
		admin := env.Person(t, access.AdminStaff, counselling.ID)
		id := newClient(t, env, amy, counselling.ID, "Amira")
		cases, events := countRows(t, env, "cases"), countRows(t, env, "case_events")
		for _, tt := range []struct {
			name   string
			in     casework.CaseInput
			fields []string
		}{
			{"nothing", casework.CaseInput{}, []string{"service", "kind", "owner"}},
			{"not my service", casework.CaseInput{ServiceID: advocacy.ID, Kind: "work", OwnerID: outsider.ID}, []string{"service"}},
			{"owner not in the service", casework.CaseInput{ServiceID: counselling.ID, Kind: "work", OwnerID: outsider.ID}, []string{"owner"}},
			{"admin staff cannot own", casework.CaseInput{ServiceID: counselling.ID, Kind: "work", OwnerID: admin.ID}, []string{"owner"}},
			{"unknown kind", casework.CaseInput{ServiceID: counselling.ID, Kind: "chat", OwnerID: amy.ID}, []string{"kind"}},
			{"future date", casework.CaseInput{ServiceID: counselling.ID, Kind: "work", OwnerID: amy.ID, OpenedOn: "2027-01-01"}, []string{"opened_on"}},
			{"not a date", casework.CaseInput{ServiceID: counselling.ID, Kind: "work", OwnerID: amy.ID, OpenedOn: "2026-02-30"}, []string{"opened_on"}},
		} {
			t.Run(tt.name, func(t *testing.T) {
				_, err := env.Casework.OpenCase(ctx, amy.Actor(), id, tt.in)
				if got := fieldsOf(t, err); !slices.Equal(got, tt.fields) {
					t.Errorf("fields %v, want %v", got, tt.fields)
				}
			})
		}
		// Admin staff do not open cases; a worker who cannot see the client
		// is told it does not exist.
		if _, err := env.Casework.OpenCase(ctx, admin.Actor(), id, casework.CaseInput{ServiceID: counselling.ID, Kind: "work", OwnerID: amy.ID}); !errors.Is(err, casework.ErrForbidden) {
			t.Errorf("admin staff opening a case: %v", err)
		}
		if _, err := env.Casework.OpenCase(ctx, outsider.Actor(), id, casework.CaseInput{ServiceID: advocacy.ID, Kind: "work", OwnerID: outsider.ID}); !errors.Is(err, casework.ErrNotFound) {
			t.Errorf("outsider opening a case: %v", err)
		}
		if c, e := countRows(t, env, "cases"), countRows(t, env, "case_events"); c != cases || e != events {
			t.Errorf("bad input wrote %d cases and %d events", c-cases, e-events)
		}
	})
}

// A caseworker of another service sees neither the client nor their cases,
// and gets the same answer as for a client who does not exist.
func TestCasesOfAnotherService(t *testing.T) {
	apptest.Each(t, func(t *testing.T, env *apptest.Env) {
		ctx := context.Background()
		counselling := env.Service(t, "Counselling", false)
		advocacy := env.Service(t, "Advocacy", true)
		amy := env.Person(t, access.Caseworker, counselling.ID)
		outsider := env.Person(t, access.Caseworker, advocacy.ID)
		outsideMgr := env.Person(t, access.Manager, advocacy.ID)
		id := newClient(t, env, amy, counselling.ID, "Amira")
		c := onlyCase(t, env, amy, id)
		for _, p := range []apptest.Person{outsider, outsideMgr} {
			if _, err := env.Casework.Cases(ctx, p.Actor(), id, access.Casework); !errors.Is(err, casework.ErrNotFound) {
				t.Errorf("%s lists the cases: %v", p.Role, err)
			}
			if _, err := env.Casework.Case(ctx, p.Actor(), id, c.ID, access.Casework); !errors.Is(err, casework.ErrNotFound) {
				t.Errorf("%s reads the case: %v", p.Role, err)
			}
			err := env.Casework.SetCaseStatus(ctx, p.Actor(), id, c.ID, casework.StatusInput{Status: "on-hold", Version: c.Version})
			if !errors.Is(err, casework.ErrNotFound) {
				t.Errorf("%s changes the status: %v", p.Role, err)
			}
			if _, _, err := env.Casework.Caseload(ctx, p.Actor(), casework.CaseloadFilter{ServiceIDs: []string{counselling.ID}}); !errors.Is(err, casework.ErrForbidden) {
				t.Errorf("%s lists another service's caseload: %v", p.Role, err)
			}
		}
		// A case id of one client under another client's id is not found.
		other := newClient(t, env, amy, counselling.ID, "Other")
		if _, err := env.Casework.Case(ctx, amy.Actor(), other, c.ID, access.Casework); !errors.Is(err, casework.ErrNotFound) {
			t.Errorf("case read under another client: %v", err)
		}
		// The DPO, for a review, sees every case.
		dpo := env.Person(t, access.DPO)
		if l, err := env.Casework.Cases(ctx, dpo.Actor(), id, access.Review); err != nil || len(l.Cases) != 1 {
			t.Errorf("DPO review: %d cases, %v", len(l.Cases), err)
		}
	})
}

// Status changes: on hold, closed with a reason and a sealed note, opened
// again. Access follows: a client with no open case is the service's, with
// no worker.
func TestCaseStatus(t *testing.T) {
	apptest.Each(t, func(t *testing.T, env *apptest.Env) {
		ctx := context.Background()
		counselling := env.Service(t, "Counselling", false)
		amy := env.Person(t, access.Caseworker, counselling.ID)
		mgr := env.Person(t, access.Manager, counselling.ID)
		id := newClient(t, env, amy, counselling.ID, "Amira")
		c := onlyCase(t, env, amy, id)

		// Bad input: field messages, nothing written.
		cases, events := countRows(t, env, "cases"), countRows(t, env, "case_events")
		for _, tt := range []struct {
			name   string
			in     casework.StatusInput
			fields []string
		}{
			{"no status", casework.StatusInput{Version: c.Version}, []string{"status"}},
			{"closing without a reason", casework.StatusInput{Status: "closed", Version: c.Version}, []string{"reason"}},
			{"unknown reason", casework.StatusInput{Status: "closed", Reason: "bored", Version: c.Version}, []string{"reason"}},
			{"no version", casework.StatusInput{Status: "on-hold"}, []string{"version"}},
			{"already open", casework.StatusInput{Status: "open", Version: c.Version}, []string{"status"}},
			{"control characters", casework.StatusInput{Status: "on-hold", Note: "a\x00b", Version: c.Version}, []string{"note"}},
		} {
			t.Run(tt.name, func(t *testing.T) {
				err := env.Casework.SetCaseStatus(ctx, amy.Actor(), id, c.ID, tt.in)
				if got := fieldsOf(t, err); !slices.Equal(got, tt.fields) {
					t.Errorf("fields %v, want %v", got, tt.fields)
				}
			})
		}
		if c2 := onlyCase(t, env, amy, id); c2.Version != c.Version || c2.Status != casework.CaseOpen {
			t.Fatalf("bad input changed the case: %+v", c2)
		}
		if n, e := countRows(t, env, "cases"), countRows(t, env, "case_events"); n != cases || e != events {
			t.Fatal("bad input wrote rows")
		}

		set := func(p apptest.Person, in casework.StatusInput) {
			t.Helper()
			in.Version = onlyCase(t, env, mgr, id).Version
			if err := env.Casework.SetCaseStatus(ctx, p.Actor(), id, c.ID, in); err != nil {
				t.Fatalf("set status %s: %v", in.Status, err)
			}
		}
		set(amy, casework.StatusInput{Status: "on-hold", Note: "Waiting for the GP's letter"})
		if got := onlyCase(t, env, amy, id); got.Status != casework.CaseOnHold || !sees(t, env, amy, id) {
			t.Fatalf("on hold: %+v; an on-hold case is still the owner's caseload", got)
		}
		// A stale version is a conflict, and changes nothing.
		if err := env.Casework.SetCaseStatus(ctx, amy.Actor(), id, c.ID, casework.StatusInput{Status: "open", Version: c.Version}); !errors.Is(err, casework.ErrConflict) {
			t.Fatalf("stale version: %v", err)
		}

		const closingNote = "Moved to Glasgow and asked us to close: contact via sister"
		set(amy, casework.StatusInput{Status: "closed", Reason: "moved-away", Note: closingNote})
		closed := onlyCase(t, env, mgr, id)
		if closed.Status != casework.CaseClosed || closed.CloseReason != casework.ClosedMovedAway || closed.ClosedOn.IsZero() {
			t.Fatalf("closed case %+v", closed)
		}
		// No open case: the owner's access ends; the service's manager keeps it.
		if sees(t, env, amy, id) {
			t.Error("the owner still sees a client whose only case is closed")
		}
		if !sees(t, env, mgr, id) {
			t.Error("the manager lost sight of a closed client")
		}
		d := detail(t, env, mgr, id, c.ID)
		last := d.Events[len(d.Events)-1]
		if len(d.Events) != 3 || last.Kind != casework.EventStatus || last.FromStatus != casework.CaseOnHold || last.ToStatus != casework.CaseClosed ||
			last.CloseReason != casework.ClosedMovedAway || last.Note != closingNote || last.ByID != amy.ID {
			t.Fatalf("history %+v", d.Events)
		}
		// The note is sealed at rest.
		var sealed []byte
		if err := env.DB.QueryRow(ctx, "SELECT note FROM case_events WHERE id = ?", last.ID).Scan(&sealed); err != nil {
			t.Fatal(err)
		}
		if len(sealed) == 0 || bytes.Contains(sealed, []byte("Glasgow")) {
			t.Error("closing note stored in clear")
		}
		// Closed cannot go on hold; it can be opened again, and the owner's
		// access comes back.
		err := env.Casework.SetCaseStatus(ctx, mgr.Actor(), id, c.ID, casework.StatusInput{Status: "on-hold", Version: closed.Version})
		if got := fieldsOf(t, err); !slices.Equal(got, []string{"status"}) {
			t.Errorf("closed to on hold: %v", got)
		}
		set(mgr, casework.StatusInput{Status: "open"})
		if got := onlyCase(t, env, mgr, id); got.Status != casework.CaseOpen || !got.ClosedOn.IsZero() || got.CloseReason != "" {
			t.Errorf("reopened case %+v", got)
		}
		if !sees(t, env, amy, id) {
			t.Error("the owner does not see the client after the case reopened")
		}
	})
}

// P03: a hand-over records who, when and why (the reason sealed), and
// access follows the work: the old owner loses the client unless the
// service shares caseloads; the new owner gains them.
func TestHandOver(t *testing.T) {
	apptest.Each(t, func(t *testing.T, env *apptest.Env) {
		ctx := context.Background()
		for _, shared := range []bool{false, true} {
			name := "Counselling"
			if shared {
				name = "Advocacy"
			}
			svc := env.Service(t, name, shared)
			amy := env.Person(t, access.Caseworker, svc.ID)
			bo := env.Person(t, access.Caseworker, svc.ID)
			cy := env.Person(t, access.Caseworker, svc.ID)
			mgr := env.Person(t, access.Manager, svc.ID)
			id := newClient(t, env, amy, svc.ID, "Amira")
			c := onlyCase(t, env, amy, id)
			if sees(t, env, bo, id) != shared {
				t.Fatalf("%s: Bo sees the client before the hand-over: %v", name, !shared)
			}

			// Bad input and refusals write nothing.
			for _, tt := range []struct {
				in     casework.HandOverInput
				fields []string
			}{
				{casework.HandOverInput{Version: c.Version}, []string{"owner", "reason"}},
				{casework.HandOverInput{OwnerID: amy.ID, Reason: "x", Version: c.Version}, []string{"owner"}},
				{casework.HandOverInput{OwnerID: env.Person(t, access.Caseworker, env.Service(t, name+" elsewhere", false).ID).ID, Reason: "x", Version: c.Version}, []string{"owner"}},
			} {
				if got := fieldsOf(t, env.Casework.HandOver(ctx, amy.Actor(), id, c.ID, tt.in)); !slices.Equal(got, tt.fields) {
					t.Errorf("%s: fields %v, want %v", name, got, tt.fields)
				}
			}
			if shared {
				// A colleague who sees the case may not give it away.
				if err := env.Casework.HandOver(ctx, cy.Actor(), id, c.ID, casework.HandOverInput{OwnerID: cy.ID, Reason: "mine now", Version: c.Version}); !errors.Is(err, casework.ErrForbidden) {
					t.Errorf("a colleague handed the case over: %v", err)
				}
			}
			if onlyCase(t, env, mgr, id).Version != c.Version {
				t.Fatal("a refused hand-over changed the case")
			}

			const reason = "Amira asked for a worker who speaks Sorani"
			before := env.Clock.Now()
			if err := env.Casework.HandOver(ctx, mgr.Actor(), id, c.ID, casework.HandOverInput{OwnerID: bo.ID, Reason: reason, Version: c.Version}); err != nil {
				t.Fatal(err)
			}
			got := onlyCase(t, env, mgr, id)
			if got.OwnerID != bo.ID || got.Version != c.Version+1 {
				t.Fatalf("%s: after hand-over %+v", name, got)
			}
			d := detail(t, env, mgr, id, c.ID)
			h := d.Events[len(d.Events)-1]
			if h.Kind != casework.EventHandOver || h.ByID != mgr.ID || h.FromOwnerID != amy.ID || h.ToOwnerID != bo.ID || h.Note != reason || !h.At.Equal(before) {
				t.Fatalf("%s: hand-over record %+v", name, h)
			}
			var sealed []byte
			if err := env.DB.QueryRow(ctx, "SELECT note FROM case_events WHERE id = ?", h.ID).Scan(&sealed); err != nil {
				t.Fatal(err)
			}
			if bytes.Contains(sealed, []byte("Sorani")) {
				t.Errorf("%s: hand-over reason stored in clear", name)
			}
			if !sees(t, env, bo, id) {
				t.Errorf("%s: the new owner cannot see the client", name)
			}
			if sees(t, env, amy, id) != shared {
				t.Errorf("%s: the old owner sees the client: %v, want %v", name, !shared, shared)
			}
			// The new owner may hand their own work on.
			if err := env.Casework.HandOver(ctx, bo.Actor(), id, c.ID, casework.HandOverInput{OwnerID: cy.ID, Reason: "Leave", Version: got.Version}); err != nil {
				t.Errorf("%s: owner handing their own case on: %v", name, err)
			}
			// Every change is in the audit log, as a change of this client.
			es, err := env.Gate.Audit().ForClient(ctx, id, 100)
			if err != nil {
				t.Fatal(err)
			}
			updates := 0
			for _, e := range es {
				if e.Action == "client.update" && slices.Contains(e.RecordIDs, c.ID) {
					updates++
				}
			}
			if updates != 2 {
				t.Errorf("%s: %d audited changes of the case, want 2", name, updates)
			}
		}
	})
}

// P08: when a worker leaves, a manager moves their whole caseload in the
// manager's services in one step; nothing is lost, every case gets a
// hand-over record, access follows, and cases in other services are left
// alone and reported.
func TestMoveCaseload(t *testing.T) {
	apptest.Each(t, func(t *testing.T, env *apptest.Env) {
		ctx := context.Background()
		counselling := env.Service(t, "Counselling", false)
		youth := env.Service(t, "Young people", false)
		advocacy := env.Service(t, "Advocacy", false)
		leaver := env.Person(t, access.Caseworker, counselling.ID, youth.ID, advocacy.ID)
		newbie := env.Person(t, access.Caseworker, counselling.ID, youth.ID)
		narrow := env.Person(t, access.Caseworker, counselling.ID) // not in Young people
		mgr := env.Person(t, access.Manager, counselling.ID, youth.ID)
		advMgr := env.Person(t, access.Manager, advocacy.ID)

		var clients []string
		for _, n := range []string{"Ana", "Bela", "Chidi"} {
			clients = append(clients, newClient(t, env, leaver, counselling.ID, n))
		}
		young := newClient(t, env, leaver, youth.ID, "Dara")
		elsewhere := newClient(t, env, leaver, advocacy.ID, "Eko")
		// Ana has a second, closed case in Counselling: closed work keeps
		// its owner of record and is not part of anyone's caseload.
		closedID, err := env.Casework.OpenCase(ctx, leaver.Actor(), clients[0], casework.CaseInput{ServiceID: counselling.ID, Kind: "work", OwnerID: leaver.ID})
		if err != nil {
			t.Fatal(err)
		}
		if err := env.Casework.SetCaseStatus(ctx, leaver.Actor(), clients[0], closedID, casework.StatusInput{Status: "closed", Reason: "completed", Version: 1}); err != nil {
			t.Fatal(err)
		}
		// Bela's case is on hold: still the leaver's caseload.
		bela := onlyCase(t, env, leaver, clients[1])
		if err := env.Casework.SetCaseStatus(ctx, leaver.Actor(), clients[1], bela.ID, casework.StatusInput{Status: "on-hold", Version: bela.Version}); err != nil {
			t.Fatal(err)
		}
		cases, events := countRows(t, env, "cases"), countRows(t, env, "case_events")

		// Refusals and bad input move nothing.
		if _, err := env.Casework.MoveCaseload(ctx, newbie.Actor(), leaver.ID, casework.CaseloadMoveInput{ToID: newbie.ID, Reason: "x"}); !errors.Is(err, casework.ErrForbidden) {
			t.Errorf("a caseworker moved a caseload: %v", err)
		}
		for _, tt := range []struct {
			in     casework.CaseloadMoveInput
			fields []string
		}{
			{casework.CaseloadMoveInput{}, []string{"to", "reason"}},
			{casework.CaseloadMoveInput{ToID: leaver.ID, Reason: "x"}, []string{"to"}},
			{casework.CaseloadMoveInput{ToID: narrow.ID, Reason: "x"}, []string{"to"}}, // does not work in Young people
			{casework.CaseloadMoveInput{ToID: advMgr.ID, Reason: "x"}, []string{"to"}},
		} {
			_, err := env.Casework.MoveCaseload(ctx, mgr.Actor(), leaver.ID, tt.in)
			if got := fieldsOf(t, err); !slices.Equal(got, tt.fields) {
				t.Errorf("%+v: fields %v, want %v", tt.in, got, tt.fields)
			}
		}
		if c, e := countRows(t, env, "cases"), countRows(t, env, "case_events"); c != cases || e != events {
			t.Fatal("a refused move wrote rows")
		}

		// The leaver's account is disabled before the move: that is the
		// usual order, and must not matter.
		if err := env.Staff.DisableUser(ctx, leaver.ID); err != nil {
			t.Fatal(err)
		}
		const why = "Leaver: left the organisation on 24 November"
		res, err := env.Casework.MoveCaseload(ctx, mgr.Actor(), leaver.ID, casework.CaseloadMoveInput{ToID: newbie.ID, Reason: why})
		if err != nil {
			t.Fatal(err)
		}
		if res.Moved != 4 || res.Clients != 4 || res.MoveID == "" {
			t.Errorf("moved %d cases of %d clients, want 4 of 4", res.Moved, res.Clients)
		}
		if want := []casework.ServiceCount{{ServiceID: advocacy.ID, Cases: 1}}; !slices.Equal(res.LeftAlone, want) {
			t.Errorf("left alone %v, want %v", res.LeftAlone, want)
		}
		// Nothing lost: the same cases, and one hand-over record per moved case.
		if c, e := countRows(t, env, "cases"), countRows(t, env, "case_events"); c != cases || e != events+4 {
			t.Errorf("cases %d→%d, events %d→%d", cases, c, events, e)
		}
		for _, id := range append(slices.Clone(clients), young) {
			if !sees(t, env, newbie, id) {
				t.Errorf("the new owner cannot see client %s", id)
			}
			l, err := env.Casework.Cases(ctx, mgr.Actor(), id, access.Casework)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range l.Cases {
				if c.ID == closedID {
					if c.OwnerID != leaver.ID {
						t.Error("a closed case was moved")
					}
					continue
				}
				if c.OwnerID != newbie.ID {
					t.Errorf("case %s still owned by %s", c.ID, c.OwnerID)
				}
				d := detail(t, env, mgr, id, c.ID)
				h := d.Events[len(d.Events)-1]
				if h.Kind != casework.EventHandOver || h.MoveID != res.MoveID || h.Note != why || h.FromOwnerID != leaver.ID || h.ByID != mgr.ID {
					t.Errorf("case %s: last event %+v", c.ID, h)
				}
			}
			es, err := env.Gate.Audit().ForClient(ctx, id, 50)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.ContainsFunc(es, func(e audit.Entry) bool { return e.Action == "client.update" && e.Actor == mgr.ID && e.Allowed }) {
				t.Errorf("the move of client %s is not in the audit log", id)
			}
		}
		// Access follows: the leaver is linked to no moved client, only to
		// the one whose case stayed.
		var linked []string
		rows, err := env.DB.Query(ctx, "SELECT client_id FROM gate_links WHERE worker_id = ?", leaver.ID)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				t.Fatal(err)
			}
			linked = append(linked, id)
		}
		rows.Close()
		if !slices.Equal(linked, []string{elsewhere}) {
			t.Errorf("the leaver is still linked to %v, want only %s", linked, elsewhere)
		}
		if got := onlyCase(t, env, advMgr, elsewhere); got.OwnerID != leaver.ID {
			t.Error("a case in a service the manager does not manage was moved")
		}
		// The status of each case is kept.
		if got := onlyCase(t, env, mgr, clients[1]); got.Status != casework.CaseOnHold {
			t.Errorf("Bela's case is %s after the move, want on hold", got.Status)
		}
		// A second move finds nothing left in the manager's services.
		res, err = env.Casework.MoveCaseload(ctx, mgr.Actor(), leaver.ID, casework.CaseloadMoveInput{ToID: newbie.ID, Reason: why})
		if err != nil || res.Moved != 0 || len(res.LeftAlone) != 1 {
			t.Errorf("second move: %+v %v", res, err)
		}
	})
}

// The caseload lists active cases in a stable order, a page at a time,
// with the clients as a list may show them.
func TestCaseload(t *testing.T) {
	apptest.Each(t, func(t *testing.T, env *apptest.Env) {
		ctx := context.Background()
		counselling := env.Service(t, "Counselling", false)
		amy := env.Person(t, access.Caseworker, counselling.ID)
		bo := env.Person(t, access.Caseworker, counselling.ID)
		mgr := env.Person(t, access.Manager, counselling.ID)
		var mine []string
		for _, n := range []string{"Ana", "Bela", "Chidi", "Dara", "Eko"} {
			mine = append(mine, newClient(t, env, amy, counselling.ID, n))
		}
		bos := newClient(t, env, bo, counselling.ID, "Femi")
		// One of Amy's is closed: not on her caseload.
		c := onlyCase(t, env, amy, mine[4])
		if err := env.Casework.SetCaseStatus(ctx, amy.Actor(), mine[4], c.ID, casework.StatusInput{Status: "closed", Reason: "completed", Version: c.Version}); err != nil {
			t.Fatal(err)
		}

		var all []casework.CaseloadRow
		for off := 0; ; off += 2 {
			rows, more, err := env.Casework.Caseload(ctx, amy.Actor(), casework.CaseloadFilter{OwnerID: amy.ID, Limit: 2, Offset: off})
			if err != nil {
				t.Fatal(err)
			}
			all = append(all, rows...)
			if !more {
				break
			}
		}
		if len(all) != 4 {
			t.Fatalf("Amy's caseload has %d cases, want 4", len(all))
		}
		seen := map[string]bool{}
		for _, r := range all {
			if seen[r.ID] || r.OwnerID != amy.ID || r.Client.DisplayName != "" && r.Client.ID != r.ClientID || !r.Active() {
				t.Errorf("row %+v", r)
			}
			seen[r.ID] = true
			if r.Client.DisplayName == "" || r.Client.Reference != casework.Reference(r.ClientID) {
				t.Errorf("client shown as %q %q", r.Client.DisplayName, r.Client.Reference)
			}
		}
		again, _, err := env.Casework.Caseload(ctx, amy.Actor(), casework.CaseloadFilter{OwnerID: amy.ID})
		if err != nil || len(again) != 4 {
			t.Fatal(err)
		}
		for i := range again {
			if again[i].ID != all[i].ID {
				t.Fatal("pages and the whole list disagree on the order")
			}
		}
		// Someone else's caseload is a manager's business only.
		if _, _, err := env.Casework.Caseload(ctx, bo.Actor(), casework.CaseloadFilter{OwnerID: amy.ID}); !errors.Is(err, casework.ErrForbidden) {
			t.Errorf("Bo read Amy's caseload: %v", err)
		}
		rows, _, err := env.Casework.Caseload(ctx, mgr.Actor(), casework.CaseloadFilter{ServiceIDs: []string{counselling.ID}})
		if err != nil || len(rows) != 5 {
			t.Fatalf("manager's service caseload: %d rows, %v", len(rows), err)
		}
		if !slices.ContainsFunc(rows, func(r casework.CaseloadRow) bool { return r.ClientID == bos && r.OwnerID == bo.ID }) {
			t.Error("the manager does not see Bo's case")
		}
		counts, err := env.Casework.CaseCounts(ctx, mgr.Actor())
		if err != nil || counts[amy.ID] != 4 || counts[bo.ID] != 1 {
			t.Errorf("counts %v %v", counts, err)
		}
	})
}

// BenchmarkMoveCaseload moves a caseload of 1,000 cases (1,000 clients)
// between two workers, one transaction per move, on each engine.
func BenchmarkMoveCaseload(b *testing.B) {
	for _, e := range []store.Engine{store.SQLite, store.Postgres} {
		b.Run(string(e), func(b *testing.B) {
			ctx := context.Background()
			env := apptest.New(b, e, apptest.NewClock())
			svc := env.Service(b, "Counselling", false)
			amy := env.Person(b, access.Caseworker, svc.ID)
			bo := env.Person(b, access.Caseworker, svc.ID)
			mgr := env.Person(b, access.Manager, svc.ID)
			for i := range 1000 {
				if _, err := env.Casework.CreateClient(ctx, amy.Actor(), casework.ClientInput{
					ServiceID: svc.ID, GivenName: "Bench", FamilyName: fmt.Sprint("Client", i), DateOfBirth: "1990-01-01",
				}); err != nil {
					b.Fatal(err)
				}
			}
			from, to := amy, bo
			b.ResetTimer()
			for b.Loop() {
				res, err := env.Casework.MoveCaseload(ctx, mgr.Actor(), from.ID, casework.CaseloadMoveInput{ToID: to.ID, Reason: "Benchmark"})
				if err != nil || res.Moved != 1000 {
					b.Fatalf("moved %d: %v", res.Moved, err)
				}
				from, to = to, from
			}
		})
	}
}

// BenchmarkCaseload reads the first page of a 1,000-case caseload, with
// the clients' names.
func BenchmarkCaseload(b *testing.B) {
	for _, e := range []store.Engine{store.SQLite, store.Postgres} {
		b.Run(string(e), func(b *testing.B) {
			ctx := context.Background()
			env := apptest.New(b, e, apptest.NewClock())
			svc := env.Service(b, "Counselling", false)
			amy := env.Person(b, access.Caseworker, svc.ID)
			for i := range 1000 {
				if _, err := env.Casework.CreateClient(ctx, amy.Actor(), casework.ClientInput{
					ServiceID: svc.ID, GivenName: "Bench", FamilyName: fmt.Sprint("Client", i), DateOfBirth: "1990-01-01",
				}); err != nil {
					b.Fatal(err)
				}
			}
			b.ResetTimer()
			for b.Loop() {
				rows, _, err := env.Casework.Caseload(ctx, amy.Actor(), casework.CaseloadFilter{OwnerID: amy.ID, Offset: 500})
				if err != nil || len(rows) != 25 {
					b.Fatalf("%d rows: %v", len(rows), err)
				}
			}
		})
	}
}

// Two hand-overs of one client's cases at the same moment: whichever ends
// last sees the other's, so the client's access matches their cases.
func TestConcurrentHandOversKeepAccessInStep(t *testing.T) {
	apptest.Each(t, func(t *testing.T, env *apptest.Env) {
		ctx := context.Background()
		svc := env.Service(t, "Counselling", false)
		workers := []apptest.Person{env.Person(t, access.Caseworker, svc.ID), env.Person(t, access.Caseworker, svc.ID), env.Person(t, access.Caseworker, svc.ID)}
		mgr := env.Person(t, access.Manager, svc.ID)
		id := newClient(t, env, workers[0], svc.ID, "Amira")
		if _, err := env.Casework.OpenCase(ctx, workers[0].Actor(), id, casework.CaseInput{ServiceID: svc.ID, Kind: "work", OwnerID: workers[0].ID}); err != nil {
			t.Fatal(err)
		}
		for round := range 10 {
			cases := clientCasesOf(t, env, mgr, id)
			errs := make(chan error, len(cases))
			for i, c := range cases {
				to := workers[(round+i+1)%len(workers)]
				if to.ID == c.OwnerID {
					to = workers[(round+i+2)%len(workers)]
				}
				go func() {
					errs <- env.Casework.HandOver(ctx, mgr.Actor(), id, c.ID, casework.HandOverInput{OwnerID: to.ID, Reason: "rota", Version: c.Version})
				}()
			}
			for range cases {
				if err := <-errs; err != nil {
					t.Fatal(err)
				}
			}
			owners := map[string]bool{}
			for _, c := range clientCasesOf(t, env, mgr, id) {
				owners[c.OwnerID] = true
			}
			for _, w := range workers {
				if sees(t, env, w, id) != owners[w.ID] {
					t.Fatalf("round %d: worker sees the client: %v, owns a case: %v", round, !owners[w.ID], owners[w.ID])
				}
			}
		}
	})
}

func clientCasesOf(t *testing.T, env *apptest.Env, p apptest.Person, clientID string) []casework.Case {
	t.Helper()
	l, err := env.Casework.Cases(context.Background(), p.Actor(), clientID, access.Casework)
	if err != nil {
		t.Fatal(err)
	}
	return l.Cases
}
