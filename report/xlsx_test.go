package report

import (
	"archive/zip"
	"fmt"
	"io"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/xuri/excelize/v2"

	"github.com/mcawatch/mcawatch/storage"
)

func mustOpenXLSX(tb testing.TB, path string) *excelize.File {
	tb.Helper()
	f, err := excelize.OpenFile(path)
	if err != nil {
		tb.Fatalf("open %s: %v", path, err)
	}
	tb.Cleanup(func() { _ = f.Close() })
	return f
}

// rowOf finds the row whose column A holds label (a Summary label) or, on
// a table sheet, whose column B holds it (the customer id after the
// company).
func rowOf(tb testing.TB, f *excelize.File, sheet, label string) int {
	tb.Helper()
	rows, err := f.GetRows(sheet)
	if err != nil {
		tb.Fatal(err)
	}
	col := 1
	if sheet == summarySheet {
		col = 0
	}
	for i, r := range rows {
		if len(r) > col && r[col] == label {
			return i + 1
		}
	}
	tb.Fatalf("sheet %s has no row labelled %q", sheet, label)
	return 0
}

func cellName(tb testing.TB, col, row int) string {
	tb.Helper()
	ref, err := excelize.CoordinatesToCellName(col, row)
	if err != nil {
		tb.Fatal(err)
	}
	return ref
}

func TestWriteXLSX_Sheets(t *testing.T) {
	_, folder, _ := mustWriteFixture(t, FormatXLSX)
	f := mustOpenXLSX(t, filepath.Join(folder, "report.xlsx"))
	want := []string{"Summary", "Missing", "Outdated", "New", "Removed", "Errors", "Acceptances"}
	if got := f.GetSheetList(); !slices.Equal(got, want) {
		t.Fatalf("sheets = %q, want %q", got, want)
	}
	tests := []struct {
		sheet   string
		header  []string
		table   string
		dataRow int // rows of data in the fixture
	}{
		{"Missing", []string{"Company", "Customer ID", "Domain", "Missing since (UTC)"}, "A1:D3", 2},
		{"Outdated", []string{"Company", "Customer ID", "Domain", "Last accepted on", "Contact",
			"Contact email", "Outdated since (UTC)"}, "A1:G6", 5},
		{"New", []string{"Company", "Customer ID", "Agreement", "Accepted on", "Previously accepted on",
			"Template ID", "Contact", "Contact email", "Contact phone"}, "A1:I6", 5},
		{"Removed", []string{"Company", "Customer ID", "Agreement", "Accepted on", "Template ID"}, "A1:E3", 2},
		{"Errors", []string{"Company", "Customer ID", "What happened", "What to do", "HTTP status",
			"Error code", "Attempts", "Detail"}, "A1:H6", 5},
		{"Acceptances", []string{"Company", "Customer ID", "Agreement", "Accepted on", "Template ID",
			"Contact", "Contact email", "Contact phone", "Signed directly"}, "A1:I15", 14},
	}
	for _, tt := range tests {
		t.Run(tt.sheet, func(t *testing.T) {
			rows, err := f.GetRows(tt.sheet)
			if err != nil {
				t.Fatal(err)
			}
			if got := rows[0]; !slices.Equal(got, tt.header) {
				t.Errorf("header = %q, want %q", got, tt.header)
			}
			if got, want := len(rows), tt.dataRow+1; got != want {
				t.Errorf("rows = %d, want %d", got, want)
			}
			styleID, err := f.GetCellStyle(tt.sheet, "A1")
			if err != nil {
				t.Fatal(err)
			}
			style, err := f.GetStyle(styleID)
			if err != nil {
				t.Fatal(err)
			}
			if style.Font == nil || !style.Font.Bold {
				t.Errorf("header A1 is not bold: font %+v", style.Font)
			}
			if style.Fill.Pattern != 1 || len(style.Fill.Color) == 0 {
				t.Errorf("header A1 has no fill: %+v", style.Fill)
			}
			panes, err := f.GetPanes(tt.sheet)
			if err != nil {
				t.Fatal(err)
			}
			if !panes.Freeze || panes.YSplit != 1 || panes.TopLeftCell != "A2" {
				t.Errorf("panes = %+v, want the header row frozen", panes)
			}
			tables, err := f.GetTables(tt.sheet)
			if err != nil {
				t.Fatal(err)
			}
			if len(tables) != 1 || tables[0].Range != tt.table {
				t.Errorf("tables = %+v, want one over %s", tables, tt.table)
			}
			cols, err := f.GetCols(tt.sheet)
			if err != nil {
				t.Fatal(err)
			}
			for i := range cols {
				name, _ := excelize.ColumnNumberToName(i + 1)
				w, err := f.GetColWidth(tt.sheet, name)
				if err != nil {
					t.Fatal(err)
				}
				if w < minColWidth || w > maxColWidth || w < float64(len(tt.header[i])) {
					t.Errorf("column %s width = %v, want within [%d, %d] and room for %q", name, w, minColWidth, maxColWidth, tt.header[i])
				}
			}
		})
	}
}

