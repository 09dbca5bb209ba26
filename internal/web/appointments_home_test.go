package web

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/caseward/caseward/internal/access"
	"github.com/caseward/caseward/internal/app/apptest"
	"github.com/caseward/caseward/internal/casework"
)

// The home page's appointments section: today's and the rest of the week's
// own appointments, cancelled ones left out, with the clients' names.
func TestHomeAppointments(t *testing.T) {
	apptest.Each(t, func(t *testing.T, env *apptest.Env) {
		ctx := context.Background()
		svc := env.Service(t, "Counselling", false)
		w := env.Person(t, access.Caseworker, svc.ID)
		id, err := env.Casework.CreateClient(ctx, w.Actor(), casework.ClientInput{ServiceID: svc.ID, GivenName: "Hana", FamilyName: "Ali", DateOfBirth: "1999-09-09"})
		if err != nil {
			t.Fatal(err)
		}
		book := func(date, start, end string) string {
			t.Helper()
			a, err := env.Casework.BookAppointment(ctx, w.Actor(), id, casework.AppointmentInput{Worker: w.ID, Date: date, Start: start, End: end, Kind: "phone"})
			if err != nil {
				t.Fatal(err)
			}
			return a
		}
		book("2026-11-25", "15:00", "16:00") // today (Wednesday)
		book("2026-11-27", "10:00", "11:00") // Friday
		gone := book("2026-11-28", "10:00", "11:00")
		book("2026-12-01", "10:00", "11:00") // next week
		if err := env.Casework.CancelAppointment(ctx, w.Actor(), id, gone, casework.CancelInput{By: "us", Reason: "emergency"}); err != nil {
			t.Fatal(err)
		}
		s := &Server{app: env.App, now: env.Clock.Now}
		h, err := s.homeAppointments(httptest.NewRequest("GET", "/", nil), &viewer{User: w.User})
		if err != nil {
			t.Fatal(err)
		}
		if len(h.Today) != 1 || h.Today[0].Client != "Hana Ali" || h.Today[0].Time != "15:00 to 16:00" || h.Today[0].Link == "" {
			t.Fatalf("today: %+v", h.Today)
		}
		if len(h.Week) != 1 || h.Week[0].Heading != "Friday 27 November" || len(h.Week[0].Rows) != 1 {
			t.Fatalf("rest of the week: %+v", h.Week)
		}
	})
}
