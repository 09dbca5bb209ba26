package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/caseward/caseward/internal/access"
	"github.com/caseward/caseward/internal/app"
	"github.com/caseward/caseward/internal/audit"
	"github.com/caseward/caseward/internal/casework"
	"github.com/caseward/caseward/internal/staff"
	"github.com/caseward/caseward/internal/store"
)

// withApp opens the installation for one command and closes it after.
func withApp(ctx context.Context, cfg app.Config, fn func(*app.App) error) error {
	a, err := app.Open(ctx, cfg, time.Now)
	if err != nil {
		return err
	}
	defer a.Close()
	return fn(a)
}

func serviceAddCommand() command {
	return command{name: "service add", summary: "add a service of the organisation (e.g. \"Counselling\")", flags: func(fs *flag.FlagSet, cfg *app.Config) func(context.Context, cmdIO) error {
		storeFlags(fs, cfg)
		name := fs.String("name", "", "the service's name (required)")
		shared := fs.Bool("shared-caseload", false, "every caseworker of the service sees all its clients, not only those assigned to them")
		return func(ctx context.Context, io cmdIO) error {
			if strings.TrimSpace(*name) == "" {
				fmt.Fprintln(io.stderr, "caseward service add: --name is required")
				return errUsage
			}
			return withApp(ctx, io.cfg, func(a *app.App) error {
				s, err := a.Staff.AddService(ctx, *name, *shared)
				if err != nil {
					return fmt.Errorf("add service: %w", err)
				}
				if err := recordAdmin(ctx, a, "service.add", s.ID); err != nil {
					return err
				}
				fmt.Fprintf(io.stdout, "Added service %q (id %s)\n", s.Name, s.ID)
				return nil
			})
		}
	}}
}

func userAddCommand() command {
	return command{name: "user add", summary: "add a member of staff; prints their second-factor enrolment once", flags: func(fs *flag.FlagSet, cfg *app.Config) func(context.Context, cmdIO) error {
		storeFlags(fs, cfg)
		email := fs.String("email", "", "e-mail address, used to sign in (required)")
		name := fs.String("name", "", "full name (required)")
		roleNames := make([]string, len(access.Roles))
		for i, r := range access.Roles {
			roleNames[i] = string(r)
		}
		role := fs.String("role", "", "role: "+strings.Join(roleNames, ", ")+" (required)")
		var services listFlag
		fs.Var(&services, "service", "a service the person belongs to, by name (repeatable)")
		stdinPassword := fs.Bool("password-stdin", false, "read the password from the first line of standard input (required)")
		return func(ctx context.Context, io cmdIO) error {
			if *email == "" || *name == "" || *role == "" || !*stdinPassword {
				fmt.Fprintln(io.stderr, "caseward user add: --email, --name, --role and --password-stdin are required")
				return errUsage
			}
			if !access.Role(*role).Valid() {
				fmt.Fprintf(io.stderr, "caseward user add: unknown role %q: --role must be one of %s\n", *role, strings.Join(roleNames, ", "))
				return errUsage
			}
			pw, err := bufio.NewReader(io.stdin).ReadString('\n')
			if err != nil && pw == "" {
				return errors.New("read password from standard input: nothing given")
			}
			pw = strings.TrimRight(pw, "\r\n")
			return withApp(ctx, io.cfg, func(a *app.App) error {
				u, enrol, err := a.Staff.AddUser(ctx, staff.NewUser{Email: *email, Name: *name, Role: access.Role(*role), Services: services, Password: pw})
				if err != nil {
					return fmt.Errorf("add user: %w", err)
				}
				if err := recordAdmin(ctx, a, "staff.add", u.ID); err != nil {
					return err
				}
				fmt.Fprintf(io.stdout, "Added %s (%s, id %s).\n", u.Email, u.Role, u.ID)
				fmt.Fprintln(io.stdout, "Second factor: add this to an authenticator app now; it is not shown again:")
				fmt.Fprintln(io.stdout, "  ", enrol.URI)
				fmt.Fprintln(io.stdout, "  secret:", enrol.Secret)
				return nil
			})
		}
	}}
}

func tokenCreateCommand() command {
	return command{name: "token create", summary: "print a bearer token for the JSON API, acting as a member of staff", flags: func(fs *flag.FlagSet, cfg *app.Config) func(context.Context, cmdIO) error {
		storeFlags(fs, cfg)
		email := fs.String("email", "", "the member of staff the token acts as (required)")
		expires := fs.Duration("expires", 720*time.Hour, "how long the token is valid")
		return func(ctx context.Context, io cmdIO) error {
			if *email == "" {
				fmt.Fprintln(io.stderr, "caseward token create: --email is required")
				return errUsage
			}
			if *expires <= 0 || *expires > 366*24*time.Hour {
				fmt.Fprintln(io.stderr, "caseward token create: --expires must be between 1s and 8784h (a year)")
				return errUsage
			}
			return withApp(ctx, io.cfg, func(a *app.App) error {
				tok, err := a.Staff.CreateToken(ctx, *email, *expires)
				if errors.Is(err, store.ErrNotFound) {
					return fmt.Errorf("create token: no member of staff has the email address %q", *email)
				}
				if err != nil {
					return fmt.Errorf("create token: %w", err)
				}
				u, err := a.Staff.UserByEmail(ctx, *email)
				if err != nil {
					return fmt.Errorf("create token: %w", err)
				}
				if err := recordAdmin(ctx, a, "staff.token-create", u.ID); err != nil {
					return err
				}
				fmt.Fprintln(io.stdout, tok)
				return nil
			})
		}
	}}
}

