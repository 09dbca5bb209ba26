package casework_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/caseward/caseward/internal/access"
	"github.com/caseward/caseward/internal/app"
	"github.com/caseward/caseward/internal/app/apptest"
	"github.com/caseward/caseward/internal/auth/password"
	"github.com/caseward/caseward/internal/casework"
	"github.com/caseward/caseward/internal/demo"
	"github.com/caseward/caseward/internal/staff"
	"github.com/caseward/caseward/internal/store"
	"github.com/caseward/caseward/internal/store/storetest"
)

// Benchmarks of finding people at a realistic scale, on both engines:
//
//	go test ./internal/casework -run '^$' -bench 'Search|Intake' -benchtime 200x
//
// CASEWARD_BENCH_CLIENTS sets the population (default 10,000), in ten
// services of twenty caseworkers each. Seeding goes through CreateClient,
// as a real installation fills; it takes a while, so set
// CASEWARD_BENCH_DIR to keep the seeded installation between runs (a
// directory per engine and size; on PostgreSQL a database named after
// it). Each benchmark reports p50 and p95 in milliseconds.

const benchSeed = 20261125

var benchCache = map[string]*benchEnv{}

type benchEnv struct {
	app     *app.App
	clock   *apptest.Clock
	org     demo.Org
	clients int
}

func benchClients() int {
	if n, err := strconv.Atoi(os.Getenv("CASEWARD_BENCH_CLIENTS")); err == nil && n > 0 {
		return n
	}
	return 10_000
}

var benchHasher = password.NewHasher(4, password.WithParams(password.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}))

// seeded returns an installation holding the benchmark's population,
// seeding it (or reopening a kept one) on first use.
func seeded(b *testing.B, e store.Engine) *benchEnv {
	b.Helper()
	n := benchClients()
	key := fmt.Sprintf("%s-%d", e, n)
	if be := benchCache[key]; be != nil {
		return be
	}
	ctx := context.Background()
	clock := apptest.NewClock()
	loc := store.Location{}
	keep := os.Getenv("CASEWARD_BENCH_DIR")
	marker := ""
	if keep != "" {
		loc.Dir = filepath.Join(keep, key)
		marker = filepath.Join(loc.Dir, "seeded")
		if e == store.Postgres {
			loc.URL = benchPostgres(b, "caseward_bench_"+strings.ReplaceAll(key, "-", "_"))
		}
	} else {
		loc = storetest.New(b, e)
	}
	seededAlready := false
	if marker != "" {
		_, err := os.Stat(marker)
		seededAlready = err == nil
	}
	if !seededAlready {
		if err := os.MkdirAll(loc.Dir, 0o700); err != nil {
			b.Fatal(err)
		}
		// Seed without waiting for each commit to reach the disk: a crash
		// would only lose the benchmark's data. Measurements reopen the
		// installation with the ordinary settings.
		seedLoc := loc
		if e == store.Postgres {
			seedLoc.URL += sep(loc.URL) + "synchronous_commit=off"
		}
		a, err := app.Open(ctx, app.Config{DataDir: seedLoc.Dir, DatabaseURL: seedLoc.URL, Hasher: benchHasher}, clock.Now)
		if err != nil {
			b.Fatal(err)
		}
		org, err := demo.AddOrg(ctx, a, "Service", 10, 20)
		if err != nil {
			b.Fatal(err)
		}
		par := 2
		if e == store.Postgres {
			par = 8
		}
		start := time.Now()
		_, err = demo.AddClients(ctx, a.Casework, org.Creators(), n, demo.AddClientsOptions{Seed: benchSeed, Parallel: par,
			Progress: func(d int) {
				if d%10_000 == 0 {
					b.Logf("%s: %d clients in %v", e, d, time.Since(start).Round(time.Second))
				}
			}})
		if err != nil {
			b.Fatal(err)
		}
		took := time.Since(start)
		var rows int
		if err := a.DB.QueryRow(ctx, "SELECT COUNT(*) FROM client_search").Scan(&rows); err != nil {
			b.Fatal(err)
		}
		b.Logf("%s: seeded %d clients in %v (%.0f clients/s), %d search index rows (%.1f a client)",
			e, n, took.Round(time.Second), float64(n)/took.Seconds(), rows, float64(rows)/float64(n))
		a.Close()
		if e == store.Postgres {
			// What autovacuum does in a running installation (the test
			// server may have it off): planner statistics, and the
			// visibility map that lets index-only scans skip the table.
			db, err := sql.Open("pgx", loc.URL)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := db.Exec("VACUUM ANALYZE"); err != nil {
				b.Fatal(err)
			}
			db.Close()
		}
		if marker != "" {
			if err := os.WriteFile(marker, []byte(time.Now().Format(time.RFC3339)+"\n"), 0o600); err != nil {
				b.Fatal(err)
			}
		}
	}
	a, err := app.Open(ctx, app.Config{DataDir: loc.Dir, DatabaseURL: loc.URL, Hasher: benchHasher}, clock.Now)
	if err != nil {
		b.Fatal(err)
	}
	be := &benchEnv{app: a, clock: clock, clients: n, org: benchOrg(b, a)}
	benchCache[key] = be
	return be
}

