// Package app wires Caseward together: the stores, the gate and the domain,
// from one Config. The CLI and the server both start here, so a test can
// start the whole program.
package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/caseward/caseward/internal/auth/password"
	"github.com/caseward/caseward/internal/casework"
	"github.com/caseward/caseward/internal/gate"
	"github.com/caseward/caseward/internal/staff"
	"github.com/caseward/caseward/internal/store"
)

// Config is everything an installation is configured by. The CLI fills it
// from flags and CASEWARD_* environment variables.
type Config struct {
	DataDir     string // SQLite files, the root key (unless RootKeyFile)
	DatabaseURL string // postgres://… ; empty means SQLite under DataDir
	RootKeyFile string // default <DataDir>/root.key
	Addr        string // where serve listens

	// Hasher hashes staff passwords; nil means the strong default. Tests
	// pass a cheap one.
	Hasher *password.Hasher
}

// Location returns where the configured data lives.
func (c Config) Location() store.Location { return store.Location{Dir: c.DataDir, URL: c.DatabaseURL} }

// App is an opened installation.
type App struct {
	Config   Config
	Now      func() time.Time
	DB       *store.DB
	Staff    *staff.Store
	Gate     *gate.Gate
	Casework *casework.Casework
}

// Open opens (and on first use creates) the installation cfg describes.
// The gate comes first: it holds the key that seals staff's TOTP secrets.
func Open(ctx context.Context, cfg Config, now func() time.Time) (_ *App, err error) {
	if now == nil {
		now = time.Now
	}
	a := &App{Config: cfg, Now: now}
	defer func() {
		if err != nil {
			a.Close()
		}
	}()
	if a.DB, err = store.Open(ctx, cfg.Location(), "data"); err != nil {
		return nil, err
	}
	if a.Gate, err = gate.Open(ctx, a.DB, cfg.Location(), gate.Options{RootKeyFile: cfg.RootKeyFile, Now: now}); err != nil {
		return nil, fmt.Errorf("open gate: %w", err)
	}
	hasher := cfg.Hasher
	if hasher == nil {
		// Two at once: each holds 64 MiB and a core for ~0.1 s.
		hasher = password.NewHasher(2)
	}
	if a.Staff, err = staff.New(ctx, a.DB, staff.Options{Now: now, Hasher: hasher, SecretKey: a.Gate.StaffSecretKey()}); err != nil {
		return nil, fmt.Errorf("open staff: %w", err)
	}
	if a.Casework, err = casework.New(ctx, a.DB, a.Gate, now); err != nil {
		return nil, fmt.Errorf("open casework: %w", err)
	}
	return a, nil
}

// Close releases everything Open opened.
func (a *App) Close() error {
	var err error
	if a.Gate != nil {
		err = errors.Join(err, a.Gate.Close())
	}
	if a.DB != nil {
		err = errors.Join(err, a.DB.Close())
	}
	return err
}
