package storage

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
)

//go:embed migration/*.sql
var migrationFS embed.FS

// applicationID marks the file as an mcawatch database ("MCAW") in the
// SQLite header, so a foreign database is never mistaken for an empty one.
const applicationID = 0x4d434157

// migration is one numbered schema change.
type migration struct {
	version int
	name    string
	sql     string
}

// migrations are the embedded migration/NNNN_name.sql files in order; their
// numbers must run 1, 2, 3, … without gaps.
func migrations() ([]migration, error) {
	names, err := fs.Glob(migrationFS, "migration/*.sql")
	if err != nil {
		return nil, fmt.Errorf("list migrations: %w", err)
	}
	sort.Strings(names)
	var ms []migration
	for i, name := range names {
		base := path.Base(name)
		num, _, _ := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if err != nil || v != i+1 {
			return nil, fmt.Errorf("migration %s: want number %04d", base, i+1)
		}
		body, err := migrationFS.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("read migration %s: %w", base, err)
		}
		ms = append(ms, migration{version: v, name: base, sql: string(body)})
	}
	return ms, nil
}

// newerSchemaError is the refusal of a database written by a newer mcawatch.
func newerSchemaError(file string, have, know int) error {
	return fmt.Errorf("database %s has schema version %d, this mcawatch knows up to %d: upgrade mcawatch", file, have, know)
}

// migrate applies the migrations the database lacks, each in its own
// transaction together with its row in schema_migrations, so a crash leaves
// the schema at a known version.
func (db *DB) migrate(ctx context.Context) error {
	ms, err := migrations()
	if err != nil {
		return err
	}
	// An up-to-date database is only read: taking the write lock here would
	// make opening it wait behind a running sweep for nothing.
	var tables int
	if err := db.writer.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_schema WHERE name = 'schema_migrations'`).Scan(&tables); err != nil {
		return fmt.Errorf("migrate %s: %w", db.path, err)
	}
	if tables == 1 {
		var have sql.NullInt64
		if err := db.writer.QueryRowContext(ctx, `SELECT max(version) FROM schema_migrations`).Scan(&have); err != nil {
			return fmt.Errorf("migrate %s: %w", db.path, err)
		}
		if int(have.Int64) == len(ms) {
			return nil
		}
	}
	for _, m := range ms {
		if err := db.applyMigration(ctx, m, len(ms)); err != nil {
			return err
		}
	}
	return nil
}

func (db *DB) applyMigration(ctx context.Context, m migration, known int) error {
	tx, err := db.writer.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migrate %s: %w", db.path, err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY,
		name    TEXT    NOT NULL,
		applied INTEGER NOT NULL
	)`); err != nil {
		return fmt.Errorf("migrate %s: %w", db.path, err)
	}
	var have sql.NullInt64
	if err := tx.QueryRowContext(ctx, `SELECT max(version) FROM schema_migrations`).Scan(&have); err != nil {
		return fmt.Errorf("migrate %s: %w", db.path, err)
	}
	if int(have.Int64) > known {
		return newerSchemaError(db.path, int(have.Int64), known)
	}
	if int(have.Int64) >= m.version {
		return nil
	}
	if _, err := tx.ExecContext(ctx, m.sql); err != nil {
		return fmt.Errorf("migrate %s: %s: %w", db.path, m.name, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied) VALUES (?, ?, ?)`,
		m.version, m.name, db.stamp().Unix()); err != nil {
		return fmt.Errorf("migrate %s: %s: %w", db.path, m.name, err)
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA application_id = %d", applicationID)); err != nil {
		return fmt.Errorf("migrate %s: %w", db.path, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migrate %s: %s: %w", db.path, m.name, err)
	}
	return nil
}
