package jobs

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mcawatch/mcawatch/fetch/pctest"
	"github.com/mcawatch/mcawatch/report"
	"github.com/mcawatch/mcawatch/storage"
)

// reportFolderNames lists the report folders of dir (latest left out).
func reportFolderNames(tb testing.TB, dir string) []string {
	tb.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		tb.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		if e.IsDir() {
			names = append(names, e.Name())
		}
	}
	return names
}

func runIDs(tb testing.TB, db *storage.DB) []int64 {
	tb.Helper()
	runs, err := db.ListRuns()
	if err != nil {
		tb.Fatal(err)
	}
	var ids []int64
	for _, r := range runs {
		ids = append(ids, r.ID)
	}
	slices.Sort(ids)
	return ids
}

func TestSweep_Retention_AppliedAfterEachCompleteSweep(t *testing.T) {
	srv := newServer(t, 30, pctest.Faults{})
	dir := t.TempDir()
	reports := filepath.Join(dir, "reports")
	db := mustOpenDB(t, filepath.Join(dir, "m.db"))
	var logs bytes.Buffer
	opts := SweepOptions{
		Report:    report.WriteOptions{Dir: reports, Formats: []string{"csv"}},
		Retention: Retention{Runs: storage.Retention{KeepLast: 1}, Reports: 2},
		Logger:    slog.New(slog.NewTextHandler(&logs, nil)),
	}
	var folders []string
	for i := range 4 {
		out, err := Sweep(context.Background(), db, newClient(t, srv, 4), opts)
		if err != nil {
			t.Fatalf("sweep %d: %v", i+1, err)
		}
		folders = append(folders, filepath.Base(out.Folder))
		srv.Evolve(1, 1)
	}
	// keep_last 1 keeps run 4 and the run its report is rendered
	// against, run 3; runs 1 and 2 went, each after a later sweep.
	if got, want := runIDs(t, db), []int64{3, 4}; !slices.Equal(got, want) {
		t.Errorf("runs left %v, want %v", got, want)
	}
	// report.keep 2: the two newest folders stay.
	if got, want := reportFolderNames(t, reports), folders[2:]; !slices.Equal(got, want) {
		t.Errorf("report folders left %q, want %q", got, want)
	}
	target, err := os.Readlink(filepath.Join(reports, report.LatestName))
	if err != nil || target != folders[3] {
		t.Errorf("latest=%q (%v), want %q", target, err, folders[3])
	}
	for _, want := range []string{"retention removed run", "removed_run_id=1", "removed_run_id=2",
		"report.keep removed report folder", folders[0], folders[1]} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, logs.String())
		}
	}
}

func TestSweep_Retention_FailureNeverFailsTheSweep(t *testing.T) {
	srv := newServer(t, 10, pctest.Faults{})
	dir := t.TempDir()
	db := mustOpenDB(t, filepath.Join(dir, "m.db"))
	var logs bytes.Buffer
	opts := SweepOptions{
		Report: report.WriteOptions{Dir: filepath.Join(dir, "reports"), Formats: []string{"csv"}},
		// A policy storage refuses: Prune fails after the report is in place.
		Retention: Retention{Runs: storage.Retention{KeepLast: -1}},
		Logger:    slog.New(slog.NewTextHandler(&logs, nil)),
	}
	for i := range 2 {
		out, err := Sweep(context.Background(), db, newClient(t, srv, 4), opts)
		if err != nil {
			t.Fatalf("sweep %d: %v, want the sweep's own outcome", i+1, err)
		}
		if out.Run.State != storage.StateComplete || out.Run.ReportDir == "" {
			t.Fatalf("sweep %d: run %+v, want complete with its report", i+1, out.Run)
		}
	}
	if got, want := runIDs(t, db), []int64{1, 2}; !slices.Equal(got, want) {
		t.Errorf("runs left %v, want %v", got, want)
	}
	if !strings.Contains(logs.String(), "retention failed") {
		t.Errorf("log lacks the retention failure:\n%s", logs.String())
	}
}

func TestSweep_Retention_DefaultKeepsEverything(t *testing.T) {
	srv := newServer(t, 10, pctest.Faults{})
	dir := t.TempDir()
	reports := filepath.Join(dir, "reports")
	db := mustOpenDB(t, filepath.Join(dir, "m.db"))
	opts := SweepOptions{Report: report.WriteOptions{Dir: reports, Formats: []string{"csv"}}}
	for i := range 3 {
		if _, err := Sweep(context.Background(), db, newClient(t, srv, 4), opts); err != nil {
			t.Fatalf("sweep %d: %v", i+1, err)
		}
	}
	if got, want := runIDs(t, db), []int64{1, 2, 3}; !slices.Equal(got, want) {
		t.Errorf("runs left %v, want %v", got, want)
	}
	if got, want := len(reportFolderNames(t, reports)), 3; got != want {
		t.Errorf("%d report folders, want %d", got, want)
	}
}

func TestSweep_Retention_ReportKeepAloneKeepsEveryRun(t *testing.T) {
	srv := newServer(t, 10, pctest.Faults{})
	dir := t.TempDir()
	reports := filepath.Join(dir, "reports")
	db := mustOpenDB(t, filepath.Join(dir, "m.db"))
	opts := SweepOptions{Report: report.WriteOptions{Dir: reports, Formats: []string{"xlsx"}}, Retention: Retention{Reports: 1}}
	var last string
	for i := range 3 {
		out, err := Sweep(context.Background(), db, newClient(t, srv, 4), opts)
		if err != nil {
			t.Fatalf("sweep %d: %v", i+1, err)
		}
		last = filepath.Base(out.Folder)
	}
	if got, want := runIDs(t, db), []int64{1, 2, 3}; !slices.Equal(got, want) {
		t.Errorf("runs left %v, want %v", got, want)
	}
	if got, want := reportFolderNames(t, reports), []string{last}; !slices.Equal(got, want) {
		t.Errorf("report folders left %q, want %q", got, want)
	}
}
