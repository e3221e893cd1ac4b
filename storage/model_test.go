package storage

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// modelRun is what a simple per-run model keeps of one run: every result
// as saved, and for a complete run each customer's streaks.
type modelRun struct {
	run      Run
	list     []Customer
	results  map[string]Result
	missing  map[string]time.Time // complete runs: missing_since, errors' carried too
	outdated map[string]time.Time
}

// storageModel is the model: the runs still stored, oldest first.
type storageModel struct{ runs []*modelRun }

func (m *storageModel) find(id int64) *modelRun {
	for _, r := range m.runs {
		if r.run.ID == id {
			return r
		}
	}
	return nil
}

// prevComplete is the newest complete run before id.
func (m *storageModel) prevComplete(id int64) *modelRun {
	var prev *modelRun
	for _, r := range m.runs {
		if r.run.ID < id && r.run.State == StateComplete {
			prev = r
		}
	}
	return prev
}

// judge is the model's own reading of the standing rule.
func judge(r Result, run Run) (has, current bool) {
	for _, a := range r.Acceptances {
		if a.Type != run.Required {
			continue
		}
		has = true
		if run.CurrentSince.IsZero() || !a.DateAgreed.IsZero() && !a.DateAgreed.Before(run.CurrentSince) {
			current = true
		}
	}
	return has, current
}

// complete marks streaks as the model understands them.
func (m *storageModel) complete(mr *modelRun) {
	mr.run.State = StateComplete
	mr.missing, mr.outdated = map[string]time.Time{}, map[string]time.Time{}
	prev := m.prevComplete(mr.run.ID)
	for id, r := range mr.results {
		var pm, po time.Time
		if prev != nil {
			pm, po = prev.missing[id], prev.outdated[id]
		}
		or := func(t time.Time) time.Time {
			if t.IsZero() {
				return mr.run.Started
			}
			return t
		}
		if r.Status == StatusError {
			if !pm.IsZero() {
				mr.missing[id] = pm
			}
			if !po.IsZero() {
				mr.outdated[id] = po
			}
			continue
		}
		has, current := judge(r, mr.run)
		switch {
		case r.DirectSigned == DirectSigned || current:
		case !has:
			mr.missing[id] = or(pm)
		default:
			mr.outdated[id] = or(po)
		}
	}
}

// snapshot is what LoadSnapshot should return for run mr.
func (m *storageModel) snapshot(mr *modelRun) *Snapshot {
	s := &Snapshot{Run: mr.run, Customers: []CustomerState{}}
	names := map[string]Customer{}
	for _, c := range mr.list {
		names[c.ID] = c
	}
	for id, r := range mr.results {
		r.Customer = names[id]
		cs := CustomerState{Result: r}
		if mr.run.State == StateComplete && r.Status == StatusOK {
			cs.MissingSince, cs.OutdatedSince = mr.missing[id], mr.outdated[id]
		}
		if r.Status == StatusError {
			for i := len(m.runs) - 1; i >= 0; i-- {
				g := m.runs[i]
				if g.run.ID >= mr.run.ID || g.run.State != StateComplete || g.run.ReportDir == "" {
					continue
				}
				if gr, ok := g.results[id]; ok && gr.Status == StatusOK {
					cs.LastGood = &Result{Customer: names[id], Status: StatusOK, Attempts: gr.Attempts,
						DirectSigned: gr.DirectSigned, Acceptances: gr.Acceptances}
					break
				}
			}
		}
		s.Customers = append(s.Customers, cs)
	}
	slices.SortFunc(s.Customers, func(a, b CustomerState) int {
		return strings.Compare(a.Result.Customer.ID, b.Result.Customer.ID)
	})
	return s
}

// randomAnswer is a customer's random answer: no record, old, current,
// undated or re-dated records, another agreement type, a direct signature,
// or an error.
func randomAnswer(rng *rand.Rand, c Customer) Result {
	if rng.IntN(6) == 0 {
		r := errResult(c)
		r.HTTPStatus = []int{403, 404, 500}[rng.IntN(3)]
		return r
	}
	var accs []Acceptance
	if rng.IntN(4) == 0 {
		cloud := mca("2019-08-26")
		cloud.Type = "MicrosoftCloudAgreement"
		accs = append(accs, cloud)
	}
	dates := []string{"", "2020-01-01", "2023-03-31", "2023-04-01", "2024-01-02", "2025-05-05", "undated"}
	for _, i := range rng.Perm(len(dates))[:rng.IntN(3)] {
		switch dates[i] {
		case "":
		case "undated":
			a := mca("2024-01-02")
			a.DateAgreed = time.Time{}
			accs = append(accs, a)
		default:
			accs = append(accs, mca(dates[i]))
		}
	}
	sortAcceptances(accs)
	r := okResult(c, accs...)
	r.DirectSigned = DirectSign(rng.IntN(3))
	r.Attempts = 1 + rng.IntN(3)
	return r
}

