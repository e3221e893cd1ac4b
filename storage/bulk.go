package storage

import (
	"context"
	"database/sql"
	"strings"
)

// bulkRows is how many rows one INSERT statement carries. Executing one
// statement per row spends most of its time in database/sql and the driver
// rather than in SQLite; 64 rows of up to 10 columns stay far below SQLite's
// limit of 32,766 parameters.
const bulkRows = 64

// bulkSizes is how many statements a bulkTable has: one of bulkRows rows and
// one for each smaller power of two.
const bulkSizes = 7 // 64, 32, 16, 8, 4, 2, 1

// bulkTable is a multi-row INSERT into one table, prepared on the writer
// once for the life of the DB. Parsing a 64-row INSERT costs about as much as
// executing it, so a sweep of hundreds of batches must not parse one per
// batch; and so that a handful of statements serve any batch, a batch's last
// rows go out in halving sizes (52 rows: 32 + 16 + 4) instead of in a
// statement of their own count.
type bulkTable struct {
	head  string               // "INSERT INTO t (a, b) VALUES " or "… SELECT … FROM (VALUES "
	row   string               // "(?, ?)"
	tail  string               // "" or ")"
	cols  int                  // parameters a row
	stmts [bulkSizes]*sql.Stmt // stmts[i] inserts bulkRows>>i rows
}

// newBulkTable is an INSERT of the given columns, every one a parameter.
func newBulkTable(head string, columns ...string) bulkTable {
	return bulkTable{
		head: head + " (" + strings.Join(columns, ", ") + ") VALUES ",
		row:  "(" + strings.TrimSuffix(strings.Repeat("?, ", len(columns)), ", ") + ")",
		cols: len(columns),
	}
}

// newBulkSelect is an INSERT whose rows of cols parameters are read as
// column1, column2, … by query, which ends in "FROM (VALUES ": it lets a
// statement fill columns from constants and from other columns, which costs
// less than binding them.
func newBulkSelect(query string, cols int) bulkTable {
	return bulkTable{
		head: query,
		row:  "(" + strings.TrimSuffix(strings.Repeat("?, ", cols), ", ") + ")",
		tail: ")",
		cols: cols,
	}
}

// prepare prepares the table's statements on w.
func (t *bulkTable) prepare(ctx context.Context, w *sql.DB) error {
	for i := range t.stmts {
		query := t.head + strings.TrimSuffix(strings.Repeat(t.row+", ", bulkRows>>i), ", ") + t.tail
		stmt, err := w.PrepareContext(ctx, query)
		if err != nil {
			return err
		}
		t.stmts[i] = stmt
	}
	return nil
}

// close releases the table's statements.
func (t *bulkTable) close() {
	for i, s := range t.stmts {
		if s != nil {
			s.Close()
			t.stmts[i] = nil
		}
	}
}

// bulkInsert gathers rows for a bulkTable inside a transaction and inserts
// them with its multi-row statements.
type bulkInsert struct {
	ctx   context.Context
	tx    *sql.Tx
	table *bulkTable
	stmts [bulkSizes]*sql.Stmt // the table's statements in tx, made on first use
	args  []any
	n     int
}

func newBulkInsert(ctx context.Context, tx *sql.Tx, table *bulkTable) *bulkInsert {
	return &bulkInsert{ctx: ctx, tx: tx, table: table}
}

// add queues one row, inserting the queue when it is full.
func (b *bulkInsert) add(values ...any) error {
	b.args = append(b.args, values...)
	b.n++
	if b.n == bulkRows {
		return b.flush()
	}
	return nil
}

// flush inserts the queued rows.
func (b *bulkInsert) flush() error {
	args := b.args
	for b.n > 0 {
		i := 0
		for bulkRows>>i > b.n {
			i++
		}
		stmt := b.stmts[i]
		if stmt == nil {
			// The writer's one connection is the transaction's, so this
			// reuses the statement prepared on it rather than parsing it.
			stmt = b.tx.StmtContext(b.ctx, b.table.stmts[i])
			b.stmts[i] = stmt
		}
		rows := bulkRows >> i
		if _, err := stmt.ExecContext(b.ctx, args[:rows*b.table.cols]...); err != nil {
			return err
		}
		args = args[rows*b.table.cols:]
		b.n -= rows
	}
	b.args = b.args[:0]
	return nil
}
