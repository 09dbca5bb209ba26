package main

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/caseward/caseward/internal/access"
	"github.com/caseward/caseward/internal/app"
	"github.com/caseward/caseward/internal/app/apptest"
	"github.com/caseward/caseward/internal/casework"
	"github.com/caseward/caseward/internal/staff"
	"github.com/caseward/caseward/internal/staff/stafftest"
	"github.com/caseward/caseward/internal/store"
	"github.com/caseward/caseward/internal/store/storetest"
	_ "github.com/jackc/pgx/v5/stdlib" // "pgx", to tamper with PostgreSQL
	_ "modernc.org/sqlite"             // "sqlite", to tamper with data.db
)

// The tests here run the program as a user would: run() with arguments,
// an environment, standard input and output. Whatever they check inside
// the installation they check through app.Open, as the server would see it.

// pw is a password every policy accepts.
const pw = "a long passphrase of our own"

// result is what one run of the program gave.
type result struct {
	stdout, stderr string
	err            error
}

// code is the exit status main would give.
func (r result) code() int {
	if r.err == nil {
		return 0
	}
	return exitCode(r.err)
}

// message is everything the user was told about a failure: what main
// prints (the error) and what the command wrote.
func (r result) message() string {
	msg := r.stdout + r.stderr
	if r.err != nil && !errors.Is(r.err, errUsage) {
		msg += "caseward: " + r.err.Error() + "\n"
	}
	return msg
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\n--- stdout:\n%s--- stderr:\n%s--- error: %v", r.code(), r.stdout, r.stderr, r.err)
}

// noEnv is an empty environment: the tests never read or set the process's.
func noEnv(string) string { return "" }

