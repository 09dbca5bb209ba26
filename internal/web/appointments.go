package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/caseward/caseward/internal/access"
	"github.com/caseward/caseward/internal/casework"
)

// Appointments and attendance (P06): a client's appointments and their
// attendance record, booking, moving, cancelling and recording attendance,
// and a worker's week. Handlers call package casework and render; the rules
// live there, shared with the JSON API.

func apptCodes(list []casework.LabelledCode) []choice {
	out := make([]choice, len(list))
	for i, c := range list {
		out[i] = choice{Value: c.Code, Label: c.Label}
	}
	return out
}

// apptDirectory is the staff directory a page needs: names, and who works
// in which service.
type apptDirectory struct{ staffDirectory }

func (s *Server) apptDirectory(ctx context.Context) (apptDirectory, error) {
	d, err := s.staffDirectory(ctx)
	return apptDirectory{d}, err
}

func (d apptDirectory) workers(serviceIDs []string) []choice {
	var out []choice
	for _, u := range d.users {
		if u.Disabled || (u.Role != access.Caseworker && u.Role != access.Manager) {
			continue
		}
		var in []string
		for _, sid := range serviceIDs {
			if slices.Contains(u.Services, sid) {
				in = append(in, d.services[sid])
			}
		}
		if len(in) == 0 {
			continue
		}
		label := u.Name
		if len(serviceIDs) > 1 {
			label += " (" + strings.Join(in, ", ") + ")"
		}
		out = append(out, choice{Value: u.ID, Label: label})
	}
	return out
}

// apptWhen formats an appointment's time for a diary: "Thursday 26
// November 2026, 14:00 to 15:00".
func apptWhen(start, end time.Time) string {
	return start.Format("Monday 2 January 2006, 15:04") + " to " + end.Format("15:04")
}

// apptLines splits text typed over several lines, for a page to show
// with line breaks.
func apptLines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
}

// apptRow is an appointment as the pages show it.
type apptRow struct {
	ID, When, Worker, Kind, Where, Status, Case string
	StatusClass                                 string // a govuk-tag modifier
	Moved                                       bool
}

func apptStatusClass(status, cancelledBy string) string {
	switch status {
	case casework.AppointmentAttended:
		return "govuk-tag--green"
	case casework.AppointmentLate:
		return "govuk-tag--yellow"
	case casework.AppointmentDidNotAttend:
		return "govuk-tag--red"
	case casework.AppointmentCancelled:
		return "govuk-tag--grey"
	}
	return "govuk-tag--blue"
}

func (d apptDirectory) row(a casework.Appointment) apptRow {
	r := apptRow{
		ID: a.ID, When: apptWhen(a.Start, a.End), Worker: d.name(a.WorkerID), Kind: a.KindLabel(),
		Where: a.Location, Status: a.StatusLabel(), StatusClass: apptStatusClass(a.Status, a.CancelledBy), Moved: a.MoveCount > 0,
	}
	if a.CaseID != "" {
		r.Case = "Case " + casework.Reference(a.CaseID)
	}
	return r
}

// apptQuery carries the DPO's purpose from page to page; "" for everyone
// else.
func apptQuery(v *viewer, p access.Purpose) string {
	if v.User.Role == access.DPO {
		return "?purpose=" + url.QueryEscape(string(p))
	}
	return ""
}

// apptDone turns the code a redirect carries into a fixed message.
func apptDone(code string) string {
	switch code {
	case "booked":
		return "Appointment booked."
	case "moved":
		return "Appointment moved."
	case "cancelled":
		return "Appointment cancelled."
	case "attendance":
		return "Attendance recorded."
	case "recorded":
		return "Comment recorded."
	case "answered":
		return "Answer recorded."
	case "closed":
		return "Closed."
	case "owner":
		return "Owner changed."
	}
	return ""
}

// apptAskPurpose shows the DPO the question of why they open a record.
func (s *Server) apptAskPurpose(w http.ResponseWriter, v *viewer, clientID string) error {
	return s.render(w, http.StatusOK, "client_purpose", clientPage{basePage: s.base(v), Client: casework.Client{ID: clientID}, AskPurpose: true})
}

