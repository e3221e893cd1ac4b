package report

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/mcawatch/mcawatch/fetch/pctest"
	"github.com/mcawatch/mcawatch/storage"
)

func readHeader(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h, err := csv.NewReader(f).Read()
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestWrite_ResellerColumnOnlyWhenGrouped(t *testing.T) {
	previous, current := benchSnapshots(300)
	contract := map[string][]string{
		"missing.csv":  {"customer_id", "company_name", "domain", "missing_since"},
		"outdated.csv": {"customer_id", "company_name", "domain", "latest_date_agreed", "contact_name", "contact_email", "outdated_since"},
		"errors.csv":   {"customer_id", "company_name", "http_status", "error_code", "message", "attempts"},
	}
	plain, err := Write(Diff(previous, current, DiffOptions{}), WriteOptions{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(plain, "resellers.csv")); !os.IsNotExist(err) {
		t.Fatalf("an ungrouped report has resellers.csv (%v)", err)
	}
	for file, want := range contract {
		if got := readHeader(t, filepath.Join(plain, file)); !slices.Equal(got, want) {
			t.Fatalf("ungrouped %s header %v, want the contract's %v", file, got, want)
		}
	}
	r := Diff(previous, current, DiffOptions{})
	Group(r, current, benchGrouping(current, 7))
	grouped, err := Write(r, WriteOptions{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	for file, want := range contract {
		if got := readHeader(t, filepath.Join(grouped, file)); !slices.Equal(got, append(want, "reseller")) {
			t.Fatalf("grouped %s header %v, want the contract's and a trailing reseller", file, got)
		}
	}
	// Totals count a customer once; the reseller rows count it under each.
	sum := 0
	for _, row := range r.Resellers {
		sum += row.Customers
	}
	twoWay := 0
	for _, rs := range benchGrouping(current, 7).ByCustomer {
		if len(rs) == 2 {
			twoWay++
		}
	}
	if got, want := sum, r.Summary.Customers+twoWay; got != want {
		t.Fatalf("reseller rows count %d customers, want %d (%d in the run, %d under two resellers)", got, want, r.Summary.Customers, twoWay)
	}
}

func TestResellerFolderName_SafeOnWindowsAndLinux(t *testing.T) {
	seen := map[string]bool{}
	for i, name := range append(pctest.SpecialResellerNames(), "", "...", "a\x00b\tc") {
		id := strings.Repeat("0", 7) + string(rune('a'+i%26)) + "-0000-0000-0000-000000000000"
		got := ResellerFolderName(id, name)
		if strings.ContainsAny(got, `/\:*?"<>|`) || strings.ContainsFunc(got, func(r rune) bool { return r < 0x20 }) {
			t.Fatalf("ResellerFolderName(%q)=%q holds a character a file name may not", name, got)
		}
		if strings.TrimRight(got, ". ") != got || !utf8.ValidString(got) || len(got) > 255 || !strings.HasPrefix(got, id) {
			t.Fatalf("ResellerFolderName(%q)=%q: ends in a dot or space, is not UTF-8, too long, or does not start with the id", name, got)
		}
		if seen[strings.ToLower(got)] {
			t.Fatalf("ResellerFolderName(%q)=%q twice", name, got)
		}
		seen[strings.ToLower(got)] = true
	}
	if got := folderNames([]storage.Reseller{{ID: "a/b", Name: "x"}, {ID: "a:b", Name: "x"}}); got[0] == got[1] {
		t.Fatalf("folderNames()=%v: two resellers share a folder", got)
	}
}
