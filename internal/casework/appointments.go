package casework

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // the organisation's time zone, whatever the host has installed
	"unicode"
	"unicode/utf8"

	"github.com/caseward/caseward/internal/access"
	"github.com/caseward/caseward/internal/gate"
	"github.com/caseward/caseward/internal/store"
)

// Appointments and attendance (P06): booked with a worker at a time, moved
// (every move kept), cancelled by the client or by us with a reason, and
// marked attended, late or did not attend. Times, status, service and worker
// are clear, for diaries and counts; where the appointment is, and why it
// was cancelled, are sealed under the client's key.

const appointmentsTable = "appointments"

// The states of an appointment.
const (
	AppointmentBooked       = "booked"
	AppointmentAttended     = "attended"
	AppointmentLate         = "late"
	AppointmentDidNotAttend = "did-not-attend"
	AppointmentCancelled    = "cancelled"
)

// Who cancelled an appointment.
const (
	CancelledByClient = "client"
	CancelledByUs     = "us"
)

// LabelledCode is a code kept in the database or sent in the API, with the
// words a page shows for it.
type LabelledCode struct {
	Code  string
	Label string
}

// AppointmentKinds are the ways an appointment takes place.
var AppointmentKinds = []LabelledCode{
	{"face-to-face", "Face to face"},
	{"phone", "Phone"},
	{"video", "Video"},
}

// CancelReasonsClient are the reasons a client cancels for.
var CancelReasonsClient = []LabelledCode{
	{"unwell", "Unwell"},
	{"caring", "Childcare or caring for someone"},
	{"work-or-study", "Work or study"},
	{"transport", "Transport"},
	{"not-safe", "Could not come safely"},
	{"not-needed", "No longer needed"},
	{"other", "Another reason"},
}

// CancelReasonsUs are the reasons we cancel for.
var CancelReasonsUs = []LabelledCode{
	{"worker-unwell", "Worker unwell"},
	{"worker-unavailable", "Worker unavailable"},
	{"venue-closed", "Office or venue closed"},
	{"emergency", "An emergency elsewhere"},
	{"booked-in-error", "Booked in error"},
	{"other", "Another reason"},
}

// AttendanceOutcomes are what can be recorded once an appointment has
// started.
var AttendanceOutcomes = []LabelledCode{
	{AppointmentAttended, "Attended"},
	{AppointmentLate, "Attended, late"},
	{AppointmentDidNotAttend, "Did not attend"},
}

// Label returns the words for code in list, or code itself.
func LabelFor(list []LabelledCode, code string) string {
	for _, c := range list {
		if c.Code == code {
			return c.Label
		}
	}
	return code
}

func apptHasCode(list []LabelledCode, code string) bool {
	return slices.ContainsFunc(list, func(c LabelledCode) bool { return c.Code == code })
}

// localZone is the organisation's local time: appointments are typed, shown and
// counted by day in it.
var localZone = func() *time.Location {
	z, err := time.LoadLocation("Europe/London")
	if err != nil {
		panic(err) // time/tzdata is embedded: only a broken build gets here
	}
	return z
}()

// LocalZone returns the organisation's local time zone (Europe/London), in which
// appointment times are typed and shown.
func LocalZone() *time.Location { return localZone }

// WeekStart returns midnight, local time, on the Monday of the week that
// holds t.
func WeekStart(t time.Time) time.Time {
	t = t.In(localZone)
	d := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, localZone)
	back := (int(d.Weekday()) + 6) % 7 // Monday 0 … Sunday 6
	return d.AddDate(0, 0, -back)
}

// Appointment is one appointment, decrypted for one actor.
type Appointment struct {
	ID        string
	ClientID  string
	CaseID    string // "" when not tied to a case
	ServiceID string
	WorkerID  string
	Start     time.Time // local time (LocalZone)
	End       time.Time
	Kind      string
	Location  string
	Status    string
	// LateMinutes is how late the client was, when Status is late.
	LateMinutes int
	OutcomeBy   string
	OutcomeAt   time.Time
	// CancelledBy is CancelledByClient or CancelledByUs when cancelled.
	CancelledBy     string
	CancelReason    string // a code from CancelReasonsClient or CancelReasonsUs
	CancelNote      string
	CancelledByUser string
	CancelledAt     time.Time
	MoveCount       int
	Moves           []AppointmentMove // oldest first; filled for one appointment
	BookedBy        string
	Version         int64
	CreatedAt       time.Time
	UpdatedAt       time.Time
}

// Minutes returns the appointment's length in minutes.
func (a Appointment) Minutes() int { return int(a.End.Sub(a.Start) / time.Minute) }

// KindLabel returns the words for the appointment's kind.
func (a Appointment) KindLabel() string { return LabelFor(AppointmentKinds, a.Kind) }

// StatusLabel returns the words for the appointment's state.
func (a Appointment) StatusLabel() string {
	switch a.Status {
	case AppointmentBooked:
		return "Booked"
	case AppointmentCancelled:
		if a.CancelledBy == CancelledByClient {
			return "Cancelled by the client"
		}
		return "Cancelled by us"
	case AppointmentLate:
		return fmt.Sprintf("Late (%d min)", a.LateMinutes)
	}
	return LabelFor(AttendanceOutcomes, a.Status)
}

