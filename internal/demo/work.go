package demo

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/caseward/caseward/internal/casework"
)

// The work around each fictitious client: appointments (past ones with
// their outcome, others to come), contact notes, sometimes a support plan
// and a comment or concern. All of it goes through the casework calls the
// forms use (sealed, audited); what happened in the past is recorded with
// the domain's clock set to that moment (casework.WithClock), so that it
// passes the same checks as if typed in at the time.

// WorkOptions says how much work to make up around each client. The zero
// value makes none.
type WorkOptions struct {
	Notes        int // contact notes per client, the first ones answering attended appointments
	Appointments int // per client: about one in three still to come, the others past
	// PlanPercent and CommentPercent are the shares of clients, out of
	// 100, with a support plan and with a comment, concern or complaint.
	PlanPercent, CommentPercent int
}

func (o WorkOptions) none() bool {
	return o.Notes <= 0 && o.Appointments <= 0 && o.PlanPercent <= 0 && o.CommentPercent <= 0
}

// Work is what happens around one client (FictitiousWork).
type Work struct {
	Appointments []Appointment // oldest first
	Notes        []Note        // oldest first
	Plan         *Plan
	Comment      *Comment
}

// Appointment is one appointment of a client and what became of it. The
// booking's service and worker are those of whoever records it.
type Appointment struct {
	Booking      casework.AppointmentInput
	Start, End   time.Time
	Outcome      string // "" while to come; else attended, late, did-not-attend or cancelled
	LateMinutes  int
	CancelledBy  string // client or us
	CancelReason string
}

// Note is a contact note: when the contact was, and what it says.
type Note struct {
	At   time.Time
	Text string
}

// Plan is a support plan started on a day, perhaps agreed verbally then.
type Plan struct {
	Input     casework.PlanInput
	StartedOn time.Time
	Agreed    bool
}

// Comment is a comment, concern or complaint; Answer is "" while it is
// still open.
type Comment struct {
	Input      casework.CommentInput
	Answer     string
	AnsweredOn string
}

// WorkCount counts what AddWork recorded.
type WorkCount struct {
	Notes, Appointments, Plans, Comments int
}

func (c *WorkCount) add(d WorkCount) {
	c.Notes += d.Notes
	c.Appointments += d.Appointments
	c.Plans += d.Plans
	c.Comments += d.Comments
}

var (
	demoNoteTexts = []string{
		"Talked through the week and what had helped. Agreed to look at the housing letter together next time.",
		"Checked in by phone. Feeling steadier; sleep still poor. Gave the number for the out-of-hours line again.",
		"Went through the benefits form line by line. Two questions to ask the advice service about.",
		"Session focused on what safety looks like at home. Updated the safety plan; nothing new to report.",
		"Short contact: rearranged next appointment to fit around the school run.",
	}
	demoPlaces = []string{"Main office, room 1", "Main office, room 2", "Community centre", "Children’s centre", "Library meeting room"}
	demoGoals  = []struct{ goal, action, who string }{
		{"Feel safer at home", "Review the safety plan together", "Caseworker"},
		{"Settle the housing situation", "Call the council’s housing team about the application", "Client"},
		{"Sort out benefits", "Take the completed form to the advice service", "Client"},
		{"Sleep better", "Ask the GP about a referral for talking therapy", "Client"},
		{"Get back into work or study", "Find two courses at the college and look at them together", "Both"},
		{"Keep in touch with family", "Plan one visit and talk it through afterwards", "Client"},
		{"Understand the court process", "Arrange a meeting with the advocate before the hearing", "Caseworker"},
		{"Manage money week to week", "Write down a weekly budget together", "Both"},
	}
	demoComments = []struct{ kind, what, answer string }{
		{"suggestion", "It would help to have appointments after school hours on one day a week.", "We now keep Thursday late afternoons for appointments."},
		{"comment", "The waiting room was warm and quiet, which made a difference.", "Thank you: we passed this on to the team."},
		{"concern", "A letter arrived in an envelope with the charity’s name on it.", "We apologised and marked the record so that letters go in plain envelopes."},
		{"complaint", "An appointment was cancelled on the day twice in a row.", "We apologised, explained the staff shortage, and offered a fixed weekly time."},
	}
	demoChannels = []string{"in-person", "phone", "letter", "email", "form"}
)