// apptTable is a table of a client's appointments.
type apptTable struct {
	ClientID, Q, Caption string
	Rows                 []apptRow
}

type appointmentsPage struct {
	basePage
	Header       casework.Header
	ClientID     string
	Q            string
	CaseRef      string
	Upcoming     apptTable
	Past         apptTable
	Attendance   casework.Attendance
	CanBook      bool
	MoreNotShown bool
	Max          int
}

func (s *Server) clientAppointments(w http.ResponseWriter, r *http.Request, v *viewer) error {
	id := r.PathValue("id")
	p, ok := purpose(v, r)
	if !ok {
		return s.apptAskPurpose(w, v, id)
	}
	caseID := r.URL.Query().Get("case")
	ca, err := s.app.Casework.Appointments(r.Context(), v.User.Actor(), id, caseID, p)
	if err != nil {
		return err
	}
	d, err := s.apptDirectory(r.Context())
	if err != nil {
		return err
	}
	page := appointmentsPage{basePage: s.base(v), Header: ca.Header, ClientID: id, Q: apptQuery(v, p),
		Attendance: ca.Attendance, CanBook: ca.CanBook, MoreNotShown: ca.MoreNotShown, Max: ca.MaxAppShown}
	if ca.CaseID != "" {
		page.CaseRef = casework.Reference(ca.CaseID)
	}
	page.Upcoming = apptTable{ClientID: id, Q: page.Q, Caption: "Upcoming appointments"}
	for _, a := range ca.Upcoming {
		page.Upcoming.Rows = append(page.Upcoming.Rows, d.row(a))
	}
	page.Past = apptTable{ClientID: id, Q: page.Q, Caption: "Past and cancelled appointments"}
	for _, a := range ca.Past {
		page.Past.Rows = append(page.Past.Rows, d.row(a))
	}
	page.Message = apptDone(r.URL.Query().Get("done"))
	return s.render(w, http.StatusOK, "appointments", page)
}

// bookForm is the booking form, kept whole when it comes back with errors.
type bookForm struct {
	basePage
	Header                   casework.Header
	ClientID                 string
	Services, Workers, Cases []choice
	Kinds                    []choice
	Service, Worker, CaseID  string
	Date                     dateFields
	Start, End, Kind, Where  string
	Err                      map[string]string
}

// bookFields maps the domain's field names to the inputs they link to.
var bookFields = map[string]string{
	"service": "service", "case_id": "case", "worker": "worker", "date": "date-day",
	"start": "start", "end": "end", "kind": "kind", "location": "location",
}

func apptErrors(ve *casework.ValidationError, fields map[string]string, page *basePage) map[string]string {
	return fieldErrors(ve, page, func(f string) string { return fields[f] })
}

// fill sets the form's choices from the booking options.
func (f *bookForm) fill(bo casework.BookingOptions, d apptDirectory) {
	f.Header = bo.Header
	var ids []string
	for _, l := range bo.Services {
		ids = append(ids, l.ServiceID)
		f.Services = append(f.Services, choice{Value: l.ServiceID, Label: d.services[l.ServiceID]})
	}
	f.Workers = d.workers(ids)
	for _, c := range bo.Cases {
		label := c.Kind.Label() + ", opened " + c.OpenedOn.Format("2 January 2006") + " (" + casework.Reference(c.ID) + ")"
		if len(ids) > 1 {
			label += ", " + d.services[c.ServiceID]
		}
		f.Cases = append(f.Cases, choice{Value: c.ID, Label: label})
	}
	f.Kinds = apptCodes(casework.AppointmentKinds)
}

