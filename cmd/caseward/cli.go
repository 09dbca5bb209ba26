package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"runtime/debug"
	"sort"
	"strings"

	"github.com/caseward/caseward/internal/app"
)

// errUsage means the usage has already been printed.
var errUsage = errors.New("usage")

// exitError carries a specific exit status.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func exitCode(err error) int {
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	if errors.Is(err, errUsage) {
		return 2
	}
	return 1
}

// command is one subcommand: its flags, and what it does.
type command struct {
	name    string // "user add"
	summary string
	flags   func(fs *flag.FlagSet, cfg *app.Config) func(ctx context.Context, io cmdIO) error
}

type cmdIO struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	cfg            app.Config
}

func commands() []command {
	return []command{
		serveCommand(),
		serviceAddCommand(),
		userAddCommand(),
		tokenCreateCommand(),
		auditVerifyCommand(),
		keysRotateCommand(),
		searchReindexCommand(),
		demoCommand(),
		benchCommand(),
		versionCommand(),
	}
}

// run is the whole program, so that tests can run it like a user would.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	cmds := commands()
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		printUsage(stderr, cmds)
		if len(args) == 0 {
			return errUsage
		}
		return nil
	}
	var cmd *command
	rest := args
	for i := range cmds {
		words := strings.Fields(cmds[i].name)
		if len(args) >= len(words) && strings.Join(args[:len(words)], " ") == cmds[i].name {
			cmd, rest = &cmds[i], args[len(words):]
			break
		}
	}
	if cmd == nil {
		fmt.Fprintf(stderr, "caseward: unknown command %q\n\n", strings.Join(args, " "))
		printUsage(stderr, cmds)
		return errUsage
	}

	fs := flag.NewFlagSet("caseward "+cmd.name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg app.Config
	action := cmd.flags(fs, &cfg)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: caseward %s [flags]\n\n%s\n\nFlags (each also settable as CASEWARD_<FLAG>, e.g. --root-key-file as CASEWARD_ROOT_KEY_FILE; a flag given here wins):\n", cmd.name, cmd.summary)
		fs.PrintDefaults()
	}
	if err := applyEnv(fs, getenv, cmdLineFlags(cmd, rest)); err != nil {
		return err
	}
	if err := fs.Parse(rest); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "caseward %s: unexpected argument %q\n", cmd.name, fs.Arg(0))
		fs.Usage()
		return errUsage
	}
	if cfg.RootKeyFile == "" {
		cfg.RootKeyFile = getenv("CASEWARD_ROOT_KEY_FILE")
	}
	return action(ctx, cmdIO{stdin: stdin, stdout: stdout, stderr: stderr, cfg: cfg})
}

// envName is the environment variable that sets a flag.
func envName(flagName string) string {
	return "CASEWARD_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// cmdLineFlags returns the names of the flags set in args, parsed on a
// throwaway flag set (the real parse reports any error).
func cmdLineFlags(cmd *command, args []string) map[string]bool {
	fs := flag.NewFlagSet("caseward "+cmd.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	var cfg app.Config
	cmd.flags(fs, &cfg)
	_ = fs.Parse(args)
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	return set
}

// applyEnv sets each flag from its CASEWARD_* variable, except those given
// on the command line (onCmdLine), which win. Skipping them, rather than
// letting the command line overwrite them, matters for repeatable flags,
// which would otherwise add to the environment's list instead of replacing it.
func applyEnv(fs *flag.FlagSet, getenv func(string) string, onCmdLine map[string]bool) error {
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		if err != nil || onCmdLine[f.Name] {
			return
		}
		v := getenv(envName(f.Name))
		if v == "" {
			return
		}
		// A repeatable flag takes a comma-separated list from the environment.
		if _, ok := f.Value.(*listFlag); ok {
			for _, item := range strings.Split(v, ",") {
				if e := f.Value.Set(strings.TrimSpace(item)); e != nil {
					err = fmt.Errorf("%s: %w", envName(f.Name), e)
				}
			}
			return
		}
		if e := f.Value.Set(v); e != nil {
			err = fmt.Errorf("%s: %w", envName(f.Name), e)
		}
	})
	return err
}

// storeFlags adds the flags every command that opens the data shares.
func storeFlags(fs *flag.FlagSet, cfg *app.Config) {
	fs.StringVar(&cfg.DataDir, "data", "./caseward-data", "data directory: SQLite files and the root key")
	fs.StringVar(&cfg.DatabaseURL, "database", "", "PostgreSQL URL (postgres://…); empty for the embedded SQLite database")
	fs.StringVar(&cfg.RootKeyFile, "root-key-file", "", "root key file (default <data>/root.key)")
}

// listFlag is a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

func printUsage(w io.Writer, cmds []command) {
	fmt.Fprintln(w, "Caseward: case management for charities whose clients' safety depends on it.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Usage: caseward <command> [flags]   (caseward <command> --help for its flags)")
	fmt.Fprintln(w)
	sorted := append([]command(nil), cmds...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].name < sorted[j].name })
	for _, c := range sorted {
		fmt.Fprintf(w, "  %-15s %s\n", c.name, c.summary)
	}
}

// version is set by the linker for releases; otherwise the build info says.
var version = ""

func versionString() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		rev, dirty := "", false
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
		if rev != "" {
			if len(rev) > 12 {
				rev = rev[:12]
			}
			if dirty {
				rev += "-dirty"
			}
			return "dev-" + rev
		}
		if bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			return bi.Main.Version
		}
	}
	return "dev"
}

func versionCommand() command {
	return command{name: "version", summary: "print the version", flags: func(fs *flag.FlagSet, cfg *app.Config) func(context.Context, cmdIO) error {
		return func(ctx context.Context, io cmdIO) error {
			fmt.Fprintln(io.stdout, "caseward", versionString())
			return nil
		}
	}}
}
