package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"runtime/pprof"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/caseward/caseward/internal/access"
	"github.com/caseward/caseward/internal/app"
	"github.com/caseward/caseward/internal/casework"
	"github.com/caseward/caseward/internal/demo"
	"github.com/caseward/caseward/internal/staff"
)

func benchCommand() command {
	return command{name: "bench", summary: "measure the everyday operations on a data directory filled by caseward demo", flags: func(fs *flag.FlagSet, cfg *app.Config) func(context.Context, cmdIO) error {
		storeFlags(fs, cfg)
		runs := fs.Int("runs", 200, "how many times each operation is measured")
		clients := fs.Int("clients", 0, "the --clients the data directory was filled with (default: counted)")
		seed := fs.Uint64("seed", 1, "the --seed the data directory was filled with")
		cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the measured operations to this file (for go tool pprof)")
		return func(ctx context.Context, io cmdIO) error {
			if *runs < 10 {
				fmt.Fprintln(io.stderr, "caseward bench: --runs must be at least 10")
				return errUsage
			}
			return withApp(ctx, io.cfg, func(a *app.App) error {
				if *cpuProfile != "" {
					f, err := os.Create(*cpuProfile)
					if err != nil {
						return err
					}
					defer f.Close()
					if err := pprof.StartCPUProfile(f); err != nil {
						return err
					}
					defer pprof.StopCPUProfile()
				}
				return bench(ctx, a, io.stdout, *runs, *clients, *seed)
			})
		}
	}}
}

// benchOrg finds the demo organisation's first service, its manager and
// its caseworkers, and the number of caseworkers in all.
func benchOrg(ctx context.Context, a *app.App) (svc staff.Service, manager staff.User, workers []staff.User, everyone []staff.User, err error) {
	svc, err = a.Staff.ServiceByName(ctx, "Demo service 1")
	if err != nil {
		return svc, manager, nil, nil, errors.New("no demo organisation here: fill the data directory with caseward demo first")
	}
	users, err := a.Staff.Users(ctx)
	if err != nil {
		return svc, manager, nil, nil, err
	}
	for _, u := range users {
		switch {
		case u.Role == access.Caseworker && strings.HasPrefix(u.Email, "demoservice-"):
			everyone = append(everyone, u)
			if slices.Contains(u.Services, svc.ID) {
				workers = append(workers, u)
			}
		case u.Role == access.Manager && slices.Contains(u.Services, svc.ID) && manager.ID == "":
			manager = u
		}
	}
	if manager.ID == "" || len(workers) == 0 {
		return svc, manager, nil, nil, errors.New("the demo organisation has no manager or caseworkers in its first service")
	}
	return svc, manager, workers, everyone, nil
}

type timings []time.Duration

func (t timings) pct(p float64) time.Duration {
	s := slices.Clone(t)
	slices.Sort(s)
	return s[min(len(s)-1, int(float64(len(s))*p))]
}