func (s *Server) bookingOptions(r *http.Request, v *viewer, id string) (casework.BookingOptions, apptDirectory, error) {
	p, _ := purpose(v, r)
	bo, err := s.app.Casework.AppointmentBookingOptions(r.Context(), v.User.Actor(), id, p)
	if err != nil {
		return bo, apptDirectory{}, err
	}
	if len(bo.Services) == 0 {
		return bo, apptDirectory{}, casework.ErrForbidden
	}
	d, err := s.apptDirectory(r.Context())
	return bo, d, err
}

func (s *Server) newAppointmentForm(w http.ResponseWriter, r *http.Request, v *viewer) error {
	id := r.PathValue("id")
	bo, d, err := s.bookingOptions(r, v, id)
	if err != nil {
		return err
	}
	f := bookForm{basePage: s.base(v), ClientID: id, CaseID: r.URL.Query().Get("case")}
	f.fill(bo, d)
	// The worker offered first: a caseworker themselves; anyone else the
	// worker who owns the client's work (a manager themselves if nobody).
	if len(bo.Services) == 1 {
		f.Service = bo.Services[0].ServiceID
		f.Worker = bo.Services[0].WorkerID
	}
	if v.User.Role == access.Caseworker || (v.User.Role == access.Manager && f.Worker == "") {
		f.Worker = v.User.ID
	}
	return s.render(w, http.StatusOK, "appointments_new", f)
}

func (s *Server) bookAppointment(w http.ResponseWriter, r *http.Request, v *viewer) error {
	id := r.PathValue("id")
	f := bookForm{basePage: s.base(v), ClientID: id,
		Service: r.PostFormValue("service"), Worker: r.PostFormValue("worker"), CaseID: r.PostFormValue("case_id"),
		Date:  postedDate(r, "date"),
		Start: r.PostFormValue("start"), End: r.PostFormValue("end"), Kind: r.PostFormValue("kind"), Where: r.PostFormValue("location"),
	}
	in := casework.AppointmentInput{CaseID: f.CaseID, Service: f.Service, Worker: f.Worker, Date: f.Date.date(),
		Start: f.Start, End: f.End, Kind: f.Kind, Location: f.Where}
	_, err := s.app.Casework.BookAppointment(r.Context(), v.User.Actor(), id, in)
	var ve *casework.ValidationError
	switch {
	case errors.As(err, &ve):
		bo, d, err := s.bookingOptions(r, v, id)
		if err != nil {
			return err
		}
		f.fill(bo, d)
		f.Err = apptErrors(ve, bookFields, &f.basePage)
		return s.render(w, http.StatusBadRequest, "appointments_new", f)
	case err != nil:
		return err
	}
	http.Redirect(w, r, "/clients/"+id+"/appointments?done=booked", http.StatusSeeOther)
	return nil
}

// appointmentPage is one appointment with its history and the forms that
// change it; each form keeps what was typed when it comes back.
type appointmentPage struct {
	basePage
	Header      casework.Header
	ClientID    string
	Q           string
	A           casework.Appointment
	Row         apptRow
	BookedBy    string
	OutcomeBy   string
	CancelledBy string
	Moves       []apptMoveRow
	NoteLines   []string // the cancellation's note, line by line
	CanMove     bool     // booked
	CanRecord   bool     // started and not cancelled
	CanChange   bool     // the viewer may change appointments at all
	Version     int64

	MoveDate                           dateFields
	MoveStart, MoveEnd                 string
	CancelBy, CancelReason, CancelNote string
	Outcome, LateMinutes               string
	ReasonsClient, ReasonsUs, Outcomes []choice
	Err                                map[string]string
}

type apptMoveRow struct{ From, To, By, At string }

var appointmentFields = map[string]string{
	"date": "move-date-day", "start": "move-start", "end": "move-end",
	"by": "cancel-by", "reason": "cancel-reason", "note": "cancel-note",
	"outcome": "outcome", "late_minutes": "late-minutes", "status": "",
}

