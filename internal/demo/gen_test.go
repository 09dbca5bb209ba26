package demo_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/caseward/caseward/internal/access"
	"github.com/caseward/caseward/internal/app/apptest"
	"github.com/caseward/caseward/internal/casework"
	"github.com/caseward/caseward/internal/demo"
)

// The fictitious population is the same for the same seed, and varied.
func TestFictitiousClient(t *testing.T) {
	if a, b := demo.FictitiousClient(7, 42), demo.FictitiousClient(7, 42); !reflect.DeepEqual(a, b) {
		t.Fatalf("not deterministic: %+v, %+v", a, b)
	}
	families := map[string]bool{}
	phones := 0
	for i := range 2000 {
		c := demo.FictitiousClient(7, i)
		families[c.FamilyName] = true
		if c.Contact != nil {
			phones++
		}
	}
	if len(families) < 150 || phones < 1000 || phones > 1800 {
		t.Errorf("%d family names, %d phones in 2,000 clients", len(families), phones)
	}
}

// Generated clients go through CreateClient and are found by search.
func TestAddClients(t *testing.T) {
	apptest.Each(t, func(t *testing.T, env *apptest.Env) {
		ctx := context.Background()
		org, err := demo.AddOrg(ctx, env.App, "Bench", 2, 3)
		if err != nil {
			t.Fatal(err)
		}
		if len(org.Services) != 2 || len(org.Managers) != 2 || len(org.Workers[1]) != 3 || len(org.Creators()) != 6 {
			t.Fatalf("org %+v", org)
		}
		if _, err := demo.AddClients(ctx, env.Casework, org.Creators(), 60, demo.AddClientsOptions{Seed: 7, Parallel: 3}); err != nil {
			t.Fatal(err)
		}
		// Client 0 was recorded by the first caseworker of the first service.
		p := demo.FictitiousClient(7, 0)
		rs, err := env.Casework.Search(ctx, org.Managers[0].Actor(), access.Casework, casework.SearchQuery{Name: p.GivenName + " " + p.FamilyName, DateOfBirth: p.DateOfBirth})
		if err != nil || len(rs.Results) == 0 {
			t.Fatalf("client 0 not found: %v", err)
		}
		// The second service's manager sees none of the first's.
		rs, _ = env.Casework.Search(ctx, org.Managers[1].Actor(), access.Casework, casework.SearchQuery{Name: p.GivenName + " " + p.FamilyName, DateOfBirth: p.DateOfBirth})
		for _, r := range rs.Results {
			if r.ServiceIDs[0] == org.Services[0].ID {
				t.Error("another service's client found")
			}
		}
	})
}

// The work around a client is the same for the same seed and day, and
// made of what the options ask for.
func TestFictitiousWork(t *testing.T) {
	now := time.Date(2026, 11, 25, 9, 30, 0, 0, time.UTC) // a Wednesday
	o := demo.WorkOptions{Notes: 4, Appointments: 3, PlanPercent: 30, CommentPercent: 5}
	if a, b := demo.FictitiousWork(7, 42, o, now), demo.FictitiousWork(7, 42, o, now); !reflect.DeepEqual(a, b) {
		t.Fatalf("not deterministic: %+v, %+v", a, b)
	}
	if w := demo.FictitiousWork(7, 42, demo.WorkOptions{}, now); !reflect.DeepEqual(w, demo.Work{}) {
		t.Errorf("work without options: %+v", w)
	}
	var plans, comments, dueSoon, later, upcoming, thisWeek int
	outcomes := map[string]int{}
	for i := range 1000 {
		w := demo.FictitiousWork(7, i, o, now)
		if len(w.Appointments) != 3 || len(w.Notes) != 4 {
			t.Fatalf("client %d: %d appointments, %d notes", i, len(w.Appointments), len(w.Notes))
		}
		for _, a := range w.Appointments {
			if wd := a.Start.Weekday(); wd == time.Saturday || wd == time.Sunday {
				t.Errorf("client %d: an appointment on a %s", i, wd)
			}
			outcomes[a.Outcome]++
			if a.Outcome == "" {
				upcoming++
				if a.Start.Before(casework.WeekStart(now).AddDate(0, 0, 7)) {
					thisWeek++
				}
			} else if !a.End.Before(now) {
				t.Errorf("client %d: an appointment to come has an outcome: %+v", i, a)
			}
		}
		if w.Plan != nil {
			plans++
			if w.Plan.Input.ReviewOn <= now.AddDate(0, 0, 7).Format(casework.DateLayout) {
				dueSoon++
			} else {
				later++
			}
		}
		if w.Comment != nil {
			comments++
		}
	}
	if upcoming != 1000 || thisWeek < 100 {
		t.Errorf("%d appointments to come, %d of them this week", upcoming, thisWeek)
	}
	for _, s := range []string{casework.AppointmentAttended, casework.AppointmentLate, casework.AppointmentDidNotAttend, casework.AppointmentCancelled} {
		if outcomes[s] < 20 {
			t.Errorf("%d appointments %s in 2,000 past ones: %v", outcomes[s], s, outcomes)
		}
	}
	if plans < 250 || plans > 350 || dueSoon < 50 || later < dueSoon || comments < 25 || comments > 80 {
		t.Errorf("%d plans (%d due within a week, %d later), %d comments in 1,000 clients", plans, dueSoon, later, comments)
	}
}

