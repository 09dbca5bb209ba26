package casework

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/caseward/caseward/internal/access"
	"github.com/caseward/caseward/internal/gate"
	"github.com/caseward/caseward/internal/store"
)

// Finding people (issue 4). Names, dates of birth and phone numbers are
// sealed under each client's own key, so none of them can be searched in
// clear, and decrypting every client to look would be too slow and would
// open every record. Instead each client's searchable values are kept as
// blind indexes (gate.BlindIndex: a keyed hash of the normalised value,
// truncated to 16 bits so that each one is shared by many values) in the
// table client_search, one row per tag, where a tag is "kind:index":
//
//	n:    each word of each name (given, family, preferred, previous)
//	p2…p6 the word's first 2 to 6 letters, one kind per length (a word's
//	      own length is left out: the n tag covers it)
//	ph:   the word's phonetic key (phonetic.go), for spelling variants
//	d:    the word with each one letter left out, and the word itself
//	      (its deletion neighbourhood), for single-letter typos: two words
//	      one typo apart share a member ("jamila" and "jamilla" share
//	      "jamila"; "jamila" and "jamina" share "jamia")
//	dob:  the date of birth; yob: its year; "dob:-" when it is not known
//	t6:   the last six digits of each phone number
//	ix:   the word's intake key (its phonetic key, or the word when that
//	      is too short) with the date of birth, or "none": what the
//	      intake check looks up (intake.go), so that it reads the few
//	      rows of people with that name and that date of birth rather
//	      than every row of a common name
//
// A search computes the same tags for what was typed, each standing for
// one word of the query (or its date of birth, or phone) at a level
// (exact, beginning, sounds alike, a typo away). The database returns the
// clients that carry a tag for every part of the query, each scored by
// the sum of its parts' best levels (candidates). Best first, a chunk at
// a time, the search keeps those the actor may see (gate.ReachFilter,
// which opens nothing), and only then opens (gate.OpenClients: decided
// and audited) as many as the page needs, decrypts their names and checks
// each match exactly, because a 16-bit index also matches values that
// were never typed. A tag match is never worse than the exact check, so
// opening the candidates in the order of their tag score, a whole score
// ("tier") at a time, finds the page's results in their final order
// (score, family name, id) while decrypting little more than the page.
// A tier of more than crowdedTier clients is taken in index order (score,
// then id) instead, as many as the page needs, since ordering it by name
// would mean opening it all; each page still shows its clients by name.
//
// The index is kept in step with the record inside the transactions that
// change it (indexClient), and erased with the client (DeleteIndexes).
// Its cost: about 31 rows a client, 4 to 5 kB on PostgreSQL.

// Index kinds.
const (
	kindName     = "n"
	kindPhonetic = "ph"
	kindTypo     = "d"
	kindDOB      = "dob"
	kindYear     = "yob"
	kindPhone    = "t6"
	kindIntake   = "ix"
	noDOBTag     = "dob:-"
	// search index parts: which part of the record a row came from, so a
	// change to one part replaces only its own rows.
	indexNames   = "names"
	indexContact = "contact"
)

// How well a word of the query matched a word of a client's names.
const (
	levelNone   = iota
	levelFilter = 0 // a date of birth or phone: it must match, and adds nothing to the score
	levelTypo   = 1
	levelSounds = 2
	levelPrefix = 3
	levelExact  = 4
)

const (
	minPrefix     = 2  // the shortest prefix a search looks up
	maxPrefix     = 6  // longer prefixes are looked up by their first six letters
	maxTypoLength = 16 // longer words are not given typo neighbours
	phoneDigits   = 6  // a phone number is found by its last six digits

	// SearchPageSize is how many results a page of search results shows.
	SearchPageSize = 20
	// MaxSearchOpened bounds how many candidates one search opens: a
	// query that matches more asks for more of the name instead.
	MaxSearchOpened = 100
	// MaxSearchWords bounds the words of a name searched for.
	MaxSearchWords = 8
	// maxCandidates bounds the candidates one search takes from the index.
	maxCandidates = 20000
)

// searchTag returns "kind:index" for value, or "" when value normalises
// to nothing.
func (cw *Casework) searchTag(kind, value string) string {
	b := cw.gate.BlindIndex(kind, value)
	if b == "" {
		return ""
	}
	return kind + ":" + b
}

func prefixKind(n int) string { return "p" + strconv.Itoa(n) }