func (s *Server) appointmentPage(r *http.Request, v *viewer, clientID, apptID string, p access.Purpose) (appointmentPage, error) {
	av, err := s.app.Casework.Appointment(r.Context(), v.User.Actor(), clientID, apptID, p)
	if err != nil {
		return appointmentPage{}, err
	}
	d, err := s.apptDirectory(r.Context())
	if err != nil {
		return appointmentPage{}, err
	}
	a := av.Appointment
	page := appointmentPage{basePage: s.base(v), Header: av.Header, ClientID: clientID, Q: apptQuery(v, p), A: a, Row: d.row(a),
		BookedBy: d.name(a.BookedBy), OutcomeBy: d.name(a.OutcomeBy), CancelledBy: d.name(a.CancelledByUser), Version: a.Version,
		ReasonsClient: apptCodes(casework.CancelReasonsClient), ReasonsUs: apptCodes(casework.CancelReasonsUs),
		Outcomes: apptCodes(casework.AttendanceOutcomes), NoteLines: apptLines(a.CancelNote)}
	page.CanChange = v.User.Role != access.DPO
	page.CanMove = page.CanChange && a.Status == casework.AppointmentBooked
	page.CanRecord = page.CanChange && a.Status != casework.AppointmentCancelled && !a.Start.After(s.now())
	for _, m := range a.Moves {
		page.Moves = append(page.Moves, apptMoveRow{apptWhen(m.FromStart, m.FromEnd), apptWhen(m.ToStart, m.ToEnd), d.name(m.MovedBy), m.MovedAt.Format("2 January 2006, 15:04")})
	}
	if a.Status != casework.AppointmentBooked {
		page.Outcome = a.Status
	}
	if a.Status == casework.AppointmentLate {
		page.LateMinutes = strconv.Itoa(a.LateMinutes)
	}
	return page, nil
}

func (p *appointmentPage) form() (*basePage, *map[string]string) { return &p.basePage, &p.Err }

var appointmentItem = itemPage[appointmentPage]{list: "appointments", idParam: "aid", template: "appointments_view",
	noun: "appointment", fields: appointmentFields, build: (*Server).appointmentPage}

func (s *Server) viewAppointment(w http.ResponseWriter, r *http.Request, v *viewer) error {
	return viewItem(s, w, r, v, appointmentItem)
}

func (s *Server) moveAppointment(w http.ResponseWriter, r *http.Request, v *viewer) error {
	date, start, end := postedDate(r, "date"), r.PostFormValue("start"), r.PostFormValue("end")
	return changeItem(s, w, r, v, appointmentItem, "moved",
		func(p *appointmentPage) { p.MoveDate, p.MoveStart, p.MoveEnd = date, start, end },
		func(version int64) error {
			return s.app.Casework.MoveAppointment(r.Context(), v.User.Actor(), r.PathValue("id"), r.PathValue("aid"),
				casework.MoveInput{Date: date.date(), Start: start, End: end, Version: version})
		})
}

func (s *Server) cancelAppointment(w http.ResponseWriter, r *http.Request, v *viewer) error {
	in := casework.CancelInput{By: r.PostFormValue("by"), Reason: r.PostFormValue("reason"), Note: r.PostFormValue("note")}
	return changeItem(s, w, r, v, appointmentItem, "cancelled",
		func(p *appointmentPage) { p.CancelBy, p.CancelReason, p.CancelNote = in.By, in.Reason, in.Note },
		func(version int64) error {
			in.Version = version
			return s.app.Casework.CancelAppointment(r.Context(), v.User.Actor(), r.PathValue("id"), r.PathValue("aid"), in)
		})
}

func (s *Server) recordAttendance(w http.ResponseWriter, r *http.Request, v *viewer) error {
	in := casework.AttendanceInput{Outcome: r.PostFormValue("outcome"), LateMinutes: r.PostFormValue("late_minutes")}
	return changeItem(s, w, r, v, appointmentItem, "attendance",
		func(p *appointmentPage) { p.Outcome, p.LateMinutes = in.Outcome, in.LateMinutes },
		func(version int64) error {
			in.Version = version
			return s.app.Casework.RecordAttendance(r.Context(), v.User.Actor(), r.PathValue("id"), r.PathValue("aid"), in)
		})
}

