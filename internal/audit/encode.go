package audit

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"
)

// The shapes an entry's fields may take. They admit ids and short codes and
// nothing else: no spaces, no capitals, nothing longer than 64 bytes. That is
// what makes it impossible to put a client's name, or a sentence about them,
// into the log by accident. The log is kept for decades and shown to
// investigators; it must never become a second, unencrypted case file.
//
// The checks are written out as byte tables rather than regexps because
// Verify runs them on every entry of the log; TestPatternsMatchRegexps
// proves them equal to these:
//
//	id:   ^[a-z0-9:_-]{0,64}$
//	code: ^[a-z0-9._:-]{0,64}$
var idBytes, codeBytes = func() (id, code [256]bool) {
	for c := 'a'; c <= 'z'; c++ {
		id[c], code[c] = true, true
	}
	for c := '0'; c <= '9'; c++ {
		id[c], code[c] = true, true
	}
	for _, c := range ":_-" {
		id[c], code[c] = true, true
	}
	code['.'] = true
	return id, code
}()

const maxFieldLen = 64

func isID(s string) bool   { return matches(s, &idBytes) }
func isCode(s string) bool { return matches(s, &codeBytes) }

func matches(s string, allowed *[256]bool) bool {
	if len(s) > maxFieldLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !allowed[s[i]] {
			return false
		}
	}
	return true
}

// maxRecordIDs bounds how many records one entry may name, so that an entry
// stays small and its encoding's count fits comfortably in two bytes. A
// screen that shows more records than this should write more entries.
const maxRecordIDs = 1000

// ErrInvalidEntry is returned (wrapped) by Append and Record when an entry's
// fields are not ids and codes. The message names the field, never its
// value: the value may be exactly the personal data that must not be logged.
var ErrInvalidEntry = errors.New("audit: invalid entry")

// validate checks that e holds only ids and codes. The error names the
// field but never repeats the value.
func validate(e *Entry) error {
	bad := func(field string) error {
		return fmt.Errorf("%w: %s is not an id or code", ErrInvalidEntry, field)
	}
	// An entry that does not say who did what is no trace at all.
	if e.Actor == "" || !isID(e.Actor) {
		return bad("actor")
	}
	if e.Action == "" || !isCode(e.Action) {
		return bad("action")
	}
	if !isID(e.ClientID) {
		return bad("client id")
	}
	if len(e.RecordIDs) > maxRecordIDs {
		return fmt.Errorf("%w: more than %d record ids", ErrInvalidEntry, maxRecordIDs)
	}
	for _, id := range e.RecordIDs {
		// Empty ids are refused too: record ids are stored space-separated,
		// and an empty one would not survive the round trip.
		if id == "" || !isID(id) {
			return bad("record id")
		}
	}
	if !isCode(e.Purpose) {
		return bad("purpose")
	}
	if !isCode(e.Reason) {
		return bad("reason")
	}
	return nil
}

// encodingV1 is the first byte of every canonical encoding. A future change
// to the fields gets a new version byte, so entries written today still
// re-encode, byte for byte, to the hashes already in the tree.
const encodingV1 = 1

// encodeEntry returns the canonical encoding of e, the bytes whose hash is
// e's leaf in the Merkle tree. The encoding is deterministic: one entry has
// exactly one encoding, so any change to a stored field changes the hash.
//
//	byte     version (1)
//	int64    index, big-endian
//	int64    time, Unix microseconds (UTC), big-endian
//	str      actor
//	str      action
//	str      client id
//	uint16   number of record ids, big-endian; then each as a str
//	str      purpose
//	byte     allowed (0 or 1)
//	str      reason
//
// where str is one length byte followed by the bytes. Microseconds, because
// that is what PostgreSQL keeps and what an investigator needs; the log
// truncates times to it before encoding. e must have passed validate.
func encodeEntry(dst []byte, e *Entry) []byte {
	dst = append(dst, encodingV1)
	dst = binary.BigEndian.AppendUint64(dst, uint64(e.Index))
	dst = binary.BigEndian.AppendUint64(dst, uint64(e.At.UnixMicro()))
	str := func(s string) {
		dst = append(dst, byte(len(s)))
		dst = append(dst, s...)
	}
	str(e.Actor)
	str(e.Action)
	str(e.ClientID)
	dst = binary.BigEndian.AppendUint16(dst, uint16(len(e.RecordIDs)))
	for _, id := range e.RecordIDs {
		str(id)
	}
	str(e.Purpose)
	if e.Allowed {
		dst = append(dst, 1)
	} else {
		dst = append(dst, 0)
	}
	str(e.Reason)
	return dst
}

var errBadEncoding = errors.New("audit: malformed entry encoding")

// decodeEntry parses a canonical encoding. It accepts only what encodeEntry
// produces for a valid entry, so decoding and re-encoding gives back the
// same bytes; an export of the log can be checked entry by entry without
// the database.
func decodeEntry(b []byte) (Entry, error) {
	var e Entry
	if len(b) < 1+8+8 || b[0] != encodingV1 {
		return e, errBadEncoding
	}
	index := int64(binary.BigEndian.Uint64(b[1:]))
	at := int64(binary.BigEndian.Uint64(b[9:]))
	if index < 0 {
		return e, errBadEncoding
	}
	e.Index = index
	e.At = time.UnixMicro(at).UTC()
	b = b[17:]
	ok := true
	str := func() string {
		if !ok || len(b) < 1 || len(b) < 1+int(b[0]) {
			ok = false
			return ""
		}
		n := int(b[0])
		s := string(b[1 : 1+n])
		b = b[1+n:]
		return s
	}
	e.Actor = str()
	e.Action = str()
	e.ClientID = str()
	if !ok || len(b) < 2 {
		return Entry{}, errBadEncoding
	}
	count := int(binary.BigEndian.Uint16(b))
	b = b[2:]
	if count > maxRecordIDs {
		return Entry{}, errBadEncoding
	}
	for range count {
		e.RecordIDs = append(e.RecordIDs, str())
	}
	e.Purpose = str()
	if !ok || len(b) < 1 || b[0] > 1 {
		return Entry{}, errBadEncoding
	}
	e.Allowed = b[0] == 1
	b = b[1:]
	e.Reason = str()
	if !ok || len(b) != 0 {
		return Entry{}, errBadEncoding
	}
	if err := validate(&e); err != nil {
		return Entry{}, errBadEncoding
	}
	return e, nil
}