func TestWriteXLSX_Cells(t *testing.T) {
	_, folder, _ := mustWriteFixture(t, FormatXLSX)
	f := mustOpenXLSX(t, filepath.Join(folder, "report.xlsx"))

	// Company names and contacts are plain strings, formulas never.
	const sheet = "Acceptances"
	evil := rowOf(t, f, sheet, "11111111-2222-3333-4444-000000000003")
	ref := cellName(t, 1, evil)
	if got, want := mustValue(t, f, sheet, ref), `=HYPERLINK("http://evil.example","click")`; got != want {
		t.Errorf("%s = %q, want %q", ref, got, want)
	}
	if formula, err := f.GetCellFormula(sheet, ref); err != nil || formula != "" {
		t.Errorf("%s formula = %q (%v), want none", ref, formula, err)
	}
	if typ, _ := f.GetCellType(sheet, ref); typ != excelize.CellTypeInlineString {
		t.Errorf("%s type = %v, want an inline string", ref, typ)
	}
	joined := rowOf(t, f, sheet, "11111111-2222-3333-4444-000000000010")
	for col, want := range map[int]string{1: "@Joined GmbH", 6: "=cmd|' /C calc'!A0", 8: "+49 30 1234567"} {
		ref := cellName(t, col, joined)
		if got := mustValue(t, f, sheet, ref); got != want {
			t.Errorf("%s = %q, want %q (no quote prefix in xlsx)", ref, got, want)
		}
		if formula, _ := f.GetCellFormula(sheet, ref); formula != "" {
			t.Errorf("%s has formula %q", ref, formula)
		}
	}

	// Dates are real date cells in UTC: a number with a date format.
	contoso := rowOf(t, f, sheet, "11111111-2222-3333-4444-000000000001")
	tests := []struct {
		sheet, ref, value, format string
		raw                       string
	}{
		{sheet, cellName(t, 4, contoso), "2019-08-26", dateFormat, "43703"},
		// One format a column: a date agreed with a time of day still
		// shows as its day.
		{sheet, cellName(t, 4, joined), "2026-11-21", dateFormat, ""},
		{"Missing", "D2", "2026-11-20 02:00", dateTimeFormat, ""},
		{"Outdated", cellName(t, 4, rowOf(t, f, "Outdated", "11111111-2222-3333-4444-000000000001")), "2019-08-26", dateFormat, "43703"},
		{"Outdated", cellName(t, 7, rowOf(t, f, "Outdated", "11111111-2222-3333-4444-000000000001")), "2026-11-15 02:00", dateTimeFormat, ""},
		{"New", cellName(t, 5, rowOf(t, f, "New", "11111111-2222-3333-4444-000000000004")), "2021-03-04", dateFormat, ""},
	}
	for _, tt := range tests {
		if got := mustValue(t, f, tt.sheet, tt.ref); got != tt.value {
			t.Errorf("%s!%s = %q, want %q", tt.sheet, tt.ref, got, tt.value)
		}
		if typ, _ := f.GetCellType(tt.sheet, tt.ref); typ != excelize.CellTypeUnset && typ != excelize.CellTypeNumber {
			t.Errorf("%s!%s type = %v, want a number", tt.sheet, tt.ref, typ)
		}
		raw, _ := f.GetCellValue(tt.sheet, tt.ref, excelize.Options{RawCellValue: true})
		if tt.raw != "" && raw != tt.raw {
			t.Errorf("%s!%s raw = %q, want serial %s", tt.sheet, tt.ref, raw, tt.raw)
		}
		styleID, _ := f.GetCellStyle(tt.sheet, tt.ref)
		style, err := f.GetStyle(styleID)
		if err != nil {
			t.Fatal(err)
		}
		if style.CustomNumFmt == nil || *style.CustomNumFmt != tt.format {
			t.Errorf("%s!%s number format = %v, want %q", tt.sheet, tt.ref, style.CustomNumFmt, tt.format)
		}
	}

	// Numbers are numbers; a transport error has no HTTP status.
	transport := rowOf(t, f, "Errors", "11111111-2222-3333-4444-000000000011")
	if got := mustValue(t, f, "Errors", cellName(t, 5, transport)); got != "" {
		t.Errorf("http_status of a transport error = %q, want empty", got)
	}
	if got := mustValue(t, f, "Errors", cellName(t, 7, transport)); got != "6" {
		t.Errorf("attempts = %q, want 6", got)
	}
	tailspin := rowOf(t, f, "Errors", "11111111-2222-3333-4444-000000000007")
	if got := mustValue(t, f, "Errors", cellName(t, 8, tailspin)); got != "Forbidden: \"agreement\", not accepted\nsee portal" {
		t.Errorf("Tailspin's message = %q, want the message with its quote, comma and line break", got)
	}
	escaped := rowOf(t, f, "Errors", "11111111-2222-3333-4444-000000000016")
	if got, want := mustValue(t, f, "Errors", cellName(t, 8, escaped)), "We're sorry, the request was throttled & retried"; got != want {
		t.Errorf("escaped message = %q, want %q", got, want)
	}
	noCommerce := rowOf(t, f, "Errors", "11111111-2222-3333-4444-000000000014")
	if got := mustValue(t, f, "Errors", cellName(t, 8, noCommerce)); got != NoRelationshipMessage {
		t.Errorf("20002 message = %q, want %q", got, NoRelationshipMessage)
	}
	// An acceptance without a usable date is an empty cell, never a
	// 0001-01-01 or a zero serial.
	for _, c := range []struct {
		sheet string
		col   int
	}{{"Acceptances", 4}, {"New", 4}, {"New", 5}, {"Outdated", 4}} {
		ref := cellName(t, c.col, rowOf(t, f, c.sheet, "11111111-2222-3333-4444-000000000018"))
		if got := mustValue(t, f, c.sheet, ref); got != "" {
			t.Errorf("%s!%s of an undated record = %q, want empty", c.sheet, ref, got)
		}
	}
	ref = cellName(t, 4, rowOf(t, f, "Removed", "11111111-2222-3333-4444-000000000019"))
	if got := mustValue(t, f, "Removed", ref); got != "" {
		t.Errorf("Removed!%s of an undated record = %q, want empty", ref, got)
	}

	minus := rowOf(t, f, sheet, "11111111-2222-3333-4444-000000000009")
	if got := mustValue(t, f, sheet, cellName(t, 9, minus)); got != "yes" {
		t.Errorf("Signed directly of a direct-signed customer = %q, want yes", got)
	}
	if got := mustValue(t, f, sheet, cellName(t, 3, minus)); got != "" {
		t.Errorf("agreement_type of a direct-signed row without record = %q, want empty", got)
	}
}