// weekPage is a worker's week, Monday to Sunday.
type weekPage struct {
	basePage
	Heading    string
	WorkerName string
	Mine       bool
	Worker     string
	Workers    []choice // whose week the viewer may choose
	Days       []weekDayRow
	Prev, Next string
	Start      string
	Count      int
}

type weekDayRow struct {
	Heading string
	Today   bool
	Rows    []weekRow
}

type weekRow struct {
	Time, Client, Reference, Kind, Status, StatusClass, Link string
}

// weekWorkers lists whose week the viewer may see: their own, and for
// managers and admin staff the workers of their services.
func (d apptDirectory) weekWorkers(v *viewer) []choice {
	if v.User.Role != access.Manager && v.User.Role != access.AdminStaff {
		return nil
	}
	return d.workers(v.User.Services)
}

func (s *Server) week(w http.ResponseWriter, r *http.Request, v *viewer) error {
	q := r.URL.Query()
	day := s.now()
	if st := q.Get("start"); st != "" {
		t, err := time.ParseInLocation(casework.DateLayout, st, casework.LocalZone())
		if err != nil {
			return casework.ErrNotFound
		}
		day = t
	}
	p, ok := purpose(v, r)
	if !ok || v.User.Role == access.DPO {
		return casework.ErrNotFound // the DPO has no diary
	}
	wk, err := s.app.Casework.Week(r.Context(), v.User.Actor(), q.Get("worker"), day, p)
	if err != nil {
		return err
	}
	d, err := s.apptDirectory(r.Context())
	if err != nil {
		return err
	}
	page := weekPage{basePage: s.base(v), Mine: wk.WorkerID == v.User.ID, WorkerName: d.name(wk.WorkerID), Workers: d.weekWorkers(v),
		Start: wk.Start.Format(casework.DateLayout)}
	if !page.Mine {
		page.Worker = wk.WorkerID
	}
	page.Heading = "Week beginning " + wk.Start.Format("Monday 2 January 2006")
	link := func(t time.Time) string {
		u := "/appointments/week?start=" + t.Format(casework.DateLayout)
		if page.Worker != "" {
			u += "&worker=" + url.QueryEscape(page.Worker)
		}
		return u
	}
	page.Prev, page.Next = link(wk.Start.AddDate(0, 0, -7)), link(wk.Start.AddDate(0, 0, 7))
	today := s.now().In(casework.LocalZone()).Format(casework.DateLayout)
	for _, wd := range wk.Days {
		row := weekDayRow{Heading: wd.Date.Format("Monday 2 January"), Today: wd.Date.Format(casework.DateLayout) == today}
		for _, e := range wd.Appointments {
			wr := weekRow{Time: e.Start.Format("15:04") + " to " + e.End.Format("15:04"), Client: e.DisplayName, Reference: e.Reference,
				Kind: e.KindLabel(), Status: e.StatusLabel(), StatusClass: apptStatusClass(e.Status, e.CancelledBy)}
			if e.CanOpen {
				wr.Link = "/clients/" + e.ClientID + "/appointments/" + e.ID
			}
			row.Rows = append(row.Rows, wr)
			page.Count++
		}
		page.Days = append(page.Days, row)
	}
	return s.render(w, http.StatusOK, "week", page)
}

// The JSON API mirrors the pages.

// apiAppointment is an appointment as the API shows it.
type apiAppointment struct {
	ID              string        `json:"id"`
	Client          string        `json:"client"`
	CaseID          string        `json:"case_id"`
	Service         string        `json:"service"`
	Worker          string        `json:"worker"`
	Date            string        `json:"date"`
	Start           string        `json:"start"`
	End             string        `json:"end"`
	StartsAt        time.Time     `json:"starts_at"`
	EndsAt          time.Time     `json:"ends_at"`
	DurationMinutes int           `json:"duration_minutes"`
	Kind            string        `json:"kind"`
	Location        string        `json:"location"`
	Status          string        `json:"status"`
	LateMinutes     int           `json:"late_minutes,omitempty"`
	CancelledBy     string        `json:"cancelled_by,omitempty"`
	CancelReason    string        `json:"cancel_reason,omitempty"`
	CancelNote      string        `json:"cancel_note,omitempty"`
	Moved           int           `json:"moved"`
	Moves           []apiApptMove `json:"moves,omitempty"`
	Version         int64         `json:"version"`
}