// The work goes through the casework calls the forms use: the worker's
// week has appointments, past ones their outcomes, the notes answer the
// attended ones, plans and comments are there.
func TestAddClientsWithWork(t *testing.T) {
	apptest.Each(t, func(t *testing.T, env *apptest.Env) {
		ctx := context.Background()
		org, err := demo.AddOrg(ctx, env.App, "Demo service", 1, 2)
		if err != nil {
			t.Fatal(err)
		}
		o := demo.WorkOptions{Notes: 3, Appointments: 3, PlanPercent: 50, CommentPercent: 20}
		const n = 20
		got, err := demo.AddClients(ctx, env.Casework, org.Creators(), n, demo.AddClientsOptions{Seed: 3, Parallel: 2, Work: o, Now: env.Clock.Now})
		if err != nil {
			t.Fatal(err)
		}
		var want demo.WorkCount
		for i := range n {
			w := demo.FictitiousWork(3, i, o, env.Clock.Now())
			want.Appointments += len(w.Appointments)
			want.Notes += len(w.Notes)
			if w.Plan != nil {
				want.Plans++
			}
			if w.Comment != nil {
				want.Comments++
			}
		}
		if got != want || want.Plans == 0 || want.Comments == 0 {
			t.Fatalf("recorded %+v, want %+v", got, want)
		}

		// The first worker's clients, as the worker sees them.
		worker := org.Workers[0][0].Actor()
		rows, _, err := env.Casework.Caseload(ctx, worker, casework.CaseloadFilter{OwnerID: worker.UserID, Limit: 200})
		if err != nil || len(rows) != n/2 {
			t.Fatalf("caseload: %d rows, %v", len(rows), err)
		}
		var att casework.Attendance
		plans := 0
		for _, row := range rows {
			l, err := env.Casework.Appointments(ctx, worker, row.ClientID, "", access.Casework)
			if err != nil {
				t.Fatal(err)
			}
			att.Upcoming += l.Attendance.Upcoming
			att.Unrecorded += l.Attendance.Unrecorded
			att.Attended += l.Attendance.Attended + l.Attendance.Late
			att.DidNotAttend += l.Attendance.DidNotAttend
			att.CancelledByClient += l.Attendance.CancelledByClient + l.Attendance.CancelledByUs
			p, err := env.Casework.Plans(ctx, worker, row.ClientID, access.Casework)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range p.Plans {
				if s.ReviewOn == "" || len(s.Title) == 0 {
					t.Errorf("plan without a review date or title: %+v", s)
				}
			}
			plans += len(p.Plans)
		}
		if att.Total() != 3*n/2 || att.Attended == 0 || att.Upcoming+att.Unrecorded != n/2 {
			t.Errorf("the worker's clients' attendance: %+v", att)
		}
		if plans == 0 {
			t.Error("none of the worker's clients has a plan")
		}
		week, err := env.Casework.WeekAppointments(ctx, worker, env.Clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		next, err := env.Casework.WeekAppointments(ctx, worker, env.Clock.Now().AddDate(0, 0, 7))
		if err != nil || len(week)+len(next) == 0 {
			t.Errorf("nothing in the worker's diary this week or next: %v", err)
		}
		// The manager tracks the service's comments.
		cs, _, err := env.Casework.TrackComments(ctx, org.Managers[0].Actor(), casework.CommentFilter{}, access.Casework)
		if err != nil || len(cs) == 0 {
			t.Errorf("the manager tracks %d comments: %v", len(cs), err)
		}
	})
}

// The small demo organisation of serve --demo: made once, its caseworkers
// each with appointments and a support plan due for review, and a
// comment.
func TestEnsure(t *testing.T) {
	apptest.Each(t, func(t *testing.T, env *apptest.Env) {
		ctx := context.Background()
		creds, err := demo.Ensure(ctx, env.App)
		if err != nil {
			t.Fatal(err)
		}
		again, err := demo.Ensure(ctx, env.App)
		if err != nil || !reflect.DeepEqual(creds, again) {
			t.Fatalf("second start: %v", err)
		}
		soon := env.Clock.Now().AddDate(0, 0, 7).Format(casework.DateLayout)
		comments := 0
		for _, acc := range creds.Accounts {
			if acc.Role != access.Caseworker {
				continue
			}
			u, err := env.Staff.UserByEmail(ctx, acc.Email)
			if err != nil {
				t.Fatal(err)
			}
			actor := u.Actor()
			rows, _, err := env.Casework.Caseload(ctx, actor, casework.CaseloadFilter{OwnerID: u.ID})
			if err != nil || len(rows) != 3 {
				t.Fatalf("%s: %d clients, %v", acc.Name, len(rows), err)
			}
			due, appts := 0, 0
			for _, row := range rows {
				l, err := env.Casework.Appointments(ctx, actor, row.ClientID, "", access.Casework)
				if err != nil {
					t.Fatal(err)
				}
				appts += l.Attendance.Total()
				p, err := env.Casework.Plans(ctx, actor, row.ClientID, access.Casework)
				if err != nil {
					t.Fatal(err)
				}
				for _, s := range p.Plans {
					if s.ReviewOn <= soon {
						due++
					}
				}
				c, err := env.Casework.ClientCommentList(ctx, actor, row.ClientID, access.Casework)
				if err != nil {
					t.Fatal(err)
				}
				comments += len(c.Comments)
			}
			if appts != 12 || due == 0 {
				t.Errorf("%s: %d appointments, %d plans due for review", acc.Name, appts, due)
			}
		}
		if comments == 0 {
			t.Error("no client has a comment")
		}
	})
}
