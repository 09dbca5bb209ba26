package web

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/caseward/caseward/internal/casework"
	"github.com/caseward/caseward/internal/web/ui"
)

// dateFields are the boxes of a date (day, month, year) and, for a moment,
// of its time (hour, minute) as typed, so that a form that comes back with
// errors shows them as they were. Templates show them with the
// "dateinput" partial (dateInput).
type dateFields struct{ Day, Month, Year, Hour, Minute string }

// postedDate reads the boxes posted as name_day, name_month, name_year,
// name_hour and name_minute (those a form has).
func postedDate(r *http.Request, name string) dateFields {
	box := func(part string) string { return strings.TrimSpace(r.PostFormValue(name + "_" + part)) }
	return dateFields{box("day"), box("month"), box("year"), box("hour"), box("minute")}
}

// dayOf fills the date's boxes with t's date, as it is in t's zone.
func dayOf(t time.Time) dateFields {
	return dateFields{Day: strconv.Itoa(t.Day()), Month: strconv.Itoa(int(t.Month())), Year: strconv.Itoa(t.Year())}
}

// momentOf fills the boxes with t, in UK time.
func momentOf(t time.Time) dateFields {
	t = casework.UKTime(t)
	d := dayOf(t)
	d.Hour, d.Minute = fmt.Sprintf("%02d", t.Hour()), fmt.Sprintf("%02d", t.Minute())
	return d
}

// date is the date typed, YYYY-MM-DD; anything else is passed on for
// validation to name.
func (d dateFields) date() string { return joinDate(d.Day, d.Month, d.Year) }

// dateTime is the moment typed, YYYY-MM-DDTHH:MM (UK time); anything else
// is passed on for validation to name.
func (d dateFields) dateTime() string {
	if d == (dateFields{}) {
		return ""
	}
	date := d.date()
	h, e1 := strconv.Atoi(d.Hour)
	m, e2 := strconv.Atoi(d.Minute)
	if date == "invalid" || date == "" || e1 != nil || e2 != nil || h < 0 || h > 23 || m < 0 || m > 59 {
		return "invalid"
	}
	return fmt.Sprintf("%sT%02d:%02d", date, h, m)
}

// dateInput builds the data of the "dateinput" partial from a template:
// (dateInput id name legend fields error "hint=…" "legend=m" "time").
func dateInput(id, name, legend string, d dateFields, errMsg string, opts ...string) (ui.DateInput, error) {
	in := ui.DateInput{ID: id, Name: name, Legend: legend, Error: errMsg,
		Day: d.Day, Month: d.Month, Year: d.Year, Hour: d.Hour, Minute: d.Minute}
	for _, o := range opts {
		k, v, _ := strings.Cut(o, "=")
		switch k {
		case "hint":
			in.Hint = v
		case "legend":
			in.LegendSize = v
		case "time":
			in.Time = true
		default:
			return in, fmt.Errorf("dateInput: unknown option %q", k)
		}
	}
	return in, nil
}
