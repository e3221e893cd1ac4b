package storage

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// NotificationEvent is what a notification was about.
type NotificationEvent string

// The events a run is notified about, each at most once.
const (
	// NotifyReport: the run's report was written.
	NotifyReport NotificationEvent = "report"
	// NotifyFailed: the sweep failed or was interrupted.
	NotifyFailed NotificationEvent = "failed"
)

// NotificationRecord is what became of one channel's notification.
type NotificationRecord struct {
	RunID    int64             // 0: a sweep that failed before its run was stored
	Event    NotificationEvent //
	Channel  string            // the channel's secret-free name
	Reasons  []string          // the notify.on triggers that fired
	Outcome  string            // "ok", or what failed (secret-free)
	Attempts int               //
	Sent     time.Time         // when the last attempt ended; zero: now
}

// OK reports whether the channel took the message.
func (r NotificationRecord) OK() bool { return r.Outcome == NotificationOK }

// NotificationOK is the Outcome of a delivered notification.
const NotificationOK = "ok"

// Notified reports whether run runID was already notified about event on
// any channel, successfully or not: a notification is tried once, so a
// resumed run, a re-rendered report or a restarted scheduler never repeats
// one.
func (db *DB) Notified(runID int64, event NotificationEvent) (bool, error) {
	var n int
	err := db.writer.QueryRowContext(context.Background(),
		`SELECT count(*) FROM notifications WHERE run_id = ? AND event = ?`, runID, string(event)).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("notifications of run %d: %w", runID, db.explain(err))
	}
	return n > 0, nil
}

// RecordNotifications stores the outcome of each channel of one
// notification, in one transaction. A record's RunID 0 is stored as no run.
func (db *DB) RecordNotifications(recs []NotificationRecord) error {
	if len(recs) == 0 {
		return nil
	}
	ctx := context.Background()
	tx, err := db.writer.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("record notifications: %w", db.explain(err))
	}
	defer tx.Rollback()
	for _, r := range recs {
		if err := insertNotification(ctx, tx, r, db.stamp()); err != nil {
			return fmt.Errorf("record notification of run %d to %s: %w", r.RunID, r.Channel, db.explain(err))
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("record notifications: %w", db.explain(err))
	}
	return nil
}

func insertNotification(ctx context.Context, tx *sql.Tx, r NotificationRecord, now time.Time) error {
	run := sql.NullInt64{Int64: r.RunID, Valid: r.RunID != 0}
	sent := r.Sent
	if sent.IsZero() {
		sent = now
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO notifications (run_id, event, channel, reasons, outcome, attempts, sent)
		VALUES (?, ?, ?, ?, ?, ?, ?)`,
		run, string(r.Event), r.Channel, strings.Join(r.Reasons, ","), r.Outcome, r.Attempts, sent.UTC().Unix())
	return err
}

// Notifications lists what was recorded about run runID (0: the sweeps
// that failed before their run was stored), oldest first.
func (db *DB) Notifications(runID int64) ([]NotificationRecord, error) {
	where, args := `run_id = ?`, []any{runID}
	if runID == 0 {
		where, args = `run_id IS NULL`, nil
	}
	rows, err := db.reader.QueryContext(context.Background(),
		`SELECT coalesce(run_id, 0), event, channel, reasons, outcome, attempts, sent FROM notifications WHERE `+where+` ORDER BY id`, args...)
	if err != nil {
		return nil, fmt.Errorf("notifications of run %d: %w", runID, db.explain(err))
	}
	defer rows.Close()
	var out []NotificationRecord
	for rows.Next() {
		var r NotificationRecord
		var event, reasons string
		var sent int64
		if err := rows.Scan(&r.RunID, &event, &r.Channel, &reasons, &r.Outcome, &r.Attempts, &sent); err != nil {
			return nil, fmt.Errorf("notifications of run %d: %w", runID, db.explain(err))
		}
		r.Event = NotificationEvent(event)
		if reasons != "" {
			r.Reasons = strings.Split(reasons, ",")
		}
		r.Sent = time.Unix(sent, 0).UTC()
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("notifications of run %d: %w", runID, db.explain(err))
	}
	return out, nil
}
