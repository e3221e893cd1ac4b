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

// writeSummary fills the Summary sheet, laid out to print on one landscape
// page: the title and what to look at first, the counts with their change
// since the previous run beside the trend chart, the run and its cut-off,
// the agreement to send and the relationship-request link (both stored
// with the run, so a re-render shows them), and the trend table the chart
// draws.
func writeSummary(f *excelize.File, r *Report, opts WriteOptions, styles xlsxStyles) error {
	w := &summaryWriter{f: f, styles: styles, row: 1}
	w.set(1, "Microsoft Customer Agreement: who can order, who cannot", styles.title)
	w.row++
	w.set(1, headline(r), styles.note)
	w.row++
	writeCounts(w, r, opts)
	chartRow := 3
	w.row++
	w.line("Run", r.Run.ID, styles.value)
	w.line("Run kind", r.Run.Kind, 0)
	w.line("Started (UTC)", r.Run.Started.UTC(), styles.valueDateTime)
	if r.Run.Finished.IsZero() {
		w.line("Finished (UTC)", "not finished", 0)
	} else {
		w.line("Finished (UTC)", r.Run.Finished.UTC(), styles.valueDateTime)
	}
	if r.Previous == nil {
		w.line("Previous run", "first run", 0)
	} else {
		w.line("Previous run", r.Previous.ID, styles.value)
		w.line("Previous run started (UTC)", r.Previous.Started.UTC(), styles.valueDateTime)
	}
	if !opts.NextRun.IsZero() {
		w.line("Next scheduled run (UTC)", opts.NextRun.UTC(), styles.valueDateTime)
	}
	w.line("Required agreement", r.Run.Required, 0)
	if r.Run.CurrentSince.IsZero() {
		w.line("Current if accepted since", "off: every acceptance counts as current", 0)
	} else {
		w.line("Current if accepted since", r.Run.CurrentSince.UTC(), styles.valueDate)
	}
	w.row++
	writeAgreement(w, r.Run.Agreement)
	w.row++
	writeLink(w, "Relationship request URL", cmp.Or(r.Run.RelationshipURL, opts.RelationshipURL),
		"Reseller relationship invitation", relationshipHint)
	w.row++
	writeTrend(w, opts, chartRow)
	if w.err != nil {
		return w.err
	}
	for _, c := range []struct {
		cols  string
		width float64
	}{{"A", 30}, {"B", 16}, {"C", 16}, {"D", 11}, {"E", 11}, {"F", 11}, {"G", 12}} {
		if err := f.SetColWidth(summarySheet, c.cols, c.cols, c.width); err != nil {
			return fmt.Errorf("column width: %w", err)
		}
	}
	last, err := excelize.CoordinatesToCellName(summaryCols, w.row)
	if err != nil {
		return err
	}
	if err := f.SetSheetDimension(summarySheet, "A1:"+last); err != nil {
		return fmt.Errorf("dimension: %w", err)
	}
	return setPrint(f, summarySheet, 1, false)
}

// summaryCols is how many columns the Summary's cells use: the trend
// table's seven (its chart beside the counts reaches column N on screen).
const summaryCols = 7

// headline is the line under the title: the one number that matters and
// where to look.
func headline(r *Report) string {
	s := r.Summary
	if s.Blocked == 0 {
		return fmt.Sprintf("All %d answered customers can order: none is missing or outdated.", s.Customers-s.Errors-s.NoRelationship)
	}
	return fmt.Sprintf("%d customers are blocked for orders: %d on Missing (never accepted), %d on Outdated (accepted before the cut-off). Send them the agreement link below.",
		s.Blocked, s.Missing, s.Outdated)
}

// writeCounts writes the counts table: each count now and, where the
// previous run's count is known, its change (▲ n, ▼ n, or no change).
func writeCounts(w *summaryWriter, r *Report, opts WriteOptions) {
	s := r.Summary
	prev, cur, ok := trendPair(r, opts.Trend)
	w.row++
	w.set(1, "Customers by standing", w.styles.header)
	w.set(2, "Now", w.styles.header)
	w.set(3, "Since last run", w.styles.header)
	type count struct {
		label string
		n     int
		// before is the previous run's count, nil where it is not known
		// or the row is itself a change; up is whether a rise is good.
		before func(p storage.TrendPoint) int
		up     bool
	}
	for _, c := range []count{
		{"Blocked for orders", s.Blocked, func(p storage.TrendPoint) int { return p.Missing + p.Outdated }, false},
		{"Missing", s.Missing, func(p storage.TrendPoint) int { return p.Missing }, false},
		{"Outdated", s.Outdated, func(p storage.TrendPoint) int { return p.Outdated }, false},
		{"Accepted", s.Accepted, func(p storage.TrendPoint) int { return p.Accepted }, true},
		{"Direct-signed", s.DirectSigned, nil, true},
		{"Errors", s.Errors, func(p storage.TrendPoint) int { return p.Errors }, false},
		{"No reseller relationship", s.NoRelationship, nil, false},
		{"Customers", s.Customers, func(p storage.TrendPoint) int { return p.Customers }, true},
		{"Newly missing", s.NewlyMissing, nil, false},
		{"Newly outdated", s.NewlyOutdated, nil, false},
		{"New", s.New, nil, false},
		{"Removed", s.Removed, nil, false},
		{"Joined", s.Joined, nil, false},
		{"Left", s.Left, nil, false},
	} {
		w.row++
		w.set(1, c.label, w.styles.label)
		w.set(2, c.n, 0)
		switch {
		case r.Previous == nil && c.before != nil:
			w.set(3, "first run", w.styles.note)
		case c.before != nil && ok:
			// Both counts from storage's trend, so the change compares
			// like with like (a customer in error by its carried state).
			text, style := change(c.before(cur)-c.before(prev), c.up, w.styles)
			w.set(3, text, style)
		}
	}
}