// typoKeys is a word's deletion neighbourhood: the word and, for words of
// 4 to maxTypoLength letters, the word with each one letter left out. Two
// words are a typo apart when their neighbourhoods meet: one letter
// added, removed, changed or (mostly) two swapped.
func typoKeys(word string) []string {
	r := []rune(word)
	if len(r) < 3 {
		return nil
	}
	out := []string{word}
	if len(r) < 4 || len(r) > maxTypoLength {
		return out
	}
	for i := range r {
		v := string(r[:i]) + string(r[i+1:])
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

// isInitial reports a one-letter Latin word: an initial, matched against
// the start of names but never looked up on its own.
func isInitial(word string) bool {
	return len(word) == 1 && word[0] >= 'a' && word[0] <= 'z'
}

// nameTags returns the tags a client's name word is indexed under.
func (cw *Casework) nameTags(word string, add func(string)) {
	r := []rune(word)
	add(cw.searchTag(kindName, word))
	for k := minPrefix; k <= min(maxPrefix, len(r)-1); k++ {
		add(cw.searchTag(prefixKind(k), string(r[:k])))
	}
	if p := phonetic(word); len(p) >= minPhoneticLength {
		add(cw.searchTag(kindPhonetic, p))
	}
	for _, v := range typoKeys(word) {
		add(cw.searchTag(kindTypo, v))
	}
}

// normalisePhone keeps a phone number's digits, in international form
// where it is clearly a UK number written nationally (07700 900982 and
// +44 7700 900982 agree). Only the prefix changes, so the last digits of
// a number are the same however it was written.
func normalisePhone(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	d := b.String()
	plus := strings.HasPrefix(strings.TrimSpace(s), "+")
	switch {
	case plus:
	case strings.HasPrefix(d, "00"):
		d = d[2:]
	case strings.HasPrefix(d, "0") && len(d) >= 10:
		d = "44" + d[1:]
	}
	return d
}

// searchKeys are what a client is found by, from their record.
type searchKeys struct {
	names []string // given, family, preferred and previous names, as typed
	dob   time.Time
}

func (vc validClient) searchKeys() searchKeys {
	names := append([]string{vc.givenName, vc.familyName, vc.other.Preferred}, vc.other.Previous...)
	return searchKeys{names: names, dob: vc.dateOfBirth}
}

// nameWords returns the distinct normalised words of names.
func nameWords(names ...string) []string {
	var out []string
	for _, n := range names {
		for _, w := range gate.NameTokens(n) {
			if !slices.Contains(out, w) {
				out = append(out, w)
			}
		}
	}
	return out
}

func (cw *Casework) namesTags(k searchKeys) []string {
	var tags []string
	add := func(t string) {
		if t != "" && !slices.Contains(tags, t) {
			tags = append(tags, t)
		}
	}
	dob := ""
	if !k.dob.IsZero() {
		dob = k.dob.Format(DateLayout)
	}
	for _, w := range nameWords(k.names...) {
		cw.nameTags(w, add)
		add(cw.searchTag(kindIntake, intakeValue(w, dob)))
	}
	if k.dob.IsZero() {
		add(noDOBTag)
	} else {
		add(cw.searchTag(kindDOB, k.dob.Format(DateLayout)))
		add(cw.searchTag(kindYear, strconv.Itoa(k.dob.Year())))
	}
	return tags
}

func (cw *Casework) phoneTags(c Contact) []string {
	var tags []string
	for _, p := range c.Phones {
		d := normalisePhone(p.Number)
		if len(d) < phoneDigits {
			continue
		}
		if t := cw.searchTag(kindPhone, d[len(d)-phoneDigits:]); t != "" && !slices.Contains(tags, t) {
			tags = append(tags, t)
		}
	}
	return tags
}

// indexClient keeps the client's search index in step with their record,
// inside the transaction that changes it: names (when not nil) replaces
// the rows of the names part, and a contact part in parts replaces the
// rows of the phone numbers. CreateClient and the record's updates call
// it, so the index never holds a value the record does not, nor misses
// one it does. scopes are the services the client is linked to; nil
// keeps the scopes the client's rows already have.
func (cw *Casework) indexClient(ctx context.Context, tx *store.Tx, clientID string, scopes []string, names *validClient, parts validParts) error {
	if scopes == nil {
		var err error
		if scopes, err = indexScopes(ctx, tx, clientID); err != nil {
			return err
		}
	}
	if names != nil {
		if err := replaceIndex(ctx, tx, clientID, scopes, indexNames, cw.namesTags(names.searchKeys())); err != nil {
			return err
		}
	}
	if c, ok := parts[PartContact].(Contact); ok {
		if err := replaceIndex(ctx, tx, clientID, scopes, indexContact, cw.phoneTags(c)); err != nil {
			return err
		}
	}
	return nil
}

// orgScope is the scope of the rows of a client linked to no service.
const orgScope = ""

// indexScopes returns the scopes of a client's index rows, sorted: the
// services they were linked to when last indexed or relinked.
func indexScopes(ctx context.Context, tx *store.Tx, clientID string) ([]string, error) {
	rows, err := tx.Query(ctx, "SELECT DISTINCT scope FROM client_search WHERE client_id = ? AND part = ?", clientID, indexNames)
	if err != nil {
		return nil, fmt.Errorf("search index: %w", err)
	}
	defer rows.Close()
	var scopes []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, fmt.Errorf("search index: %w", err)
		}
		scopes = append(scopes, s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("search index: %w", err)
	}
	if len(scopes) == 0 {
		scopes = []string{orgScope}
	}
	slices.Sort(scopes)
	return scopes, nil
}

// rescopeIndex makes a client's index rows follow their links, inside
// the transaction that relinks them (cases.go): the rows are copied to
// each service newly linked and dropped from each one no longer linked.
func rescopeIndex(ctx context.Context, tx *store.Tx, clientID string, links []access.Link) error {
	want := make([]string, 0, len(links))
	for _, l := range links {
		want = append(want, l.ServiceID)
	}
	if len(want) == 0 {
		want = append(want, orgScope)
	}
	slices.Sort(want)
	want = slices.Compact(want)
	have, err := indexScopes(ctx, tx, clientID)
	if err != nil {
		return err
	}
	if slices.Equal(have, want) {
		return nil
	}
	from := have[0]
	for _, s := range want {
		if slices.Contains(have, s) {
			continue
		}
		if _, err := tx.Exec(ctx, `INSERT INTO client_search (scope, tag, client_id, part)
			SELECT ?, tag, client_id, part FROM client_search WHERE client_id = ? AND scope = ?
			ON CONFLICT DO NOTHING`, s, clientID, from); err != nil {
			return fmt.Errorf("search index: %w", err)
		}
	}
	for _, s := range have {
		if slices.Contains(want, s) {
			continue
		}
		if _, err := tx.Exec(ctx, "DELETE FROM client_search WHERE client_id = ? AND scope = ?", clientID, s); err != nil {
			return fmt.Errorf("search index: %w", err)
		}
	}
	return nil
}

// insertChunk is how many index rows one INSERT writes; shorter batches
// are padded with repeats (which ON CONFLICT ignores), so every insert is
// the same prepared statement.
const insertChunk = 32

var insertIndexSQL = "INSERT INTO client_search (scope, tag, client_id, part) VALUES " +
	strings.Repeat(", (?, ?, ?, ?)", insertChunk)[2:] + " ON CONFLICT DO NOTHING"

func replaceIndex(ctx context.Context, tx *store.Tx, clientID string, scopes []string, part string, tags []string) error {
	if _, err := tx.Exec(ctx, "DELETE FROM client_search WHERE client_id = ? AND part = ?", clientID, part); err != nil {
		return fmt.Errorf("search index: %w", err)
	}
	return insertIndexRows(ctx, tx, clientID, scopes, part, tags)
}

func insertIndexRows(ctx context.Context, tx *store.Tx, clientID string, scopes []string, part string, tags []string) error {
	type row struct{ scope, tag string }
	all := make([]row, 0, len(scopes)*len(tags))
	for _, s := range scopes {
		for _, t := range tags {
			all = append(all, row{s, t})
		}
	}
	args := make([]any, 0, 4*insertChunk)
	for start := 0; start < len(all); start += insertChunk {
		args = args[:0]
		for i := range insertChunk {
			r := all[min(start+i, len(all)-1)]
			args = append(args, r.scope, r.tag, clientID, part)
		}
		if _, err := tx.Exec(ctx, insertIndexSQL, args...); err != nil {
			return fmt.Errorf("search index: %w", err)
		}
	}
	return nil
}

// DeleteIndexes removes every search index row of a client, inside the
// caller's transaction: for erasure, before the client's key is shredded,
// so that neither a search nor the intake check can find them again.
func (cw *Casework) DeleteIndexes(ctx context.Context, tx *store.Tx, clientID string) error {
	if _, err := tx.Exec(ctx, "DELETE FROM client_search WHERE client_id = ?", clientID); err != nil {
		return fmt.Errorf("delete search index: %w", err)
	}
	return nil
}

// SearchQuery is what a worker types to find a client within what they
// may see. Every field given must match; at least one is needed.
type SearchQuery struct {
	// Name is any part of any of the client's names, in any order:
	// whole words, their beginnings ("Moh"), initials ("J Smith"),
	// misspellings by a letter, and spelling variants ("Muhammad").
	Name string `json:"name,omitempty"`
	// DateOfBirth is YYYY-MM-DD, or YYYY for the year only.
	DateOfBirth string `json:"date_of_birth,omitempty"`
	// Phone is a phone number, or its last six digits or more.
	Phone string `json:"phone,omitempty"`
	// Page is the page of results, from 1.
	Page int `json:"page,omitempty"`
}

// Match says how closely a result's name matched what was typed: the
// loosest of its words' matches.
type Match string

// How a name matched.
const (
	MatchExact    Match = "exact"    // every word as typed
	MatchPrefix   Match = "prefix"   // some word's beginning
	MatchSounds   Match = "sounds"   // a spelling variant
	MatchSpelling Match = "spelling" // one letter different
	MatchOther    Match = ""         // no name was searched for
)

// Label is the match in words, for a page.
func (m Match) Label() string {
	switch m {
	case MatchExact:
		return "Name matches"
	case MatchPrefix:
		return "Name starts with what you typed"
	case MatchSounds:
		return "Name sounds the same"
	case MatchSpelling:
		return "Name spelt differently"
	}
	return ""
}

// SearchResult is one client found. A client whose name is hidden from
// the actor shows as initials and case number, without date of birth.
type SearchResult struct {
	ClientRow
	DateOfBirth time.Time // zero when hidden or not known
	ServiceIDs  []string  // the services the client is linked to
	Match       Match
	score       int
	sortKey     string
}

// SearchResults is one page of results.
type SearchResults struct {
	Results []SearchResult
	Page    int
	// More is true when there is a next page.
	More bool
	// Total is the number of results, when it is known (every candidate
	// was checked), else -1.
	Total int
	// Truncated is true when more clients might match than one search
	// checks: the page holds the best of those checked; typing more of the
	// name, or a date of birth, finds the others.
	Truncated bool
}

// From is the position of the page's first result, counting from 1.
func (r SearchResults) From() int { return (r.Page-1)*SearchPageSize + 1 }

// To is the position of the page's last result.
func (r SearchResults) To() int { return r.From() + len(r.Results) - 1 }

// queryWord is one word of the name searched for.
type queryWord struct {
	word    string
	initial bool
	phon    string
	typos   []string
}

type parsedQuery struct {
	words []queryWord
	dob   string // YYYY-MM-DD, YYYY or ""
	phone string // normalised digits or ""
	page  int
}

// parse checks a query. Its messages never repeat what was typed.
func (q SearchQuery) parse(now time.Time) (parsedQuery, error) {
	var v ValidationError
	var p parsedQuery
	name := strings.TrimSpace(q.Name)
	switch {
	case !utf8.ValidString(name) || strings.IndexFunc(name, isControl) >= 0:
		v.add("name", "The name must be on one line, in characters that can be typed")
	case utf8.RuneCountInString(name) > MaxNameLength:
		v.add("name", "Enter at most 100 characters of the name")
	default:
		for _, w := range gate.NameTokens(name) {
			qw := queryWord{word: w, initial: isInitial(w)}
			if !qw.initial {
				qw.phon = phonetic(w)
				qw.typos = typoKeys(w)
			}
			p.words = append(p.words, qw)
		}
		if len(p.words) > MaxSearchWords {
			v.add("name", fmt.Sprintf("Enter at most %d words of the name", MaxSearchWords))
		}
	}
	if d := strings.TrimSpace(q.DateOfBirth); d != "" {
		if y, err := strconv.Atoi(d); err == nil && len(d) == 4 {
			if y < 1900 || y > now.Year() {
				v.add("date_of_birth", "Enter a year of birth between 1900 and this year")
			}
			p.dob = d
		} else if t, err := time.Parse(DateLayout, d); err != nil || t.Year() < 1900 || t.After(now) {
			v.add("date_of_birth", "Enter a real date of birth in the past, for example 27 3 2007, or only the year")
		} else {
			p.dob = t.Format(DateLayout)
		}
	}
	if ph := strings.TrimSpace(q.Phone); ph != "" {
		p.phone = normalisePhone(ph)
		odd := strings.IndexFunc(ph, func(r rune) bool { return !strings.ContainsRune("0123456789+ ()-", r) }) >= 0
		if odd || len(p.phone) < phoneDigits || len(p.phone) > 15 {
			v.add("phone", "Enter a phone number, or at least its last 6 digits, using only numbers and spaces")
		}
	}
	lookups := p.dob != "" || p.phone != ""
	for _, w := range p.words {
		lookups = lookups || !w.initial
	}
	if len(v.Fields) == 0 && !lookups {
		if name == "" {
			v.add("name", "Enter a name, a date of birth or a phone number")
		} else {
			v.add("name", "Enter at least 2 letters of a name, or a date of birth or phone number with it")
		}
	}
	p.page = max(q.Page, 1)
	return p, v.orNil()
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) }

