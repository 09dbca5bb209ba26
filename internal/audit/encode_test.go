package audit

import (
	"encoding/hex"
	"errors"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"
)

func sampleEntry() Entry {
	return Entry{
		Index:     42,
		At:        time.Date(2026, 3, 1, 9, 30, 15, 123456000, time.UTC),
		Actor:     "staff:k3j2h4g5f6d7s8a9q2w3e4r5t6",
		Action:    "note.read",
		ClientID:  "c4d5e6f7g2h3j4k5l6m7n2p3q4",
		RecordIDs: []string{"n2b3c4d5e6f7g2h3j4k5l6m7n2", "n7p6q5r4s3t2u7v6w5x4y3z2a2"},
		Purpose:   "casework",
		Allowed:   true,
		Reason:    "assigned",
	}
}

// The canonical encoding is fixed for ever: entries written today must
// re-encode to the same bytes in seventy years. A change here is a new
// version byte, never an edit.
func TestEncodingIsStable(t *testing.T) {
	e := sampleEntry()
	got := hex.EncodeToString(encodeEntry(nil, &e))
	// version 1, index 42, 2026-03-01T09:30:15.123456Z in µs, then each
	// field with its length byte, two record ids, allowed, reason.
	const want = "01" + "000000000000002a" + "00064bf31e24ba00" +
		"20" + "73746166663a6b336a3268346735663664377338613971327733653472357436" +
		"09" + "6e6f74652e72656164" +
		"1a" + "6334643565366637673268336a346b356c366d376e3270337134" +
		"0002" +
		"1a" + "6e3262336334643565366637673268336a346b356c366d376e32" +
		"1a" + "6e3770367135723473337432753776367735783479337a326132" +
		"08" + "63617365776f726b" +
		"01" +
		"08" + "61737369676e6564"
	if got != want {
		t.Fatalf("encoding changed:\n got %s\nwant %s", got, want)
	}
}

func TestEncodeDecodeRoundTrip(t *testing.T) {
	for _, e := range []Entry{
		sampleEntry(),
		{At: time.UnixMicro(0).UTC(), Actor: "a", Action: "b"},
		{Index: 1 << 40, At: time.UnixMicro(-5).UTC(), Actor: strings.Repeat("z", 64), Action: "x", RecordIDs: make([]string, 0)},
	} {
		b := encodeEntry(nil, &e)
		d, err := decodeEntry(b)
		if err != nil {
			t.Fatalf("decode %+v: %v", e, err)
		}
		if len(e.RecordIDs) == 0 {
			e.RecordIDs = nil
		}
		if !d.At.Equal(e.At) || d.Index != e.Index || d.Actor != e.Actor || d.Action != e.Action || d.ClientID != e.ClientID ||
			strings.Join(d.RecordIDs, ",") != strings.Join(e.RecordIDs, ",") || len(d.RecordIDs) != len(e.RecordIDs) ||
			d.Purpose != e.Purpose || d.Allowed != e.Allowed || d.Reason != e.Reason {
			t.Fatalf("round trip: got %+v, want %+v", d, e)
		}
		if string(encodeEntry(nil, &d)) != string(b) {
			t.Fatal("re-encoding differs")
		}
	}
}