func mustValue(tb testing.TB, f *excelize.File, sheet, ref string) string {
	tb.Helper()
	v, err := f.GetCellValue(sheet, ref)
	if err != nil {
		tb.Fatalf("%s!%s: %v", sheet, ref, err)
	}
	return v
}

func TestWriteXLSX_Summary(t *testing.T) {
	_, folder, r := mustWriteFixture(t, FormatXLSX)
	path := filepath.Join(folder, "report.xlsx")
	f := mustOpenXLSX(t, path)
	const sheet = "Summary"
	counts := map[string]int{
		"Customers": r.Summary.Customers, "Accepted": 6, "Direct-signed": 1, "Outdated": 5, "Missing": 2,
		"Blocked for orders": 7, "Newly outdated": 2, "Newly missing": 1, "New": 5, "Removed": 2, "Errors": 3,
		"No reseller relationship": 2, "Joined": 3, "Left": 1, "Run": 2, "Previous run": 1,
	}
	for label, want := range counts {
		ref := cellName(t, 2, rowOf(t, f, sheet, label))
		raw, err := f.GetCellValue(sheet, ref, excelize.Options{RawCellValue: true})
		if err != nil {
			t.Fatal(err)
		}
		if typ, _ := f.GetCellType(sheet, ref); typ != excelize.CellTypeUnset && typ != excelize.CellTypeNumber {
			t.Errorf("%s (%s) type = %v, want a number", label, ref, typ)
		}
		if raw != strconv.Itoa(want) {
			t.Errorf("%s (%s) = %q, want %d", label, ref, raw, want)
		}
	}
	if got := mustValue(t, f, sheet, cellName(t, 2, rowOf(t, f, sheet, "Started (UTC)"))); got != "2026-11-22 02:00" {
		t.Errorf("Started = %q, want 2026-11-22 02:00", got)
	}
	if got := mustValue(t, f, sheet, cellName(t, 2, rowOf(t, f, sheet, "Current if accepted since"))); got != "2023-04-01" {
		t.Errorf("cut-off = %q, want 2023-04-01", got)
	}

	// Both links come from the stored run (mustWriteFixture passes none),
	// as hyperlinked string cells with a line saying what to send to whom.
	version := mustValue(t, f, sheet, cellName(t, 2, rowOf(t, f, sheet, "Agreement enforced now")))
	if !strings.Contains(version, "version rank 2") || !strings.Contains(version, "a4a8b2c5-7c3d-4a5e-9f6e-1d2c3b4a5f60") {
		t.Errorf("Agreement enforced now = %q, want its version rank and template", version)
	}
	for _, tt := range []struct{ label, url, hint string }{
		{"Agreement document", "https://www.microsoft.com/licensing/docs/customeragreement", agreementHint},
		{"Relationship request URL", "https://admin.microsoft.com/Adminportal/Home?invType=ResellerRelationship&partnerId=0e3e4e5f#/BillingAccounts/partner-invitation", relationshipHint},
	} {
		row := rowOf(t, f, sheet, tt.label)
		ref := cellName(t, 2, row)
		ok, link, err := f.GetCellHyperLink(sheet, ref)
		if err != nil || !ok || link != tt.url {
			t.Errorf("%s hyperlink = %v %q (%v), want %q", tt.label, ok, link, err, tt.url)
		}
		if got := mustValue(t, f, sheet, ref); got != tt.url {
			t.Errorf("%s = %q, want %q", tt.label, got, tt.url)
		}
		if formula, _ := f.GetCellFormula(sheet, ref); formula != "" {
			t.Errorf("%s is a formula %q, want a string with a link", tt.label, formula)
		}
		if got := mustValue(t, f, sheet, cellName(t, 2, row+1)); got != tt.hint {
			t.Errorf("line under %s = %q, want %q", tt.label, got, tt.hint)
		}
	}
	if !strings.Contains(agreementHint, "Outdated and Missing") || !strings.Contains(agreementHint, "Microsoft 365 admin center") {
		t.Errorf("agreement line %q does not say to whom and where", agreementHint)
	}
	props, err := f.GetDocProps()
	if err != nil {
		t.Fatal(err)
	}
	if props.Creator != "mcawatch" || props.Title != "mcawatch report, run 2" || props.Subject == "" ||
		props.Created != "2026-11-22T02:06:00Z" {
		t.Errorf("document properties = %+v", props)
	}

	files := zipFiles(t, path)
	if _, ok := files["xl/charts/chart1.xml"]; !ok {
		t.Fatalf("report.xlsx has no chart; parts: %v", keys(files))
	}
	chart := files["xl/charts/chart1.xml"]
	for _, want := range []string{"<lineChart>", "Summary!$C$", "Summary!$D$", "Summary!$E$"} {
		if !strings.Contains(chart, want) {
			t.Errorf("chart1.xml lacks %q:\n%.600s", want, chart)
		}
	}
	if !strings.Contains(files["xl/drawings/_rels/drawing1.xml.rels"], "charts/chart1.xml") {
		t.Errorf("the drawing does not reference the chart")
	}
	if !strings.Contains(files["xl/worksheets/_rels/sheet1.xml.rels"], "drawings/drawing1.xml") {
		t.Errorf("the Summary sheet does not reference the drawing")
	}
	for name, body := range files {
		if !strings.HasPrefix(name, "xl/worksheets/sheet") {
			continue
		}
		if strings.Contains(body, "<f>") {
			t.Errorf("%s holds a formula", name)
		}
		// Excel repairs a sheet whose <col> elements are out of order.
		var mins []int
		for _, m := range colMin.FindAllStringSubmatch(body, -1) {
			n, _ := strconv.Atoi(m[1])
			mins = append(mins, n)
		}
		if !slices.IsSorted(mins) {
			t.Errorf("%s has <col> elements out of order: min %v", name, mins)
		}
	}
}