// modelPolicy is restic's forget as the model reads it: for each rule, walk
// the complete runs newest first and keep the first run of each new period
// until the rule has kept its count.
func modelPolicy(r Retention, complete []Run) map[int64]bool {
	keep := map[int64]bool{}
	rule := func(n int, period func(Run) string) {
		seen := map[string]bool{}
		for _, run := range complete {
			p := period(run)
			if len(seen) == n {
				return
			}
			if !seen[p] {
				seen[p] = true
				keep[run.ID] = true
			}
		}
	}
	rule(r.KeepLast, func(run Run) string { return fmt.Sprint(run.ID) })
	rule(r.KeepDaily, func(run Run) string { return run.Started.Format("2006-01-02") })
	rule(r.KeepWeekly, func(run Run) string { y, w := run.Started.ISOWeek(); return fmt.Sprint(y, "-", w) })
	rule(r.KeepMonthly, func(run Run) string { return run.Started.Format("2006-01") })
	return keep
}

// Random sequences of sweeps over a small portfolio (joins, leaves,
// re-dates, errors, direct signatures, kills and resumes, failed sweeps,
// reports written or not) with Prune in between: every stored run reads
// back as a simple per-run model says, Prune keeps what the policy and the
// kept runs need and removes the rest, and History agrees with the model.
func TestDB_Prune_RandomSweepsAgainstAPerRunModel(t *testing.T) {
	seeds := 12
	if testing.Short() {
		seeds = 3
	}
	base := uint64(time.Now().UnixNano())
	for s := 0; s < seeds; s++ {
		seed := base + uint64(s)
		t.Run(fmt.Sprint(seed), func(t *testing.T) { randomSweeps(t, seed) })
	}
}

func randomSweeps(t *testing.T, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 3))
	c := newClock()
	db := mustOpenDB(t, c)
	pool := testCustomers(10)
	m := &storageModel{}
	in := map[string]bool{}
	for _, cu := range pool[:7] {
		in[cu.ID] = true
	}
	save := func(mr *modelRun, batch []Result) {
		mustSave(t, db, mr.run.ID, batch...)
		for _, r := range batch {
			r.Customer = Customer{ID: r.Customer.ID}
			if r.Status == StatusError {
				r.Acceptances = nil
			}
			mr.results[r.Customer.ID] = r
		}
	}
	begin := func() *modelRun {
		for _, cu := range pool {
			if rng.IntN(8) == 0 {
				in[cu.ID] = !in[cu.ID] // joins and leaves
			}
		}
		var list []Customer
		for _, i := range rng.Perm(len(pool)) {
			if in[pool[i].ID] {
				list = append(list, pool[i])
			}
		}
		s := spec
		if rng.IntN(3) > 0 {
			s.CurrentSince = mustDate("2023-04-01")
		}
		run, err := db.BeginRun(s, list)
		if err != nil {
			t.Fatal(err)
		}
		mr := &modelRun{run: run, list: list, results: map[string]Result{}}
		m.runs = append(m.runs, mr)
		return mr
	}
	finish := func(mr *modelRun, state RunState) {
		got, err := db.FinishRun(mr.run.ID, state)
		if err != nil {
			t.Fatal(err)
		}
		mr.run.Finished, mr.run.Done, mr.run.Errors = got.Finished, got.Done, got.Errors
		if state == StateComplete {
			m.complete(mr)
			if rng.IntN(4) == 0 {
				mr.run.ReportError = "disk full"
				if err := db.SetReportFailed(mr.run.ID, mr.run.ReportError); err != nil {
					t.Fatal(err)
				}
			} else {
				mr.run.ReportDir = fmt.Sprintf("/reports/run%d", mr.run.ID)
				if err := db.SetReport(mr.run.ID, mr.run.ReportDir); err != nil {
					t.Fatal(err)
				}
			}
		} else {
			mr.run.State = state
		}
	}
	answers := func(list []Customer) []Result {
		var rs []Result
		for _, cu := range list {
			rs = append(rs, randomAnswer(rng, cu))
		}
		return rs
	}
	for step := 0; step < 25; step++ {
		c.t = c.t.Add(time.Duration(6+rng.IntN(60)) * time.Hour)
		switch k := rng.IntN(10); {
		case k < 5: // a whole sweep
			mr := begin()
			save(mr, answers(mr.list))
			finish(mr, StateComplete)
		case k < 7: // killed half way, maybe resumed later
			mr := begin()
			save(mr, answers(mr.list[:len(mr.list)/2]))
			finish(mr, StateInterrupted)
		case k < 8: // resume the resumable run, if any
			run, err := db.Resumable()
			if err != nil {
				continue
			}
			mr := m.find(run.ID)
			if _, err := db.ResumeRun(run.ID, ""); err != nil {
				t.Fatal(err)
			}
			mr.run.State = StateRunning
			pending, err := db.PendingCustomers(run.ID)
			if err != nil {
				t.Fatal(err)
			}
			save(mr, answers(pending))
			finish(mr, StateComplete)
		case k < 9: // refused
			mr := begin()
			save(mr, answers(mr.list[:min(1, len(mr.list))]))
			finish(mr, StateFailed)
		default:
			prune(t, db, m, rng)
		}
		checkModel(t, db, m, step)
	}
	prune(t, db, m, rng)
	checkModel(t, db, m, 99)
	checkHistory(t, db, m, pool)
}