func sep(url string) string {
	if strings.Contains(url, "?") {
		return "&"
	}
	return "?"
}

// benchPostgres returns the URL of a database kept between runs, made if
// it does not exist.
func benchPostgres(b *testing.B, name string) string {
	b.Helper()
	base := os.Getenv("CASEWARD_TEST_POSTGRES")
	if base == "" {
		base = storetest.DefaultPostgres
	}
	u, err := url.Parse(base)
	if err != nil {
		b.Fatal(err)
	}
	db, err := sql.Open("pgx", base)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	var exists bool
	if err := db.QueryRow("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		b.Skipf("PostgreSQL: %v", err)
	}
	if !exists {
		if _, err := db.Exec("CREATE DATABASE " + name); err != nil {
			b.Fatal(err)
		}
	}
	u.Path = "/" + name
	return u.String()
}

// benchOrg finds the organisation AddOrg made in a reopened installation.
func benchOrg(b *testing.B, a *app.App) demo.Org {
	b.Helper()
	ctx := context.Background()
	svcs, err := a.Staff.Services(ctx)
	if err != nil {
		b.Fatal(err)
	}
	users, err := a.Staff.Users(ctx)
	if err != nil {
		b.Fatal(err)
	}
	var org demo.Org
	slices.SortFunc(svcs, func(x, y staff.Service) int { return serviceNumber(x.Name) - serviceNumber(y.Name) })
	for _, s := range svcs {
		org.Services = append(org.Services, s)
		org.Workers = append(org.Workers, nil)
	}
	for _, u := range users {
		for i, s := range org.Services {
			if !slices.Contains(u.Services, s.ID) {
				continue
			}
			if u.Role == access.Manager {
				for len(org.Managers) <= i {
					org.Managers = append(org.Managers, u)
				}
				org.Managers[i] = u
			} else {
				org.Workers[i] = append(org.Workers[i], u)
			}
		}
	}
	for i := range org.Workers {
		slices.SortFunc(org.Workers[i], func(x, y staff.User) int { return workerNumber(x.Email) - workerNumber(y.Email) })
	}
	return org
}

func serviceNumber(name string) int {
	n, _ := strconv.Atoi(strings.TrimPrefix(name, "Service "))
	return n
}

func workerNumber(email string) int {
	local, _, _ := strings.Cut(email, "@")
	n, _ := strconv.Atoi(local[strings.LastIndex(local, "-")+1:])
	return n
}

// inService returns up to max fictitious clients of service s, by index.
func (be *benchEnv) inService(s, max int) []int {
	creators := be.org.Creators()
	var out []int
	for k := 0; k < be.clients && len(out) < max; k++ {
		c := creators[k%len(creators)]
		if c.ServiceID == be.org.Services[s].ID {
			out = append(out, k)
		}
	}
	return out
}

// misspell drops a letter from the middle of the longest word.
func misspell(name string) string {
	words := strings.Fields(name)
	i := 0
	for j, w := range words {
		if len([]rune(w)) > len([]rune(words[i])) {
			i = j
		}
	}
	r := []rune(words[i])
	if len(r) >= 5 {
		words[i] = string(r[:len(r)/2]) + string(r[len(r)/2+1:])
	}
	return strings.Join(words, " ")
}

// latencies runs op once per iteration, after a few unmeasured runs, and
// reports p50 and p95.
func latencies(b *testing.B, op func(i int)) {
	b.Helper()
	// Warm up first, as a running server is: connections open,
	// statements prepared.
	for i := range 10 {
		op(1000 + i)
	}
	var ds []time.Duration
	i := 0
	for b.Loop() {
		start := time.Now()
		op(i)
		ds = append(ds, time.Since(start))
		i++
	}
	slices.Sort(ds)
	ms := func(q float64) float64 {
		return float64(ds[min(len(ds)-1, int(q*float64(len(ds))))].Microseconds()) / 1000
	}
	b.ReportMetric(ms(0.50), "p50-ms")
	b.ReportMetric(ms(0.95), "p95-ms")
}