// FictitiousWork returns the work around the i-th client of the population
// seeded by seed, arranged around the moment now: always the same for the
// same seed, i, options and day. Past appointments fall in the last eight
// weeks, on weekdays: most attended, some late, missed or cancelled.
// Upcoming ones fall in the next two weeks. One client in eight has their
// latest attended appointment still without a note. Review dates of plans
// are spread so that some are overdue, some due within the week and most
// later.
func FictitiousWork(seed uint64, i int, o WorkOptions, now time.Time) Work {
	var w Work
	// A stream of its own, so that adding work leaves the people as they were.
	r := rand.New(rand.NewPCG(seed^0x5eed0f3a5e3c0de5, uint64(i)))
	pick := func(ss []string) string { return ss[r.IntN(len(ss))] }
	today := midnight(now)
	weekday := func(d time.Time, forward bool) time.Time {
		for d.Weekday() == time.Saturday || d.Weekday() == time.Sunday {
			if forward {
				d = d.AddDate(0, 0, 1)
			} else {
				d = d.AddDate(0, 0, -1)
			}
		}
		return d
	}
	upcoming := 0
	if o.Appointments > 0 {
		upcoming = max(1, o.Appointments/3)
	}
	for n := range max(o.Appointments, 0) {
		var d time.Time
		if n < o.Appointments-upcoming {
			d = weekday(today.AddDate(0, 0, -1-r.IntN(56)), false)
		} else {
			d = weekday(today.AddDate(0, 0, r.IntN(14)), true)
		}
		kind := []string{"face-to-face", "face-to-face", "face-to-face", "phone", "video"}[r.IntN(5)]
		minutes := 60
		if kind == "phone" {
			minutes = 30
		}
		start := time.Date(d.Year(), d.Month(), d.Day(), 9+r.IntN(8), 30*r.IntN(2), 0, 0, casework.LocalZone())
		end := start.Add(time.Duration(minutes) * time.Minute)
		a := Appointment{Start: start, End: end, Booking: casework.AppointmentInput{
			Date: start.Format(casework.DateLayout), Start: start.Format("15:04"), End: end.Format("15:04"), Kind: kind,
		}}
		if kind == "face-to-face" {
			a.Booking.Location = pick(demoPlaces)
		}
		if !start.Before(today) {
			w.Appointments = append(w.Appointments, a) // to come (or today, not yet recorded)
			continue
		}
		switch x := r.IntN(20); {
		case x < 13:
			a.Outcome = casework.AppointmentAttended
		case x < 15:
			a.Outcome, a.LateMinutes = casework.AppointmentLate, 5+r.IntN(26)
		case x < 17:
			a.Outcome = casework.AppointmentDidNotAttend
		case x < 19:
			a.Outcome, a.CancelledBy = casework.AppointmentCancelled, casework.CancelledByClient
			a.CancelReason = casework.CancelReasonsClient[r.IntN(len(casework.CancelReasonsClient)-1)].Code
		default:
			a.Outcome, a.CancelledBy = casework.AppointmentCancelled, casework.CancelledByUs
			a.CancelReason = casework.CancelReasonsUs[r.IntN(len(casework.CancelReasonsUs)-1)].Code
		}
		w.Appointments = append(w.Appointments, a)
	}
	slices.SortStableFunc(w.Appointments, func(a, b Appointment) int { return a.Start.Compare(b.Start) })

	// Notes answer the attended appointments first, newest first, except,
	// for one client in eight, the latest; the others are check-ins every
	// three days, kept clear of any contact that still awaits its note.
	var contacts []time.Time
	for _, a := range w.Appointments {
		if a.Outcome == casework.AppointmentAttended || a.Outcome == casework.AppointmentLate {
			contacts = append(contacts, a.Start)
		}
	}
	slices.Reverse(contacts)
	if len(contacts) > 0 && r.IntN(8) == 0 {
		contacts = contacts[1:]
	}
	note := func(t time.Time) Note { return Note{At: t, Text: pick(demoNoteTexts)} }
	for _, t := range contacts[:min(len(contacts), max(o.Notes, 0))] {
		w.Notes = append(w.Notes, note(t))
	}
	clear := func(t time.Time) bool {
		for _, a := range w.Appointments {
			if a.Start.Sub(t).Abs() < 13*time.Hour {
				return false
			}
		}
		return true
	}
	for k := 1; len(w.Notes) < o.Notes; k++ {
		if t := today.AddDate(0, 0, -3*k).Add(11 * time.Hour); clear(t) {
			w.Notes = append(w.Notes, note(t))
		}
	}
	slices.SortFunc(w.Notes, func(a, b Note) int { return a.At.Compare(b.At) })

	// Shares of clients are drawn from the same stream, so that they hold
	// for any population, not only round ones.
	if r.IntN(100) < o.PlanPercent {
		started := today.AddDate(0, 0, -14-r.IntN(120))
		var review time.Time
		switch x := r.IntN(10); {
		case x < 2:
			review = today.AddDate(0, 0, -1-r.IntN(21)) // overdue
		case x < 4:
			review = today.AddDate(0, 0, r.IntN(8)) // due this week
		default:
			review = today.AddDate(0, 0, 8+r.IntN(83))
		}
		p := &Plan{StartedOn: started, Agreed: r.IntN(2) == 0, Input: casework.PlanInput{
			Title: "Support plan", ReviewOn: review.Format(casework.DateLayout),
		}}
		first := r.IntN(len(demoGoals))
		for g := range 1 + r.IntN(3) {
			goal := demoGoals[(first+g)%len(demoGoals)]
			status := casework.GoalStatuses[r.IntN(2)] // not started or under way
			p.Input.Goals = append(p.Input.Goals, casework.Goal{Text: goal.goal, Status: status, Actions: []casework.PlanAction{{
				What: goal.action, Who: goal.who, By: started.AddDate(0, 0, 14+r.IntN(60)).Format(casework.DateLayout),
			}}})
		}
		if r.IntN(3) == 0 {
			p.Input.InternalNotes = "Check at each review whether it is still safe to send letters home."
		}
		w.Plan = p
	}
	if r.IntN(100) < o.CommentPercent {
		c := demoComments[r.IntN(len(demoComments))]
		received := today.AddDate(0, 0, -1-r.IntN(60))
		cm := &Comment{Input: casework.CommentInput{
			Kind: c.kind, What: c.what, ReceivedOn: received.Format(casework.DateLayout), HowReceived: pick(demoChannels),
		}}
		if received.Before(today.AddDate(0, 0, -10)) && r.IntN(3) > 0 {
			cm.Answer, cm.AnsweredOn = c.answer, received.AddDate(0, 0, 3+r.IntN(7)).Format(casework.DateLayout)
		}
		w.Comment = cm
	}
	return w
}

