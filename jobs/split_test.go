package jobs

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/mcawatch/mcawatch/fetch"
	"github.com/mcawatch/mcawatch/fetch/pctest"
	"github.com/mcawatch/mcawatch/report"
	"github.com/mcawatch/mcawatch/storage"
)

// splitOutcome is the second sweep of splitSweep and its database.
type splitOutcome struct {
	*Outcome
	db *storage.DB
}

// splitSweep runs two grouped sweeps with split_by_reseller against an
// indirect provider whose resellers have every unsafe name, some customers
// losing their agreement between the two, and returns the server and the
// second sweep. prepare, when set, sees the server before the first sweep.
func splitSweep(t *testing.T, notifier *Notifier, prepare func(*pctest.Server)) (*pctest.Server, splitOutcome) {
	t.Helper()
	n := len(pctest.SpecialResellerNames()) + 2
	srv := pctest.New(pctest.Options{Customers: 160, Resellers: n, Seed: 5, Token: testToken, PageSize: 9})
	t.Cleanup(srv.Close)
	if prepare != nil {
		prepare(srv)
	}
	dir := t.TempDir()
	db := mustOpenDB(t, filepath.Join(dir, "m.db"))
	client, err := fetch.New(fetch.Options{BaseURL: srv.URL(), Token: fetch.StaticToken(testToken),
		Concurrency: 4, MaxAttempts: 2, Timeout: 5 * time.Second, PageSize: 9})
	if err != nil {
		t.Fatal(err)
	}
	opts := SweepOptions{GroupByReseller: true, Notify: notifier,
		Report: report.WriteOptions{Dir: filepath.Join(dir, "reports"), SplitByReseller: true}}
	if _, err := Sweep(context.Background(), db, client, opts); err != nil {
		t.Fatal(err)
	}
	loseAgreement(t, srv, 12)
	out, err := Sweep(context.Background(), db, client, opts)
	if err != nil {
		t.Fatal(err)
	}
	return srv, splitOutcome{out, db}
}

// customersIn returns the customer ids of every row of every CSV file in
// folder, failing the test on a row of a customer not in allowed.
func customersIn(t *testing.T, folder string, allowed map[string]bool) map[string]bool {
	t.Helper()
	seen := map[string]bool{}
	files, err := filepath.Glob(filepath.Join(folder, "*.csv"))
	if err != nil || len(files) != 7 {
		t.Fatalf("%s holds CSV files %v (%v), want the 6 of the contract and resellers.csv", folder, files, err)
	}
	for _, file := range files {
		recs := readCSV(t, file)
		if filepath.Base(file) == "resellers.csv" {
			continue
		}
		col := column(t, recs[0], "customer_id")
		for _, rec := range recs[1:] {
			if !allowed[rec[col]] {
				t.Fatalf("%s lists customer %s, which is not this reseller's", file, rec[col])
			}
			seen[rec[col]] = true
		}
	}
	return seen
}

func TestSweep_SplitByReseller_EachFolderHoldsExactlyItsOwnCustomersInEveryFile(t *testing.T) {
	srv, out := splitSweep(t, nil, nil)
	folders := out.Report.ResellerFolders()
	entries, err := os.ReadDir(filepath.Join(out.Folder, report.SplitDir))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(entries), len(srv.Resellers()); got != want {
		t.Fatalf("%d reseller folders, want %d", got, want)
	}
	names := map[string]bool{}
	for _, e := range entries {
		name := e.Name()
		if strings.ContainsAny(name, `/\:*?"<>|`) || strings.TrimRight(name, ". ") != name || len(name) > 255 ||
			strings.HasPrefix(name, ".") || names[strings.ToLower(name)] {
			t.Fatalf("reseller folder name %q is not safe on Windows and Linux, or not unique", name)
		}
		names[strings.ToLower(name)] = true
	}
	for _, rs := range srv.Resellers() {
		id := strings.ToLower(rs.ID)
		mine := map[string]bool{}
		for _, c := range srv.ResellerCustomers(rs.ID) {
			mine[strings.ToLower(c)] = true
		}
		folder := filepath.Join(out.Folder, folders[id])
		seen := customersIn(t, folder, mine)
		if len(seen) != len(mine) {
			t.Fatalf("reseller %q folder lists %d customers, want exactly its %d", rs.Name, len(seen), len(mine))
		}
		res := readCSV(t, filepath.Join(folder, "resellers.csv"))
		if len(res) != 2 || res[1][0] != id {
			t.Fatalf("reseller %q resellers.csv = %v, want its own row only", rs.Name, res)
		}
		f, err := excelize.OpenFile(filepath.Join(folder, "report.xlsx"))
		if err != nil {
			t.Fatal(err)
		}
		for _, sheet := range f.GetSheetList() {
			rows, err := f.GetRows(sheet)
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case sheet == "Summary":
				continue
			case sheet == "Resellers":
				if len(rows) != 2 || rows[1][0] != id {
					t.Fatalf("reseller %q Resellers sheet %v, want its own row only", rs.Name, rows)
				}
				continue
			}
			col := slices.Index(rows[0], "Customer ID")
			if col < 0 {
				t.Fatalf("sheet %s has no Customer ID column: %v", sheet, rows[0])
			}
			for _, row := range rows[1:] {
				if !mine[row[col]] {
					t.Fatalf("reseller %q sheet %s lists customer %s, not its own", rs.Name, sheet, row[col])
				}
				// The reseller column names no other reseller.
				if i := slices.Index(rows[0], "Reseller"); i >= 0 && i < len(row) && row[i] != rs.Name {
					t.Fatalf("reseller %q sheet %s names reseller %q", rs.Name, sheet, row[i])
				}
			}
		}
		f.Close()
	}
}
