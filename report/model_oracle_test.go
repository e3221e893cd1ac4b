package report_test

import (
	"fmt"
	"slices"
	"time"

	"github.com/mcawatch/mcawatch/report"
	"github.com/mcawatch/mcawatch/storage"
)

// This file is the model: what the report of each complete run must say,
// written from DESIGN.md ("Snapshots and the diff") and the issue texts
// alone, reading only the plan. It is deliberately naive: it walks the whole
// history for every question instead of carrying state forward.

// modelState is a customer's standing in the model's words.
type modelState string

const (
	mAccepted modelState = "accepted"
	mDirect   modelState = "direct_signed"
	mOutdated modelState = "outdated"
	mMissing  modelState = "missing"
	mUnknown  modelState = "error-without-good-answer"
	mAbsent   modelState = "absent"
)

// modelStanding judges an ok answer: accepted (a record of the required
// type dated on or after cut; any record when cut is zero), else
// direct-signed, else outdated (records of the type, none current), else
// missing.
func modelStanding(a modelAnswer, cut time.Time) modelState {
	has := false
	for _, r := range a.Records {
		if r.Type != modelMCA {
			continue
		}
		has = true
		if cut.IsZero() {
			return mAccepted
		}
		if !r.DateAgreed.IsZero() && !r.DateAgreed.Before(cut) {
			return mAccepted
		}
	}
	switch {
	case a.Direct == storage.DirectSigned:
		return mDirect
	case has:
		return mOutdated
	}
	return mMissing
}

// modelExpected is one complete run's report as the model has it.
type modelExpected struct {
	Previous int // index of the previous complete run; -1 on a first run
	Lines    map[string][]string
	Answers  map[string]modelAnswer // the run's customers and their answers
	Summary  report.Summary
	Trend    storage.TrendPoint
}

// modelOracle answers questions about a plan's complete runs. A run whose
// report could not be written is complete but not reported: it is never the
// baseline of a diff, nor the source of a carried-forward state a diff
// compares with (its changes would never be reported anywhere), but it is a
// real observation for streaks and the trend.
type modelOracle struct {
	plan     *modelPlan
	complete []int // plan indexes of complete runs, in order
	reported []int // those whose report is in place
}

func newModelOracle(p *modelPlan) *modelOracle {
	o := &modelOracle{plan: p}
	for i, r := range p.Runs {
		if r.Exec == modelNormal || r.Exec == modelResumed || r.Exec == modelUnreported {
			o.complete = append(o.complete, i)
		}
		if r.Exec == modelNormal || r.Exec == modelResumed {
			o.reported = append(o.reported, i)
		}
	}
	return o
}

// lastGood is the customer's newest ok answer in a run of runs (plan
// indexes, in order) before plan run i.
func (o *modelOracle) lastGood(id string, i int, runs []int) (modelAnswer, bool) {
	for j := len(runs) - 1; j >= 0; j-- {
		if runs[j] >= i {
			continue
		}
		if a, ok := o.plan.Runs[runs[j]].Answers[id]; ok && a.OK {
			return a, true
		}
	}
	return modelAnswer{}, false
}

// stateAt is the customer's state at plan run i: its own answer's
// standing, the carried-forward one (from runs) for an error, or absent.
func (o *modelOracle) stateAt(id string, i int, runs []int) modelState {
	run := o.plan.Runs[i]
	a, ok := run.Answers[id]
	switch {
	case !ok:
		return mAbsent
	case a.OK:
		return modelStanding(a, run.CurrentSince)
	}
	if g, ok := o.lastGood(id, i, runs); ok {
		return modelStanding(g, run.CurrentSince)
	}
	return mUnknown
}

// streakStart is the start of the first run of the customer's current
// unbroken streak in state st ending at plan run i: error runs neither
// break nor start it; a complete run without the customer, or in another
// state, breaks it.
func (o *modelOracle) streakStart(id string, i int, st modelState) time.Time {
	start := o.plan.Runs[i].Start
	for j := len(o.complete) - 1; j >= 0; j-- {
		if o.complete[j] >= i {
			continue
		}
		run := o.plan.Runs[o.complete[j]]
		a, ok := run.Answers[id]
		if !ok {
			break
		}
		if !a.OK {
			continue
		}
		if modelStanding(a, run.CurrentSince) != st {
			break
		}
		start = run.Start
	}
	return start
}

