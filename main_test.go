package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mcawatch/mcawatch/config"
	"github.com/mcawatch/mcawatch/fetch/pctest"
	"github.com/mcawatch/mcawatch/storage"
)

// These tests build the mcawatch binary and run it as a user would, against
// the built-in Partner Center served by the test process on loopback.

const e2eToken = "e2e-access-token"

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// mcawatchBin builds the binary once for all tests.
func mcawatchBin(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "mcawatch-e2e-")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "mcawatch")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			binErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binPath != "" {
		os.RemoveAll(filepath.Dir(binPath))
	}
	os.Exit(code)
}

// result is one finished invocation.
type result struct {
	stdout, stderr string
	code           int
}

func (r result) lastLine() string {
	lines := strings.Split(strings.TrimRight(r.stdout, "\n"), "\n")
	return lines[len(lines)-1]
}

// workspace is one user's folder: a config, a database, reports.
type workspace struct {
	t      *testing.T
	dir    string
	config string
	db     string
	srv    *pctest.Server
}

func newWorkspace(t *testing.T, srv *pctest.Server, extra string) *workspace {
	t.Helper()
	dir := t.TempDir()
	w := &workspace{t: t, dir: dir, config: filepath.Join(dir, "mcawatch.yaml"), db: filepath.Join(dir, "mcawatch.db"), srv: srv}
	cfg := fmt.Sprintf(`partner_center:
  base_url: %s
auth:
  access_token_env: E2E_TOKEN
fetch:
  concurrency: 8
  timeout: 5s
  max_attempts: 4
storage:
  path: %s
report:
  dir: %s
%s`, srv.URL(), w.db, filepath.Join(dir, "reports"), extra)
	if err := os.WriteFile(w.config, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return w
}

func (w *workspace) command(args ...string) *exec.Cmd {
	cmd := exec.Command(mcawatchBin(w.t), args...)
	cmd.Dir = w.dir
	cmd.Env = append(os.Environ(), "E2E_TOKEN="+e2eToken, "MCAWATCH_CONFIG="+w.config)
	return cmd
}

func (w *workspace) run(args ...string) result {
	w.t.Helper()
	cmd := w.command(args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		w.t.Fatalf("run %v: %v", args, err)
	}
	return result{stdout: stdout.String(), stderr: stderr.String(), code: code}
}

func newE2EServer(t *testing.T, customers int, seed int64) *pctest.Server {
	t.Helper()
	srv := pctest.New(pctest.Options{Customers: customers, Seed: seed, Token: e2eToken})
	t.Cleanup(srv.Close)
	return srv
}

// readCSV reads a report CSV: header and rows.
func readCSV(t *testing.T, path string) ([]string, [][]string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if len(recs) == 0 {
		t.Fatalf("%s: no header", path)
	}
	return recs[0], recs[1:]
}

// neutral is the CSV form of a text cell (formula-like starts get a quote).
func neutral(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r\n\x00", rune(s[0])) {
		return "'" + s
	}
	return s
}

func rfc3339(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

const mca = "MicrosoftCustomerAgreement"

// mcaRecords are c's MCA records as a report shows them: the type in its
// canonical spelling, a record repeated in one answer once.
func mcaRecords(c pctest.Customer) []pctest.Agreement {
	var out []pctest.Agreement
	seen := map[string]bool{}
	for _, a := range c.Agreements {
		if !strings.EqualFold(a.Type, mca) {
			continue
		}
		a.Type = mca
		if k := recordKey(a); !seen[k] {
			seen[k] = true
			out = append(out, a)
		}
	}
	return out
}

func recordKey(a pctest.Agreement) string {
	return a.Type + "|" + rfc3339(a.DateAgreed) + "|" + a.TemplateID
}

// sortedRows sorts rows by their text so sets compare.
func sortedRows(rows [][]string) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = strings.Join(r, "\x1f")
	}
	sort.Strings(out)
	return out
}

func compareRows(t *testing.T, file string, got [][]string, want [][]string) {
	t.Helper()
	g, w := sortedRows(got), sortedRows(want)
	if strings.Join(g, "\n") == strings.Join(w, "\n") {
		return
	}
	t.Errorf("%s: %d rows, want %d", file, len(g), len(w))
	gs, ws := map[string]bool{}, map[string]bool{}
	for _, r := range g {
		gs[r] = true
	}
	for _, r := range w {
		ws[r] = true
	}
	for _, r := range w {
		if !gs[r] {
			t.Errorf("%s: missing row %q", file, strings.ReplaceAll(r, "\x1f", " | "))
		}
	}
	for _, r := range g {
		if !ws[r] {
			t.Errorf("%s: unexpected row %q", file, strings.ReplaceAll(r, "\x1f", " | "))
		}
	}
}

