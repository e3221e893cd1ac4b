package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// ErrNotFound is returned when a run asked for does not exist.
var ErrNotFound = errors.New("not found")

// Options are the parts of the outside world a DB uses; zero fields take the
// real ones.
type Options struct {
	Now  func() time.Time // default time.Now
	PID  int              // default os.Getpid()
	Host string           // default os.Hostname()
}

// DB is an open mcawatch database.
type DB struct {
	path   string
	writer *sql.DB // one connection: SQLite has one writer at a time
	reader *sql.DB // read-only pool, so reads never wait for the writer
	now    func() time.Time
	pid    int
	host   string
	list   listCache        // the customer list of the run being saved
	stmts  *writeStatements // the writer's prepared statements
}

// Open opens the mcawatch database at path, creating it (mode 0600) when it
// does not exist, and brings its schema up to date. A file that is not an
// mcawatch database, or whose schema is newer than this binary knows, is
// refused without being changed.
func Open(path string, opts Options) (*DB, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	db := &DB{path: abs, now: opts.Now, pid: opts.PID, host: opts.Host, stmts: newWriteStatements()}
	if db.now == nil {
		db.now = time.Now
	}
	if db.pid == 0 {
		db.pid = os.Getpid()
	}
	if db.host == "" {
		if db.host, err = os.Hostname(); err != nil {
			db.host = "unknown"
		}
	}
	if err := createFile(abs); err != nil {
		return nil, err
	}
	if err := probe(abs); err != nil {
		return nil, err
	}
	if err := db.open(); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// createFile creates the database file with mode 0600 before SQLite sees it,
// because it holds personal data and SQLite would create it world-readable
// under the usual umask. SQLite gives the -wal and -shm files the mode of the
// database file.
func createFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("create database %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("create database %s: %w", path, err)
	}
	return nil
}

// open opens the two handles and migrates.
func (db *DB) open() error {
	var err error
	// The writer's pragmas:
	//   - journal_mode(WAL): readers never block the writer and the writer
	//     never blocks readers, so a report can be read during a sweep.
	//   - synchronous(NORMAL): in WAL mode this never corrupts the database;
	//     a power loss can only lose the last commits not yet checkpointed,
	//     and the sweep can resume those customers. FULL would fsync every
	//     batch for nothing we need.
	//   - busy_timeout(5000): the driver sets none, so a second process
	//     (mcawatch runs listing during a sweep) would fail at once with
	//     SQLITE_BUSY instead of waiting a moment.
	//   - foreign_keys(1): SQLite does not enforce them unless asked.
	//   - cache_size(-65536): 64 MiB of page cache instead of 2 MiB, so the
	//     indexes a 100,000-customer sweep touches stay in memory.
	//   - temp_store(MEMORY): the statement journal of a multi-row INSERT
	//     (a few pages) stays in memory instead of going through a file.
	//   - _txlock=immediate: a deferred transaction that reads then writes
	//     fails at once with SQLITE_BUSY in WAL mode; taking the write lock
	//     at BEGIN makes it wait its turn instead.
	db.writer, err = sql.Open("sqlite", dsn(db.path,
		"_pragma=busy_timeout(5000)",
		"_pragma=journal_mode(WAL)",
		"_pragma=synchronous(NORMAL)",
		"_pragma=cache_size(-65536)",
		"_pragma=temp_store(MEMORY)",
		"_pragma=foreign_keys(1)",
		"_txlock=immediate"))
	if err != nil {
		return fmt.Errorf("open database %s: %w", db.path, err)
	}
	// One writer connection: SQLite allows one writer at a time anyway, and a
	// single connection makes the Go side queue instead of spinning on busy.
	db.writer.SetMaxOpenConns(1)
	if err := db.migrate(context.Background()); err != nil {
		return err
	}
	chmodSidecars(db.path)
	db.reader, err = sql.Open("sqlite", dsn(db.path,
		"_pragma=busy_timeout(5000)",
		"_pragma=foreign_keys(1)",
		"_pragma=query_only(1)"))
	if err != nil {
		return fmt.Errorf("open database %s: %w", db.path, err)
	}
	db.reader.SetMaxOpenConns(4)
	return nil
}

// chmodSidecars makes sure the -wal and -shm files, which hold the same
// personal data as the database, are not readable by others. SQLite already
// copies the database's mode; this is a second line for files left by an
// older process, so a failure is not an error.
func chmodSidecars(path string) {
	for _, suffix := range []string{"-wal", "-shm"} {
		_ = os.Chmod(path+suffix, 0o600)
	}
}

// dsn builds a file: URI for path with the given query parameters.
func dsn(path string, params ...string) string {
	s := "file:" + (&url.URL{Path: filepath.ToSlash(path)}).EscapedPath()
	for i, p := range params {
		if i == 0 {
			s += "?"
		} else {
			s += "&"
		}
		s += p
	}
	return s
}

// Close closes the database. It is safe to call on a DB that failed to open.
func (db *DB) Close() error {
	var errs []error
	db.stmts.close()
	if db.reader != nil {
		errs = append(errs, db.reader.Close())
	}
	if db.writer != nil {
		errs = append(errs, db.writer.Close())
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("close database %s: %w", db.path, err)
	}
	return nil
}

// Path is the absolute path of the database file.
func (db *DB) Path() string { return db.path }

// stamp is the current time, to the second, in UTC: what a stored time
// round-trips to.
func (db *DB) stamp() time.Time { return db.now().UTC().Truncate(time.Second) }

// fromUnix reads a stored time; NULL is the zero time.
func fromUnix(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return time.Unix(v.Int64, 0).UTC()
}
