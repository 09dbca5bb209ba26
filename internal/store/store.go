// Package store is Caseward's SQL layer: one type over the embedded SQLite
// database and PostgreSQL, with embedded migrations run under a lock.
//
// Queries are written once with '?' placeholders; on PostgreSQL they are
// rewritten to $1, $2, … . Where the two dialects differ, the difference lives
// here and nowhere else.
package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base32"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite" // pure-Go SQLite driver, registered as "sqlite"
)

// Engine names the database engine behind a DB.
type Engine string

// The engines Caseward runs on.
const (
	SQLite   Engine = "sqlite"
	Postgres Engine = "postgres"
)

// ErrNotFound is returned when a looked-up row does not exist.
var ErrNotFound = errors.New("not found")

// ErrUnavailable wraps failures to reach the database (locked, gone, refused),
// so callers can answer "try again" without showing the cause.
var ErrUnavailable = errors.New("database unavailable")

// Location says where a Caseward installation keeps its data: a directory of
// SQLite files, or a PostgreSQL database when URL is set.
type Location struct {
	Dir string // data directory; always used for files such as the root key
	URL string // postgres://… ; empty means SQLite files under Dir
}

// Engine reports which engine the location uses.
func (l Location) Engine() Engine {
	if l.URL != "" {
		return Postgres
	}
	return SQLite
}

// DB is one logical database: a SQLite file, or a schema in PostgreSQL.
// On SQLite it keeps one writer connection and a pool of read-only readers.
type DB struct {
	engine Engine
	name   string
	write  *sql.DB
	read   *sql.DB

	// On SQLite, a connection of its own that moves the WAL's committed
	// pages into the database file in the background (checkpointLoop).
	checkpoint     *sql.DB
	stopCheckpoint context.CancelFunc
	checkpointDone chan struct{}

	// stmts caches prepared statements on SQLite, where parsing a statement
	// costs more than running it (PostgreSQL's driver caches its own).
	stmts     sync.Map // stmtKey → *sql.Stmt
	stmtCount atomic.Int32
}

type stmtKey struct {
	pool  *sql.DB
	query string
}

// maxCachedStmts bounds the cache; Caseward's queries are constant strings,
// so the bound is only a guard against a query built at run time.
const maxCachedStmts = 500

// prepared returns a cached prepared statement for query on pool, or nil
// when statements are not cached (PostgreSQL, or the cache is full).
func (db *DB) prepared(ctx context.Context, pool *sql.DB, query string) (*sql.Stmt, error) {
	if db.engine != SQLite {
		return nil, nil
	}
	key := stmtKey{pool, query}
	if s, ok := db.stmts.Load(key); ok {
		return s.(*sql.Stmt), nil
	}
	if db.stmtCount.Load() >= maxCachedStmts {
		return nil, nil
	}
	s, err := pool.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if prev, loaded := db.stmts.LoadOrStore(key, s); loaded {
		s.Close()
		return prev.(*sql.Stmt), nil
	}
	db.stmtCount.Add(1)
	return s, nil
}

// Open opens (creating if needed) the part of the installation called name:
// the SQLite file <Dir>/<name>.db, or the PostgreSQL schema caseward_<name>.
// Keeping key material in a part of its own means a copy of the data alone
// reveals nothing.
func Open(ctx context.Context, loc Location, name string) (*DB, error) {
	var (
		db  *DB
		err error
	)
	switch loc.Engine() {
	case Postgres:
		db, err = openPostgres(ctx, loc.URL, "caseward_"+name)
	default:
		db, err = openSQLite(ctx, filepath.Join(loc.Dir, name+".db"))
	}
	if err != nil {
		return nil, fmt.Errorf("open %s store: %w", name, err)
	}
	db.name = name
	return db, nil
}