// prune applies a random policy and checks what Prune removed.
func prune(t *testing.T, db *DB, m *storageModel, rng *rand.Rand) {
	t.Helper()
	r := Retention{KeepLast: rng.IntN(3), KeepDaily: rng.IntN(3), KeepWeekly: rng.IntN(2), KeepMonthly: rng.IntN(2)}
	before := mustSnapshots(t, db)
	prevReported := map[int64]int64{}
	for id := range before {
		if p, err := db.PreviousReported(id); err == nil {
			prevReported[id] = p.ID
		}
	}
	res, err := db.Prune(context.Background(), r, false)
	if err != nil {
		t.Fatalf("Prune(%+v): %v", r, err)
	}
	var complete []Run // newest first
	var newest int64
	for i := len(m.runs) - 1; i >= 0; i-- {
		if run := m.runs[i].run; run.State == StateComplete {
			complete = append(complete, run)
			newest = max(newest, run.ID)
		}
	}
	policy := modelPolicy(r, complete)
	removed := map[int64]bool{}
	for _, p := range res.Removed {
		removed[p.ID] = true
	}
	for _, mr := range m.runs {
		id, state := mr.run.ID, mr.run.State
		switch {
		case state == StateRunning:
			t.Fatalf("a running run %d is left by the model", id)
		case state != StateComplete && id < newest && !removed[id]:
			t.Fatalf("Prune(%+v) kept %s run %d older than complete run %d", r, state, id, newest)
		case state != StateComplete && id > newest && removed[id]:
			t.Fatalf("Prune(%+v) removed %s run %d newer than every complete run", r, state, id)
		case state == StateComplete && (r.KeepsAll() || policy[id]) && removed[id]:
			t.Fatalf("Prune(%+v) removed run %d, which the policy keeps", r, id)
		}
		// A run kept for itself keeps its report's baseline.
		if !removed[id] && (state != StateComplete || r.KeepsAll() || policy[id]) {
			if p, ok := prevReported[id]; ok && removed[p] {
				t.Fatalf("Prune(%+v) removed run %d, the previous report of kept run %d", r, p, id)
			}
		}
	}
	var kept []*modelRun
	for _, mr := range m.runs {
		if !removed[mr.run.ID] {
			kept = append(kept, mr)
			continue
		}
		if mr.run.State == StateComplete && !r.KeepsAll() && policy[mr.run.ID] {
			t.Fatalf("Prune(%+v) removed run %d the policy keeps", r, mr.run.ID)
		}
	}
	m.runs = kept
	// Every run kept for itself or as a baseline reads back as before; a
	// run kept only for the last good answers it holds may carry less.
	for _, p := range res.Kept {
		if strings.HasPrefix(p.Reason(), "last good answer") {
			continue
		}
		if got := mustSnapshot(t, db, p.ID); !reflect.DeepEqual(got, before[p.ID]) {
			t.Fatalf("Prune(%+v): kept run %d (%s) reads back differently", r, p.ID, p.Reason())
		}
	}
	mustIntact(t, db)
}