// envMap is an environment of the test's making.
func envMap(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// runCLI runs the program once.
func runCLI(t *testing.T, getenv func(string) string, stdin string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	var out, errOut bytes.Buffer
	err := run(ctx, args, getenv, strings.NewReader(stdin), &out, &errOut)
	return result{stdout: out.String(), stderr: errOut.String(), err: err}
}

// install is one installation on one engine.
type install struct {
	engine store.Engine
	loc    store.Location
}

// eachEngine runs fn on every engine, each with a fresh, empty installation.
func eachEngine(t *testing.T, fn func(t *testing.T, in install)) {
	t.Helper()
	for _, e := range storetest.Engines {
		t.Run(string(e), func(t *testing.T) {
			fn(t, newInstall(t, e))
		})
	}
}

func newInstall(t *testing.T, e store.Engine) install {
	t.Helper()
	return install{engine: e, loc: storetest.New(t, e)}
}

// flags points a command at the installation.
func (in install) flags() []string {
	f := []string{"--data", in.loc.Dir}
	if in.loc.URL != "" {
		f = append(f, "--database", in.loc.URL)
	}
	return f
}

// run runs a command against the installation with no environment.
func (in install) run(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	return runCLI(t, noEnv, stdin, append(args, in.flags()...)...)
}

// ok runs a command that must succeed.
func (in install) ok(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	r := in.run(t, stdin, args...)
	if r.err != nil {
		t.Fatalf("caseward %s: want success, got:\n%v", strings.Join(args, " "), r)
	}
	return r
}

func (in install) rootKeyFile() string { return filepath.Join(in.loc.Dir, "root.key") }

// open opens the installation as the server would, until the function
// returned is called (or the test ends).
func (in install) open(t *testing.T) (*app.App, func()) {
	t.Helper()
	a, err := app.Open(t.Context(), app.Config{DataDir: in.loc.Dir, DatabaseURL: in.loc.URL, Hasher: stafftest.CheapHasher()}, time.Now)
	if err != nil {
		t.Fatalf("open installation: %v", err)
	}
	closed := false
	done := func() {
		if !closed {
			closed = true
			a.Close()
		}
	}
	t.Cleanup(done)
	return a, done
}

// users returns the accounts in the installation.
func (in install) users(t *testing.T) []staff.User {
	t.Helper()
	a, done := in.open(t)
	defer done()
	us, err := a.Staff.Users(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return us
}

// rawDB opens the installation's data database directly, behind Caseward's
// back, and returns it with the prefix that names its tables.
func (in install) rawDB(t *testing.T) (*sql.DB, string) {
	t.Helper()
	var (
		db     *sql.DB
		err    error
		prefix string
	)
	if in.engine == store.Postgres {
		db, err = sql.Open("pgx", in.loc.URL)
		prefix = "caseward_data."
	} else {
		db, err = sql.Open("sqlite", "file:"+filepath.Join(in.loc.Dir, "data.db")+"?_pragma=busy_timeout(10000)")
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, prefix
}

// tamper runs statements (with %[1]s standing for the schema prefix) in one
// transaction, as someone with access to the database could.
func (in install) tamper(t *testing.T, stmts ...string) {
	t.Helper()
	db, prefix := in.rawDB(t)
	defer db.Close()
	tx, err := db.BeginTx(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	for _, s := range stmts {
		q := fmt.Sprintf(s, prefix)
		res, err := tx.ExecContext(t.Context(), q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			t.Fatalf("%s: changed %d rows (%v), want 1", q, n, err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

// auditSize counts the audit entries, behind Caseward's back.
func (in install) auditSize(t *testing.T) int64 {
	t.Helper()
	db, prefix := in.rawDB(t)
	defer db.Close()
	var n int64
	if err := db.QueryRowContext(t.Context(), "SELECT COUNT(*) FROM "+prefix+"audit_entries").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// activity gives the installation a service, a caseworker, and a client the
// caseworker created and then opened a few times, and returns the
// caseworker and the client's id. Every opening is an audit entry.
func (in install) activity(t *testing.T) (apptest.Person, string) {
	t.Helper()
	a, done := in.open(t)
	defer done()
	env := &apptest.Env{App: a, Loc: in.loc}
	svc := env.Service(t, "Counselling", false)
	cw := env.Person(t, access.Caseworker, svc.ID)
	ctx := t.Context()
	id, err := a.Casework.CreateClient(ctx, cw.Actor(), casework.ClientInput{
		ServiceID: svc.ID, GivenName: "Mariam", FamilyName: "Haddad-Okonkwo", DateOfBirth: "1987-11-02",
	})
	if err != nil {
		t.Fatalf("create client: %v", err)
	}
	for range 6 {
		if _, err := a.Casework.Client(ctx, cw.Actor(), id, access.Casework); err != nil {
			t.Fatalf("open client: %v", err)
		}
	}
	return cw, id
}

// commandFlags lists, for every command, the flags its --help must show.
var commandFlags = map[string][]string{
	"serve":          {"data", "database", "root-key-file", "addr", "demo", "tls-cert", "tls-key"},
	"service add":    {"data", "database", "root-key-file", "name", "shared-caseload"},
	"user add":       {"data", "database", "root-key-file", "email", "name", "role", "service", "password-stdin"},
	"token create":   {"data", "database", "root-key-file", "email", "expires"},
	"audit verify":   {"data", "database", "root-key-file"},
	"keys rotate":    {"data", "database", "root-key-file"},
	"search reindex": {"data", "database", "root-key-file", "batch"},
	"version":        {},
	"bench":          {"data", "database", "root-key-file", "runs", "clients", "seed"},
	"demo":           {"data", "database", "root-key-file", "clients", "notes-per-client", "appointments-per-client", "plan-percent", "comment-percent", "services", "workers", "parallel", "seed"},
}

func TestHelp(t *testing.T) {
	for _, c := range commands() {
		if _, ok := commandFlags[c.name]; !ok {
			t.Errorf("command %q has no row in commandFlags: add one, so its --help is tested", c.name)
		}
	}
	for _, args := range [][]string{{"--help"}, {"-h"}, {"help"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			r := runCLI(t, noEnv, "", args...)
			if r.err != nil {
				t.Fatalf("want exit 0, got:\n%v", r)
			}
			if !strings.Contains(r.stderr, "Usage: caseward <command>") {
				t.Errorf("no usage line:\n%v", r)
			}
			for name := range commandFlags {
				if !strings.Contains(r.stderr, name) {
					t.Errorf("usage does not list %q:\n%s", name, r.stderr)
				}
			}
		})
	}
	for name, flags := range commandFlags {
		for _, h := range []string{"--help", "-h"} {
			t.Run(name+" "+h, func(t *testing.T) {
				r := runCLI(t, noEnv, "", append(strings.Fields(name), h)...)
				if r.err != nil {
					t.Fatalf("want exit 0, got:\n%v", r)
				}
				if !strings.Contains(r.stderr, "Usage: caseward "+name+" [flags]") {
					t.Errorf("no usage line:\n%v", r)
				}
				for _, f := range flags {
					if !strings.Contains(r.stderr, "  -"+f) {
						t.Errorf("usage does not mention -%s:\n%s", f, r.stderr)
					}
				}
				if r.stdout != "" {
					t.Errorf("help wrote to standard output: %q", r.stdout)
				}
			})
		}
	}
}

func TestVersion(t *testing.T) {
	r := runCLI(t, noEnv, "", "version")
	if r.err != nil {
		t.Fatalf("want exit 0, got:\n%v", r)
	}
	if !strings.HasPrefix(r.stdout, "caseward ") || strings.Count(r.stdout, "\n") != 1 {
		t.Errorf("version printed %q, want one line starting \"caseward \"", r.stdout)
	}
}

// TestUsageErrors: a command given wrongly exits 2 with its usage, and
// touches no data.
func TestUsageErrors(t *testing.T) {
	// "DIR" stands for a data directory of each case's own.
	data := []string{"--data", "DIR"}
	tests := []struct {
		name  string
		args  []string
		stdin string
		want  string // in what the user is told
		usage bool   // the full usage is printed too
	}{
		{"nothing", nil, "", "Usage: caseward <command>", true},
		{"unknown command", []string{"frobnicate"}, "", `unknown command "frobnicate"`, true},
		{"half a command", []string{"service"}, "", `unknown command "service"`, true},
		{"unknown flag", append([]string{"service", "add", "--name", "X", "--colour", "red"}, data...), "", "flag provided but not defined: -colour", true},
		{"stray argument", append([]string{"audit", "verify", "now"}, data...), "", `unexpected argument "now"`, true},
		{"service without a name", append([]string{"service", "add"}, data...), "", "--name is required", false},
		{"user without --password-stdin", append([]string{"user", "add", "--email", "sam@example.org", "--name", "Sam", "--role", "caseworker"}, data...), pw + "\n", "--password-stdin are required", false},
		{"user with an unknown role", append([]string{"user", "add", "--email", "sam@example.org", "--name", "Sam", "--role", "wizard", "--password-stdin"}, data...), pw + "\n", `unknown role "wizard"`, false},
		{"token for no one", append([]string{"token", "create"}, data...), "", "--email is required", false},
		{"token that never expires", append([]string{"token", "create", "--email", "sam@example.org", "--expires", "0s"}, data...), "", "--expires must be", false},
		{"token for ten years", append([]string{"token", "create", "--email", "sam@example.org", "--expires", "87600h"}, data...), "", "--expires must be", false},
		{"bad duration", append([]string{"token", "create", "--email", "sam@example.org", "--expires", "soon"}, data...), "", `invalid value "soon"`, true},
		{"demo with more than all clients", append([]string{"demo", "--plan-percent", "101"}, data...), "", "--plan-percent and --comment-percent must be from 0 to 100", false},
		{"demo with fewer than no appointments", append([]string{"demo", "--appointments-per-client", "-1"}, data...), "", "--appointments-per-client must be 0 or more", false},
		{"serve with half of TLS", append([]string{"serve", "--tls-cert", "cert.pem"}, data...), "", "give both --tls-cert and --tls-key", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			args := slices.Clone(tc.args)
			for i, a := range args {
				if a == "DIR" {
					args[i] = dir
				}
			}
			r := runCLI(t, noEnv, tc.stdin, args...)
			if got := r.code(); got != 2 {
				t.Errorf("exit %d, want 2:\n%v", got, r)
			}
			if !strings.Contains(r.message(), tc.want) {
				t.Errorf("want %q in what the user is told:\n%v", tc.want, r)
			}
			if tc.usage && !strings.Contains(r.stderr, "Usage: caseward") {
				t.Errorf("no usage printed:\n%v", r)
			}
			if entries, err := os.ReadDir(dir); err != nil || len(entries) != 0 {
				t.Errorf("a usage error wrote to the data directory: %v %v", entries, err)
			}
		})
	}
}

// TestEnvironment: every flag can be set by CASEWARD_<FLAG>; a flag on the
// command line wins.
func TestEnvironment(t *testing.T) {
	// Were a variable ignored, the default ./caseward-data would be made
	// here rather than in the package's source directory.
	cwd := t.TempDir()
	t.Chdir(cwd)
	eachEngine(t, func(t *testing.T, in install) {
		env := map[string]string{"CASEWARD_DATA": in.loc.Dir, "CASEWARD_DATABASE": in.loc.URL}
		r := runCLI(t, envMap(env), "", "service", "add", "--name", "Counselling")
		if r.err != nil {
			t.Fatalf("service add with CASEWARD_DATA: %v", r)
		}
		if _, err := os.Stat(in.rootKeyFile()); err != nil {
			t.Errorf("no root key in CASEWARD_DATA: %v", err)
		}

		// Every flag, not only --data: the whole user from the environment.
		env2 := map[string]string{
			"CASEWARD_DATA": in.loc.Dir, "CASEWARD_DATABASE": in.loc.URL,
			"CASEWARD_EMAIL": "sam@example.org", "CASEWARD_NAME": "Sam Taylor", "CASEWARD_ROLE": "caseworker",
			"CASEWARD_SERVICE": "Counselling", "CASEWARD_PASSWORD_STDIN": "true",
		}
		if r := runCLI(t, envMap(env2), pw+"\n", "user", "add"); r.err != nil {
			t.Fatalf("user add from the environment: %v", r)
		}

		// The command line wins, for a repeatable flag too: the environment's
		// service is replaced, not added to (an unknown one would fail).
		other := t.TempDir()
		env3 := map[string]string{
			"CASEWARD_DATA": other, "CASEWARD_DATABASE": in.loc.URL,
			"CASEWARD_ROLE": "dpo", "CASEWARD_SERVICE": "Nowhere", "CASEWARD_PASSWORD_STDIN": "true",
		}
		r = runCLI(t, envMap(env3), pw+"\n", "user", "add", "--data", in.loc.Dir,
			"--email", "alex@example.org", "--name", "Alex Rivera", "--role", "caseworker", "--service", "Counselling")
		if r.err != nil {
			t.Fatalf("flags over the environment: %v", r)
		}
		if entries, _ := os.ReadDir(other); len(entries) != 0 {
			t.Errorf("--data did not win over CASEWARD_DATA: %s holds %v", other, entries)
		}

		a, done := in.open(t)
		svc, err := a.Staff.ServiceByName(t.Context(), "Counselling")
		if err != nil {
			t.Fatalf("the service added through CASEWARD_DATA is not there: %v", err)
		}
		for email, role := range map[string]access.Role{"sam@example.org": access.Caseworker, "alex@example.org": access.Caseworker} {
			u, err := a.Staff.UserByEmail(t.Context(), email)
			if err != nil {
				t.Fatalf("%s: %v", email, err)
			}
			if u.Role != role || len(u.Services) != 1 || u.Services[0] != svc.ID {
				t.Errorf("%s: role %s, services %v; want %s in [%s]", email, u.Role, u.Services, role, svc.ID)
			}
		}
		done()

		// CASEWARD_ROOT_KEY_FILE puts the root key where it says, away
		// from the data.
		fresh := storetest.New(t, in.engine)
		keyFile := filepath.Join(t.TempDir(), "secrets", "root.key")
		env4 := map[string]string{"CASEWARD_DATA": fresh.Dir, "CASEWARD_DATABASE": fresh.URL, "CASEWARD_ROOT_KEY_FILE": keyFile}
		if r := runCLI(t, envMap(env4), "", "service", "add", "--name", "Advocacy"); r.err != nil {
			t.Fatalf("with CASEWARD_ROOT_KEY_FILE: %v", r)
		}
		if _, err := os.Stat(keyFile); err != nil {
			t.Errorf("no root key at CASEWARD_ROOT_KEY_FILE: %v", err)
		}
		if _, err := os.Stat(filepath.Join(fresh.Dir, "root.key")); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("a root key was made in the data directory too: %v", err)
		}

		// A variable that does not parse is named.
		env5 := map[string]string{"CASEWARD_DATA": in.loc.Dir, "CASEWARD_DATABASE": in.loc.URL, "CASEWARD_SHARED_CASELOAD": "perhaps"}
		r = runCLI(t, envMap(env5), "", "service", "add", "--name", "Advocacy")
		if r.code() == 0 || !strings.Contains(r.message(), "CASEWARD_SHARED_CASELOAD") {
			t.Errorf("a bad CASEWARD_SHARED_CASELOAD: want a failure naming it, got:\n%v", r)
		}

		if _, err := os.Stat(filepath.Join(cwd, "caseward-data")); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("the default data directory was used despite CASEWARD_DATA: %v", err)
		}
	})
}

func TestUserAdd(t *testing.T) {
	eachEngine(t, func(t *testing.T, in install) {
		r := in.ok(t, "", "service", "add", "--name", "Counselling")
		if !strings.Contains(r.stdout, `"Counselling"`) {
			t.Errorf("service add does not say what it added: %q", r.stdout)
		}

		r = in.ok(t, pw+"\n", "user", "add", "--email", "sam@example.org", "--name", "Sam Taylor",
			"--role", "caseworker", "--service", "Counselling", "--password-stdin")
		if n := strings.Count(r.stdout, "otpauth://"); n != 1 {
			t.Errorf("the enrolment URI is printed %d times, want once:\n%s", n, r.stdout)
		}
		if strings.Contains(r.stdout+r.stderr, pw) {
			t.Errorf("the password was echoed:\n%v", r)
		}
		us := in.users(t)
		if len(us) != 1 || us[0].Email != "sam@example.org" || us[0].Name != "Sam Taylor" || us[0].Role != access.Caseworker || len(us[0].Services) != 1 {
			t.Fatalf("users after user add: %+v", us)
		}

		user := func(email, role, service string) []string {
			args := []string{"user", "add", "--email", email, "--name", "Robin Ellis", "--role", role, "--password-stdin"}
			if service != "" {
				args = append(args, "--service", service)
			}
			return args
		}
		tests := []struct {
			name  string
			args  []string
			stdin string
			want  string
		}{
			{"short password", user("robin@example.org", "caseworker", "Counselling"), "short\n", "at least 8 characters"},
			{"common password", user("robin@example.org", "caseworker", "Counselling"), "password1234\n", "too common"},
			{"no password", user("robin@example.org", "caseworker", "Counselling"), "", "standard input"},
			{"unknown role", user("robin@example.org", "wizard", "Counselling"), pw + "\n", `unknown role "wizard"`},
			{"unknown service", user("robin@example.org", "caseworker", "Nowhere"), pw + "\n", `no service called "Nowhere"`},
			{"caseworker without a service", user("robin@example.org", "caseworker", ""), pw + "\n", "at least one service"},
			{"malformed email", user("robin.example.org", "caseworker", "Counselling"), pw + "\n", "email address in the correct format"},
			{"duplicate email", user("sam@example.org", "manager", "Counselling"), pw + "\n", "already exists"},
			{"duplicate email in capitals", user("SAM@Example.ORG", "manager", "Counselling"), pw + "\n", "already exists"},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				r := in.run(t, tc.stdin, tc.args...)
				if r.code() == 0 {
					t.Fatalf("want a failure, got:\n%v", r)
				}
				if !strings.Contains(r.message(), tc.want) {
					t.Errorf("want %q in what the user is told:\n%v", tc.want, r)
				}
				if strings.Contains(r.stdout, "otpauth://") {
					t.Errorf("a failed user add printed an enrolment:\n%v", r)
				}
				if p := strings.TrimSpace(tc.stdin); len(p) > 0 && strings.Contains(r.message(), p) {
					t.Errorf("the password was echoed:\n%v", r)
				}
				if n := len(in.users(t)); n != 1 {
					t.Errorf("%d users after a failed user add, want 1", n)
				}
			})
		}
	})
}

func TestTokenCreate(t *testing.T) {
	eachEngine(t, func(t *testing.T, in install) {
		in.ok(t, "", "service", "add", "--name", "Counselling")
		in.ok(t, pw+"\n", "user", "add", "--email", "sam@example.org", "--name", "Sam Taylor",
			"--role", "caseworker", "--service", "Counselling", "--password-stdin")

		for _, email := range []string{"sam@example.org", "Sam@Example.org"} {
			r := in.ok(t, "", "token", "create", "--email", email, "--expires", "24h")
			tok := strings.TrimSuffix(r.stdout, "\n")
			if !strings.HasPrefix(tok, "cw_") || strings.ContainsAny(tok, " \n") {
				t.Fatalf("token create printed %q, want one token starting cw_", r.stdout)
			}
			a, done := in.open(t)
			u, err := a.Staff.TokenUser(t.Context(), tok)
			done()
			if err != nil {
				t.Fatalf("the printed token is not accepted: %v", err)
			}
			if u.Email != "sam@example.org" {
				t.Errorf("the token acts as %s, want sam@example.org", u.Email)
			}
		}

		r := in.run(t, "", "token", "create", "--email", "nobody@example.org")
		if r.code() == 0 {
			t.Fatalf("token for an unknown email: want a failure, got:\n%v", r)
		}
		if !strings.Contains(r.message(), "nobody@example.org") {
			t.Errorf("the failure does not say whose token could not be made:\n%v", r)
		}
		if strings.Contains(r.stdout, "cw_") {
			t.Errorf("a token was printed for an unknown email:\n%v", r)
		}
	})
}

func TestAuditVerify(t *testing.T) {
	eachEngine(t, func(t *testing.T, in install) {
		in.activity(t)
		n := in.auditSize(t)
		if n < 7 {
			t.Fatalf("only %d audit entries after the activity", n)
		}
		r := in.ok(t, "", "audit", "verify")
		if strings.Count(r.stdout, "\n") != 1 || !strings.Contains(r.stdout, "intact") || !strings.Contains(r.stdout, fmt.Sprintf("%d entries", n)) {
			t.Errorf("audit verify: want a one-line summary of %d entries, got %q", n, r.stdout)
		}
		// And again: a verification's own checkpoint does not upset the next.
		in.ok(t, "", "audit", "verify")
	})

	tests := []struct {
		name  string
		stmts func(mid int64) []string
		bad   func(mid int64) int64 // the entry the verifier must name
	}{
		{
			name: "action changed",
			stmts: func(mid int64) []string {
				return []string{fmt.Sprintf("UPDATE %%[1]saudit_entries SET action = 'client.view-notes' WHERE idx = %d", mid)}
			},
			bad: func(mid int64) int64 { return mid },
		},
		{
			name: "allowed flipped",
			stmts: func(mid int64) []string {
				return []string{fmt.Sprintf("UPDATE %%[1]saudit_entries SET allowed = NOT allowed WHERE idx = %d", mid)}
			},
			bad: func(mid int64) int64 { return mid },
		},
		{
			name: "actor changed",
			stmts: func(mid int64) []string {
				return []string{fmt.Sprintf("UPDATE %%[1]saudit_entries SET actor = 'system:retention' WHERE idx = %d", mid)}
			},
			bad: func(mid int64) int64 { return mid },
		},
		{
			name: "row deleted",
			stmts: func(mid int64) []string {
				return []string{fmt.Sprintf("DELETE FROM %%[1]saudit_entries WHERE idx = %d", mid)}
			},
			bad: func(mid int64) int64 { return mid },
		},
		{
			name: "two rows swapped",
			stmts: func(mid int64) []string {
				return []string{
					fmt.Sprintf("UPDATE %%[1]saudit_entries SET idx = -1 WHERE idx = %d", mid),
					fmt.Sprintf("UPDATE %%[1]saudit_entries SET idx = %d WHERE idx = %d", mid, mid+2),
					fmt.Sprintf("UPDATE %%[1]saudit_entries SET idx = %d WHERE idx = -1", mid+2),
				}
			},
			bad: func(mid int64) int64 { return mid },
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			eachEngine(t, func(t *testing.T, in install) {
				in.activity(t)
				in.ok(t, "", "audit", "verify")
				mid := in.auditSize(t) / 2
				in.tamper(t, tc.stmts(mid)...)

				r := in.run(t, "", "audit", "verify")
				if r.code() == 0 {
					t.Fatalf("audit verify passed a tampered log:\n%v", r)
				}
				t.Logf("tampered at entry %d: %s", mid, strings.TrimSpace(r.stdout))
				want := fmt.Sprintf("entry %d:", tc.bad(mid))
				if !strings.Contains(r.stdout, want) {
					t.Errorf("audit verify does not name %q:\n%v", want, r)
				}
				if strings.Contains(r.stdout, "intact:") && !strings.Contains(r.stdout, "NOT intact") {
					t.Errorf("audit verify says intact:\n%v", r)
				}
			})
		})
	}
}

// TestRootKey: once there is data, a missing, exposed or wrong root key
// stops every command, and none makes a new key.
func TestRootKey(t *testing.T) {
	eachEngine(t, func(t *testing.T, in install) {
		in.ok(t, "", "service", "add", "--name", "Counselling")
		in.ok(t, pw+"\n", "user", "add", "--email", "sam@example.org", "--name", "Sam Taylor",
			"--role", "caseworker", "--service", "Counselling", "--password-stdin")
		keyFile := in.rootKeyFile()
		info, err := os.Stat(keyFile)
		if err != nil {
			t.Fatalf("no root key file after first use: %v", err)
		}
		if perm := info.Mode().Perm(); perm != 0o600 {
			t.Errorf("root key file made with mode %04o, want 0600", perm)
		}

		// Every command that opens the data.
		commands := []struct {
			args  []string
			stdin string
		}{
			{[]string{"service", "add", "--name", "Advocacy"}, ""},
			{[]string{"user", "add", "--email", "robin@example.org", "--name", "Robin Ellis", "--role", "caseworker", "--service", "Counselling", "--password-stdin"}, pw + "\n"},
			{[]string{"token", "create", "--email", "sam@example.org"}, ""},
			{[]string{"audit", "verify"}, ""},
			{[]string{"keys", "rotate"}, ""},
			{[]string{"serve", "--addr", "127.0.0.1:0"}, ""},
		}
		refused := func(t *testing.T, want ...string) {
			t.Helper()
			for _, c := range commands {
				r := in.run(t, c.stdin, c.args...)
				if r.code() == 0 {
					t.Errorf("caseward %s: want a refusal, got:\n%v", strings.Join(c.args, " "), r)
					continue
				}
				for _, w := range want {
					if !strings.Contains(r.message(), w) {
						t.Errorf("caseward %s: want %q in what the user is told:\n%v", strings.Join(c.args, " "), w, r)
					}
				}
				if strings.Contains(r.stdout, "cw_") || strings.Contains(r.stdout, "otpauth://") {
					t.Errorf("caseward %s: printed a secret while refusing:\n%v", strings.Join(c.args, " "), r)
				}
			}
		}
		nothingWritten := func(t *testing.T) {
			t.Helper()
			a, done := in.open(t)
			defer done()
			if _, err := a.Staff.ServiceByName(t.Context(), "Advocacy"); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("a refused service add wrote the service (err %v)", err)
			}
			if _, err := a.Staff.UserByEmail(t.Context(), "robin@example.org"); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("a refused user add wrote the user (err %v)", err)
			}
		}

		t.Run("missing", func(t *testing.T) {
			backup := filepath.Join(t.TempDir(), "root.key")
			if err := os.Rename(keyFile, backup); err != nil {
				t.Fatal(err)
			}
			refused(t, "root key file", keyFile)
			if _, err := os.Stat(keyFile); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("a new root key file was made over existing data (stat: %v)", err)
			}
			if err := os.Rename(backup, keyFile); err != nil {
				t.Fatal(err)
			}
			nothingWritten(t)
			in.ok(t, "", "audit", "verify")
		})

		t.Run("readable by others", func(t *testing.T) {
			if err := os.Chmod(keyFile, 0o644); err != nil {
				t.Fatal(err)
			}
			refused(t, "root key file", keyFile, "0644", "chmod 600")
			if err := os.Chmod(keyFile, 0o600); err != nil {
				t.Fatal(err)
			}
			nothingWritten(t)
			in.ok(t, "", "audit", "verify")
		})

		t.Run("wrong key", func(t *testing.T) {
			// Another installation's key: a valid file, the wrong key.
			other := storetest.New(t, store.SQLite)
			otherIn := install{engine: store.SQLite, loc: other}
			otherIn.ok(t, "", "audit", "verify")
			orig, err := os.ReadFile(keyFile)
			if err != nil {
				t.Fatal(err)
			}
			wrong, err := os.ReadFile(otherIn.rootKeyFile())
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(keyFile, wrong, 0o600); err != nil {
				t.Fatal(err)
			}
			refused(t, "root key file", keyFile)
			if got, _ := os.ReadFile(keyFile); !bytes.Equal(got, wrong) {
				t.Errorf("the root key file was rewritten while refusing")
			}
			if err := os.WriteFile(keyFile, orig, 0o600); err != nil {
				t.Fatal(err)
			}
			nothingWritten(t)
			in.ok(t, "", "service", "add", "--name", "Advocacy")
		})
	})
}