// CancelReasonLabel returns the words for the cancellation's reason.
func (a Appointment) CancelReasonLabel() string {
	if a.CancelledBy == CancelledByClient {
		return LabelFor(CancelReasonsClient, a.CancelReason)
	}
	return LabelFor(CancelReasonsUs, a.CancelReason)
}

// AppointmentMove is one move of an appointment to a new time.
type AppointmentMove struct {
	FromStart, FromEnd time.Time // local time
	ToStart, ToEnd     time.Time
	MovedBy            string
	MovedAt            time.Time
}

// Attendance is a client's (or a case's) attendance record: what happened
// to their appointments, counted.
type Attendance struct {
	Upcoming          int // booked, not yet started
	Unrecorded        int // booked, started, no outcome recorded yet
	Attended          int // on time
	Late              int
	DidNotAttend      int
	CancelledByClient int
	CancelledByUs     int
}

// Total counts every appointment in the record.
func (a Attendance) Total() int {
	return a.Upcoming + a.Unrecorded + a.Attended + a.Late + a.DidNotAttend + a.CancelledByClient + a.CancelledByUs
}

func (a *Attendance) count(ap Appointment, now time.Time) {
	switch ap.Status {
	case AppointmentBooked:
		if ap.Start.After(now) {
			a.Upcoming++
		} else {
			a.Unrecorded++
		}
	case AppointmentAttended:
		a.Attended++
	case AppointmentLate:
		a.Late++
	case AppointmentDidNotAttend:
		a.DidNotAttend++
	case AppointmentCancelled:
		if ap.CancelledBy == CancelledByClient {
			a.CancelledByClient++
		} else {
			a.CancelledByUs++
		}
	}
}

// AppointmentInput is a booking as typed into the form or sent to the API;
// the same validation serves both.
type AppointmentInput struct {
	CaseID   string `json:"case_id"`
	Service  string `json:"service"` // needed only when the client is in several of the actor's services
	Worker   string `json:"worker"`  // a member of staff's id
	Date     string `json:"date"`    // YYYY-MM-DD, local
	Start    string `json:"start"`   // HH:MM, local, 24-hour clock
	End      string `json:"end"`
	Kind     string `json:"kind"`
	Location string `json:"location"`
}

// MoveInput is a new time for an appointment. Version is the version the
// editor started from; 0 means "whatever it is now" (API only).
type MoveInput struct {
	Date    string `json:"date"`
	Start   string `json:"start"`
	End     string `json:"end"`
	Version int64  `json:"version"`
}

// CancelInput cancels an appointment: who cancelled, why, and an optional
// note.
type CancelInput struct {
	By      string `json:"by"`     // client or us
	Reason  string `json:"reason"` // a code from the list for By
	Note    string `json:"note"`
	Version int64  `json:"version"`
}

// AttendanceInput records what happened at an appointment.
type AttendanceInput struct {
	Outcome     string `json:"outcome"` // attended, late, did-not-attend
	LateMinutes string `json:"late_minutes"`
	Version     int64  `json:"version"`
}

// MaxLocationLength bounds an appointment's location, in characters.
const MaxLocationLength = 200

// MaxCancelNoteLength bounds short free-text notes (a cancellation's note), in
// characters.
const MaxCancelNoteLength = 2000

// apptText trims and checks free text; oneLine refuses line breaks.
func apptText(v *ValidationError, field, label string, s string, max int, oneLine bool) string {
	s = strings.TrimSpace(s)
	switch {
	case !utf8.ValidString(s):
		v.add(field, label+" contains characters that cannot be stored")
	case utf8.RuneCountInString(s) > max:
		v.add(field, fmt.Sprintf("%s must be %d characters or fewer", label, max))
	case strings.IndexFunc(s, func(r rune) bool {
		return unicode.IsControl(r) && (oneLine || (r != '\n' && r != '\r' && r != '\t'))
	}) >= 0:
		if oneLine {
			v.add(field, label+" must be on one line")
		} else {
			v.add(field, label+" contains control characters that cannot be stored")
		}
	}
	return s
}

// apptClock parses a time of day, HH:MM (or H:MM, or with a dot).
func apptClock(s string) (h, m int, ok bool) {
	s = strings.TrimSpace(s)
	hs, ms, found := strings.Cut(strings.ReplaceAll(s, ".", ":"), ":")
	if !found || len(hs) < 1 || len(hs) > 2 || len(ms) != 2 {
		return 0, 0, false
	}
	h, e1 := strconv.Atoi(hs)
	m, e2 := strconv.Atoi(ms)
	if e1 != nil || e2 != nil || h < 0 || h > 23 || m < 0 || m > 59 {
		return 0, 0, false
	}
	return h, m, true
}