func bench(ctx context.Context, a *app.App, out io.Writer, runs, population int, seed uint64) error {
	svc, manager, workers, everyone, err := benchOrg(ctx, a)
	if err != nil {
		return err
	}
	if population == 0 {
		if err := a.DB.QueryRow(ctx, "SELECT COUNT(*) FROM clients").Scan(&population); err != nil {
			return err
		}
	}
	rng := rand.New(rand.NewPCG(seed, 42))
	// A client of the first service: demo.AddOrg lists its caseworkers
	// first, and client k was recorded by caseworker k mod allWorkers.
	inService := func() casework.ClientInput {
		for {
			k := rng.IntN(population)
			if k%len(everyone) < len(workers) {
				return demo.FictitiousClient(seed, k)
			}
		}
	}
	measure := func(name string, op func(i int) error) (timings, error) {
		t := make(timings, 0, runs)
		for i := range runs {
			start := time.Now()
			if err := op(i); err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			t = append(t, time.Since(start))
		}
		return t, nil
	}
	type row struct {
		name string
		t    timings
	}
	var rows []row

	// Search within a service, by a family name, as its manager.
	t, err := measure("search", func(int) error {
		_, err := a.Casework.Search(ctx, manager.Actor(), access.Casework, casework.SearchQuery{Name: inService().FamilyName})
		return err
	})
	if err != nil {
		return err
	}
	rows = append(rows, row{"search a service by family name (manager)", t})

	// The same with a one-letter typo in the given name.
	t, err = measure("search with a typo", func(int) error {
		in := inService()
		name := []rune(in.GivenName)
		if len(name) > 3 {
			name[2] = 'x'
		}
		_, err := a.Casework.Search(ctx, manager.Actor(), access.Casework, casework.SearchQuery{Name: string(name) + " " + in.FamilyName})
		return err
	})
	if err != nil {
		return err
	}
	rows = append(rows, row{"search with a misspelt given name", t})

	// The organisation-wide intake check, asked by each caseworker in turn:
	// each may make only casework.IntakeChecksPerHour an hour.
	if runs > len(everyone)*casework.IntakeChecksPerHour {
		return fmt.Errorf("--runs above %d would exceed the intake checks the demo's caseworkers may make in an hour", len(everyone)*casework.IntakeChecksPerHour)
	}
	asker := 0
	t, err = measure("intake check", func(i int) error {
		in := inService()
		q := casework.IntakeQuery{GivenName: in.GivenName, FamilyName: in.FamilyName, DateOfBirth: in.DateOfBirth}
		for tries := 0; ; tries++ {
			_, err := a.Casework.IntakeCheck(ctx, everyone[asker%len(everyone)].Actor(), q)
			asker++
			if !errors.Is(err, casework.ErrRateLimited) || tries == len(everyone) {
				return err
			}
		}
	})
	if err != nil {
		return err
	}
	rows = append(rows, row{"intake duplicate check (organisation-wide)", t})

	// A client with 50 notes: made once, then opened and written to.
	w := workers[0]
	in := demo.FictitiousClient(seed+1, 0)
	in.ServiceID = svc.ID
	id, err := a.Casework.CreateClient(ctx, w.Actor(), in)
	if err != nil {
		return err
	}
	note := func(i int) casework.NoteInput {
		return casework.NoteInput{Service: svc.ID, NoteText: casework.NoteText{
			Kind: string(casework.ContactNote), Method: string(casework.MethodPhone),
			ContactAt: time.Now().Add(-time.Duration(i+1) * time.Hour).UTC().Format(time.RFC3339),
			Discussed: demo.NoteText(i),
		}}
	}
	for i := range 50 {
		if _, err := a.Casework.AddNote(ctx, w.Actor(), id, note(i)); err != nil {
			return err
		}
	}
	t, err = measure("open a client with 50 notes", func(int) error {
		if _, err := a.Casework.Client(ctx, w.Actor(), id, access.Casework); err != nil {
			return err
		}
		_, err := a.Casework.Notes(ctx, w.Actor(), id, access.Casework, 1)
		return err
	})
	if err != nil {
		return err
	}
	rows = append(rows, row{"open a client's record and notes (50 notes)", t})

	t, err = measure("add a note", func(i int) error {
		_, err := a.Casework.AddNote(ctx, w.Actor(), id, note(50+i))
		return err
	})
	if err != nil {
		return err
	}
	rows = append(rows, row{"add a note", t})

	engine := "SQLite"
	if a.Config.DatabaseURL != "" {
		engine = "PostgreSQL"
	}
	var services, inSearched int
	if err := a.DB.QueryRow(ctx, "SELECT COUNT(*) FROM services").Scan(&services); err != nil {
		return err
	}
	if err := a.DB.QueryRow(ctx, "SELECT COUNT(DISTINCT client_id) FROM gate_links WHERE service_id = ?", svc.ID).Scan(&inSearched); err != nil {
		return err
	}
	fmt.Fprintf(out, "caseward bench: %s, %d clients in %d services (%d in the service searched), %d runs each\n\n",
		engine, population, services, inSearched, runs)
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "operation\tp50\tp95\tp99\t")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t\n", r.name, ms(r.t.pct(0.50)), ms(r.t.pct(0.95)), ms(r.t.pct(0.99)))
	}
	return tw.Flush()
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d.Microseconds())/1000) }
