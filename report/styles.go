package report

import (
	"fmt"

	"github.com/xuri/excelize/v2"
)

// xlsxStyles are the style ids shared by the workbook's sheets.
type xlsxStyles struct {
	header int // bold, filled header cells
	title  int // the Summary title
	label  int // bold labels on Summary
	link   int // hyperlink look
	wrap   int // text longer than its column: wrapped
	note   int // grey explanatory text
	good   int // a change for the better (green)
	bad    int // a change for the worse (red)
	// value, valueDate and valueDateTime are the Summary's run details,
	// aligned left like the text beside them.
	value         int
	valueDate     int
	valueDateTime int
	date          int // yyyy-mm-dd: a day
	dateTime      int // yyyy-mm-dd hh:mm: an instant whose time matters (UTC)
}

// The two date formats, one a column: days (dates agreed, the cut-off)
// show only the date; instants whose time matters (run starts,
// missing_since) show date and time, under a header that says UTC. Both
// are real date cells, in UTC.
const (
	dateFormat     = "yyyy-mm-dd"
	dateTimeFormat = "yyyy-mm-dd hh:mm"
)

// newStyles registers the workbook's styles.
func newStyles(f *excelize.File) (xlsxStyles, error) {
	var s xlsxStyles
	dateFmt, dateTimeFmt := dateFormat, dateTimeFormat
	specs := []struct {
		id    *int
		style *excelize.Style
	}{
		{&s.header, &excelize.Style{
			Font:      &excelize.Font{Bold: true},
			Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"D9E1F2"}},
			Border:    []excelize.Border{{Type: "bottom", Color: "8EA9DB", Style: 1}},
			Alignment: &excelize.Alignment{Vertical: "center"},
		}},
		{&s.title, &excelize.Style{Font: &excelize.Font{Bold: true, Size: 14}}},
		{&s.label, &excelize.Style{Font: &excelize.Font{Bold: true}}},
		{&s.link, &excelize.Style{Font: &excelize.Font{Color: "0563C1", Underline: "single"}}},
		{&s.wrap, &excelize.Style{Alignment: &excelize.Alignment{WrapText: true}}},
		{&s.note, &excelize.Style{Font: &excelize.Font{Color: "595959"}, Alignment: &excelize.Alignment{Horizontal: "left", Indent: 1}}},
		{&s.good, &excelize.Style{Font: &excelize.Font{Color: "2E7D32", Bold: true}, Alignment: &excelize.Alignment{Horizontal: "left", Indent: 1}}},
		{&s.bad, &excelize.Style{Font: &excelize.Font{Color: "C62828", Bold: true}, Alignment: &excelize.Alignment{Horizontal: "left", Indent: 1}}},
		{&s.value, &excelize.Style{Alignment: &excelize.Alignment{Horizontal: "left"}}},
		{&s.valueDate, &excelize.Style{CustomNumFmt: &dateFmt, Alignment: &excelize.Alignment{Horizontal: "left"}}},
		{&s.valueDateTime, &excelize.Style{CustomNumFmt: &dateTimeFmt, Alignment: &excelize.Alignment{Horizontal: "left"}}},
		{&s.date, &excelize.Style{CustomNumFmt: &dateFmt}},
		{&s.dateTime, &excelize.Style{CustomNumFmt: &dateTimeFmt}},
	}
	for _, spec := range specs {
		id, err := f.NewStyle(spec.style)
		if err != nil {
			return s, fmt.Errorf("new style: %w", err)
		}
		*spec.id = id
	}
	return s, nil
}