// apptSlot checks a date and start and end times, local time; the date must
// be today or later and within two years.
func apptSlot(v *ValidationError, date, start, end string, now time.Time) (from, to time.Time) {
	date = strings.TrimSpace(date)
	var day time.Time
	switch d, err := time.ParseInLocation(DateLayout, date, localZone); {
	case date == "":
		v.add("date", "Enter the date of the appointment")
	case err != nil:
		v.add("date", "The date must be a real date, for example 2026-12-03")
	default:
		today := now.In(localZone)
		today = time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, localZone)
		switch {
		case d.Before(today):
			v.add("date", "The date must be today or in the future")
		case d.After(today.AddDate(2, 0, 0)):
			v.add("date", "The date must be within the next two years")
		default:
			day = d
		}
	}
	sh, sm, sok := apptClock(start)
	eh, em, eok := apptClock(end)
	switch {
	case strings.TrimSpace(start) == "":
		v.add("start", "Enter the start time")
	case !sok:
		v.add("start", "Enter the start time in hours and minutes, for example 14:30")
	}
	switch {
	case strings.TrimSpace(end) == "":
		v.add("end", "Enter the end time")
	case !eok:
		v.add("end", "Enter the end time in hours and minutes, for example 15:30")
	case sok && eh*60+em <= sh*60+sm:
		v.add("end", "The end time must be after the start time")
	}
	if day.IsZero() || !sok || !eok {
		return time.Time{}, time.Time{}
	}
	from = time.Date(day.Year(), day.Month(), day.Day(), sh, sm, 0, 0, localZone)
	to = time.Date(day.Year(), day.Month(), day.Day(), eh, em, 0, 0, localZone)
	if !to.After(from) && v.For("end") == "" { // a clock change in between
		v.add("end", "The end time must be after the start time")
	}
	return from, to
}

// sharedServices lists the client's services the actor works in, in the
// order the client was linked to them: where the actor may book an
// appointment, record a comment, write a note or keep a letter.
func sharedServices(actor access.Actor, s access.Subject) []string {
	var out []string
	for _, id := range s.ServiceIDs() {
		if actor.InService(id) {
			out = append(out, id)
		}
	}
	return out
}

// apptChooseService resolves the service a booking or a comment belongs to:
// the one asked for, or the only one the client and the actor share.
func apptChooseService(v *ValidationError, asked string, choices []string) string {
	asked = strings.TrimSpace(asked)
	switch {
	case asked != "" && slices.Contains(choices, asked):
		return asked
	case asked != "":
		v.add("service", "Choose one of the client’s services that you work in")
	case len(choices) == 1:
		return choices[0]
	case len(choices) == 0:
		v.add("service", "You do not work in any of the client’s services")
	default:
		v.add("service", "Choose the service")
	}
	return ""
}

// apptCase checks the case a booking is tied to, if any: one of the
// client's open cases, in a service the actor works in. The booking then
// belongs to the case's service.
func (cw *Casework) apptCase(ctx context.Context, v *ValidationError, clientID, caseID, asked string, choices []string) (id, service string, err error) {
	caseID = strings.TrimSpace(caseID)
	if caseID == "" {
		return "", "", nil
	}
	bad := func() (string, string, error) {
		v.add("case_id", "Choose one of the client’s open cases in your services, or none")
		return "", "", nil
	}
	if !store.ValidID(caseID) {
		return bad()
	}
	c, err := scanCase(cw.db.QueryRow(ctx, "SELECT "+caseColumns+" FROM cases WHERE id = ?", caseID))
	if err = store.NotFound(err); errors.Is(err, store.ErrNotFound) {
		return bad()
	} else if err != nil {
		return "", "", fmt.Errorf("read case: %w", err)
	}
	if c.ClientID != clientID || !c.Active() || !slices.Contains(choices, c.ServiceID) {
		return bad()
	}
	if a := strings.TrimSpace(asked); a != "" && a != c.ServiceID {
		v.add("service", "Choose the service of the case, or no case")
	}
	return c.ID, c.ServiceID, nil
}

// canSeeAppointment is the need-to-know rule for one appointment of a
// client the actor may open: it belongs to one of the actor's services, or
// it is the actor's own; the DPO, for a request or a review, sees all.
func canSeeAppointment(actor access.Actor, serviceID, workerID string) bool {
	return actor.Role == access.DPO || actor.InService(serviceID) || workerID == actor.UserID
}

// BookingOptions is what a booking form needs: the client's header, the
// client's services the actor may book in, each with the worker who owns
// the client's work there ("" when nobody does), and the client's open
// cases in those services.
type BookingOptions struct {
	Header   Header
	Services []access.Link
	Cases    []Case
}