// BenchmarkSearch measures a search within one service (a tenth of the
// clients), by a manager who sees the whole service and by a caseworker
// who sees their own caseload, for the kinds of query people type.
func BenchmarkSearch(b *testing.B) {
	for _, e := range storetest.Engines {
		b.Run(string(e), func(b *testing.B) {
			be := seeded(b, e)
			known := be.inService(0, 200)
			people := make([]casework.ClientInput, len(known))
			for i, k := range known {
				people[i] = demo.FictitiousClient(benchSeed, k)
			}
			queries := []struct {
				name string
				q    func(p casework.ClientInput) casework.SearchQuery
			}{
				{"full-name", func(p casework.ClientInput) casework.SearchQuery {
					return casework.SearchQuery{Name: p.GivenName + " " + p.FamilyName}
				}},
				{"misspelt", func(p casework.ClientInput) casework.SearchQuery {
					return casework.SearchQuery{Name: misspell(p.GivenName + " " + p.FamilyName)}
				}},
				{"family-name", func(p casework.ClientInput) casework.SearchQuery {
					return casework.SearchQuery{Name: p.FamilyName}
				}},
				{"prefix", func(p casework.ClientInput) casework.SearchQuery {
					g, f := []rune(p.GivenName), []rune(p.FamilyName)
					return casework.SearchQuery{Name: string(g[:min(3, len(g))]) + " " + string(f[:min(3, len(f))])}
				}},
				{"date-of-birth", func(p casework.ClientInput) casework.SearchQuery {
					return casework.SearchQuery{DateOfBirth: p.DateOfBirth}
				}},
			}
			who := []struct {
				name  string
				actor access.Actor
			}{
				{"manager", be.org.Managers[0].Actor()},
			}
			for _, w := range who {
				for _, q := range queries {
					b.Run(w.name+"/"+q.name, func(b *testing.B) {
						ctx := context.Background()
						found := 0
						latencies(b, func(i int) {
							rs, err := be.app.Casework.Search(ctx, w.actor, access.Casework, q.q(people[i%len(people)]))
							if err != nil {
								b.Fatal(err)
							}
							if len(rs.Results) > 0 && i < 1000 { // not the warm-up's
								found++
							}
						})
						b.ReportMetric(float64(found)/float64(b.N), "found/op")
					})
				}
			}
			// A caseworker's search: their own caseload.
			b.Run("caseworker/full-name", func(b *testing.B) {
				ctx := context.Background()
				w := be.org.Workers[0][0].Actor()
				latencies(b, func(i int) {
					p := people[(i*20)%len(people)] // the first worker's clients
					if _, err := be.app.Casework.Search(ctx, w, access.Casework, casework.SearchQuery{Name: p.GivenName + " " + p.FamilyName}); err != nil {
						b.Fatal(err)
					}
				})
			})
		})
	}
}

// BenchmarkIntakeCheck measures "do we already know this person?" across
// the whole organisation.
func BenchmarkIntakeCheck(b *testing.B) {
	for _, e := range storetest.Engines {
		b.Run(string(e), func(b *testing.B) {
			be := seeded(b, e)
			ctx := context.Background()
			w := be.org.Workers[1][0].Actor()
			// A kept installation remembers the checks of earlier runs,
			// made at later times on the benchmark's clock.
			if err := be.app.DB.Tx(ctx, func(tx *store.Tx) error {
				_, err := tx.Exec(ctx, "DELETE FROM client_intake_checks")
				return err
			}); err != nil {
				b.Fatal(err)
			}
			matched := 0
			latencies(b, func(i int) {
				p := demo.FictitiousClient(benchSeed, (i*7919)%be.clients)
				be.clock.Advance(3 * time.Minute) // stay within the hourly limit
				a, err := be.app.Casework.IntakeCheck(ctx, w, casework.IntakeQuery{GivenName: p.GivenName, FamilyName: p.FamilyName, DateOfBirth: p.DateOfBirth})
				if err != nil {
					b.Fatal(err)
				}
				if a.PossibleMatch && i < 1000 { // not the warm-up's
					matched++
				}
			})
			b.ReportMetric(float64(matched)/float64(b.N), "matched/op")
		})
	}
}