// checkModel compares every stored run with the model.
func checkModel(t *testing.T, db *DB, m *storageModel, step int) {
	t.Helper()
	stored := mustSnapshots(t, db)
	if len(stored) != len(m.runs) {
		t.Fatalf("step %d: %d runs stored, the model has %d", step, len(stored), len(m.runs))
	}
	counts := mustRunCounts(t, db)
	for _, mr := range m.runs {
		got, ok := stored[mr.run.ID]
		if !ok {
			t.Fatalf("step %d: run %d is not stored", step, mr.run.ID)
		}
		want := m.snapshot(mr)
		if !reflect.DeepEqual(got.Run, want.Run) {
			t.Fatalf("step %d: run %d = %q %q, the model says %q %q\n %+v\nthe model says\n %+v", step, mr.run.ID, got.Run.ReportDir, got.Run.ReportError, want.Run.ReportDir, want.Run.ReportError, got.Run, want.Run)
		}
		for i := range want.Customers {
			if i >= len(got.Customers) || !reflect.DeepEqual(got.Customers[i], want.Customers[i]) {
				var g CustomerState
				if i < len(got.Customers) {
					g = got.Customers[i]
				}
				t.Fatalf("step %d: run %d customer %d =\n %+v\nthe model says\n %+v", step, mr.run.ID, i, g, want.Customers[i])
			}
		}
		if len(got.Customers) != len(want.Customers) {
			t.Fatalf("step %d: run %d has %d customers, the model %d", step, mr.run.ID, len(got.Customers), len(want.Customers))
		}
		if wc := countsOf(want); counts[mr.run.ID] != wc {
			t.Fatalf("step %d: RunCounts of run %d = %+v, the model says %+v", step, mr.run.ID, counts[mr.run.ID], wc)
		}
	}
}

// checkHistory compares History of every customer with the model's spans
// and records.
func checkHistory(t *testing.T, db *DB, m *storageModel, pool []Customer) {
	t.Helper()
	for _, cu := range pool {
		var spans []StandingSpan
		type rec struct{ first, last int64 }
		recs := map[recordKey]rec{}
		seen := false
		for _, mr := range m.runs {
			if mr.run.State != StateComplete {
				continue
			}
			r, ok := mr.results[cu.ID]
			if !ok && !seen {
				continue
			}
			seen = true
			st := StandingNotListed
			if ok {
				st = r.Standing(mr.run.Required, mr.run.CurrentSince)
				for _, a := range r.Acceptances {
					k := recordKey{a.Type, a.DateAgreed, a.TemplateID}
					x, ok := recs[k]
					if !ok {
						x.first = mr.run.ID
					}
					x.last = mr.run.ID
					recs[k] = x
				}
			}
			if n := len(spans); n > 0 && spans[n-1].Standing == st {
				spans[n-1].ToRun, spans[n-1].To, spans[n-1].Runs = mr.run.ID, mr.run.Started, spans[n-1].Runs+1
				continue
			}
			spans = append(spans, StandingSpan{Standing: st, FromRun: mr.run.ID, From: mr.run.Started, ToRun: mr.run.ID,
				To: mr.run.Started, Runs: 1})
		}
		if n := len(spans); n > 0 {
			spans[n-1].Current = true
		}
		h, err := db.History(context.Background(), cu.ID)
		if errors.Is(err, ErrNotFound) {
			continue // never listed by a stored run
		}
		if err != nil {
			t.Fatal(err)
		}
		if len(h.Spans) != len(spans) || len(spans) > 0 && !reflect.DeepEqual(h.Spans, spans) {
			t.Fatalf("History(%s).Spans =\n %+v\nthe model says\n %+v", cu.ID, h.Spans, spans)
		}
		if len(h.Records) != len(recs) {
			t.Fatalf("History(%s) has %d records, the model %d", cu.ID, len(h.Records), len(recs))
		}
		for _, hr := range h.Records {
			a := hr.Acceptance
			x := recs[recordKey{a.Type, a.DateAgreed, a.TemplateID}]
			if hr.FirstRun != x.first || hr.LastRun != x.last {
				t.Fatalf("History(%s) record %+v in runs %d..%d, the model says %d..%d", cu.ID, a, hr.FirstRun, hr.LastRun, x.first, x.last)
			}
		}
	}
}
