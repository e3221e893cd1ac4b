package report

import (
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
			Customers: 10,
			Accepted:  4 + i/2,
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
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Errorf("report dir holds %d entries, want only the run folder: %v", len(entries), entries)
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
	want := []string{"acceptances.csv", "errors.csv", "missing.csv", "new.csv", "removed.csv", "report.xlsx"}
	if !slices.Equal(names, want) {
		t.Errorf("folder files = %q, want %q", names, want)
	}
}

func TestWrite_ReRenderReplaces(t *testing.T) {
	dir, folder, r := mustWriteFixture(t)
	stale := filepath.Join(folder, "stale.txt")
	if err := os.WriteFile(stale, []byte("old"), 0o640); err != nil {
		t.Fatal(err)
	}
	again, err := Write(r, WriteOptions{Dir: dir, Formats: []string{FormatCSV}, Now: func() time.Time { return fixtureNow }})
	if err != nil {
		t.Fatalf("Write() again: %v", err)
	}
	if again != folder {
		t.Errorf("re-render folder = %q, want %q", again, folder)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("old folder content survived the re-render: stat %s: %v", stale, err)
	}
	if _, err := os.Stat(filepath.Join(folder, "report.xlsx")); !os.IsNotExist(err) {
		t.Errorf("csv-only re-render kept report.xlsx from the old folder")
	}
	if _, err := os.Stat(filepath.Join(folder, "missing.csv")); err != nil {
		t.Errorf("re-rendered folder lacks missing.csv: %v", err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Errorf("report dir holds %d entries after re-render, want 1: %v", len(entries), entries)
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
			entries, _ := os.ReadDir(dir)
			if len(entries) != 0 {
				t.Errorf("report dir holds %v after a failed write, want nothing", entries)
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
	prefix := len(".tmp-" + FolderName(r.Run) + "-")
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
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 0 {
		t.Errorf("report dir holds %v after a failed write, want nothing", entries)
	}
}
