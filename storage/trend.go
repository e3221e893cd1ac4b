package storage

import (
	"context"
	"fmt"
	"time"
)

// Trend is the totals of the last limit complete runs with id ≤ uptoRunID,
// oldest first, for the report's chart. It relies on the streaks FinishRun
// computes: a complete run's ok customer is missing exactly when it has a
// missing_since, outdated exactly when it has an outdated_since, and
// accepted (or direct-signed) otherwise. A customer in error is counted in
// Errors and, by the standing of its last good result (the newest ok result
// in an earlier complete run) judged with this run's cut-off, in
// Accepted, Outdated or Missing too, so that a night with errors does not
// look like a night of lost acceptances; one with no earlier good result is
// counted in Errors alone.
func (db *DB) Trend(uptoRunID int64, limit int) ([]TrendPoint, error) {
	points, err := db.trendCounts(uptoRunID, limit)
	if err != nil {
		return nil, fmt.Errorf("trend up to run %d: %w", uptoRunID, db.explain(err))
	}
	if err := db.trendCarried(points); err != nil {
		return nil, fmt.Errorf("trend up to run %d: errors' last good results: %w", uptoRunID, db.explain(err))
	}
	return points, nil
}

// trendCounts counts each picked run's results by their own state.
func (db *DB) trendCounts(uptoRunID int64, limit int) ([]TrendPoint, error) {
	rows, err := db.reader.QueryContext(context.Background(), `
		WITH picked AS (
			SELECT id, started FROM runs WHERE state = 'complete' AND id <= ? ORDER BY id DESC LIMIT ?)
		SELECT p.id, p.started, count(r.customer_id),
			coalesce(sum(r.status = 'ok' AND r.missing_since IS NULL AND r.outdated_since IS NULL), 0),
			coalesce(sum(r.status = 'ok' AND r.outdated_since IS NOT NULL), 0),
			coalesce(sum(r.status = 'ok' AND r.missing_since IS NOT NULL), 0),
			coalesce(sum(r.status = 'error'), 0)
		FROM picked p LEFT JOIN results r ON r.id BETWEEN p.id * 4294967296 AND p.id * 4294967296 + 4294967295
		GROUP BY p.id ORDER BY p.id`, uptoRunID, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	points := []TrendPoint{}
	for rows.Next() {
		var p TrendPoint
		var started int64
		if err := rows.Scan(&p.RunID, &started, &p.Customers, &p.Accepted, &p.Outdated, &p.Missing, &p.Errors); err != nil {
			return nil, err
		}
		p.Started = time.Unix(started, 0).UTC()
		points = append(points, p)
	}
	return points, rows.Err()
}

// carriedQuery counts the error results of run ?1 (keys ?2 to ?3) by the
// standing of each customer's last good result (the newest ok result in any
// earlier complete run: the chart shows what is known, reported or not),
// judged as (*Result).Standing judges it with the counted run's required
// type and cut-off (NULL: off), not those of the run it came from; a
// customer without one is not counted. Accepted includes direct-signed.
const carriedQuery = `WITH lg (good) AS MATERIALIZED (
		SELECT (SELECT g.id FROM runs gr
			CROSS JOIN run_customer_keys k ON k.run_id = gr.id AND k.ckey = e.ckey
			CROSS JOIN run_customers rc ON rc.run_id = k.run_id AND rc.position = k.position
			CROSS JOIN results g ON g.id = k.run_id * 4294967296 + k.position
			WHERE gr.state = 'complete' AND gr.id < ?1 AND rc.customer_id = e.customer_id AND g.status = 'ok'
			ORDER BY gr.id DESC LIMIT 1)
		FROM results r JOIN run_customers e ON e.run_id = r.run_id AND e.position = r.position
		WHERE r.id BETWEEN ?2 AND ?3 AND r.status = 'error'),
	cut (required, since) AS (SELECT required, current_since FROM runs WHERE id = ?1),
	judged (current, signed, has) AS (
		SELECT EXISTS (SELECT 1 FROM acceptances a WHERE a.id BETWEEN g.id * 1024 AND g.id * 1024 + 1023
				AND a.type = cut.required AND (cut.since IS NULL OR a.date_agreed >= cut.since)),
			g.direct_signed = 1,
			EXISTS (SELECT 1 FROM acceptances a WHERE a.id BETWEEN g.id * 1024 AND g.id * 1024 + 1023
				AND a.type = cut.required)
		FROM lg CROSS JOIN results g ON g.id = lg.good CROSS JOIN cut)
	SELECT coalesce(sum(current OR signed), 0),
		coalesce(sum(NOT current AND NOT signed AND has), 0),
		coalesce(sum(NOT signed AND NOT has), 0)
	FROM judged`

// trendCarried adds the error customers of each point to the state they
// carry forward. Errors are the exception, so one query a run costs little.
func (db *DB) trendCarried(points []TrendPoint) error {
	for i := range points {
		p := &points[i]
		if p.Errors == 0 {
			continue
		}
		lo, hi := runResults(p.RunID)
		var accepted, outdated, missing int
		if err := db.reader.QueryRowContext(context.Background(), carriedQuery, p.RunID, lo, hi).
			Scan(&accepted, &outdated, &missing); err != nil {
			return err
		}
		p.Accepted += accepted
		p.Outdated += outdated
		p.Missing += missing
	}
	return nil
}