func wantHeader(t *testing.T, file string, got []string, want string) {
	t.Helper()
	if strings.Join(got, ",") != want {
		t.Fatalf("%s header = %s, want %s", file, strings.Join(got, ","), want)
	}
}

func TestE2E_Demo(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command(mcawatchBin(t), "demo", "--out", dir, "--customers", "120")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("demo: %v\n%s", err, stderr.String())
	}
	r := result{stdout: stdout.String()}
	folder := r.lastLine()
	for _, f := range []string{"report.xlsx", "missing.csv", "new.csv", "removed.csv", "errors.csv", "acceptances.csv"} {
		if _, err := os.Stat(filepath.Join(folder, f)); err != nil {
			t.Errorf("demo report lacks %s: %v", f, err)
		}
	}
	_, errs := readCSV(t, filepath.Join(folder, "errors.csv"))
	_, news := readCSV(t, filepath.Join(folder, "new.csv"))
	if len(errs) == 0 || len(news) == 0 {
		t.Fatalf("demo second report has %d errors and %d new rows, want some of each:\n%s", len(errs), len(news), stdout.String())
	}
	t.Run("opens in LibreOffice", func(t *testing.T) {
		soffice, err := exec.LookPath("soffice")
		switch {
		case err != nil && os.Getenv("CI") != "":
			t.Fatal("soffice not on PATH in CI: .ci/run installs libreoffice-calc-nogui, and the workbook check must not be skipped")
		case err != nil:
			t.Skip("soffice not on PATH: install libreoffice-calc-nogui (.ci/run does) to check the demo workbook opens")
		}
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		out := t.TempDir()
		output, err := exec.CommandContext(ctx, soffice, "-env:UserInstallation=file://"+t.TempDir(),
			"--headless", "--norestore", "--convert-to", "pdf", "--outdir", out,
			filepath.Join(folder, "report.xlsx")).CombinedOutput()
		if err != nil {
			t.Fatalf("soffice --convert-to pdf: %v\n%s", err, output)
		}
		// soffice exits 0 even when it cannot load a file; it says so on a line.
		for _, line := range strings.Split(string(output), "\n") {
			if strings.HasPrefix(strings.TrimSpace(line), "Error") {
				t.Fatalf("soffice reported an error:\n%s", output)
			}
		}
		if fi, err := os.Stat(filepath.Join(out, "report.pdf")); err != nil || fi.Size() == 0 {
			t.Fatalf("no PDF from the demo workbook (%v):\n%s", err, output)
		}
	})
}

