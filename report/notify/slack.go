package notify

import (
	"encoding/json"
	"strings"
	"unicode/utf8"
)

// Slack's documented limits for a message's blocks.
const (
	slackMaxBlocks      = 50
	slackMaxSectionText = 3000
	slackMaxHeaderText  = 150
	slackMaxItems       = 40 // customers a list shows before "and N more"
)

// slackMessage is what a Slack incoming webhook takes: blocks, and a text
// that notifications and clients without blocks show instead.
type slackMessage struct {
	Text   string       `json:"text"`
	Blocks []slackBlock `json:"blocks"`
}

type slackBlock struct {
	Type string     `json:"type"` // header, section, divider
	Text *slackText `json:"text,omitempty"`
}

type slackText struct {
	Type string `json:"type"` // plain_text (header) or mrkdwn (section)
	Text string `json:"text"`
}

// slackPayload renders m as Slack blocks, within Slack's limits.
func slackPayload(m Message) ([]byte, error) {
	blocks := []slackBlock{
		{Type: "header", Text: &slackText{Type: "plain_text", Text: cut(m.Title(), slackMaxHeaderText)}},
		{Type: "section", Text: &slackText{Type: "mrkdwn", Text: cut(slackEscape(m.Summary()), slackMaxSectionText)}},
	}
	if m.showsCounts() {
		var counts []string
		for _, f := range m.facts() {
			counts = append(counts, "*"+f[0]+":* "+f[1])
		}
		blocks = append(blocks, slackBlock{Type: "section", Text: &slackText{Type: "mrkdwn", Text: strings.Join(counts, "\n")}})
	}
	for _, s := range m.sections(slackMaxItems) {
		if len(blocks) >= slackMaxBlocks-1 {
			break
		}
		blocks = append(blocks, slackBlock{Type: "section", Text: &slackText{Type: "mrkdwn", Text: slackList(s)}})
	}
	if m.ReportDir != "" && len(blocks) < slackMaxBlocks {
		blocks = append(blocks, slackBlock{Type: "section", Text: &slackText{Type: "mrkdwn",
			Text: cut("*Report:* `"+slackEscape(strings.ReplaceAll(m.ReportDir, "`", "'"))+"`", slackMaxSectionText)}})
	}
	return json.Marshal(slackMessage{Text: slackEscape(m.Title() + ". " + m.Summary()), Blocks: blocks})
}

// slackList renders one list as a section text of at most 3,000
// characters: the lines that fit, then "… and N more".
func slackList(s section) string {
	head := "*" + slackEscape(s.Heading) + "*"
	lines := []string{head}
	size := utf8.RuneCountInString(head)
	more := s.More
	for i, l := range s.Lines {
		line := "• " + slackEscape(l)
		// Keep room for the closing "… and N more" line.
		if size+1+utf8.RuneCountInString(line) > slackMaxSectionText-40 {
			more += len(s.Lines) - i
			break
		}
		lines = append(lines, line)
		size += 1 + utf8.RuneCountInString(line)
	}
	if more > 0 {
		lines = append(lines, "• "+moreLine(more))
	}
	return strings.Join(lines, "\n")
}

// slackEscape escapes the three characters Slack reads as markup, so a
// company name can never become a link or an @channel mention.
func slackEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// cut shortens s to at most n characters, ending with "…" when it was cut.
func cut(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