// AppointmentBookingOptions opens the client for reading and returns what
// the booking form offers.
func (cw *Casework) AppointmentBookingOptions(ctx context.Context, actor access.Actor, clientID string, purpose access.Purpose) (BookingOptions, error) {
	h, err := cw.gate.OpenClient(ctx, actor, clientID, purpose, access.ViewRecord)
	if err != nil {
		return BookingOptions{}, err
	}
	hd, err := cw.headerFor(ctx, actor, h)
	if err != nil {
		return BookingOptions{}, err
	}
	bo := BookingOptions{Header: hd}
	for _, id := range sharedServices(actor, h.Subject()) {
		l := access.Link{ServiceID: id}
		for _, cl := range h.Subject().Links {
			if cl.ServiceID == id && cl.WorkerID != "" {
				l.WorkerID = cl.WorkerID
				break
			}
		}
		bo.Services = append(bo.Services, l)
	}
	rows, err := cw.db.Query(ctx, "SELECT "+caseColumns+" FROM cases WHERE client_id = ? ORDER BY opened_on, id", clientID)
	if err != nil {
		return BookingOptions{}, fmt.Errorf("booking options: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		c, err := scanCase(rows)
		if err != nil {
			return BookingOptions{}, fmt.Errorf("booking options: %w", err)
		}
		if c.Active() && slices.ContainsFunc(bo.Services, func(l access.Link) bool { return l.ServiceID == c.ServiceID }) {
			bo.Cases = append(bo.Cases, c)
		}
	}
	return bo, rows.Err()
}

// BookAppointment books an appointment for a client and returns its id.
// Problems with the input come back as a *ValidationError and nothing is
// written.
func (cw *Casework) BookAppointment(ctx context.Context, actor access.Actor, clientID string, in AppointmentInput) (string, error) {
	h, err := cw.gate.OpenClient(ctx, actor, clientID, apptPurpose(actor), access.Edit)
	if err != nil {
		return "", err
	}
	now := cw.now()
	var v ValidationError
	choices := sharedServices(actor, h.Subject())
	caseID, service, err := cw.apptCase(ctx, &v, clientID, in.CaseID, in.Service, choices)
	if err != nil {
		return "", err
	}
	if caseID == "" {
		service = apptChooseService(&v, in.Service, choices)
	}
	worker := strings.TrimSpace(in.Worker)
	if worker == "" {
		v.add("worker", "Choose who the appointment is with")
	} else if service != "" {
		ok, err := isWorker(ctx, cw.db, worker, service)
		if err != nil {
			return "", err
		}
		if !ok {
			v.add("worker", "Choose a caseworker or manager who works in the client’s service")
		}
	}
	from, to := apptSlot(&v, in.Date, in.Start, in.End, now)
	kind := strings.TrimSpace(in.Kind)
	if !apptHasCode(AppointmentKinds, kind) {
		v.add("kind", "Choose face to face, phone or video")
	}
	location := apptText(&v, "location", "Where", in.Location, MaxLocationLength, true)
	if location == "" && kind == "face-to-face" && v.For("location") == "" {
		v.add("location", "Enter where you will meet")
	}
	if err := v.orNil(); err != nil {
		return "", err
	}
	id := store.NewID()
	sealed, err := h.SealString(appointmentsTable, "location", id, location)
	if err != nil {
		return "", err
	}
	ts := now.UTC().UnixMicro()
	err = h.Update(ctx, []string{id}, func(ctx context.Context, tx *store.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO appointments (id, client_id, case_id, service_id, worker_id, starts_at, ends_at, kind, location, status, booked_by, version, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)`,
			id, clientID, caseID, service, worker, from.UTC().UnixMicro(), to.UTC().UnixMicro(), kind, sealed, AppointmentBooked, actor.UserID, ts, ts)
		return err
	})
	if err != nil {
		return "", fmt.Errorf("book appointment: %w", err)
	}
	return id, nil
}

// apptPurpose is the purpose of a change: admin staff administer, everyone
// else works with the client.
func apptPurpose(actor access.Actor) access.Purpose {
	if actor.Role == access.AdminStaff {
		return access.Administration
	}
	return access.Casework
}

const appointmentColumns = `id, client_id, case_id, service_id, worker_id, starts_at, ends_at, kind, location, status,
	late_minutes, outcome_by, outcome_at, cancelled_by, cancel_reason, cancel_note, cancelled_by_user, cancelled_at,
	moves, booked_by, version, created_at, updated_at`

// appointmentRow is an appointment as stored: clear fields, sealed ones.
type appointmentRow struct {
	Appointment
	location, reason, note []byte
}

type apptScanner interface{ Scan(dest ...any) error }

func scanAppointment(r apptScanner) (appointmentRow, error) {
	var (
		a                                                  appointmentRow
		starts, ends, outcomeAt, cancelledAt, created, upd int64
		late, moves                                        int64
	)
	err := r.Scan(&a.ID, &a.ClientID, &a.CaseID, &a.ServiceID, &a.WorkerID, &starts, &ends, &a.Kind, &a.location, &a.Status,
		&late, &a.OutcomeBy, &outcomeAt, &a.CancelledBy, &a.reason, &a.note, &a.CancelledByUser, &cancelledAt,
		&moves, &a.BookedBy, &a.Version, &created, &upd)
	if err != nil {
		return a, err
	}
	a.Start, a.End = localMicros(starts), localMicros(ends)
	a.LateMinutes, a.MoveCount = int(late), int(moves)
	a.OutcomeAt, a.CancelledAt = localMicros(outcomeAt), localMicros(cancelledAt)
	a.CreatedAt, a.UpdatedAt = localMicros(created), localMicros(upd)
	return a, nil
}

// localMicros turns stored unix microseconds into local time; 0 is the zero
// time.
func localMicros(us int64) time.Time {
	if us == 0 {
		return time.Time{}
	}
	return time.UnixMicro(us).In(localZone)
}

// open decrypts the sealed fields with the client's handle.
func (a *appointmentRow) open(h *gate.Handle, withLocation bool) (Appointment, error) {
	var err error
	if withLocation {
		if a.Location, err = h.OpenString(appointmentsTable, "location", a.ID, a.location); err != nil {
			return Appointment{}, fmt.Errorf("open appointment: %w", err)
		}
	}
	if a.reason != nil {
		if a.CancelReason, err = h.OpenString(appointmentsTable, "cancel_reason", a.ID, a.reason); err != nil {
			return Appointment{}, fmt.Errorf("open appointment: %w", err)
		}
	}
	if a.note != nil {
		if a.CancelNote, err = h.OpenString(appointmentsTable, "cancel_note", a.ID, a.note); err != nil {
			return Appointment{}, fmt.Errorf("open appointment: %w", err)
		}
	}
	return a.Appointment, nil
}

// ClientAppointments is a client's appointments page: the header, their
// appointments the actor may see (upcoming soonest first, then the past
// most recent first) and the attendance record they add up to.
type ClientAppointments struct {
	Header       Header
	CaseID       string // the case the list is limited to, or ""
	Upcoming     []Appointment
	Past         []Appointment
	Attendance   Attendance
	CanBook      bool // the actor works in one of the client's services
	MaxAppShown  int  // the list is cut at this many appointments
	MoreNotShown bool
}

// maxAppointmentsListed bounds one client's list; the attendance record
// always counts every appointment.
const maxAppointmentsListed = 500

// Appointments opens the client for reading and returns their appointments
// and attendance record, limited to one case when caseID is not "".
func (cw *Casework) Appointments(ctx context.Context, actor access.Actor, clientID, caseID string, purpose access.Purpose) (ClientAppointments, error) {
	h, err := cw.gate.OpenClient(ctx, actor, clientID, purpose, access.ViewRecord)
	if err != nil {
		return ClientAppointments{}, err
	}
	hd, err := cw.headerFor(ctx, actor, h)
	if err != nil {
		return ClientAppointments{}, err
	}
	out := ClientAppointments{Header: hd, CaseID: caseID, MaxAppShown: maxAppointmentsListed}
	out.CanBook = actor.Role != access.DPO && len(sharedServices(actor, h.Subject())) > 0
	if caseID != "" && !store.ValidID(caseID) {
		return out, nil
	}
	q := "SELECT " + appointmentColumns + " FROM appointments WHERE client_id = ?"
	args := []any{clientID}
	if caseID != "" {
		q += " AND case_id = ?"
		args = append(args, caseID)
	}
	rows, err := cw.db.Query(ctx, q+" ORDER BY starts_at DESC, id", args...)
	if err != nil {
		return ClientAppointments{}, fmt.Errorf("appointments: %w", err)
	}
	defer rows.Close()
	now := cw.now()
	listed := 0
	for rows.Next() {
		r, err := scanAppointment(rows)
		if err != nil {
			return ClientAppointments{}, fmt.Errorf("appointments: %w", err)
		}
		if !canSeeAppointment(actor, r.ServiceID, r.WorkerID) {
			continue
		}
		out.Attendance.count(r.Appointment, now)
		if listed == maxAppointmentsListed {
			out.MoreNotShown = true
			continue
		}
		listed++
		a, err := r.open(h, true)
		if err != nil {
			return ClientAppointments{}, err
		}
		if a.Status == AppointmentBooked && a.Start.After(now) {
			out.Upcoming = append(out.Upcoming, a)
		} else {
			out.Past = append(out.Past, a)
		}
	}
	if err := rows.Err(); err != nil {
		return ClientAppointments{}, fmt.Errorf("appointments: %w", err)
	}
	slices.Reverse(out.Upcoming)
	return out, nil
}

// AppointmentView is one appointment with its client's header.
type AppointmentView struct {
	Header      Header
	Appointment Appointment
}

// Appointment opens the client for reading and returns one of their
// appointments with its history of moves. An appointment of another
// client, or one the actor may not see, is ErrNotFound.
func (cw *Casework) Appointment(ctx context.Context, actor access.Actor, clientID, appointmentID string, purpose access.Purpose) (AppointmentView, error) {
	h, err := cw.gate.OpenClient(ctx, actor, clientID, purpose, access.ViewRecord)
	if err != nil {
		return AppointmentView{}, err
	}
	r, err := cw.appointmentRow(ctx, cw.db, actor, clientID, appointmentID)
	if err != nil {
		return AppointmentView{}, err
	}
	a, err := r.open(h, true)
	if err != nil {
		return AppointmentView{}, err
	}
	if a.Moves, err = cw.appointmentMoves(ctx, a.ID); err != nil {
		return AppointmentView{}, err
	}
	hd, err := cw.headerFor(ctx, actor, h)
	if err != nil {
		return AppointmentView{}, err
	}
	return AppointmentView{Header: hd, Appointment: a}, nil
}

type apptQuerier interface {
	QueryRow(ctx context.Context, query string, args ...any) apptScanner
}

// apptDB and apptTx let appointmentRow read inside or outside a
// transaction.
type apptDB struct{ db *store.DB }

// QueryRow runs query on the database's reader pool.
func (q apptDB) QueryRow(ctx context.Context, query string, args ...any) apptScanner {
	return q.db.QueryRow(ctx, query, args...)
}

type apptTx struct{ tx *store.Tx }

// QueryRow runs query in the transaction.
func (q apptTx) QueryRow(ctx context.Context, query string, args ...any) apptScanner {
	return q.tx.QueryRow(ctx, query, args...)
}

// appointmentRow reads one appointment of clientID that actor may see.
func (cw *Casework) appointmentRow(ctx context.Context, db *store.DB, actor access.Actor, clientID, id string) (appointmentRow, error) {
	return readAppointmentRow(ctx, apptDB{db}, actor, clientID, id, "")
}

func readAppointmentRow(ctx context.Context, q apptQuerier, actor access.Actor, clientID, id, lock string) (appointmentRow, error) {
	if !store.ValidID(id) {
		return appointmentRow{}, ErrNotFound
	}
	r, err := scanAppointment(q.QueryRow(ctx, "SELECT "+appointmentColumns+" FROM appointments WHERE id = ? AND client_id = ?"+lock, id, clientID))
	if err = store.NotFound(err); errors.Is(err, store.ErrNotFound) {
		return appointmentRow{}, ErrNotFound
	} else if err != nil {
		return appointmentRow{}, fmt.Errorf("read appointment: %w", err)
	}
	if !canSeeAppointment(actor, r.ServiceID, r.WorkerID) {
		return appointmentRow{}, ErrNotFound
	}
	return r, nil
}

func (cw *Casework) appointmentMoves(ctx context.Context, id string) ([]AppointmentMove, error) {
	rows, err := cw.db.Query(ctx, `SELECT from_starts_at, from_ends_at, to_starts_at, to_ends_at, moved_by, moved_at
		FROM appointment_moves WHERE appointment_id = ? ORDER BY moved_at, id`, id)
	if err != nil {
		return nil, fmt.Errorf("appointment moves: %w", err)
	}
	defer rows.Close()
	var out []AppointmentMove
	for rows.Next() {
		var m AppointmentMove
		var fs, fe, ts, te, at int64
		if err := rows.Scan(&fs, &fe, &ts, &te, &m.MovedBy, &at); err != nil {
			return nil, fmt.Errorf("appointment moves: %w", err)
		}
		m.FromStart, m.FromEnd, m.ToStart, m.ToEnd, m.MovedAt = localMicros(fs), localMicros(fe), localMicros(ts), localMicros(te), localMicros(at)
		out = append(out, m)
	}
	return out, rows.Err()
}

// changeAppointment opens the client for editing and runs change on the
// appointment, read again inside the transaction, together with the audit
// entry. version, when not 0, must be the appointment's current version.
func (cw *Casework) changeAppointment(ctx context.Context, actor access.Actor, clientID, id string, version int64,
	check func(a appointmentRow, v *ValidationError),
	change func(ctx context.Context, tx *store.Tx, h *gate.Handle, a appointmentRow) error) error {
	h, err := cw.gate.OpenClient(ctx, actor, clientID, apptPurpose(actor), access.Edit)
	if err != nil {
		return err
	}
	// Read and check first, outside the transaction, so that input errors
	// come back before anything is written; then again inside it.
	a, err := cw.appointmentRow(ctx, cw.db, actor, clientID, id)
	if err != nil {
		return err
	}
	if version != 0 && version != a.Version {
		return ErrConflict
	}
	var v ValidationError
	check(a, &v)
	if err := v.orNil(); err != nil {
		return err
	}
	return h.Update(ctx, []string{id}, func(ctx context.Context, tx *store.Tx) error {
		cur, err := readAppointmentRow(ctx, apptTx{tx}, actor, clientID, id, tx.ForUpdate())
		if err != nil {
			return err
		}
		if cur.Version != a.Version {
			return ErrConflict
		}
		if err := change(ctx, tx, h, cur); err != nil {
			return err
		}
		return bumpVersion(ctx, tx, "appointments", id, cur.Version, cw.now())
	})
}

// MoveAppointment moves a booked appointment to a new time, keeping the old
// one in its history.
func (cw *Casework) MoveAppointment(ctx context.Context, actor access.Actor, clientID, id string, in MoveInput) error {
	var from, to time.Time
	return cw.changeAppointment(ctx, actor, clientID, id, in.Version,
		func(a appointmentRow, v *ValidationError) {
			if a.Status != AppointmentBooked {
				v.add("status", "Only a booked appointment can be moved: this one was cancelled or has its outcome recorded")
				return
			}
			from, to = apptSlot(v, in.Date, in.Start, in.End, cw.now())
			if v.orNil() == nil && from.Equal(a.Start) && to.Equal(a.End) {
				v.add("date", "Choose a time different from the one booked")
			}
		},
		func(ctx context.Context, tx *store.Tx, h *gate.Handle, a appointmentRow) error {
			if a.Status != AppointmentBooked {
				return ErrConflict
			}
			now := cw.now().UTC().UnixMicro()
			if _, err := tx.Exec(ctx, `INSERT INTO appointment_moves (id, appointment_id, from_starts_at, from_ends_at, to_starts_at, to_ends_at, moved_by, moved_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, store.NewID(), id, a.Start.UTC().UnixMicro(), a.End.UTC().UnixMicro(),
				from.UTC().UnixMicro(), to.UTC().UnixMicro(), actor.UserID, now); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, "UPDATE appointments SET starts_at = ?, ends_at = ?, moves = moves + 1 WHERE id = ?",
				from.UTC().UnixMicro(), to.UTC().UnixMicro(), id)
			return err
		})
}

