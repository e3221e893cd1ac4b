package jobs

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"slices"

	"github.com/mcawatch/mcawatch/report"
	"github.com/mcawatch/mcawatch/report/notify"
	"github.com/mcawatch/mcawatch/storage"
)

// ResellerMail sends each indirect reseller its own workbook
// (notify.reseller_contacts): after a report written with
// report.split_by_reseller, every reseller with an address gets one email
// with its own folder's workbook and its own counts, never another's.
type ResellerMail struct {
	// Email is the server, credentials and sender; its To, Label and
	// AttachXLSX are set for each reseller.
	Email notify.Email
	// Contacts are the addresses by reseller id (lower-case).
	Contacts notify.ResellerContacts
}

// resellerChannel is the recorded channel name of a reseller's email; it
// names the reseller, never a credential.
func resellerChannel(id string) string { return "reseller " + id + " email" }

// sendResellers mails each reseller with an address its own workbook, once
// per run: a channel already recorded for the run is not sent again.
func (n *Notifier) sendResellers(ctx context.Context, db *storage.DB, out *Outcome, log *slog.Logger) {
	if n == nil || n.Resellers == nil || out == nil || out.Report == nil || !out.Report.Grouped() || out.Folder == "" {
		return
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	done := map[string]bool{}
	if db != nil {
		recs, err := db.Notifications(out.Run.ID)
		if err != nil {
			log.Warn("cannot tell which resellers were mailed; mailing", "run_id", out.Run.ID, "err", err)
		}
		for _, r := range recs {
			done[r.Channel] = true
		}
	}
	folders := out.Report.ResellerFolders()
	timeout := n.Timeout
	if timeout <= 0 {
		timeout = notifyTimeout
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
	defer cancel()
	sender := n.Sender
	if sender.Logger == nil {
		sender.Logger = log
	}
	var recs []storage.NotificationRecord
	for _, row := range out.Report.Resellers {
		to := n.Resellers.Contacts[row.ID]
		rel, ok := folders[row.ID]
		if len(to) == 0 || !ok || done[resellerChannel(row.ID)] {
			continue
		}
		xlsx := filepath.Join(out.Folder, rel, "report.xlsx")
		if _, err := os.Stat(xlsx); err != nil {
			log.Warn("reseller workbook missing: not mailed", "reseller_id", row.ID, "err", err)
			continue
		}
		e := n.Resellers.Email
		e.To = slices.Clone(to)
		e.Label = resellerChannel(row.ID)
		e.AttachXLSX = true
		m := resellerMessage(out, row, filepath.Join(out.Folder, rel), xlsx)
		for _, o := range sender.Send(sctx, []notify.Channel{&e}, m) {
			rec := storage.NotificationRecord{RunID: out.Run.ID, Event: storage.NotifyReport, Channel: o.Channel,
				Reasons: []string{"reseller"}, Outcome: storage.NotificationOK, Attempts: o.Attempts}
			if !o.OK() {
				rec.Outcome = o.Err.Error()
				log.Warn("reseller email failed", "reseller_id", row.ID, "attempts", o.Attempts, "err", o.Err.Error())
			} else {
				log.Info("reseller email sent", "reseller_id", row.ID, "attempts", o.Attempts)
			}
			recs = append(recs, rec)
		}
	}
	if db != nil {
		if err := db.RecordNotifications(recs); err != nil {
			log.Warn("record reseller emails", "run_id", out.Run.ID, "err", err)
		}
	}
}

// resellerMessage is a reseller's email: its own counts and workbook, and
// no customer of anyone else.
func resellerMessage(out *Outcome, row report.ResellerRow, folder, xlsx string) notify.Message {
	return notify.Message{
		RunID: out.Run.ID, RunKind: out.Run.Kind, Started: out.Run.Started, Finished: out.Run.Finished,
		Outcome: notify.OutcomeOK, ReportDir: folder, XLSXPath: xlsx,
		Counts: notify.Counts{
			Customers: row.Customers, Accepted: row.Accepted, Outdated: row.Outdated, Missing: row.Missing,
			Errors: row.Errors, Blocked: row.Blocked,
		},
	}
}
