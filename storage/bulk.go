package storage

import (
	"context"
	"database/sql"
	"strings"
)

// bulkRows is how many rows one INSERT statement carries. Executing one
// statement per row spends most of its time in database/sql and the driver
// rather than in SQLite; 64 rows of up to 11 columns stay far below SQLite's
// limit of 32,766 parameters.
const bulkRows = 64

// bulkInsert gathers rows and inserts them with multi-row INSERT statements.
type bulkInsert struct {
	tx    *sql.Tx
	head  string // "INSERT INTO t (a, b) VALUES "
	row   string // "(?, ?)"
	stmts map[int]*sql.Stmt
	args  []any
	n     int
}

func newBulkInsert(tx *sql.Tx, table string, columns ...string) *bulkInsert {
	return &bulkInsert{
		tx:    tx,
		head:  "INSERT INTO " + table + " (" + strings.Join(columns, ", ") + ") VALUES ",
		row:   "(" + strings.TrimSuffix(strings.Repeat("?, ", len(columns)), ", ") + ")",
		stmts: map[int]*sql.Stmt{},
	}
}

// add queues one row, inserting the queue when it is full.
func (b *bulkInsert) add(ctx context.Context, values ...any) error {
	b.args = append(b.args, values...)
	b.n++
	if b.n == bulkRows {
		return b.flush(ctx)
	}
	return nil
}

// flush inserts the queued rows.
func (b *bulkInsert) flush(ctx context.Context) error {
	if b.n == 0 {
		return nil
	}
	stmt := b.stmts[b.n]
	if stmt == nil {
		var err error
		query := b.head + strings.TrimSuffix(strings.Repeat(b.row+", ", b.n), ", ")
		if stmt, err = b.tx.PrepareContext(ctx, query); err != nil {
			return err
		}
		b.stmts[b.n] = stmt
	}
	if _, err := stmt.ExecContext(ctx, b.args...); err != nil {
		return err
	}
	b.args, b.n = b.args[:0], 0
	return nil
}

// close releases the prepared statements.
func (b *bulkInsert) close() {
	for _, s := range b.stmts {
		s.Close()
	}
}
