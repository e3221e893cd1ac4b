package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
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
	// ReadOnly opens an existing database only: a missing file is an error
	// (errors.Is(err, fs.ErrNotExist)) naming the path, and nothing is
	// created. For the commands that only read (runs, report, history).
	// An existing database of an older schema is still brought up to date.
	ReadOnly bool
	// Logger is told what Open changed on its own, such as a database file
	// whose mode it tightened; nil: nobody.
	Logger *slog.Logger
}

// DB is an open mcawatch database.
type DB struct {
	path   string      // absolute, as given: what messages name
	file   string      // path with symbolic links resolved: what is opened and locked
	loose  fs.FileMode // the mode Open tightened to 0600; 0 if it did not
	writer *sql.DB     // one connection: SQLite has one writer at a time
	reader *sql.DB     // read-only pool, so reads never wait for the writer
	now    func() time.Time
	pid    int
	host   string
	list   listCache        // the customer list of the run being saved
	stmts  *writeStatements // the writer's prepared statements

	pruneStage func(stage string) // told where Prune is; for the crash test
}

// Open opens the mcawatch database at path, creating it (mode 0600) when it
// does not exist unless opts.ReadOnly, and brings its schema up to date. A
// file that is not an mcawatch database, or whose schema is newer than this
// binary knows, is refused without being changed. An existing file that
// others may read (mode 0644, say) is tightened to 0600 and the change is
// logged and kept in Tightened.
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
	// The file itself is found as the system finds it: filepath.Abs cleans
	// the path first, and the x/.. of a path whose x is a symbolic link to
	// another folder's child is not the folder the path started in.
	given := path
	if !filepath.IsAbs(given) {
		cwd, err := os.Getwd()
		if err != nil {
			return nil, fmt.Errorf("open database %s: %w", path, err)
		}
		given = cwd + string(filepath.Separator) + given
	}
	if err := checkLink(given); err != nil {
		return nil, err
	}
	if opts.ReadOnly {
		if _, err := os.Stat(given); errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("no database at %s: %w", abs, fs.ErrNotExist)
		}
	} else if err := createFile(given); err != nil {
		return nil, err
	}
	if db.file, err = filepath.EvalSymlinks(given); err != nil {
		return nil, fmt.Errorf("open database %s: %w", abs, err)
	}
	if real, err := filepath.EvalSymlinks(abs); err != nil || real != db.file {
		db.path, abs = db.file, db.file // the cleaned path names another file: name the real one
	}
	loose, err := tighten(db.file)
	switch {
	case err != nil && opts.Logger != nil:
		// Not ours to change (a database shared read-only, say): say so,
		// but reading it is still what was asked.
		opts.Logger.Warn(fmt.Sprintf("database %s is readable by others: %v", abs, err), "path", abs)
	case err == nil && loose != 0:
		db.loose = loose
		if opts.Logger != nil {
			opts.Logger.Warn(fmt.Sprintf("tightened mode of %s from %04o to 0600: it holds personal data", abs, loose),
				"path", abs, "old_mode", fmt.Sprintf("%04o", loose))
		}
	}
	if err := probe(db.file); err != nil {
		return nil, err
	}
	if err := db.open(); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// checkLink refuses a path that is a symbolic link to nothing: creating the
// database through it would create a file somewhere the user did not name,
// and SQLite's own message for it does not say what is wrong.
func checkLink(path string) error {
	fi, err := os.Lstat(path)
	if err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		return nil
	}
	if _, err := os.Stat(path); err != nil {
		target, _ := os.Readlink(path)
		return fmt.Errorf("open database %s: it is a symbolic link to %s, which cannot be opened: %w", path, target, err)
	}
	return nil
}