var colMin = regexp.MustCompile(`<col [^>]*min="(\d+)"`)

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// zipFiles reads every part of an xlsx file.
func zipFiles(tb testing.TB, path string) map[string]string {
	tb.Helper()
	z, err := zip.OpenReader(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer z.Close()
	out := map[string]string{}
	for _, f := range z.File {
		rc, err := f.Open()
		if err != nil {
			tb.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			tb.Fatal(err)
		}
		out[f.Name] = string(b)
	}
	return out
}

func TestWriteTableSheets_Split(t *testing.T) {
	r := Diff(nil, mustLoadSnapshot(t, "current.json"), DiffOptions{})
	acceptances := tables(r)[5]
	f := excelize.NewFile()
	defer f.Close()
	styles, err := newStyles(f)
	if err != nil {
		t.Fatal(err)
	}
	// Three rows a sheet (a header and two data rows) stands in for
	// Excel's 1,048,576.
	if _, err := writeTableSheets(f, acceptances, styles, 3); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "split.xlsx")
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
	g := mustOpenXLSX(t, path)
	want := []string{"Sheet1", "Acceptances"}
	for p := 2; p <= (len(r.Acceptances)+1)/2; p++ {
		want = append(want, fmt.Sprintf("Acceptances (%d)", p))
	}
	if len(want) < 4 {
		t.Fatalf("the fixture has %d acceptances, too few to split over several sheets", len(r.Acceptances))
	}
	if got := g.GetSheetList(); !slices.Equal(got, want) {
		t.Fatalf("sheets = %q, want %q", got, want)
	}
	var ids []string
	for _, sheet := range want[1:] {
		rows, err := g.GetRows(sheet)
		if err != nil {
			t.Fatal(err)
		}
		if rows[0][0] != "Company" {
			t.Errorf("%s starts with %q, want the header", sheet, rows[0][0])
		}
		for _, row := range rows[1:] {
			ids = append(ids, row[1])
		}
	}
	if got, want := len(ids), len(r.Acceptances); got != want {
		t.Errorf("rows over all sheets = %d, want %d", got, want)
	}
	if ids[0] != r.Acceptances[0].Customer.ID || ids[len(ids)-1] != r.Acceptances[len(r.Acceptances)-1].Customer.ID {
		t.Errorf("rows out of order across sheets: %q", ids)
	}
}

