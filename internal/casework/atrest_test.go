package casework_test

import (
	"bytes"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf16"

	"github.com/caseward/caseward/internal/access"
	"github.com/caseward/caseward/internal/app/apptest"
	"github.com/caseward/caseward/internal/casework"
	"github.com/caseward/caseward/internal/store"
	_ "github.com/jackc/pgx/v5/stdlib" // "pgx", to read PostgreSQL behind Caseward's back
	"golang.org/x/text/unicode/norm"
)

// atRestClients have names in several scripts and distinctive dates of
// birth, long enough that none could turn up in random ciphertext by chance.
var atRestClients = []casework.ClientInput{
	{GivenName: "Desislava", FamilyName: "Zhivkova", DateOfBirth: "1987-11-02"},
	{GivenName: "Guðrún", FamilyName: "Ólafsdóttir", DateOfBirth: "1972-03-19"},
	{GivenName: "جميلة", FamilyName: "الحسيني", DateOfBirth: "1995-07-28"},
	{GivenName: "ሰላማዊት", FamilyName: "ገብረመድህን", DateOfBirth: "2001-12-09"},
}

// atRestUpdate replaces the first client's record, so that the old values
// pass through the write-ahead log beside the new.
var atRestUpdate = casework.ClientInput{GivenName: "Desislava", FamilyName: "Vasilevska-Zhivkova", DateOfBirth: "1988-02-11"}

// secretTerms returns every byte string that would betray a client's
// personal data if found at rest: each name as typed, in other cases, in
// decomposed form and reduced as a blind index reduces it; each date of
// birth as 1987-11-02, 02/11/1987 and 19871102; each in UTF-8 and UTF-16LE.
func secretTerms(t *testing.T, ins ...casework.ClientInput) map[string][]byte {
	t.Helper()
	texts := map[string]bool{}
	for _, in := range ins {
		for _, name := range []string{in.GivenName, in.FamilyName} {
			for _, v := range []string{name, strings.ToLower(name), strings.ToUpper(name), norm.NFD.String(name), reduced(name)} {
				texts[v] = true
			}
		}
		d, err := time.Parse(casework.DateLayout, in.DateOfBirth)
		if err != nil {
			t.Fatal(err)
		}
		for _, layout := range []string{"2006-01-02", "02/01/2006", "20060102"} {
			texts[d.Format(layout)] = true
		}
	}
	terms := map[string][]byte{}
	for s := range texts {
		if len(s) < 6 {
			t.Fatalf("search term %q is too short to be safe from chance matches", s)
		}
		terms[s+" (UTF-8)"] = []byte(s)
		terms[s+" (UTF-16LE)"] = utf16le(s)
	}
	return terms
}

