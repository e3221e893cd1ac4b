package report

import (
	"bytes"
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var fixtureNow = time.Date(2026, 11, 22, 2, 6, 0, 0, time.UTC)

// mustWriteFixture diffs the hand-made snapshot pair and writes the report
// into a temporary directory. The links on the Summary sheet come from the
// stored run, as in a re-render.
func mustWriteFixture(tb testing.TB, formats ...string) (dir, folder string, r *Report) {
	tb.Helper()
	r = Diff(mustLoadSnapshot(tb, "previous.json"), mustLoadSnapshot(tb, "current.json"), DiffOptions{})
	dir = tb.TempDir()
	folder, err := Write(r, WriteOptions{
		Dir:     dir,
		Formats: formats,
		Trend:   fixtureTrend(),
		Now:     func() time.Time { return fixtureNow },
	})
	if err != nil {
		tb.Fatalf("Write() error = %v", err)
	}
	return dir, folder, r
}

// TestWriteCSV_Golden compares each CSV file with the one in
// testdata/report/golden, whose rows were written by hand from the fixture
// (testdata/report/previous.json and current.json), never copied from the
// output: a golden file is the contract's column order and what a reader
// must see for each case the fixture holds (re-dated, repeated, undated
// records; outdated customers; no reseller relationship; escaped text).
func TestWriteCSV_Golden(t *testing.T) {
	_, folder, _ := mustWriteFixture(t, FormatCSV)
	for _, name := range []string{"missing.csv", "outdated.csv", "new.csv", "removed.csv", "errors.csv", "acceptances.csv"} {
		t.Run(name, func(t *testing.T) {
			got, err := os.ReadFile(filepath.Join(folder, name))
			if err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("..", "testdata", "report", "golden", name)
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
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

// FuzzWriteCSV_NeutralisesEveryCell writes arbitrary text cells through the
// real CSV writer, reads the file back with encoding/csv and checks every
// cell, quoted or not, first column included: a cell starting with = + - @
// tab, CR, LF or NUL came back with a leading quote, any other came back as
// it was. The one change CSV itself makes is allowed: a line break inside a
// cell is written as CRLF and read back as "\n".
func FuzzWriteCSV_NeutralisesEveryCell(f *testing.F) {
	for _, seed := range [][3]string{
		{"Contoso", "=1+1", "+46 8 123"},
		{"-2", "@SUM(A1)", "\tx"},
		{"\rx", "\nx", "\x00x"},
		{`"=HYPERLINK(""x"")"`, "a,b", "a\r\nb"},
		{"a\rb", " =x", "'=x"},
		{"\xff\xfe", "\ufeff=x", `\.`},
		{"", "x", ""},
	} {
		f.Add(seed[0], seed[1], seed[2])
	}
	f.Fuzz(func(t *testing.T, a, b, c string) {
		in := [][]string{{a, b, c}, {c, a, b}, {b, c, a}}
		tbl := table{
			sheet: "Fuzz", file: "fuzz.csv",
			columns: []string{"first", "second", "third"},
			rows:    len(in),
			row: func(i int, dst []cell) []cell {
				dst = dst[:0]
				for _, s := range in[i] {
					dst = append(dst, textCell(s))
				}
				return dst
			},
		}
		dir := t.TempDir()
		if err := writeCSV(dir, tbl, false); err != nil {
			t.Fatalf("writeCSV() error = %v", err)
		}
		file, err := os.Open(filepath.Join(dir, "fuzz.csv"))
		if err != nil {
			t.Fatal(err)
		}
		defer file.Close()
		got, err := csv.NewReader(file).ReadAll()
		if err != nil {
			t.Fatalf("reading the CSV back: %v", err)
		}
		if len(got) != len(in)+1 {
			t.Fatalf("read %d records, want the header and %d rows: %q", len(got), len(in), got)
		}
		for i, row := range in {
			for j, s := range row {
				want := s
				if s != "" && strings.ContainsRune("=+-@\t\r\n\x00", rune(s[0])) {
					want = "'" + s
				}
				want = strings.ReplaceAll(strings.ReplaceAll(want, "\r\n", "\n"), "\r", "\n")
				if got := got[i+1][j]; got != want {
					t.Errorf("row %d column %d: wrote %q, read back %q, want %q", i+1, j+1, s, got, want)
				}
			}
		}
	})
}