// TestE2E_TwoRuns checks every CSV of a second run row by row against what
// the portfolio changes between the runs must produce.
func TestE2E_TwoRuns(t *testing.T) {
	srv := newE2EServer(t, 150, 11)
	cs := srv.Customers()
	failing := map[string]pctest.Fault{cs[4].ID: pctest.Fault403, cs[9].ID: pctest.Fault404}
	srv.SetFaults(pctest.Faults{Customers: failing, Rates: map[pctest.Fault]float64{pctest.Fault503: 0.02}})
	w := newWorkspace(t, srv, "")

	r1 := w.run("run")
	if r1.code != 0 {
		t.Fatalf("first run exit %d:\n%s", r1.code, r1.stderr)
	}
	before := map[string]pctest.Customer{}
	for _, c := range srv.Customers() {
		before[c.ID] = c
	}
	_, missing1 := readCSV(t, filepath.Join(r1.lastLine(), "missing.csv"))
	since1 := map[string]string{}
	for _, row := range missing1 {
		since1[row[0]] = row[3]
	}

	changes := srv.Evolve(5, 3)
	// Runs are timed to the second: let the second start in a later one, so
	// a newly missing customer's missing_since differs from the first run's.
	time.Sleep(1100 * time.Millisecond)
	r2 := w.run("run", "--json")
	if r2.code != 0 {
		t.Fatalf("second run exit %d:\n%s", r2.code, r2.stderr)
	}
	var out struct {
		RunID     int64  `json:"run_id"`
		ReportDir string `json:"report_dir"`
		Missing   int    `json:"missing"`
		New       int    `json:"new"`
		Joined    int    `json:"joined"`
		Left      int    `json:"left"`
		Errors    int    `json:"errors"`
	}
	if err := json.Unmarshal([]byte(r2.lastLine()), &out); err != nil {
		t.Fatalf("--json output %q: %v", r2.lastLine(), err)
	}
	if out.RunID != 2 || out.Joined != len(changes.Joined) || out.Left != len(changes.Left) || out.Errors != 2 {
		t.Fatalf("--json = %+v, want run 2, %d joined, %d left, 2 errors (customers without a reseller relationship are not counted)", out, len(changes.Joined), len(changes.Left))
	}
	folder := out.ReportDir

	var wantMissing, wantNew, wantRemoved, wantErrors, wantAcc [][]string
	for _, c := range srv.Customers() {
		if f, bad := failing[c.ID]; bad || !c.Commerce() {
			// A customer without a reseller relationship answers 403 (20002).
			code := map[pctest.Fault]string{pctest.Fault403: "403", pctest.Fault404: "404", "": "403"}[f]
			wantErrors = append(wantErrors, []string{c.ID, neutral(c.CompanyName), code})
			continue
		}
		recs := mcaRecords(c)
		standing := c.Standing(pctest.DefaultCurrentSince)
		if standing == pctest.StandingMissing {
			wantMissing = append(wantMissing, []string{c.ID, neutral(c.CompanyName), neutral(c.Domain)})
		}
		// The direct-sign status is asked of every customer without a
		// current acceptance: missing and outdated ones.
		directSigned := ""
		if standing != pctest.StandingAccepted {
			directSigned = fmt.Sprint(c.DirectSigned)
			if c.DirectSigned {
				wantAcc = append(wantAcc, []string{c.ID, neutral(c.CompanyName), "", "", "", "", "", "", "true"})
			}
		}
		prev, existed := before[c.ID]
		prevKeys := map[string]bool{}
		for _, a := range mcaRecords(prev) {
			prevKeys[recordKey(a)] = true
		}
		for _, a := range recs {
			name := strings.TrimSpace(a.FirstName + " " + a.LastName)
			wantAcc = append(wantAcc, []string{c.ID, neutral(c.CompanyName), a.Type, rfc3339(a.DateAgreed), a.TemplateID, neutral(name), neutral(a.Email), neutral(a.Phone), directSigned})
			if existed && prevKeys[recordKey(a)] {
				continue
			}
			var prevDate time.Time
			for _, p := range mcaRecords(prev) {
				if p.DateAgreed.Before(a.DateAgreed) && p.DateAgreed.After(prevDate) {
					prevDate = p.DateAgreed
				}
			}
			wantNew = append(wantNew, []string{c.ID, neutral(c.CompanyName), a.Type, rfc3339(a.DateAgreed), rfc3339(prevDate), a.TemplateID, neutral(name), neutral(a.Email), neutral(a.Phone)})
		}
		if existed {
			nowKeys := map[string]bool{}
			for _, a := range recs {
				nowKeys[recordKey(a)] = true
			}
			for _, a := range mcaRecords(prev) {
				if !nowKeys[recordKey(a)] {
					wantRemoved = append(wantRemoved, []string{c.ID, neutral(c.CompanyName), a.Type, rfc3339(a.DateAgreed), a.TemplateID})
				}
			}
		}
	}
	if len(wantNew) == 0 || len(wantRemoved) == 0 || len(wantMissing) == 0 {
		t.Fatalf("the changes produced %d new, %d removed, %d missing: the test needs some of each", len(wantNew), len(wantRemoved), len(wantMissing))
	}

	h, rows := readCSV(t, filepath.Join(folder, "missing.csv"))
	wantHeader(t, "missing.csv", h, "customer_id,company_name,domain,missing_since")
	var got [][]string
	for _, row := range rows {
		got = append(got, row[:3])
		if prev, ok := since1[row[0]]; ok && row[3] != prev {
			t.Errorf("missing.csv: %s missing_since %s, want %s carried from the first run", row[0], row[3], prev)
		}
		if _, ok := since1[row[0]]; !ok && row[3] <= missing1[0][3] {
			t.Errorf("missing.csv: newly missing %s has missing_since %s, not the second run's start", row[0], row[3])
		}
	}
	compareRows(t, "missing.csv", got, wantMissing)

	h, rows = readCSV(t, filepath.Join(folder, "new.csv"))
	wantHeader(t, "new.csv", h, "customer_id,company_name,agreement_type,date_agreed,previous_date_agreed,template_id,contact_name,contact_email,contact_phone")
	compareRows(t, "new.csv", rows, wantNew)

	h, rows = readCSV(t, filepath.Join(folder, "removed.csv"))
	wantHeader(t, "removed.csv", h, "customer_id,company_name,agreement_type,date_agreed,template_id")
	compareRows(t, "removed.csv", rows, wantRemoved)

	h, rows = readCSV(t, filepath.Join(folder, "errors.csv"))
	wantHeader(t, "errors.csv", h, "customer_id,company_name,http_status,error_code,message,attempts")
	got = nil
	for _, row := range rows {
		got = append(got, row[:3])
		if row[4] == "" || row[5] != "1" {
			t.Errorf("errors.csv: %v: want a message and 1 attempt (403/404 are not retried)", row)
		}
	}
	compareRows(t, "errors.csv", got, wantErrors)

	h, rows = readCSV(t, filepath.Join(folder, "acceptances.csv"))
	wantHeader(t, "acceptances.csv", h, "customer_id,company_name,agreement_type,date_agreed,template_id,contact_name,contact_email,contact_phone,direct_signed")
	compareRows(t, "acceptances.csv", rows, wantAcc)

	if fi, err := os.Stat(w.db); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("database mode = %v (%v), want 0600", fi.Mode().Perm(), err)
	}
	if fi, err := os.Stat(filepath.Join(folder, "report.xlsx")); err != nil || fi.Mode().Perm() != 0o640 {
		t.Errorf("report.xlsx mode = %v (%v), want 0640", fi.Mode().Perm(), err)
	}

	// runs lists both; report re-renders run 2 against run 1 with no network.
	rr := w.run("runs")
	if rr.code != 0 || !strings.Contains(rr.stdout, "complete") || strings.Count(rr.stdout, "\n") != 3 {
		t.Fatalf("runs exit %d:\n%s%s", rr.code, rr.stdout, rr.stderr)
	}
	before2 := srv.Stats().Requests
	rep := w.run("report", "--run", "2", "--against", "1", "--out", filepath.Join(w.dir, "again"))
	if rep.code != 0 {
		t.Fatalf("report exit %d:\n%s", rep.code, rep.stderr)
	}
	if srv.Stats().Requests != before2 {
		t.Fatal("report made Partner Center requests")
	}
	_, again := readCSV(t, filepath.Join(rep.lastLine(), "new.csv"))
	compareRows(t, "re-rendered new.csv", again, wantNew)
}

