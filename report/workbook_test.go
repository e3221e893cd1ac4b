package report

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

// sheetPart maps each sheet name to its part in the package, as the
// workbook and its relationships say.
func sheetPart(tb testing.TB, files map[string]string) map[string]string {
	tb.Helper()
	rid := map[string]string{}
	for _, m := range regexp.MustCompile(`<Relationship Id="([^"]+)" Target="([^"]+)"`).FindAllStringSubmatch(files["xl/_rels/workbook.xml.rels"], -1) {
		rid[m[1]] = "xl/" + strings.TrimPrefix(m[2], "/xl/")
	}
	out := map[string]string{}
	for _, m := range regexp.MustCompile(`<sheet name="([^"]+)" sheetId="\d+" r:id="([^"]+)"`).FindAllStringSubmatch(files["xl/workbook.xml"], -1) {
		out[m[1]] = rid[m[2]]
	}
	if len(out) != 7 {
		tb.Fatalf("workbook names %d sheets (%v), want 7", len(out), out)
	}
	return out
}

// TestWriteXLSX_SheetXMLHasDimensionsLinksAndPrintSettings reads every
// sheet's XML: the dimension covers the header and every row (never "A1"),
// company cells and contact emails are cell hyperlinks (a <hyperlink> in the
// sheet, an external relationship holding the target), no cell is a
// formula, and every sheet prints landscape, one page wide, with the header
// row on each page.
func TestWriteXLSX_SheetXMLHasDimensionsLinksAndPrintSettings(t *testing.T) {
	_, folder, r := mustWriteFixture(t, FormatXLSX)
	path := filepath.Join(folder, "report.xlsx")
	files := zipFiles(t, path)
	parts := sheetPart(t, files)
	f := mustOpenXLSX(t, path)
	tests := []struct {
		sheet, dimension string
		links            int // company cells, plus contact emails where the sheet has them
	}{
		{"Missing", "A1:D3", 2},
		{"Outdated", "A1:G6", 5 + 5},
		{"New", "A1:I6", 5 + 4}, // "@joined.example" is not an address: no mailto
		{"Removed", "A1:E3", 2},
		{"Errors", "A1:H6", 5},
		{"Acceptances", "A1:I15", 14 + 12},
	}
	for _, tt := range tests {
		t.Run(tt.sheet, func(t *testing.T) {
			part := parts[tt.sheet]
			xml := files[part]
			if got := regexp.MustCompile(`<dimension ref="([^"]+)"`).FindStringSubmatch(xml); got == nil || got[1] != tt.dimension {
				t.Errorf("<dimension> = %v, want %s", got, tt.dimension)
			}
			if got, err := f.GetSheetDimension(tt.sheet); err != nil || got != tt.dimension {
				t.Errorf("GetSheetDimension = %q (%v), want %s", got, err, tt.dimension)
			}
			if strings.Contains(xml, "<f>") || strings.Contains(xml, "<f ") {
				t.Errorf("sheet %s holds a formula", tt.sheet)
			}
			if !strings.Contains(xml, `<sheetPr><pageSetUpPr fitToPage="true">`) {
				t.Errorf("sheet %s is not fit to page: %.300s", tt.sheet, xml)
			}
			setup := regexp.MustCompile(`<pageSetup [^>]*>`).FindString(xml)
			for _, want := range []string{`orientation="landscape"`, `fitToWidth="1"`, `fitToHeight="0"`} {
				if !strings.Contains(setup, want) {
					t.Errorf("pageSetup %s lacks %s", setup, want)
				}
			}
			layout, err := f.GetPageLayout(tt.sheet)
			if err != nil || *layout.Orientation != "landscape" || *layout.FitToWidth != 1 || *layout.FitToHeight != 0 {
				t.Errorf("GetPageLayout = %s %d×%d (%v), want landscape 1 wide, any height", *layout.Orientation, *layout.FitToWidth, *layout.FitToHeight, err)
			}

			links := regexp.MustCompile(`<hyperlink ref="([A-Z]+\d+)" r:id="([^"]+)"/>`).FindAllStringSubmatch(xml, -1)
			if len(links) != tt.links {
				t.Errorf("<hyperlink> elements = %d, want %d", len(links), tt.links)
			}
			rels := files[strings.Replace(part, "worksheets/", "worksheets/_rels/", 1)+".rels"]
			for _, l := range links {
				rel := regexp.MustCompile(`<Relationship Id="` + l[2] + `" Type="[^"]+/hyperlink" Target="([^"]+)" TargetMode="External"/>`).FindStringSubmatch(rels)
				if rel == nil {
					t.Errorf("%s: no external hyperlink relationship %s", l[1], l[2])
					continue
				}
				ok, target, err := f.GetCellHyperLink(tt.sheet, l[1])
				if err != nil || !ok || target != strings.ReplaceAll(rel[1], "&amp;", "&") {
					t.Errorf("%s: GetCellHyperLink = %v %q (%v), want %q", l[1], ok, target, err, rel[1])
				}
			}
		})
	}

	// The targets: a company's page in Partner Center, a contact's mailto.
	const sheet = "Outdated"
	row := rowOf(t, f, sheet, "11111111-2222-3333-4444-000000000001")
	for _, c := range []struct {
		col  int
		want string
	}{
		{1, "https://partner.microsoft.com/dashboard/commerce2/customers/11111111-2222-3333-4444-000000000001/account"},
		{6, "mailto:anna@contoso.example"},
	} {
		ref := cellName(t, c.col, row)
		ok, target, err := f.GetCellHyperLink(sheet, ref)
		if err != nil || !ok || target != c.want {
			t.Errorf("%s!%s link = %v %q (%v), want %q", sheet, ref, ok, target, err, c.want)
		}
		if formula, _ := f.GetCellFormula(sheet, ref); formula != "" {
			t.Errorf("%s!%s is a formula %q", sheet, ref, formula)
		}
		styleID, _ := f.GetCellStyle(sheet, ref)
		if style, err := f.GetStyle(styleID); err != nil || style.Font == nil || style.Font.Underline != "single" {
			t.Errorf("%s!%s does not look like a link", sheet, ref)
		}
	}
	// The Summary's two links too, and the Summary prints on one page.
	summary := files[parts[summarySheet]]
	if got := strings.Count(summary, "<hyperlink "); got != 2 {
		t.Errorf("Summary has %d hyperlinks, want 2", got)
	}
	setup := regexp.MustCompile(`<pageSetup [^>]*>`).FindString(summary)
	for _, want := range []string{`orientation="landscape"`, `fitToWidth="1"`, `fitToHeight="1"`} {
		if !strings.Contains(setup, want) {
			t.Errorf("Summary pageSetup %s lacks %s", setup, want)
		}
	}
	if got := regexp.MustCompile(`<dimension ref="([^"]+)"`).FindStringSubmatch(summary); got == nil || got[1] == "A1" {
		t.Errorf("Summary <dimension> = %v, want its used range", got)
	}

	// Print titles: row 1 of each table sheet, a defined name local to it.
	titles := regexp.MustCompile(`<definedName localSheetId="(\d+)" name="_xlnm.Print_Titles">([^<]+)</definedName>`).FindAllStringSubmatch(files["xl/workbook.xml"], -1)
	var got []string
	for _, m := range titles {
		got = append(got, strings.ReplaceAll(m[2], "&#39;", "'"))
	}
	var want []string
	for _, tb := range tables(r) {
		want = append(want, fmt.Sprintf("'%s'!$1:$1", tb.sheet))
	}
	if !slices.Equal(got, want) {
		t.Errorf("print titles = %q, want %q", got, want)
	}
	for _, tb := range tables(r) {
		dn := f.GetDefinedName()
		if !slices.ContainsFunc(dn, func(d excelize.DefinedName) bool {
			return d.Name == "_xlnm.Print_Titles" && d.Scope == tb.sheet
		}) {
			t.Errorf("excelize reads no print titles on %s: %+v", tb.sheet, dn)
		}
	}

	// Document properties survive the copy that adds the links.
	props, err := f.GetDocProps()
	if err != nil || props.Title != "mcawatch report, run 2" || props.Creator != "mcawatch" || props.Created != "2026-11-22T02:06:00Z" {
		t.Errorf("document properties = %+v (%v)", props, err)
	}
}

