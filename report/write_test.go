package report

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mcawatch/mcawatch/storage"
)

func fixtureTrend() []storage.TrendPoint {
	var points []storage.TrendPoint
	for i := range 5 {
		points = append(points, storage.TrendPoint{
			RunID:     int64(i + 1),
			Started:   time.Date(2026, 11, 18+i, 2, 0, 0, 0, time.UTC),
			Customers: 18,
			Accepted:  4 + i/2,
			Outdated:  7 - i,
			Missing:   5 - i/2,
			Errors:    i % 2,
		})
	}
	return points
}

func TestFolderName(t *testing.T) {
	stockholm := time.FixedZone("CET", 3600)
	tests := []struct {
		run  storage.Run
		want string
	}{
		{storage.Run{ID: 7, Started: time.Date(2026, 11, 22, 2, 0, 5, 0, time.UTC)}, "20261122T020005Z-run7"},
		{storage.Run{ID: 12345, Started: time.Date(2026, 1, 1, 0, 30, 0, 0, stockholm)}, "20251231T233000Z-run12345"},
	}
	for _, tt := range tests {
		if got := FolderName(tt.run); got != tt.want {
			t.Errorf("FolderName(%v) = %q, want %q", tt.run.Started, got, tt.want)
		}
	}
}

func TestWrite_Folder(t *testing.T) {
	dir, folder, r := mustWriteFixture(t)
	if got, want := folder, filepath.Join(dir, "20261122T020000Z-run2"); got != want {
		t.Fatalf("Write() folder = %q, want %q", got, want)
	}
	if FolderName(r.Run) != filepath.Base(folder) {
		t.Errorf("folder %q is not FolderName(run)", folder)
	}
	if got, want := dirNames(t, dir), []string{filepath.Base(folder), LatestName}; !slices.Equal(got, want) {
		t.Errorf("report dir holds %q, want only the run folder and latest", got)
	}
	info, err := os.Stat(folder)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := info.Mode().Perm(), os.FileMode(0o750); got != want {
		t.Errorf("folder mode = %v, want %v", got, want)
	}
	files, err := os.ReadDir(folder)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range files {
		names = append(names, f.Name())
		info, err := f.Info()
		if err != nil {
			t.Fatal(err)
		}
		if got, want := info.Mode().Perm(), os.FileMode(0o640); got != want {
			t.Errorf("%s mode = %v, want %v", f.Name(), got, want)
		}
	}
	want := []string{"acceptances.csv", "errors.csv", "missing.csv", "new.csv", "outdated.csv", "removed.csv", "report.xlsx"}
	if !slices.Equal(names, want) {
		t.Errorf("folder files = %q, want %q", names, want)
	}
}