type apiApptMove struct {
	FromStartsAt time.Time `json:"from_starts_at"`
	FromEndsAt   time.Time `json:"from_ends_at"`
	ToStartsAt   time.Time `json:"to_starts_at"`
	ToEndsAt     time.Time `json:"to_ends_at"`
	MovedBy      string    `json:"moved_by"`
	MovedAt      time.Time `json:"moved_at"`
}

func toAPIAppointment(a casework.Appointment) apiAppointment {
	out := apiAppointment{
		ID: a.ID, Client: a.ClientID, CaseID: a.CaseID, Service: a.ServiceID, Worker: a.WorkerID,
		Date: a.Start.Format(casework.DateLayout), Start: a.Start.Format("15:04"), End: a.End.Format("15:04"),
		StartsAt: a.Start, EndsAt: a.End, DurationMinutes: a.Minutes(), Kind: a.Kind, Location: a.Location,
		Status: a.Status, LateMinutes: a.LateMinutes, CancelledBy: a.CancelledBy, CancelReason: a.CancelReason,
		CancelNote: a.CancelNote, Moved: a.MoveCount, Version: a.Version,
	}
	for _, m := range a.Moves {
		out.Moves = append(out.Moves, apiApptMove{m.FromStart, m.FromEnd, m.ToStart, m.ToEnd, m.MovedBy, m.MovedAt})
	}
	return out
}

type apiAttendance struct {
	Upcoming          int `json:"upcoming"`
	Unrecorded        int `json:"unrecorded"`
	Attended          int `json:"attended"`
	Late              int `json:"late"`
	DidNotAttend      int `json:"did_not_attend"`
	CancelledByClient int `json:"cancelled_by_client"`
	CancelledByUs     int `json:"cancelled_by_us"`
}

func (s *Server) apiAppointments(w http.ResponseWriter, r *http.Request, v *viewer) error {
	p, err := apiPurpose(r, v)
	if err != nil {
		return err
	}
	ca, err := s.app.Casework.Appointments(r.Context(), v.User.Actor(), r.PathValue("id"), r.URL.Query().Get("case"), p)
	if err != nil {
		return err
	}
	list := []apiAppointment{}
	for _, a := range ca.Upcoming {
		list = append(list, toAPIAppointment(a))
	}
	for _, a := range ca.Past {
		list = append(list, toAPIAppointment(a))
	}
	at := ca.Attendance
	writeJSON(w, http.StatusOK, map[string]any{
		"appointments": list,
		"attendance":   apiAttendance{at.Upcoming, at.Unrecorded, at.Attended, at.Late, at.DidNotAttend, at.CancelledByClient, at.CancelledByUs},
		"truncated":    ca.MoreNotShown,
	})
	return nil
}

func (s *Server) apiGetAppointment(w http.ResponseWriter, r *http.Request, v *viewer) error {
	p, err := apiPurpose(r, v)
	if err != nil {
		return err
	}
	av, err := s.app.Casework.Appointment(r.Context(), v.User.Actor(), r.PathValue("id"), r.PathValue("aid"), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toAPIAppointment(av.Appointment))
	return nil
}

