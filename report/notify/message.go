package notify

import (
	"fmt"
	"strings"
	"time"
)

// RunOutcome is how a sweep ended, as far as a notification is concerned.
type RunOutcome string

// The outcomes a Message can carry.
const (
	OutcomeOK          RunOutcome = "ok"          // the sweep completed and its report is written
	OutcomeFailed      RunOutcome = "failed"      // the sweep failed (Reason says why)
	OutcomeInterrupted RunOutcome = "interrupted" // the sweep was stopped before it finished (Reason says why)
)

// Counts are a run's numbers as the report's Summary shows them.
type Counts struct {
	Customers     int `json:"customers"`
	Accepted      int `json:"accepted"`
	DirectSigned  int `json:"direct_signed"`
	Outdated      int `json:"outdated"`
	Missing       int `json:"missing"`
	Errors        int `json:"errors"` // the errors that alarm (customers without a reseller relationship left out)
	New           int `json:"new"`
	Removed       int `json:"removed"`
	NewlyMissing  int `json:"newly_missing"`
	NewlyOutdated int `json:"newly_outdated"`
	Blocked       int `json:"blocked"` // blocked for orders: missing + outdated
}

// Customer is one customer named in a message: a newly missing or newly
// outdated one.
type Customer struct {
	ID          string    // customer tenant id
	CompanyName string    // shown first; the id stands in when it is empty
	Domain      string    // may be empty
	Since       time.Time // missing_since / outdated_since; zero when unknown
}

// Record is one acceptance record that was present at the previous run and
// is gone now (a Removed row).
type Record struct {
	CustomerID    string
	CompanyName   string
	AgreementType string
	DateAgreed    time.Time // zero: no usable date
	TemplateID    string
}

// Message is everything a notification says about one run. The caller
// copies it from the run and its report; notify never looks anything up.
type Message struct {
	Test     bool // a test message (mcawatch notify --test), not a run
	RunID    int64
	RunKind  string // "run", "backfill" or "demo"
	Started  time.Time
	Finished time.Time
	Outcome  RunOutcome
	Reason   string // why the sweep failed or was interrupted; empty when Outcome is ok
	Counts   Counts

	// NewlyMissing and NewlyOutdated are the customers in that state now who
	// were not at the previous complete run; Removed are the records gone
	// since then. They may be longer than a message shows: every format cuts
	// its lists and says how many more there are.
	NewlyMissing  []Customer
	NewlyOutdated []Customer
	Removed       []Record

	ReportDir string // the run's report folder; empty when no report was written
	XLSXPath  string // the workbook email attaches; empty or absent: nothing attached
}

// TestMessage is the message Test sends: it says it is a test, counts
// nothing and names no customer.
func TestMessage(at time.Time) Message {
	return Message{Test: true, RunKind: "test", Started: at, Finished: at, Outcome: OutcomeOK}
}

// name is how a customer is shown: its company, or its id when the company
// is unknown.
func (c Customer) name() string {
	if s := strings.TrimSpace(c.CompanyName); s != "" {
		return s
	}
	return c.ID
}

// Title is a message's one-line headline, also used as the email subject.
func (m Message) Title() string {
	if m.Test {
		return "mcawatch: test message"
	}
	run := fmt.Sprintf("mcawatch %s %d", m.kind(), m.RunID)
	if m.RunID == 0 {
		// A sweep that failed before its run was stored has no number.
		run = "mcawatch " + m.kind()
	}
	switch m.Outcome {
	case OutcomeFailed:
		return run + " failed"
	case OutcomeInterrupted:
		return run + " was interrupted"
	}
	var parts []string
	if n := m.Counts.NewlyMissing; n > 0 {
		parts = append(parts, fmt.Sprintf("%d newly missing", n))
	}
	if n := m.Counts.NewlyOutdated; n > 0 {
		parts = append(parts, fmt.Sprintf("%d newly outdated", n))
	}
	if n := m.Counts.Removed; n > 0 {
		parts = append(parts, fmt.Sprintf("%d removed", n))
	}
	if n := m.Counts.Errors; n > 0 {
		parts = append(parts, fmt.Sprintf("%d errors", n))
	}
	if len(parts) == 0 {
		return fmt.Sprintf("%s: %d blocked for orders, nothing new", run, m.Counts.Blocked)
	}
	return run + ": " + strings.Join(parts, ", ")
}