// reduced is a name as a search index might keep it: decomposed, accents
// dropped, lower case.
func reduced(s string) string {
	var b strings.Builder
	for _, r := range norm.NFKD.String(s) {
		if !unicode.IsMark(r) {
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

func utf16le(s string) []byte {
	var b []byte
	for _, u := range utf16.Encode([]rune(s)) {
		b = append(b, byte(u), byte(u>>8))
	}
	return b
}

// P17: encrypted at rest. Clients' names and dates of birth appear nowhere
// in clear in what the database keeps: on SQLite, in any file of the data
// directory (the write-ahead logs included, read while the installation is
// still open); on PostgreSQL, in any row of either of Caseward's schemas.
func TestP17EncryptedAtRest(t *testing.T) {
	apptest.Each(t, func(t *testing.T, env *apptest.Env) {
		ctx := t.Context()
		svc := env.Service(t, "Counselling", false)
		cw := env.Person(t, access.Caseworker, svc.ID)
		var ids []string
		for _, in := range atRestClients {
			in.ServiceID = svc.ID
			id, err := env.Casework.CreateClient(ctx, cw.Actor(), in)
			if err != nil {
				t.Fatalf("create client: %v", err)
			}
			ids = append(ids, id)
		}
		c, err := env.Casework.Client(ctx, cw.Actor(), ids[0], access.Casework)
		if err != nil {
			t.Fatal(err)
		}
		if err := env.Casework.UpdateClient(ctx, cw.Actor(), ids[0], c.Version, atRestUpdate); err != nil {
			t.Fatalf("update client: %v", err)
		}
		for i, id := range ids {
			c, err := env.Casework.Client(ctx, cw.Actor(), id, access.Casework)
			if err != nil {
				t.Fatalf("open client: %v", err)
			}
			want := atRestClients[i]
			if i == 0 {
				want = atRestUpdate
			}
			if c.GivenName != want.GivenName || c.FamilyName != want.FamilyName || c.DateOfBirth.Format(casework.DateLayout) != want.DateOfBirth {
				t.Fatalf("client %d reads back as %q %q %s", i, c.GivenName, c.FamilyName, c.DateOfBirth.Format(casework.DateLayout))
			}
		}
		secrets := secretTerms(t, append(slices.Clone(atRestClients), atRestUpdate)...)

		// What must be found, to show that the search looks where the data
		// is: a clear value known to be stored (the service's name), and a
		// client's ciphertext exactly as stored.
		var sealed []byte
		if err := env.DB.QueryRow(ctx, "SELECT given_name FROM clients WHERE id = ?", ids[1]).Scan(&sealed); err != nil {
			t.Fatal(err)
		}
		if len(sealed) < 16 {
			t.Fatalf("a sealed given name of %d bytes", len(sealed))
		}

		switch env.Loc.Engine() {
		case store.SQLite:
			// Read while the installation is open: closing checkpoints and
			// removes the write-ahead log, which held the old values.
			files := readDataDir(t, env.Loc.Dir)
			if wal := files["data.db-wal"]; len(wal) == 0 {
				t.Fatalf("data.db-wal is missing or empty (files: %v): the test would not see the write-ahead log", slices.Sorted(maps.Keys(files)))
			}
			for _, must := range []string{"data.db", "keys.db"} {
				if _, ok := files[must]; !ok {
					t.Fatalf("%s is not in the data directory (files: %v)", must, slices.Sorted(maps.Keys(files)))
				}
			}
			if !anyContains(files, []byte("Counselling")) {
				t.Fatal(`the search finds nothing, not even the service name "Counselling" stored in clear`)
			}
			if !anyContains(files, sealed) {
				t.Fatal("the search does not find a client's ciphertext: it is not looking where clients are stored")
			}
			for name, b := range files {
				for term, s := range secrets {
					if i := bytes.Index(b, s); i >= 0 {
						t.Errorf("%s holds %s in clear at byte %d", name, term, i)
					}
				}
			}

		case store.Postgres:
			dump := dumpPostgres(t, env.Loc.URL)
			for _, must := range []string{"caseward_data.clients", "caseward_data.audit_entries", "caseward_keys.client_keys"} {
				if _, ok := dump[must]; !ok {
					t.Fatalf("%s was not dumped (tables: %v)", must, slices.Sorted(maps.Keys(dump)))
				}
			}
			if !anyContains(dump, []byte("Counselling")) {
				t.Fatal(`the search finds nothing, not even the service name "Counselling" stored in clear`)
			}
			if !anyContains(dump, []byte(hex.EncodeToString(sealed))) {
				t.Fatal("the search does not find a client's ciphertext in hex: it is not looking where clients are stored")
			}
			for table, b := range dump {
				low := bytes.ToLower(b)
				for term, s := range secrets {
					if bytes.Contains(b, s) {
						t.Errorf("%s holds %s in clear", table, term)
					}
					if bytes.Contains(low, []byte(hex.EncodeToString(s))) {
						t.Errorf("%s holds %s in clear, hex-encoded", table, term)
					}
				}
			}
		default:
			t.Fatalf("no at-rest check for engine %s", env.Loc.Engine())
		}
	})
}

// readDataDir reads every file under dir, by path relative to dir.
func readDataDir(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		files[rel] = b
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// dumpPostgres returns, for every table of Caseward's two schemas, every
// row as PostgreSQL writes it as text (bytea as \x and hex), one per line.
func dumpPostgres(t *testing.T, url string) map[string][]byte {
	t.Helper()
	ctx := t.Context()
	db, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, `SELECT table_schema, table_name FROM information_schema.tables
		WHERE table_schema IN ('caseward_data', 'caseward_keys') AND table_type = 'BASE TABLE'`)
	if err != nil {
		t.Fatal(err)
	}
	var tables [][2]string
	for rows.Next() {
		var s, n string
		if err := rows.Scan(&s, &n); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, [2]string{s, n})
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	rows.Close()

	dump := map[string][]byte{}
	for _, tb := range tables {
		q := fmt.Sprintf(`SELECT t::text FROM %q.%q t`, tb[0], tb[1])
		rows, err := db.QueryContext(ctx, q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		var b []byte
		for rows.Next() {
			var line string
			if err := rows.Scan(&line); err != nil {
				t.Fatal(err)
			}
			b = append(append(b, line...), '\n')
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
		dump[tb[0]+"."+tb[1]] = b
	}
	return dump
}

func anyContains(m map[string][]byte, s []byte) bool {
	for _, b := range m {
		if bytes.Contains(b, s) {
			return true
		}
	}
	return false
}

// A field's ciphertext is bound to its client, table, column and row: moved
// anywhere else, even within the same client's record, it does not open,
// and the reader gets an error, never the other value.
func TestCiphertextBoundToItsPlace(t *testing.T) {
	tests := []struct {
		name  string
		stmt  string                  // moves a value
		args  func(a, b string) []any // its arguments, from the ids of clients A and B
		reads string                  // the client whose record must now fail to open: "A" or "B"
	}{
		{
			"another client's given name",
			"UPDATE clients SET given_name = (SELECT given_name FROM clients WHERE id = ?) WHERE id = ?",
			func(a, b string) []any { return []any{a, b} }, "B",
		},
		{
			"another client's date of birth",
			"UPDATE clients SET date_of_birth = (SELECT date_of_birth FROM clients WHERE id = ?) WHERE id = ?",
			func(a, b string) []any { return []any{a, b} }, "B",
		},
		{
			"the same client's family name in the given name",
			"UPDATE clients SET given_name = family_name WHERE id = ?",
			func(a, b string) []any { return []any{a} }, "A",
		},
	}
	apptest.Each(t, func(t *testing.T, env *apptest.Env) {
		ctx := t.Context()
		svc := env.Service(t, "Counselling", false)
		cw := env.Person(t, access.Caseworker, svc.ID)
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				a, err := env.Casework.CreateClient(ctx, cw.Actor(), casework.ClientInput{ServiceID: svc.ID, GivenName: "Desislava", FamilyName: "Zhivkova", DateOfBirth: "1987-11-02"})
				if err != nil {
					t.Fatal(err)
				}
				b, err := env.Casework.CreateClient(ctx, cw.Actor(), casework.ClientInput{ServiceID: svc.ID, GivenName: "Mariam", FamilyName: "Haddad-Okonkwo", DateOfBirth: "1990-05-14"})
				if err != nil {
					t.Fatal(err)
				}
				err = env.DB.Tx(ctx, func(tx *store.Tx) error {
					res, err := tx.Exec(ctx, tc.stmt, tc.args(a, b)...)
					if err != nil {
						return err
					}
					if n, err := res.RowsAffected(); err != nil || n != 1 {
						return fmt.Errorf("changed %d rows (%v), want 1", n, err)
					}
					return nil
				})
				if err != nil {
					t.Fatalf("move the ciphertext: %v", err)
				}

				victim, other := b, a
				if tc.reads == "A" {
					victim, other = a, b
				}
				c, err := env.Casework.Client(ctx, cw.Actor(), victim, access.Casework)
				if err == nil {
					t.Fatalf("a moved ciphertext opened: the record reads %q %q %s", c.GivenName, c.FamilyName, c.DateOfBirth.Format(casework.DateLayout))
				}
				if errors.Is(err, casework.ErrNotFound) {
					t.Errorf("a record that fails to decrypt is reported as not found: %v", err)
				}
				for _, leaked := range []string{"Desislava", "Zhivkova", "1987-11-02", "Mariam", "Haddad"} {
					if strings.Contains(err.Error(), leaked) {
						t.Errorf("the error shows %q: %v", leaked, err)
					}
				}
				if !reflect.ValueOf(c).IsZero() {
					t.Errorf("a failed read returned a record: %+v", c)
				}
				// The record the value came from is untouched.
				if _, err := env.Casework.Client(ctx, cw.Actor(), other, access.Casework); err != nil {
					t.Errorf("the other client no longer opens: %v", err)
				}
			})
		}
	})
}
