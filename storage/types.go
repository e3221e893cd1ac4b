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

	// Since is backfill --since: on a run with no previous complete run,
	// acceptances dated at or after it are New. Zero: not set. Stored with
	// the run so a resumed backfill reports what an uninterrupted one would.
	Since time.Time
	// CurrentSince is the agreements.current_since cut-off the run used
	// (midnight UTC): a newest acceptance of the Required type dated before
	// it is Outdated. Zero: the check was off.
	CurrentSince time.Time
	// Agreement is the agreement metadata fetched during the run; the zero
	// value means it was not available.
	Agreement AgreementInfo
	// RelationshipURL is the relationship-request (invitation) link fetched
	// during the run; empty when not available.
	RelationshipURL string
	// ReportDir is the folder the run's report was renamed into; empty
	// while no report of the run is in place. A run is only the baseline
	// of a later diff once its report exists (see PreviousReported).
	ReportDir string
	// ReportError is why the run's report could not be written; empty when
	// it was written or not yet tried.
	ReportError string
	// SettledRate is the request rate (per second) the sweep's adaptive
	// limiter settled at; 0 when unknown or unlimited. The next sweep
	// starts from it.
	SettledRate float64
}

// AgreementInfo is the version of an agreement enforced now: the template
// with the highest versionRank in Partner Center's agreement metadata.
type AgreementInfo struct {
	Type        string // MicrosoftCustomerAgreement
	TemplateID  string
	VersionRank int
	Link        string // the agreement document to send to a customer
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
	Type string // MicrosoftCustomerAgreement, … in Partner Center's spelling
	// DateAgreed is in UTC. The zero time means the answer had no usable
	// date (none, null, or .NET's minimum 0001-01-01): still an acceptance,
	// shown with an empty date, which cannot prove the current agreement.
	DateAgreed    time.Time
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
	// OutdatedSince is, for a customer outdated in this run, the start time
	// of the earliest run of its current unbroken streak of outdated runs,
	// counted like MissingSince. Zero otherwise.
	OutdatedSince time.Time
}

// Effective is the result the customer's standing is judged by: its own
// when it answered, else the carried-forward last good one (nil when there
// is none).
func (cs *CustomerState) Effective() *Result {
	if cs.Result.Status == StatusOK {
		return &cs.Result
	}
	return cs.LastGood
}

// Standing is where a customer stands against the required agreement. An
// answered customer is in exactly one of accepted, direct-signed, outdated
// and missing; a customer whose query failed is in error.
type Standing string

// The standings, in the order reports list them.
const (
	StandingAccepted     Standing = "accepted"      // a current acceptance of the required type
	StandingDirectSigned Standing = "direct_signed" // signed directly, no current partner acceptance
	StandingOutdated     Standing = "outdated"      // newest acceptance before the cut-off (or undated)
	StandingMissing      Standing = "missing"       // no acceptance of the required type
	StandingError        Standing = "error"         // the customer's query failed
)

// Standing judges r against the required agreement type and the cut-off
// currentSince (zero: every acceptance is current). A record without a
// usable date cannot prove the current agreement: with a cut-off set, a
// customer whose only records of the required type are undated or older
// than the cut-off is outdated unless it signed directly.
func (r *Result) Standing(required string, currentSince time.Time) Standing {
	if r.Status != StatusOK {
		return StandingError
	}
	has := false
	for _, a := range r.Acceptances {
		if a.Type != required {
			continue
		}
		has = true
		if currentSince.IsZero() || !a.DateAgreed.IsZero() && !a.DateAgreed.Before(currentSince) {
			return StandingAccepted
		}
	}
	switch {
	case r.DirectSigned == DirectSigned:
		return StandingDirectSigned
	case has:
		return StandingOutdated
	}
	return StandingMissing
}

// LatestDateAgreed is the newest known date of r's records of type typ;
// zero when there is none or none is dated.
func (r *Result) LatestDateAgreed(typ string) time.Time {
	var latest time.Time
	for _, a := range r.Acceptances {
		if a.Type == typ && a.DateAgreed.After(latest) {
			latest = a.DateAgreed
		}
	}
	return latest
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
	// Accepted, Outdated and Missing count customers by their standing,
	// error customers by their carried-forward state (a customer in error
	// with no earlier good answer is counted in Errors alone); Accepted
	// includes direct-signed customers.
	Accepted int
	Outdated int
	Missing  int
	Errors   int
}