// Names, e-mail addresses and sentences cannot get into the log, and the
// refusal does not repeat them (it may end up in a server log).
func TestValidationRefusesPersonalData(t *testing.T) {
	ok := sampleEntry()
	if err := validate(&ok); err != nil {
		t.Fatalf("valid entry refused: %v", err)
	}
	long := strings.Repeat("a", 65)
	cases := []struct {
		name  string
		value string
		edit  func(e *Entry, v string)
	}{
		{"actor name", "Jane Smith", func(e *Entry, v string) { e.Actor = v }},
		{"actor email", "jane.smith@example.org", func(e *Entry, v string) { e.Actor = v }},
		{"actor empty", "", func(e *Entry, v string) { e.Actor = v }},
		{"actor too long", long, func(e *Entry, v string) { e.Actor = v }},
		{"action words", "Opened Sarah's file", func(e *Entry, v string) { e.Action = v }},
		{"action empty", "", func(e *Entry, v string) { e.Action = v }},
		{"client name", "jones", func(e *Entry, v string) { e.ClientID = "Jones" }},
		{"client unicode", "zoë", func(e *Entry, v string) { e.ClientID = v }},
		{"client newline", "abc\ndef", func(e *Entry, v string) { e.ClientID = v }},
		{"client with dot", "mary.jones", func(e *Entry, v string) { e.ClientID = v }},
		{"record id sentence", "note about her ex", func(e *Entry, v string) { e.RecordIDs = []string{"abc", v} }},
		{"record id empty", "", func(e *Entry, v string) { e.RecordIDs = []string{v} }},
		{"record id too long", long, func(e *Entry, v string) { e.RecordIDs = []string{v} }},
		{"purpose free text", "she asked us to call her GP", func(e *Entry, v string) { e.Purpose = v }},
		{"reason free text", "history of violence", func(e *Entry, v string) { e.Reason = v }},
		{"reason capitals", "NotAssigned", func(e *Entry, v string) { e.Reason = v }},
		{"reason nul", "a\x00b", func(e *Entry, v string) { e.Reason = v }},
		{"reason too long", long, func(e *Entry, v string) { e.Reason = v }},
		{"too many records", "", func(e *Entry, v string) { e.RecordIDs = make([]string, maxRecordIDs+1) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := sampleEntry()
			c.edit(&e, c.value)
			err := validate(&e)
			if !errors.Is(err, ErrInvalidEntry) {
				t.Fatalf("validate = %v, want ErrInvalidEntry", err)
			}
			if c.value != "" && strings.Contains(err.Error(), c.value) {
				t.Fatalf("error repeats the value: %v", err)
			}
		})
	}
	// The edges that must pass.
	for _, e := range []Entry{
		{Actor: strings.Repeat("a", 64), Action: strings.Repeat(".", 64)},
		{Actor: "system:retention", Action: "client.erase", ClientID: "", Purpose: "", Reason: ""},
		{Actor: "x", Action: "break-glass:open", RecordIDs: make([]string, maxRecordIDs)},
	} {
		for i := range e.RecordIDs {
			e.RecordIDs[i] = "r"
		}
		if err := validate(&e); err != nil {
			t.Errorf("validate(%+v) = %v", e, err)
		}
	}
}

// The byte tables say exactly what the documented regexps say.
func TestPatternsMatchRegexps(t *testing.T) {
	id := regexp.MustCompile(`^[a-z0-9:_-]{0,64}$`)
	code := regexp.MustCompile(`^[a-z0-9._:-]{0,64}$`)
	check := func(s string) {
		if isID(s) != id.MatchString(s) || isCode(s) != code.MatchString(s) {
			t.Fatalf("%q: isID %v isCode %v, regexps %v %v", s, isID(s), isCode(s), id.MatchString(s), code.MatchString(s))
		}
	}
	for c := range 256 {
		check(string([]byte{byte(c)}))
		check("ab" + string([]byte{byte(c)}) + "cd")
	}
	check(strings.Repeat("a", 64))
	check(strings.Repeat("a", 65))
	check("")
	r := rand.New(rand.NewPCG(1, 2))
	alphabet := "az09.:_- A\n\xff"
	for range 10000 {
		b := make([]byte, r.IntN(70))
		for i := range b {
			b[i] = alphabet[r.IntN(len(alphabet))]
		}
		check(string(b))
	}
}

// FuzzDecodeEntry: whatever bytes come in, the decoder either refuses them
// or returns an entry that is valid and encodes back to the very same bytes
// (so no two encodings decode to one entry, and a decoded export can be
// checked against the tree's leaf hashes).
func FuzzDecodeEntry(f *testing.F) {
	e := sampleEntry()
	f.Add(encodeEntry(nil, &e))
	e2 := Entry{Actor: "a", Action: "b"}
	f.Add(encodeEntry(nil, &e2))
	f.Add([]byte{})
	f.Add([]byte{1})
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := decodeEntry(b)
		if err != nil {
			return
		}
		if err := validate(&d); err != nil {
			t.Fatalf("decoded an invalid entry: %v", err)
		}
		if got := encodeEntry(nil, &d); string(got) != string(b) {
			t.Fatalf("re-encoding differs:\n in %x\nout %x", b, got)
		}
		if tlog.RecordHash(b) != tlog.RecordHash(encodeEntry(nil, &d)) {
			t.Fatal("hash differs")
		}
	})
}
