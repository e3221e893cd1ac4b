package notify

import (
	"encoding/json"
	"strings"
)

// teamsMaxItems is how many customers a list shows in a Teams card: a
// Workflows webhook refuses payloads over about 28 KB.
const teamsMaxItems = 25

// The Teams Workflows webhook ("Post to a channel when a webhook request is
// received") takes a Bot Framework message whose attachment is an Adaptive
// Card; Teams renders cards up to schema version 1.4 everywhere it runs.
type teamsMessage struct {
	Type        string            `json:"type"` // "message"
	Attachments []teamsAttachment `json:"attachments"`
}

type teamsAttachment struct {
	ContentType string       `json:"contentType"` // application/vnd.microsoft.card.adaptive
	ContentURL  *string      `json:"contentUrl"`  // always null: the card is inline
	Content     adaptiveCard `json:"content"`
}

type adaptiveCard struct {
	Schema  string         `json:"$schema"`
	Type    string         `json:"type"` // "AdaptiveCard"
	Version string         `json:"version"`
	Body    []adaptiveElem `json:"body"`
	MSTeams map[string]any `json:"msteams,omitempty"`
}

// adaptiveElem is a TextBlock or a FactSet, the two elements the card uses.
type adaptiveElem struct {
	Type    string         `json:"type"`
	Text    string         `json:"text,omitempty"`
	Size    string         `json:"size,omitempty"`
	Weight  string         `json:"weight,omitempty"`
	Color   string         `json:"color,omitempty"`
	Wrap    bool           `json:"wrap,omitempty"`
	Spacing string         `json:"spacing,omitempty"`
	Facts   []adaptiveFact `json:"facts,omitempty"`
}

type adaptiveFact struct {
	Title string `json:"title"`
	Value string `json:"value"`
}

// teamsPayload renders m as a Teams Workflows message.
func teamsPayload(m Message) ([]byte, error) {
	title := adaptiveElem{Type: "TextBlock", Text: cardText(m.Title()), Size: "Large", Weight: "Bolder", Wrap: true}
	if m.Outcome == OutcomeFailed || m.Outcome == OutcomeInterrupted {
		title.Color = "Attention"
	}
	body := []adaptiveElem{
		title,
		{Type: "TextBlock", Text: cardText(m.Summary()), Wrap: true},
	}
	if m.showsCounts() {
		var facts []adaptiveFact
		for _, f := range m.facts() {
			facts = append(facts, adaptiveFact{Title: f[0], Value: f[1]})
		}
		body = append(body, adaptiveElem{Type: "FactSet", Facts: facts})
	}
	for _, s := range m.sections(teamsMaxItems) {
		body = append(body, adaptiveElem{Type: "TextBlock", Text: cardText(s.Heading), Weight: "Bolder", Spacing: "Medium", Wrap: true})
		lines := make([]string, 0, len(s.Lines)+1)
		for _, l := range s.Lines {
			lines = append(lines, "- "+cardText(l))
		}
		if s.More > 0 {
			lines = append(lines, "- "+moreLine(s.More))
		}
		body = append(body, adaptiveElem{Type: "TextBlock", Text: strings.Join(lines, "\r"), Wrap: true, Spacing: "Small"})
	}
	if m.ReportDir != "" {
		body = append(body, adaptiveElem{Type: "TextBlock", Text: "Report: " + cardText(m.ReportDir), Wrap: true, Spacing: "Medium"})
	}
	msg := teamsMessage{
		Type: "message",
		Attachments: []teamsAttachment{{
			ContentType: "application/vnd.microsoft.card.adaptive",
			Content: adaptiveCard{
				Schema:  "http://adaptivecards.io/schemas/adaptive-card.json",
				Type:    "AdaptiveCard",
				Version: "1.4",
				Body:    body,
				MSTeams: map[string]any{"width": "Full"},
			},
		}},
	}
	return json.Marshal(msg)
}

// cardText puts s on one line: a line break inside a company name would
// start a new list item in the card's text.
func cardText(s string) string {
	return strings.NewReplacer("\r\n", " ", "\r", " ", "\n", " ").Replace(s)
}