// trend is the trend point of complete plan run i: every customer counted
// by its state at that run, an error customer by its last good answer (from
// any complete run) judged by the run's own cut-off.
func (o *modelOracle) trend(i int) storage.TrendPoint {
	run := o.plan.Runs[i]
	var tp storage.TrendPoint
	for _, id := range run.Order {
		tp.Customers++
		switch o.stateAt(id, i, o.complete) {
		case mAccepted, mDirect:
			tp.Accepted++
		case mOutdated:
			tp.Outdated++
		case mMissing:
			tp.Missing++
		}
		if !run.Answers[id].OK {
			tp.Errors++
		}
	}
	tp.Started = run.Start
	return tp
}

// modelKey is a record's identity: type, date, template.
type modelKey struct {
	Type     string
	Date     time.Time
	Template string
}

func modelKeyOf(a storage.Acceptance) modelKey {
	return modelKey{a.Type, a.DateAgreed.UTC(), a.TemplateID}
}

// distinct is the records with identical duplicates counted once, keyed.
func modelDistinct(recs []storage.Acceptance) map[modelKey]storage.Acceptance {
	m := map[modelKey]storage.Acceptance{}
	for _, r := range recs {
		m[modelKeyOf(r)] = r
	}
	return m
}

// expect is the report of reported run k (an index into o.reported).
func (o *modelOracle) expect(k int) *modelExpected {
	i := o.reported[k]
	run := o.plan.Runs[i]
	e := &modelExpected{Previous: -1, Lines: map[string][]string{}, Answers: run.Answers}
	var prev *modelRunPlan
	if k > 0 {
		e.Previous = o.reported[k-1]
		prev = &o.plan.Runs[e.Previous]
	}
	add := func(section, line string) { e.Lines[section] = append(e.Lines[section], line) }
	s := &e.Summary
	e.Trend = o.trend(i)
	for _, id := range run.Order {
		a := run.Answers[id]
		s.Customers++
		if prev != nil {
			if _, ok := prev.Answers[id]; !ok {
				s.Joined++
			}
		}
		if !a.OK {
			if _, ok := o.lastGood(id, i, o.complete); ok {
				add("carried", id)
			}
			s.Errors++
			add("errors", fmt.Sprintf("%s http=%d code=%q msg=%q attempts=%d", id, a.HTTP, a.Code, a.Message, a.Attempts))
			continue
		}
		st := modelStanding(a, run.CurrentSince)
		newly := prev != nil && o.stateAt(id, e.Previous, o.reported) != st
		switch st {
		case mAccepted:
			s.Accepted++
		case mDirect:
			s.Accepted++
			s.DirectSigned++
		case mMissing:
			s.Missing++
			if newly {
				s.NewlyMissing++
			}
			add("missing", fmt.Sprintf("%s since=%s", id, modelFmt(o.streakStart(id, i, mMissing))))
		case mOutdated:
			s.Outdated++
			if newly {
				s.NewlyOutdated++
			}
			var newest *storage.Acceptance
			for i, r := range a.Records {
				if r.Type != modelMCA {
					continue
				}
				if newest == nil || r.DateAgreed.After(newest.DateAgreed) {
					newest = &a.Records[i]
				}
			}
			add("outdated", fmt.Sprintf("%s latest=%s contact=%q email=%q since=%s", id, modelFmt(newest.DateAgreed),
				newest.ContactName, newest.ContactEmail, modelFmt(o.streakStart(id, i, mOutdated))))
		}
		now := modelDistinct(a.Records)
		for _, r := range now {
			add("acceptances", fmt.Sprintf("%s %s direct=%s", id, modelRecordLine(r), modelDirectName(a.Direct)))
		}
		if len(now) == 0 && a.Direct == storage.DirectSigned {
			add("acceptances", fmt.Sprintf("%s <no record> direct=signed", id))
		}
		o.changes(e, id, k, a, now)
	}
	if prev != nil {
		for id := range prev.Answers {
			if _, ok := run.Answers[id]; !ok {
				s.Left++
			}
		}
	}
	s.Blocked = s.Missing + s.Outdated
	s.New = len(e.Lines["new"])
	s.Removed = len(e.Lines["removed"])
	return e
}