// dirNames lists the names in dir.
func dirNames(tb testing.TB, dir string) []string {
	tb.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		tb.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestWrite_ReRenderGetsAFolderOfItsOwn(t *testing.T) {
	dir, folder, r := mustWriteFixture(t)
	mine := filepath.Join(folder, "notes.txt")
	if err := os.WriteFile(mine, []byte("the officer's notes"), 0o640); err != nil {
		t.Fatal(err)
	}
	again, err := Write(r, WriteOptions{Dir: dir, Formats: []string{FormatCSV}, Now: func() time.Time { return fixtureNow }})
	if err != nil {
		t.Fatalf("Write() again: %v", err)
	}
	if want := folder + "-2"; again != want {
		t.Errorf("re-render folder = %q, want %q", again, want)
	}
	if b, err := os.ReadFile(mine); err != nil || string(b) != "the officer's notes" {
		t.Errorf("the sweep's report folder was touched by the re-render: %q, %v", b, err)
	}
	if _, err := os.Stat(filepath.Join(folder, "report.xlsx")); err != nil {
		t.Errorf("the sweep's report.xlsx is gone after a re-render: %v", err)
	}
	if _, err := os.Stat(filepath.Join(again, "missing.csv")); err != nil {
		t.Errorf("re-rendered folder lacks missing.csv: %v", err)
	}
	if got, want := dirNames(t, dir), []string{filepath.Base(folder), filepath.Base(folder) + "-2", LatestName}; !slices.Equal(got, want) {
		t.Errorf("report dir holds %q, want %q", got, want)
	}
}

// TestWrite_TwoDatabasesSameSecondKeepBothReports is two databases sharing
// a report dir whose runs have the same id and start in the same second:
// each report gets its own folder, and a folder someone else made under
// the name Write would use, empty or not, is left exactly as it was.
func TestWrite_TwoDatabasesSameSecondKeepBothReports(t *testing.T) {
	dir := t.TempDir()
	a := Diff(nil, mustLoadSnapshot(t, "current.json"), DiffOptions{})
	b := Diff(nil, mustLoadSnapshot(t, "previous.json"), DiffOptions{})
	b.Run.ID, b.Run.Started = a.Run.ID, a.Run.Started
	name := FolderName(a.Run)

	// Someone else's folders under the names Write would pick: one
	// empty (os.Rename would silently replace it), one with a file.
	foreignEmpty := filepath.Join(dir, name)
	foreignFull := filepath.Join(dir, name+"-2")
	for _, d := range []string{foreignEmpty, foreignFull} {
		if err := os.Mkdir(d, 0o750); err != nil {
			t.Fatal(err)
		}
	}
	foreignFile := filepath.Join(foreignFull, "theirs.txt")
	if err := os.WriteFile(foreignFile, []byte("not yours"), 0o640); err != nil {
		t.Fatal(err)
	}

	first, err := Write(a, WriteOptions{Dir: dir, Formats: []string{FormatCSV}})
	if err != nil {
		t.Fatal(err)
	}
	second, err := Write(b, WriteOptions{Dir: dir, Formats: []string{FormatCSV}})
	if err != nil {
		t.Fatal(err)
	}
	if first == second {
		t.Fatalf("both reports were written to %s", first)
	}
	for _, folder := range []string{first, second} {
		if !strings.HasPrefix(filepath.Base(folder), name) {
			t.Errorf("folder %s does not start with the contract name %s", folder, name)
		}
		if _, err := os.Stat(filepath.Join(folder, "missing.csv")); err != nil {
			t.Errorf("report %s is incomplete: %v", folder, err)
		}
	}
	firstMissing, _ := os.ReadFile(filepath.Join(first, "missing.csv"))
	secondMissing, _ := os.ReadFile(filepath.Join(second, "missing.csv"))
	if string(firstMissing) == string(secondMissing) {
		t.Errorf("the second report replaced the first: both missing.csv are\n%s", firstMissing)
	}
	if got := dirNames(t, foreignEmpty); len(got) != 0 {
		t.Errorf("someone else's empty folder %s now holds %q", foreignEmpty, got)
	}
	if b, err := os.ReadFile(foreignFile); err != nil || string(b) != "not yours" {
		t.Errorf("someone else's folder %s lost its file: %q, %v", foreignFull, b, err)
	}
	if got := dirNames(t, foreignFull); !slices.Equal(got, []string{"theirs.txt"}) {
		t.Errorf("someone else's folder %s holds %q, want only theirs.txt", foreignFull, got)
	}
	if got, want := len(dirNames(t, dir)), 5; got != want {
		t.Errorf("report dir holds %q, want the two foreign folders, the two reports and latest", dirNames(t, dir))
	}
}

// deadPID is above Linux's largest possible pid (2^22), so no process has it.
const deadPID = 1<<22 + 1

// mustMakeLeftover makes a folder (with a file) named name in dir, last
// changed idle before now.
func mustMakeLeftover(tb testing.TB, dir, name string, now time.Time, idle time.Duration) string {
	tb.Helper()
	path := filepath.Join(dir, name)
	if err := os.Mkdir(path, 0o750); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(path, "report.xlsx"), []byte("half"), 0o640); err != nil {
		tb.Fatal(err)
	}
	at := now.Add(-idle)
	if err := os.Chtimes(path, at, at); err != nil {
		tb.Fatal(err)
	}
	return path
}

// TestWrite_RemovesLeftoversOfKilledWrites is a sweep killed while writing
// its report: its temporary folder stays behind. The next Write removes it,
// and nothing else.
func TestWrite_RemovesLeftoversOfKilledWrites(t *testing.T) {
	dir := t.TempDir()
	now := time.Now()
	killed := mustMakeLeftover(t, dir, fmt.Sprintf(".tmp-20261121T020000Z-run1-p%d-123456", deadPID), now, time.Hour)
	older := mustMakeLeftover(t, dir, ".tmp-20261120T020000Z-run7-2345678", now, 48*time.Hour)
	report := mustMakeLeftover(t, dir, "20261120T020000Z-run7", now, 48*time.Hour)
	other := mustMakeLeftover(t, dir, ".tmp-backup", now, 48*time.Hour)

	r := Diff(nil, mustLoadSnapshot(t, "current.json"), DiffOptions{})
	if _, err := Write(r, WriteOptions{Dir: dir, Formats: []string{FormatCSV}}); err != nil {
		t.Fatal(err)
	}
	for _, gone := range []string{killed, older} {
		if _, err := os.Lstat(gone); err == nil {
			t.Errorf("leftover %s is still there after a Write", filepath.Base(gone))
		}
	}
	for _, kept := range []string{report, other} {
		if _, err := os.Stat(filepath.Join(kept, "report.xlsx")); err != nil {
			t.Errorf("%s was touched: %v", filepath.Base(kept), err)
		}
	}
}