// TestWriteXLSX_ErrorsSayWhatHappenedAndWhatToDo checks the Errors sheet's
// plain-language columns, with the technical detail in a column of its
// own.
func TestWriteXLSX_ErrorsSayWhatHappenedAndWhatToDo(t *testing.T) {
	_, folder, _ := mustWriteFixture(t, FormatXLSX)
	f := mustOpenXLSX(t, filepath.Join(folder, "report.xlsx"))
	const sheet = "Errors"
	tests := []struct{ id, what, todo, detail string }{
		{"11111111-2222-3333-4444-000000000007", "Partner Center refused access to this customer (403)", "still resell", "Forbidden"},
		{"11111111-2222-3333-4444-000000000011", "No answer: the connection failed or timed out", "network", "i/o timeout"},
		{"11111111-2222-3333-4444-000000000014", NoRelationshipMessage, "relationship request link", NoRelationshipMessage},
		{"11111111-2222-3333-4444-000000000016", "Throttled by Partner Center until the retries ran out (429)", "fetch.concurrency", "We're sorry"},
	}
	for _, tt := range tests {
		row := rowOf(t, f, sheet, tt.id)
		if got := mustValue(t, f, sheet, cellName(t, 3, row)); got != tt.what {
			t.Errorf("%s What happened = %q, want %q", tt.id, got, tt.what)
		}
		if got := mustValue(t, f, sheet, cellName(t, 4, row)); !strings.Contains(got, tt.todo) {
			t.Errorf("%s What to do = %q, want it to mention %q", tt.id, got, tt.todo)
		}
		if got := mustValue(t, f, sheet, cellName(t, 8, row)); !strings.Contains(got, tt.detail) {
			t.Errorf("%s Detail = %q, want the technical message %q", tt.id, got, tt.detail)
		}
	}
	// A detail of two lines wraps within its column, on a row two lines
	// tall, instead of spilling over the page.
	tailspin := rowOf(t, f, sheet, "11111111-2222-3333-4444-000000000007")
	styleID, _ := f.GetCellStyle(sheet, cellName(t, 8, tailspin))
	if style, err := f.GetStyle(styleID); err != nil || style.Alignment == nil || !style.Alignment.WrapText {
		t.Errorf("a two-line detail does not wrap: %+v (%v)", style, err)
	}
	if h, err := f.GetRowHeight(sheet, tailspin); err != nil || h < 2*lineHeight {
		t.Errorf("row of a two-line detail is %v high (%v), want at least %d", h, err, 2*lineHeight)
	}
	if got := rowLines([]cell{textCell(strings.Repeat("word ", 40))}, []float64{21}); got != 10 {
		t.Errorf("rowLines of 200 characters in a 21-wide column = %d, want 10", got)
	}
	what, _ := explainError(&ErrorRow{HTTPStatus: 200, ErrorCode: "malformed_body"})
	if what != "The answer could not be read" {
		t.Errorf("malformed body = %q", what)
	}
}

