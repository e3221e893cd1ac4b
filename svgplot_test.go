package main

import (
	"bytes"
	"encoding/xml"
	"math"
	"slices"
	"strings"
	"testing"
)

// svgDoc is the part of an SVG document the tests look at.
type svgDoc struct {
	XMLName   xml.Name `xml:"svg"`
	Polylines []struct {
		Points string `xml:"points,attr"`
		Stroke string `xml:"stroke,attr"`
	} `xml:"polyline"`
	Texts []string `xml:"text"`
}

// mustParseSVG decodes b with encoding/xml, failing the test if it is not
// well-formed.
func mustParseSVG(tb testing.TB, b []byte) svgDoc {
	tb.Helper()
	var doc svgDoc
	if err := xml.Unmarshal(b, &doc); err != nil {
		tb.Fatalf("xml.Unmarshal(svg) = %v\n%s", err, b)
	}
	return doc
}

func TestLineChart_WriteSVG(t *testing.T) {
	c := lineChart{
		Title:  `Rate <after> "changes" & more`,
		XLabel: "seconds",
		YLabel: "requests/s",
		Series: []chartSeries{
			{Name: "line", Color: "red", X: []float64{0, 1, 2, 3, 4}, Y: []float64{5, 9, 3, 7, 1}},
			{Name: "steps", Color: "blue", Step: true, Dash: true, X: []float64{0, 2, 4, 6}, Y: []float64{400, 200, 400, 400}},
			{Name: "gap & <nan>", Color: "green", X: []float64{1, 2, 3}, Y: []float64{math.NaN(), 10, 20}},
		},
	}
	var b bytes.Buffer
	if err := c.writeSVG(&b); err != nil {
		t.Fatal(err)
	}
	doc := mustParseSVG(t, b.Bytes())

	// A line draws each point; a step line adds a corner before each point
	// after the first; a NaN point is left out.
	wantPoints := []int{5, 2*4 - 1, 2}
	if got, want := len(doc.Polylines), len(c.Series); got != want {
		t.Fatalf("polylines=%d, want %d", got, want)
	}
	for i, pl := range doc.Polylines {
		if got, want := len(strings.Fields(pl.Points)), wantPoints[i]; got != want {
			t.Errorf("series %q: %d points, want %d (%q)", c.Series[i].Name, got, want, pl.Points)
		}
		if got, want := pl.Stroke, c.Series[i].Color; got != want {
			t.Errorf("series %q: stroke=%q, want %q", c.Series[i].Name, got, want)
		}
	}
	// The step line holds 400 until x=2, then drops: the corner shares the
	// next point's x and the previous point's y.
	steps := strings.Fields(doc.Polylines[1].Points)
	first, corner, next := strings.Split(steps[0], ","), strings.Split(steps[1], ","), strings.Split(steps[2], ",")
	if corner[0] != next[0] || corner[1] != first[1] {
		t.Errorf("step corner %v, want x of %v and y of %v", corner, next, first)
	}

	for _, want := range []string{c.Title, c.XLabel, c.YLabel, "line", "steps", "gap & <nan>", "0", "400"} {
		if !slices.Contains(doc.Texts, want) {
			t.Errorf("no text %q in %q", want, doc.Texts)
		}
	}
	if bytes.Contains(b.Bytes(), []byte("<nan>")) {
		t.Errorf("unescaped text in the SVG:\n%s", b.Bytes())
	}
}

func TestSVG_TickStep(t *testing.T) {
	tests := []struct {
		top, want float64
	}{
		{0, 1},
		{9, 1},
		{10, 1},
		{11, 2},
		{60, 10},
		{400, 50},
		{1234, 200},
		{0.3, 0.05},
	}
	for _, tt := range tests {
		if got := tickStep(tt.top); math.Abs(got-tt.want) > 1e-12 {
			t.Errorf("tickStep(%v)=%v, want %v", tt.top, got, tt.want)
		}
	}
}