// waitForLine polls buf until it contains s.
func waitForLine(t *testing.T, buf *lockedBuffer, s string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if strings.Contains(buf.String(), s) {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no %q in stderr within %s:\n%s", s, timeout, buf.String())
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startUntil starts mcawatch in the background and returns once its
// stderr shows line; the process is killed when the test ends.
func (w *workspace) startUntil(line string, args ...string) *exec.Cmd {
	w.t.Helper()
	cmd := w.command(args...)
	stderr := &lockedBuffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		w.t.Fatal(err)
	}
	w.t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	waitForLine(w.t, stderr, line, 60*time.Second)
	return cmd
}

// withoutColumn drops column i of every row (times that differ between two
// databases by nature, like missing_since = the run's start).
func withoutColumn(rows [][]string, i int) [][]string {
	out := make([][]string, len(rows))
	for j, r := range rows {
		out[j] = append(append([]string{}, r[:i]...), r[i+1:]...)
	}
	return out
}

func TestE2E_KillAndResume(t *testing.T) {
	// 600 customers at 100 ms and 8 in flight take about 8 s: the first
	// batch is committed after 2 s (jobs.SweepOptions.FlushEvery), well
	// before the end.
	srv := newE2EServer(t, 600, 21)
	srv.SetFaults(pctest.Faults{Latency: 100 * time.Millisecond})
	w := newWorkspace(t, srv, "")

	cmd := w.startUntil("saved batch", "backfill", "--log-level", "debug")
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()

	resumed := w.run("backfill", "--resume")
	if resumed.code != 0 {
		t.Fatalf("backfill --resume exit %d:\n%s", resumed.code, resumed.stderr)
	}
	if runs := w.run("runs"); strings.Count(runs.stdout, "complete") != 1 || strings.Count(runs.stdout, "\n") != 2 {
		t.Fatalf("after resume, runs =\n%s", runs.stdout)
	}

	srv.SetFaults(pctest.Faults{})
	clean := newWorkspace(t, srv, "")
	whole := clean.run("backfill")
	if whole.code != 0 {
		t.Fatalf("uninterrupted backfill exit %d:\n%s", whole.code, whole.stderr)
	}
	for _, f := range []string{"missing.csv", "new.csv", "removed.csv", "errors.csv", "acceptances.csv"} {
		h1, a := readCSV(t, filepath.Join(resumed.lastLine(), f))
		h2, b := readCSV(t, filepath.Join(whole.lastLine(), f))
		wantHeader(t, f, h1, strings.Join(h2, ","))
		if f == "missing.csv" {
			a, b = withoutColumn(a, 3), withoutColumn(b, 3)
		}
		compareRows(t, "resumed "+f, a, b)
	}
}

func TestE2E_FailOnMissing(t *testing.T) {
	srv := newE2EServer(t, 40, 41)
	w := newWorkspace(t, srv, "")
	r := w.run("run", "--fail-on", "missing")
	if r.code != 3 {
		t.Fatalf("run --fail-on missing exit %d, want 3:\n%s", r.code, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(r.lastLine(), "missing.csv")); err != nil {
		t.Fatalf("the report folder is still the last stdout line: %v", err)
	}
	if r := w.run("run", "--fail-on", "changes"); r.code != 0 {
		t.Fatalf("run --fail-on changes with nothing changed: exit %d, want 0:\n%s", r.code, r.stderr)
	}
}

func TestE2E_BadInputChangesNothing(t *testing.T) {
	srv := newE2EServer(t, 20, 51)
	w := newWorkspace(t, srv, "")
	if r := w.run("run"); r.code != 0 {
		t.Fatalf("setup run exit %d:\n%s", r.code, r.stderr)
	}
	dbBefore, err := os.ReadFile(w.db)
	if err != nil {
		t.Fatal(err)
	}
	requests := srv.Stats().Requests

	custFile := filepath.Join(w.dir, "customers.txt")
	ids := srv.Customers()
	body := "\ufeff" + ids[0].ID + "\r\n\r\n" + ids[1].ID + "\r\n" + ids[0].ID + "\r\nnot-a-tenant\r\n"
	if err := os.WriteFile(custFile, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, config, want string
	}{
		{"unknown key", "agreements:\n  typez: [MicrosoftCustomerAgreement]\n", "mcawatch.yaml:2: agreements.typez"},
		{"bad cron", "schedule:\n  cron: \"CRON_TZ=UTC\"\n", "schedule.cron"},
		{"bad customer id", "customers:\n  source: file\n  file: customers.txt\n", "customers.txt:5:"},
	}
	base, err := os.ReadFile(w.config)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// A broken setting first, so its line number is known, then what
			// points the run at this workspace's database and server.
			content := tt.config + string(base)
			if tt.name == "bad customer id" {
				content = string(base) + "customers:\n  source: file\n  file: " + custFile + "\n"
			}
			w2 := *w
			w2.config = filepath.Join(t.TempDir(), "mcawatch.yaml")
			if err := os.WriteFile(w2.config, []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			r := w2.run("run")
			if r.code != 2 || !strings.Contains(r.stderr, tt.want) {
				t.Fatalf("exit %d, stderr:\n%s\nwant exit 2 and %q", r.code, r.stderr, tt.want)
			}
			after, err := os.ReadFile(w.db)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(after, dbBefore) {
				t.Fatal("the database changed")
			}
			if got := srv.Stats().Requests; got != requests {
				t.Fatalf("%d requests made", got-requests)
			}
		})
	}
}

