package gate_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/caseward/caseward/internal/access"
	"github.com/caseward/caseward/internal/app/apptest"
	"github.com/caseward/caseward/internal/gate"
	"github.com/caseward/caseward/internal/store"
)

// relationship is how the actor stands to the client.
type relationship string

const (
	ownClient    relationship = "own client"    // same service, assigned to the actor
	sameService  relationship = "same service"  // same service, assigned to someone else
	otherService relationship = "other service" // the client is in a service the actor is not in
	noRelation   relationship = "none"          // the actor belongs to no service
)

// expected is the authorisation matrix of issue 3 §5 (P13, P14): for each
// role and relationship, which actions are allowed. Everything else is
// denied.
var expected = map[access.Role]map[relationship][]access.Action{
	access.Caseworker: {
		ownClient: {access.ViewContact, access.ViewRecord, access.ViewNotes, access.Edit},
	},
	access.Manager: {
		ownClient:   {access.ViewContact, access.ViewRecord, access.ViewNotes, access.Edit},
		sameService: {access.ViewContact, access.ViewRecord, access.ViewNotes, access.Edit},
	},
	access.AdminStaff: {
		ownClient:   {access.ViewContact, access.ViewRecord, access.Edit},
		sameService: {access.ViewContact, access.ViewRecord, access.Edit},
	},
	// The DPO reads organisation-wide, for a rights request or a review only.
	access.DPO: {
		ownClient:    {access.ViewContact, access.ViewRecord, access.ViewNotes},
		sameService:  {access.ViewContact, access.ViewRecord, access.ViewNotes},
		otherService: {access.ViewContact, access.ViewRecord, access.ViewNotes},
		noRelation:   {access.ViewContact, access.ViewRecord, access.ViewNotes},
	},
	access.Trustee:  {}, // P14: nothing
	access.Sysadmin: {}, // P13: no client data
}

func purposeOf(r access.Role) access.Purpose {
	switch r {
	case access.AdminStaff:
		return access.Administration
	case access.DPO:
		return access.Review
	}
	return access.Casework
}

func allowed(role access.Role, rel relationship, act access.Action) bool {
	for _, a := range expected[role][rel] {
		if a == act {
			return true
		}
	}
	return false
}

// TestAuthorisationMatrix: every role × relationship × action is allowed or
// denied as the matrix says, a denial looks exactly like a client that does
// not exist, and every decision is in the audit log.
func TestAuthorisationMatrix(t *testing.T) {
	apptest.Each(t, func(t *testing.T, env *apptest.Env) {
		ctx := context.Background()
		svcA := env.Service(t, "Counselling", false)
		svcB := env.Service(t, "Advocacy", false)
		creator := env.Person(t, access.Caseworker, svcA.ID)
		otherCreator := env.Person(t, access.Caseworker, svcB.ID)
		newClient := func(actor access.Actor, svc string) string {
			id, err := env.Gate.CreateClient(ctx, actor, svc, access.Casework, func(context.Context, *store.Tx, *gate.Handle) error { return nil })
			if err != nil {
				t.Fatal(err)
			}
			return id
		}
		clientA := newClient(creator.Actor(), svcA.ID)      // assigned to creator
		clientB := newClient(otherCreator.Actor(), svcB.ID) // in the other service

		for role := range expected {
			actors := map[relationship]apptest.Person{
				ownClient:    env.Person(t, role, svcA.ID),
				sameService:  env.Person(t, role, svcA.ID),
				otherService: env.Person(t, role, svcA.ID),
				noRelation:   env.Person(t, role, svcA.ID), // its services are taken away below
			}
			for _, rel := range []relationship{ownClient, sameService, otherService, noRelation} {
				actor := actors[rel].Actor()
				if rel == noRelation {
					actor.Services = nil
				}
				client := clientA
				if rel == otherService {
					client = clientB
				}
				if rel == ownClient {
					// Assign this client to the actor for this case only.
					client = newClient(creator.Actor(), svcA.ID)
					assign(t, env, client, actor.UserID)
				}
				for _, act := range []access.Action{access.ViewContact, access.ViewRecord, access.ViewNotes, access.Edit} {
					t.Run(fmt.Sprintf("%s/%s/%s", role, rel, act), func(t *testing.T) {
						h, err := env.Gate.OpenClient(ctx, actor, client, purposeOf(role), act)
						want := allowed(role, rel, act)
						if want && err != nil {
							t.Fatalf("denied, want allowed: %v", err)
						}
						if !want {
							if !errors.Is(err, gate.ErrNotFound) || h != nil {
								t.Fatalf("got %v, want ErrNotFound", err)
							}
						}
						entries, err := env.Gate.Audit().ForClient(ctx, client, 1)
						if err != nil || len(entries) != 1 {
							t.Fatalf("audit: %v, %d entries", err, len(entries))
						}
						e := entries[0]
						if e.Actor != actor.UserID || e.Action != "client."+string(act) || e.Allowed != want || e.Purpose != string(purposeOf(role)) {
							t.Fatalf("audit entry %+v does not record this decision (want allowed=%v)", e, want)
						}
					})
				}
			}
		}

		// Creating: in one's own service only, and only for roles that work with clients.
		for role := range expected {
			p := env.Person(t, role, svcA.ID)
			for _, svc := range []string{svcA.ID, svcB.ID} {
				_, err := env.Gate.CreateClient(ctx, p.Actor(), svc, purposeOf(role), func(context.Context, *store.Tx, *gate.Handle) error { return nil })
				want := svc == svcA.ID && (role == access.Caseworker || role == access.Manager || role == access.AdminStaff)
				if (err == nil) != want {
					t.Errorf("%s creating in %s: err=%v, want allowed=%v", role, svc, err, want)
				}
			}
		}
	})
}