// TestTables_SheetShowsEveryCSVColumn checks that each sheet shows, row by
// row, every value of its CSV file (only the order, the headers and the
// direct-sign words differ), with one header per sheet cell.
func TestTables_SheetShowsEveryCSVColumn(t *testing.T) {
	r := Diff(mustLoadSnapshot(t, "previous.json"), mustLoadSnapshot(t, "current.json"), DiffOptions{})
	for _, tb := range tables(r) {
		var csvCells, sheetCells []cell
		for i := range tb.rows {
			csvCells = tb.row(i, csvCells)
			sheetCells = tb.sheetRow(i, sheetCells)
			if len(sheetCells) != len(tb.headers) {
				t.Fatalf("%s row %d: %d cells for %d headers", tb.sheet, i, len(sheetCells), len(tb.headers))
			}
			for j, c := range csvCells {
				if c.kind == kindEmpty || tb.columns[j] == "direct_signed" ||
					(tb.columns[j] == "company_name" && c.text == "") {
					continue
				}
				found := slices.ContainsFunc(sheetCells, func(s cell) bool {
					return s.kind == c.kind && s.text == c.text && s.date.Equal(c.date) && s.num == c.num
				})
				if !found {
					t.Errorf("%s row %d: %s %+v is not on the sheet", tb.sheet, i, tb.columns[j], c)
				}
			}
		}
	}
}

func TestCutText(t *testing.T) {
	long := strings.Repeat("a", excelize.TotalCellChars+10)
	emoji := strings.Repeat("😀", excelize.TotalCellChars/2+5) // two UTF-16 units each
	tests := []struct {
		name, in string
		wantCut  bool
	}{
		{"short", "Contoso", false},
		{"exactly the limit", strings.Repeat("a", excelize.TotalCellChars), false},
		{"over the limit", long, true},
		{"surrogate pairs", emoji, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := cutText(tt.in)
			units := len(utf16.Encode([]rune(got)))
			if units > excelize.TotalCellChars {
				t.Errorf("cutText() is %d UTF-16 units, over %d", units, excelize.TotalCellChars)
			}
			if cut := got != tt.in; cut != tt.wantCut {
				t.Errorf("cut = %v, want %v", cut, tt.wantCut)
			}
			if tt.wantCut && !strings.HasSuffix(got, "…") {
				t.Errorf("a cut text does not end with …")
			}
		})
	}
}

