package jobs

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/mcawatch/mcawatch/report/notify"
	"github.com/mcawatch/mcawatch/storage"
)

// notifyTimeout bounds one notification, every channel and retry
// included, when Notifier.Timeout is 0.
const notifyTimeout = 2 * time.Minute

// notifyAfterStop bounds a notification sent after the sweep's context
// ended (SIGTERM, a stopping scheduler): the process is expected to exit
// soon, and a container runtime kills it after a grace period (30 s by
// default in Kubernetes).
const notifyAfterStop = 20 * time.Second

// Notifier tells people about a sweep: after its report is written, and
// when it fails or is interrupted. Each run is notified at most once per
// event (storage.NotifyReport, storage.NotifyFailed), checked in the
// database before sending and recorded after, so --resume, a re-rendered
// report or a restarted scheduler never repeats a message. A channel that
// fails is logged and recorded; it never changes the sweep's outcome.
type Notifier struct {
	On       []string         // the notify.on triggers that send; none: nothing is sent
	Channels []notify.Channel // webhooks and email; none: nothing is sent
	Sender   notify.Sender    // retries; its zero value is ready (Logger defaults to the sweep's)
	Timeout  time.Duration    // bounds one notification; 0: 2 minutes
	// Resellers, when set, mails each indirect reseller its own workbook
	// after the report (see ResellerMail); nil: no reseller is mailed.
	Resellers *ResellerMail
}

// active reports whether n can send anything.
func (n *Notifier) active() bool {
	return n != nil && len(n.Channels) > 0
}

// Report notifies about a sweep whose report is written.
func (n *Notifier) Report(ctx context.Context, db *storage.DB, out *Outcome, log *slog.Logger) {
	if n == nil || out == nil || out.Report == nil {
		return
	}
	if n.active() {
		n.send(ctx, db, out.Run.ID, storage.NotifyReport, ReportMessage(out), log)
	}
	n.sendResellers(ctx, db, out, log)
}

// Failure notifies about a sweep that failed or was interrupted with err.
// run is the run it worked on, nil when it failed before one was stored;
// kind and started describe the sweep then.
func (n *Notifier) Failure(ctx context.Context, db *storage.DB, run *storage.Run, kind string, started, finished time.Time, err error, log *slog.Logger) {
	if !n.active() || err == nil || !notifiable(err) {
		return
	}
	m := notify.Message{RunKind: kind, Started: started, Finished: finished, Outcome: notify.OutcomeFailed, Reason: err.Error()}
	if errors.Is(err, ErrInterrupted) || errors.Is(err, context.Canceled) {
		m.Outcome = notify.OutcomeInterrupted
	}
	var runID int64
	if run != nil {
		runID = run.ID
		m.RunID, m.RunKind, m.Started = run.ID, run.Kind, run.Started
		m.Counts.Customers = run.Customers
		m.ReportDir = run.ReportDir
	}
	n.send(ctx, db, runID, storage.NotifyFailed, m, log)
}

// notifiable reports whether a sweep that ended with err is news: another
// sweep holding the database, or nothing to resume, is not a failed sweep.
func notifiable(err error) bool {
	return !errors.Is(err, storage.ErrLocked) && !errors.Is(err, ErrNothingToResume) && !errors.Is(err, storage.ErrStaleRun)
}

// send delivers m when n's triggers fire for it and the run was not
// already notified about event, and records each channel's outcome.
func (n *Notifier) send(ctx context.Context, db *storage.DB, runID int64, event storage.NotificationEvent, m notify.Message, log *slog.Logger) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	reasons := notify.Reasons(n.On, m)
	if len(reasons) == 0 {
		return
	}
	if runID != 0 && db != nil {
		switch done, err := db.Notified(runID, event); {
		case err != nil:
			// Telling people matters more than a possible repeat: a
			// database that cannot be read is itself worth a message.
			log.Warn("cannot tell whether the run was notified; notifying", "run_id", runID, "err", err)
		case done:
			log.Info("run already notified: not sent again", "run_id", runID, "event", string(event))
			return
		}
	}
	timeout := n.Timeout
	if timeout <= 0 {
		timeout = notifyTimeout
	}
	if ctx.Err() != nil {
		timeout = min(timeout, notifyAfterStop)
	}
	// The sweep's context may be cancelled (an interrupted sweep is worth a
	// message): the notification gets a deadline of its own.
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
	defer cancel()
	sender := n.Sender
	if sender.Logger == nil {
		sender.Logger = log
	}
	outcomes := sender.Send(sctx, n.Channels, m)
	recs := make([]storage.NotificationRecord, len(outcomes))
	for i, o := range outcomes {
		recs[i] = storage.NotificationRecord{RunID: runID, Event: event, Channel: o.Channel, Reasons: reasons, Outcome: storage.NotificationOK, Attempts: o.Attempts}
		if o.OK() {
			log.Info("notification sent", "run_id", runID, "channel", o.Channel, "reasons", reasons, "attempts", o.Attempts)
			continue
		}
		recs[i].Outcome = o.Err.Error()
		log.Warn("notification failed", "run_id", runID, "channel", o.Channel, "reasons", reasons, "attempts", o.Attempts, "err", o.Err.Error())
	}
	if db == nil {
		return
	}
	if err := db.RecordNotifications(recs); err != nil {
		log.Warn("record notifications", "run_id", runID, "err", err)
	}
}

// ReportMessage is the notification of a sweep whose report is written:
// its counts, the customers newly missing or outdated by company, the
// removed records, the report folder and its workbook.
func ReportMessage(out *Outcome) notify.Message {
	r, s := out.Report, out.Report.Summary
	m := notify.Message{
		RunID: out.Run.ID, RunKind: out.Run.Kind, Started: out.Run.Started, Finished: out.Run.Finished,
		Outcome: notify.OutcomeOK, ReportDir: out.Folder,
		Counts: notify.Counts{
			Customers: s.Customers, Accepted: s.Accepted, DirectSigned: s.DirectSigned,
			Outdated: s.Outdated, Missing: s.Missing, Errors: s.Errors, New: s.New, Removed: s.Removed,
			NewlyMissing: s.NewlyMissing, NewlyOutdated: s.NewlyOutdated, Blocked: s.Blocked,
		},
	}
	for _, row := range r.Missing {
		if row.Newly {
			m.NewlyMissing = append(m.NewlyMissing, notifyCustomer(row.Customer, row.MissingSince))
		}
	}
	for _, row := range r.Outdated {
		if row.Newly {
			m.NewlyOutdated = append(m.NewlyOutdated, notifyCustomer(row.Customer, row.OutdatedSince))
		}
	}
	for _, row := range r.Removed {
		m.Removed = append(m.Removed, notify.Record{
			CustomerID: row.Customer.ID, CompanyName: row.Customer.CompanyName,
			AgreementType: row.Acceptance.Type, DateAgreed: row.Acceptance.DateAgreed, TemplateID: row.Acceptance.TemplateID,
		})
	}
	if out.Folder != "" {
		xlsx := filepath.Join(out.Folder, "report.xlsx")
		if _, err := os.Stat(xlsx); err == nil {
			m.XLSXPath = xlsx
		}
	}
	return m
}

func notifyCustomer(c storage.Customer, since time.Time) notify.Customer {
	return notify.Customer{ID: c.ID, CompanyName: c.CompanyName, Domain: c.Domain, Since: since}
}