// tighten makes the database file readable by its owner alone, because it
// holds personal data; it returns the mode it had if that gave others any
// access, else 0. Open only warns when it fails.
func tighten(file string) (fs.FileMode, error) {
	fi, err := os.Stat(file)
	if err != nil {
		return 0, fmt.Errorf("tighten mode: %w", err)
	}
	perm := fi.Mode().Perm()
	if perm&0o077 == 0 {
		return 0, nil
	}
	if err := os.Chmod(file, 0o600); err != nil {
		return 0, fmt.Errorf("tighten mode %04o to 0600: %w", perm, err)
	}
	return perm, nil
}

// Tightened is the mode the database file had when Open found it readable
// by others and tightened it to 0600; ok is false when Open changed nothing.
func (db *DB) Tightened() (from fs.FileMode, ok bool) { return db.loose, db.loose != 0 }

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
	//   - auto_vacuum(INCREMENTAL), first, and only for a new, empty file,
	//     where alone it takes effect (an older database is switched by
	//     Prune's first VACUUM): it lets Prune hand the pages of removed
	//     runs back to the file system in a moment instead of rewriting
	//     the whole file. On an existing file the pragma rewrites the
	//     header, so a command that only reads (runs, history, prune
	//     --dry-run) would change the file's bytes.
	//   - _txlock=immediate: a deferred transaction that reads then writes
	//     fails at once with SQLITE_BUSY in WAL mode; taking the write lock
	//     at BEGIN makes it wait its turn instead.
	params := []string{
		"_pragma=busy_timeout(5000)",
		"_pragma=journal_mode(WAL)",
		"_pragma=synchronous(NORMAL)",
		"_pragma=cache_size(-65536)",
		"_pragma=temp_store(MEMORY)",
		"_pragma=foreign_keys(1)",
		"_txlock=immediate",
	}
	if info, err := os.Stat(db.file); err == nil && info.Size() == 0 {
		params = append([]string{"_pragma=auto_vacuum(2)"}, params...)
	}
	db.writer, err = sql.Open("sqlite", dsn(db.file, params...))
	if err != nil {
		return fmt.Errorf("open database %s: %w", db.path, err)
	}
	// One writer connection: SQLite allows one writer at a time anyway, and a
	// single connection makes the Go side queue instead of spinning on busy.
	db.writer.SetMaxOpenConns(1)
	if err := db.migrate(context.Background()); err != nil {
		return err
	}
	chmodSidecars(db.file)
	db.reader, err = sql.Open("sqlite", dsn(db.file,
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

// toSecond is t in UTC to the second, what a stored time round-trips to;
// the zero time stays zero.
func toSecond(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC().Truncate(time.Second)
}

// toUnix is the stored form of a time: Unix seconds, NULL for the zero
// time.
func toUnix(t time.Time) sql.NullInt64 {
	if t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.Unix(), Valid: true}
}

// fromValue reads a stored time scanned into an any: Unix seconds as an
// int64, or nil (NULL) for the zero time.
func fromValue(v any) time.Time {
	if sec, ok := v.(int64); ok {
		return time.Unix(sec, 0).UTC()
	}
	return time.Time{}
}

// fromUnix reads a stored time; NULL is the zero time.
func fromUnix(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return time.Unix(v.Int64, 0).UTC()
}

// SQLite's primary result codes that are about the database file rather
// than the statement.
const (
	sqlitePerm     = 3
	sqliteReadOnly = 8
	sqliteIOErr    = 10
	sqliteCorrupt  = 11
	sqliteFull     = 13
	sqliteCantOpen = 14
	sqliteNotADB   = 26
)

// explain names the database file in an error that is about the file
// (read-only, disk full, cannot open, …), which SQLite reports without its
// path: "attempt to write a readonly database" alone does not say which.
func (db *DB) explain(err error) error {
	var coded interface{ Code() int }
	if err == nil || !errors.As(err, &coded) || strings.Contains(err.Error(), db.path) {
		return err
	}
	switch coded.Code() & 0xff {
	case sqlitePerm, sqliteReadOnly, sqliteIOErr, sqliteCorrupt, sqliteFull, sqliteCantOpen, sqliteNotADB:
		return fmt.Errorf("database %s: %w", db.path, err)
	}
	return err
}
