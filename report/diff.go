package report

import (
	"time"

	"github.com/mcawatch/mcawatch/storage"
)

// Diff compares current with previous (nil on a first run) and returns the
// report's rows and counts. Neither snapshot is modified.
func Diff(previous, current *storage.Snapshot, opts DiffOptions) *Report {
	r := &Report{Run: current.Run}
	required := current.Run.Required
	var prevIndex map[string]int
	var prevSeen []bool
	if previous != nil {
		prevRun := previous.Run
		r.Previous = &prevRun
		prevIndex = make(map[string]int, len(previous.Customers))
		for i := range previous.Customers {
			prevIndex[previous.Customers[i].Result.Customer.ID] = i
		}
		prevSeen = make([]bool, len(previous.Customers))
	}
	r.Summary.Customers = len(current.Customers)
	for i := range current.Customers {
		cs := &current.Customers[i]
		var prevEff *storage.Result
		if previous != nil {
			j, ok := prevIndex[cs.Result.Customer.ID]
			if ok {
				prevSeen[j] = true
				prevEff = effective(&previous.Customers[j])
			} else {
				// Joined is counted against a previous run only: a first
				// run is the baseline and nobody "joins" it.
				r.Summary.Joined++
			}
		}
		if cs.Result.Status != storage.StatusOK {
			// A failed query is listed only on Errors: never Missing, never
			// Removed, and its last good records are carried forward, so no
			// New or Removed rows either.
			r.Errors = append(r.Errors, ErrorRow{
				Customer:   cs.Result.Customer,
				HTTPStatus: cs.Result.HTTPStatus,
				ErrorCode:  cs.Result.ErrorCode,
				Message:    cs.Result.Message,
				Attempts:   cs.Result.Attempts,
			})
			continue
		}
		r.addOK(cs, required)
		if isMissing(&cs.Result, required) && previous != nil && !wasMissing(prevEff, required) {
			r.Summary.NewlyMissing++
		}
		switch {
		case previous != nil:
			r.addChanges(&cs.Result, prevEff)
		case !opts.Since.IsZero():
			r.addSince(&cs.Result, opts.Since)
		}
	}
	for _, seen := range prevSeen {
		if !seen {
			// A customer that left is counted, not listed: its records are
			// not Removed, they left with it.
			r.Summary.Left++
		}
	}
	sortReport(r)
	r.Summary.Missing = len(r.Missing)
	r.Summary.New = len(r.New)
	r.Summary.Removed = len(r.Removed)
	r.Summary.Errors = len(r.Errors)
	return r
}

// effective is a customer's state as the diff compares it: its result when
// ok, else the last good result carried forward (nil when there is none).
func effective(cs *storage.CustomerState) *storage.Result {
	if cs.Result.Status == storage.StatusOK {
		return &cs.Result
	}
	return cs.LastGood
}

// hasType reports whether res holds a record of type typ.
func hasType(res *storage.Result, typ string) bool {
	for i := range res.Acceptances {
		if res.Acceptances[i].Type == typ {
			return true
		}
	}
	return false
}

// isMissing reports whether an ok result lacks the required agreement.
func isMissing(res *storage.Result, required string) bool {
	return !hasType(res, required) && res.DirectSigned != storage.DirectSigned
}

// wasMissing reports whether a previous effective state was missing. Both
// runs are judged by the current run's required type so that like is
// compared with like. No previous state (absent, or only ever an error)
// counts as "not missing before", so such a customer is newly missing.
func wasMissing(prev *storage.Result, required string) bool {
	return prev != nil && isMissing(prev, required)
}

// addOK records the counts, the Missing row and the Acceptances rows of one
// ok customer.
func (r *Report) addOK(cs *storage.CustomerState, required string) {
	res := &cs.Result
	hasRequired := hasType(res, required)
	signed := res.DirectSigned == storage.DirectSigned
	if hasRequired || signed {
		r.Summary.Accepted++
	}
	if signed && !hasRequired {
		r.Summary.DirectSigned++
	}
	if !hasRequired && !signed {
		since := cs.MissingSince
		if since.IsZero() {
			// Storage found no streak (e.g. the first run): the streak
			// starts with this run.
			since = r.Run.Started
		}
		r.Missing = append(r.Missing, MissingRow{Customer: res.Customer, MissingSince: since})
	}
	for i := range res.Acceptances {
		r.Acceptances = append(r.Acceptances, AcceptanceRow{
			Customer:     res.Customer,
			Acceptance:   &res.Acceptances[i],
			DirectSigned: res.DirectSigned,
		})
	}
	if len(res.Acceptances) == 0 && signed {
		r.Acceptances = append(r.Acceptances, AcceptanceRow{Customer: res.Customer, DirectSigned: res.DirectSigned})
	}
}

// addChanges lists the New and Removed records of an ok customer against its
// previous effective state. A customer with no previous state (it joined,
// or it was only ever an error) has all its records listed as New: they are
// new to the partner's view.
func (r *Report) addChanges(cur, prev *storage.Result) {
	var prevRecs []storage.Acceptance
	if prev != nil {
		prevRecs = prev.Acceptances
	}
	for i := range cur.Acceptances {
		a := &cur.Acceptances[i]
		if containsRecord(prevRecs, a) {
			continue
		}
		r.New = append(r.New, NewRow{
			Customer:           cur.Customer,
			Acceptance:         *a,
			PreviousDateAgreed: newestBefore(prevRecs, a.Type, a.DateAgreed),
		})
	}
	for i := range prevRecs {
		if !containsRecord(cur.Acceptances, &prevRecs[i]) {
			r.Removed = append(r.Removed, RemovedRow{Customer: cur.Customer, Acceptance: prevRecs[i]})
		}
	}
}

// addSince lists, on a first run with a Since date (a backfill), the records
// dated at or after since as New; there is no Removed on a first run. The
// records dated before since stand for the previous state, so a
// re-attestation inside the window gets as PreviousDateAgreed the newest
// date of its type before since.
func (r *Report) addSince(cur *storage.Result, since time.Time) {
	for i := range cur.Acceptances {
		a := &cur.Acceptances[i]
		if a.DateAgreed.Before(since) {
			continue
		}
		r.New = append(r.New, NewRow{
			Customer:           cur.Customer,
			Acceptance:         *a,
			PreviousDateAgreed: newestBefore(cur.Acceptances, a.Type, since),
		})
	}
}

// sameRecord is the identity of an acceptance record: type, date agreed and
// template id. Contact details may be corrected without making a record new.
func sameRecord(a, b *storage.Acceptance) bool {
	return a.Type == b.Type && a.TemplateID == b.TemplateID && a.DateAgreed.Equal(b.DateAgreed)
}

// containsRecord reports whether recs holds a record the same as a. A
// customer has a handful of records, so a scan beats building a set.
func containsRecord(recs []storage.Acceptance, a *storage.Acceptance) bool {
	for i := range recs {
		if sameRecord(&recs[i], a) {
			return true
		}
	}
	return false
}

// newestBefore returns the newest date of a record of type typ in recs dated
// strictly before date, or zero when there is none.
func newestBefore(recs []storage.Acceptance, typ string, date time.Time) time.Time {
	var newest time.Time
	for i := range recs {
		d := recs[i].DateAgreed
		if recs[i].Type == typ && d.Before(date) && d.After(newest) {
			newest = d
		}
	}
	return newest
}
