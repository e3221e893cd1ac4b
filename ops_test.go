package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/mcawatch/mcawatch/storage"
)

// These tests run the built binary as an operator would: serve with its
// health and metrics endpoint, run --metrics-file, check, version, -h, the
// log formats and the relative-path rule.

// jsonRecords parses every stderr line as one JSON log record, failing on a
// line that is not one.
func jsonRecords(t *testing.T, stderr string) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(stderr))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var rec map[string]any
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatalf("stderr line is not a JSON record: %q (%v)\nstderr:\n%s", sc.Text(), err, stderr)
		}
		out = append(out, rec)
	}
	return out
}

// record finds the first record whose msg is msg.
func record(t *testing.T, recs []map[string]any, msg string) map[string]any {
	t.Helper()
	for _, r := range recs {
		if r["msg"] == msg {
			return r
		}
	}
	t.Fatalf("no %q record in %v", msg, recs)
	return nil
}

// waitRecord waits for a JSON record msg on buf and returns it.
func waitRecord(t *testing.T, buf *lockedBuffer, msg string, timeout time.Duration) map[string]any {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		for _, line := range strings.Split(buf.String(), "\n") {
			var rec map[string]any
			if json.Unmarshal([]byte(line), &rec) == nil && rec["msg"] == msg {
				return rec
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no %q record within %s:\n%s", msg, timeout, buf.String())
	return nil
}

func getURL(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

func parseProm(t *testing.T, r io.Reader) map[string]*dto.MetricFamily {
	t.Helper()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(r)
	if err != nil {
		t.Fatalf("parse metrics: %v", err)
	}
	return fams
}

// gauge is name{label="value"} ("" label: the series without labels).
func gauge(t *testing.T, fams map[string]*dto.MetricFamily, name, label, value string) float64 {
	t.Helper()
	f, ok := fams[name]
	if !ok {
		t.Fatalf("no metric %s", name)
	}
	for _, m := range f.GetMetric() {
		ok := label == ""
		for _, lp := range m.GetLabel() {
			ok = ok || lp.GetName() == label && lp.GetValue() == value
		}
		if ok && m.Gauge != nil {
			return m.GetGauge().GetValue()
		}
	}
	t.Fatalf("no gauge %s{%s=%q}", name, label, value)
	return 0
}

// standingsFrom checks the standing gauges against the counts of a
// finished sweep (its "sweep complete" log record or --json object).
func checkStandings(t *testing.T, fams map[string]*dto.MetricFamily, counts map[string]any) {
	t.Helper()
	num := func(k string) float64 {
		v, ok := counts[k].(float64)
		if !ok {
			t.Fatalf("no count %q in %v", k, counts)
		}
		return v
	}
	want := map[string]float64{
		"accepted":      num("accepted") - num("direct_signed"),
		"direct_signed": num("direct_signed"),
		"outdated":      num("outdated"),
		"missing":       num("missing"),
		"error":         num("errors"),
	}
	for standing, w := range want {
		if got := gauge(t, fams, "mcawatch_customers", "standing", standing); got != w {
			t.Errorf("mcawatch_customers{standing=%q} = %v, want the report's %v", standing, got, w)
		}
	}
}

// startServe starts "serve --now" with serve.listen on a free loopback
// port and returns the endpoint's base URL and the stderr buffer.
func startServe(t *testing.T, w *workspace, env ...string) (string, *lockedBuffer) {
	t.Helper()
	cmd := w.command("serve", "--now", "--log-format", "json")
	cmd.Env = append(cmd.Env, env...)
	stderr := &lockedBuffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	rec := waitRecord(t, stderr, "health and metrics endpoint listening", 60*time.Second)
	addr, _ := rec["addr"].(string)
	if addr == "" {
		t.Fatalf("no addr in %v", rec)
	}
	return "http://" + addr, stderr
}

func TestServe_Metrics_StandingsEqualTheReport(t *testing.T) {
	srv := newE2EServer(t, 120, 71)
	w := newWorkspace(t, srv, "serve:\n  listen: 127.0.0.1:0\n")
	base, stderr := startServe(t, w)

	done := waitRecord(t, stderr, "sweep complete", 60*time.Second)
	// The sweep logs its summary before serve records its outcome: scrape
	// until the outcome is there, as Prometheus would at its next scrape.
	var fams map[string]*dto.MetricFamily
	for deadline := time.Now().Add(30 * time.Second); ; {
		code, body := getURL(t, base+"/metrics")
		if code != http.StatusOK {
			t.Fatalf("GET /metrics = %d:\n%s", code, body)
		}
		fams = parseProm(t, strings.NewReader(body))
		if gauge(t, fams, "mcawatch_last_run_outcome", "outcome", "success") == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no successful sweep on /metrics within 30 s:\n%s", body)
		}
		time.Sleep(20 * time.Millisecond)
	}
	checkStandings(t, fams, done)
	_, missing := readCSV(t, filepath.Join(done["report_dir"].(string), "missing.csv"))
	if got := gauge(t, fams, "mcawatch_customers", "standing", "missing"); got != float64(len(missing)) {
		t.Errorf("missing gauge %v, missing.csv has %d rows", got, len(missing))
	}
	_, outdated := readCSV(t, filepath.Join(done["report_dir"].(string), "outdated.csv"))
	if got := gauge(t, fams, "mcawatch_customers", "standing", "outdated"); got != float64(len(outdated)) {
		t.Errorf("outdated gauge %v, outdated.csv has %d rows", got, len(outdated))
	}
	if got, want := gauge(t, fams, "mcawatch_last_run_requests", "", ""), float64(srv.Stats().Requests); got != want {
		t.Errorf("requests gauge %v, the server saw %v", got, want)
	}
	for _, name := range []string{"mcawatch_last_run_start_timestamp_seconds", "mcawatch_last_success_timestamp_seconds", "mcawatch_next_run_timestamp_seconds"} {
		if got := gauge(t, fams, name, "", ""); got < float64(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Unix()) {
			t.Errorf("%s = %v, want a time", name, got)
		}
	}
	if d := gauge(t, fams, "mcawatch_last_run_duration_seconds", "", ""); d <= 0 {
		t.Errorf("duration = %v, want > 0", d)
	}
	if code, body := getURL(t, base+"/healthz"); code != http.StatusOK || strings.TrimSpace(body) != "ok" {
		t.Errorf("/healthz after a good sweep = %d %q, want 200 ok", code, body)
	}
}

func TestServe_Healthz_503AfterTheTokenIsRefused(t *testing.T) {
	srv := newE2EServer(t, 20, 72)
	w := newWorkspace(t, srv, "serve:\n  listen: 127.0.0.1:0\n")
	base, stderr := startServe(t, w, "E2E_TOKEN=not-the-token")

	waitRecord(t, stderr, "scheduled sweep failed", 60*time.Second)
	code, body := getURL(t, base+"/healthz")
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "authentication failed") {
		t.Fatalf("/healthz after a 401 = %d %q, want 503 naming the authentication failure", code, body)
	}
	_, metrics := getURL(t, base+"/metrics")
	fams := parseProm(t, strings.NewReader(metrics))
	if got := gauge(t, fams, "mcawatch_last_run_outcome", "outcome", "auth_failed"); got != 1 {
		t.Errorf("outcome auth_failed = %v, want 1", got)
	}
	if got := gauge(t, fams, "mcawatch_last_success_timestamp_seconds", "", ""); got != 0 {
		t.Errorf("last success = %v with no sweep succeeded, want 0", got)
	}
}

func TestRun_MetricsFile_WrittenWhole(t *testing.T) {
	srv := newE2EServer(t, 80, 73)
	w := newWorkspace(t, srv, "")
	dir := filepath.Join(w.dir, "textfile")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "mcawatch.prom")
	r := w.run("run", "--json", "--metrics-file", path)
	if r.code != 0 {
		t.Fatalf("run exit %d:\n%s", r.code, r.stderr)
	}
	var counts map[string]any
	if err := json.Unmarshal([]byte(r.lastLine()), &counts); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fams := parseProm(t, f)
	checkStandings(t, fams, counts)
	if got := gauge(t, fams, "mcawatch_last_run_outcome", "outcome", "success"); got != 1 {
		t.Errorf("outcome success = %v, want 1", got)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Errorf("the textfile folder holds %d entries, want only mcawatch.prom (no temporary file left)", len(entries))
	}

	// A run that fails still says so in the file.
	bad := w.command("run", "--metrics-file", path)
	bad.Env = append(bad.Env, "E2E_TOKEN=not-the-token")
	if err := bad.Run(); err == nil {
		t.Fatal("run with a refused token exited 0")
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	fams = parseProm(t, bytes.NewReader(b))
	if got := gauge(t, fams, "mcawatch_last_run_outcome", "outcome", "auth_failed"); got != 1 {
		t.Errorf("after a refused token: outcome auth_failed = %v, want 1", got)
	}
}

// checkConfig writes a config for check: static token unless refresh.
func writeCheckConfig(t *testing.T, dir, body string) string {
	t.Helper()
	path := filepath.Join(dir, "mcawatch.yaml")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestCheck_SaysWhatIsWrongAndExitsByDesign(t *testing.T) {
	srv := newE2EServer(t, 15, 74)
	refreshAuth := func(file string) string {
		return fmt.Sprintf("auth:\n  tenant_id: contoso.onmicrosoft.com\n  client_id: pctest-client\n  client_secret_env: E2E_SECRET\n  refresh_token_file: %s\n  token_url: %s\n", file, srv.TokenURL())
	}
	tests := []struct {
		name   string
		config func(dir string) string
		code   int
		want   []string
	}{
		{"static token, all good", func(string) string {
			return fmt.Sprintf("partner_center:\n  base_url: %s\nauth:\n  access_token_env: E2E_TOKEN\n", srv.URL())
		}, 0, []string{"config         ok", "database       ok", "reports        ok", "token          ok", "partner center ok  GET " + srv.URL() + "/v1/customers?size=1 answered"}},
		{"refresh token, all good", func(dir string) string {
			if err := os.WriteFile(filepath.Join(dir, "rt"), []byte(srv.RefreshToken()+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			return fmt.Sprintf("partner_center:\n  base_url: %s\n", srv.URL()) + refreshAuth("rt")
		}, 0, []string{"token          ok  refresh token exchanged; the new one is saved in", "partner center ok"}},
		{"refresh token file missing", func(string) string {
			return fmt.Sprintf("partner_center:\n  base_url: %s\n", srv.URL()) + refreshAuth("secrets/rt")
		}, 4, []string{"token          FAIL refresh token file", "secrets/rt does not exist", "consent once with MFA", "partner center skipped"}},
		{"token refused", func(string) string {
			return fmt.Sprintf("partner_center:\n  base_url: %s\nauth:\n  access_token_env: E2E_WRONG\n", srv.URL())
		}, 4, []string{"partner center FAIL", "Partner Center refused the token"}},
		{"a sweep holds the database", func(dir string) string {
			db, err := storage.Open(filepath.Join(dir, "held.db"), storage.Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			unlock, err := db.Lock()
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = unlock() })
			return fmt.Sprintf("partner_center:\n  base_url: %s\nauth:\n  access_token_env: E2E_TOKEN\nstorage:\n  path: held.db\n", srv.URL())
		}, 5, []string{"database       FAIL another mcawatch process holds the lock", "a sweep is running on this database", "partner center ok"}},
		{"base URL not https", func(string) string {
			return "partner_center:\n  base_url: http://partner.example.com\nauth:\n  access_token_env: E2E_TOKEN\n"
		}, 2, []string{"config         FAIL", "partner_center.base_url", "database       skipped"}},
		{"base URL not Partner Center", func(string) string {
			return fmt.Sprintf("partner_center:\n  base_url: %s/elsewhere\nauth:\n  access_token_env: E2E_TOKEN\n", srv.URL())
		}, 2, []string{"partner center FAIL", "does not look like Partner Center"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			cfg := writeCheckConfig(t, dir, tt.config(dir))
			cmd := exec.Command(mcawatchBin(t), "check", "--config", cfg)
			cmd.Dir = t.TempDir()
			wd := cmd.Dir
			cmd.Env = append(os.Environ(), "E2E_TOKEN="+e2eToken, "E2E_WRONG=not-the-token", "E2E_SECRET=pctest-secret")
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			_ = cmd.Run()
			if got := cmd.ProcessState.ExitCode(); got != tt.code {
				t.Fatalf("check exit %d, want %d\nstdout:\n%s\nstderr:\n%s", got, tt.code, stdout.String(), stderr.String())
			}
			for _, w := range tt.want {
				if !strings.Contains(stdout.String(), w) {
					t.Errorf("stdout lacks %q:\n%s", w, stdout.String())
				}
			}
			// check never sweeps, and creates neither the database nor
			// the report folder (both default to the working folder).
			if entries, _ := os.ReadDir(wd); len(entries) != 0 {
				t.Errorf("check left %v in the working folder", entries)
			}
		})
	}
	if got := srv.RefreshToken(); got == "pctest-refresh-0" {
		t.Error("the refresh token was never exchanged")
	}
}

func TestVersion_FromTheBuild(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"--version"}} {
		out, err := exec.Command(mcawatchBin(t), args...).Output()
		if err != nil {
			t.Fatalf("mcawatch %v: %v", args, err)
		}
		first, _, _ := strings.Cut(string(out), "\n")
		if !strings.HasPrefix(first, "mcawatch ") || first == "mcawatch dev" || first == "mcawatch " {
			t.Fatalf("mcawatch %v printed %q, want the build's version", args, first)
		}
		if !strings.Contains(string(out), "go: go1.") {
			t.Errorf("mcawatch %v does not say which Go built it:\n%s", args, out)
		}
	}
}

// TestHelp_EveryCommandStartsWithWhatItDoesAndAnExample runs "COMMAND -h"
// for every command the top-level usage lists.
func TestHelp_EveryCommandStartsWithWhatItDoesAndAnExample(t *testing.T) {
	var commands []string
	for _, line := range strings.Split(usageText, "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "mcawatch" && !strings.HasPrefix(line, "mcawatch ") {
			commands = append(commands, f[1])
		}
	}
	if len(commands) < 8 {
		t.Fatalf("found only %v in the usage text", commands)
	}
	for _, cmd := range commands {
		t.Run(cmd, func(t *testing.T) {
			h, ok := commandHelp[cmd]
			if !ok {
				t.Fatalf("no one-line description for %s", cmd)
			}
			c := exec.Command(mcawatchBin(t), cmd, "-h")
			c.Dir = t.TempDir()
			var stderr bytes.Buffer
			c.Stderr = &stderr
			if err := c.Run(); err != nil {
				t.Fatalf("%s -h: %v\n%s", cmd, err, stderr.String())
			}
			lines := strings.SplitN(stderr.String(), "\n", 3)
			if len(lines) < 3 || lines[0] != h.what || lines[1] != "Example: "+h.example {
				t.Fatalf("%s -h starts:\n%s\nwant %q then the example", cmd, stderr.String(), h.what)
			}
			if !strings.HasPrefix(h.example, "mcawatch "+cmd) {
				t.Errorf("%s's example %q does not run %s", cmd, h.example, cmd)
			}
		})
	}
}