// NoteText returns the i-th of the texts fictitious notes say (any i ≥ 0):
// plain, and about no one.
func NoteText(i int) string { return demoNoteTexts[i%len(demoNoteTexts)] }

// midnight returns the start of t's day, local time.
func midnight(t time.Time) time.Time {
	t = t.In(casework.LocalZone())
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, casework.LocalZone())
}

// AddWork records w for a client that c recorded, as c: the appointments
// with c, the notes by c, the plan, and the comment owned by c. cw's clock
// is taken as now: what happened before it is recorded with the clock set
// back to when it happened.
func AddWork(ctx context.Context, cw *casework.Casework, c Creator, clientID string, w Work) (WorkCount, error) {
	var n WorkCount
	at := func(t time.Time) *casework.Casework { return cw.WithClock(func() time.Time { return t }) }
	for _, a := range w.Appointments {
		in := a.Booking
		in.Service, in.Worker = c.ServiceID, c.Actor.UserID
		book := cw
		if a.Outcome != "" {
			book = at(a.Start.AddDate(0, 0, -7)) // booked a week ahead
		}
		id, err := book.BookAppointment(ctx, c.Actor, clientID, in)
		if err != nil {
			return n, fmt.Errorf("book appointment: %w", err)
		}
		switch a.Outcome {
		case "":
		case casework.AppointmentCancelled:
			err = at(a.Start.Add(-20*time.Hour)).CancelAppointment(ctx, c.Actor, clientID, id, casework.CancelInput{By: a.CancelledBy, Reason: a.CancelReason})
		default:
			late := ""
			if a.LateMinutes > 0 {
				late = fmt.Sprint(a.LateMinutes)
			}
			err = at(a.End.Add(time.Hour)).RecordAttendance(ctx, c.Actor, clientID, id, casework.AttendanceInput{Outcome: a.Outcome, LateMinutes: late})
		}
		if err != nil {
			return n, fmt.Errorf("appointment outcome: %w", err)
		}
		n.Appointments++
	}
	for _, note := range w.Notes {
		method := casework.MethodFaceToFace
		for _, a := range w.Appointments {
			if a.Start.Equal(note.At) && a.Booking.Kind != "face-to-face" {
				method = casework.ContactMethod(a.Booking.Kind)
			}
		}
		// Written two hours after the contact, as the note's own dates show.
		_, err := at(note.At.Add(2*time.Hour)).AddNote(ctx, c.Actor, clientID, casework.NoteInput{Service: c.ServiceID, NoteText: casework.NoteText{
			Kind: string(casework.ContactNote), Method: string(method), ContactAt: note.At.UTC().Format(time.RFC3339), Discussed: note.Text,
		}})
		if err != nil {
			return n, fmt.Errorf("note: %w", err)
		}
		n.Notes++
	}
	if p := w.Plan; p != nil {
		then := at(p.StartedOn.Add(14 * time.Hour))
		id, err := then.CreatePlan(ctx, c.Actor, clientID, p.Input)
		if err != nil {
			return n, fmt.Errorf("plan: %w", err)
		}
		if p.Agreed {
			if _, err := then.RecordPlanAgreement(ctx, c.Actor, clientID, id, casework.PlanAgreementInput{Version: 1, Method: casework.AgreedVerbally}); err != nil {
				return n, fmt.Errorf("plan agreement: %w", err)
			}
		}
		n.Plans++
	}
	if cm := w.Comment; cm != nil {
		in := cm.Input
		in.Service, in.Owner = c.ServiceID, c.Actor.UserID
		received, err := time.ParseInLocation(casework.DateLayout, in.ReceivedOn, casework.LocalZone())
		if err != nil {
			return n, fmt.Errorf("comment: %w", err)
		}
		id, err := at(received.Add(15*time.Hour)).RecordComment(ctx, c.Actor, clientID, in)
		if err != nil {
			return n, fmt.Errorf("comment: %w", err)
		}
		if cm.Answer != "" {
			answered, _ := time.ParseInLocation(casework.DateLayout, cm.AnsweredOn, casework.LocalZone())
			if err := at(answered.Add(16*time.Hour)).AnswerComment(ctx, c.Actor, clientID, id, casework.CommentAnswerInput{Answer: cm.Answer, AnsweredOn: cm.AnsweredOn}); err != nil {
				return n, fmt.Errorf("comment answer: %w", err)
			}
		}
		n.Comments++
	}
	return n, nil
}
