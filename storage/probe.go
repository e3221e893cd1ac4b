package storage

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
)

// sqliteMagic starts every SQLite 3 database file.
var sqliteMagic = []byte("SQLite format 3\x00")

// probe refuses, before anything is written, a file that is not an mcawatch
// database (or an empty one) and a database whose schema is newer than this
// binary knows. It reads through a read-only connection, which can neither
// change the file nor checkpoint a foreign write-ahead log into it.
func probe(file string) error {
	f, err := os.Open(file)
	if err != nil {
		return fmt.Errorf("open database %s: %w", file, err)
	}
	header := make([]byte, 100)
	n, err := io.ReadFull(f, header)
	f.Close()
	if n == 0 && (errors.Is(err, io.EOF)) {
		return nil // a new, empty file
	}
	if err != nil || !bytes.Equal(header[:len(sqliteMagic)], sqliteMagic) {
		return fmt.Errorf("database %s is not an SQLite database: refusing to use it", file)
	}

	ro, err := sql.Open("sqlite", dsn(file, "mode=ro", "_pragma=busy_timeout(5000)"))
	if err != nil {
		return fmt.Errorf("open database %s: %w", file, err)
	}
	defer ro.Close()
	ctx := context.Background()
	var appID, tables int
	if err := ro.QueryRowContext(ctx, `PRAGMA application_id`).Scan(&appID); err != nil {
		return fmt.Errorf("open database %s: %w", file, err)
	}
	if err := ro.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_schema`).Scan(&tables); err != nil {
		return fmt.Errorf("open database %s: %w", file, err)
	}
	switch {
	case appID == 0 && tables == 0:
		return nil // an empty SQLite database: ours to set up
	case appID != applicationID:
		return fmt.Errorf("database %s is not an mcawatch database: refusing to change it", file)
	}
	ms, err := migrations()
	if err != nil {
		return err
	}
	var have sql.NullInt64
	if err := ro.QueryRowContext(ctx, `SELECT max(version) FROM schema_migrations`).Scan(&have); err != nil {
		return fmt.Errorf("open database %s: read schema version: %w", file, err)
	}
	if int(have.Int64) > len(ms) {
		return newerSchemaError(file, int(have.Int64), len(ms))
	}
	return nil
}
