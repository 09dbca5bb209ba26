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
//
// A search computes the same tags for what was typed, reads the clients
// that carry them, keeps those the actor may see (gate.ReachFilter, which
// opens nothing), ranks them by how well the tags matched, and only then
// opens (gate.OpenClients: decided and audited) as many of the best as the
// page needs, decrypts their names and checks each match exactly, because
// a 16-bit index also matches values that were never typed. A tag match is
// never worse than the exact check, so opening the candidates in the
// order of their tag score, a whole score at a time, finds the page's
// results in their final order while decrypting little more than the page.

// Index kinds.
const (
	kindName     = "n"
	kindPhonetic = "ph"
	kindTypo     = "d"
	kindDOB      = "dob"
	kindYear     = "yob"
	kindPhone    = "t6"
	noDOBTag     = "dob:-"
	// search index parts: which part of the record a row came from, so a
	// change to one part replaces only its own rows.
	indexNames   = "names"
	indexContact = "contact"
)

// How well a word of the query matched a word of a client's names.
const (
	levelNone = iota
	levelTypo
	levelSounds
	levelPrefix
	levelExact
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
	MaxSearchOpened = 200
	// MaxSearchWords bounds the words of a name searched for.
	MaxSearchWords = 8
	// maxIndexRows bounds the index rows one search reads.
	maxIndexRows = 50000
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
	for _, w := range nameWords(k.names...) {
		cw.nameTags(w, add)
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
// one it does.
func (cw *Casework) indexClient(ctx context.Context, tx *store.Tx, clientID string, names *validClient, parts validParts) error {
	if names != nil {
		if err := cw.replaceIndex(ctx, tx, clientID, indexNames, cw.namesTags(names.searchKeys())); err != nil {
			return err
		}
	}
	if c, ok := parts[PartContact].(Contact); ok {
		if err := cw.replaceIndex(ctx, tx, clientID, indexContact, cw.phoneTags(c)); err != nil {
			return err
		}
	}
	return nil
}

// insertChunk is how many index rows one INSERT writes; shorter batches
// are padded with repeats (which ON CONFLICT ignores), so every insert is
// the same prepared statement.
const insertChunk = 32

var insertIndexSQL = "INSERT INTO client_search (tag, client_id, part) VALUES " +
	strings.Repeat(", (?, ?, ?)", insertChunk)[2:] + " ON CONFLICT DO NOTHING"

func (cw *Casework) replaceIndex(ctx context.Context, tx *store.Tx, clientID, part string, tags []string) error {
	if _, err := tx.Exec(ctx, "DELETE FROM client_search WHERE client_id = ? AND part = ?", clientID, part); err != nil {
		return fmt.Errorf("search index: %w", err)
	}
	return insertIndexRows(ctx, tx, clientID, part, tags)
}

func insertIndexRows(ctx context.Context, tx *store.Tx, clientID, part string, tags []string) error {
	args := make([]any, 0, 3*insertChunk)
	for start := 0; start < len(tags); start += insertChunk {
		args = args[:0]
		for i := range insertChunk {
			t := tags[min(start+i, len(tags)-1)]
			args = append(args, t, clientID, part)
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
	out := map[string][]lookup{}
	add := func(tag string, part, level int) {
		if tag == "" {
			return
		}
		for i, l := range out[tag] {
			if l.part == part {
				out[tag][i].level = max(l.level, level)
				return
			}
		}
		out[tag] = append(out[tag], lookup{part, level})
	}
	for i, w := range p.words {
		if w.initial {
			continue
		}
		r := []rune(w.word)
		add(cw.searchTag(kindName, w.word), i, levelExact)
		if len(r) >= minPrefix {
			k := min(len(r), maxPrefix)
			add(cw.searchTag(prefixKind(k), string(r[:k])), i, levelPrefix)
		}
		if len(w.phon) >= minPhoneticLength {
			add(cw.searchTag(kindPhonetic, w.phon), i, levelSounds)
		}
		for _, t := range w.typos {
			add(cw.searchTag(kindTypo, t), i, levelTypo)
		}
	}
	parts := len(p.words)
	if p.dob != "" {
		kind := kindDOB
		if len(p.dob) == 4 {
			kind = kindYear
		}
		add(cw.searchTag(kind, p.dob), parts, levelExact)
		parts++
	}
	if p.phone != "" {
		add(cw.searchTag(kindPhone, p.phone[len(p.phone)-phoneDigits:]), parts, levelExact)
		parts++
	}
	return out, parts
}

// candidate is a client found by the index, before anything is decrypted.
type candidate struct {
	id    string
	score int
}

// candidates reads the clients carrying any of the tags and keeps those
// whose tags match every part of the query (an initial matches at this
// stage), scored by the sum of their words' best levels. truncated
// reports that more rows matched than one search reads.
func (cw *Casework) candidates(ctx context.Context, p parsedQuery) (cands []candidate, truncated bool, err error) {
	lk, parts := cw.lookups(p)
	tags := make([]string, 0, len(lk))
	for t := range lk {
		tags = append(tags, t)
	}
	slices.Sort(tags)
	best := map[string][]int{}
	n := 0
	for start := 0; start < len(tags); start += maxTagsPerQuery {
		chunk := tags[start:min(start+maxTagsPerQuery, len(tags))]
		args := paddedArgs(chunk, maxTagsPerQuery)
		args = append(args, maxIndexRows+1-n)
		rows, err := cw.db.Query(ctx, "SELECT tag, client_id FROM client_search WHERE tag IN ("+marks(len(args)-1)+") LIMIT ?", args...)
		if err != nil {
			return nil, false, fmt.Errorf("search: %w", err)
		}
		for rows.Next() {
			var tag, id string
			if err := rows.Scan(&tag, &id); err != nil {
				rows.Close()
				return nil, false, fmt.Errorf("search: %w", err)
			}
			n++
			b := best[id]
			if b == nil {
				b = make([]int, parts)
				best[id] = b
			}
			for _, l := range lk[tag] {
				b[l.part] = max(b[l.part], l.level)
			}
		}
		if err := rows.Close(); err != nil {
			return nil, false, err
		}
		if err := rows.Err(); err != nil {
			return nil, false, fmt.Errorf("search: %w", err)
		}
		if n > maxIndexRows {
			truncated = true
			break
		}
	}
	for id, b := range best {
		c := candidate{id: id}
		ok := true
		for i, level := range b {
			if i < len(p.words) && p.words[i].initial {
				continue
			}
			if level == levelNone {
				ok = false
				break
			}
			if i < len(p.words) {
				c.score += level
			}
		}
		if ok {
			cands = append(cands, c)
		}
	}
	return cands, truncated, nil
}

// maxTagsPerQuery is the length of the IN list of one index look-up:
// every look-up is padded to it, so all share one prepared statement.
const maxTagsPerQuery = 64

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
func (cw *Casework) Search(ctx context.Context, actor access.Actor, purpose access.Purpose, q SearchQuery) (SearchResults, error) {
	p, err := q.parse(cw.now())
	if err != nil {
		return SearchResults{}, err
	}
	out := SearchResults{Page: p.page, Total: -1}
	cands, truncated, err := cw.candidates(ctx, p)
	if err != nil {
		return out, err
	}
	out.Truncated = truncated
	ids := make([]string, len(cands))
	scores := make(map[string]int, len(cands))
	for i, c := range cands {
		ids[i] = c.id
		scores[c.id] = c.score
	}
	ids, err = cw.gate.ReachFilter(ctx, actor, ids, purpose, access.ViewContact)
	if err != nil {
		return out, err
	}
	cands = cands[:0]
	for _, id := range ids {
		cands = append(cands, candidate{id, scores[id]})
	}
	slices.SortFunc(cands, func(a, b candidate) int {
		return cmp.Or(cmp.Compare(b.score, a.score), cmp.Compare(a.id, b.id))
	})

	offset := (p.page - 1) * SearchPageSize
	need := offset + SearchPageSize + 1 // one more, to know whether a next page exists
	var found []SearchResult
	opened := 0
	final := 0 // how many of found are in their final order
	for opened < len(cands) && final < need {
		if opened >= MaxSearchOpened {
			out.Truncated = true
			break
		}
		// Open whole tiers of equal score, enough to fill what is missing.
		end := opened
		for end < len(cands) && end < MaxSearchOpened &&
			(end-opened < need-final || cands[end].score == cands[end-1].score) {
			end++
		}
		batch := make([]string, 0, end-opened)
		for _, c := range cands[opened:end] {
			batch = append(batch, c.id)
		}
		rs, err := cw.checkCandidates(ctx, actor, purpose, p, batch)
		if err != nil {
			return out, err
		}
		found = append(found, rs...)
		opened = end
		next := -1 // the best score an unopened candidate could have
		if opened < len(cands) {
			next = cands[opened].score
		}
		final = 0
		for _, r := range found {
			if r.score > next {
				final++
			}
		}
	}
	if opened < len(cands) && final < need {
		out.Truncated = true
	}
	slices.SortFunc(found, func(a, b SearchResult) int {
		return cmp.Or(cmp.Compare(b.score, a.score), cmp.Compare(a.sortKey, b.sortKey), cmp.Compare(a.ID, b.ID))
	})
	if opened == len(cands) {
		out.Total = len(found)
	}
	if offset < len(found) {
		out.Results = found[offset:min(offset+SearchPageSize, len(found))]
	}
	out.More = len(found) > offset+SearchPageSize
	return out, nil
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
