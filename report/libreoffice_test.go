package report

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mcawatch/mcawatch/storage"
)

// TestXLSX_OpensInLibreOffice converts report.xlsx with a real LibreOffice,
// every sheet to its own CSV, and checks what came out. CI installs
// libreoffice-calc-nogui; without it the test is skipped, saying so, except
// in CI (CI set), where it fails.
func TestXLSX_OpensInLibreOffice(t *testing.T) {
	soffice := mustSoffice(t)
	_, folder, _ := mustWriteFixture(t, FormatXLSX)
	out := t.TempDir()
	profile := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	// Filter options: comma, double quote, UTF-8, from line 1, …, and the
	// final -1 exports every sheet to <name>-<sheet>.csv (LibreOffice ≥ 7.2).
	cmd := exec.CommandContext(ctx, soffice,
		"-env:UserInstallation=file://"+filepath.ToSlash(profile),
		"--headless", "--norestore",
		"--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1",
		"--outdir", out,
		filepath.Join(folder, "report.xlsx"))
	output, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("soffice --convert-to: %v\n%s", err, output)
	}
	// soffice exits 0 even when it cannot load a file; it then prints
	// "Error: source file could not be loaded" (or similar) on a line.
	for _, line := range strings.Split(string(output), "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "Error") {
			t.Fatalf("soffice reported an error:\n%s", output)
		}
	}
	tests := []struct {
		sheet string
		want  []string
	}{
		{"Summary", []string{"Customers,18", "Previous run,1", "Outdated,5", "Blocked for orders,7", relationshipHint, agreementHint}},
		{"Missing", []string{"Company,Customer ID,Domain,Missing since (UTC)", `"Fabrikam ""Quoted"" Inc"`}},
		{"Outdated", []string{"Company,Customer ID,Domain,Last accepted on,Contact,Contact email,Outdated since (UTC)",
			"Northwind Traders,11111111-2222-3333-4444-000000000006,northwind.onmicrosoft.com,2018-06-14",
			"Undated Only AB,11111111-2222-3333-4444-000000000018,undatedonly.onmicrosoft.com,,Uno Undén"}},
		{"Acceptances", []string{`=HYPERLINK(""http://evil.example"",""click"")`, "Åkerlund & Söner AB"}},
		{"Errors", []string{"Tailspin Toys,11111111-2222-3333-4444-000000000007,Partner Center refused access to this customer (403)"}},
	}
	for _, tt := range tests {
		b, err := os.ReadFile(filepath.Join(out, "report-"+tt.sheet+".csv"))
		if err != nil {
			entries, _ := os.ReadDir(out)
			t.Fatalf("LibreOffice wrote no CSV for %s (%v); it wrote %v; output:\n%s", tt.sheet, err, entries, output)
		}
		for _, want := range tt.want {
			if !strings.Contains(string(b), want) {
				t.Errorf("LibreOffice's %s lacks %q:\n%s", tt.sheet, want, b)
			}
		}
	}
}

// mustSoffice finds LibreOffice, skipping the test without it, saying so,
// except in CI (CI set), where it fails.
func mustSoffice(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"soffice", "libreoffice"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("soffice/libreoffice not on PATH in CI: .ci/run installs libreoffice-calc-nogui, and this check must not be skipped")
	}
	t.Skip("soffice/libreoffice not on PATH: install libreoffice-calc-nogui to run this check")
	return ""
}

// convertToPDF prints path with LibreOffice and returns the PDF's pages.
func convertToPDF(t *testing.T, soffice, path string) int {
	t.Helper()
	out := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, soffice,
		"-env:UserInstallation=file://"+filepath.ToSlash(t.TempDir()),
		"--headless", "--norestore", "--convert-to", "pdf", "--outdir", out, path)
	output, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("soffice --convert-to pdf: %v\n%s", err, output)
	}
	pdf, err := os.ReadFile(filepath.Join(out, strings.TrimSuffix(filepath.Base(path), ".xlsx")+".pdf"))
	if err != nil {
		t.Fatalf("LibreOffice wrote no PDF (%v); output:\n%s", err, output)
	}
	// Each page is an object "/Type /Page" (the page tree is "/Pages").
	return len(pdfPage.FindAll(pdf, -1))
}

