package jobs

import (
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/mcawatch/mcawatch/fetch"
	"github.com/mcawatch/mcawatch/fetch/pctest"
	"github.com/mcawatch/mcawatch/report"
	"github.com/mcawatch/mcawatch/storage"
)

// newIndirect is an indirect provider of n customers under resellers
// resellers, served in pages of 3 customers.
func newIndirect(t *testing.T, n, resellers int) *pctest.Server {
	t.Helper()
	srv := pctest.New(pctest.Options{Customers: n, Resellers: resellers, Seed: 11, Token: testToken, PageSize: 3})
	t.Cleanup(srv.Close)
	return srv
}

// readCSV reads a report CSV file as records, header first.
func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	return recs
}

// column returns the index of name in header, failing the test if absent.
func column(t *testing.T, header []string, name string) int {
	t.Helper()
	i := slices.Index(header, name)
	if i < 0 {
		t.Fatalf("no column %q in %v", name, header)
	}
	return i
}

// twoWayCustomer returns a customer reached through two resellers.
func twoWayCustomer(t *testing.T, srv *pctest.Server) (string, []string) {
	t.Helper()
	for _, c := range srv.Customers() {
		if rs := srv.ResellersOf(c.ID); len(rs) == 2 {
			return c.ID, rs
		}
	}
	t.Fatal("pctest has no customer under two resellers")
	return "", nil
}