// TestWriteXLSX_SummaryShowsChangeSinceLastRun checks the counts table's
// change column (from the trend: run 1 to run 2) and the next scheduled
// run.
func TestWriteXLSX_SummaryShowsChangeSinceLastRun(t *testing.T) {
	r := Diff(mustLoadSnapshot(t, "previous.json"), mustLoadSnapshot(t, "current.json"), DiffOptions{})
	next := time.Date(2026, 11, 23, 2, 0, 0, 0, time.UTC)
	folder, err := Write(r, WriteOptions{Dir: t.TempDir(), Formats: []string{FormatXLSX}, Trend: fixtureTrend(), NextRun: next})
	if err != nil {
		t.Fatal(err)
	}
	f := mustOpenXLSX(t, filepath.Join(folder, "report.xlsx"))
	const sheet = summarySheet
	// fixtureTrend: run 1 accepted 4, outdated 7, missing 5, errors 0;
	// run 2 accepted 4, outdated 6, missing 5, errors 1.
	for label, want := range map[string]string{
		"Blocked for orders": "▼ 1", "Outdated": "▼ 1", "Missing": "no change", "Accepted": "no change",
		"Errors": "▲ 1", "Customers": "no change",
	} {
		if got := mustValue(t, f, sheet, cellName(t, 3, rowOf(t, f, sheet, label))); got != want {
			t.Errorf("%s change = %q, want %q", label, got, want)
		}
	}
	for label, color := range map[string]string{"Outdated": "2E7D32", "Errors": "C62828"} {
		styleID, _ := f.GetCellStyle(sheet, cellName(t, 3, rowOf(t, f, sheet, label)))
		if style, err := f.GetStyle(styleID); err != nil || style.Font == nil || style.Font.Color != color {
			t.Errorf("%s change colour = %+v, want %s", label, style.Font, color)
		}
	}
	if got := mustValue(t, f, sheet, cellName(t, 2, rowOf(t, f, sheet, "Next scheduled run (UTC)"))); got != "2026-11-23 02:00" {
		t.Errorf("Next scheduled run = %q, want 2026-11-23 02:00", got)
	}
	headline := mustValue(t, f, sheet, "A2")
	if !strings.Contains(headline, "7 customers are blocked for orders") {
		t.Errorf("headline = %q, want the blocked count", headline)
	}

	// Without serve there is no next run line.
	_, plain, _ := mustWriteFixture(t, FormatXLSX)
	g := mustOpenXLSX(t, filepath.Join(plain, "report.xlsx"))
	rows, _ := g.GetRows(sheet)
	for _, row := range rows {
		if len(row) > 0 && row[0] == "Next scheduled run (UTC)" {
			t.Errorf("a report outside serve names a next run")
		}
	}
}

