package storage

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
)

// LoadSnapshot reads a run with every customer that has a result in it,
// sorted by customer id, named as the run saw them. An error result comes
// with the customer's last good result (its newest ok result in an earlier
// complete run), and a missing or outdated customer of a complete run with
// the start of its missing or outdated streak. It reads in a handful of streamed, sequential queries,
// whatever the number of customers.
func (db *DB) LoadSnapshot(runID int64) (*Snapshot, error) {
	ctx := context.Background()
	tx, err := db.reader.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("load snapshot of run %d: %w", runID, db.explain(err))
	}
	defer tx.Rollback()
	run, err := findRun(ctx, tx, `id = ?`, runID)
	if err != nil {
		return nil, fmt.Errorf("load snapshot of run %d: %w", runID, db.explain(err))
	}
	states, positions, err := loadResults(ctx, tx, runID)
	if err != nil {
		return nil, fmt.Errorf("load snapshot of run %d: %w", runID, db.explain(err))
	}
	if err := loadAcceptances(ctx, tx, states, positions, runID); err != nil {
		return nil, fmt.Errorf("load snapshot of run %d: %w", runID, db.explain(err))
	}
	slices.SortFunc(states, func(a, b CustomerState) int {
		return strings.Compare(a.Result.Customer.ID, b.Result.Customer.ID)
	})
	if err := loadLastGood(ctx, tx, states, runID); err != nil {
		return nil, fmt.Errorf("load snapshot of run %d: last good results: %w", runID, db.explain(err))
	}
	return &Snapshot{Run: run, Customers: states}, nil
}