// waitStatus waits for a started command and returns its exit status.
func waitStatus(t *testing.T, cmd *exec.Cmd) int {
	t.Helper()
	err := cmd.Wait()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.ExitCode()
	}
	t.Fatal(err)
	return -1
}

// TestE2E_ExitStatus: each kind of failure has its own exit status, so
// cron and Kubernetes can tell them apart (DESIGN.md's table): bad config
// 2, a refused token 4, another sweep holding the database 5 (the second
// run names the first's run and pid), SIGTERM 130.
func TestE2E_ExitStatus(t *testing.T) {
	srv := newE2EServer(t, 30, 61)
	tests := []struct {
		name  string
		extra string
		env   []string
		args  []string
		code  int
		want  string
	}{
		{"bad config", "log:\n  level: loud\n", nil, []string{"run"}, 2, "log.level: must be one of"},
		{"sweeps every 30 seconds", "schedule:\n  cron: \"@every 30s\"\n", nil, []string{"serve"}, 2, "the shortest schedule is @every 1m"},
		{"bad flag", "", nil, []string{"run", "--no-such-flag"}, 2, "flag provided but not defined"},
		{"bad --fail-on", "", nil, []string{"run", "--fail-on", "everything"}, 2, "want missing, outdated or changes"},
		{"stray argument", "", nil, []string{"runs", "extra"}, 2, "unexpected argument"},
		{"token refused", "", []string{"E2E_TOKEN=not-the-token"}, []string{"run"}, 4, "unauthorized"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorkspace(t, srv, tt.extra)
			cmd := w.command(tt.args...)
			cmd.Env = append(cmd.Env, tt.env...)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			// A refused config exits at once; "serve" with a schedule it
			// wrongly accepts would run until stopped.
			stop := time.AfterFunc(60*time.Second, func() { _ = cmd.Process.Kill() })
			defer stop.Stop()
			if got := waitStatus(t, cmd); got != tt.code || !strings.Contains(stderr.String(), tt.want) {
				t.Fatalf("mcawatch %v: exit %d, want %d and %q:\n%s", tt.args, got, tt.code, tt.want, stderr.String())
			}
		})
	}

	t.Run("lock held", func(t *testing.T) {
		slow := newE2EServer(t, 200, 31)
		slow.SetFaults(pctest.Faults{Latency: 50 * time.Millisecond})
		w := newWorkspace(t, slow, "")
		first := w.startUntil("sweep started", "run", "--log-level", "info")
		second := w.run("run")
		if second.code != 5 || !strings.Contains(second.stderr, "run 1 is in progress since") || !strings.Contains(second.stderr, fmt.Sprintf("pid %d", first.Process.Pid)) {
			t.Fatalf("second run: exit %d, stderr:\n%s\nwant exit 5 naming run 1 and pid %d", second.code, second.stderr, first.Process.Pid)
		}
	})

	t.Run("SIGTERM mid-sweep", func(t *testing.T) {
		slow := newE2EServer(t, 400, 62)
		slow.SetFaults(pctest.Faults{Latency: 100 * time.Millisecond})
		w := newWorkspace(t, slow, "")
		cmd := w.startUntil("saved batch", "run", "--log-level", "debug")
		if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		if got := waitStatus(t, cmd); got != 130 {
			t.Fatalf("run stopped by SIGTERM: exit %d, want 130", got)
		}
		if runs := w.run("runs"); !strings.Contains(runs.stdout, "interrupted") {
			t.Fatalf("after SIGTERM, runs =\n%s\nwant the run kept as interrupted", runs.stdout)
		}
	})

	t.Run("help lists the statuses", func(t *testing.T) {
		w := newWorkspace(t, srv, "")
		r := w.run("-h")
		for _, want := range []string{"2    usage or configuration error", "4    authentication failed", "5    another sweep holds the database", "130  interrupted"} {
			if !strings.Contains(r.stdout, want) {
				t.Errorf("mcawatch -h lacks %q:\n%s", want, r.stdout)
			}
		}
	})
}

