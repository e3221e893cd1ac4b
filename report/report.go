package report

import (
	"time"

	"github.com/mcawatch/mcawatch/storage"
)

// DiffOptions tune Diff.
type DiffOptions struct {
	// Since, on a first run (no previous snapshot), makes acceptances dated
	// at or after it "new" (a backfill). Zero means the first run is only a
	// baseline with no New rows.
	Since time.Time
}

// Report is the difference between a run and the previous complete run,
// with everything the writers need, every list in a deterministic order.
type Report struct {
	Run         storage.Run
	Previous    *storage.Run // nil on a first run
	Missing     []MissingRow
	New         []NewRow
	Removed     []RemovedRow
	Errors      []ErrorRow
	Acceptances []AcceptanceRow
	Summary     Summary
}

// Summary holds the counts shown on the Summary sheet and by the command line.
type Summary struct {
	Customers    int // customers in the run, errors included
	Accepted     int // ok customers with a record of the required type or direct-signed
	DirectSigned int // ok customers direct-signed with no record of the required type
	Missing      int
	New          int
	Removed      int
	Errors       int
	Joined       int // customers in this run and not in the previous one
	Left         int // customers in the previous run and not in this one
	// NewlyMissing counts customers missing now that were not missing in the
	// previous run (for --fail-on changes).
	NewlyMissing int
}

// MissingRow is an ok customer with no acceptance of the required type that
// did not sign the agreement directly either.
type MissingRow struct {
	Customer     storage.Customer
	MissingSince time.Time // start of the current unbroken streak of missing runs
}

// NewRow is an acceptance record present now and not before.
type NewRow struct {
	Customer   storage.Customer
	Acceptance storage.Acceptance
	// PreviousDateAgreed is, for a re-attestation, the newest earlier date of
	// a record of the same type; zero for a first acceptance.
	PreviousDateAgreed time.Time
}

// RemovedRow is an acceptance record present before and gone now.
type RemovedRow struct {
	Customer   storage.Customer
	Acceptance storage.Acceptance
}

// ErrorRow is a customer whose query failed in this run.
type ErrorRow struct {
	Customer   storage.Customer
	HTTPStatus int // 0 for transport errors
	ErrorCode  string
	Message    string
	Attempts   int
}

// AcceptanceRow is one acceptance record of an ok customer, or the single
// row of a direct-signed customer with no record (Acceptance nil).
type AcceptanceRow struct {
	Customer     storage.Customer
	Acceptance   *storage.Acceptance // nil: direct-signed row with no record
	DirectSigned storage.DirectSign
}