// lookup says that an index tag, if a client carries it, matches a part
// of the query at a level. Parts are the query's words, then the date of
// birth, then the phone.
type lookup struct {
	part  int
	level int
}

func (cw *Casework) lookups(p parsedQuery) (map[string][]lookup, int) {
	t := tagger{cw: cw, tags: map[string]*tagUse{}}
	for i, w := range p.words {
		if w.initial {
			continue
		}
		r := []rune(w.word)
		t.add(kindName, w.word, i, levelExact)
		if len(r) >= minPrefix {
			k := min(len(r), maxPrefix)
			t.add(prefixKind(k), string(r[:k]), i, levelPrefix)
		}
		if len(w.phon) >= minPhoneticLength {
			t.add(kindPhonetic, w.phon, i, levelSounds)
		}
		for _, v := range w.typos {
			t.add(kindTypo, v, i, levelTypo)
		}
	}
	parts := len(p.words)
	if p.dob != "" {
		kind := kindDOB
		if len(p.dob) == 4 {
			kind = kindYear
		}
		t.add(kind, p.dob, parts, levelFilter)
		parts++
	}
	if p.phone != "" {
		t.add(kindPhone, p.phone[len(p.phone)-phoneDigits:], parts, levelFilter)
		parts++
	}
	out := make(map[string][]lookup, len(t.tags))
	for tag, u := range t.tags {
		out[tag] = u.lookups
	}
	return out, parts
}