func openSQLite(ctx context.Context, path string) (*DB, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	// WAL lets readers run beside the one writer; synchronous=NORMAL in WAL
	// mode never corrupts the file and loses at most the last commits on a
	// power cut (not on a crash of the process).
	pragmas := "_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(1)"
	// The writer checkpoints the WAL itself only as a backstop, when the
	// background checkpointer has fallen far behind: a checkpoint writes
	// and syncs the database file, and done by the commit that crosses
	// SQLite's default of 1,000 pages it made every few hundredth request
	// wait (search's p95 at 100,000 clients was 22.7 ms with it on the
	// request path, 5.2 ms without).
	w, err := sql.Open("sqlite", "file:"+path+"?"+pragmas+"&_txlock=immediate&_pragma=wal_autocheckpoint("+strconv.Itoa(walBackstopPages)+")")
	if err != nil {
		return nil, err
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return nil, unavailable(err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		w.Close()
		return nil, err
	}
	r, err := sql.Open("sqlite", "file:"+path+"?"+pragmas+"&_pragma=query_only(1)")
	if err != nil {
		w.Close()
		return nil, err
	}
	n := max(4, runtime.GOMAXPROCS(0))
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	c, err := sql.Open("sqlite", "file:"+path+"?"+pragmas)
	if err != nil {
		w.Close()
		r.Close()
		return nil, err
	}
	c.SetMaxOpenConns(1)
	c.SetMaxIdleConns(1)
	db := &DB{engine: SQLite, write: w, read: r, checkpoint: c, checkpointDone: make(chan struct{})}
	var loopCtx context.Context
	loopCtx, db.stopCheckpoint = context.WithCancel(context.Background())
	go db.checkpointLoop(loopCtx, checkpointEvery)
	return db, nil
}

// How the WAL is moved into the database file on SQLite (openSQLite).
const walBackstopPages = 16384 // 64 MiB of 4 KiB pages

// checkpointEvery is how often the background checkpointer runs; a
// variable so that a test can hurry it.
var checkpointEvery = time.Second

// checkpointLoop checkpoints the WAL now and then, off the request path.
// PASSIVE copies what it can without waiting for readers or the writer;
// what it cannot copy now it copies next time, and the writer's backstop
// catches up if it never can, so a failed round is not an error.
func (db *DB) checkpointLoop(ctx context.Context, every time.Duration) {
	defer close(db.checkpointDone)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		_, _ = db.checkpoint.ExecContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)")
	}
}

func openPostgres(ctx context.Context, url, schema string) (*DB, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("parse database URL: %w", err)
	}
	cfg.RuntimeParams["search_path"] = schema
	cfg.RuntimeParams["application_name"] = "caseward"
	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(16)
	db.SetMaxIdleConns(16)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, unavailable(err)
	}
	if _, err := db.ExecContext(ctx, "CREATE SCHEMA IF NOT EXISTS "+pgx.Identifier{schema}.Sanitize()); err != nil {
		// Another instance may be creating it at the same moment.
		var exists bool
		if qerr := db.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)", schema).Scan(&exists); qerr != nil || !exists {
			db.Close()
			return nil, fmt.Errorf("create schema: %w", err)
		}
	}
	return &DB{engine: Postgres, write: db, read: db}, nil
}

// Engine reports the engine behind db.
func (db *DB) Engine() Engine { return db.engine }

// Close closes every connection.
func (db *DB) Close() error {
	db.stmts.Range(func(k, v any) bool {
		v.(*sql.Stmt).Close()
		return true
	})
	if db.checkpoint != nil {
		db.stopCheckpoint()
		<-db.checkpointDone
	}
	err := db.write.Close()
	if db.read != db.write {
		err = errors.Join(err, db.read.Close())
	}
	if db.checkpoint != nil {
		err = errors.Join(err, db.checkpoint.Close())
	}
	return err
}

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.read.PingContext(ctx); err != nil {
		return unavailable(err)
	}
	var one int
	if err := db.read.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		return unavailable(err)
	}
	return nil
}

// Query runs a read-only query on the reader pool.
func (db *DB) Query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	q := db.rebind(query)
	st, err := db.prepared(ctx, db.read, q)
	var rows *sql.Rows
	if err == nil {
		if st != nil {
			rows, err = st.QueryContext(ctx, args...)
		} else {
			rows, err = db.read.QueryContext(ctx, q, args...)
		}
	}
	if err != nil {
		return nil, unavailable(err)
	}
	return rows, nil
}

// QueryRow runs a read-only query expected to return at most one row.
func (db *DB) QueryRow(ctx context.Context, query string, args ...any) *sql.Row {
	q := db.rebind(query)
	if st, err := db.prepared(ctx, db.read, q); err == nil && st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return db.read.QueryRowContext(ctx, q, args...)
}

// Tx runs fn in a read-write transaction, committing if fn returns nil and
// rolling back otherwise, so nothing is ever half-written. On SQLite the
// transaction takes the write lock at its start (BEGIN IMMEDIATE), so two
// writers never deadlock upgrading a read lock.
func (db *DB) Tx(ctx context.Context, fn func(*Tx) error) (err error) {
	sqlTx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", unavailable(err))
	}
	tx := &Tx{tx: sqlTx, db: db}
	defer func() {
		if p := recover(); p != nil {
			_ = sqlTx.Rollback()
			panic(p)
		}
		if err != nil {
			_ = sqlTx.Rollback()
		} else if cerr := sqlTx.Commit(); cerr != nil {
			err = fmt.Errorf("commit: %w", unavailable(cerr))
		}
		// The transaction has ended, so the connection is free to prepare
		// the statements it ran for the next time.
		for _, q := range tx.unprepared {
			_, _ = db.prepared(ctx, db.write, q)
		}
	}()
	return fn(tx)
}