// TestRun_RelativePaths_BesideTheConfig is the relative-path rule: a config
// in another folder, mcawatch started from elsewhere (as cron and
// containers do): the database and the reports land beside the config;
// relative --db and --out are relative to the working folder.
func TestRun_RelativePaths_BesideTheConfig(t *testing.T) {
	srv := newE2EServer(t, 30, 75)
	home := t.TempDir()
	etc := filepath.Join(home, "etc", "mcawatch")
	if err := os.MkdirAll(etc, 0o755); err != nil {
		t.Fatal(err)
	}
	cfg := writeCheckConfig(t, etc, fmt.Sprintf(`partner_center:
  base_url: %s
auth:
  access_token_env: E2E_TOKEN
storage:
  path: data/mcawatch.db
report:
  dir: reports
`, srv.URL()))
	if err := os.Mkdir(filepath.Join(etc, "data"), 0o700); err != nil {
		t.Fatal(err)
	}
	elsewhere := t.TempDir()
	run := func(args ...string) {
		t.Helper()
		cmd := exec.Command(mcawatchBin(t), args...)
		cmd.Dir = elsewhere
		cmd.Env = append(os.Environ(), "E2E_TOKEN="+e2eToken)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("mcawatch %v: %v\n%s", args, err, out)
		}
	}
	run("run", "--config", cfg)
	if _, err := os.Stat(filepath.Join(etc, "data", "mcawatch.db")); err != nil {
		t.Fatalf("the database is not beside the config: %v", err)
	}
	if entries, err := os.ReadDir(filepath.Join(etc, "reports")); err != nil || len(entries) == 0 {
		t.Fatalf("no report beside the config: %v %v", entries, err)
	}
	if entries, _ := os.ReadDir(elsewhere); len(entries) != 0 {
		t.Fatalf("the working folder got %v", entries)
	}

	run("run", "--config", cfg, "--db", "flag.db", "--out", "flag-reports")
	for _, name := range []string{"flag.db", "flag-reports"} {
		if _, err := os.Stat(filepath.Join(elsewhere, name)); err != nil {
			t.Errorf("relative flag path %s is not in the working folder: %v", name, err)
		}
	}
}