var pdfPage = regexp.MustCompile(`/Type\s*/Page[^s]`)

// TestXLSX_DemoSizedReportPrintsOnFewPages prints a report the size of the
// demo's (500 customers, a month of trend) with a real LibreOffice: the
// Summary on one page, chart whole, and the workbook in at most 25 pages.
func TestXLSX_DemoSizedReportPrintsOnFewPages(t *testing.T) {
	soffice := mustSoffice(t)
	previous, current := benchSnapshots(500)
	r := Diff(previous, current, DiffOptions{})
	trend := make([]storage.TrendPoint, 30)
	for i := range trend {
		trend[i] = storage.TrendPoint{RunID: int64(i + 1), Started: day1.AddDate(0, 0, i-28), Customers: 500,
			Accepted: 200 + i, Outdated: 200 - i, Missing: 100 - i/3, Errors: i % 3}
	}
	r.Run.ID, r.Previous.ID = 30, 29
	folder, err := Write(r, WriteOptions{Dir: t.TempDir(), Formats: []string{FormatXLSX}, Trend: trend})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(folder, "report.xlsx")
	pages := convertToPDF(t, soffice, path)
	if pages < 7 || pages > 25 {
		t.Errorf("the report prints on %d pages, want 7 (a sheet each) to 25", pages)
	}
	t.Logf("the report prints on %d pages", pages)
	// The Summary alone: a copy of the workbook without the other sheets.
	f := mustOpenXLSX(t, path)
	for _, sheet := range f.GetSheetList() {
		if sheet != summarySheet {
			if err := f.DeleteSheet(sheet); err != nil {
				t.Fatal(err)
			}
		}
	}
	summary := filepath.Join(t.TempDir(), "summary.xlsx")
	if err := f.SaveAs(summary); err != nil {
		t.Fatal(err)
	}
	if got := convertToPDF(t, soffice, summary); got != 1 {
		t.Errorf("the Summary prints on %d pages, want 1", got)
	}
}

// TestXLSX_DemoReportPrintsOnFewPages builds mcawatch, runs its demo (500
// customers, two sweeps) and prints the demo's report, reached through
// reports/latest, with a real LibreOffice: at most 25 pages in all, the
// Summary on one.
func TestXLSX_DemoReportPrintsOnFewPages(t *testing.T) {
	soffice := mustSoffice(t)
	if testing.Short() {
		t.Skip("builds and runs the demo")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "mcawatch")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/mcawatch/mcawatch").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	demo := filepath.Join(dir, "demo")
	if out, err := exec.CommandContext(ctx, bin, "demo", "--out", demo).CombinedOutput(); err != nil {
		t.Fatalf("mcawatch demo: %v\n%s", err, out)
	}
	path := filepath.Join(demo, "reports", LatestName, "report.xlsx")
	pages := convertToPDF(t, soffice, path)
	if pages < 7 || pages > 25 {
		t.Errorf("the demo's report prints on %d pages, want 7 (a sheet each) to 25", pages)
	}
	t.Logf("the demo's report prints on %d pages", pages)
	f := mustOpenXLSX(t, path)
	for _, sheet := range f.GetSheetList() {
		if sheet != summarySheet {
			if err := f.DeleteSheet(sheet); err != nil {
				t.Fatal(err)
			}
		}
	}
	summary := filepath.Join(t.TempDir(), "summary.xlsx")
	if err := f.SaveAs(summary); err != nil {
		t.Fatal(err)
	}
	if got := convertToPDF(t, soffice, summary); got != 1 {
		t.Errorf("the demo's Summary prints on %d pages, want 1", got)
	}
}
