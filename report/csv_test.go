package report

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/report/golden")

var fixtureNow = time.Date(2026, 11, 22, 2, 6, 0, 0, time.UTC)

// mustWriteFixture diffs the hand-made snapshot pair and writes the report
// into a temporary directory.
func mustWriteFixture(tb testing.TB, formats ...string) (dir, folder string, r *Report) {
	tb.Helper()
	r = Diff(mustLoadSnapshot(tb, "previous.json"), mustLoadSnapshot(tb, "current.json"), DiffOptions{})
	dir = tb.TempDir()
	folder, err := Write(r, WriteOptions{
		Dir:             dir,
		Formats:         formats,
		RelationshipURL: "https://admin.microsoft.com/Adminportal/Home?invType=ResellerRelationship&partnerId=0e3e4e5f#/BillingAccounts/partner-invitation",
		Trend:           fixtureTrend(),
		Now:             func() time.Time { return fixtureNow },
	})
	if err != nil {
		tb.Fatalf("Write() error = %v", err)
	}
	return dir, folder, r
}

func TestWriteCSV_Golden(t *testing.T) {
	_, folder, _ := mustWriteFixture(t, FormatCSV)
	for _, name := range []string{"missing.csv", "new.csv", "removed.csv", "errors.csv", "acceptances.csv"} {
		t.Run(name, func(t *testing.T) {
			got, err := os.ReadFile(filepath.Join(folder, name))
			if err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("..", "testdata", "report", "golden", name)
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from %s:\n got:\n%s\nwant:\n%s", name, golden, got, want)
			}
		})
	}
}

func TestWriteCSV_Neutralises(t *testing.T) {
	_, folder, _ := mustWriteFixture(t, FormatCSV)
	b, err := os.ReadFile(filepath.Join(folder, "acceptances.csv"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	for _, want := range []string{
		`"'=HYPERLINK(""http://evil.example"",""click"")"`, // formula-like company name
		`'-minus Corp`,
		`'@Joined GmbH`,
		`'+46 8 123 45 67`,
		"2019-08-26T00:00:00Z",
		"\r\n",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("acceptances.csv lacks %q:\n%s", want, text)
		}
	}
	if bytes.HasPrefix(b, []byte("\xef\xbb\xbf")) {
		t.Errorf("acceptances.csv starts with a byte-order mark")
	}
	for _, line := range strings.Split(strings.TrimSuffix(text, "\r\n"), "\r\n") {
		for _, bad := range []string{",=", ",+", ",-", ",@"} {
			if strings.Contains(line, bad) {
				t.Errorf("acceptances.csv line has an unneutralised cell (%q): %s", bad, line)
			}
		}
	}
}

func TestNeutralise(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"Contoso", "Contoso"},
		{"=1+1", "'=1+1"},
		{"+46", "'+46"},
		{"-2", "'-2"},
		{"@SUM(A1)", "'@SUM(A1)"},
		{"\tx", "'\tx"},
		{"\rx", "'\rx"},
		{"\nx", "'\nx"},
		{"\x00x", "'\x00x"},
		{"a=b", "a=b"},
	}
	for _, tt := range tests {
		if got := neutralise(tt.in); got != tt.want {
			t.Errorf("neutralise(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
