package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"time"

	"github.com/caseward/caseward/internal/app"
	"github.com/caseward/caseward/internal/demo"
)

func demoCommand() command {
	return command{name: "demo", summary: "fill an empty data directory with a large fictitious organisation, for trying Caseward and for benchmarks", flags: func(fs *flag.FlagSet, cfg *app.Config) func(context.Context, cmdIO) error {
		storeFlags(fs, cfg)
		clients := fs.Int("clients", 1000, "how many fictitious clients to record")
		notes := fs.Int("notes-per-client", 10, "contact notes to write for each client")
		appts := fs.Int("appointments-per-client", 3, "appointments for each client: about one in three still to come, the others past (attended, missed or cancelled)")
		plans := fs.Int("plan-percent", 30, "percentage of clients with a support plan")
		comments := fs.Int("comment-percent", 5, "percentage of clients with a comment, concern or complaint")
		services := fs.Int("services", 4, "services in the organisation")
		workers := fs.Int("workers", 10, "caseworkers in each service")
		parallel := fs.Int("parallel", 4, "clients recorded at once")
		seed := fs.Uint64("seed", 1, "seed of the fictitious population (the same seed gives the same people)")
		return func(ctx context.Context, io cmdIO) error {
			if *clients < 0 || *notes < 0 || *appts < 0 || *services < 1 || *workers < 1 || *parallel < 1 {
				fmt.Fprintln(io.stderr, "caseward demo: --clients, --notes-per-client and --appointments-per-client must be 0 or more; --services, --workers and --parallel at least 1")
				return errUsage
			}
			if *plans < 0 || *plans > 100 || *comments < 0 || *comments > 100 {
				fmt.Fprintln(io.stderr, "caseward demo: --plan-percent and --comment-percent must be from 0 to 100")
				return errUsage
			}
			return withApp(ctx, io.cfg, func(a *app.App) error {
				empty, err := a.Staff.NeedsSetup(ctx)
				if err != nil {
					return err
				}
				if !empty {
					return errors.New("this data directory already holds accounts: the demo organisation is made only in an empty one (choose another --data)")
				}
				start := time.Now()
				org, err := demo.AddOrg(ctx, a, "Demo service", *services, *workers)
				if err != nil {
					return fmt.Errorf("demo organisation: %w", err)
				}
				creators := org.Creators()
				n, err := demo.AddClients(ctx, a.Casework, creators, *clients, demo.AddClientsOptions{
					Seed: *seed, Parallel: *parallel, Now: a.Now,
					Work: demo.WorkOptions{Notes: *notes, Appointments: *appts, PlanPercent: *plans, CommentPercent: *comments},
					Progress: func(d int) {
						fmt.Fprintf(io.stderr, "  %d clients (%s)\n", d, time.Since(start).Round(time.Second))
					},
				})
				if err != nil {
					return err
				}
				elapsed := time.Since(start)
				fmt.Fprintf(io.stdout, "DEMO organisation (fictitious): %d services, %d caseworkers, %d clients, %d notes, %d appointments, %d support plans, %d comments in %s.\n",
					len(org.Services), len(creators), *clients, n.Notes, n.Appointments, n.Plans, n.Comments, elapsed.Round(time.Millisecond))
				// Print one worker's and one manager's sign-in, with a fresh
				// second factor, so the data can be looked at.
				for _, u := range []struct{ role, id, email string }{
					{"caseworker", org.Workers[0][0].ID, org.Workers[0][0].Email},
					{"manager", org.Managers[0].ID, org.Managers[0].Email},
				} {
					enrol, err := a.Staff.ResetSecondFactor(ctx, u.id)
					if err != nil {
						return err
					}
					fmt.Fprintf(io.stdout, "  %-10s %s  password %q  TOTP secret %s\n", u.role, u.email, demo.OrgPassword(u.email), enrol.Secret)
				}
				fmt.Fprintln(io.stdout, "Every account's password is \"demo <e-mail> walks the caseward path\".")
				return nil
			})
		}
	}}
}
