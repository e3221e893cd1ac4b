package main

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// lineChart is a line chart small enough to write as SVG by hand, so the
// benchmark plots committed under docs/ need no plotting dependency.
type lineChart struct {
	Title          string
	XLabel, YLabel string
	Series         []chartSeries
}

// chartSeries is one named line of a lineChart. X and Y have the same
// length; a point with a non-finite coordinate is left out (the line joins
// across it).
type chartSeries struct {
	Name  string
	Color string // any SVG colour
	Step  bool   // hold each Y until the next X (a step line), for settings
	Dash  bool
	X, Y  []float64
}

// Layout of the chart, in SVG user units.
const (
	chartWidth, chartHeight = 860, 440
	plotLeft, plotRight     = 70, 840
	plotTop, plotBottom     = 60, 390
	maxTicks                = 10
)

// writeSVG writes c as a standalone SVG document.
func (c lineChart) writeSVG(w io.Writer) error {
	xMax, yMax := 0.0, 0.0
	for _, s := range c.Series {
		for i := range s.X {
			if finite(s.X[i]) && finite(s.Y[i]) {
				xMax, yMax = max(xMax, s.X[i]), max(yMax, s.Y[i])
			}
		}
	}
	xStep, yStep := tickStep(xMax), tickStep(yMax)
	xMax, yMax = xStep*math.Ceil(xMax/xStep), yStep*math.Ceil(yMax/yStep)
	px := func(x float64) float64 { return plotLeft + x/xMax*(plotRight-plotLeft) }
	py := func(y float64) float64 { return plotBottom - y/yMax*(plotBottom-plotTop) }

	var b bytes.Buffer
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n",
		chartWidth, chartHeight, chartWidth, chartHeight)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	fmt.Fprintf(&b, `<text x="%d" y="22" text-anchor="middle" font-size="15">%s</text>`+"\n", chartWidth/2, escapeText(c.Title))

	// Grid, ticks and their labels, then the axes over them.
	for i := 0.0; i*xStep <= xMax+xStep/2; i++ {
		x := i * xStep
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#e5e5e5"/>`+"\n", px(x), plotTop, px(x), plotBottom)
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="black"/>`+"\n", px(x), plotBottom, px(x), plotBottom+5)
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle">%s</text>`+"\n", px(x), plotBottom+18, tickLabel(x, xStep))
	}
	for i := 0.0; i*yStep <= yMax+yStep/2; i++ {
		y := i * yStep
		fmt.Fprintf(&b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#e5e5e5"/>`+"\n", plotLeft, py(y), plotRight, py(y))
		fmt.Fprintf(&b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="black"/>`+"\n", plotLeft-5, py(y), plotLeft, py(y))
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" text-anchor="end">%s</text>`+"\n", plotLeft-8, py(y)+4, tickLabel(y, yStep))
	}
	fmt.Fprintf(&b, `<path d="M%d %d V%d H%d" fill="none" stroke="black"/>`+"\n", plotLeft, plotTop, plotBottom, plotRight)
	fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle">%s</text>`+"\n", (plotLeft+plotRight)/2, plotBottom+40, escapeText(c.XLabel))
	fmt.Fprintf(&b, `<text transform="translate(18 %d) rotate(-90)" text-anchor="middle">%s</text>`+"\n", (plotTop+plotBottom)/2, escapeText(c.YLabel))

	// One polyline per series, and its legend entry in a row under the title.
	lx := float64(plotLeft)
	for _, s := range c.Series {
		var pts []string
		var last float64 // the previous drawn Y, held by a step line
		for i := range s.X {
			if !finite(s.X[i]) || !finite(s.Y[i]) {
				continue
			}
			if s.Step && len(pts) > 0 {
				pts = append(pts, fmt.Sprintf("%.1f,%.1f", px(s.X[i]), py(last)))
			}
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", px(s.X[i]), py(s.Y[i])))
			last = s.Y[i]
		}
		dash := ""
		if s.Dash {
			dash = ` stroke-dasharray="6 4"`
		}
		fmt.Fprintf(&b, `<polyline points="%s" fill="none" stroke="%s" stroke-width="1.5"%s/>`+"\n",
			strings.Join(pts, " "), escapeText(s.Color), dash)
		fmt.Fprintf(&b, `<line x1="%.1f" y1="42" x2="%.1f" y2="42" stroke="%s" stroke-width="2"%s/>`+"\n", lx, lx+24, escapeText(s.Color), dash)
		fmt.Fprintf(&b, `<text x="%.1f" y="46">%s</text>`+"\n", lx+30, escapeText(s.Name))
		lx += 30 + 7*float64(len(s.Name)) + 30
	}
	b.WriteString("</svg>\n")
	_, err := w.Write(b.Bytes())
	return err
}

// tickStep returns a step of 1, 2 or 5 × 10^k giving at most maxTicks ticks
// from 0 to top.
func tickStep(top float64) float64 {
	if top <= 0 {
		return 1
	}
	mag := math.Pow(10, math.Floor(math.Log10(top/maxTicks)))
	for _, m := range []float64{1, 2, 5, 10} {
		if top/(m*mag) <= maxTicks {
			return m * mag
		}
	}
	return 10 * mag
}

// tickLabel formats v with as many decimals as step needs.
func tickLabel(v, step float64) string {
	decimals := max(0, int(-math.Floor(math.Log10(step))))
	return strconv.FormatFloat(v, 'f', decimals, 64)
}

// escapeText escapes s for use in SVG text and attribute values.
func escapeText(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s)) // a strings.Builder never fails
	return b.String()
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