// CancelAppointment cancels a booked appointment, recording who cancelled
// it (the client or us), the reason from the list, and an optional note.
func (cw *Casework) CancelAppointment(ctx context.Context, actor access.Actor, clientID, id string, in CancelInput) error {
	var reason, note string
	by := strings.TrimSpace(in.By)
	return cw.changeAppointment(ctx, actor, clientID, id, in.Version,
		func(a appointmentRow, v *ValidationError) {
			if a.Status != AppointmentBooked {
				v.add("status", "Only a booked appointment can be cancelled: this one was cancelled or has its outcome recorded")
				return
			}
			reason = strings.TrimSpace(in.Reason)
			switch by {
			case CancelledByClient:
				if !apptHasCode(CancelReasonsClient, reason) {
					v.add("reason", "Choose why the client cancelled")
				}
			case CancelledByUs:
				if !apptHasCode(CancelReasonsUs, reason) {
					v.add("reason", "Choose why we cancelled")
				}
			default:
				v.add("by", "Choose who cancelled: the client or us")
			}
			note = apptText(v, "note", "The note", in.Note, MaxCancelNoteLength, false)
		},
		func(ctx context.Context, tx *store.Tx, h *gate.Handle, a appointmentRow) error {
			if a.Status != AppointmentBooked {
				return ErrConflict
			}
			sr, err := h.SealString(appointmentsTable, "cancel_reason", id, reason)
			if err != nil {
				return err
			}
			var sn []byte
			if note != "" {
				if sn, err = h.SealString(appointmentsTable, "cancel_note", id, note); err != nil {
					return err
				}
			}
			_, err = tx.Exec(ctx, `UPDATE appointments SET status = ?, cancelled_by = ?, cancel_reason = ?, cancel_note = ?, cancelled_by_user = ?, cancelled_at = ?
				WHERE id = ?`, AppointmentCancelled, by, sr, sn, actor.UserID, cw.now().UTC().UnixMicro(), id)
			return err
		})
}