// TestKeysRotate: after a rotation the audit log still verifies (its
// signing key survives) and every client can still be read.
func TestKeysRotate(t *testing.T) {
	eachEngine(t, func(t *testing.T, in install) {
		cw, id := in.activity(t)
		before, err := os.ReadFile(in.rootKeyFile())
		if err != nil {
			t.Fatal(err)
		}
		r := in.ok(t, "", "keys", "rotate")
		if !strings.Contains(r.stdout, "Back up the new root key file") {
			t.Errorf("keys rotate does not say to back up the new key:\n%v", r)
		}
		after, err := os.ReadFile(in.rootKeyFile())
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Equal(before, after) {
			t.Fatal("the root key file did not change")
		}
		if info, err := os.Stat(in.rootKeyFile()); err != nil || info.Mode().Perm() != 0o600 {
			t.Errorf("root key file after rotation: %v, %v; want mode 0600", info, err)
		}
		in.ok(t, "", "audit", "verify")

		a, done := in.open(t)
		c, err := a.Casework.Client(t.Context(), cw.Actor(), id, access.Casework)
		done()
		if err != nil {
			t.Fatalf("read client after rotation: %v", err)
		}
		if c.GivenName != "Mariam" || c.FamilyName != "Haddad-Okonkwo" || c.DateOfBirth.Format(casework.DateLayout) != "1987-11-02" {
			t.Errorf("client after rotation: %+v", c)
		}

		// Twice, and the old key is gone from the file.
		in.ok(t, "", "keys", "rotate")
		in.ok(t, "", "audit", "verify")
		final, err := os.ReadFile(in.rootKeyFile())
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, line := range strings.Split(string(final), "\n") {
			if strings.HasPrefix(line, "caseward-root-key-v1 ") {
				n++
			}
		}
		if n != 1 {
			t.Errorf("root key file holds %d keys after rotation, want 1", n)
		}
		a, done = in.open(t)
		defer done()
		if _, err := a.Casework.Client(t.Context(), cw.Actor(), id, access.Casework); err != nil {
			t.Fatalf("read client after a second rotation: %v", err)
		}
	})
}