// TestWriteXLSX_ChartLabelsAreReadable checks the trend chart's x axis:
// text categories (the run's day), never date serials, and outdated and
// missing on a secondary axis of their own.
func TestWriteXLSX_ChartLabelsAreReadable(t *testing.T) {
	_, folder, _ := mustWriteFixture(t, FormatXLSX)
	path := filepath.Join(folder, "report.xlsx")
	chart := zipFiles(t, path)["xl/charts/chart1.xml"]
	cats := regexp.MustCompile(`<cat><strRef><f>Summary!\$G\$(\d+):\$G\$(\d+)</f>`).FindAllStringSubmatch(chart, -1)
	if len(cats) != 3 {
		t.Fatalf("chart categories = %v, want the three series over the text labels in column G", cats)
	}
	if strings.Contains(chart, "<dateAx>") {
		t.Errorf("chart has a date axis, which shows serials and merges runs of one day")
	}
	if got := strings.Count(chart, "<valAx>"); got != 2 {
		t.Errorf("chart has %d value axes, want 2 (outdated and missing on their own scale)", got)
	}
	if !strings.Contains(chart, `formatCode="#,##0"`) {
		t.Errorf("value axes have no number format")
	}
	f := mustOpenXLSX(t, path)
	var first, last int
	fmt.Sscan(cats[0][1], &first)
	fmt.Sscan(cats[0][2], &last)
	for row := first; row <= last; row++ {
		ref := cellName(t, 7, row)
		v := mustValue(t, f, summarySheet, ref)
		if !regexp.MustCompile(`^2026-11-\d\d$`).MatchString(v) {
			t.Errorf("category %s = %q, want a yyyy-mm-dd label", ref, v)
		}
		if typ, _ := f.GetCellType(summarySheet, ref); typ == excelize.CellTypeNumber || typ == excelize.CellTypeDate {
			t.Errorf("category %s is a number, want text", ref)
		}
	}
	if got := trendLabels(fixtureTrend()[:1]); got[0] != "2026-11-18" {
		t.Errorf("label = %q", got)
	}
	twoADay := fixtureTrend()[:2]
	twoADay[1].Started = twoADay[0].Started.Add(3 * time.Hour)
	if got := trendLabels(twoADay); !slices.Equal(got, []string{"11-18 02:00", "11-18 05:00"}) {
		t.Errorf("labels of two runs a day = %q", got)
	}
	twoAMinute := fixtureTrend()[:2]
	twoAMinute[1].Started = twoAMinute[0].Started.Add(5 * time.Second)
	if got := trendLabels(twoAMinute); got[0] == got[1] {
		t.Errorf("labels of two runs a minute are the same: %q", got)
	}
}

// TestWrite_CSVBOM checks report.csv_bom: each CSV file starts with the
// UTF-8 byte-order mark when asked, and not otherwise, the header still
// the contract's.
func TestWrite_CSVBOM(t *testing.T) {
	r := Diff(mustLoadSnapshot(t, "previous.json"), mustLoadSnapshot(t, "current.json"), DiffOptions{})
	for _, bom := range []bool{false, true} {
		folder, err := Write(r, WriteOptions{Dir: t.TempDir(), Formats: []string{FormatCSV}, CSVBOM: bom})
		if err != nil {
			t.Fatal(err)
		}
		for _, tb := range tables(r) {
			b, err := os.ReadFile(filepath.Join(folder, tb.file))
			if err != nil {
				t.Fatal(err)
			}
			if got := bytes.HasPrefix(b, []byte("\xef\xbb\xbf")); got != bom {
				t.Errorf("csv_bom %v: %s starts with a BOM = %v", bom, tb.file, got)
			}
			header, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(b, []byte("\xef\xbb\xbf")))).Read()
			if err != nil || !slices.Equal(header, tb.columns) {
				t.Errorf("%s header = %q (%v), want %q", tb.file, header, err, tb.columns)
			}
		}
	}
}