func (s *Server) apiWeek(w http.ResponseWriter, r *http.Request, v *viewer) error {
	p, err := apiPurpose(r, v)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	day := s.now()
	if st := q.Get("start"); st != "" {
		t, err := time.ParseInLocation(casework.DateLayout, st, casework.LocalZone())
		if err != nil {
			return &apiError{Status: http.StatusBadRequest, Code: "invalid", Message: "The request has invalid fields.",
				Fields: []casework.FieldError{{Field: "start", Message: "must be a date, YYYY-MM-DD"}}}
		}
		day = t
	}
	wk, err := s.app.Casework.Week(r.Context(), v.User.Actor(), q.Get("worker"), day, p)
	if err != nil {
		return err
	}
	type entry struct {
		ID          string    `json:"id"`
		Client      string    `json:"client"`
		DisplayName string    `json:"display_name,omitempty"`
		Reference   string    `json:"reference"`
		CaseID      string    `json:"case_id"`
		Service     string    `json:"service"`
		StartsAt    time.Time `json:"starts_at"`
		EndsAt      time.Time `json:"ends_at"`
		Kind        string    `json:"kind"`
		Status      string    `json:"status"`
		CancelledBy string    `json:"cancelled_by,omitempty"`
		LateMinutes int       `json:"late_minutes,omitempty"`
	}
	list := []entry{}
	for _, d := range wk.Days {
		for _, e := range d.Appointments {
			list = append(list, entry{e.ID, e.ClientID, e.DisplayName, e.Reference, e.CaseID, e.ServiceID, e.Start, e.End, e.Kind, e.Status, e.CancelledBy, e.LateMinutes})
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"worker": wk.WorkerID, "start": wk.Start.Format(casework.DateLayout),
		"end": wk.Start.AddDate(0, 0, 6).Format(casework.DateLayout), "appointments": list,
	})
	return nil
}

// homeAppointments is the caseload home page's appointments section: the
// viewer's own appointments today and in the rest of this week (cancelled
// ones left out), each with the client's display name.
type homeAppointments struct {
	Today   []weekRow
	Week    []weekDayRow // the days of this week after today that have appointments
	WeekURL string       // the full week, cancelled appointments included
}

// homeAppointments builds the home page's appointments section, opening the
// clients' names in one audited batch (casework.ListRows). Area B's
// caseloadHome renders it in home.html's "home-appointments" block.
func (s *Server) homeAppointments(r *http.Request, v *viewer) (homeAppointments, error) {
	ctx, actor := r.Context(), v.User.Actor()
	out := homeAppointments{WeekURL: "/appointments/week"}
	today, err := s.app.Casework.TodaysAppointments(ctx, actor)
	if err != nil {
		return out, err
	}
	week, err := s.app.Casework.WeekAppointments(ctx, actor, s.now())
	if err != nil {
		return out, err
	}
	var ids []string
	for _, d := range append(slices.Clone(today), week...) {
		if !slices.Contains(ids, d.ClientID) {
			ids = append(ids, d.ClientID)
		}
	}
	p, _ := purpose(v, r)
	rows, err := s.app.Casework.ListRows(ctx, actor, ids, p)
	if err != nil {
		return out, err
	}
	names := make(map[string]string, len(rows))
	for _, row := range rows {
		names[row.ID] = row.DisplayName
	}
	row := func(d casework.DiaryEntry) weekRow {
		wr := weekRow{Time: d.Start.Format("15:04") + " to " + d.End.Format("15:04"), Client: names[d.ClientID], Reference: casework.Reference(d.ClientID),
			Kind: d.KindLabel(), Status: d.StatusLabel(), StatusClass: apptStatusClass(d.Status, d.CancelledBy)}
		if wr.Client != "" {
			wr.Link = "/clients/" + d.ClientID + "/appointments/" + d.ID
		}
		return wr
	}
	for _, d := range today {
		out.Today = append(out.Today, row(d))
	}
	end := s.now().In(casework.LocalZone()).Format(casework.DateLayout)
	for _, d := range week {
		if d.Start.Format(casework.DateLayout) <= end {
			continue
		}
		heading := d.Start.Format("Monday 2 January")
		if n := len(out.Week); n == 0 || out.Week[n-1].Heading != heading {
			out.Week = append(out.Week, weekDayRow{Heading: heading})
		}
		out.Week[len(out.Week)-1].Rows = append(out.Week[len(out.Week)-1].Rows, row(d))
	}
	return out, nil
}
