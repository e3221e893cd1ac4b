package report

import (
	"fmt"

	"github.com/xuri/excelize/v2"
)

const summarySheet = "Summary"

// relationshipHint says what the relationship-request URL is for.
const relationshipHint = "Send this link to a customer to invite them to a reseller relationship with you"

// summaryWriter writes the Summary sheet top to bottom with the normal
// excelize API (the sheet is small and never streamed).
type summaryWriter struct {
	f      *excelize.File
	styles xlsxStyles
	row    int
	err    error
}

// set writes one value at column col of the current row; the first error
// sticks and stops further writes.
func (w *summaryWriter) set(col int, value any, style int) {
	if w.err != nil {
		return
	}
	ref, err := excelize.CoordinatesToCellName(col, w.row)
	if err != nil {
		w.err = err
		return
	}
	if err := w.f.SetCellValue(summarySheet, ref, value); err != nil {
		w.err = fmt.Errorf("cell %s: %w", ref, err)
		return
	}
	if style != 0 {
		if err := w.f.SetCellStyle(summarySheet, ref, ref, style); err != nil {
			w.err = fmt.Errorf("style %s: %w", ref, err)
		}
	}
}

// line writes a bold label and its value on the next row.
func (w *summaryWriter) line(label string, value any, style int) {
	w.row++
	w.set(1, label, w.styles.label)
	w.set(2, value, style)
}

// writeSummary fills the Summary sheet: title, the run and the previous run,
// the counts as numbers, the relationship-request link and the trend table
// with its chart.
func writeSummary(f *excelize.File, r *Report, opts WriteOptions, styles xlsxStyles) error {
	w := &summaryWriter{f: f, styles: styles, row: 1}
	w.set(1, "mcawatch: Microsoft Customer Agreement report", styles.title)
	w.row++
	w.line("Run", r.Run.ID, 0)
	w.line("Run kind", r.Run.Kind, 0)
	w.line("Started (UTC)", r.Run.Started.UTC(), styles.dateTime)
	if r.Run.Finished.IsZero() {
		w.line("Finished (UTC)", "not finished", 0)
	} else {
		w.line("Finished (UTC)", r.Run.Finished.UTC(), styles.dateTime)
	}
	if r.Previous == nil {
		w.line("Previous run", "first run", 0)
	} else {
		w.line("Previous run", r.Previous.ID, 0)
		w.line("Previous run started (UTC)", r.Previous.Started.UTC(), styles.dateTime)
	}
	w.line("Required agreement", r.Run.Required, 0)
	w.row++
	s := r.Summary
	for _, c := range []struct {
		label string
		n     int
	}{
		{"Customers", s.Customers}, {"Accepted", s.Accepted}, {"Direct-signed", s.DirectSigned},
		{"Missing", s.Missing}, {"New", s.New}, {"Removed", s.Removed}, {"Errors", s.Errors},
		{"Joined", s.Joined}, {"Left", s.Left},
	} {
		w.line(c.label, c.n, 0)
	}
	w.row++
	writeRelationshipLink(w, opts.RelationshipURL)
	w.row++
	writeTrend(w, opts)
	if w.err != nil {
		return w.err
	}
	if err := f.SetColWidth(summarySheet, "A", "A", 28); err != nil {
		return fmt.Errorf("column width: %w", err)
	}
	if err := f.SetColWidth(summarySheet, "B", "D", 18); err != nil {
		return fmt.Errorf("column width: %w", err)
	}
	return nil
}

// writeRelationshipLink writes the partner's invitation link as a hyperlink
// cell (the only hyperlink in the workbook) and a line saying what it is for.
func writeRelationshipLink(w *summaryWriter, url string) {
	if url == "" {
		w.line("Relationship request URL", "not available", 0)
		return
	}
	w.line("Relationship request URL", url, w.styles.link)
	if w.err == nil {
		ref, _ := excelize.CoordinatesToCellName(2, w.row)
		tip := "Reseller relationship invitation"
		if err := w.f.SetCellHyperLink(summarySheet, ref, url, "External", excelize.HyperlinkOpts{Tooltip: &tip}); err != nil {
			w.err = fmt.Errorf("hyperlink: %w", err)
		}
	}
	w.row++
	w.set(2, relationshipHint, 0)
}

// writeTrend writes the trend points as a small table and a line chart of
// Accepted and Missing over them that references the table's cells.
func writeTrend(w *summaryWriter, opts WriteOptions) {
	w.row++
	if len(opts.Trend) == 0 {
		w.set(1, "Trend", w.styles.label)
		w.set(2, "no complete runs yet", 0)
		return
	}
	header := w.row
	for i, h := range []string{"Run", "Started (UTC)", "Accepted", "Missing"} {
		w.set(i+1, h, w.styles.header)
	}
	for _, p := range opts.Trend {
		w.row++
		w.set(1, p.RunID, 0)
		w.set(2, p.Started.UTC(), w.styles.dateTime)
		w.set(3, p.Accepted, 0)
		w.set(4, p.Missing, 0)
	}
	if w.err != nil {
		return
	}
	first, last := header+1, w.row
	categories := fmt.Sprintf("%s!$B$%d:$B$%d", summarySheet, first, last)
	series := func(col string) excelize.ChartSeries {
		return excelize.ChartSeries{
			Name:       fmt.Sprintf("%s!$%s$%d", summarySheet, col, header),
			Categories: categories,
			Values:     fmt.Sprintf("%s!$%s$%d:$%s$%d", summarySheet, col, first, col, last),
			Marker:     excelize.ChartMarker{Symbol: "circle", Size: 5},
		}
	}
	err := w.f.AddChart(summarySheet, "F3", &excelize.Chart{
		Type:      excelize.Line,
		Series:    []excelize.ChartSeries{series("C"), series("D")},
		Title:     excelize.ChartTitle{Paragraph: []excelize.RichTextRun{{Text: "Accepted vs missing customers"}}},
		Legend:    excelize.ChartLegend{Position: "bottom"},
		Dimension: excelize.ChartDimension{Width: 640, Height: 320},
	})
	if err != nil {
		w.err = fmt.Errorf("trend chart: %w", err)
	}
}