// MaxLateMinutes bounds how late a client can be recorded as being.
const MaxLateMinutes = 240

// RecordAttendance records that the client attended, was late (by how many
// minutes) or did not attend, once the appointment has started. A wrong
// outcome may be corrected the same way. When the client came, a contact
// note becomes due.
func (cw *Casework) RecordAttendance(ctx context.Context, actor access.Actor, clientID, id string, in AttendanceInput) error {
	outcome := strings.TrimSpace(in.Outcome)
	var late int
	return cw.changeAppointment(ctx, actor, clientID, id, in.Version,
		func(a appointmentRow, v *ValidationError) {
			switch {
			case a.Status == AppointmentCancelled:
				v.add("status", "This appointment was cancelled: its attendance cannot be recorded")
				return
			case a.Start.After(cw.now()):
				v.add("outcome", "Attendance can be recorded once the appointment has started")
				return
			}
			if !apptHasCode(AttendanceOutcomes, outcome) {
				v.add("outcome", "Choose attended, late or did not attend")
				return
			}
			if outcome != AppointmentLate {
				return
			}
			s := strings.TrimSpace(in.LateMinutes)
			n, err := strconv.Atoi(s)
			switch {
			case s == "":
				v.add("late_minutes", "Enter how many minutes late the client was")
			case err != nil || n < 1:
				v.add("late_minutes", "Enter the minutes late as a whole number, for example 10")
			case n > MaxLateMinutes:
				v.add("late_minutes", fmt.Sprintf("Minutes late must be %d or fewer", MaxLateMinutes))
			default:
				late = n
			}
		},
		func(ctx context.Context, tx *store.Tx, h *gate.Handle, a appointmentRow) error {
			if a.Status == AppointmentCancelled {
				return ErrConflict
			}
			if _, err := tx.Exec(ctx, "UPDATE appointments SET status = ?, late_minutes = ?, outcome_by = ?, outcome_at = ? WHERE id = ?",
				outcome, late, actor.UserID, cw.now().UTC().UnixMicro(), id); err != nil {
				return err
			}
			// A contact that took place calls for a contact note, due from
			// now; one marked by mistake no longer does.
			came := func(s string) bool { return s == AppointmentAttended || s == AppointmentLate }
			switch {
			case came(outcome) && !came(a.Status):
				return cw.ExpectNote(ctx, tx, clientID, a.CaseID, a.Start, a.WorkerID)
			case !came(outcome) && came(a.Status):
				return cw.ForgetExpectedNote(ctx, tx, clientID, a.Start, a.WorkerID)
			}
			return nil
		})
}