func TestLogs_JSON_DurationsInSeconds(t *testing.T) {
	srv := newE2EServer(t, 40, 76)
	w := newWorkspace(t, srv, "")
	r := w.run("run", "--log-format", "json")
	if r.code != 0 {
		t.Fatalf("run exit %d:\n%s", r.code, r.stderr)
	}
	done := record(t, jsonRecords(t, r.stderr), "sweep complete")
	d, ok := done["duration_s"].(float64)
	if !ok || d <= 0 {
		t.Fatalf("sweep complete duration_s = %#v, want a number of seconds:\n%v", done["duration_s"], done)
	}
	if _, ok := done["duration"]; ok {
		t.Errorf("sweep complete also has duration %v", done["duration"])
	}

	text := w.run("run", "--log-format", "text")
	if !strings.Contains(text.stderr, "msg=\"sweep complete\"") || !strings.Contains(text.stderr, " duration=") {
		t.Errorf("--log-format text: want text records with a readable duration:\n%s", text.stderr)
	}
}

func TestMain_FatalError_OneJSONRecord(t *testing.T) {
	srv := newE2EServer(t, 20, 77)
	w := newWorkspace(t, srv, "")
	tests := []struct {
		name string
		args []string
		env  string
		code float64
	}{
		{"usage error before any log", []string{"run", "--fail-on", "bogus"}, "", 2},
		{"token refused after logging began", []string{"run"}, "E2E_TOKEN=not-the-token", 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := w.command(append(tt.args, "--log-format", "json")...)
			if tt.env != "" {
				cmd.Env = append(cmd.Env, tt.env)
			}
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			_ = cmd.Run()
			recs := jsonRecords(t, stderr.String())
			var fatal []map[string]any
			for _, r := range recs {
				if _, ok := r["exit_status"]; ok {
					fatal = append(fatal, r)
				}
			}
			if len(fatal) != 1 {
				t.Fatalf("%d fatal records, want 1:\n%s", len(fatal), stderr.String())
			}
			if got := fatal[0]["exit_status"]; got != tt.code || fatal[0]["level"] != "ERROR" {
				t.Fatalf("fatal record %v, want level ERROR, exit_status %v", fatal[0], tt.code)
			}
			if got := cmd.ProcessState.ExitCode(); float64(got) != tt.code {
				t.Fatalf("exit %d, want %v", got, tt.code)
			}
		})
	}
}

