package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"
)

// StandingNotListed is a History span of complete runs that did not list
// the customer (it had left the portfolio, or was not yet in it). It is
// never a Result's standing.
const StandingNotListed Standing = "not_listed"

// History is one customer's timeline across the stored complete runs, for
// `mcawatch history`. Runs that are not complete are left out: no report
// was made of them.
type History struct {
	// Customer has the latest names stored for it.
	Customer Customer `json:"customer"`
	// Spans cover every complete run from the first that listed the
	// customer to the newest, oldest first: consecutive runs in which the
	// customer stood the same (judged as (*Result).Standing judges, with
	// each run's own required type and cut-off) are one span.
	Spans []StandingSpan `json:"spans"`
	// Records are its acceptance records, each once, in the order they
	// first appeared (then by type, date and template).
	Records []RecordSpan `json:"records"`
	// Errors are the runs in which its query failed, oldest first.
	Errors []RunError `json:"errors"`
}

// StandingSpan is a stretch of consecutive complete runs in which a
// customer stood the same.
type StandingSpan struct {
	Standing Standing `json:"standing"`
	FromRun  int64    `json:"from_run"`
	// From and To are the start times of the span's first and last runs.
	From  time.Time `json:"from"`
	ToRun int64     `json:"to_run"`
	To    time.Time `json:"to"`
	Runs  int       `json:"runs"` // complete runs in the span
	// Current is true for the span that reaches the newest complete run.
	Current bool `json:"current"`
}

// RecordSpan is one acceptance record (type, date, template) and the
// complete runs in which the customer's answer held it.
type RecordSpan struct {
	// Acceptance is the record as the newest run that held it stored it.
	Acceptance Acceptance `json:"acceptance"`
	FirstRun   int64      `json:"first_run"`
	FirstSeen  time.Time  `json:"first_seen"` // start of FirstRun
	LastRun    int64      `json:"last_run"`
	LastSeen   time.Time  `json:"last_seen"` // start of LastRun
	// Current is true when the customer's newest answer (its newest ok
	// result) holds the record.
	Current bool `json:"current"`
}

// RunError is a customer's failed query in one run.
type RunError struct {
	RunID      int64     `json:"run_id"`
	Started    time.Time `json:"started"`
	HTTPStatus int       `json:"http_status"`
	ErrorCode  string    `json:"error_code"`
	Message    string    `json:"message"`
	Attempts   int       `json:"attempts"`
}

// History is the timeline of the customer with tenant id customerID;
// ErrNotFound if no stored run lists it. It reads the customer's entry in
// each complete run by key, however many customers the runs hold.
func (db *DB) History(ctx context.Context, customerID string) (History, error) {
	id, err := normalizeID(customerID)
	if err != nil {
		return History{}, fmt.Errorf("history of %q: %w", customerID, err)
	}
	h, err := db.history(ctx, id)
	if err != nil {
		return History{}, fmt.Errorf("history of customer %s: %w", id, db.explain(err))
	}
	return h, nil
}

// answer is a customer's result in one complete run.
type answer struct {
	run    Run
	result Result
	key    int64
}

func (db *DB) history(ctx context.Context, id string) (History, error) {
	tx, err := db.reader.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return History{}, err
	}
	defer tx.Rollback()
	h := History{Spans: []StandingSpan{}, Records: []RecordSpan{}, Errors: []RunError{}}
	err = tx.QueryRowContext(ctx, `SELECT id, company_name, domain, relationship FROM customers WHERE ckey = ? AND id = ?`,
		customerKey(id), id).Scan(&h.Customer.ID, &h.Customer.CompanyName, &h.Customer.Domain, &h.Customer.Relationship)
	if errors.Is(err, sql.ErrNoRows) {
		return History{}, ErrNotFound
	}
	if err != nil {
		return History{}, err
	}
	complete, err := listRunsWhere(ctx, tx, `state = 'complete' ORDER BY id`)
	if err != nil {
		return History{}, err
	}
	answers, err := customerAnswers(ctx, tx, id, complete)
	if err != nil {
		return History{}, err
	}
	if len(answers) == 0 {
		return h, nil
	}
	h.Spans = standingSpans(complete, answers)
	h.Records = recordSpans(answers)
	for _, a := range answers {
		if r := a.result; r.Status == StatusError {
			h.Errors = append(h.Errors, RunError{RunID: a.run.ID, Started: a.run.Started, HTTPStatus: r.HTTPStatus,
				ErrorCode: r.ErrorCode, Message: r.Message, Attempts: r.Attempts})
		}
	}
	return h, nil
}