// DiaryEntry is one appointment in a diary, in clear metadata only: for the
// caseload home page and the worker's week, which open the clients' names
// in one batch.
type DiaryEntry struct {
	ID          string
	ClientID    string
	CaseID      string
	ServiceID   string
	WorkerID    string
	Start, End  time.Time // local time
	Kind        string
	Status      string
	CancelledBy string
	LateMinutes int
}

// StatusLabel returns the words for the entry's state.
func (d DiaryEntry) StatusLabel() string {
	return Appointment{Status: d.Status, CancelledBy: d.CancelledBy, LateMinutes: d.LateMinutes}.StatusLabel()
}

// KindLabel returns the words for the entry's kind.
func (d DiaryEntry) KindLabel() string { return LabelFor(AppointmentKinds, d.Kind) }

// diary lists workerID's appointments starting in [from, to), soonest
// first, without opening any client.
func (cw *Casework) diary(ctx context.Context, workerID string, from, to time.Time, withCancelled bool) ([]DiaryEntry, error) {
	q := `SELECT id, client_id, case_id, service_id, worker_id, starts_at, ends_at, kind, status, cancelled_by, late_minutes
		FROM appointments WHERE worker_id = ? AND starts_at >= ? AND starts_at < ?`
	if !withCancelled {
		q += " AND status <> 'cancelled'"
	}
	rows, err := cw.db.Query(ctx, q+" ORDER BY starts_at, ends_at, id", workerID, from.UTC().UnixMicro(), to.UTC().UnixMicro())
	if err != nil {
		return nil, fmt.Errorf("diary: %w", err)
	}
	defer rows.Close()
	var out []DiaryEntry
	for rows.Next() {
		var d DiaryEntry
		var s, e, late int64
		if err := rows.Scan(&d.ID, &d.ClientID, &d.CaseID, &d.ServiceID, &d.WorkerID, &s, &e, &d.Kind, &d.Status, &d.CancelledBy, &late); err != nil {
			return nil, fmt.Errorf("diary: %w", err)
		}
		d.Start, d.End, d.LateMinutes = localMicros(s), localMicros(e), int(late)
		out = append(out, d)
	}
	return out, rows.Err()
}