// TestE2E_ReadOnlyCommandsNeverCreateADatabase: a mistyped --db is an error
// naming the path, not an empty database with nothing to report.
func TestE2E_ReadOnlyCommandsNeverCreateADatabase(t *testing.T) {
	srv := newE2EServer(t, 10, 63)
	w := newWorkspace(t, srv, "")
	typo := filepath.Join(w.dir, "mcawatch-typo.db")
	for _, args := range [][]string{{"runs", "--db", typo}, {"report", "--db", typo}} {
		r := w.run(args...)
		if r.code != 2 || !strings.Contains(r.stderr, typo) {
			t.Errorf("mcawatch %v: exit %d, stderr:\n%s\nwant exit 2 naming %s", args, r.code, r.stderr, typo)
		}
		if _, err := os.Stat(typo); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("mcawatch %v created %s (%v)", args, typo, err)
		}
	}
}

// TestE2E_BackfillSince_InvalidDateIsUsageError: exit 2, naming the value.
func TestE2E_BackfillSince_InvalidDateIsUsageError(t *testing.T) {
	srv := newE2EServer(t, 10, 64)
	w := newWorkspace(t, srv, "")
	if r := w.run("backfill", "--since", "2026-13-01"); r.code != 2 || !strings.Contains(r.stderr, "2026-13-01") {
		t.Fatalf("--since 2026-13-01: exit %d, want 2 naming the value:\n%s", r.code, r.stderr)
	}
	if got := srv.Stats().Requests; got != 0 {
		t.Fatalf("%d requests made", got)
	}
}

// TestE2E_BackfillSince_ZeroDateIsADate: 0001-01-01 is a valid date, not
// "unset": every dated acceptance is New.
func TestE2E_BackfillSince_ZeroDateIsADate(t *testing.T) {
	srv := newE2EServer(t, 60, 64)
	w := newWorkspace(t, srv, "")
	r := w.run("backfill", "--since", "0001-01-01")
	if r.code != 0 {
		t.Fatalf("--since 0001-01-01: exit %d:\n%s", r.code, r.stderr)
	}
	_, news := readCSV(t, filepath.Join(r.lastLine(), "new.csv"))
	_, accs := readCSV(t, filepath.Join(r.lastLine(), "acceptances.csv"))
	dated := 0
	for _, a := range accs {
		if a[2] != "" && a[3] != "" {
			dated++
		}
	}
	if dated == 0 || len(news) != dated {
		t.Fatalf("--since 0001-01-01: %d New rows, want every one of the %d dated acceptances", len(news), dated)
	}
}

