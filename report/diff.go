package report

import (
	"cmp"
	"html"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/mcawatch/mcawatch/storage"
)

// NoRelationshipMessage is the Errors message of a customer the partner has
// no reseller relationship with: Partner Center refuses its agreements call,
// and nothing is wrong with the sweep.
const NoRelationshipMessage = "no reseller relationship: the MCA is not needed for this customer through you"

// Diff compares current with previous (nil on a first run) and returns the
// report's rows and counts. Neither snapshot is modified.
//
// Each run is judged by what it stored about itself: the current run by its
// own Required type and CurrentSince cut-off, the previous run by its own.
// Changing agreements.current_since therefore re-classifies customers from
// the next run on, and a re-rendered report says what it said then; a
// customer that the new cut-off makes outdated is "newly outdated" in the
// first run that uses it, because that is when its orders start to fail.
func Diff(previous, current *storage.Snapshot, opts DiffOptions) *Report {
	r := &Report{Run: current.Run}
	now := judge{required: current.Run.Required, currentSince: current.Run.CurrentSince}
	var before judge
	var prevIndex map[string]int
	var prevSeen []bool
	if previous != nil {
		prevRun := previous.Run
		r.Previous = &prevRun
		before = judge{required: cmp.Or(prevRun.Required, now.required), currentSince: prevRun.CurrentSince}
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
		seenBefore := false
		if previous != nil {
			j, ok := prevIndex[cs.Result.Customer.ID]
			if ok {
				prevSeen[j] = true
				seenBefore = true
				prevEff = previous.Customers[j].Effective()
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
			r.addError(&cs.Result)
			continue
		}
		standing := cs.Result.Standing(now.required, now.currentSince)
		recs := distinct(cs.Result.Acceptances)
		r.addOK(cs, recs, standing, now.required)
		if previous != nil && (standing == storage.StandingMissing || standing == storage.StandingOutdated) &&
			(prevEff == nil || prevEff.Standing(before.required, before.currentSince) != standing) {
			// No previous state (it joined, or it only ever failed) is
			// "another state".
			if standing == storage.StandingMissing {
				r.Summary.NewlyMissing++
				r.Missing[len(r.Missing)-1].Newly = true
			} else {
				r.Summary.NewlyOutdated++
				r.Outdated[len(r.Outdated)-1].Newly = true
			}
		}
		switch {
		case previous == nil || seenBefore && prevEff == nil:
			// A first run, or the first good answer of a customer that
			// was in the previous run but had only ever failed: this
			// answer is the baseline, and only --since makes records new.
			if !opts.Since.IsZero() {
				r.addSince(cs.Result.Customer, recs, opts.Since)
			}
		default:
			var prevRecs []storage.Acceptance
			if prevEff != nil {
				prevRecs = distinct(prevEff.Acceptances)
			}
			r.addChanges(cs.Result.Customer, recs, prevRecs)
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
	r.Summary.Outdated = len(r.Outdated)
	r.Summary.Blocked = r.Summary.Missing + r.Summary.Outdated
	r.Summary.New = len(r.New)
	r.Summary.Removed = len(r.Removed)
	r.Summary.Errors = len(r.Errors) - r.Summary.NoRelationship
	return r
}

// judge is what a run's customers are judged by: the run's required type
// and its cut-off (zero: every acceptance is current).
type judge struct {
	required     string
	currentSince time.Time
}

// addError lists a failed customer on Errors, with a message a person can
// read, and labels a customer without a reseller relationship as such.
func (r *Report) addError(res *storage.Result) {
	row := ErrorRow{
		Customer:   res.Customer,
		HTTPStatus: res.HTTPStatus,
		ErrorCode:  res.ErrorCode,
		Message:    readable(res.Message),
		Attempts:   res.Attempts,
	}
	if noRelationship(res) {
		row.NoRelationship = true
		row.Message = NoRelationshipMessage
		r.Summary.NoRelationship++
	}
	r.Errors = append(r.Errors, row)
}

// The error codes a stored result carries for Partner Center's 403 code
// 20002 ("no commerce relationship"): the service's own, and the one fetch
// stores for it (fetch.CodeNoRelationship; report never imports fetch).
const (
	codeNoRelationship      = "20002"
	fetchCodeNoRelationship = "no_relationship"
)

// noRelationship reports whether a failed customer is one the partner has no
// reseller relationship with: Partner Center answers 403 with code 20002,
// or the customer list says the partner is its advisor (or anything but its
// reseller). The MCA is then not the partner's business, and the error is
// no alarm.
func noRelationship(res *storage.Result) bool {
	if code := strings.TrimSpace(res.ErrorCode); res.HTTPStatus == 403 &&
		(code == codeNoRelationship || code == fetchCodeNoRelationship) {
		return true
	}
	rel := strings.TrimSpace(res.Customer.Relationship)
	return rel != "" && !strings.EqualFold(rel, "reseller")
}

// readable turns text that still carries HTML entities (Partner Center
// escapes some: "We&#39;re sorry") into the text a person should read.
// Only text holding a complete entity ("&#39;", "&amp;") is unescaped, so a
// bare "&" (or "&not" in "R&nothing") is left as written.
func readable(s string) string {
	if !strings.Contains(s, "&") || !htmlEntity.MatchString(s) {
		return s
	}
	return html.UnescapeString(s)
}

// htmlEntity matches one complete HTML character reference.
var htmlEntity = regexp.MustCompile(`&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z][a-zA-Z0-9]{1,31});`)

// addOK records the counts, the Missing or Outdated row and the Acceptances
// rows of one ok customer; recs are its records without repeats.
func (r *Report) addOK(cs *storage.CustomerState, recs []storage.Acceptance, standing storage.Standing, required string) {
	res := &cs.Result
	switch standing {
	case storage.StandingAccepted:
		r.Summary.Accepted++
	case storage.StandingDirectSigned:
		r.Summary.Accepted++
		r.Summary.DirectSigned++
	case storage.StandingOutdated:
		row := OutdatedRow{
			Customer:         res.Customer,
			LatestDateAgreed: res.LatestDateAgreed(required),
			OutdatedSince:    cs.OutdatedSince,
		}
		if a := newestRecord(recs, required); a != nil {
			row.ContactName, row.ContactEmail = a.ContactName, a.ContactEmail
		}
		if row.OutdatedSince.IsZero() {
			// Storage found no streak (e.g. the first run): the streak
			// starts with this run.
			row.OutdatedSince = r.Run.Started
		}
		r.Outdated = append(r.Outdated, row)
	case storage.StandingMissing:
		since := cs.MissingSince
		if since.IsZero() {
			since = r.Run.Started
		}
		r.Missing = append(r.Missing, MissingRow{Customer: res.Customer, MissingSince: since})
	}
	for i := range recs {
		r.Acceptances = append(r.Acceptances, AcceptanceRow{
			Customer:     res.Customer,
			Acceptance:   &recs[i],
			DirectSigned: res.DirectSigned,
		})
	}
	if len(recs) == 0 && res.DirectSigned == storage.DirectSigned {
		r.Acceptances = append(r.Acceptances, AcceptanceRow{Customer: res.Customer, DirectSigned: res.DirectSigned})
	}
}

// newestRecord is the record of type typ with the newest date in recs (the
// first undated one when none is dated); nil when there is none.
func newestRecord(recs []storage.Acceptance, typ string) *storage.Acceptance {
	var newest *storage.Acceptance
	for i := range recs {
		if recs[i].Type == typ && (newest == nil || recs[i].DateAgreed.After(newest.DateAgreed)) {
			newest = &recs[i]
		}
	}
	return newest
}

// addChanges lists the New and Removed records of an ok customer against its
// previous records (nil when it joined: all its records are new to the
// partner's view). A New row's PreviousDateAgreed is the newest date its
// type had before (zero when it had none, or none dated): for a
// re-acceptance, the date it replaces. Within one type, a record gone is
// re-dated, not Removed, when a record of that type appeared: one New row,
// whichever way the date moved. With more records gone than appeared, the
// newest gone ones are the re-dated ones and the older ones Removed.
func (r *Report) addChanges(c storage.Customer, cur, prev []storage.Acceptance) {
	var added, gone []storage.Acceptance
	for i := range cur {
		if !containsRecord(prev, &cur[i]) {
			added = append(added, cur[i])
		}
	}
	for i := range prev {
		if !containsRecord(cur, &prev[i]) {
			gone = append(gone, prev[i])
		}
	}
	if len(added) == 0 && len(gone) == 0 {
		return
	}
	slices.SortFunc(added, typeThenNewest)
	slices.SortFunc(gone, typeThenNewest)
	i, j := 0, 0
	for i < len(added) || j < len(gone) {
		var typ string
		switch {
		case j == len(gone):
			typ = added[i].Type
		case i == len(added):
			typ = gone[j].Type
		default:
			typ = min(added[i].Type, gone[j].Type)
		}
		previous := newestBefore(prev, typ, maxTime)
		for ; i < len(added) && added[i].Type == typ; i++ {
			r.New = append(r.New, NewRow{Customer: c, Acceptance: added[i], PreviousDateAgreed: previous})
			if j < len(gone) && gone[j].Type == typ {
				j++ // re-dated, not removed
			}
		}
		for ; j < len(gone) && gone[j].Type == typ; j++ {
			r.Removed = append(r.Removed, RemovedRow{Customer: c, Acceptance: gone[j]})
		}
	}
}

// maxTime is later than any date agreed.
var maxTime = time.Unix(1<<62, 0)

// typeThenNewest orders records by type, then newest date first (undated
// last), then template id.
func typeThenNewest(a, b storage.Acceptance) int {
	return cmp.Or(
		strings.Compare(a.Type, b.Type),
		b.DateAgreed.Compare(a.DateAgreed),
		strings.Compare(a.TemplateID, b.TemplateID),
	)
}

// addSince lists, as on a first run with a Since date (a backfill), the
// records dated at or after since as New; there is no Removed then. The
// records dated before since stand for the previous state, so a
// re-attestation inside the window gets as PreviousDateAgreed the newest
// date of its type before since.
func (r *Report) addSince(c storage.Customer, recs []storage.Acceptance, since time.Time) {
	for i := range recs {
		a := &recs[i]
		if a.DateAgreed.Before(since) {
			continue
		}
		r.New = append(r.New, NewRow{
			Customer:           c,
			Acceptance:         *a,
			PreviousDateAgreed: newestBefore(recs, a.Type, since),
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

// distinct returns recs without repeated records (the service may send one
// record twice in an answer): one record is one row. The first of repeats
// is kept. recs itself is returned, not copied, when nothing repeats.
func distinct(recs []storage.Acceptance) []storage.Acceptance {
	repeats := false
	for i := 1; i < len(recs) && !repeats; i++ {
		repeats = containsRecord(recs[:i], &recs[i])
	}
	if !repeats {
		return recs
	}
	out := make([]storage.Acceptance, 0, len(recs)-1)
	for i := range recs {
		if !containsRecord(out, &recs[i]) {
			out = append(out, recs[i])
		}
	}
	return out
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
