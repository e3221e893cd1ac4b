package report

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
)

// Column widths are measured from the data (in characters) and kept within
// these bounds; the header gets room for the filter button.
const (
	minColWidth    = 8
	maxColWidth    = 50
	filterButtonCh = 3
)

// writeXLSX writes report.xlsx into dir: the Summary sheet (normal API, it
// is small) then one streamed sheet per table, so memory does not grow with
// the number of rows beyond excelize's own buffer.
func writeXLSX(dir string, r *Report, opts WriteOptions) (err error) {
	f := excelize.NewFile().SetZipWriter(zipWriter(opts.splitPart))
	defer func() {
		if cerr := f.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("close workbook: %w", cerr)
		}
	}()
	if err := f.SetSheetName("Sheet1", summarySheet); err != nil {
		return fmt.Errorf("rename sheet: %w", err)
	}
	styles, err := newStyles(f)
	if err != nil {
		return err
	}
	if err := writeSummary(f, r, opts, styles); err != nil {
		return fmt.Errorf("summary sheet: %w", err)
	}
	var links []sheetLinks
	for _, t := range tables(r) {
		l, err := writeTableSheets(f, t, styles, excelize.TotalRows)
		if err != nil {
			return err
		}
		links = append(links, l...)
	}
	if err := setDocProps(f, r, opts); err != nil {
		return err
	}
	// The stream writer cannot give cells hyperlinks, and excelize's
	// SetCellHyperLink on 100,000 rows is quadratic: the workbook is saved
	// under a temporary name and copied into report.xlsx with each streamed
	// sheet's hyperlinks added (see addHyperlinks).
	part := filepath.Join(dir, ".report.xlsx.part")
	defer os.Remove(part)
	if err := saveWorkbook(f, part); err != nil {
		return err
	}
	return addHyperlinks(part, filepath.Join(dir, "report.xlsx"), links, !opts.splitPart)
}

// setDocProps sets title, subject, creator and the created time (opts.Now,
// UTC) of the workbook.
func setDocProps(f *excelize.File, r *Report, opts WriteOptions) error {
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	created := now().UTC().Format(time.RFC3339)
	err := f.SetDocProps(&excelize.DocProperties{
		Title:    fmt.Sprintf("mcawatch report, run %d", r.Run.ID),
		Subject:  "Microsoft Customer Agreement acceptance by customer",
		Creator:  "mcawatch",
		Created:  created,
		Modified: created,
	})
	if err != nil {
		return fmt.Errorf("document properties: %w", err)
	}
	return nil
}

// saveWorkbook writes the workbook to path with mode 0640.
func saveWorkbook(f *excelize.File, path string) (err error) {
	out, err := createFile(path)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := out.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("close workbook: %w", cerr)
		}
	}()
	if _, err := f.WriteTo(out); err != nil {
		return fmt.Errorf("write workbook: %w", err)
	}
	return nil
}

// writeTableSheets writes one table on as many sheets as it needs: a sheet
// holds sheetRows rows, the header included, so longer tables continue on
// "Name (2)", "Name (3)", … each with its own header.
//
// It returns, for each sheet, the rows whose hyperlinks addHyperlinks adds.
func writeTableSheets(f *excelize.File, t table, styles xlsxStyles, sheetRows int) ([]sheetLinks, error) {
	perSheet := sheetRows - 1
	parts := max(1, (t.rows+perSheet-1)/perSheet)
	links := make([]sheetLinks, 0, parts)
	for p := range parts {
		name, tableName := t.sheet, "tbl"+t.sheet
		if p > 0 {
			name = fmt.Sprintf("%s (%d)", t.sheet, p+1)
			tableName = fmt.Sprintf("tbl%s%d", t.sheet, p+1)
		}
		from := p * perSheet
		to := min(t.rows, from+perSheet)
		if err := writeTableSheet(f, name, tableName, t, from, to, styles); err != nil {
			return nil, fmt.Errorf("sheet %s: %w", name, err)
		}
		links = append(links, sheetLinks{sheet: name, t: t, from: from, to: to})
	}
	return links, nil
}