// TestE2E_ShrunkCustomerListRefused: a sweep whose list lost more than
// customers.max_drop exits 1 saying so, stores nothing, and goes through
// with --accept-drop.
func TestE2E_ShrunkCustomerListRefused(t *testing.T) {
	srv := newE2EServer(t, 40, 65)
	cs := srv.Customers()
	list := filepath.Join(t.TempDir(), "customers.txt")
	write := func(n int) {
		var b strings.Builder
		for _, c := range cs[:n] {
			b.WriteString(c.ID + "\n")
		}
		if err := os.WriteFile(list, []byte(b.String()), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	w := newWorkspace(t, srv, "customers:\n  source: file\n  file: "+list+"\n")
	write(40)
	if r := w.run("run"); r.code != 0 {
		t.Fatalf("first run: exit %d:\n%s", r.code, r.stderr)
	}
	write(12)
	r := w.run("run")
	if r.code != 1 || !strings.Contains(r.stderr, "shrank from 40 to 12") || !strings.Contains(r.stderr, "--accept-drop") {
		t.Fatalf("shrunk list: exit %d, stderr:\n%s\nwant exit 1 saying it shrank from 40 to 12 and naming --accept-drop", r.code, r.stderr)
	}
	if runs := w.run("runs"); strings.Count(runs.stdout, "\n") != 2 {
		t.Fatalf("the refused sweep stored a run:\n%s", runs.stdout)
	}
	if r := w.run("run", "--accept-drop", "--json"); r.code != 0 || !strings.Contains(r.stdout, `"left":28`) {
		t.Fatalf("--accept-drop: exit %d, stdout %s\n%s", r.code, r.stdout, r.stderr)
	}
}

// TestE2E_ResumeKeepsTheSettingsItStartedWith: agreements.types changed
// between an interrupted run and its resume gives no false New or Removed
// rows: the run finishes with the settings it started with.
func TestE2E_ResumeKeepsTheSettingsItStartedWith(t *testing.T) {
	srv := newE2EServer(t, 400, 66)
	w := newWorkspace(t, srv, "")
	if r := w.run("run"); r.code != 0 {
		t.Fatalf("baseline run: exit %d:\n%s", r.code, r.stderr)
	}
	srv.SetFaults(pctest.Faults{Latency: 100 * time.Millisecond})
	cmd := w.startUntil("saved batch", "run", "--log-level", "debug")
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	srv.SetFaults(pctest.Faults{})

	cfg, err := os.ReadFile(w.config)
	if err != nil {
		t.Fatal(err)
	}
	changed := string(cfg) + "agreements:\n  types: [MicrosoftCustomerAgreement, MicrosoftCloudAgreement]\n"
	if err := os.WriteFile(w.config, []byte(changed), 0o600); err != nil {
		t.Fatal(err)
	}
	r := w.run("run", "--resume", "--json")
	if r.code != 0 {
		t.Fatalf("run --resume: exit %d:\n%s", r.code, r.stderr)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(r.lastLine()), &got); err != nil {
		t.Fatal(err)
	}
	if got["new"] != 0.0 || got["removed"] != 0.0 {
		t.Fatalf("resumed run with changed agreements.types: %v New, %v Removed, want none (nothing changed in the portfolio)", got["new"], got["removed"])
	}
}

// TestE2E_FailOnOutdated: --fail-on outdated exits 3 on any Missing or
// Outdated row, and --json carries the outdated counts.
func TestE2E_FailOnOutdated(t *testing.T) {
	srv := newE2EServer(t, 80, 67)
	w := newWorkspace(t, srv, "")
	r := w.run("run", "--fail-on", "outdated", "--json")
	if r.code != 3 || !strings.Contains(r.stderr, "--fail-on outdated") {
		t.Fatalf("run --fail-on outdated: exit %d, want 3:\n%s", r.code, r.stderr)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(r.lastLine()), &got); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"run_id", "report_dir", "customers", "accepted", "direct_signed", "missing", "outdated", "new", "removed", "errors", "joined", "left", "newly_missing", "newly_outdated"} {
		if _, ok := got[key]; !ok {
			t.Errorf("--json lacks %q: %s", key, r.lastLine())
		}
	}
	if got["outdated"] == 0.0 {
		t.Fatalf("--json outdated = 0 on a portfolio with pre-2023 acceptances: %s", r.lastLine())
	}
	off := newWorkspace(t, srv, "agreements:\n  current_since: \"\"\n")
	if r := off.run("run", "--json"); r.code != 0 || !strings.Contains(r.lastLine(), `"outdated":0`) {
		t.Fatalf("current_since off: exit %d, %s, want no outdated customers\n%s", r.code, r.lastLine(), r.stderr)
	}
}

// TestE2E_DemoOutdatedMatchesThePortfolio: the demo's second report lists
// on Outdated exactly the customers the generated portfolio says must
// accept the current agreement again, and its printout says how many are
// blocked for orders and why.
func TestE2E_DemoOutdatedMatchesThePortfolio(t *testing.T) {
	const n = 300
	dir := t.TempDir()
	cmd := exec.Command(mcawatchBin(t), "demo", "--out", dir, "--customers", strconv.Itoa(n))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("demo: %v\n%s", err, stderr.String())
	}

	srv := newDemoServer(n)
	defer srv.Close()
	evolveDemo(srv, n)
	var want [][]string
	missing := 0
	for id, standing := range srv.Expected(demoCurrentSince) {
		switch standing {
		case pctest.StandingOutdated:
			want = append(want, []string{id})
		case pctest.StandingMissing:
			missing++
		}
	}
	if len(want) == 0 {
		t.Fatal("the demo portfolio has no outdated customer: the test proves nothing")
	}
	r := result{stdout: stdout.String()}
	header, rows := readCSV(t, filepath.Join(r.lastLine(), "outdated.csv"))
	wantHeader(t, "outdated.csv", header, "customer_id,company_name,domain,latest_date_agreed,contact_name,contact_email,outdated_since")
	var got [][]string
	for _, row := range rows {
		got = append(got, []string{row[0]})
	}
	compareRows(t, "demo outdated.csv", got, want)

	line := fmt.Sprintf("blocked for orders: %d customers: %d missing", len(want)+missing, missing)
	if !strings.Contains(r.stdout, line) || !strings.Contains(r.stdout, fmt.Sprintf("%d outdated (accepted it before 2023-04-01", len(want))) {
		t.Fatalf("demo printout lacks %q and the outdated count %d:\n%s", line, len(want), r.stdout)
	}
}