// loadResults reads the run's results in list order, with the list
// position of each.
func loadResults(ctx context.Context, tx *sql.Tx, runID int64) ([]CustomerState, []int64, error) {
	var n int
	lo, hi := runResults(runID)
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM results WHERE id BETWEEN ? AND ?`, lo, hi).Scan(&n); err != nil {
		return nil, nil, err
	}
	rows, err := tx.QueryContext(ctx, `SELECT r.position, r.customer_id, rc.company_name, rc.domain, rc.relationship,
		r.status, r.http_status, r.error_code, r.message, r.attempts, r.direct_signed, r.missing_since,
		r.outdated_since
		FROM results r JOIN run_customers rc ON rc.run_id = r.run_id AND rc.position = r.position
		WHERE r.id BETWEEN ? AND ? ORDER BY r.id`, lo, hi)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	states := make([]CustomerState, 0, n)
	positions := make([]int64, 0, n)
	for rows.Next() {
		var s CustomerState
		r := &s.Result
		var pos int64
		var missing, outdated any // scanned as is: an int64 or nil
		if err := rows.Scan(&pos, &r.Customer.ID, &r.Customer.CompanyName, &r.Customer.Domain, &r.Customer.Relationship,
			&r.Status, &r.HTTPStatus, &r.ErrorCode, &r.Message, &r.Attempts, &r.DirectSigned, &missing,
			&outdated); err != nil {
			return nil, nil, err
		}
		if r.Status == StatusOK {
			s.MissingSince, s.OutdatedSince = fromValue(missing), fromValue(outdated)
		}
		states = append(states, s)
		positions = append(positions, pos)
	}
	return states, positions, rows.Err()
}

// acceptanceColumns are the columns scanAcceptance reads, after the key.
const acceptanceColumns = `a.type, a.date_agreed, a.template_id, a.contact_name, a.contact_email,
	a.contact_phone, a.agreement_link, a.user_id`

func scanAcceptance(rows *sql.Rows, key any) (Acceptance, error) {
	var a Acceptance
	var date any // scanned as is, an int64 or nil: a sql.NullInt64 costs more for 200,000 records
	err := rows.Scan(key, &a.Type, &date, &a.TemplateID, &a.ContactName, &a.ContactEmail,
		&a.ContactPhone, &a.AgreementLink, &a.UserID)
	a.DateAgreed = fromValue(date)
	return a, err
}

// loadAcceptances attaches the run's acceptance records to states, walking
// both in list order.
func loadAcceptances(ctx context.Context, tx *sql.Tx, states []CustomerState, positions []int64, runID int64) error {
	lo, hi := runAcceptances(runID)
	rows, err := tx.QueryContext(ctx, `SELECT a.id, `+acceptanceColumns+`
		FROM acceptances a WHERE a.id BETWEEN ? AND ? ORDER BY a.id`, lo, hi)
	if err != nil {
		return err
	}
	defer rows.Close()
	i := 0
	var key int64
	for rows.Next() {
		a, err := scanAcceptance(rows, &key)
		if err != nil {
			return err
		}
		pos := key >> seqBits & (1<<positionBits - 1)
		for i < len(positions) && positions[i] < pos {
			i++
		}
		if i == len(positions) || positions[i] != pos {
			return fmt.Errorf("acceptance at position %d has no result", pos)
		}
		states[i].Result.Acceptances = append(states[i].Result.Acceptances, a)
	}
	return rows.Err()
}

// lastGoodQuery finds, for each error result of run ?1, the customer's
// newest ok result in an earlier complete run whose report is in place,
// looking the customer up in those runs from the newest back. A run whose
// report failed is never a baseline: what it saw was reported nowhere, so
// carrying it forward would hide that change from every report. lg is materialized so its correlated
// search runs once per error, not once per row of a join.
const lastGoodQuery = `WITH lg (customer_id, good) AS MATERIALIZED (
		SELECT e.customer_id, (SELECT g.id FROM runs gr
			CROSS JOIN run_customer_keys k ON k.run_id = gr.id AND k.ckey = e.ckey
			CROSS JOIN run_customers rc ON rc.run_id = k.run_id AND rc.position = k.position
			CROSS JOIN results g ON g.id = k.run_id * 4294967296 + k.position
			WHERE gr.state = 'complete' AND gr.report_dir <> '' AND gr.id < ?1
				AND rc.customer_id = e.customer_id AND g.status = 'ok'
			ORDER BY gr.id DESC LIMIT 1)
		FROM results r JOIN run_customers e ON e.run_id = r.run_id AND e.position = r.position
		WHERE r.id BETWEEN ?2 AND ?3 AND r.status = 'error')
	SELECT lg.customer_id, g.id, g.attempts, g.direct_signed FROM lg
	CROSS JOIN results g ON g.id = lg.good`

// goodRef is where a last good result is stored.
type goodRef struct {
	result *Result
	key    int64
}

// loadLastGood fills LastGood of the error results in states, which are
// sorted by customer id. Errors are the exception, so reading each last good
// result's records with its own small query costs little.
func loadLastGood(ctx context.Context, tx *sql.Tx, states []CustomerState, runID int64) error {
	lo, hi := runResults(runID)
	rows, err := tx.QueryContext(ctx, lastGoodQuery, runID, lo, hi)
	if err != nil {
		return err
	}
	var refs []goodRef
	for rows.Next() {
		var id string
		ref := goodRef{result: &Result{Status: StatusOK}}
		if err := rows.Scan(&id, &ref.key, &ref.result.Attempts, &ref.result.DirectSigned); err != nil {
			rows.Close()
			return err
		}
		i, ok := slices.BinarySearchFunc(states, id, func(s CustomerState, id string) int {
			return strings.Compare(s.Result.Customer.ID, id)
		})
		if !ok {
			rows.Close()
			return fmt.Errorf("customer %q has no result", id)
		}
		ref.result.Customer = states[i].Result.Customer
		states[i].LastGood = ref.result
		refs = append(refs, ref)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if len(refs) == 0 {
		return nil
	}
	stmt, err := tx.PrepareContext(ctx, `SELECT a.id, `+acceptanceColumns+`
		FROM acceptances a WHERE a.id BETWEEN ? AND ? ORDER BY a.id`)
	if err != nil {
		return err
	}
	defer stmt.Close()
	for _, ref := range refs {
		if err := readAcceptances(ctx, stmt, ref); err != nil {
			return err
		}
	}
	return nil
}

// readAcceptances reads one stored result's records into ref.result.
func readAcceptances(ctx context.Context, stmt *sql.Stmt, ref goodRef) error {
	lo, hi := resultAcceptances(ref.key)
	rows, err := stmt.QueryContext(ctx, lo, hi)
	if err != nil {
		return err
	}
	defer rows.Close()
	var key int64
	for rows.Next() {
		a, err := scanAcceptance(rows, &key)
		if err != nil {
			return err
		}
		ref.result.Acceptances = append(ref.result.Acceptances, a)
	}
	return rows.Err()
}
