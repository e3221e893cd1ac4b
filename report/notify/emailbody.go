package notify

import (
	"html/template"
	"strings"
)

// emailText is the plain-text body.
func emailText(m Message, note string) string {
	var b strings.Builder
	b.WriteString(m.Title() + "\n\n" + m.Summary() + "\n")
	for _, s := range m.sections(emailMaxItems) {
		b.WriteString("\n" + s.Heading + "\n")
		for _, l := range s.Lines {
			b.WriteString("- " + l + "\n")
		}
		if s.More > 0 {
			b.WriteString("- " + moreLine(s.More) + "\n")
		}
	}
	if m.showsCounts() {
		b.WriteString("\nCounts\n")
		for _, f := range m.facts() {
			b.WriteString(f[0] + ": " + f[1] + "\n")
		}
	}
	if m.ReportDir != "" {
		b.WriteString("\nReport: " + m.ReportDir + "\n")
	}
	if note != "" {
		b.WriteString(note + "\n")
	}
	return b.String()
}

var emailTemplate = template.Must(template.New("email").Parse(`<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{{.Title}}</title></head>
<body style="font-family: Segoe UI, Arial, sans-serif; font-size: 14px">
<h2>{{.Title}}</h2>
<p>{{.Summary}}</p>
{{range .Sections}}<h3>{{.Heading}}</h3>
<ul>{{range .Lines}}
<li>{{.}}</li>{{end}}{{if .More}}
<li>{{call $.MoreLine .More}}</li>{{end}}
</ul>
{{end}}{{if .Facts}}<table cellpadding="3">{{range .Facts}}
<tr><td>{{index . 0}}</td><td align="right">{{index . 1}}</td></tr>{{end}}
</table>
{{end}}{{if .ReportDir}}<p>Report: <code>{{.ReportDir}}</code></p>
{{end}}{{if .Note}}<p>{{.Note}}</p>
{{end}}</body></html>
`))

// emailHTML is the HTML body; every value is escaped by html/template.
func emailHTML(m Message, note string) (string, error) {
	data := struct {
		Title, Summary, ReportDir, Note string
		Sections                        []section
		Facts                           [][2]string
		MoreLine                        func(int) string
	}{
		Title: m.Title(), Summary: m.Summary(), ReportDir: m.ReportDir, Note: note,
		Sections: m.sections(emailMaxItems), MoreLine: moreLine,
	}
	if m.showsCounts() {
		data.Facts = m.facts()
	}
	var b strings.Builder
	if err := emailTemplate.Execute(&b, data); err != nil {
		return "", err
	}
	return b.String(), nil
}