func TestWriteXLSX_FirstRun(t *testing.T) {
	cur := mustLoadSnapshot(t, "current.json")
	cur.Run.RelationshipURL, cur.Run.Agreement, cur.Run.CurrentSince = "", storage.AgreementInfo{}, time.Time{}
	r := Diff(nil, cur, DiffOptions{})
	folder, err := Write(r, WriteOptions{Dir: t.TempDir(), Formats: []string{FormatXLSX}})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(folder, "report.xlsx")
	f := mustOpenXLSX(t, path)
	const sheet = "Summary"
	if got := mustValue(t, f, sheet, cellName(t, 2, rowOf(t, f, sheet, "Previous run"))); got != "first run" {
		t.Errorf("Previous run = %q, want %q", got, "first run")
	}
	for _, label := range []string{"Relationship request URL", "Agreement enforced now"} {
		if got := mustValue(t, f, sheet, cellName(t, 2, rowOf(t, f, sheet, label))); got != "unavailable" {
			t.Errorf("%s without a link = %q, want %q", label, got, "unavailable")
		}
	}
	if got := mustValue(t, f, sheet, cellName(t, 2, rowOf(t, f, sheet, "Current if accepted since"))); !strings.HasPrefix(got, "off") {
		t.Errorf("cut-off when the check is off = %q, want off", got)
	}
	if got := mustValue(t, f, sheet, cellName(t, 2, rowOf(t, f, sheet, "Trend"))); got != "no complete runs yet" {
		t.Errorf("Trend without points = %q", got)
	}
	if _, ok := zipFiles(t, path)["xl/charts/chart1.xml"]; ok {
		t.Errorf("a chart was drawn without trend points")
	}
	// An empty table still gets its header, frozen and filterable.
	tables, err := f.GetTables("Removed")
	if err != nil || len(tables) != 1 || tables[0].Range != "A1:E2" {
		t.Errorf("Removed tables = %+v (%v), want one over A1:E2", tables, err)
	}
}

// TestWriteXLSX_TrendCountsOutdated checks the Summary's trend table and
// chart: each point's Accepted, Outdated, Missing and Errors as storage
// counted them (a customer in error by its carried-forward state), and a
// chart series for each of the first three.
func TestWriteXLSX_TrendCountsOutdated(t *testing.T) {
	_, folder, _ := mustWriteFixture(t, FormatXLSX)
	path := filepath.Join(folder, "report.xlsx")
	f := mustOpenXLSX(t, path)
	const sheet = "Summary"
	rows, err := f.GetRows(sheet)
	if err != nil {
		t.Fatal(err)
	}
	header := -1
	for i, r := range rows {
		if len(r) >= 6 && r[0] == "Run" && r[1] == "Started (UTC)" {
			header = i
		}
	}
	if header < 0 {
		t.Fatalf("Summary has no trend table")
	}
	if got, want := rows[header][:6], []string{"Run", "Started (UTC)", "Accepted", "Outdated", "Missing", "Errors"}; !slices.Equal(got, want) {
		t.Errorf("trend header = %q, want %q", got, want)
	}
	for i, p := range fixtureTrend() {
		row := rows[header+1+i]
		want := []string{strconv.FormatInt(p.RunID, 10), p.Started.Format("2006-01-02 15:04"),
			strconv.Itoa(p.Accepted), strconv.Itoa(p.Outdated), strconv.Itoa(p.Missing), strconv.Itoa(p.Errors)}
		if got := row[:6]; !slices.Equal(got, want) {
			t.Errorf("trend row %d = %q, want %q", i+1, got, want)
		}
	}
	chart := zipFiles(t, path)["xl/charts/chart1.xml"]
	if got := strings.Count(chart, "<ser>"); got != 3 {
		t.Errorf("chart has %d series, want 3 (accepted, outdated, missing)", got)
	}
	first, last := header+2, header+1+len(fixtureTrend())
	if want := fmt.Sprintf("Summary!$D$%d:$D$%d", first, last); !strings.Contains(chart, want) {
		t.Errorf("chart has no Outdated series over %s", want)
	}
}
