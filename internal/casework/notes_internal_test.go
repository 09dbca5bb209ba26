package casework

import (
	"testing"
	"time"
)

// P02: a contact's note is overdue once the second working day after the
// contact's day (UK dates, Monday to Friday) has ended.
func TestNoteOverdueBefore(t *testing.T) {
	utc := func(s string) time.Time {
		t.Helper()
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, tc := range []struct {
		name, now, cutoff string
	}{
		// Monday's contacts are due by the end of Wednesday.
		{"a Wednesday", "2026-11-25T09:30:00Z", "2026-11-23T00:00:00Z"},
		// Wednesday’s are due by the end of Friday, Thursday’s by Monday’s,
		// Friday’s by Tuesday’s.
		{"a Monday", "2026-11-30T08:00:00Z", "2026-11-26T00:00:00Z"},
		{"a Saturday", "2026-11-28T12:00:00Z", "2026-11-26T00:00:00Z"},
		{"a Tuesday", "2026-12-01T17:00:00Z", "2026-11-27T00:00:00Z"},
		// Half past midnight in summer is already the next day in the UK.
		{"British Summer Time", "2026-06-30T23:30:00Z", "2026-06-28T23:00:00Z"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := noteOverdueBefore(utc(tc.now)); !got.Equal(utc(tc.cutoff)) {
				t.Fatalf("noteOverdueBefore(%s) = %s, want %s", tc.now, got.UTC().Format(time.RFC3339), tc.cutoff)
			}
		})
	}
}

func TestNoteBodyEncoding(t *testing.T) {
	for _, b := range []noteBody{
		{},
		{Discussed: "x"},
		{Present: "Client, interpreter (Sorani)", Discussed: "ئەمڕۆ باسمان کرد\nline two", Support: "", Expectations: "ሰላም"},
	} {
		got, err := decodeNoteBody(encodeNoteBody(b))
		if err != nil || got != b {
			t.Errorf("round trip of %+v: %+v, %v", b, got, err)
		}
	}
	for _, bad := range [][]byte{nil, {0}, {'{'}, {noteBodyFormat, 5, 'a'}} {
		if _, err := decodeNoteBody(bad); err == nil {
			t.Errorf("decodeNoteBody(%q) accepted", bad)
		}
	}
}
