package main

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/mcawatch/mcawatch/storage"
)

// snapshotTree is every entry under root: a file's bytes, a link's target,
// a folder.
func snapshotTree(t *testing.T, root string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			target, err := os.Readlink(path)
			out[path] = "link " + target
			return err
		case d.IsDir():
			out[path] = "dir"
		default:
			b, err := os.ReadFile(path)
			out[path] = "file " + string(b)
			return err
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func sameTree(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// prunedLines reads prune's printout: the ids of the runs and the paths
// of the report folders it lists.
func prunedLines(t *testing.T, out string) (runs []int64, folders []string) {
	t.Helper()
	for _, line := range strings.Split(out, "\n") {
		fields := strings.Fields(line)
		switch {
		case len(fields) == 0 || !strings.HasPrefix(line, "  "):
		case strings.HasPrefix(fields[0], "/"):
			folders = append(folders, fields[0])
		case fields[0] != "RUN":
			id, err := strconv.ParseInt(fields[0], 10, 64)
			if err != nil {
				t.Fatalf("prune printed %q: not a run row", line)
			}
			runs = append(runs, id)
		}
	}
	return runs, folders
}

// storedRuns reads `runs --json` through the binary.
func storedRuns(t *testing.T, w *workspace) []runJSON {
	t.Helper()
	r := w.run("runs", "--json")
	if r.code != 0 {
		t.Fatalf("runs --json: exit %d: %s", r.code, r.stderr)
	}
	var runs []runJSON
	if err := json.Unmarshal([]byte(r.stdout), &runs); err != nil {
		t.Fatalf("runs --json is not JSON: %v\n%s", err, r.stdout)
	}
	return runs
}

// threeSweeps runs three sweeps with changes between, then sets the
// config's retention to keep_last 1 and report.keep 1, as an operator
// adding them later does. It returns the three report folders.
func threeSweeps(t *testing.T) (*workspace, []string) {
	t.Helper()
	srv := newE2EServer(t, 40, 11)
	w := newWorkspace(t, srv, "")
	var folders []string
	for i := range 3 {
		r := w.run("run")
		if r.code != 0 {
			t.Fatalf("sweep %d: exit %d: %s", i+1, r.code, r.stderr)
		}
		folders = append(folders, r.lastLine())
		srv.Evolve(int64(i+1), 2)
	}
	b, err := os.ReadFile(w.config)
	if err != nil {
		t.Fatal(err)
	}
	cfg := strings.Replace(string(b), "storage:\n", "storage:\n  retention: {keep_last: 1}\n", 1)
	cfg = strings.Replace(cfg, "report:\n", "report:\n  keep: 1\n", 1)
	if err := os.WriteFile(w.config, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return w, folders
}

func TestPrune_Run_DryRunChangesNothingAndPruneRemovesWhatItPrinted(t *testing.T) {
	w, folders := threeSweeps(t)
	reports := filepath.Join(w.dir, "reports")
	// What is not a report folder stays, whatever report.keep says.
	foreign := []string{filepath.Join(reports, "archive"), filepath.Join(reports, ".tmp-20260101T020000Z-run9-p1-42")}
	for _, d := range foreign {
		if err := os.MkdirAll(d, 0o750); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(d, "report.xlsx"), []byte("mine"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(reports, "notes.txt"), []byte("mine"), 0o600); err != nil {
		t.Fatal(err)
	}
	dbBefore, err := os.ReadFile(w.db)
	if err != nil {
		t.Fatal(err)
	}
	treeBefore := snapshotTree(t, reports)

	dry := w.run("prune", "--dry-run")
	if dry.code != 0 {
		t.Fatalf("prune --dry-run: exit %d: %s", dry.code, dry.stderr)
	}
	dbAfter, err := os.ReadFile(w.db)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(dbBefore, dbAfter) {
		t.Errorf("prune --dry-run changed the database")
	}
	if !sameTree(treeBefore, snapshotTree(t, reports)) {
		t.Errorf("prune --dry-run changed the report dir")
	}
	dryRuns, dryFolders := prunedLines(t, dry.stdout)
	// keep_last 1 keeps run 3 and run 2, the run its report is rendered
	// against; report.keep 1 keeps run 3's folder, which latest names.
	if want := []int64{1}; !slices.Equal(dryRuns, want) {
		t.Errorf("dry run lists runs %v, want %v:\n%s", dryRuns, want, dry.stdout)
	}
	if want := folders[:2]; !slices.Equal(dryFolders, want) {
		t.Errorf("dry run lists folders %q, want %q:\n%s", dryFolders, want, dry.stdout)
	}
	if !strings.Contains(dry.stdout, "Would remove 1 run:") || !strings.Contains(dry.stdout, "not kept by the retention policy") {
		t.Errorf("dry run printout lacks the run and its reason:\n%s", dry.stdout)
	}

	real := w.run("prune")
	if real.code != 0 {
		t.Fatalf("prune: exit %d: %s", real.code, real.stderr)
	}
	gotRuns, gotFolders := prunedLines(t, real.stdout)
	if !slices.Equal(gotRuns, dryRuns) || !slices.Equal(gotFolders, dryFolders) {
		t.Errorf("prune removed runs %v folders %q; the dry run said %v %q", gotRuns, gotFolders, dryRuns, dryFolders)
	}
	if !strings.Contains(real.stdout, "Gave back ") {
		t.Errorf("prune does not say the space given back:\n%s", real.stdout)
	}
	var left []int64
	for _, r := range storedRuns(t, w) {
		left = append(left, r.ID)
	}
	if want := []int64{3, 2}; !slices.Equal(left, want) {
		t.Errorf("runs left %v, want %v", left, want)
	}
	for _, f := range folders[:2] {
		if _, err := os.Stat(f); !os.IsNotExist(err) {
			t.Errorf("%s still there (%v)", f, err)
		}
	}
	for _, keep := range append(foreign, folders[2], filepath.Join(reports, "notes.txt"), filepath.Join(reports, "latest", "report.xlsx")) {
		if _, err := os.Stat(keep); err != nil {
			t.Errorf("prune removed %s: %v", keep, err)
		}
	}

	again := w.run("prune")
	if runs, fs := prunedLines(t, again.stdout); again.code != 0 || len(runs) != 0 || len(fs) != 0 {
		t.Errorf("a second prune: exit %d, removed %v %q, want nothing", again.code, runs, fs)
	}
}

func TestPrune_Run_LockHeldExits5(t *testing.T) {
	w, _ := threeSweeps(t)
	db, err := storage.Open(w.db, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	unlock, err := db.Lock()
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	r := w.run("prune", "--log-format", "text")
	if r.code != exitLocked || !strings.Contains(r.stderr, "holds the lock") {
		t.Errorf("prune with the lock held: exit %d, stderr %q; want %d", r.code, r.stderr, exitLocked)
	}
	if got := len(storedRuns(t, w)); got != 3 {
		t.Errorf("%d runs after a refused prune, want 3", got)
	}
}

func TestPrune_Run_NeverCreatesADatabase(t *testing.T) {
	srv := newE2EServer(t, 5, 1)
	w := newWorkspace(t, srv, "")
	typo := filepath.Join(w.dir, "typo.db")
	r := w.run("prune", "--db", typo, "--log-format", "text")
	if r.code != exitUsage || !strings.Contains(r.stderr, "no database at "+typo) {
		t.Errorf("prune --db typo: exit %d, stderr %q", r.code, r.stderr)
	}
	if _, err := os.Stat(typo); !os.IsNotExist(err) {
		t.Errorf("prune created %s (%v)", typo, err)
	}
}

func TestRuns_Run_JSONHasEachRunsCounts(t *testing.T) {
	srv := newE2EServer(t, 40, 5)
	w := newWorkspace(t, srv, "")
	var sums []map[string]any
	for i := range 2 {
		r := w.run("run", "--json")
		if r.code != 0 {
			t.Fatalf("sweep %d: exit %d: %s", i+1, r.code, r.stderr)
		}
		var s map[string]any
		if err := json.Unmarshal([]byte(r.lastLine()), &s); err != nil {
			t.Fatalf("run --json: %v\n%s", err, r.stdout)
		}
		sums = append(sums, s)
		srv.Evolve(int64(i+7), 3)
	}
	runs := storedRuns(t, w)
	if len(runs) != 2 || runs[0].ID != 2 || runs[1].ID != 1 {
		t.Fatalf("runs --json = %+v, want runs 2 and 1, newest first", runs)
	}
	for i, r := range runs {
		s := sums[len(sums)-1-i]
		counts := s
		if r.State != "complete" || r.Missing == nil || r.Outdated == nil {
			t.Fatalf("run %d: %+v, want complete with its counts", r.ID, r)
		}
		for name, got := range map[string]int{"missing": *r.Missing, "outdated": *r.Outdated} {
			if want, ok := counts[name].(float64); !ok || int(want) != got {
				t.Errorf("run %d: %s=%d, run --json said %v", r.ID, name, got, counts[name])
			}
		}
		// runs counts every failed query; the report's errors leave out
		// customers labelled as having no reseller relationship.
		if want, _ := counts["errors"].(float64); r.Errors < int(want) {
			t.Errorf("run %d: errors=%d, fewer than the report's %v", r.ID, r.Errors, want)
		}
		if got, want := *r.Accepted+*r.Outdated+*r.Missing+r.Errors, r.Done; got != want {
			t.Errorf("run %d: accepted+outdated+missing+errors=%d, want done=%d", r.ID, got, want)
		}
	}
	text := w.run("runs")
	if text.code != 0 || !strings.Contains(text.stdout, "MISSING") || !strings.Contains(text.stdout, "OUTDATED") {
		t.Errorf("runs: exit %d, want MISSING and OUTDATED columns:\n%s", text.code, text.stdout)
	}
}

func TestRun_Run_AppliesRetentionAfterEachSweep(t *testing.T) {
	srv := newE2EServer(t, 30, 13)
	w := newWorkspace(t, srv, "")
	b, err := os.ReadFile(w.config)
	if err != nil {
		t.Fatal(err)
	}
	cfg := strings.Replace(string(b), "storage:\n", "storage:\n  retention: {keep_last: 1}\n", 1)
	cfg = strings.Replace(cfg, "report:\n", "report:\n  keep: 1\n", 1)
	if err := os.WriteFile(w.config, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	var folders []string
	for i := range 3 {
		r := w.run("run", "--log-format", "text")
		if r.code != 0 {
			t.Fatalf("sweep %d: exit %d: %s", i+1, r.code, r.stderr)
		}
		folders = append(folders, r.lastLine())
		srv.Evolve(int64(i+20), 2)
		if i == 2 && (!strings.Contains(r.stderr, "retention removed run") || !strings.Contains(r.stderr, "report.keep removed report folder")) {
			t.Errorf("the third sweep does not log what it removed:\n%s", r.stderr)
		}
	}
	var left []int64
	for _, r := range storedRuns(t, w) {
		left = append(left, r.ID)
	}
	if want := []int64{3, 2}; !slices.Equal(left, want) {
		t.Errorf("runs left %v, want %v", left, want)
	}
	entries, err := os.ReadDir(filepath.Join(w.dir, "reports"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if want := []string{filepath.Base(folders[2]), "latest"}; !slices.Equal(names, want) {
		t.Errorf("report dir holds %q, want %q", names, want)
	}
}
