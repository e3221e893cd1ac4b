package storage

import (
	"context"
	"fmt"
	"time"
)

// Trend is the totals of the last limit complete runs with id ≤ uptoRunID,
// oldest first, for the report's chart. It relies on the missing streaks
// FinishRun computes: a complete run's ok customer is missing exactly when
// it has a missing_since.
func (db *DB) Trend(uptoRunID int64, limit int) ([]TrendPoint, error) {
	rows, err := db.reader.QueryContext(context.Background(), `
		WITH picked AS (
			SELECT id, started FROM runs WHERE state = 'complete' AND id <= ? ORDER BY id DESC LIMIT ?)
		SELECT p.id, p.started, count(r.customer_id),
			coalesce(sum(r.status = 'ok' AND r.missing_since IS NULL), 0),
			coalesce(sum(r.status = 'ok' AND r.missing_since IS NOT NULL), 0),
			coalesce(sum(r.status = 'error'), 0)
		FROM picked p LEFT JOIN results r ON r.id BETWEEN p.id * 4294967296 AND p.id * 4294967296 + 4294967295
		GROUP BY p.id ORDER BY p.id`, uptoRunID, limit)
	if err != nil {
		return nil, fmt.Errorf("trend up to run %d: %w", uptoRunID, err)
	}
	defer rows.Close()
	points := []TrendPoint{}
	for rows.Next() {
		var p TrendPoint
		var started int64
		if err := rows.Scan(&p.RunID, &started, &p.Customers, &p.Accepted, &p.Missing, &p.Errors); err != nil {
			return nil, fmt.Errorf("trend up to run %d: %w", uptoRunID, err)
		}
		p.Started = time.Unix(started, 0).UTC()
		points = append(points, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("trend up to run %d: %w", uptoRunID, err)
	}
	return points, nil
}