// tagger collects the tags of a query. A tag stands for the parts whose
// values it was made from. Two different values may share a truncated
// index: the tag then stands for the first value's parts only (or the
// better-matching value's), or else one client carrying it would seem to
// match parts they do not. Two parts with the same value (the phonetic
// key of "Mohammed" and of "Muhammad") share the tag, as they should.
type tagger struct {
	cw   *Casework
	tags map[string]*tagUse
}

type tagUse struct {
	value   string // kind and value the tag was made from
	best    int    // the best level of its lookups
	lookups []lookup
}

func (t *tagger) add(kind, value string, part, level int) {
	tag := t.cw.searchTag(kind, value)
	if tag == "" {
		return
	}
	key := kind + "\x00" + value
	u := t.tags[tag]
	switch {
	case u == nil || u.value != key && level > u.best:
		t.tags[tag] = &tagUse{value: key, best: level, lookups: []lookup{{part, level}}}
	case u.value == key:
		for i, l := range u.lookups {
			if l.part == part {
				u.lookups[i].level = max(l.level, level)
				u.best = max(u.best, level)
				return
			}
		}
		u.lookups = append(u.lookups, lookup{part, level})
		u.best = max(u.best, level)
	}
}

// candidate is a client found by the index, before anything is decrypted.
type candidate struct {
	id    string
	score int
}

