package report

import (
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// mustReportFolder makes a folder of dir holding a report file.
func mustReportFolder(tb testing.TB, dir, name, file string) {
	tb.Helper()
	if err := os.Mkdir(filepath.Join(dir, name), 0o750); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name, file), []byte("0123456789"), 0o640); err != nil {
		tb.Fatal(err)
	}
}

// mustList is the names in dir, sorted.
func mustList(tb testing.TB, dir string) []string {
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

// mustSnapshotDir is every entry under root: a file's bytes, a link's
// target, a folder's mode.
func mustSnapshotDir(tb testing.TB, root string) map[string]string {
	tb.Helper()
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
		tb.Fatal(err)
	}
	return out
}

// keepFixture is a report dir holding report folders of runs 1 to 5, a
// re-render and a "-2" folder, with latest on run 3's folder (a re-render
// ran since, say), and everything a report dir may hold that is not a
// report folder.
func keepFixture(tb testing.TB) string {
	tb.Helper()
	dir := tb.TempDir()
	mustReportFolder(tb, dir, "20260301T020000Z-run1", "report.xlsx")
	mustReportFolder(tb, dir, "20260302T020000Z-run2", "missing.csv")
	mustReportFolder(tb, dir, "20260302T020000Z-run2-rerender-20260306T090000Z", "report.xlsx")
	mustReportFolder(tb, dir, "20260303T020000Z-run3", "report.xlsx")
	mustReportFolder(tb, dir, "20260303T020000Z-run3-2", "report.xlsx")
	mustReportFolder(tb, dir, "20260304T020000Z-run4", "report.xlsx")
	mustReportFolder(tb, dir, "20260307T020000Z-run5", "report.xlsx")
	// Not report folders: a foreign folder, a folder with a report
	// folder's name but no report in it, a report being written, a file
	// and a link with report folder names.
	mustReportFolder(tb, dir, "archive", "report.xlsx")
	if err := os.Mkdir(filepath.Join(dir, "20260228T020000Z-run0"), 0o750); err != nil {
		tb.Fatal(err)
	}
	mustReportFolder(tb, dir, ".tmp-20260227T020000Z-run9-p1-123", "report.xlsx")
	if err := os.WriteFile(filepath.Join(dir, "20260226T020000Z-run8"), []byte("x"), 0o640); err != nil {
		tb.Fatal(err)
	}
	if err := os.Symlink("20260301T020000Z-run1", filepath.Join(dir, "20260225T020000Z-run7")); err != nil {
		tb.Fatal(err)
	}
	if err := os.Symlink("20260303T020000Z-run3", filepath.Join(dir, LatestName)); err != nil {
		tb.Fatal(err)
	}
	return dir
}

func TestKeepFolders_RemovesOnlyTheOldestReportFolders(t *testing.T) {
	dir := keepFixture(t)
	removed, err := KeepFolders(dir, 2, false)
	if err != nil {
		t.Fatal(err)
	}
	// Newest first by when each was made: run5 (03-07), the re-render
	// (03-06), run4, run3-2, run3, run2, run1. The two newest stay; run3
	// stays as latest's target.
	var got []string
	for _, r := range removed {
		got = append(got, filepath.Base(r.Path))
		if r.Bytes != 10 {
			t.Errorf("%s: Bytes=%d, want 10", r.Path, r.Bytes)
		}
	}
	want := []string{"20260301T020000Z-run1", "20260302T020000Z-run2", "20260303T020000Z-run3-2", "20260304T020000Z-run4"}
	if !slices.Equal(got, want) {
		t.Errorf("removed %q, want %q", got, want)
	}
	left := mustList(t, dir)
	wantLeft := []string{".tmp-20260227T020000Z-run9-p1-123", "20260225T020000Z-run7", "20260226T020000Z-run8",
		"20260228T020000Z-run0", "20260302T020000Z-run2-rerender-20260306T090000Z", "20260303T020000Z-run3",
		"20260307T020000Z-run5", "archive", "latest"}
	if !slices.Equal(left, wantLeft) {
		t.Errorf("left %q, want %q", left, wantLeft)
	}
	if _, err := os.Stat(filepath.Join(dir, "20260225T020000Z-run7")); err == nil {
		t.Errorf("the link's target (run1) is gone, yet the link resolves")
	}
}

func TestKeepFolders_DryRunChangesNothing(t *testing.T) {
	dir := keepFixture(t)
	before := mustSnapshotDir(t, dir)
	removed, err := KeepFolders(dir, 2, true)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(removed), 4; got != want {
		t.Errorf("dry run lists %d folders, want %d", got, want)
	}
	if after := mustSnapshotDir(t, dir); !mapsEqual(before, after) {
		t.Errorf("dry run changed the report dir")
	}
}

func TestKeepFolders_NeverRemovesTheNewestOrLatest(t *testing.T) {
	dir := t.TempDir()
	mustReportFolder(t, dir, "20260301T020000Z-run1", "report.xlsx")
	mustReportFolder(t, dir, "20260302T020000Z-run2", "report.xlsx")
	mustReportFolder(t, dir, "20260303T020000Z-run3", "report.xlsx")
	if err := os.Symlink("20260301T020000Z-run1", filepath.Join(dir, LatestName)); err != nil {
		t.Fatal(err)
	}
	removed, err := KeepFolders(dir, 1, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(removed) != 1 || filepath.Base(removed[0].Path) != "20260302T020000Z-run2" {
		t.Errorf("removed %v, want only run2's folder", removed)
	}
	if got, want := mustList(t, dir), []string{"20260301T020000Z-run1", "20260303T020000Z-run3", "latest"}; !slices.Equal(got, want) {
		t.Errorf("left %q, want %q", got, want)
	}
}

func TestKeepFolders_ZeroKeepsEverything(t *testing.T) {
	dir := keepFixture(t)
	before := mustList(t, dir)
	removed, err := KeepFolders(dir, 0, false)
	if err != nil || len(removed) != 0 {
		t.Fatalf("KeepFolders(0)=%v, %v, want nothing removed", removed, err)
	}
	if after := mustList(t, dir); !slices.Equal(before, after) {
		t.Errorf("left %q, want %q", after, before)
	}
}