// writeTableSheet streams rows [from, to) of t onto a new sheet: widths and
// the frozen header first (the stream writer needs them before any row),
// then the header (named for people; the CSV files carry the contract's
// column names), the rows, and a table giving the filter buttons.
//
// The dimension and the print settings go on the sheet before the stream
// writer starts: it writes the sheet's properties and dimension first, from
// the sheet as it is then, and would otherwise declare the dimension "A1".
func writeTableSheet(f *excelize.File, name, tableName string, t table, from, to int, styles xlsxStyles) error {
	if _, err := f.NewSheet(name); err != nil {
		return fmt.Errorf("new sheet: %w", err)
	}
	last, err := excelize.CoordinatesToCellName(len(t.headers), to-from+1)
	if err != nil {
		return err
	}
	if err := f.SetSheetDimension(name, "A1:"+last); err != nil {
		return fmt.Errorf("dimension: %w", err)
	}
	if err := setPrint(f, name, 0, true); err != nil {
		return err
	}
	sw, err := f.NewStreamWriter(name)
	if err != nil {
		return fmt.Errorf("stream writer: %w", err)
	}
	// excelize v2.11.0's stream writer puts each new <col> before the
	// earlier ones, and Excel wants them in ascending order (else it offers
	// to repair the file): so set them from the last column to the first.
	widths := columnWidths(t, from, to)
	for col := len(widths); col >= 1; col-- {
		if err := sw.SetColWidth(col, col, widths[col-1]); err != nil {
			return fmt.Errorf("column width: %w", err)
		}
	}
	err = sw.SetPanes(&excelize.Panes{
		Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft",
		Selection: []excelize.Selection{{SQRef: "A2", ActiveCell: "A2", Pane: "bottomLeft"}},
	})
	if err != nil {
		return fmt.Errorf("freeze header: %w", err)
	}
	values := make([]any, len(t.headers))
	for i, h := range t.headers {
		values[i] = excelize.Cell{StyleID: styles.header, Value: h}
	}
	if err := sw.SetRow("A1", values); err != nil {
		return fmt.Errorf("header: %w", err)
	}
	cells := make([]cell, 0, len(t.headers))
	for i := from; i < to; i++ {
		cells = t.sheetRow(i, cells)
		for j, c := range cells {
			values[j] = xlsxValue(c, styles)
		}
		ref, err := excelize.CoordinatesToCellName(1, i-from+2)
		if err != nil {
			return err
		}
		var opts []excelize.RowOpts
		if lines := rowLines(cells, widths); lines > 1 {
			// Spreadsheets do not grow a row to its wrapped text when
			// they open a file: the height is set here.
			opts = append(opts, excelize.RowOpts{Height: lineHeight * float64(lines)})
		}
		if err := sw.SetRow(ref, values, opts...); err != nil {
			return fmt.Errorf("row %d: %w", i-from+2, err)
		}
	}
	// The table needs a data row: with none, excelize makes its range one
	// empty row long, which Excel accepts.
	last, err = excelize.CoordinatesToCellName(len(t.headers), max(2, to-from+1))
	if err != nil {
		return err
	}
	err = sw.AddTable(&excelize.Table{Range: "A1:" + last, Name: tableName, StyleName: "TableStyleLight1"})
	if err != nil {
		return fmt.Errorf("table: %w", err)
	}
	if err := sw.Flush(); err != nil {
		return fmt.Errorf("flush: %w", err)
	}
	return nil
}

// xlsxValue is what the stream writer gets for one cell: text always as a
// string (an inline string cell is never evaluated, so "=HYPERLINK(…)"
// stays text and needs no quote; a linked one looks like a link), days and
// instants as UTC date cells, each kind with its own format, numbers as
// numbers, nothing for an empty cell.
func xlsxValue(c cell, styles xlsxStyles) any {
	switch c.kind {
	case kindText:
		if c.link != "" {
			return excelize.Cell{StyleID: styles.link, Value: cutText(c.text)}
		}
		if len(c.text) > maxColWidth || strings.IndexByte(c.text, '\n') >= 0 {
			// Wider than any column (an error's detail): wrapped within
			// its column, so it neither spills over the next cells nor
			// widens the printout.
			return excelize.Cell{StyleID: styles.wrap, Value: cutText(c.text)}
		}
		return cutText(c.text)
	case kindDate:
		return excelize.Cell{StyleID: styles.date, Value: c.date}
	case kindTime:
		return excelize.Cell{StyleID: styles.dateTime, Value: c.date}
	case kindNumber:
		return c.num
	default:
		return nil
	}
}

// lineHeight is the height of one line of text in points (the default
// font), and maxRowLines the most lines a wrapped row is made tall for.
const (
	lineHeight  = 15
	maxRowLines = 12
)

// rowLines is how many lines the row's tallest wrapped cell needs in
// columns of the given widths (in characters).
func rowLines(cells []cell, widths []float64) int {
	most := 1
	for j, c := range cells {
		if c.kind != kindText || c.link != "" || j >= len(widths) {
			continue
		}
		if len(c.text) <= maxColWidth && strings.IndexByte(c.text, '\n') < 0 {
			continue
		}
		perLine := max(1, int(widths[j])-1)
		n := 0
		for line := range strings.SplitSeq(c.text, "\n") {
			n += max(1, (utf8.RuneCountInString(line)+perLine-1)/perLine)
		}
		most = max(most, min(n, maxRowLines))
	}
	return most
}

// cutText shortens s to Excel's limit of 32,767 UTF-16 units a cell,
// ending it with "…" so the cut is visible instead of silent.
func cutText(s string) string {
	if len(s) <= excelize.TotalCellChars { // bytes ≥ UTF-16 units
		return s
	}
	units := 0
	for i, r := range s {
		units += utf16.RuneLen(r)
		if units > excelize.TotalCellChars-1 {
			return s[:i] + "…"
		}
	}
	return s
}

// columnWidths measures rows [from, to) of t: the widest value of each
// column in characters, within minColWidth and maxColWidth.
func columnWidths(t table, from, to int) []float64 {
	widths := make([]int, len(t.headers))
	for i, h := range t.headers {
		widths[i] = utf8.RuneCountInString(h) + filterButtonCh
	}
	cells := make([]cell, 0, len(t.headers))
	for i := from; i < to; i++ {
		cells = t.sheetRow(i, cells)
		for j, c := range cells {
			widths[j] = max(widths[j], cellWidth(c))
		}
	}
	out := make([]float64, len(widths))
	for i, w := range widths {
		out[i] = float64(min(maxColWidth, max(minColWidth, w+1)))
	}
	return out
}

// cellWidth is the displayed width of a cell in characters.
func cellWidth(c cell) int {
	switch c.kind {
	case kindText:
		if len(c.text) > maxColWidth*4 {
			return maxColWidth
		}
		if i := strings.IndexByte(c.text, '\n'); i >= 0 {
			return utf8.RuneCountInString(c.text[:i])
		}
		return utf8.RuneCountInString(c.text)
	case kindDate:
		return len(dateFormat)
	case kindTime:
		return len(dateTimeFormat)
	case kindNumber:
		return len(strconv.Itoa(c.num))
	default:
		return 0
	}
}