// customerAnswers reads the customer's result in each of the complete
// runs (oldest first) that has one, with its records.
func customerAnswers(ctx context.Context, tx *sql.Tx, id string, complete []Run) ([]answer, error) {
	byID := make(map[int64]Run, len(complete))
	for _, run := range complete {
		byID[run.ID] = run
	}
	rows, err := tx.QueryContext(ctx, `SELECT r.id, g.id, g.status, g.http_status, g.error_code, g.message, g.attempts,
			g.direct_signed
		FROM runs r
		CROSS JOIN run_customer_keys k ON k.run_id = r.id AND k.ckey = ?1
		CROSS JOIN run_customers rc ON rc.run_id = k.run_id AND rc.position = k.position
		CROSS JOIN results g ON g.id = k.run_id * 4294967296 + k.position
		WHERE r.state = 'complete' AND rc.customer_id = ?2
		ORDER BY r.id`, customerKey(id), id)
	if err != nil {
		return nil, err
	}
	var answers []answer
	for rows.Next() {
		var a answer
		var runID int64
		r := &a.result
		if err := rows.Scan(&runID, &a.key, &r.Status, &r.HTTPStatus, &r.ErrorCode, &r.Message, &r.Attempts,
			&r.DirectSigned); err != nil {
			rows.Close()
			return nil, err
		}
		a.run = byID[runID]
		answers = append(answers, a)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	stmt, err := tx.PrepareContext(ctx, `SELECT a.id, `+acceptanceColumns+`
		FROM acceptances a WHERE a.id BETWEEN ? AND ? ORDER BY a.id`)
	if err != nil {
		return nil, err
	}
	defer stmt.Close()
	for i := range answers {
		if answers[i].result.Status != StatusOK {
			continue
		}
		if err := readAcceptances(ctx, stmt, goodRef{result: &answers[i].result, key: answers[i].key}); err != nil {
			return nil, err
		}
	}
	return answers, nil
}

// listRunsWhere reads the runs a WHERE clause picks.
func listRunsWhere(ctx context.Context, q queryer, where string) ([]Run, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+runColumns+` FROM runs WHERE `+where)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var runs []Run
	for rows.Next() {
		run, err := scanRun(rows)
		if err != nil {
			return nil, err
		}
		runs = append(runs, run)
	}
	return runs, rows.Err()
}

// standingSpans collapses the customer's standing in each complete run,
// from the first that has its answer to the newest, into spans.
func standingSpans(complete []Run, answers []answer) []StandingSpan {
	byRun := make(map[int64]*answer, len(answers))
	for i := range answers {
		byRun[answers[i].run.ID] = &answers[i]
	}
	spans := []StandingSpan{}
	for _, run := range complete {
		if run.ID < answers[0].run.ID {
			continue
		}
		st := StandingNotListed
		if a, ok := byRun[run.ID]; ok {
			st = a.result.Standing(run.Required, run.CurrentSince)
		}
		if n := len(spans); n > 0 && spans[n-1].Standing == st {
			spans[n-1].ToRun, spans[n-1].To = run.ID, run.Started
			spans[n-1].Runs++
			continue
		}
		spans = append(spans, StandingSpan{Standing: st, FromRun: run.ID, From: run.Started, ToRun: run.ID,
			To: run.Started, Runs: 1})
	}
	if n := len(spans); n > 0 {
		spans[n-1].Current = true
	}
	return spans
}

// recordKey is what makes one acceptance record.
type recordKey struct {
	typ      string
	date     time.Time
	template string
}

// recordSpans lists each record once with the first and last runs whose
// answer held it.
func recordSpans(answers []answer) []RecordSpan {
	index := map[recordKey]int{}
	records := []RecordSpan{}
	var newestOK *answer
	for i := range answers {
		a := &answers[i]
		if a.result.Status != StatusOK {
			continue
		}
		newestOK = a
		for _, acc := range a.result.Acceptances {
			k := recordKey{acc.Type, acc.DateAgreed, acc.TemplateID}
			j, ok := index[k]
			if !ok {
				j = len(records)
				index[k] = j
				records = append(records, RecordSpan{FirstRun: a.run.ID, FirstSeen: a.run.Started})
			}
			records[j].Acceptance = acc
			records[j].LastRun, records[j].LastSeen = a.run.ID, a.run.Started
		}
	}
	for i := range records {
		records[i].Current = newestOK != nil && records[i].LastRun == newestOK.run.ID
	}
	slices.SortStableFunc(records, func(a, b RecordSpan) int {
		switch {
		case a.FirstRun != b.FirstRun:
			return int(a.FirstRun - b.FirstRun)
		case a.Acceptance.Type != b.Acceptance.Type:
			if a.Acceptance.Type < b.Acceptance.Type {
				return -1
			}
			return 1
		}
		return a.Acceptance.DateAgreed.Compare(b.Acceptance.DateAgreed)
	})
	return records
}