// TodaysAppointments lists the actor's own appointments today (local time),
// soonest first, cancelled ones left out. Only clear metadata and client
// ids: the caller opens the names it shows in one batch.
func (cw *Casework) TodaysAppointments(ctx context.Context, actor access.Actor) ([]DiaryEntry, error) {
	if actor.UserID == "" {
		return nil, nil
	}
	t := cw.now().In(localZone)
	day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, localZone)
	return cw.diary(ctx, actor.UserID, day, day.AddDate(0, 0, 1), false)
}

// WeekAppointments lists the actor's own appointments in the week (Monday
// to Sunday, local time) that holds day, soonest first, cancelled ones left
// out. Only clear metadata and client ids.
func (cw *Casework) WeekAppointments(ctx context.Context, actor access.Actor, day time.Time) ([]DiaryEntry, error) {
	if actor.UserID == "" {
		return nil, nil
	}
	mon := WeekStart(day)
	return cw.diary(ctx, actor.UserID, mon, mon.AddDate(0, 0, 7), false)
}

// WeekEntry is an appointment in a worker's week, with the client as the
// viewer may see them: a display name (initials for a hidden name), or
// only the reference when the viewer may not open the client.
type WeekEntry struct {
	DiaryEntry
	DisplayName string
	Reference   string
	CanOpen     bool
}

// WeekDay is one day of a worker's week.
type WeekDay struct {
	Date         time.Time // midnight, local time
	Appointments []WeekEntry
}

// Week is a worker's appointments from Monday to Sunday.
type Week struct {
	WorkerID string
	Start    time.Time // Monday, midnight, local time
	Days     []WeekDay // seven
}

// Week returns workerID's appointments in the week that holds day, each day
// in time order, with the clients' names opened in one audited batch.
// Caseworkers see their own week; managers and admin staff the week of
// anyone who shares a service with them, limited to the appointments of
// their services. Anyone else's week is ErrNotFound.
func (cw *Casework) Week(ctx context.Context, actor access.Actor, workerID string, day time.Time, purpose access.Purpose) (Week, error) {
	if workerID == "" {
		workerID = actor.UserID
	}
	if actor.UserID == "" {
		return Week{}, ErrNotFound
	}
	if workerID != actor.UserID {
		if actor.Role != access.Manager && actor.Role != access.AdminStaff {
			return Week{}, ErrNotFound
		}
		shared := false
		for _, s := range actor.Services {
			ok, err := isWorker(ctx, cw.db, workerID, s)
			if err != nil {
				return Week{}, err
			}
			if ok {
				shared = true
				break
			}
		}
		if !shared {
			return Week{}, ErrNotFound
		}
	}
	mon := WeekStart(day)
	entries, err := cw.diary(ctx, workerID, mon, mon.AddDate(0, 0, 7), true)
	if err != nil {
		return Week{}, err
	}
	entries = slices.DeleteFunc(entries, func(d DiaryEntry) bool { return !canSeeAppointment(actor, d.ServiceID, d.WorkerID) })
	ids := make([]string, 0, len(entries))
	for _, d := range entries {
		if !slices.Contains(ids, d.ClientID) {
			ids = append(ids, d.ClientID)
		}
	}
	rows, err := cw.ListRows(ctx, actor, ids, purpose)
	if err != nil {
		return Week{}, err
	}
	names := make(map[string]string, len(rows))
	for _, r := range rows {
		names[r.ID] = r.DisplayName
	}
	w := Week{WorkerID: workerID, Start: mon}
	for i := range 7 {
		w.Days = append(w.Days, WeekDay{Date: mon.AddDate(0, 0, i)})
	}
	for _, d := range entries {
		i := int(d.Start.Sub(mon).Hours()) / 24
		// Days are 23 or 25 hours long when the clocks change: find by date.
		for i > 0 && d.Start.Before(w.Days[i].Date) {
			i--
		}
		for i < 6 && !d.Start.Before(w.Days[i+1].Date) {
			i++
		}
		name, ok := names[d.ClientID]
		w.Days[i].Appointments = append(w.Days[i].Appointments, WeekEntry{DiaryEntry: d, DisplayName: name, Reference: Reference(d.ClientID), CanOpen: ok})
	}
	return w, nil
}