// Summary is a message's second line: what state the portfolio is in, or
// why the sweep did not finish.
func (m Message) Summary() string {
	if m.Test {
		return "This is a test message from mcawatch notify --test: this channel works."
	}
	switch m.Outcome {
	case OutcomeFailed, OutcomeInterrupted:
		s := fmt.Sprintf("The %s %s", m.kind(), m.Outcome)
		if m.Reason != "" {
			s += ": " + m.Reason
		}
		s += "."
		if m.ReportDir == "" {
			s += " No report was written for this run."
		}
		return s
	}
	c := m.Counts
	return fmt.Sprintf("%d customers: %d blocked for orders (%d missing, %d outdated), %d accepted, %d direct-signed, %d errors.",
		c.Customers, c.Blocked, c.Missing, c.Outdated, c.Accepted, c.DirectSigned, c.Errors)
}

func (m Message) kind() string {
	if m.RunKind == "" {
		return "run"
	}
	return m.RunKind
}

// showsCounts reports whether m's counts mean anything: a finished run's
// do; a test message has none, and a failed or interrupted sweep's are not
// a report's.
func (m Message) showsCounts() bool {
	return !m.Test && m.Outcome != OutcomeFailed && m.Outcome != OutcomeInterrupted
}

// facts are the counts as label/value pairs, in the order every format
// shows them.
func (m Message) facts() [][2]string {
	c := m.Counts
	n := func(v int) string { return fmt.Sprint(v) }
	return [][2]string{
		{"Customers", n(c.Customers)},
		{"Blocked for orders", n(c.Blocked)},
		{"Missing", n(c.Missing)},
		{"Outdated", n(c.Outdated)},
		{"Accepted", n(c.Accepted)},
		{"Direct-signed", n(c.DirectSigned)},
		{"Errors", n(c.Errors)},
		{"Newly missing", n(c.NewlyMissing)},
		{"Newly outdated", n(c.NewlyOutdated)},
		{"New acceptances", n(c.New)},
		{"Removed records", n(c.Removed)},
	}
}

// customerLine is one customer as plain text: "Contoso Ltd (contoso.com),
// missing since 2026-11-02".
func customerLine(c Customer, state string) string {
	s := c.name()
	if c.Domain != "" && c.Domain != s {
		s += " (" + c.Domain + ")"
	}
	if !c.Since.IsZero() {
		s += ", " + state + " since " + c.Since.UTC().Format(time.DateOnly)
	}
	return s
}

// recordLine is one removed record as plain text.
func recordLine(r Record) string {
	name := strings.TrimSpace(r.CompanyName)
	if name == "" {
		name = r.CustomerID
	}
	date := "no date"
	if !r.DateAgreed.IsZero() {
		date = "dated " + r.DateAgreed.UTC().Format(time.DateOnly)
	}
	return fmt.Sprintf("%s: %s %s", name, r.AgreementType, date)
}

// section is one list a message shows: a heading, the lines it shows, and
// how many more there are.
type section struct {
	Heading string
	Lines   []string
	More    int
}

// sections are the lists of m, each cut to at most max lines; lists that
// are empty are left out.
func (m Message) sections(max int) []section {
	var out []section
	add := func(heading string, total int, lines []string) {
		if len(lines) == 0 {
			return
		}
		if total < len(lines) {
			total = len(lines)
		}
		shown := lines
		if len(shown) > max {
			shown = shown[:max]
		}
		out = append(out, section{Heading: fmt.Sprintf("%s (%d)", heading, total), Lines: shown, More: total - len(shown)})
	}
	var lines []string
	for _, c := range m.NewlyMissing {
		lines = append(lines, customerLine(c, "missing"))
	}
	add("Newly missing", m.Counts.NewlyMissing, lines)
	lines = nil
	for _, c := range m.NewlyOutdated {
		lines = append(lines, customerLine(c, "outdated"))
	}
	add("Newly outdated", m.Counts.NewlyOutdated, lines)
	lines = nil
	for _, r := range m.Removed {
		lines = append(lines, recordLine(r))
	}
	add("Removed records", m.Counts.Removed, lines)
	return out
}

// moreLine is the line that closes a cut list.
func moreLine(n int) string {
	return fmt.Sprintf("… and %d more", n)
}
