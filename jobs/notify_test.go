package jobs

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mcawatch/mcawatch/fetch"
	"github.com/mcawatch/mcawatch/fetch/pctest"
	"github.com/mcawatch/mcawatch/report"
	"github.com/mcawatch/mcawatch/report/notify"
	"github.com/mcawatch/mcawatch/storage"
)

// receiver is an httptest webhook receiver; its URL holds a secret path, as
// real webhook URLs do.
type receiver struct {
	srv    *httptest.Server
	secret string
	mu     sync.Mutex
	bodies [][]byte
	fail   int // answer 500 to this many requests first, echoing the URL
}

func newReceiver(t *testing.T, fail int) *receiver {
	t.Helper()
	r := &receiver{secret: fmt.Sprintf("hook-secret-%d-%s", fail, strings.ReplaceAll(t.Name(), "/", "-")), fail: fail}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		defer r.mu.Unlock()
		if r.fail > 0 {
			r.fail--
			// A careless receiver quotes the URL it was called on.
			http.Error(w, "upstream broke while handling "+req.URL.String(), http.StatusInternalServerError)
			return
		}
		r.bodies = append(r.bodies, body)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) url() string { return r.srv.URL + "/webhook/" + r.secret }

func (r *receiver) received() [][]byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([][]byte(nil), r.bodies...)
}

func mustWebhook(t *testing.T, format string, r *receiver, n int) *notify.Webhook {
	t.Helper()
	w, err := notify.NewWebhook(format, r.url(), n)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// waits records the notification retries' waits instead of sleeping.
type waits struct {
	mu sync.Mutex
	d  []time.Duration
}

func (w *waits) sleep(_ context.Context, d time.Duration) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.d = append(w.d, d)
	return nil
}

// logBuffer is a JSON log a test can read while the sweep writes it.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func (l *logBuffer) logger() *slog.Logger {
	return slog.New(slog.NewJSONHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// jsonPayload is the part of the json format these tests read.
type jsonPayload struct {
	Event        string `json:"event"`
	RunID        int64  `json:"run_id"`
	Outcome      string `json:"outcome"`
	Reason       string `json:"reason"`
	ReportDir    string `json:"report_dir"`
	NewlyMissing []struct {
		CustomerID  string `json:"customer_id"`
		CompanyName string `json:"company_name"`
		Since       string `json:"since"`
	} `json:"newly_missing"`
	Removed []struct {
		CustomerID string `json:"customer_id"`
	} `json:"removed"`
	Counts notify.Counts `json:"counts"`
}

func mustDecode(t *testing.T, b []byte) jsonPayload {
	t.Helper()
	var p jsonPayload
	if err := json.Unmarshal(b, &p); err != nil {
		t.Fatalf("json payload %s: %v", b, err)
	}
	return p
}

// loseAgreement makes n accepted customers of srv lose every MCA record and
// answer "not direct-signed", so the next sweep finds them newly missing
// with Removed records; it returns their ids.
func loseAgreement(t *testing.T, srv *pctest.Server, n int) []string {
	t.Helper()
	var ids []string
	for _, c := range srv.Customers() {
		if len(ids) == n {
			break
		}
		if c.Standing(pctest.DefaultCurrentSince) != pctest.StandingAccepted {
			continue
		}
		for _, typ := range []string{"MicrosoftCustomerAgreement", "microsoftCustomerAgreement"} {
			if err := srv.RemoveAgreements(c.ID, typ); err != nil {
				t.Fatal(err)
			}
		}
		if err := srv.SetDirectSigned(c.ID, false); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, c.ID)
	}
	if len(ids) != n {
		t.Fatalf("only %d accepted customers to change, want %d", len(ids), n)
	}
	return ids
}

// assertNoSecret fails when any of the secrets appears in text.
func assertNoSecret(t *testing.T, where, text string, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if strings.Contains(text, s) {
			t.Errorf("%s holds the secret %q", where, s)
		}
	}
}