// changes adds the New and Removed rows of ok customer id at reported run k.
func (o *modelOracle) changes(e *modelExpected, id string, k int, a modelAnswer, now map[modelKey]storage.Acceptance) {
	run := o.plan.Runs[o.reported[k]]
	var before map[modelKey]storage.Acceptance
	switch {
	case k == 0:
		// A first run is the baseline; with --since, records dated at or
		// after it are New and the others are the baseline.
		if run.Since.IsZero() {
			return
		}
		before = map[modelKey]storage.Acceptance{}
		for key, r := range now {
			if key.Date.IsZero() || key.Date.Before(run.Since) {
				before[key] = r
			}
		}
	default:
		prev := o.plan.Runs[o.reported[k-1]]
		p, ok := prev.Answers[id]
		switch {
		case !ok:
			before = map[modelKey]storage.Acceptance{} // joined: everything it has is new
		case p.OK:
			before = modelDistinct(p.Records)
		default:
			g, ok := o.lastGood(id, o.reported[k-1], o.reported)
			if !ok {
				// Seen first with an error: this answer is its baseline.
				e.Lines["first-seen-baseline"] = append(e.Lines["first-seen-baseline"], id)
				return
			}
			before = modelDistinct(g.Records)
		}
	}
	for _, typ := range []string{modelMCA, modelMCLA} {
		var appeared, gone []modelKey
		var newestBefore time.Time
		for key := range before {
			if key.Type != typ {
				continue
			}
			if key.Date.After(newestBefore) {
				newestBefore = key.Date
			}
			if _, ok := now[key]; !ok {
				gone = append(gone, key)
			}
		}
		for key := range now {
			if _, ok := before[key]; !ok && key.Type == typ {
				appeared = append(appeared, key)
			}
		}
		several := 0
		for key := range before {
			if key.Type == typ {
				several++
			}
		}
		sameDate := slices.ContainsFunc(appeared, func(x modelKey) bool {
			return slices.ContainsFunc(gone, func(y modelKey) bool { return x.Date.Equal(y.Date) })
		})
		if len(appeared)+len(gone) > 0 && (several > 1 || len(appeared) > 1 || len(gone) > 1 || sameDate) {
			// Which record replaced which is a matter of reading here: the
			// model's rule (previous_date_agreed is the newest date the type
			// had) and a pairing of gone and new records can both be argued.
			e.Lines["several"] = append(e.Lines["several"], id)
		}
		for _, key := range appeared {
			if !newestBefore.IsZero() {
				e.Lines["re-dated"] = append(e.Lines["re-dated"], id)
			}
			if len(gone) == 0 && !newestBefore.IsZero() && !key.Date.After(newestBefore) {
				// Not a re-date: a record dated before the newest one it had
				// appears beside it.
				e.Lines["added-earlier"] = append(e.Lines["added-earlier"], id)
			}
			e.Lines["new"] = append(e.Lines["new"], fmt.Sprintf("%s %s prev=%s", id, modelRecordLine(now[key]), modelFmt(newestBefore)))
		}
		// A gone record is re-dated (not Removed) when a record of its type
		// appeared; with more gone than appeared, the newest gone ones are
		// the re-dated ones.
		slices.SortFunc(gone, func(x, y modelKey) int { return y.Date.Compare(x.Date) })
		for _, key := range gone[min(len(gone), len(appeared)):] {
			e.Lines["removed"] = append(e.Lines["removed"], fmt.Sprintf("%s %s", id, modelKeyLine(key)))
		}
	}
}

func modelKeyLine(k modelKey) string {
	return fmt.Sprintf("%s %s %s", modelShortType(k.Type), modelFmt(k.Date), k.Template)
}

func modelRecordLine(a storage.Acceptance) string {
	return fmt.Sprintf("%s contact=%q email=%q phone=%q", modelKeyLine(modelKeyOf(a)), a.ContactName, a.ContactEmail, a.ContactPhone)
}
