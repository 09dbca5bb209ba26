package casework_test

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/caseward/caseward/internal/access"
	"github.com/caseward/caseward/internal/app/apptest"
	"github.com/caseward/caseward/internal/casework"
	"github.com/caseward/caseward/internal/store"
)

// apptClient records a client in serviceID as p (a caseworker, who then
// owns the client's first case) and returns their id.
func apptClient(t *testing.T, env *apptest.Env, p apptest.Person, serviceID, given string) string {
	t.Helper()
	id, err := env.Casework.CreateClient(context.Background(), p.Actor(), casework.ClientInput{
		ServiceID: serviceID, GivenName: given, FamilyName: "Appleby", DateOfBirth: "1988-06-14",
	})
	if err != nil {
		t.Fatalf("create client: %v", err)
	}
	return id
}

func apptCount(t *testing.T, env *apptest.Env, query string, args ...any) int {
	t.Helper()
	var n int
	if err := env.DB.QueryRow(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// book books an appointment or fails.
func book(t *testing.T, env *apptest.Env, p apptest.Person, clientID string, in casework.AppointmentInput) string {
	t.Helper()
	if in.Kind == "" {
		in.Kind = "phone"
	}
	id, err := env.Casework.BookAppointment(context.Background(), p.Actor(), clientID, in)
	if err != nil {
		t.Fatalf("book %s %s: %v", in.Date, in.Start, err)
	}
	return id
}

func apptView(t *testing.T, env *apptest.Env, p apptest.Person, clientID, id string) casework.Appointment {
	t.Helper()
	v, err := env.Casework.Appointment(context.Background(), p.Actor(), clientID, id, access.Casework)
	if err != nil {
		t.Fatalf("appointment: %v", err)
	}
	return v.Appointment
}

// The test clock starts on Wednesday 25 November 2026, 09:30 (GMT).

// P06: appointments are booked, moved (the history kept), cancelled by the
// client or by us with a reason, and marked attended, late or did not
// attend; the attendance record counts each, did-not-attend included.
func TestAppointmentsP06(t *testing.T) {
	apptest.Each(t, func(t *testing.T, env *apptest.Env) {
		ctx := context.Background()
		svc := env.Service(t, "Counselling", false)
		w := env.Person(t, access.Caseworker, svc.ID)
		c := apptClient(t, env, w, svc.ID, "Nasrin")
		cw := env.Casework

		// Booked: time in clear, where sealed.
		a1, err := cw.BookAppointment(ctx, w.Actor(), c, casework.AppointmentInput{
			Worker: w.ID, Date: "2026-11-26", Start: "14:00", End: "15:00", Kind: "face-to-face", Location: "Room 2, Harrowgate Lane office",
		})
		if err != nil {
			t.Fatal(err)
		}
		got := apptView(t, env, w, c, a1)
		if got.Status != casework.AppointmentBooked || got.Location != "Room 2, Harrowgate Lane office" || got.Minutes() != 60 ||
			got.Start.Format("2006-01-02 15:04") != "2026-11-26 14:00" || got.WorkerID != w.ID || got.ServiceID != svc.ID {
			t.Fatalf("booked appointment: %+v", got)
		}
		var sealed []byte
		if err := env.DB.QueryRow(ctx, "SELECT location FROM appointments WHERE id = ?", a1).Scan(&sealed); err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(sealed, []byte("Harrowgate")) {
			t.Error("the location is stored in clear")
		}

		// Moved: the new time replaces the old, and the old is kept.
		if err := cw.MoveAppointment(ctx, w.Actor(), c, a1, casework.MoveInput{Date: "2026-11-27", Start: "10:00", End: "11:30", Version: got.Version}); err != nil {
			t.Fatal(err)
		}
		moved := apptView(t, env, w, c, a1)
		if moved.Start.Format("2006-01-02 15:04") != "2026-11-27 10:00" || moved.Minutes() != 90 || moved.MoveCount != 1 || len(moved.Moves) != 1 {
			t.Fatalf("moved appointment: %+v", moved)
		}
		if m := moved.Moves[0]; m.FromStart.Format("2 Jan 15:04") != "26 Nov 14:00" || m.ToStart.Format("2 Jan 15:04") != "27 Nov 10:00" || m.MovedBy != w.ID {
			t.Fatalf("move history: %+v", m)
		}
		// The second person to move from the same version is told.
		if err := cw.MoveAppointment(ctx, w.Actor(), c, a1, casework.MoveInput{Date: "2026-11-28", Start: "10:00", End: "11:00", Version: got.Version}); !errors.Is(err, casework.ErrConflict) {
			t.Fatalf("stale move: %v, want ErrConflict", err)
		}

		// Cancelled by the client, and by us, each with a reason.
		byClient := book(t, env, w, c, casework.AppointmentInput{Worker: w.ID, Date: "2026-12-01", Start: "09:00", End: "10:00"})
		byUs := book(t, env, w, c, casework.AppointmentInput{Worker: w.ID, Date: "2026-12-02", Start: "09:00", End: "10:00"})
		if err := cw.CancelAppointment(ctx, w.Actor(), c, byUs, casework.CancelInput{By: "us", Reason: "unwell"}); !slices.Equal(fieldsOf(t, err), []string{"reason"}) {
			t.Fatalf("our cancellation with a client's reason: %v", err)
		}
		if err := cw.CancelAppointment(ctx, w.Actor(), c, byClient, casework.CancelInput{By: "client", Reason: "caring", Note: "Her son is off school.\nWill call to rebook."}); err != nil {
			t.Fatal(err)
		}
		if err := cw.CancelAppointment(ctx, w.Actor(), c, byUs, casework.CancelInput{By: "us", Reason: "worker-unwell"}); err != nil {
			t.Fatal(err)
		}
		if a := apptView(t, env, w, c, byClient); a.Status != casework.AppointmentCancelled || a.CancelledBy != "client" || a.CancelReason != "caring" ||
			a.CancelNote != "Her son is off school.\nWill call to rebook." || a.CancelledByUser != w.ID || a.StatusLabel() != "Cancelled by the client" {
			t.Fatalf("cancelled by the client: %+v", a)
		}
		if a := apptView(t, env, w, c, byUs); a.CancelledBy != "us" || a.CancelReasonLabel() != "Worker unwell" || a.CancelNote != "" {
			t.Fatalf("cancelled by us: %+v", a)
		}
		if err := cw.MoveAppointment(ctx, w.Actor(), c, byUs, casework.MoveInput{Date: "2026-12-03", Start: "09:00", End: "10:00"}); !slices.Equal(fieldsOf(t, err), []string{"status"}) {
			t.Fatalf("moving a cancelled appointment: %v", err)
		}
		if err := cw.RecordAttendance(ctx, w.Actor(), c, byUs, casework.AttendanceInput{Outcome: "attended"}); !slices.Equal(fieldsOf(t, err), []string{"status"}) {
			t.Fatalf("attendance of a cancelled appointment: %v", err)
		}

		// Attended, late, did not attend: only once the appointment has begun.
		attended := book(t, env, w, c, casework.AppointmentInput{Worker: w.ID, Date: "2026-11-25", Start: "10:00", End: "10:50"})
		late := book(t, env, w, c, casework.AppointmentInput{Worker: w.ID, Date: "2026-11-25", Start: "11:00", End: "11:50"})
		dna1 := book(t, env, w, c, casework.AppointmentInput{Worker: w.ID, Date: "2026-11-25", Start: "12:00", End: "12:50"})
		dna2 := book(t, env, w, c, casework.AppointmentInput{Worker: w.ID, Date: "2026-11-25", Start: "13:00", End: "13:50"})
		if err := cw.RecordAttendance(ctx, w.Actor(), c, attended, casework.AttendanceInput{Outcome: "attended"}); !slices.Equal(fieldsOf(t, err), []string{"outcome"}) {
			t.Fatalf("attendance before the start: %v", err)
		}
		env.Clock.Advance(5 * time.Hour) // 14:30
		if err := cw.RecordAttendance(ctx, w.Actor(), c, late, casework.AttendanceInput{Outcome: "late"}); !slices.Equal(fieldsOf(t, err), []string{"late_minutes"}) {
			t.Fatalf("late without minutes: %v", err)
		}
		if err := cw.RecordAttendance(ctx, w.Actor(), c, late, casework.AttendanceInput{Outcome: "late", LateMinutes: "many"}); !slices.Equal(fieldsOf(t, err), []string{"late_minutes"}) {
			t.Fatalf("late by words: %v", err)
		}
		for id, in := range map[string]casework.AttendanceInput{
			attended: {Outcome: "attended"},
			late:     {Outcome: "late", LateMinutes: "15"},
			dna1:     {Outcome: "did-not-attend"},
			dna2:     {Outcome: "did-not-attend"},
		} {
			if err := cw.RecordAttendance(ctx, w.Actor(), c, id, in); err != nil {
				t.Fatalf("record %s: %v", in.Outcome, err)
			}
		}
		if a := apptView(t, env, w, c, late); a.Status != casework.AppointmentLate || a.LateMinutes != 15 || a.OutcomeBy != w.ID || a.StatusLabel() != "Late (15 min)" {
			t.Fatalf("late: %+v", a)
		}

		// A contact that took place awaits its note; did-not-attend does not.
		if n := apptCount(t, env, "SELECT COUNT(*) FROM note_contacts WHERE client_id = ?", c); n != 2 {
			t.Errorf("%d contacts await a note, want 2 (attended and late)", n)
		}

		list, err := cw.Appointments(ctx, w.Actor(), c, "", access.Casework)
		if err != nil {
			t.Fatal(err)
		}
		want := casework.Attendance{Upcoming: 1, Attended: 1, Late: 1, DidNotAttend: 2, CancelledByClient: 1, CancelledByUs: 1}
		if list.Attendance != want {
			t.Fatalf("attendance %+v, want %+v", list.Attendance, want)
		}
		if len(list.Upcoming) != 1 || list.Upcoming[0].ID != a1 || len(list.Past) != 6 || list.Header.DisplayName == "" {
			t.Fatalf("list: %d upcoming, %d past", len(list.Upcoming), len(list.Past))
		}

		// A mistake corrected: the late arrival did not come after all.
		cur := apptView(t, env, w, c, late)
		if err := cw.RecordAttendance(ctx, w.Actor(), c, late, casework.AttendanceInput{Outcome: "did-not-attend", Version: cur.Version}); err != nil {
			t.Fatal(err)
		}
		if n := apptCount(t, env, "SELECT COUNT(*) FROM note_contacts WHERE client_id = ?", c); n != 1 {
			t.Errorf("%d contacts await a note after the correction, want 1", n)
		}
		list, _ = cw.Appointments(ctx, w.Actor(), c, "", access.Casework)
		if list.Attendance.DidNotAttend != 3 || list.Attendance.Late != 0 {
			t.Fatalf("after correction: %+v", list.Attendance)
		}
	})
}

// P06: a case's attendance record counts that case's appointments only.
func TestAppointmentsOfACase(t *testing.T) {
	apptest.Each(t, func(t *testing.T, env *apptest.Env) {
		ctx := context.Background()
		svc := env.Service(t, "Advocacy", false)
		w := env.Person(t, access.Caseworker, svc.ID)
		c := apptClient(t, env, w, svc.ID, "Olumide")
		opts, err := env.Casework.AppointmentBookingOptions(ctx, w.Actor(), c, access.Casework)
		if err != nil {
			t.Fatal(err)
		}
		if len(opts.Cases) != 1 || len(opts.Services) != 1 || opts.Services[0].WorkerID != w.ID {
			t.Fatalf("booking options: %+v", opts)
		}
		caseID := opts.Cases[0].ID
		book(t, env, w, c, casework.AppointmentInput{CaseID: caseID, Worker: w.ID, Date: "2026-11-25", Start: "10:00", End: "11:00"})
		book(t, env, w, c, casework.AppointmentInput{Worker: w.ID, Date: "2026-11-25", Start: "11:00", End: "12:00"})
		other := apptClient(t, env, w, svc.ID, "Femi")
		if _, err := env.Casework.BookAppointment(ctx, w.Actor(), other, casework.AppointmentInput{CaseID: caseID, Worker: w.ID, Date: "2026-11-25", Start: "10:00", End: "11:00", Kind: "phone"}); !slices.Equal(fieldsOf(t, err), []string{"case_id"}) {
			t.Fatalf("another client's case: %v", err)
		}
		list, err := env.Casework.Appointments(ctx, w.Actor(), c, caseID, access.Casework)
		if err != nil {
			t.Fatal(err)
		}
		if list.Attendance.Total() != 1 || len(list.Upcoming) != 1 || list.Upcoming[0].CaseID != caseID {
			t.Fatalf("case's appointments: %+v", list)
		}
	})
}

// Bad input: each problem named by its field, and nothing written.
func TestAppointmentBadInput(t *testing.T) {
	apptest.Each(t, func(t *testing.T, env *apptest.Env) {
		ctx := context.Background()
		svc := env.Service(t, "Counselling", false)
		other := env.Service(t, "Welfare rights", false)
		w := env.Person(t, access.Caseworker, svc.ID)
		outsider := env.Person(t, access.Caseworker, other.ID)
		admin := env.Person(t, access.AdminStaff, svc.ID)
		c := apptClient(t, env, w, svc.ID, "Agnieszka")
		ok := casework.AppointmentInput{Worker: w.ID, Date: "2026-11-30", Start: "10:00", End: "11:00", Kind: "video"}
		with := func(f func(*casework.AppointmentInput)) casework.AppointmentInput {
			in := ok
			f(&in)
			return in
		}
		for _, tt := range []struct {
			name   string
			in     casework.AppointmentInput
			fields []string
		}{
			{"end before start", with(func(in *casework.AppointmentInput) { in.End = "09:30" }), []string{"end"}},
			{"end equals start", with(func(in *casework.AppointmentInput) { in.End = "10:00" }), []string{"end"}},
			{"unknown worker", with(func(in *casework.AppointmentInput) { in.Worker = store.NewID() }), []string{"worker"}},
			{"worker of another service", with(func(in *casework.AppointmentInput) { in.Worker = outsider.ID }), []string{"worker"}},
			{"admin staff as the worker", with(func(in *casework.AppointmentInput) { in.Worker = admin.ID }), []string{"worker"}},
			{"no worker", with(func(in *casework.AppointmentInput) { in.Worker = "" }), []string{"worker"}},
			{"in the past", with(func(in *casework.AppointmentInput) { in.Date = "2026-11-24" }), []string{"date"}},
			{"not a date", with(func(in *casework.AppointmentInput) { in.Date = "2026-02-30" }), []string{"date"}},
			{"years ahead", with(func(in *casework.AppointmentInput) { in.Date = "2030-01-01" }), []string{"date"}},
			{"not a time", with(func(in *casework.AppointmentInput) { in.Start = "25:00"; in.End = "noon" }), []string{"start", "end"}},
			{"no kind", with(func(in *casework.AppointmentInput) { in.Kind = "carrier pigeon" }), []string{"kind"}},
			{"face to face nowhere", with(func(in *casework.AppointmentInput) { in.Kind = "face-to-face" }), []string{"location"}},
			{"location on two lines", with(func(in *casework.AppointmentInput) { in.Location = "Flat 3\nHigh Street" }), []string{"location"}},
			{"service not the client's", with(func(in *casework.AppointmentInput) { in.Service = other.ID }), []string{"service"}},
			{"malformed case", with(func(in *casework.AppointmentInput) { in.CaseID = "case one" }), []string{"case_id"}},
			{"everything", casework.AppointmentInput{}, []string{"worker", "date", "start", "end", "kind"}},
		} {
			t.Run(tt.name, func(t *testing.T) {
				_, err := env.Casework.BookAppointment(ctx, w.Actor(), c, tt.in)
				if got := fieldsOf(t, err); !slices.Equal(got, tt.fields) {
					t.Fatalf("fields %v, want %v", got, tt.fields)
				}
				var ve *casework.ValidationError
				errors.As(err, &ve)
				for _, f := range ve.Fields {
					for _, typed := range []string{"Flat 3", "carrier pigeon", "case one", "noon"} {
						if bytes.Contains([]byte(f.Message), []byte(typed)) {
							t.Errorf("message %q repeats what was typed", f.Message)
						}
					}
				}
			})
		}
		if n := apptCount(t, env, "SELECT COUNT(*) FROM appointments"); n != 0 {
			t.Fatalf("bad input wrote %d appointments", n)
		}
		a := book(t, env, w, c, ok)
		for _, tt := range []struct {
			name   string
			err    error
			fields []string
		}{
			{"move: end before start", env.Casework.MoveAppointment(ctx, w.Actor(), c, a, casework.MoveInput{Date: "2026-12-01", Start: "10:00", End: "09:00"}), []string{"end"}},
			{"move: same time", env.Casework.MoveAppointment(ctx, w.Actor(), c, a, casework.MoveInput{Date: "2026-11-30", Start: "10:00", End: "11:00"}), []string{"date"}},
			{"cancel: nobody", env.Casework.CancelAppointment(ctx, w.Actor(), c, a, casework.CancelInput{Reason: "unwell"}), []string{"by"}},
			{"cancel: no reason", env.Casework.CancelAppointment(ctx, w.Actor(), c, a, casework.CancelInput{By: "client"}), []string{"reason"}},
			{"attendance: unknown", env.Casework.RecordAttendance(ctx, w.Actor(), c, a, casework.AttendanceInput{Outcome: "maybe"}), []string{"outcome"}},
		} {
			if got := fieldsOf(t, tt.err); !slices.Equal(got, tt.fields) {
				t.Errorf("%s: fields %v, want %v", tt.name, got, tt.fields)
			}
		}
		if n := apptCount(t, env, "SELECT COUNT(*) FROM appointment_moves"); n != 0 {
			t.Errorf("bad moves wrote %d rows", n)
		}
		if got := apptView(t, env, w, c, a); got.Status != casework.AppointmentBooked || got.Version != 1 {
			t.Errorf("bad input changed the appointment: %+v", got)
		}
	})
}

// Need to know: another service's caseworker, or a colleague not working
// with the client, finds no appointments, exactly as for a client that
// does not exist. Admin staff of the service book and move them; the
// service manager sees them.
func TestAppointmentsWhoMay(t *testing.T) {
	apptest.Each(t, func(t *testing.T, env *apptest.Env) {
		ctx := context.Background()
		svc := env.Service(t, "Children and young people", false)
		other := env.Service(t, "Advocacy", false)
		w := env.Person(t, access.Caseworker, svc.ID)
		colleague := env.Person(t, access.Caseworker, svc.ID)
		outsider := env.Person(t, access.Caseworker, other.ID)
		admin := env.Person(t, access.AdminStaff, svc.ID)
		mgr := env.Person(t, access.Manager, svc.ID)
		c := apptClient(t, env, w, svc.ID, "Tigist")
		c2 := apptClient(t, env, w, svc.ID, "Yonas")

		// Admin staff book (for the worker) and move.
		a, err := env.Casework.BookAppointment(ctx, admin.Actor(), c, casework.AppointmentInput{Worker: w.ID, Date: "2026-11-30", Start: "16:00", End: "16:30", Kind: "phone"})
		if err != nil {
			t.Fatalf("admin staff booking: %v", err)
		}
		if err := env.Casework.MoveAppointment(ctx, admin.Actor(), c, a, casework.MoveInput{Date: "2026-11-30", Start: "16:30", End: "17:00", Version: 1}); err != nil {
			t.Fatalf("admin staff moving: %v", err)
		}
		if _, err := env.Casework.Appointments(ctx, mgr.Actor(), c, "", access.Casework); err != nil {
			t.Fatalf("manager: %v", err)
		}

		for _, p := range []apptest.Person{outsider, colleague} {
			_, e1 := env.Casework.Appointments(ctx, p.Actor(), c, "", access.Casework)
			_, e2 := env.Casework.Appointments(ctx, p.Actor(), store.NewID(), "", access.Casework)
			_, e3 := env.Casework.Appointment(ctx, p.Actor(), c, a, access.Casework)
			_, e4 := env.Casework.BookAppointment(ctx, p.Actor(), c, casework.AppointmentInput{Worker: w.ID, Date: "2026-11-30", Start: "10:00", End: "11:00", Kind: "phone"})
			e5 := env.Casework.CancelAppointment(ctx, p.Actor(), c, a, casework.CancelInput{By: "us", Reason: "emergency"})
			for i, err := range []error{e1, e2, e3, e4, e5} {
				if !errors.Is(err, casework.ErrNotFound) {
					t.Errorf("%s, call %d: %v, want ErrNotFound", p.Role, i+1, err)
				}
			}
		}
		// An appointment asked for under another client is not found.
		if _, err := env.Casework.Appointment(ctx, w.Actor(), c2, a, access.Casework); !errors.Is(err, casework.ErrNotFound) {
			t.Errorf("appointment under another client: %v", err)
		}
		// The DPO reads for a review, and changes nothing.
		dpo := env.Person(t, access.DPO)
		if _, err := env.Casework.Appointment(ctx, dpo.Actor(), c, a, access.Review); err != nil {
			t.Errorf("DPO review: %v", err)
		}
		if err := env.Casework.CancelAppointment(ctx, dpo.Actor(), c, a, casework.CancelInput{By: "us", Reason: "emergency"}); !errors.Is(err, casework.ErrNotFound) {
			t.Errorf("DPO cancelling: %v", err)
		}
		if got := apptView(t, env, w, c, a); got.Status != casework.AppointmentBooked || got.MoveCount != 1 {
			t.Errorf("appointment changed by someone who may not: %+v", got)
		}
	})
}

// P06: a worker's week lists their appointments Monday to Sunday, each day
// in time order, with the clients' names; their manager and admin staff
// see it, another service's caseworker does not.
func TestWorkerWeek(t *testing.T) {
	apptest.Each(t, func(t *testing.T, env *apptest.Env) {
		ctx := context.Background()
		svc := env.Service(t, "Counselling", false)
		other := env.Service(t, "Welfare rights", false)
		w := env.Person(t, access.Caseworker, svc.ID)
		w2 := env.Person(t, access.Caseworker, svc.ID)
		mgr := env.Person(t, access.Manager, svc.ID)
		admin := env.Person(t, access.AdminStaff, svc.ID)
		outsider := env.Person(t, access.Caseworker, other.ID)
		otherMgr := env.Person(t, access.Manager, other.ID)
		c1 := apptClient(t, env, w, svc.ID, "Amara")
		c2 := apptClient(t, env, w, svc.ID, "Bogdan")
		c3 := apptClient(t, env, w2, svc.ID, "Chen")

		env.Clock.Advance(-48 * time.Hour) // Monday 23 November
		mon := book(t, env, w, c2, casework.AppointmentInput{Worker: w.ID, Date: "2026-11-23", Start: "15:00", End: "16:00"})
		env.Clock.Advance(48 * time.Hour)
		thuLate := book(t, env, w, c1, casework.AppointmentInput{Worker: w.ID, Date: "2026-11-26", Start: "16:00", End: "17:00"})
		thuEarly := book(t, env, w, c2, casework.AppointmentInput{Worker: w.ID, Date: "2026-11-26", Start: "09:00", End: "09:45"})
		sun := book(t, env, w, c1, casework.AppointmentInput{Worker: w.ID, Date: "2026-11-29", Start: "23:00", End: "23:30"})
		book(t, env, w, c1, casework.AppointmentInput{Worker: w.ID, Date: "2026-11-30", Start: "00:00", End: "00:30"})   // next week
		book(t, env, w2, c3, casework.AppointmentInput{Worker: w2.ID, Date: "2026-11-26", Start: "10:00", End: "11:00"}) // someone else's
		cancelled := book(t, env, w, c1, casework.AppointmentInput{Worker: w.ID, Date: "2026-11-27", Start: "10:00", End: "11:00"})
		if err := env.Casework.CancelAppointment(ctx, w.Actor(), c1, cancelled, casework.CancelInput{By: "client", Reason: "transport"}); err != nil {
			t.Fatal(err)
		}

		week, err := env.Casework.Week(ctx, w.Actor(), "", env.Clock.Now(), access.Casework)
		if err != nil {
			t.Fatal(err)
		}
		if week.Start.Format("Monday 2006-01-02 15:04") != "Monday 2026-11-23 00:00" || len(week.Days) != 7 {
			t.Fatalf("week starts %v with %d days", week.Start, len(week.Days))
		}
		var order []string
		perDay := map[string][]string{}
		for _, d := range week.Days {
			for _, e := range d.Appointments {
				order = append(order, e.ID)
				perDay[d.Date.Format("Mon")] = append(perDay[d.Date.Format("Mon")], e.ID)
				if !e.CanOpen || e.DisplayName == "" || e.Reference == "" {
					t.Errorf("entry without the client's name: %+v", e)
				}
			}
		}
		if want := []string{mon, thuEarly, thuLate, cancelled, sun}; !slices.Equal(order, want) {
			t.Fatalf("week order %v, want %v", order, want)
		}
		if len(perDay["Mon"]) != 1 || len(perDay["Thu"]) != 2 || len(perDay["Sun"]) != 1 || len(perDay["Fri"]) != 1 {
			t.Fatalf("days: %v", perDay)
		}
		if name := week.Days[3].Appointments[0].DisplayName; name != "Bogdan Appleby" {
			t.Errorf("Thursday's first client shown as %q", name)
		}

		// The home page's pieces: metadata and ids only, cancelled left out.
		today, err := env.Casework.TodaysAppointments(ctx, w.Actor())
		if err != nil || len(today) != 0 {
			t.Fatalf("today: %v %v", today, err)
		}
		wk, err := env.Casework.WeekAppointments(ctx, w.Actor(), env.Clock.Now())
		if err != nil || len(wk) != 4 || wk[0].ClientID != c2 {
			t.Fatalf("week's appointments: %+v %v", wk, err)
		}
		env.Clock.Advance(24 * time.Hour)
		if today, _ := env.Casework.TodaysAppointments(ctx, w.Actor()); len(today) != 2 || today[0].ID != thuEarly {
			t.Fatalf("Thursday: %+v", today)
		}

		// Whose week may be seen.
		for _, p := range []apptest.Person{mgr, admin} {
			purpose := access.Casework
			if p.Role == access.AdminStaff {
				purpose = access.Administration
			}
			wk, err := env.Casework.Week(ctx, p.Actor(), w.ID, week.Start, purpose)
			if err != nil {
				t.Fatalf("%s: %v", p.Role, err)
			}
			n := 0
			for _, d := range wk.Days {
				n += len(d.Appointments)
			}
			if n != 5 {
				t.Errorf("%s sees %d appointments, want 5", p.Role, n)
			}
		}
		for _, p := range []apptest.Person{outsider, otherMgr, w2} {
			if _, err := env.Casework.Week(ctx, p.Actor(), w.ID, week.Start, access.Casework); !errors.Is(err, casework.ErrNotFound) {
				t.Errorf("%s of another service or a colleague: %v, want ErrNotFound", p.Role, err)
			}
		}
		if _, err := env.Casework.Week(ctx, mgr.Actor(), store.NewID(), week.Start, access.Casework); !errors.Is(err, casework.ErrNotFound) {
			t.Errorf("unknown worker: %v", err)
		}
	})
}

func TestWeekStart(t *testing.T) {
	z := casework.LocalZone()
	for _, tt := range []struct{ in, want string }{
		{"2026-11-23 00:00", "2026-11-23"}, // Monday
		{"2026-11-29 23:59", "2026-11-23"}, // Sunday
		{"2026-11-30 00:00", "2026-11-30"},
		{"2026-03-29 12:00", "2026-03-23"}, // the clocks go forward that Sunday
		{"2026-10-25 12:00", "2026-10-19"}, // and back
	} {
		in, _ := time.ParseInLocation("2006-01-02 15:04", tt.in, z)
		if got := casework.WeekStart(in).Format("2006-01-02"); got != tt.want {
			t.Errorf("WeekStart(%s) = %s, want %s", tt.in, got, tt.want)
		}
	}
}