// candidates finds the clients whose tags match every part of the query
// (an initial matches at this stage), scored by the sum of their words'
// best levels. The database does the counting, so only candidates travel
// back. truncated reports that more clients matched than one search takes.
func (cw *Casework) candidates(ctx context.Context, scopes []string, p parsedQuery) (cands []candidate, truncated bool, err error) {
	if len(scopes) == 0 {
		return nil, false, nil
	}
	lk, parts := cw.lookups(p)
	need := 0 // the parts that have tags: every one must match
	for i := range parts {
		if i >= len(p.words) || !p.words[i].initial {
			need++
		}
	}
	tags := make([]string, 0, len(lk))
	for t := range lk {
		tags = append(tags, t)
	}
	slices.Sort(tags)
	// One row per tag and part, padded to a few fixed lengths so that
	// queries share prepared statements; the padding tag "" is carried by
	// nobody.
	rowsOf := 0
	for _, t := range tags {
		rowsOf += len(lk[t])
	}
	n := 16
	for n < rowsOf {
		n *= 2
	}
	args := make([]any, 0, 3*n+2)
	for _, t := range tags {
		for _, l := range lk[t] {
			args = append(args, t, l.part, l.level)
		}
	}
	for len(args) < 3*n {
		args = append(args, "", -1, 0)
	}
	scopeArgs := paddedArgs(scopes, scopeListLength(len(scopes)))
	args = append(args, scopeArgs...)
	args = append(args, need, maxCandidates+1)
	rows, err := cw.db.Query(ctx, candidatesSQL(n, len(scopeArgs)), args...)
	if err != nil {
		return nil, false, fmt.Errorf("search: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var c candidate
		if err := rows.Scan(&c.id, &c.score); err != nil {
			return nil, false, fmt.Errorf("search: %w", err)
		}
		cands = append(cands, c)
	}
	if err := rows.Err(); err != nil {
		return nil, false, fmt.Errorf("search: %w", err)
	}
	if len(cands) > maxCandidates {
		cands, truncated = cands[:maxCandidates], true
	}
	return cands, truncated, nil
}

// candidatesSQL is the look-up of n tags: each with the part of the query
// it stands for and the level it matches at. Per client and part the best
// level counts; a client is a candidate when every part matched, and its
// score is the sum over the parts (dates of birth and phones count 0, as
// they only filter). Names' parts are numbered first, then the date of
// birth, then the phone.
func candidatesSQL(n, scopes int) string {
	return `WITH q (tag, part, level) AS (VALUES ` + strings.Repeat(", (?, CAST(? AS INTEGER), CAST(? AS INTEGER))", n)[2:] + `)
		SELECT client_id, SUM(best) FROM (
			SELECT s.client_id AS client_id, q.part AS part, MAX(q.level) AS best
			FROM q CROSS JOIN client_search s WHERE s.scope IN (` + marks(scopes) + `) AND s.tag = q.tag
			GROUP BY s.client_id, q.part
		) AS m
		GROUP BY client_id HAVING COUNT(*) = ? LIMIT ?`
}

// scopeListLength is the length a list of n scopes is padded to, so that
// look-ups share a few prepared statements.
func scopeListLength(n int) int {
	l := 4
	for l < n {
		l *= 2
	}
	return l
}

// searchScopes returns the scopes of the index a search by actor reads:
// the services the actor works in, since a client is within anyone's
// reach only through a link to one of them (access.Decide), or for the
// Data Protection Officer, whose reach is the organisation, every
// service and the clients linked to none. A role that sees no client
// reads nothing.
func (cw *Casework) searchScopes(ctx context.Context, actor access.Actor) ([]string, error) {
	switch actor.Role {
	case access.Caseworker, access.Manager, access.AdminStaff:
		return actor.Services, nil
	case access.DPO:
		return cw.allScopes(ctx)
	}
	return nil, nil
}

// allScopes returns every scope of the index: each service, and the
// organisation's for clients linked to none.
func (cw *Casework) allScopes(ctx context.Context) ([]string, error) {
	rows, err := cw.db.Query(ctx, "SELECT id FROM services ORDER BY id")
	if err != nil {
		return nil, fmt.Errorf("search scopes: %w", err)
	}
	defer rows.Close()
	scopes := []string{orgScope}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("search scopes: %w", err)
		}
		scopes = append(scopes, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("search scopes: %w", err)
	}
	return scopes, nil
}