func auditVerifyCommand() command {
	return command{name: "audit verify", summary: "check that the audit log is intact (exit 0) or name the first bad entry", flags: func(fs *flag.FlagSet, cfg *app.Config) func(context.Context, cmdIO) error {
		storeFlags(fs, cfg)
		return func(ctx context.Context, io cmdIO) error {
			return withApp(ctx, io.cfg, func(a *app.App) error {
				start := time.Now()
				sum, err := a.Gate.Audit().Verify(ctx)
				if err != nil {
					var ve *audit.VerifyError
					if errors.As(err, &ve) && ve.Index < 0 {
						// The log as a whole (its signed head or a checkpoint): no one entry to name.
						fmt.Fprintf(io.stdout, "audit log NOT intact: %s\n", ve.Problem)
						return &exitError{code: 1, err: errors.New("audit log not intact")}
					}
					if errors.As(err, &ve) {
						fmt.Fprintf(io.stdout, "audit log NOT intact: entry %d: %s\n", ve.Index, ve.Problem)
						return &exitError{code: 1, err: fmt.Errorf("audit log not intact at entry %d", ve.Index)}
					}
					return fmt.Errorf("verify audit log: %w", err)
				}
				fmt.Fprintf(io.stdout, "audit log intact: %s (checked in %s)\n", sum, time.Since(start).Round(time.Millisecond))
				return nil
			})
		}
	}}
}

func keysRotateCommand() command {
	return command{name: "keys rotate", summary: "replace the root key; re-wraps client keys, re-encrypts no data", flags: func(fs *flag.FlagSet, cfg *app.Config) func(context.Context, cmdIO) error {
		storeFlags(fs, cfg)
		return func(ctx context.Context, io cmdIO) error {
			return withApp(ctx, io.cfg, func(a *app.App) error {
				if err := a.Gate.RotateRootKey(ctx); err != nil {
					return fmt.Errorf("rotate root key: %w", err)
				}
				if err := recordAdmin(ctx, a, "keys.rotate"); err != nil {
					return err
				}
				fmt.Fprintln(io.stdout, "Root key rotated. Back up the new root key file now, keep it apart from backups of the data, and copy it to every other instance.")
				return nil
			})
		}
	}}
}

func searchReindexCommand() command {
	return command{name: "search reindex", summary: "rebuild every client's search index from their sealed record", flags: func(fs *flag.FlagSet, cfg *app.Config) func(context.Context, cmdIO) error {
		storeFlags(fs, cfg)
		batch := fs.Int("batch", casework.ReindexBatch, "clients opened and rewritten in each transaction (1 to 1024)")
		return func(ctx context.Context, io cmdIO) error {
			if *batch < 1 || *batch > 1024 {
				fmt.Fprintln(io.stderr, "caseward search reindex: --batch must be between 1 and 1024")
				return errUsage
			}
			return withApp(ctx, io.cfg, func(a *app.App) error {
				start := time.Now()
				// The command line has no signed-in user: the installation
				// opens each client itself, for maintenance, and every
				// opening is audited under the actor "cli".
				system := access.Actor{UserID: "cli", Role: access.System}
				last := time.Now()
				res, err := a.Casework.Reindex(ctx, system, *batch, func(r casework.ReindexResult) {
					if time.Since(last) >= 2*time.Second {
						last = time.Now()
						fmt.Fprintf(io.stderr, "  %d clients (%s)\n", r.Done(), time.Since(start).Round(time.Second))
					}
				})
				if err != nil {
					return fmt.Errorf("reindex: %w", err)
				}
				if err := recordAdmin(ctx, a, "search.reindex"); err != nil {
					return err
				}
				fmt.Fprintf(io.stdout, "Search index rebuilt for %s in %s", nClients(res.Indexed), time.Since(start).Round(time.Millisecond))
				if res.Erased > 0 {
					fmt.Fprintf(io.stdout, "; %s erased at their request passed over", nClients(res.Erased))
				}
				fmt.Fprintln(io.stdout, ".")
				if res.Skipped > 0 {
					return fmt.Errorf("reindex: %s could not be opened", nClients(res.Skipped))
				}
				return nil
			})
		}
	}}
}

// nClients says "1 client", "2 clients".
func nClients(n int) string {
	if n == 1 {
		return "1 client"
	}
	return fmt.Sprintf("%d clients", n)
}

// recordAdmin writes what an administrator did at the command line to the
// audit log, with ids only. The command line has no signed-in user: the
// actor is "cli", run by whoever can read the data directory.
func recordAdmin(ctx context.Context, a *app.App, action string, ids ...string) error {
	if _, err := a.Gate.Audit().Record(ctx, audit.Entry{Actor: "cli", Action: action, RecordIDs: ids, Allowed: true}); err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	return nil
}
