package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/caseward/caseward/internal/access"
	"github.com/caseward/caseward/internal/app"
	"github.com/caseward/caseward/internal/casework"
	"github.com/caseward/caseward/internal/demo"
	"github.com/caseward/caseward/internal/web"
)

func serveCommand() command {
	return command{name: "serve", summary: "run the web server", flags: func(fs *flag.FlagSet, cfg *app.Config) func(context.Context, cmdIO) error {
		storeFlags(fs, cfg)
		fs.StringVar(&cfg.Addr, "addr", "127.0.0.1:8080", "address to listen on (host:port)")
		demoMode := fs.Bool("demo", false, "create (once) and use a clearly marked demo organisation with fictitious services, staff and clients")
		tlsCert := fs.String("tls-cert", "", "TLS certificate file (PEM); serve HTTPS when set with --tls-key")
		tlsKey := fs.String("tls-key", "", "TLS private key file (PEM)")
		return func(ctx context.Context, io cmdIO) error {
			if (*tlsCert == "") != (*tlsKey == "") {
				fmt.Fprintln(io.stderr, "caseward serve: give both --tls-cert and --tls-key, or neither")
				return errUsage
			}
			logger := slog.New(slog.NewJSONHandler(io.stderr, nil))
			a, err := app.Open(ctx, io.cfg, time.Now)
			if err != nil {
				return err
			}
			defer a.Close()
			// An upgrade that changed what the search index holds is
			// finished here, before anyone can search or check intake.
			if err := reindexPending(ctx, a, logger); err != nil {
				return err
			}

			ln, err := net.Listen("tcp", io.cfg.Addr)
			if err != nil {
				return fmt.Errorf("listen on %s: %w", io.cfg.Addr, err)
			}
			scheme := "http"
			if *tlsCert != "" {
				scheme = "https"
			}
			base := scheme + "://" + ln.Addr().String()

			isDemo := *demoMode
			if *demoMode {
				creds, err := demo.Ensure(ctx, a)
				if err != nil {
					ln.Close()
					return fmt.Errorf("demo organisation: %w", err)
				}
				fmt.Fprintln(io.stdout, "DEMO organisation: every service, person and client in it is fictitious.")
				fmt.Fprint(io.stdout, creds.Describe())
			} else if need, err := a.Staff.NeedsSetup(ctx); err != nil {
				ln.Close()
				return err
			} else if need {
				token, err := a.Staff.CreateSetupLink(ctx, 24*time.Hour)
				if err != nil {
					ln.Close()
					return err
				}
				fmt.Fprintln(io.stdout, "This Caseward has no accounts yet. Create the first administrator, within 24 hours, at:")
				fmt.Fprintf(io.stdout, "  %s/setup/%s\n", base, token)
			}

			handler, err := web.New(a, web.Options{
				Logger:        logger,
				SecureCookies: *tlsCert != "" || !web.IsLoopback(ln.Addr().String()),
				HSTS:          *tlsCert != "",
				Demo:          isDemo,
			})
			if err != nil {
				ln.Close()
				return err
			}
			srv := &http.Server{
				Handler:           handler,
				ReadHeaderTimeout: 10 * time.Second,
				ReadTimeout:       60 * time.Second,
				WriteTimeout:      60 * time.Second,
				IdleTimeout:       120 * time.Second,
				MaxHeaderBytes:    64 << 10,
				ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
			}
			errc := make(chan error, 1)
			go func() {
				if *tlsCert != "" {
					errc <- srv.ServeTLS(ln, *tlsCert, *tlsKey)
				} else {
					errc <- srv.Serve(ln)
				}
			}()
			go purgeExpired(ctx, a, logger)
			fmt.Fprintf(io.stdout, "Caseward is running at %s/ (Ctrl-C to stop)\n", base)
			select {
			case err := <-errc:
				if !errors.Is(err, http.ErrServerClosed) {
					return err
				}
				return nil
			case <-ctx.Done():
			}
			shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			return srv.Shutdown(shutdownCtx)
		}
	}}
}

// purgeExpired removes ended sessions, expired tokens and set-up links, and
// forgotten sign-in failures, every ten minutes. It is idempotent, so
// several instances sharing PostgreSQL may all run it.
// reindexPending rebuilds the search index when a migration has asked for
// it, logging progress by counts only.
func reindexPending(ctx context.Context, a *app.App, logger *slog.Logger) error {
	start := time.Now()
	last := start
	system := access.Actor{UserID: "serve", Role: access.System}
	res, rebuilt, err := a.Casework.ReindexPending(ctx, system, func(r casework.ReindexResult) {
		if time.Since(last) >= 10*time.Second {
			last = time.Now()
			logger.Info("rebuilding the search index after an upgrade", "clients", r.Done())
		}
	})
	if err != nil {
		return fmt.Errorf("rebuild the search index: %w", err)
	}
	if rebuilt {
		logger.Info("search index rebuilt after an upgrade", "clients", res.Indexed, "erased", res.Erased, "took", time.Since(start).Round(time.Millisecond).String())
	}
	return nil
}

func purgeExpired(ctx context.Context, a *app.App, logger *slog.Logger) {
	t := time.NewTicker(10 * time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := a.Staff.PurgeExpired(ctx); err != nil && ctx.Err() == nil {
				logger.Error("purge expired sessions", "error", err)
			}
		}
	}
}