// maxTagsPerQuery is the length of the IN lists of the intake check's
// look-ups: every look-up is padded to it, so all share one prepared
// statement.
const maxTagsPerQuery = 16

// paddedArgs returns ss as query arguments, the last repeated up to n.
func paddedArgs(ss []string, n int) []any {
	args := make([]any, max(n, len(ss)))
	for i := range args {
		args[i] = ss[min(i, len(ss)-1)]
	}
	return args
}

// Search finds the clients within the actor's reach that match q, and
// returns one page of them, best first: by how closely the name matched
// (exact, then beginnings, then spelling variants, then typos), then by
// family name, then by id, so the order is the same every time. Only the
// clients the page needs are opened (gate.OpenClients: each decided and
// audited, all in one transaction) and decrypted. Clients the actor may
// not see are never opened, counted or mentioned (P13, P23).
//
// A query so broad that more than MaxSearchOpened clients within reach
// match as well as the page needs is answered from the best
// MaxSearchOpened of them (by how well their index tags matched, then by
// id) and marked Truncated.
func (cw *Casework) Search(ctx context.Context, actor access.Actor, purpose access.Purpose, q SearchQuery) (SearchResults, error) {
	p, err := q.parse(cw.now())
	if err != nil {
		return SearchResults{}, err
	}
	out := SearchResults{Page: p.page, Total: -1}
	scopes, err := cw.searchScopes(ctx, actor)
	if err != nil {
		return out, err
	}
	cands, truncated, err := cw.candidates(ctx, scopes, p)
	if err != nil {
		return out, err
	}
	out.Truncated = truncated
	slices.SortFunc(cands, func(a, b candidate) int {
		return cmp.Or(cmp.Compare(b.score, a.score), cmp.Compare(a.id, b.id))
	})
	// The candidates within reach, found lazily in the order above, a
	// chunk at a time: a search whose best matches fill the page need not
	// look at the rest.
	reach := reachStream{cw: cw, ctx: ctx, actor: actor, purpose: purpose, cands: cands}

	offset := (p.page - 1) * SearchPageSize
	need := offset + SearchPageSize + 1 // one more, to know whether a next page exists
	var found []SearchResult            // from whole tiers, sorted at the end
	opened := 0                         // of reach.in
	crowd := false                      // a crowded tier was reached
	for {
		if err := reach.fill(opened + 1); err != nil {
			return out, err
		}
		if opened == len(reach.in) {
			break // no candidate left
		}
		size, err := reach.tier(opened)
		if err != nil {
			return out, err
		}
		if size > crowdedTier {
			crowd = true
			break
		}
		if above(found, reach.in[opened].score) >= need {
			break // the page is known: nothing unopened can come before it
		}
		if opened >= MaxSearchOpened {
			out.Truncated = true
			break
		}
		// Take whole tiers (the clients of one score are ordered by family
		// name, which only decrypting shows) until they could fill what is
		// missing, stopping before a crowded one.
		end := opened + size
		for end-opened < need-above(found, reach.in[opened].score) && end < MaxSearchOpened {
			if err := reach.fill(end + 1); err != nil {
				return out, err
			}
			if end == len(reach.in) {
				break
			}
			size, err := reach.tier(end)
			if err != nil {
				return out, err
			}
			if size > crowdedTier {
				break
			}
			end += size
		}
		if end > MaxSearchOpened {
			end = MaxSearchOpened
			out.Truncated = true
		}
		rs, err := cw.checkCandidates(ctx, actor, purpose, p, ids(reach.in[opened:end]))
		if err != nil {
			return out, err
		}
		found = append(found, rs...)
		opened = end
		if out.Truncated {
			break
		}
	}
	slices.SortFunc(found, bySearchOrder)

	// From a crowded tier on, clients are taken in the order of the index
	// (score, then id), as many as the page needs: ordering them by name
	// would mean opening them all.
	var crowded []SearchResult
	for crowd && !out.Truncated {
		want := need - len(found) - len(crowded)
		if want <= 0 {
			break
		}
		if err := reach.fill(opened + want); err != nil {
			return out, err
		}
		if opened == len(reach.in) {
			break
		}
		if opened >= MaxSearchOpened {
			out.Truncated = true
			break
		}
		end := min(opened+want, len(reach.in), MaxSearchOpened)
		rs, err := cw.checkCandidates(ctx, actor, purpose, p, ids(reach.in[opened:end]))
		if err != nil {
			return out, err
		}
		crowded = append(crowded, rs...)
		opened = end
	}
	all := append(found, crowded...)
	if opened == len(reach.in) && reach.done() && !out.Truncated {
		out.Total = len(all)
	}
	if offset < len(all) {
		out.Results = all[offset:min(offset+SearchPageSize, len(all))]
		// Within the page, a crowded tier's clients show by name too: which
		// page each is on does not change.
		if from := max(len(found)-offset, 0); from < len(out.Results) {
			slices.SortFunc(out.Results[from:], bySearchOrder)
		}
	}
	out.More = len(all) > offset+SearchPageSize
	return out, nil
}

