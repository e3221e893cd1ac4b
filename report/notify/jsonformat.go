package notify

import (
	"encoding/json"
	"time"
)

// jsonMaxItems is how many entries each list of the JSON format carries;
// the *_omitted fields say how many more there are.
const jsonMaxItems = 500

// jsonMessage is the plain JSON format: stable snake_case keys for scripts
// and PSA tools.
type jsonMessage struct {
	Event                string         `json:"event"` // "mcawatch.run" or "mcawatch.test"
	Title                string         `json:"title"`
	Summary              string         `json:"summary"`
	RunID                int64          `json:"run_id"`
	RunKind              string         `json:"run_kind"`
	Started              *time.Time     `json:"started,omitempty"`
	Finished             *time.Time     `json:"finished,omitempty"`
	Outcome              RunOutcome     `json:"outcome"`
	Reason               string         `json:"reason,omitempty"`
	Counts               Counts         `json:"counts"`
	NewlyMissing         []jsonCustomer `json:"newly_missing"`
	NewlyMissingOmitted  int            `json:"newly_missing_omitted"`
	NewlyOutdated        []jsonCustomer `json:"newly_outdated"`
	NewlyOutdatedOmitted int            `json:"newly_outdated_omitted"`
	Removed              []jsonRecord   `json:"removed"`
	RemovedOmitted       int            `json:"removed_omitted"`
	ReportDir            string         `json:"report_dir"`
}

type jsonCustomer struct {
	CustomerID  string `json:"customer_id"`
	CompanyName string `json:"company_name"`
	Domain      string `json:"domain"`
	Since       string `json:"since"` // RFC 3339 UTC, empty when unknown
}

type jsonRecord struct {
	CustomerID    string `json:"customer_id"`
	CompanyName   string `json:"company_name"`
	AgreementType string `json:"agreement_type"`
	DateAgreed    string `json:"date_agreed"` // RFC 3339 UTC, empty when the record has no usable date
	TemplateID    string `json:"template_id"`
}

func jsonPayload(m Message) ([]byte, error) {
	out := jsonMessage{
		Event: "mcawatch.run", Title: m.Title(), Summary: m.Summary(),
		RunID: m.RunID, RunKind: m.kind(), Outcome: m.Outcome, Reason: m.Reason,
		Counts: m.Counts, ReportDir: m.ReportDir,
		NewlyMissing: []jsonCustomer{}, NewlyOutdated: []jsonCustomer{}, Removed: []jsonRecord{},
	}
	if m.Test {
		out.Event = "mcawatch.test"
	}
	if !m.Started.IsZero() {
		t := m.Started.UTC()
		out.Started = &t
	}
	if !m.Finished.IsZero() {
		t := m.Finished.UTC()
		out.Finished = &t
	}
	out.NewlyMissing, out.NewlyMissingOmitted = jsonCustomers(m.NewlyMissing, m.Counts.NewlyMissing)
	out.NewlyOutdated, out.NewlyOutdatedOmitted = jsonCustomers(m.NewlyOutdated, m.Counts.NewlyOutdated)
	for i, r := range m.Removed {
		if i == jsonMaxItems {
			break
		}
		out.Removed = append(out.Removed, jsonRecord{CustomerID: r.CustomerID, CompanyName: r.CompanyName,
			AgreementType: r.AgreementType, DateAgreed: rfc3339(r.DateAgreed), TemplateID: r.TemplateID})
	}
	out.RemovedOmitted = max(m.Counts.Removed, len(m.Removed)) - len(out.Removed)
	return json.Marshal(out)
}

func jsonCustomers(cs []Customer, total int) ([]jsonCustomer, int) {
	out := []jsonCustomer{}
	for i, c := range cs {
		if i == jsonMaxItems {
			break
		}
		out = append(out, jsonCustomer{CustomerID: c.ID, CompanyName: c.CompanyName, Domain: c.Domain, Since: rfc3339(c.Since)})
	}
	return out, max(total, len(cs)) - len(out)
}

func rfc3339(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}
