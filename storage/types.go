package storage

import "time"

// RunState is where a run stands.
type RunState string

// The states a run can be in.
const (
	StateRunning     RunState = "running"
	StateComplete    RunState = "complete"
	StateInterrupted RunState = "interrupted"
	StateFailed      RunState = "failed"
)

// Run is one sweep over the partner's customers.
type Run struct {
	ID            int64
	Kind          string // "run", "backfill" or "demo"
	Started       time.Time
	Finished      time.Time // zero while running
	State         RunState
	CorrelationID string
	Required      string   // the agreement type a customer must have accepted
	Types         []string // the agreement types the run tracked
	Customers     int      // customers the run set out to sweep
	Done          int      // customers with a stored result
	Errors        int      // customers whose result is an error
	PID           int      // process that owns (or last owned) the run
	Host          string   // host of that process
}

// Customer is one customer tenant of the partner.
type Customer struct {
	ID           string // customer tenant id, a GUID in lower case
	CompanyName  string
	Domain       string
	Relationship string // reseller, advisor, …
}

// Acceptance is one acceptance record of a customer agreement.
type Acceptance struct {
	Type          string    // MicrosoftCustomerAgreement, …
	DateAgreed    time.Time // UTC
	TemplateID    string
	ContactName   string // first and last name, joined by a space
	ContactEmail  string
	ContactPhone  string
	AgreementLink string
	UserID        string
}

// ResultStatus says whether a customer answered.
type ResultStatus string

// The statuses of a result.
const (
	StatusOK    ResultStatus = "ok"
	StatusError ResultStatus = "error"
)

// DirectSign is the answer to "did the customer sign the Microsoft Customer
// Agreement themselves", which is only asked of customers with no partner
// acceptance of the required type.
type DirectSign uint8

// The direct-sign answers.
const (
	DirectNotAsked DirectSign = iota
	DirectSigned
	DirectNotSigned
)

// Result is one customer's outcome in one run.
type Result struct {
	Customer     Customer
	Status       ResultStatus
	HTTPStatus   int    // for errors; 0 for transport errors
	ErrorCode    string // Partner Center error code, if any
	Message      string // short, secret-free description of the failure
	Attempts     int    // requests made for this customer, retries included
	DirectSigned DirectSign
	Acceptances  []Acceptance // ok results only; sorted by type, date, template
}

// CustomerState is one customer as the diff sees it in one run.
type CustomerState struct {
	Result Result
	// LastGood is, when Result is an error, the customer's newest ok result
	// from an earlier complete run (nil when there is none): its state is
	// carried forward so the next good answer is compared with it.
	LastGood *Result
	// MissingSince is, for a customer missing in this run (ok, no acceptance
	// of the required type, not direct-signed), the start time of the
	// earliest run of the current unbroken streak of missing runs; error
	// runs in between neither break nor start a streak. Zero otherwise.
	MissingSince time.Time
}

// Snapshot is everything stored about one run that the diff needs.
type Snapshot struct {
	Run       Run
	Customers []CustomerState // sorted by customer id
}

// TrendPoint is one complete run's totals, for the report's chart.
type TrendPoint struct {
	RunID     int64
	Started   time.Time
	Customers int
	Accepted  int // ok and (acceptance of the required type or direct-signed)
	Missing   int
	Errors    int
}