// TestRun_Progress_PeriodicLogLinesOffATerminal: a plain run, like
// backfill, tells its progress; off a terminal as periodic log records.
// The clock is injected and moves a second each time it is read.
func TestRun_Progress_PeriodicLogLinesOffATerminal(t *testing.T) {
	srv := newE2EServer(t, 60, 78)
	w := newWorkspace(t, srv, "")
	var (
		mu  sync.Mutex
		now = time.Date(2026, 11, 29, 2, 0, 0, 0, time.UTC)
	)
	var stdout, stderr bytes.Buffer
	m := &Main{
		Stdout: &stdout,
		Stderr: &stderr,
		Getenv: func(k string) string {
			if k == "E2E_TOKEN" {
				return e2eToken
			}
			return ""
		},
		Now: func() time.Time {
			mu.Lock()
			defer mu.Unlock()
			now = now.Add(time.Second)
			return now
		},
	}
	if code := m.Run(context.Background(), []string{"run", "--config", w.config}); code != 0 {
		t.Fatalf("run exit %d:\n%s", code, stderr.String())
	}
	var progress []map[string]any
	for _, r := range jsonRecords(t, stderr.String()) {
		if r["msg"] == "sweep progress" {
			progress = append(progress, r)
		}
	}
	if len(progress) < 2 {
		t.Fatalf("%d progress records, want periodic ones:\n%s", len(progress), stderr.String())
	}
	if last := progress[len(progress)-1]; last["done"] != float64(60) || last["total"] != float64(60) {
		t.Fatalf("last progress record %v, want done 60 of 60", last)
	}
}