func assign(t *testing.T, env *apptest.Env, clientID, userID string) {
	t.Helper()
	ctx := context.Background()
	if err := env.DB.Tx(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, "UPDATE gate_links SET worker_id = ? WHERE client_id = ?", userID, clientID)
		return err
	}); err != nil {
		t.Fatal(err)
	}
}

// P23: a client the actor may not see answers exactly like one that does
// not exist, and both attempts are audited.
func TestDeniedLooksLikeMissing(t *testing.T) {
	apptest.Each(t, func(t *testing.T, env *apptest.Env) {
		ctx := context.Background()
		svcA := env.Service(t, "Counselling", false)
		svcB := env.Service(t, "Advocacy", false)
		owner := env.Person(t, access.Caseworker, svcA.ID)
		outsider := env.Person(t, access.Caseworker, svcB.ID)
		id, err := env.Gate.CreateClient(ctx, owner.Actor(), svcA.ID, access.Casework, func(context.Context, *store.Tx, *gate.Handle) error { return nil })
		if err != nil {
			t.Fatal(err)
		}
		missing := store.NewID()
		_, errDenied := env.Gate.OpenClient(ctx, outsider.Actor(), id, access.Casework, access.ViewRecord)
		_, errMissing := env.Gate.OpenClient(ctx, outsider.Actor(), missing, access.Casework, access.ViewRecord)
		if errDenied == nil || errMissing == nil || errDenied.Error() != errMissing.Error() {
			t.Fatalf("denied %v and missing %v differ", errDenied, errMissing)
		}
		for _, c := range []string{id, missing} {
			entries, err := env.Gate.Audit().ForClient(ctx, c, 5)
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, e := range entries {
				if e.Actor == outsider.ID && !e.Allowed {
					found = true
				}
			}
			if !found {
				t.Errorf("attempt on %s not audited: %+v", c, entries)
			}
		}
		// Whatever is typed as an id never reaches the audit log.
		if _, err := env.Gate.OpenClient(ctx, outsider.Actor(), "Jane Smith", access.Casework, access.ViewRecord); !errors.Is(err, gate.ErrNotFound) {
			t.Fatalf("malformed id: %v", err)
		}
	})
}

// If the audit entry cannot be written, nothing is shown: the gate fails
// closed.
func TestOpenFailsClosedWithoutAudit(t *testing.T) {
	apptest.Each(t, func(t *testing.T, env *apptest.Env) {
		ctx := context.Background()
		svc := env.Service(t, "Counselling", false)
		w := env.Person(t, access.Caseworker, svc.ID)
		id, err := env.Gate.CreateClient(ctx, w.Actor(), svc.ID, access.Casework, func(context.Context, *store.Tx, *gate.Handle) error { return nil })
		if err != nil {
			t.Fatal(err)
		}
		breakAudit(t, env)
		h, err := env.Gate.OpenClient(ctx, w.Actor(), id, access.Casework, access.ViewRecord)
		if err == nil || h != nil {
			t.Fatalf("opened without an audit entry: %v", err)
		}
	})
}

// breakAudit makes every audit append fail, as a full disk or a lost
// table would.
func breakAudit(t *testing.T, env *apptest.Env) {
	t.Helper()
	ctx := context.Background()
	stmt := "CREATE TRIGGER no_audit BEFORE INSERT ON audit_entries BEGIN SELECT RAISE(ABORT, 'audit broken'); END"
	if env.DB.Engine() == store.Postgres {
		stmt = `CREATE FUNCTION no_audit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'audit broken'; END $$;
			CREATE TRIGGER no_audit BEFORE INSERT ON audit_entries FOR EACH ROW EXECUTE FUNCTION no_audit();`
	}
	if err := env.DB.Tx(ctx, func(tx *store.Tx) error { _, err := tx.Exec(ctx, stmt); return err }); err != nil {
		t.Fatal(err)
	}
}