// Tx is a read-write transaction.
type Tx struct {
	tx         *sql.Tx
	db         *DB
	unprepared []string // queries to prepare after the transaction
}

// Engine reports the engine behind the transaction.
func (tx *Tx) Engine() Engine { return tx.db.engine }

// Exec runs a statement in the transaction.
func (tx *Tx) Exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	q := tx.db.rebind(query)
	if st := tx.stmt(ctx, q); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return tx.tx.ExecContext(ctx, q, args...)
}

// execScript runs several statements at once (a migration); it is never
// prepared, because a prepared statement holds one statement only.
func (tx *Tx) execScript(ctx context.Context, script string) error {
	_, err := tx.tx.ExecContext(ctx, script)
	return err
}

// Query runs a query in the transaction.
func (tx *Tx) Query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	q := tx.db.rebind(query)
	if st := tx.stmt(ctx, q); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return tx.tx.QueryContext(ctx, q, args...)
}

// QueryRow runs a query expected to return at most one row.
func (tx *Tx) QueryRow(ctx context.Context, query string, args ...any) *sql.Row {
	q := tx.db.rebind(query)
	if st := tx.stmt(ctx, q); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return tx.tx.QueryRowContext(ctx, q, args...)
}

// stmt returns the cached statement bound to this transaction, or nil to
// run the query unprepared. A statement is never prepared inside a
// transaction: on SQLite the transaction holds the only writer connection,
// and preparing through the pool would wait for it forever. Instead the
// query is remembered and prepared once the transaction has ended.
func (tx *Tx) stmt(ctx context.Context, q string) *sql.Stmt {
	if tx.db.engine != SQLite {
		return nil
	}
	st, ok := tx.db.stmts.Load(stmtKey{tx.db.write, q})
	if !ok {
		tx.unprepared = append(tx.unprepared, q)
		return nil
	}
	return tx.tx.StmtContext(ctx, st.(*sql.Stmt))
}

// ForUpdate returns " FOR UPDATE" on PostgreSQL and "" on SQLite, where the
// write transaction already holds the database's only write lock.
func (tx *Tx) ForUpdate() string {
	if tx.db.engine == Postgres {
		return " FOR UPDATE"
	}
	return ""
}

var rebound sync.Map // query text → PostgreSQL form

// rebind turns '?' placeholders into $n for PostgreSQL. Caseward's queries
// never contain '?' inside string literals, so a plain scan is enough.
func (db *DB) rebind(q string) string {
	if db.engine != Postgres || !strings.Contains(q, "?") {
		return q
	}
	if v, ok := rebound.Load(q); ok {
		return v.(string)
	}
	var b strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	out := b.String()
	rebound.Store(q, out)
	return out
}

// unavailable marks connection-level failures (busy, locked, refused) with
// ErrUnavailable while keeping the cause for the log.
func unavailable(err error) error {
	if err == nil || errors.Is(err, ErrUnavailable) || !IsUnavailable(err) {
		return err
	}
	return fmt.Errorf("%w: %w", ErrUnavailable, err)
}

// IsUnavailable reports whether err means the database could not be reached
// or used at all (locked, closed, refused), as opposed to a bad query, so
// that the user can be told to try again rather than shown a fault.
func IsUnavailable(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, ErrUnavailable) || errors.Is(err, sql.ErrConnDone) {
		return true
	}
	msg := err.Error()
	for _, s := range []string{"database is locked", "SQLITE_BUSY", "database is closed", "connection refused", "no such host", "bad connection", "unable to open database", "failed to connect", "the database system is", "conn closed"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

var idEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// NewID returns a random, unguessable identifier (128 bits, 26 characters of
// lower-case base32). Ids appear in URLs, so they say nothing about the
// record and cannot be enumerated.
func NewID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return idEncoding.EncodeToString(b[:])
}

// ValidID reports whether s has the shape of an id made by NewID.
func ValidID(s string) bool {
	if len(s) != 26 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '2' && c <= '7') {
			return false
		}
	}
	return true
}

// NotFound turns sql.ErrNoRows into ErrNotFound and leaves other errors as
// they are, so that callers test one sentinel.
func NotFound(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	return err
}

// InList returns the placeholders and arguments of an SQL "IN (…)" list
// for ids, padded (by repeating the last id) to one of a few fixed lengths,
// so that lists of every length share a handful of prepared statements
// instead of filling the statement cache with one per length.
func InList(ids []string) (marks string, args []any) {
	n := len(ids)
	size := n
	for _, b := range []int{1, 4, 16, 64, 256, 1024} {
		if n <= b {
			size = b
			break
		}
	}
	args = make([]any, size)
	for i := range size {
		args[i] = ids[min(i, n-1)]
	}
	return strings.Repeat(",?", size)[1:], args
}
