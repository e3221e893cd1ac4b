package report

import (
	"cmp"
	"fmt"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/mcawatch/mcawatch/storage"
)

const summarySheet = "Summary"

// What to send to whom: one line under each link of the Summary sheet.
const (
	agreementHint = "Send this to customers on the Outdated and Missing sheets: they accept it in the " +
		"Microsoft 365 admin center → Settings → Partner relationships"
	relationshipHint = "Send this to a customer who has no reseller relationship with you yet"
	// unavailable stands in for a link the run could not fetch.
	unavailable = "unavailable"
)

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
// the cut-off, the counts as numbers, the agreement to send and the
// relationship-request link (both stored with the run, so a re-render shows
// them) and the trend table with its chart.
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
	if r.Run.CurrentSince.IsZero() {
		w.line("Current if accepted since", "off: every acceptance counts as current", 0)
	} else {
		w.line("Current if accepted since", r.Run.CurrentSince.UTC(), styles.dateStyle(r.Run.CurrentSince.UTC()))
	}
	w.row++
	s := r.Summary
	for _, c := range []struct {
		label string
		n     int
	}{
		{"Customers", s.Customers}, {"Accepted", s.Accepted}, {"Direct-signed", s.DirectSigned},
		{"Outdated", s.Outdated}, {"Missing", s.Missing}, {"Blocked for orders", s.Blocked},
		{"Newly outdated", s.NewlyOutdated}, {"Newly missing", s.NewlyMissing},
		{"New", s.New}, {"Removed", s.Removed}, {"Errors", s.Errors},
		{"No reseller relationship", s.NoRelationship}, {"Joined", s.Joined}, {"Left", s.Left},
	} {
		w.line(c.label, c.n, 0)
	}
	w.row++
	writeAgreement(w, r.Run.Agreement)
	w.row++
	writeLink(w, "Relationship request URL", cmp.Or(r.Run.RelationshipURL, opts.RelationshipURL),
		"Reseller relationship invitation", relationshipHint)
	w.row++
	writeTrend(w, opts)
	if w.err != nil {
		return w.err
	}
	if err := f.SetColWidth(summarySheet, "A", "A", 28); err != nil {
		return fmt.Errorf("column width: %w", err)
	}
	if err := f.SetColWidth(summarySheet, "B", "F", 18); err != nil {
		return fmt.Errorf("column width: %w", err)
	}
	return nil
}

// writeAgreement names the agreement version enforced now and links its
// document, with the line saying who it is for; "unavailable" when the run
// could not fetch the agreement metadata.
func writeAgreement(w *summaryWriter, a storage.AgreementInfo) {
	if a.TemplateID == "" && a.Link == "" {
		w.line("Agreement enforced now", unavailable, 0)
		return
	}
	version := fmt.Sprintf("%s, version rank %d, template %s", cmp.Or(a.Type, "MicrosoftCustomerAgreement"), a.VersionRank, a.TemplateID)
	w.line("Agreement enforced now", version, 0)
	writeLink(w, "Agreement document", a.Link, "The agreement to accept", agreementHint)
}

// writeLink writes url on a labelled row as a hyperlink cell (a string cell
// with a link, never a formula) and hint on the row below; "unavailable"
// when url is empty. Only http and https URLs become links.
func writeLink(w *summaryWriter, label, url, tip, hint string) {
	if url == "" {
		w.line(label, unavailable, 0)
		return
	}
	if !strings.HasPrefix(url, "https://") && !strings.HasPrefix(url, "http://") {
		w.line(label, url, 0)
	} else {
		w.line(label, url, w.styles.link)
		if w.err == nil {
			ref, _ := excelize.CoordinatesToCellName(2, w.row)
			if err := w.f.SetCellHyperLink(summarySheet, ref, url, "External", excelize.HyperlinkOpts{Tooltip: &tip}); err != nil {
				w.err = fmt.Errorf("hyperlink: %w", err)
			}
		}
	}
	w.row++
	w.set(2, hint, 0)
}

// writeTrend writes the trend points as a small table and a line chart of
// Accepted, Outdated and Missing over them that references the table's
// cells. The points come from storage, which counts a customer in error by
// its carried-forward state, so a night with errors makes no dip.
func writeTrend(w *summaryWriter, opts WriteOptions) {
	w.row++
	if len(opts.Trend) == 0 {
		w.set(1, "Trend", w.styles.label)
		w.set(2, "no complete runs yet", 0)
		return
	}
	header := w.row
	for i, h := range []string{"Run", "Started (UTC)", "Accepted", "Outdated", "Missing", "Errors"} {
		w.set(i+1, h, w.styles.header)
	}
	for _, p := range opts.Trend {
		w.row++
		w.set(1, p.RunID, 0)
		w.set(2, p.Started.UTC(), w.styles.dateTime)
		w.set(3, p.Accepted, 0)
		w.set(4, p.Outdated, 0)
		w.set(5, p.Missing, 0)
		w.set(6, p.Errors, 0)
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
	err := w.f.AddChart(summarySheet, "H3", &excelize.Chart{
		Type:      excelize.Line,
		Series:    []excelize.ChartSeries{series("C"), series("D"), series("E")},
		Title:     excelize.ChartTitle{Paragraph: []excelize.RichTextRun{{Text: "Accepted, outdated and missing customers"}}},
		Legend:    excelize.ChartLegend{Position: "bottom"},
		Dimension: excelize.ChartDimension{Width: 640, Height: 320},
	})
	if err != nil {
		w.err = fmt.Errorf("trend chart: %w", err)
	}
}