// TestE2E_DatabaseModeTightenedIsShown: a database others can read holds
// personal data; it is tightened to 0600 and the user is told.
func TestE2E_DatabaseModeTightenedIsShown(t *testing.T) {
	srv := newE2EServer(t, 10, 68)
	w := newWorkspace(t, srv, "")
	if r := w.run("run"); r.code != 0 {
		t.Fatalf("run: exit %d:\n%s", r.code, r.stderr)
	}
	if err := os.Chmod(w.db, 0o644); err != nil {
		t.Fatal(err)
	}
	r := w.run("runs")
	if r.code != 0 || !strings.Contains(r.stderr, "tightened mode of") || !strings.Contains(r.stderr, w.db) {
		t.Fatalf("runs on a 0644 database: exit %d, stderr:\n%s\nwant a notice naming the database", r.code, r.stderr)
	}
	if fi, err := os.Stat(w.db); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("database mode after runs = %v (%v), want 0600", fi.Mode().Perm(), err)
	}
}

// TestPrepareSweep_StartsAtTheSettledRate: a sweep's request rate starts
// where the newest run's settled, not unlimited, so it does not meet the
// throttle all over again.
func TestPrepareSweep_StartsAtTheSettledRate(t *testing.T) {
	dir := t.TempDir()
	cfg := config.Default()
	cfg.Storage.Path = filepath.Join(dir, "m.db")
	cfg.Report.Dir = filepath.Join(dir, "reports")
	cfg.Auth.AccessToken = "token"
	db, err := storage.Open(cfg.Storage.Path, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	run, err := db.BeginRun(storage.RunSpec{Kind: "run", CorrelationID: "c", Required: mca, Types: []string{mca}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.FinishRun(run.ID, storage.StateComplete); err != nil {
		t.Fatal(err)
	}
	if err := db.SetRunInfo(run.ID, storage.RunInfo{SettledRate: 42.5}); err != nil {
		t.Fatal(err)
	}
	db.Close()

	setup, err := prepareSweep(cfg, slog.New(slog.DiscardHandler), false)
	if err != nil {
		t.Fatal(err)
	}
	defer setup.db.Close()
	if got := setup.client.Stats().Rate; got != 42.5 {
		t.Fatalf("the new sweep's client starts at %v requests a second, want the settled 42.5", got)
	}
}

// TestE2E_FailOnChangesFiresOnNewlyOutdated: a later agreements.current_since
// re-classifies from the next run on; customers newly outdated are a change
// for --fail-on changes even with no New or Removed row.
func TestE2E_FailOnChangesFiresOnNewlyOutdated(t *testing.T) {
	srv := newE2EServer(t, 60, 69)
	w := newWorkspace(t, srv, "")
	if r := w.run("run"); r.code != 0 {
		t.Fatalf("first run: exit %d:\n%s", r.code, r.stderr)
	}
	cfg, err := os.ReadFile(w.config)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(w.config, append(cfg, "agreements:\n  current_since: 2026-06-01\n"...), 0o600); err != nil {
		t.Fatal(err)
	}
	r := w.run("run", "--fail-on", "changes", "--json")
	if r.code != 3 || !strings.Contains(r.stderr, "newly outdated (--fail-on changes)") {
		t.Fatalf("run --fail-on changes after a later cut-off: exit %d, want 3:\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(r.lastLine()), &got); err != nil {
		t.Fatal(err)
	}
	if got["newly_outdated"] == 0.0 || got["new"] != 0.0 || got["removed"] != 0.0 {
		t.Fatalf("--json = %s, want newly outdated customers and no New or Removed row", r.lastLine())
	}
}