func TestSweep_GroupByReseller_CountsACustomerOnceListsItUnderBothAndAFailedListingIsTheResellersError(t *testing.T) {
	srv := newIndirect(t, 120, 5)
	resellers := srv.Resellers()
	shared, sharedUnder := twoWayCustomer(t, srv)
	// A reseller whose listing fails every time, and which is not one of
	// the shared customer's.
	var broken pctest.Reseller
	for _, r := range resellers {
		if !slices.Contains(sharedUnder, r.ID) && len(srv.ResellerCustomers(r.ID)) > 3 {
			broken = r
			break
		}
	}
	if broken.ID == "" {
		t.Fatal("no reseller to break")
	}
	// The broken reseller lists more customers than a page holds: its
	// carried customers came from several pages the night before.
	dir := t.TempDir()
	db := mustOpenDB(t, filepath.Join(dir, "m.db"))
	client, err := fetch.New(fetch.Options{BaseURL: srv.URL(), Token: fetch.StaticToken(testToken),
		Concurrency: 4, MaxAttempts: 2, Timeout: 5 * time.Second, PageSize: 3})
	if err != nil {
		t.Fatal(err)
	}
	opts := SweepOptions{Kind: "run", GroupByReseller: true, Report: report.WriteOptions{Dir: filepath.Join(dir, "reports")}}

	// Night 1: every listing works.
	out1, err := Sweep(context.Background(), db, client, opts)
	if err != nil {
		t.Fatal(err)
	}
	// Night 2: one reseller's listing fails.
	srv.SetIndirectFaults(pctest.IndirectFaults{Resellers: map[string]pctest.Fault{broken.ID: pctest.Fault500}})
	out, err := Sweep(context.Background(), db, client, opts)
	if err != nil {
		t.Fatal(err)
	}

	if got, want := out.Report.Summary.Customers, 120; got != want {
		t.Fatalf("Summary.Customers=%d, want %d (a customer of two resellers counted once)", got, want)
	}
	if got := out.Report.Summary.Missing + out.Report.Summary.Outdated + out.Report.Summary.Accepted + out.Report.Summary.Errors + out.Report.Summary.NoRelationship; got != 120 {
		t.Fatalf("totals add up to %d, want 120", got)
	}
	if got, want := out.Report.Summary.Errors, 0; got != want {
		t.Fatalf("Summary.Errors=%d, want %d: a failed reseller listing is no customer's error", got, want)
	}
	if got, want := out.Report.Summary.Missing, out1.Report.Summary.Missing; got != want {
		t.Fatalf("Missing=%d on the night a listing failed, %d the night before: a failed listing made customers missing", got, want)
	}

	folder := out.Folder
	res := readCSV(t, filepath.Join(folder, "resellers.csv"))
	h := res[0]
	if want := []string{"reseller_id", "reseller_name", "customers", "accepted", "outdated", "missing", "errors", "blocked", "newly_blocked", "error"}; !slices.Equal(h, want) {
		t.Fatalf("resellers.csv header %v, want %v", h, want)
	}
	byID := map[string][]string{}
	prevBlocked := 1 << 30
	sum := 0
	for _, rec := range res[1:] {
		byID[rec[0]] = rec
		b, _ := strconv.Atoi(rec[column(t, h, "blocked")])
		if b > prevBlocked {
			t.Fatalf("resellers.csv not sorted by blocked customers: %v", res)
		}
		prevBlocked = b
		n, _ := strconv.Atoi(rec[column(t, h, "customers")])
		sum += n
	}
	if rec, ok := byID[strings.ToLower(broken.ID)]; !ok || rec[column(t, h, "error")] == "" {
		t.Fatalf("the failed reseller's row %v has no error", rec)
	} else if n, _ := strconv.Atoi(rec[column(t, h, "customers")]); n != len(srv.ResellerCustomers(broken.ID)) {
		t.Fatalf("failed reseller lists %d customers, want %d carried from the night before", n, len(srv.ResellerCustomers(broken.ID)))
	}
	// Under both resellers: the sum of the rows counts it twice.
	twoWay := 0
	for _, c := range srv.Customers() {
		if len(srv.ResellersOf(c.ID)) == 2 {
			twoWay++
		}
	}
	if got, want := sum, 120+twoWay; got != want {
		t.Fatalf("resellers.csv customers sum to %d, want %d (120 customers, %d under two resellers)", got, want, twoWay)
	}
	for _, rid := range sharedUnder {
		if _, ok := byID[strings.ToLower(rid)]; !ok {
			t.Fatalf("reseller %s of the shared customer has no row", rid)
		}
	}
	// The reseller column names both of the shared customer's resellers,
	// and no customer is called direct or unknown wrongly.
	for _, file := range []string{"missing.csv", "outdated.csv", "new.csv", "errors.csv"} {
		recs := readCSV(t, filepath.Join(folder, file))
		if got := recs[0][len(recs[0])-1]; got != "reseller" {
			t.Fatalf("%s's last column %q, want reseller", file, got)
		}
		for _, rec := range recs[1:] {
			id := rec[0]
			label := rec[len(rec)-1]
			want := srv.ResellersOf(id)
			if len(want) == 0 {
				if label != report.GroupDirect {
					t.Fatalf("%s: direct customer %s labelled %q", file, id, label)
				}
				continue
			}
			for _, rid := range want {
				r := resellerByID(resellers, rid)
				if !strings.Contains(label, r.Name) {
					t.Fatalf("%s: customer %s labelled %q, want it to name %q", file, id, label, r.Name)
				}
			}
		}
	}
	// The workbook has the Resellers sheet, with the failed listing's error.
	f, err := excelize.OpenFile(filepath.Join(folder, "report.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows("Resellers")
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, row := range rows[1:] {
		if row[0] == strings.ToLower(broken.ID) {
			found = len(row) == 10 && row[9] != ""
		}
	}
	if !found {
		t.Fatalf("Resellers sheet shows no error for the failed reseller %s: %v", broken.ID, rows)
	}
	// Stored per run: the shared customer is under both resellers in both runs.
	hist, err := db.CustomerResellers(shared)
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 2 || len(hist[1].Resellers) != 2 {
		t.Fatalf("CustomerResellers(%s)=%+v, want two runs with two resellers each", shared, hist)
	}
}

func resellerByID(rs []pctest.Reseller, id string) pctest.Reseller {
	for _, r := range rs {
		if strings.EqualFold(r.ID, id) {
			return r
		}
	}
	return pctest.Reseller{}
}

func TestSweep_GroupByReseller_ExtraRequestsGoThroughTheSweepsClient(t *testing.T) {
	srv := newIndirect(t, 60, 3)
	dir := t.TempDir()
	db := mustOpenDB(t, filepath.Join(dir, "m.db"))
	client, err := fetch.New(fetch.Options{BaseURL: srv.URL(), Token: fetch.StaticToken(testToken),
		Concurrency: 4, MaxAttempts: 2, Timeout: 5 * time.Second, PageSize: 3})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Sweep(context.Background(), db, client, SweepOptions{GroupByReseller: true,
		Report: report.WriteOptions{Dir: filepath.Join(dir, "reports")}}); err != nil {
		t.Fatal(err)
	}
	run, err := db.LatestRun(storage.StateComplete)
	if err != nil {
		t.Fatal(err)
	}
	g, err := db.LoadGrouping(run.ID)
	if err != nil {
		t.Fatal(err)
	}
	if g.Requests == 0 || client.Stats().Requests < g.Requests {
		t.Fatalf("grouping took %d requests, client counted %d in all", g.Requests, client.Stats().Requests)
	}
	// Each listing took as many pages as its customers fill (an empty
	// last page at most), and every customer was assigned.
	pages := 0
	for _, r := range srv.Resellers() {
		pages += max(1, (len(srv.ResellerCustomers(r.ID))+2)/3)
	}
	if pages <= len(srv.Resellers()) {
		t.Fatalf("no reseller has more customers than a page (%d pages for %d resellers)", pages, len(srv.Resellers()))
	}
	if got := g.Requests; got < int64(pages) {
		t.Fatalf("grouping took %d requests, want at least %d (one a page)", got, pages)
	}
	for _, c := range srv.Customers() {
		if got, want := g.ByCustomer[strings.ToLower(c.ID)], srv.ResellersOf(c.ID); len(got) != len(want) {
			t.Fatalf("customer %s stored under %v, pctest has %v", c.ID, got, want)
		}
	}
}

func TestSweep_GroupByReseller_FirstRunWithAFailedListingCallsItsCustomersUnknownNotDirect(t *testing.T) {
	srv := newIndirect(t, 90, 4)
	broken := srv.Resellers()[0]
	srv.SetIndirectFaults(pctest.IndirectFaults{Resellers: map[string]pctest.Fault{broken.ID: pctest.Fault404}})
	dir := t.TempDir()
	db := mustOpenDB(t, filepath.Join(dir, "m.db"))
	client, err := fetch.New(fetch.Options{BaseURL: srv.URL(), Token: fetch.StaticToken(testToken),
		Concurrency: 4, MaxAttempts: 2, Timeout: 5 * time.Second, PageSize: 3})
	if err != nil {
		t.Fatal(err)
	}
	out, err := Sweep(context.Background(), db, client, SweepOptions{GroupByReseller: true,
		Report: report.WriteOptions{Dir: filepath.Join(dir, "reports")}})
	if err != nil {
		t.Fatal(err)
	}
	// Its customers reached through no other reseller are unknown; the
	// truly direct ones cannot be told from them, so they are unknown too.
	wantUnknown := 0
	for _, c := range srv.Customers() {
		rs := srv.ResellersOf(c.ID)
		if len(rs) == 0 || len(rs) == 1 && strings.EqualFold(rs[0], broken.ID) {
			wantUnknown++
		}
	}
	var unknown, direct int
	for _, row := range out.Report.Resellers {
		switch row.ID {
		case report.GroupUnknown:
			unknown = row.Customers
		case report.GroupDirect:
			direct = row.Customers
		}
	}
	if unknown != wantUnknown || direct != 0 {
		t.Fatalf("unknown=%d direct=%d, want unknown=%d direct=0: a failed listing leaves no customer called direct", unknown, direct, wantUnknown)
	}
	for _, rec := range readCSV(t, filepath.Join(out.Folder, "missing.csv"))[1:] {
		if rec[len(rec)-1] == report.GroupDirect {
			t.Fatalf("missing.csv calls %s direct while a listing failed", rec[0])
		}
	}
	if out.Report.Summary.Customers != 90 || out.Report.Summary.Errors != 0 {
		t.Fatalf("Summary=%+v, want 90 customers and no error", out.Report.Summary)
	}
}