// crowdedTier is the most clients of one index score a search orders by
// name; from a tier with more, it takes them in index order instead.
const crowdedTier = 40

// bySearchOrder orders results by score, then family name, then id.
func bySearchOrder(a, b SearchResult) int {
	return cmp.Or(cmp.Compare(b.score, a.score), cmp.Compare(a.sortKey, b.sortKey), cmp.Compare(a.ID, b.ID))
}

// above counts the results that score more than score.
func above(rs []SearchResult, score int) int {
	n := 0
	for _, r := range rs {
		if r.score > score {
			n++
		}
	}
	return n
}

func ids(cs []candidate) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.id
	}
	return out
}

// reachStream filters candidates (sorted best first) by the actor's reach,
// a chunk at a time, as the search needs them.
type reachStream struct {
	cw       *Casework
	ctx      context.Context
	actor    access.Actor
	purpose  access.Purpose
	cands    []candidate
	filtered int         // how many of cands have been filtered
	in       []candidate // those within reach, in order
}

// reachChunk is how many candidates one ReachFilter call takes.
const reachChunk = 500

func (r *reachStream) done() bool { return r.filtered == len(r.cands) }

// next filters the next chunk.
func (r *reachStream) next() error {
	end := min(r.filtered+reachChunk, len(r.cands))
	chunk := r.cands[r.filtered:end]
	ids := make([]string, len(chunk))
	score := make(map[string]int, len(chunk))
	for i, c := range chunk {
		ids[i] = c.id
		score[c.id] = c.score
	}
	ids, err := r.cw.gate.ReachFilter(r.ctx, r.actor, ids, r.purpose, access.ViewContact)
	if err != nil {
		return err
	}
	for _, id := range ids {
		r.in = append(r.in, candidate{id, score[id]})
	}
	r.filtered = end
	return nil
}

// fill filters until n candidates within reach are known, or none is left.
func (r *reachStream) fill(n int) error {
	for len(r.in) < n && !r.done() {
		if err := r.next(); err != nil {
			return err
		}
	}
	return nil
}

// tier returns how many candidates within reach, from the one at i on,
// share its score, filtering until that is known or is more than
// crowdedTier.
func (r *reachStream) tier(i int) (int, error) {
	score := r.in[i].score
	for !r.done() && r.cands[r.filtered].score >= score && len(r.in) <= i+crowdedTier {
		if err := r.next(); err != nil {
			return 0, err
		}
	}
	n := 0
	for i+n < len(r.in) && r.in[i+n].score == score {
		n++
	}
	return n, nil
}

// sealedSearchRow is what a search decrypts of a candidate.
type sealedSearchRow struct {
	given, family, dob, other, flags, contact []byte
	ageBand                                   string
}

// checkCandidates opens the candidates (one audited transaction), decrypts
// what the query needs, and returns those that truly match, scored.
func (cw *Casework) checkCandidates(ctx context.Context, actor access.Actor, purpose access.Purpose, p parsedQuery, ids []string) ([]SearchResult, error) {
	handles, err := cw.gate.OpenClients(ctx, actor, ids, purpose, access.ViewContact)
	if err != nil {
		return nil, err
	}
	open := make([]string, 0, len(handles))
	for _, id := range ids {
		if handles[id] != nil {
			open = append(open, id)
		}
	}
	sealed, err := cw.readSearchRows(ctx, open, p.phone != "")
	if err != nil {
		return nil, err
	}
	var lists *orgLists
	var out []SearchResult
	for _, id := range open {
		h, s := handles[id], sealed[id]
		if s == nil {
			continue
		}
		r, ok, err := cw.checkCandidate(ctx, actor, h, p, s, &lists)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, r)
		}
	}
	return out, nil
}