// TestCheck_SendsTheBuildVersion: the requests carry
// MS-PartnerCenter-Application: mcawatch/<the version "version" prints>.
func TestCheck_SendsTheBuildVersion(t *testing.T) {
	srv := newE2EServer(t, 5, 79)
	target, err := url.Parse(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu   sync.Mutex
		apps []string
	)
	proxy := httputil.NewSingleHostReverseProxy(target)
	rec := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		apps = append(apps, r.Header.Get("MS-PartnerCenter-Application"))
		mu.Unlock()
		proxy.ServeHTTP(w, r)
	}))
	defer rec.Close()

	out, err := exec.Command(mcawatchBin(t), "version").Output()
	if err != nil {
		t.Fatal(err)
	}
	first, _, _ := strings.Cut(string(out), "\n")
	want := "mcawatch/" + strings.TrimPrefix(first, "mcawatch ")

	dir := t.TempDir()
	cfg := writeCheckConfig(t, dir, fmt.Sprintf("partner_center:\n  base_url: %s\nauth:\n  access_token_env: E2E_TOKEN\n", rec.URL))
	cmd := exec.Command(mcawatchBin(t), "check", "--config", cfg)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "E2E_TOKEN="+e2eToken)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("check: %v\n%s", err, b)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(apps) == 0 {
		t.Fatal("no request reached Partner Center")
	}
	for _, got := range apps {
		if got != want || got == "mcawatch/dev" {
			t.Fatalf("MS-PartnerCenter-Application = %q, want %q", got, want)
		}
	}
}