// filesText is every file under dir, concatenated.
func filesText(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			// Folders, and links such as reports/latest, are read through
			// what they hold.
			return err
		}
		data, err := os.ReadFile(path)
		b.Write(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestSweep_Notify_WebhooksToldOnceOfNewlyMissing(t *testing.T) {
	srv := newServer(t, 60, pctest.Faults{})
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "m.db")
	db := mustOpenDB(t, dbPath)
	teams, slack, plain := newReceiver(t, 0), newReceiver(t, 0), newReceiver(t, 1)
	var w waits
	var logs logBuffer
	notifier := &Notifier{
		On:       notify.Triggers(),
		Channels: []notify.Channel{mustWebhook(t, "teams", teams, 1), mustWebhook(t, "slack", slack, 2), mustWebhook(t, "json", plain, 3)},
		Sender:   notify.Sender{Sleep: w.sleep},
	}
	opts := SweepOptions{Kind: "run", Report: report.WriteOptions{Dir: filepath.Join(dir, "reports")}, Notify: notifier, Logger: logs.logger()}

	// The first run is the baseline: nothing is newly anything, no error
	// alarms (customers without a reseller relationship do not), so
	// nobody is told.
	if _, err := Sweep(context.Background(), db, newClient(t, srv, 8), opts); err != nil {
		t.Fatalf("first Sweep() = %v", err)
	}
	if n := len(plain.received()) + len(teams.received()) + len(slack.received()); n != 0 {
		t.Fatalf("a baseline run with nothing to tell sent %d messages", n)
	}

	lost := loseAgreement(t, srv, 2)
	out, err := Sweep(context.Background(), db, newClient(t, srv, 8), opts)
	if err != nil {
		t.Fatalf("second Sweep() = %v", err)
	}
	for name, r := range map[string]*receiver{"teams": teams, "slack": slack, "json": plain} {
		if got := len(r.received()); got != 1 {
			t.Fatalf("%s receiver got %d messages, want 1", name, got)
		}
	}
	p := mustDecode(t, plain.received()[0])
	if p.RunID != out.Run.ID || p.Outcome != "ok" || p.ReportDir != out.Folder {
		t.Errorf("json payload run %d outcome %q report_dir %q, want run %d ok %q", p.RunID, p.Outcome, p.ReportDir, out.Run.ID, out.Folder)
	}
	var gotIDs []string
	for _, c := range p.NewlyMissing {
		gotIDs = append(gotIDs, c.CustomerID)
		cust, _ := srv.Customer(c.CustomerID)
		if c.CompanyName != cust.CompanyName || c.Since != out.Run.Started.UTC().Format(time.RFC3339) {
			t.Errorf("newly missing %s: company %q since %q, want %q since the run's start %s", c.CustomerID, c.CompanyName, c.Since, cust.CompanyName, out.Run.Started.UTC().Format(time.RFC3339))
		}
	}
	sort.Strings(gotIDs)
	sort.Strings(lost)
	if strings.Join(gotIDs, ",") != strings.Join(lost, ",") {
		t.Errorf("newly missing = %v, want the customers that lost their agreement %v", gotIDs, lost)
	}
	s := out.Report.Summary
	if p.Counts.NewlyMissing != 2 || p.Counts.Missing != s.Missing || p.Counts.Removed != s.Removed || p.Counts.Errors != s.Errors || len(p.Removed) != s.Removed || s.Removed == 0 {
		t.Errorf("json counts %+v (%d removed listed), want the report's summary %+v", p.Counts, len(p.Removed), s)
	}

	recs, err := db.Notifications(out.Run.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 3 {
		t.Fatalf("notifications of run %d = %+v, want one record a channel", out.Run.ID, recs)
	}
	byChannel := map[string]storage.NotificationRecord{}
	for _, r := range recs {
		byChannel[r.Channel] = r
		if !r.OK() || r.Event != storage.NotifyReport || strings.Join(r.Reasons, ",") != "newly_missing,removed" {
			t.Errorf("record %+v: want ok, event report, reasons newly_missing,removed", r)
		}
	}
	if got := byChannel["json webhook #3"].Attempts; got != 2 {
		t.Errorf("json webhook attempts = %d, want 2 (a 500, then delivered)", got)
	}
	if len(w.d) != 1 || w.d[0] != 2*time.Second {
		t.Errorf("retry waits = %v, want one of 2s", w.d)
	}

	// Asking again (as a resumed or restarted process would) sends nothing.
	notifier.Report(context.Background(), db, out, logs.logger())
	// A re-rendered report is not a sweep: nobody is told.
	if _, err := Render(db, out.Run.ID, 0, RenderOptions{Write: report.WriteOptions{Dir: filepath.Join(dir, "again")}}); err != nil {
		t.Fatal(err)
	}
	// A third run with no change has nothing to tell.
	if _, err := Sweep(context.Background(), db, newClient(t, srv, 8), opts); err != nil {
		t.Fatalf("third Sweep() = %v", err)
	}
	for name, r := range map[string]*receiver{"teams": teams, "slack": slack, "json": plain} {
		if got := len(r.received()); got != 1 {
			t.Errorf("%s receiver got %d messages after a repeat, a re-render and a quiet run, want still 1", name, got)
		}
	}
	if recs, _ := db.Notifications(out.Run.ID); len(recs) != 3 {
		t.Errorf("notifications of run %d after the repeat = %d, want still 3", out.Run.ID, len(recs))
	}
	if !strings.Contains(logs.String(), "run already notified") {
		t.Errorf("the repeat was not logged as already notified:\n%s", logs.String())
	}

	// The webhook URLs are secrets: not in the log (the 500 quoted one),
	// the database or the reports.
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	dbText := ""
	for _, suffix := range []string{"", "-wal"} {
		b, _ := os.ReadFile(dbPath + suffix)
		dbText += string(b)
	}
	for _, r := range []*receiver{teams, slack, plain} {
		assertNoSecret(t, "the log", logs.String(), r.secret)
		assertNoSecret(t, "the database", dbText, r.secret)
		assertNoSecret(t, "the reports", filesText(t, filepath.Join(dir, "reports")), r.secret)
	}
	if !strings.Contains(logs.String(), "notification attempt failed") {
		t.Errorf("the failed attempt was not logged:\n%s", logs.String())
	}
}

func TestSweep_Notify_RefusedTokenSendsFailed(t *testing.T) {
	srv := newServer(t, 20, pctest.Faults{})
	dir := t.TempDir()
	db := mustOpenDB(t, filepath.Join(dir, "m.db"))
	hook := newReceiver(t, 0)
	client, err := fetch.New(fetch.Options{BaseURL: srv.URL(), Token: fetch.StaticToken("not-the-token"), MaxAttempts: 2, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	var logs logBuffer
	opts := SweepOptions{Kind: "run", Report: report.WriteOptions{Dir: filepath.Join(dir, "reports")}, Logger: logs.logger(),
		Notify: &Notifier{On: []string{notify.TriggerFailed}, Channels: []notify.Channel{mustWebhook(t, "json", hook, 1)}}}

	_, err = Sweep(context.Background(), db, client, opts)
	if !errors.Is(err, fetch.ErrUnauthorized) {
		t.Fatalf("Sweep() with a refused token = %v, want ErrUnauthorized", err)
	}
	got := hook.received()
	if len(got) != 1 {
		t.Fatalf("webhook got %d messages, want 1 failed message", len(got))
	}
	p := mustDecode(t, got[0])
	if p.Outcome != "failed" || p.RunID != 0 || !strings.Contains(p.Reason, "list customers") || p.ReportDir != "" {
		t.Errorf("failed message = %+v, want outcome failed, no run, the reason, no report", p)
	}
	recs, err := db.Notifications(0)
	if err != nil || len(recs) != 1 || recs[0].Event != storage.NotifyFailed || !recs[0].OK() {
		t.Fatalf("notifications without a run = %+v, %v; want one ok failed record", recs, err)
	}
	assertNoSecret(t, "the log", logs.String(), hook.secret, "not-the-token")
}

func TestSweep_Notify_FailedOffSendsNothing(t *testing.T) {
	srv := newServer(t, 10, pctest.Faults{})
	dir := t.TempDir()
	db := mustOpenDB(t, filepath.Join(dir, "m.db"))
	hook := newReceiver(t, 0)
	client, err := fetch.New(fetch.Options{BaseURL: srv.URL(), Token: fetch.StaticToken("not-the-token"), MaxAttempts: 1, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	opts := SweepOptions{Kind: "run", Report: report.WriteOptions{Dir: filepath.Join(dir, "reports")},
		Notify: &Notifier{On: []string{notify.TriggerNewlyMissing}, Channels: []notify.Channel{mustWebhook(t, "json", hook, 1)}}}
	if _, err := Sweep(context.Background(), db, client, opts); err == nil {
		t.Fatal("Sweep() with a refused token succeeded")
	}
	if n := len(hook.received()); n != 0 {
		t.Fatalf("webhook got %d messages with failed not in notify.on, want 0", n)
	}
}

func TestSweep_Notify_InterruptedToldOnceThenResumedReportTold(t *testing.T) {
	srv := newServer(t, 200, pctest.Faults{})
	cs := srv.Customers()
	srv.SetFaults(pctest.Faults{Customers: map[string]pctest.Fault{cs[150].ID: pctest.Fault404}})
	dir := t.TempDir()
	db := mustOpenDB(t, filepath.Join(dir, "m.db"))
	hook := newReceiver(t, 0)
	notifier := &Notifier{On: []string{notify.TriggerErrors, notify.TriggerFailed}, Channels: []notify.Channel{mustWebhook(t, "json", hook, 1)}}
	opts := SweepOptions{Kind: "backfill", Report: report.WriteOptions{Dir: filepath.Join(dir, "reports")}, Notify: notifier, BatchSize: 10}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	interrupted := opts
	interrupted.Progress = &cancelAfter{n: 20, cancel: cancel}
	_, err := Sweep(ctx, db, newClient(t, srv, 1), interrupted)
	if !errors.Is(err, ErrInterrupted) {
		t.Fatalf("Sweep() cancelled = %v, want ErrInterrupted", err)
	}
	got := hook.received()
	if len(got) != 1 {
		t.Fatalf("webhook got %d messages after the interruption, want 1", len(got))
	}
	if p := mustDecode(t, got[0]); p.Outcome != "interrupted" || p.RunID != 1 {
		t.Fatalf("interrupted message = %+v, want outcome interrupted for run 1", p)
	}

	resumed := opts
	resumed.Resume = true
	out, err := Sweep(context.Background(), db, newClient(t, srv, 4), resumed)
	if err != nil {
		t.Fatalf("resumed Sweep() = %v", err)
	}
	got = hook.received()
	if len(got) != 2 {
		t.Fatalf("webhook got %d messages after the resume, want 2 (the interruption, then the report)", len(got))
	}
	if p := mustDecode(t, got[1]); p.Outcome != "ok" || p.RunID != 1 || p.ReportDir != out.Folder || p.Counts.Errors != 1 {
		t.Fatalf("resumed run's message = %+v, want run 1's report with its 1 error", p)
	}
	// A second --resume has nothing to resume, which is not news.
	if _, err := Sweep(context.Background(), db, newClient(t, srv, 4), resumed); !errors.Is(err, ErrNothingToResume) {
		t.Fatalf("second resume = %v, want ErrNothingToResume", err)
	}
	// The interruption again (a process that stopped twice) is not told twice.
	notifier.Failure(context.Background(), db, &out.Run, "backfill", out.Run.Started, out.Run.Finished, ErrInterrupted, nil)
	if n := len(hook.received()); n != 2 {
		t.Fatalf("webhook got %d messages, want still 2", n)
	}
	recs, err := db.Notifications(1)
	if err != nil || len(recs) != 2 || recs[0].Event != storage.NotifyFailed || recs[1].Event != storage.NotifyReport {
		t.Fatalf("notifications of run 1 = %+v, %v; want failed then report", recs, err)
	}
}

func TestSweep_Notify_SMTPDownKeepsReportAndOutcome(t *testing.T) {
	srv := newServer(t, 30, pctest.Faults{})
	dir := t.TempDir()
	db := mustOpenDB(t, filepath.Join(dir, "m.db"))
	// A port nobody listens on: the mail server is down.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	const password = "smtp-password-never-logged"
	var w waits
	var logs logBuffer
	mail := &notify.Email{Host: "127.0.0.1", Port: port, Username: "mcawatch", Password: password,
		From: "mcawatch@example.com", To: []string{"compliance@example.com"}, AttachXLSX: true, Timeout: 2 * time.Second}
	opts := SweepOptions{Kind: "run", Report: report.WriteOptions{Dir: filepath.Join(dir, "reports")}, Logger: logs.logger(),
		Notify: &Notifier{On: []string{notify.TriggerErrors}, Channels: []notify.Channel{mail}, Sender: notify.Sender{Sleep: w.sleep}}}
	cs := srv.Customers()
	srv.SetFaults(pctest.Faults{Customers: map[string]pctest.Fault{cs[2].ID: pctest.Fault404}})

	out, err := Sweep(context.Background(), db, newClient(t, srv, 4), opts)
	if err != nil {
		t.Fatalf("Sweep() with the mail server down = %v, want the sweep's own success", err)
	}
	if _, err := os.Stat(filepath.Join(out.Folder, "report.xlsx")); err != nil {
		t.Fatalf("report not written: %v", err)
	}
	recs, err := db.Notifications(out.Run.ID)
	if err != nil || len(recs) != 1 {
		t.Fatalf("notifications = %+v, %v; want one record", recs, err)
	}
	if r := recs[0]; r.OK() || r.Attempts != 3 || r.Channel != "email to compliance@example.com" || r.Outcome == "" {
		t.Errorf("record = %+v, want a failure after 3 attempts to the email channel", r)
	}
	if len(w.d) != 2 {
		t.Errorf("retry waits = %v, want 2", w.d)
	}
	if !strings.Contains(logs.String(), `"msg":"notification failed"`) {
		t.Errorf("the failed channel was not logged:\n%s", logs.String())
	}
	assertNoSecret(t, "the log", logs.String(), password)
	assertNoSecret(t, "the record", recs[0].Outcome, password)
}

// TestNotifier_Report_RestartedProcessDoesNotRepeat is a scheduler that
// stopped and started again: a new Notifier on a newly opened database
// finds the run already notified.
func TestNotifier_Report_RestartedProcessDoesNotRepeat(t *testing.T) {
	srv := newServer(t, 30, pctest.Faults{})
	cs := srv.Customers()
	srv.SetFaults(pctest.Faults{Customers: map[string]pctest.Fault{cs[1].ID: pctest.Fault404}})
	dir := t.TempDir()
	path := filepath.Join(dir, "m.db")
	db, err := storage.Open(path, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	hook := newReceiver(t, 0)
	channels := func() []notify.Channel { return []notify.Channel{mustWebhook(t, "json", hook, 1)} }
	opts := SweepOptions{Kind: "run", Report: report.WriteOptions{Dir: filepath.Join(dir, "reports")},
		Notify: &Notifier{On: []string{notify.TriggerErrors}, Channels: channels()}}
	out, err := Sweep(context.Background(), db, newClient(t, srv, 4), opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if n := len(hook.received()); n != 1 {
		t.Fatalf("webhook got %d messages for a run with an error, want 1", n)
	}

	again := mustOpenDB(t, path)
	restarted := &Notifier{On: []string{notify.TriggerErrors}, Channels: channels()}
	restarted.Report(context.Background(), again, out, nil)
	if n := len(hook.received()); n != 1 {
		t.Fatalf("after a restart the webhook got %d messages, want still 1", n)
	}
}