func (cw *Casework) readSearchRows(ctx context.Context, ids []string, withContact bool) (map[string]*sealedSearchRow, error) {
	out := make(map[string]*sealedSearchRow, len(ids))
	contact := "NULL"
	if withContact {
		contact = "contact"
	}
	const chunk = 64
	for start := 0; start < len(ids); start += chunk {
		args := paddedArgs(ids[start:min(start+chunk, len(ids))], chunk)
		rows, err := cw.db.Query(ctx, `SELECT id, given_name, family_name, date_of_birth, other_names, flags, `+contact+`, age_band
			FROM clients WHERE id IN (`+marks(len(args))+`)`, args...)
		if err != nil {
			return nil, fmt.Errorf("search: %w", err)
		}
		for rows.Next() {
			var id string
			r := &sealedSearchRow{}
			if err := rows.Scan(&id, &r.given, &r.family, &r.dob, &r.other, &r.flags, &r.contact, &r.ageBand); err != nil {
				rows.Close()
				return nil, fmt.Errorf("search: %w", err)
			}
			out[id] = r
		}
		if err := rows.Close(); err != nil {
			return nil, err
		}
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("search: %w", err)
		}
	}
	return out, nil
}

// checkCandidate decrypts one candidate and checks it against the query.
func (cw *Casework) checkCandidate(ctx context.Context, actor access.Actor, h *gate.Handle, p parsedQuery, s *sealedSearchRow, lists **orgLists) (SearchResult, bool, error) {
	id := h.ClientID()
	fail := func(err error) (SearchResult, bool, error) {
		return SearchResult{}, false, fmt.Errorf("search: %w", err)
	}
	given, err := h.OpenString(clientsTable, "given_name", id, s.given)
	if err != nil {
		return fail(err)
	}
	family, err := h.OpenString(clientsTable, "family_name", id, s.family)
	if err != nil {
		return fail(err)
	}
	var other otherNames
	if s.other != nil {
		b, err := h.Open(clientsTable, "other_names", id, s.other)
		if err != nil {
			return fail(err)
		}
		if err := json.Unmarshal(b, &other); err != nil {
			return fail(err)
		}
	}
	var dob time.Time
	if s.dob != nil {
		d, err := h.OpenString(clientsTable, "date_of_birth", id, s.dob)
		if err != nil {
			return fail(err)
		}
		dob, _ = time.Parse(DateLayout, d) // unparsable: unknown
	}

	// The name: every word of the query must match a word of some name.
	words := nameWords(append([]string{given, family, other.Preferred}, other.Previous...)...)
	score, loosest := 0, levelExact
	for _, q := range p.words {
		level := matchWord(q, words)
		if level == levelNone {
			return SearchResult{}, false, nil
		}
		if !q.initial {
			score += level
			loosest = min(loosest, level)
		}
	}
	if p.dob != "" {
		if dob.IsZero() || (len(p.dob) == 4 && strconv.Itoa(dob.Year()) != p.dob) || (len(p.dob) > 4 && dob.Format(DateLayout) != p.dob) {
			return SearchResult{}, false, nil
		}
	}
	if p.phone != "" {
		var c Contact
		if err := openPart(h, PartContact, s.contact, &c); err != nil {
			return fail(err)
		}
		ok := false
		for _, ph := range c.Phones {
			ok = ok || strings.HasSuffix(normalisePhone(ph.Number), p.phone)
		}
		if !ok {
			return SearchResult{}, false, nil
		}
	}

	row, err := cw.row(ctx, actor, h, s.given, s.family, s.flags, lists)
	if err != nil {
		return SearchResult{}, false, err
	}
	row.AgeBand = s.ageBand
	r := SearchResult{ClientRow: row, ServiceIDs: h.Subject().ServiceIDs(), score: score}
	if len(p.words) > 0 && score > 0 {
		r.Match = [...]Match{MatchOther, MatchSpelling, MatchSounds, MatchPrefix, MatchExact}[loosest]
	}
	// Sort by what the page shows: a hidden name by its initials only,
	// so its place in the list says nothing more about it.
	r.sortKey = gate.NormaliseName(family) + "\x00" + gate.NormaliseName(given)
	if row.Hidden {
		r.sortKey = gate.NormaliseName(row.DisplayName)
	} else {
		r.DateOfBirth = dob
	}
	return r, true, nil
}

// matchWord returns the best level at which the query word matches any of
// words, by the same rules the index tags follow, so that an index match
// is never worse than this one. An initial that starts a word matches at
// levelTypo (it adds nothing to the score).
func matchWord(q queryWord, words []string) int {
	best := levelNone
	for _, w := range words {
		switch {
		case q.initial:
			if strings.HasPrefix(w, q.word) {
				return levelTypo
			}
		case w == q.word:
			return levelExact
		case utf8.RuneCountInString(q.word) >= minPrefix && strings.HasPrefix(w, q.word):
			best = max(best, levelPrefix)
		case best < levelSounds && len(q.phon) >= minPhoneticLength && phonetic(w) == q.phon:
			best = levelSounds
		case best < levelTypo && typoMatch(q.typos, w):
			best = levelTypo
		}
	}
	return best
}

// typoMatch reports whether word's deletion neighbourhood meets keys.
func typoMatch(keys []string, word string) bool {
	if len(keys) == 0 {
		return false
	}
	for _, k := range typoKeys(word) {
		if slices.Contains(keys, k) {
			return true
		}
	}
	return false
}
