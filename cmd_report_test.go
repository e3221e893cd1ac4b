package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/mcawatch/mcawatch/report"
)

// TestE2E_ReportRerendersIntoAFolderOfItsOwn runs a sweep, then re-renders
// it twice with the report command: each re-render is a new folder named
// "<sweep folder>-rerender-<UTC>" (or "-2" after it within one second),
// the sweep's folder is untouched, latest still opens the sweep's report,
// and the re-render's Summary links the agreement and the relationship
// request as the sweep's did, with no Partner Center call.
func TestE2E_ReportRerendersIntoAFolderOfItsOwn(t *testing.T) {
	srv := newE2EServer(t, 30, 7)
	w := newWorkspace(t, srv, "  csv_bom: true\n")
	sweep := w.run("run")
	if sweep.code != 0 {
		t.Fatalf("run exit %d:\n%s", sweep.code, sweep.stderr)
	}
	folder := sweep.lastLine()
	reports := filepath.Dir(folder)
	before, err := os.ReadFile(filepath.Join(folder, "missing.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(before), "\ufeffcustomer_id,") {
		t.Errorf("report.csv_bom: true wrote missing.csv starting %q, want a BOM then the contract header", before[:min(20, len(before))])
	}
	requests := srv.Stats().Requests
	var again []string
	for range 2 {
		r := w.run("report")
		if r.code != 0 {
			t.Fatalf("report exit %d:\n%s", r.code, r.stderr)
		}
		again = append(again, r.lastLine())
	}
	if srv.Stats().Requests != requests {
		t.Error("report made Partner Center requests")
	}
	name := regexp.MustCompile(`^` + regexp.QuoteMeta(filepath.Base(folder)) + `-rerender-\d{8}T\d{6}Z(-2)?$`)
	for _, a := range again {
		if filepath.Dir(a) != reports || !name.MatchString(filepath.Base(a)) {
			t.Errorf("re-render folder = %s, want %s-rerender-<UTC> in %s", a, filepath.Base(folder), reports)
		}
	}
	if again[0] == again[1] || again[0] == folder {
		t.Errorf("re-renders share a folder: %q, sweep %s", again, folder)
	}
	after, err := os.ReadFile(filepath.Join(folder, "missing.csv"))
	if err != nil || string(after) != string(before) {
		t.Errorf("the sweep's report changed under a re-render (%v)", err)
	}
	if target, err := os.Readlink(filepath.Join(reports, report.LatestName)); err != nil || target != filepath.Base(folder) {
		t.Errorf("latest = %q (%v), want the sweep's %s", target, err, filepath.Base(folder))
	}
	for _, dir := range []string{folder, again[0]} {
		f, err := excelize.OpenFile(filepath.Join(dir, "report.xlsx"))
		if err != nil {
			t.Fatal(err)
		}
		rows, err := f.GetRows("Summary")
		if err != nil {
			t.Fatal(err)
		}
		links := 0
		for i, row := range rows {
			if len(row) == 0 || (row[0] != "Agreement document" && row[0] != "Relationship request URL") {
				continue
			}
			links++
			ref, _ := excelize.CoordinatesToCellName(2, i+1)
			if ok, link, err := f.GetCellHyperLink("Summary", ref); !ok || !strings.HasPrefix(link, "https://") || err != nil {
				t.Errorf("%s: %s link = %v %q (%v), want the stored run's link", dir, row[0], ok, link, err)
			}
		}
		if links != 2 {
			t.Errorf("%s: Summary shows %d of the two links", dir, links)
		}
		f.Close()
	}
}
