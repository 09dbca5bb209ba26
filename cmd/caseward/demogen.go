package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/caseward/caseward/internal/app"
	"github.com/caseward/caseward/internal/casework"
	"github.com/caseward/caseward/internal/demo"
)

// demoNoteTexts are what fictitious notes say: plain, and about no one.
var demoNoteTexts = []string{
	"Talked through the week and what had helped. Agreed to look at the housing letter together next time.",
	"Checked in by phone. Feeling steadier; sleep still poor. Gave the number for the out-of-hours line again.",
	"Went through the benefits form line by line. Two questions to ask the advice service about.",
	"Session focused on what safety looks like at home. Updated the safety plan; nothing new to report.",
	"Short contact: rearranged next appointment to fit around the school run.",
}

func demoCommand() command {
	return command{name: "demo", summary: "fill an empty data directory with a large fictitious organisation, for trying Caseward and for benchmarks", flags: func(fs *flag.FlagSet, cfg *app.Config) func(context.Context, cmdIO) error {
		storeFlags(fs, cfg)
		clients := fs.Int("clients", 1000, "how many fictitious clients to record")
		notes := fs.Int("notes-per-client", 10, "contact notes to write for each client")
		services := fs.Int("services", 4, "services in the organisation")
		workers := fs.Int("workers", 10, "caseworkers in each service")
		parallel := fs.Int("parallel", 4, "clients recorded at once")
		seed := fs.Uint64("seed", 1, "seed of the fictitious population (the same seed gives the same people)")
		return func(ctx context.Context, io cmdIO) error {
			if *clients < 0 || *notes < 0 || *services < 1 || *workers < 1 || *parallel < 1 {
				fmt.Fprintln(io.stderr, "caseward demo: --clients and --notes-per-client must be 0 or more; --services, --workers and --parallel at least 1")
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
				var (
					next, done, noteCount atomic.Int64
					once                  sync.Once
					firstErr              error
					wg                    sync.WaitGroup
				)
				ctx, cancel := context.WithCancel(ctx)
				defer cancel()
				fail := func(err error) { once.Do(func() { firstErr = err; cancel() }) }
				for range *parallel {
					wg.Go(func() {
						for {
							i := int(next.Add(1) - 1)
							if i >= *clients || ctx.Err() != nil {
								return
							}
							c := creators[i%len(creators)]
							in := demo.FictitiousClient(*seed, i)
							in.ServiceID = c.ServiceID
							id, err := a.Casework.CreateClient(ctx, c.Actor, in)
							if err != nil {
								fail(fmt.Errorf("client %d: %w", i, err))
								return
							}
							for n := range *notes {
								at := start.Add(-time.Duration(*notes-n) * 72 * time.Hour).UTC().Format(time.RFC3339)
								_, err := a.Casework.AddNote(ctx, c.Actor, id, casework.NoteInput{Service: c.ServiceID, NoteText: casework.NoteText{
									Kind: string(casework.ContactNote), Method: string(casework.MethodFaceToFace), ContactAt: at,
									Discussed: demoNoteTexts[(i+n)%len(demoNoteTexts)],
								}})
								if err != nil {
									fail(fmt.Errorf("note for client %d: %w", i, err))
									return
								}
								noteCount.Add(1)
							}
							if d := done.Add(1); d%1000 == 0 {
								fmt.Fprintf(io.stderr, "  %d clients, %d notes (%s)\n", d, noteCount.Load(), time.Since(start).Round(time.Second))
							}
						}
					})
				}
				wg.Wait()
				if firstErr != nil {
					return firstErr
				}
				elapsed := time.Since(start)
				fmt.Fprintf(io.stdout, "DEMO organisation (fictitious): %d services, %d caseworkers, %d clients, %d notes in %s.\n",
					len(org.Services), len(creators), done.Load(), noteCount.Load(), elapsed.Round(time.Millisecond))
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
