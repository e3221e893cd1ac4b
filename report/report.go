package report

import (
	"time"

	"github.com/mcawatch/mcawatch/storage"
)

// DiffOptions tune Diff.
type DiffOptions struct {
	// Since, on a first run (no previous snapshot), makes acceptances dated
	// at or after it "new" (a backfill). Zero means the first run is only a
	// baseline with no New rows. It applies the same way to a customer
	// whose first good answer comes after a run in which it only failed.
	Since time.Time
}

// Report is the difference between a run and the previous complete run,
// with everything the writers need, every list in a deterministic order.
type Report struct {
	Run         storage.Run
	Previous    *storage.Run // nil on a first run
	Missing     []MissingRow
	Outdated    []OutdatedRow
	New         []NewRow
	Removed     []RemovedRow
	Errors      []ErrorRow
	Acceptances []AcceptanceRow
	Summary     Summary
	// Resellers is the Resellers sheet of a report broken down by
	// indirect reseller (see Group); nil otherwise.
	Resellers []ResellerRow
	grouping  *grouping
}

// Summary holds the counts shown on the Summary sheet and by the command line.
type Summary struct {
	Customers int // customers in the run, errors included
	// Accepted counts ok customers with a current acceptance of the
	// required type or direct-signed; outdated customers are not accepted.
	Accepted     int
	DirectSigned int // ok customers direct-signed with no current partner acceptance
	Outdated     int // rows on Outdated: newest acceptance before the cut-off
	Missing      int // rows on Missing: no acceptance of the required type
	// Blocked is Missing + Outdated: the customers whose orders fail.
	Blocked int
	New     int
	Removed int
	// Errors counts the customers whose query really failed. Customers with
	// no reseller relationship are listed on Errors too, but counted in
	// NoRelationship instead: nothing is broken for them.
	Errors         int
	NoRelationship int
	Joined         int // customers in this run and not in the previous one
	Left           int // customers in the previous run and not in this one
	// NewlyMissing and NewlyOutdated count customers missing (outdated) now
	// that were in another state, or not in the portfolio, at the previous
	// run; zero on a first run.
	NewlyMissing  int
	NewlyOutdated int
}

// Changed reports whether anything changed since the previous run that
// --fail-on changes stops on: a New or Removed row, or a customer newly
// missing or newly outdated.
func (s Summary) Changed() bool {
	return s.New > 0 || s.Removed > 0 || s.NewlyMissing > 0 || s.NewlyOutdated > 0
}

// MissingRow is an ok customer with no acceptance of the required type that
// did not sign the agreement directly either.
type MissingRow struct {
	Customer     storage.Customer
	MissingSince time.Time // start of the current unbroken streak of missing runs
	// Newly marks a customer counted in Summary.NewlyMissing: in another
	// state, or not in the portfolio, at the previous run.
	Newly bool
}

// OutdatedRow is an ok customer whose newest acceptance of the required type
// is dated before the run's cut-off (or has no usable date), and who did not
// sign the agreement directly: it must accept the current agreement again.
type OutdatedRow struct {
	Customer storage.Customer
	// LatestDateAgreed is the newest date of its records of the required
	// type; zero when every such record is undated.
	LatestDateAgreed time.Time
	// ContactName and ContactEmail are those of its newest record of the
	// required type: the person who accepted last.
	ContactName   string
	ContactEmail  string
	OutdatedSince time.Time // start of the current unbroken streak of outdated runs
	// Newly marks a customer counted in Summary.NewlyOutdated.
	Newly bool
}

// NewRow is an acceptance record present now and not before.
type NewRow struct {
	Customer   storage.Customer
	Acceptance storage.Acceptance
	// PreviousDateAgreed is the newest date a record of the same type had
	// in the previous state (for a re-attestation, later or earlier, the
	// date it replaces); zero for a first acceptance or when no earlier
	// record had a usable date. On a first run with --since, the newest
	// date of the type before Since.
	PreviousDateAgreed time.Time
}

// RemovedRow is an acceptance record present before and gone now, not
// replaced by a re-dated record of the same type.
type RemovedRow struct {
	Customer   storage.Customer
	Acceptance storage.Acceptance
}

// ErrorRow is a customer whose query failed in this run.
type ErrorRow struct {
	Customer   storage.Customer
	HTTPStatus int // 0 for transport errors
	ErrorCode  string
	Message    string // readable text: HTML entities are unescaped
	Attempts   int
	// NoRelationship marks a customer the partner has no reseller
	// relationship with (Partner Center's 403 code 20002, or a
	// relationshipToPartner other than reseller): its Message says so, and
	// it is counted in Summary.NoRelationship, not Summary.Errors.
	NoRelationship bool
}

// AcceptanceRow is one acceptance record of an ok customer, or the single
// row of a direct-signed customer with no record (Acceptance nil).
type AcceptanceRow struct {
	Customer     storage.Customer
	Acceptance   *storage.Acceptance // nil: direct-signed row with no record
	DirectSigned storage.DirectSign
}
