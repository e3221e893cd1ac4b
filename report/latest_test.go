package report

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"
)

// TestWrite_RerenderNeverWritesIntoAnExistingFolder re-renders a run twice
// in the same second after its sweep: each re-render gets a folder of its
// own named for the re-render, a folder already holding that name (someone
// else's) is left as it was, the sweep's report is untouched, and latest
// still opens the sweep's report.
func TestWrite_RerenderNeverWritesIntoAnExistingFolder(t *testing.T) {
	dir, sweep, r := mustWriteFixture(t)
	at := time.Date(2026, 11, 23, 9, 30, 0, 0, time.UTC)
	name := RerenderFolderName(r.Run, at)
	if want := "20261122T020000Z-run2-rerender-20261123T093000Z"; name != want {
		t.Fatalf("RerenderFolderName = %q, want %q", name, want)
	}
	theirs := filepath.Join(dir, name)
	if err := os.Mkdir(theirs, 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(theirs, "missing.csv"), []byte("not yours"), 0o640); err != nil {
		t.Fatal(err)
	}
	before := mustReadTree(t, sweep)
	var folders []string
	for range 2 {
		folder, err := Write(r, WriteOptions{Dir: dir, Rerender: at})
		if err != nil {
			t.Fatal(err)
		}
		folders = append(folders, filepath.Base(folder))
	}
	if want := []string{name + "-2", name + "-3"}; !slices.Equal(folders, want) {
		t.Errorf("re-render folders = %q, want %q", folders, want)
	}
	if b, err := os.ReadFile(filepath.Join(theirs, "missing.csv")); err != nil || string(b) != "not yours" {
		t.Errorf("a re-render wrote into an existing folder: %q, %v", b, err)
	}
	if after := mustReadTree(t, sweep); !mapsEqual(before, after) {
		t.Errorf("the sweep's report changed under a re-render")
	}
	if got := mustLatest(t, dir); got != filepath.Base(sweep) {
		t.Errorf("latest = %q after re-renders, want the sweep's %q", got, filepath.Base(sweep))
	}
	// What the sweep's Summary showed, the re-render shows: the links
	// come from the stored run.
	f := mustOpenXLSX(t, filepath.Join(dir, folders[0], "report.xlsx"))
	for _, label := range []string{"Agreement document", "Relationship request URL"} {
		if ok, link, err := f.GetCellHyperLink(summarySheet, cellName(t, 2, rowOf(t, f, summarySheet, label))); !ok || link == "" || err != nil {
			t.Errorf("re-render's %s: %v %q %v", label, ok, link, err)
		}
	}
}

// TestUpdateLatest_ReaderAlwaysFindsACompleteReport writes report after
// report while a reader keeps opening latest: every time it resolves,
// latest names a whole report (every file there), never nothing or half a
// folder, and at the end it names the last one.
func TestUpdateLatest_ReaderAlwaysFindsACompleteReport(t *testing.T) {
	dir := t.TempDir()
	r := Diff(mustLoadSnapshot(t, "previous.json"), mustLoadSnapshot(t, "current.json"), DiffOptions{})
	opts := WriteOptions{Dir: dir, Formats: []string{FormatCSV}}
	if _, err := Write(r, opts); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	done := make(chan struct{})
	var wg sync.WaitGroup
	var reads, bad int
	var firstBad string
	wg.Go(func() {
		files := []string{"missing.csv", "outdated.csv", "new.csv", "removed.csv", "errors.csv", "acceptances.csv"}
		for {
			select {
			case <-done:
				return
			case <-ctx.Done(): // the deadline of this loop
				return
			default:
			}
			reads++
			for _, name := range files {
				if _, err := os.Stat(filepath.Join(dir, LatestName, name)); err != nil {
					bad++
					if firstBad == "" {
						firstBad = err.Error()
					}
					break
				}
			}
		}
	})
	var last string
	for i := range 40 {
		r.Run.ID = int64(10 + i)
		folder, err := Write(r, opts)
		if err != nil {
			close(done)
			wg.Wait()
			t.Fatal(err)
		}
		last = filepath.Base(folder)
	}
	close(done)
	wg.Wait()
	if ctx.Err() != nil {
		t.Fatal("the writes did not finish within a minute")
	}
	if bad > 0 {
		t.Errorf("%d of %d reads found no complete report behind latest; first: %s", bad, reads, firstBad)
	}
	if got := mustLatest(t, dir); got != last {
		t.Errorf("latest = %q, want the last report %q", got, last)
	}
	// No temporary link is left behind.
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if latestTemp.MatchString(e.Name()) {
			t.Errorf("temporary link %s left behind", e.Name())
		}
	}
}

// TestUpdateLatest_LeavesSomeoneElsesLatestAlone: a "latest" that is not a
// link mcawatch made (a folder, a file) is never replaced; the report is
// written all the same.
func TestUpdateLatest_LeavesSomeoneElsesLatestAlone(t *testing.T) {
	dir := t.TempDir()
	mine := filepath.Join(dir, LatestName)
	if err := os.WriteFile(mine, []byte("my notes"), 0o640); err != nil {
		t.Fatal(err)
	}
	r := Diff(mustLoadSnapshot(t, "previous.json"), mustLoadSnapshot(t, "current.json"), DiffOptions{})
	folder, err := Write(r, WriteOptions{Dir: dir, Formats: []string{FormatCSV}})
	if err != nil {
		t.Fatalf("Write() = %v, want the report written whatever latest is", err)
	}
	if _, err := os.Stat(filepath.Join(folder, "missing.csv")); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(mine); err != nil || string(b) != "my notes" {
		t.Errorf("someone else's latest was replaced: %q, %v", b, err)
	}
	if err := UpdateLatest(dir, folder); err == nil {
		t.Errorf("UpdateLatest over a regular file = nil, want an error")
	}
}

// mustLatest returns the folder name latest points at.
func mustLatest(tb testing.TB, dir string) string {
	tb.Helper()
	target, err := os.Readlink(filepath.Join(dir, LatestName))
	if err != nil {
		tb.Fatalf("read latest: %v", err)
	}
	if filepath.IsAbs(target) {
		tb.Errorf("latest points at the absolute %s: a moved report dir would break it", target)
	}
	return target
}

// mustReadTree reads every file of a folder.
func mustReadTree(tb testing.TB, root string) map[string]string {
	tb.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		out[path] = string(b)
		return err
	})
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		tb.Fatal(err)
	}
	return out
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