func TestCleanLeftovers_RemovesOnlyOurAbandonedFolders(t *testing.T) {
	now := time.Date(2026, 11, 22, 2, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		idle   time.Duration
		remove bool
	}{
		{fmt.Sprintf(".tmp-20261122T010000Z-run3-p%d-42", deadPID), LeftoverGrace, true},
		{fmt.Sprintf(".tmp-20261122T010000Z-run3-p%d-43", deadPID), LeftoverGrace - time.Second, false},
		{fmt.Sprintf(".tmp-20261122T010000Z-run3-p%d-44", os.Getpid()), time.Hour, false},      // this process is writing it
		{".tmp-20261122T010000Z-run3-p1-45", time.Hour, false},                                 // pid 1 is alive
		{".tmp-20261122T010000Z-run3-p1-46", LeftoverAge, true},                                // alive, but untouched for a day
		{".tmp-20261122T010000Z-run3-47", LeftoverAge, true},                                   // an earlier version's, no pid
		{".tmp-20261122T010000Z-run3-48", LeftoverAge - time.Minute, false},                    // … not old enough
		{fmt.Sprintf(".tmp-20261122T010000Z-run3-p%d-49-x", deadPID), 10 * LeftoverAge, false}, // not our pattern
		{".tmp-reports", 10 * LeftoverAge, false},
		{"20261122T010000Z-run3", 10 * LeftoverAge, false},
		{".old-20261122T010000Z-run3-6f1c0e5e-9a1b-4c2d-8e3f-0a1b2c3d4e5f", 10 * LeftoverAge, false},
	}
	dir := t.TempDir()
	for _, tt := range tests {
		mustMakeLeftover(t, dir, tt.name, now, tt.idle)
	}
	// A symlink and a file with our names: not folders we made.
	outside := mustMakeLeftover(t, t.TempDir(), "elsewhere", now, 10*LeftoverAge)
	link := filepath.Join(dir, fmt.Sprintf(".tmp-20261122T010000Z-run3-p%d-50", deadPID))
	if err := os.Symlink(outside, link); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, ".tmp-20261122T010000Z-run3-51")
	if err := os.WriteFile(file, nil, 0o640); err != nil {
		t.Fatal(err)
	}
	old := now.Add(-10 * LeftoverAge)
	for _, p := range []string{link, file} {
		if err := os.Chtimes(p, old, old); err != nil {
			t.Fatal(err)
		}
	}

	removed, err := CleanLeftovers(dir, now)
	if err != nil {
		t.Fatalf("CleanLeftovers() error = %v", err)
	}
	var want []string
	for _, tt := range tests {
		_, statErr := os.Lstat(filepath.Join(dir, tt.name))
		if gone := statErr != nil; gone != tt.remove {
			t.Errorf("%s (idle %v): removed = %v, want %v", tt.name, tt.idle, gone, tt.remove)
		}
		if tt.remove {
			want = append(want, filepath.Join(dir, tt.name))
		}
	}
	slices.Sort(removed)
	slices.Sort(want)
	if !slices.Equal(removed, want) {
		t.Errorf("CleanLeftovers() = %q, want %q", removed, want)
	}
	for _, p := range []string{link, file, filepath.Join(outside, "report.xlsx")} {
		if _, err := os.Lstat(p); err != nil {
			t.Errorf("%s was removed: %v", p, err)
		}
	}
	if removed, err := CleanLeftovers(filepath.Join(dir, "no-such-dir"), now); err != nil || removed != nil {
		t.Errorf("CleanLeftovers(missing dir) = %q, %v; want nothing, no error", removed, err)
	}
}

func TestWrite_ErrorLeavesNothing(t *testing.T) {
	tests := []struct {
		name    string
		formats []string
		noDir   bool
		wantErr string
	}{
		{name: "unknown format", formats: []string{"pdf"}, wantErr: `unknown report format "pdf"`},
		{name: "no dir", noDir: true, wantErr: "no report dir"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			r := Diff(nil, mustLoadSnapshot(t, "current.json"), DiffOptions{})
			opts := WriteOptions{Dir: dir, Formats: tt.formats}
			if tt.noDir {
				opts.Dir = ""
			}
			_, err := Write(r, opts)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Write() error = %v, want %q", err, tt.wantErr)
			}
			if got := dirNames(t, dir); len(got) != 0 {
				t.Errorf("report dir holds %q after a failed write, want nothing", got)
			}
		})
	}
}

func TestWrite_FailedWriteLeavesNoTemp(t *testing.T) {
	r := Diff(nil, mustLoadSnapshot(t, "current.json"), DiffOptions{})
	// A report dir so deep that the temporary folder can be made but a
	// file inside it exceeds PATH_MAX (4,095 bytes on Linux): the write
	// fails half-way, after the temporary folder exists. Root ignores
	// permissions, so this is the portable way to fail inside Write.
	prefix := len(tempPrefix(FolderName(r.Run)))
	depth := 4095 - 1 - prefix - 10 // room for the longest random suffix
	dir := t.TempDir()
	for len(dir) < depth {
		dir = filepath.Join(dir, strings.Repeat("d", min(200, depth-len(dir)-1)))
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		t.Skipf("cannot build a deep directory here: %v", err)
	}
	_, err := Write(r, WriteOptions{Dir: dir})
	if err == nil || !strings.Contains(err.Error(), "report.xlsx") {
		t.Fatalf("Write() into a too-deep dir: error = %v, want one creating report.xlsx", err)
	}
	if got := dirNames(t, dir); len(got) != 0 {
		t.Errorf("report dir holds %q after a failed write, want nothing", got)
	}
}