// trendPair finds the trend points of the run and of its previous run.
func trendPair(r *Report, trend []storage.TrendPoint) (prev, cur storage.TrendPoint, ok bool) {
	if r.Previous == nil {
		return prev, cur, false
	}
	var havePrev, haveCur bool
	for _, p := range trend {
		switch p.RunID {
		case r.Previous.ID:
			prev, havePrev = p, true
		case r.Run.ID:
			cur, haveCur = p, true
		}
	}
	return prev, cur, havePrev && haveCur
}

// change renders a difference as "▲ n", "▼ n" or "no change", coloured
// green when it is good news and red when it is bad.
func change(d int, upIsGood bool, styles xlsxStyles) (string, int) {
	switch {
	case d == 0:
		return "no change", styles.note
	case d > 0 && upIsGood, d < 0 && !upIsGood:
		return changeText(d), styles.good
	default:
		return changeText(d), styles.bad
	}
}

func changeText(d int) string {
	if d > 0 {
		return fmt.Sprintf("▲ %d", d)
	}
	return fmt.Sprintf("▼ %d", -d)
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

// writeTrend writes the trend points as a small table and, anchored at
// row chartRow beside the counts, a line chart drawn from its cells:
// Accepted on the left axis, Outdated and Missing on a right axis of their
// own, so a few dozen missing customers are not a flat line under
// thousands accepted. The categories are text labels (the run's day, with
// the time when two runs share a day), so no axis shows date serials and
// no spreadsheet merges two runs of one day into one point. The points come
// from storage, which counts a customer in error by its carried-forward
// state, so a night with errors makes no dip.
func writeTrend(w *summaryWriter, opts WriteOptions, chartRow int) {
	w.row++
	if len(opts.Trend) == 0 {
		w.set(1, "Trend", w.styles.label)
		w.set(2, "no complete runs yet", 0)
		return
	}
	header := w.row
	for i, h := range []string{"Run", "Started (UTC)", "Accepted", "Outdated", "Missing", "Errors", "Chart label"} {
		w.set(i+1, h, w.styles.header)
	}
	labels := trendLabels(opts.Trend)
	for i, p := range opts.Trend {
		w.row++
		w.set(1, p.RunID, 0)
		w.set(2, p.Started.UTC(), w.styles.dateTime)
		w.set(3, p.Accepted, 0)
		w.set(4, p.Outdated, 0)
		w.set(5, p.Missing, 0)
		w.set(6, p.Errors, 0)
		w.set(7, labels[i], 0)
	}
	if w.err != nil {
		return
	}
	first, last := header+1, w.row
	categories := fmt.Sprintf("%s!$G$%d:$G$%d", summarySheet, first, last)
	series := func(col, color string) excelize.ChartSeries {
		return excelize.ChartSeries{
			Name:       fmt.Sprintf("%s!$%s$%d", summarySheet, col, header),
			Categories: categories,
			Values:     fmt.Sprintf("%s!$%s$%d:$%s$%d", summarySheet, col, first, col, last),
			Marker:     excelize.ChartMarker{Symbol: "circle", Size: 5, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{color}}},
			Line:       excelize.LineOptions{Width: 2.25},
			Fill:       excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{color}},
		}
	}
	font := excelize.Font{Size: 9, Color: "404040"}
	anchor, _ := excelize.CoordinatesToCellName(5, chartRow)
	err := w.f.AddChart(summarySheet, anchor, &excelize.Chart{
		Type:   excelize.Line,
		Series: []excelize.ChartSeries{series("C", "2E7D32")},
		Title: excelize.ChartTitle{Paragraph: []excelize.RichTextRun{{
			Text: "Accepted (left axis); outdated and missing (right axis)", Font: &excelize.Font{Size: 11, Bold: true}}}},
		Legend:    excelize.ChartLegend{Position: "bottom"},
		Dimension: excelize.ChartDimension{Width: 600, Height: 330},
		XAxis:     excelize.ChartAxis{Font: font, TickLabelSkip: labelSkip(len(opts.Trend))},
		YAxis:     excelize.ChartAxis{Font: font, MajorGridLines: true, NumFmt: excelize.ChartNumFmt{CustomNumFmt: "#,##0"}},
		PlotArea:  excelize.ChartPlotArea{ShowVal: false},
	}, &excelize.Chart{
		Type:   excelize.Line,
		Series: []excelize.ChartSeries{series("D", "F9A825"), series("E", "C62828")},
		YAxis:  excelize.ChartAxis{Font: font, Secondary: true, NumFmt: excelize.ChartNumFmt{CustomNumFmt: "#,##0"}},
	})
	if err != nil {
		w.err = fmt.Errorf("trend chart: %w", err)
	}
}

// trendLabels are the chart's category labels: each run's day; its day
// and time when two runs share a day; and its id too when two share a
// minute (a demo's two sweeps).
func trendLabels(trend []storage.TrendPoint) []string {
	for _, layout := range []string{"2006-01-02", "01-02 15:04"} {
		out := make([]string, len(trend))
		seen := make(map[string]bool, len(trend))
		for i, p := range trend {
			out[i] = p.Started.UTC().Format(layout)
			if seen[out[i]] {
				out = nil
				break
			}
			seen[out[i]] = true
		}
		if out != nil {
			return out
		}
	}
	out := make([]string, len(trend))
	for i, p := range trend {
		out[i] = fmt.Sprintf("run %d, %s", p.RunID, p.Started.UTC().Format("01-02 15:04"))
	}
	return out
}

// labelSkip shows about ten labels on the category axis, however many
// points there are.
func labelSkip(points int) int {
	return max(1, (points+9)/10)
}