// TestSearchReindex: a client whose index rows were lost (recorded before
// the index existed) is found again after "search reindex", which says how
// many clients it went through and leaves the audit log intact.
func TestSearchReindex(t *testing.T) {
	eachEngine(t, func(t *testing.T, in install) {
		cw, id := in.activity(t)
		db, prefix := in.rawDB(t)
		if _, err := db.ExecContext(t.Context(), "DELETE FROM "+prefix+"client_search"); err != nil {
			t.Fatal(err)
		}
		db.Close()
		find := func() []casework.SearchResult {
			a, done := in.open(t)
			defer done()
			rs, err := a.Casework.Search(t.Context(), cw.Actor(), access.Casework, casework.SearchQuery{Name: "Mariam Haddad"})
			if err != nil {
				t.Fatal(err)
			}
			return rs.Results
		}
		if n := len(find()); n != 0 {
			t.Fatalf("found %d without an index", n)
		}
		r := in.ok(t, "", "search", "reindex", "--batch", "1")
		if !strings.HasPrefix(r.stdout, "Search index rebuilt for 1 client in ") {
			t.Errorf("search reindex does not say how many clients:\n%v", r)
		}
		if rs := find(); len(rs) != 1 || rs[0].ID != id {
			t.Errorf("after search reindex: %+v, want the client", rs)
		}
		in.ok(t, "", "search", "reindex")
		in.ok(t, "", "audit", "verify")
		if r := in.run(t, "", "search", "reindex", "--batch", "0"); r.code() != 2 {
			t.Errorf("--batch 0: want exit 2, got:\n%v", r)
		}
	})
}
