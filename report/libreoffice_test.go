package report

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestXLSX_OpensInLibreOffice converts report.xlsx with a real LibreOffice,
// every sheet to its own CSV, and checks what came out. CI installs
// libreoffice-calc-nogui; without it the test is skipped, saying so, except
// in CI (CI set), where it fails.
func TestXLSX_OpensInLibreOffice(t *testing.T) {
	soffice := ""
	for _, name := range []string{"soffice", "libreoffice"} {
		if p, err := exec.LookPath(name); err == nil {
			soffice = p
			break
		}
	}
	switch {
	case soffice == "" && os.Getenv("CI") != "":
		t.Fatal("soffice/libreoffice not on PATH in CI: .ci/run installs libreoffice-calc-nogui, and this check must not be skipped")
	case soffice == "":
		t.Skip("soffice/libreoffice not on PATH: install libreoffice-calc-nogui to run this check")
	}
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
