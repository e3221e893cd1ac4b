package report_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/mcawatch/mcawatch/report"
	"github.com/mcawatch/mcawatch/storage"
)

// This file drives a plan through the real storage (a SQLite file, batches,
// kills as a closed database without FinishRun, Lock, Resumable, ResumeRun,
// PendingCustomers) and the real report.Diff, and compares each complete
// run's report with the model's.

// modelMismatch is one way the code disagreed with the model.
type modelMismatch struct {
	Check     string // what was compared: "missing", "new", "summary", …
	PlanRun   int    // index of the plan's run
	Customers []string
	Detail    string
}

// modelDriver is one "process" working on the plan's database.
type modelDriver struct {
	path   string
	now    time.Time
	db     *storage.DB
	unlock func() error
}

func (d *modelDriver) open() error {
	db, err := storage.Open(d.path, storage.Options{Now: func() time.Time { return d.now }, PID: 7, Host: "model"})
	if err != nil {
		return err
	}
	unlock, err := db.Lock()
	if err != nil {
		db.Close()
		return err
	}
	d.db, d.unlock = db, unlock
	return nil
}

// kill is the process dying: the lock goes, nothing is finished.
func (d *modelDriver) kill() {
	d.unlock()
	d.db.Close()
}

// modelResult is what the sweep stores for an answer.
func modelResult(c storage.Customer, a modelAnswer) storage.Result {
	if !a.OK {
		return storage.Result{Customer: c, Status: storage.StatusError, HTTPStatus: a.HTTP, ErrorCode: a.Code,
			Message: a.Message, Attempts: a.Attempts}
	}
	return storage.Result{Customer: c, Status: storage.StatusOK, Attempts: 1 + len(a.Records)%2,
		DirectSigned: a.Direct, Acceptances: slices.Clone(a.Records)}
}

// modelDrive runs plan p in a new database in dir and returns the mismatches
// of the first run that has any (nil when every report matched), and the
// number of complete runs compared.
// A non-empty template is the bytes of a new, empty database, copied in
// rather than created so that each history does not pay for the migrations.
func modelDrive(p *modelPlan, dir string, template []byte) ([]modelMismatch, map[string]int) {
	d := &modelDriver{path: filepath.Join(dir, "mcawatch.db")}
	stats := map[string]int{}
	fail := func(i int, check string, err error) ([]modelMismatch, map[string]int) {
		return []modelMismatch{{Check: check, PlanRun: i, Detail: err.Error()}}, stats
	}
	if len(template) > 0 {
		if err := os.WriteFile(d.path, template, 0o600); err != nil {
			return fail(0, "storage: copy the empty database", err)
		}
	}
	if err := d.open(); err != nil {
		return fail(0, "storage: open", err)
	}
	defer func() { d.kill() }()
	o := newModelOracle(p)
	ids := map[int]int64{} // plan run → run id
	var prevSnap *storage.Snapshot
	var all []modelMismatch
	var done []modelDone
	k := 0 // complete runs so far
	for i, r := range p.Runs {
		d.now = r.Start
		custs := make([]storage.Customer, len(r.Order))
		for j, id := range r.Order {
			custs[j] = p.Customers[id]
		}
		run, err := d.db.BeginRun(storage.RunSpec{Kind: "run", CorrelationID: "c0ffee00-0000-4000-8000-000000000001",
			Required: modelMCA, Types: []string{modelMCA, modelMCLA}, Since: r.Since, CurrentSince: r.CurrentSince}, custs)
		if err != nil {
			return fail(i, "storage: begin run", err)
		}
		ids[i] = run.ID
		var batches [][]storage.Result
		for j := 0; j < len(custs); j += r.Batch {
			var b []storage.Result
			for _, c := range custs[j:min(j+r.Batch, len(custs))] {
				b = append(b, modelResult(c, r.Answers[c.ID]))
			}
			batches = append(batches, b)
		}
		saved, kills := 0, r.Kills
		for {
			for len(kills) > 0 && kills[0] == saved {
				kills = kills[1:]
				if r.Exec == modelFailed {
					if _, err := d.db.FinishRun(run.ID, storage.StateFailed); err != nil {
						return fail(i, "storage: finish failed", err)
					}
					saved = -1
					break
				}
				d.now = d.now.Add(time.Minute)
				d.kill()
				if err := d.open(); err != nil {
					return fail(i, "storage: reopen after kill", err)
				}
				if r.Exec == modelAbandoned {
					if res, err := d.db.Resumable(); err != nil || res.ID != run.ID {
						return fail(i, "resume", fmt.Errorf("after a kill Resumable() = run %d, %v; want run %d", res.ID, err, run.ID))
					}
					saved = -1
					break
				}
				res, err := d.db.Resumable()
				if err != nil || res.ID != run.ID {
					return fail(i, "resume", fmt.Errorf("Resumable() = run %d, %v; want run %d", res.ID, err, run.ID))
				}
				if _, err := d.db.ResumeRun(run.ID, ""); err != nil {
					return fail(i, "resume", err)
				}
				pending, err := d.db.PendingCustomers(run.ID)
				if err != nil {
					return fail(i, "resume", err)
				}
				var got, want []string
				for _, c := range pending {
					got = append(got, c.ID)
				}
				for _, c := range custs[min(saved*r.Batch, len(custs)):] {
					want = append(want, c.ID)
				}
				if !slices.Equal(got, want) {
					return []modelMismatch{{Check: "resume: pending customers", PlanRun: i,
						Detail: fmt.Sprintf("PendingCustomers after %d saved batches = %v, want %v", saved, got, want)}}, stats
				}
			}
			if saved < 0 || saved == len(batches) {
				break
			}
			if err := d.db.SaveResults(run.ID, batches[saved]); err != nil {
				return fail(i, "storage: save results", err)
			}
			saved++
		}
		if saved < 0 {
			continue
		}
		d.now = d.now.Add(time.Hour)
		if _, err := d.db.FinishRun(run.ID, storage.StateComplete); err != nil {
			return fail(i, "storage: finish run", err)
		}
		if r.Exec == modelUnreported {
			if err := d.db.SetReportFailed(run.ID, "report folder not writable"); err != nil {
				return fail(i, "storage: set report failed", err)
			}
			done = append(done, modelDone{planRun: i, runID: run.ID, trend: o.trend(i)})
			continue
		}
		if err := d.db.SetReport(run.ID, fmt.Sprintf("/reports/run%d", run.ID)); err != nil {
			return fail(i, "storage: set report", err)
		}
		e := o.expect(k)
		var ms []modelMismatch
		prevRun, err := d.db.PreviousReported(run.ID)
		switch {
		case e.Previous < 0 && !errors.Is(err, storage.ErrNotFound):
			ms = append(ms, modelMismatch{Check: "previous run", PlanRun: i, Detail: fmt.Sprintf("PreviousReported = run %d, %v; want none", prevRun.ID, err)})
		case e.Previous >= 0 && (err != nil || prevRun.ID != ids[e.Previous]):
			ms = append(ms, modelMismatch{Check: "previous run", PlanRun: i, Detail: fmt.Sprintf("PreviousReported = run %d, %v; want run %d", prevRun.ID, err, ids[e.Previous])})
		}
		if i > 0 && p.Runs[i-1].Exec == modelAbandoned {
			// The abandoned run is older than this complete one: resuming
			// it now would mix two days.
			if res, err := d.db.Resumable(); !errors.Is(err, storage.ErrStaleRun) {
				ms = append(ms, modelMismatch{Check: "resume", PlanRun: i,
					Detail: fmt.Sprintf("Resumable() after a newer complete run = run %d, %v; want a stale-run error", res.ID, err)})
			}
		}
		cur, err := d.db.LoadSnapshot(run.ID)
		if err != nil {
			return fail(i, "storage: load snapshot", err)
		}
		if !cur.Run.Since.Equal(r.Since) || !cur.Run.CurrentSince.Equal(r.CurrentSince) {
			ms = append(ms, modelMismatch{Check: "run settings", PlanRun: i, Detail: fmt.Sprintf("run stored since=%s current_since=%s, want %s %s",
				modelFmt(cur.Run.Since), modelFmt(cur.Run.CurrentSince), modelFmt(r.Since), modelFmt(r.CurrentSince))})
		}
		rep := report.Diff(prevSnap, cur, report.DiffOptions{Since: cur.Run.Since})
		if (rep.Previous == nil) != (e.Previous < 0) || rep.Previous != nil && rep.Previous.ID != ids[e.Previous] || rep.Run.ID != run.ID {
			ms = append(ms, modelMismatch{Check: "previous run", PlanRun: i, Detail: fmt.Sprintf("report of run %d against %v", rep.Run.ID, rep.Previous)})
		}
		ms = append(ms, modelCompare(e, rep, i)...)
		all = append(all, ms...)
		prevSnap = cur
		k++
		modelCount(stats, p, i, e)
		done = append(done, modelDone{planRun: i, runID: run.ID, trend: e.Trend, carried: e.Lines["carried"]})
	}
	if len(done) == 0 {
		return all, stats
	}
	// The trend of every complete run, read once at the end as a report
	// of the last run reads it.
	trend, err := d.db.Trend(done[len(done)-1].runID, len(done)+1)
	if err != nil {
		return fail(len(p.Runs)-1, "storage: trend", err)
	}
	if len(trend) != len(done) {
		return append(all, modelMismatch{Check: "trend", PlanRun: len(p.Runs) - 1,
			Detail: fmt.Sprintf("Trend has %d points, want one for each of the %d complete runs", len(trend), len(done))}), stats
	}
	for j, x := range done {
		want := x.trend
		want.RunID = x.runID
		if trend[j] == want {
			continue
		}
		all = append(all, modelMismatch{Check: "trend", PlanRun: x.planRun, Customers: x.carried,
			Detail: fmt.Sprintf("Trend point = %+v\n      model       %+v\n", trend[j], want)})
	}
	return all, stats
}

// modelDone is a complete run and the model's report of it.
type modelDone struct {
	planRun int
	runID   int64
	trend   storage.TrendPoint // as the model has it
	carried []string           // error customers with a carried-forward state
}

// modelCount adds what complete run i exercised to stats, so a log shows
// the test is not vacuous.
func modelCount(stats map[string]int, p *modelPlan, i int, e *modelExpected) {
	r := p.Runs[i]
	stats["complete runs compared"]++
	if r.Exec == modelResumed {
		stats["runs killed and resumed"]++
	}
	if i > 0 && p.Runs[i-1].Exec != modelNormal && p.Runs[i-1].Exec != modelResumed {
		stats["runs after an abandoned, failed or unreported one"]++
	}
	if i > 0 && !r.CurrentSince.Equal(p.Runs[i-1].CurrentSince) {
		stats["runs with a changed current_since"]++
	}
	if !r.Since.IsZero() {
		stats["first runs with since"]++
	}
	for _, section := range []string{"missing", "outdated", "new", "removed", "errors", "acceptances", "carried", "first-seen-baseline", "re-dated"} {
		stats[section+" rows"] += len(e.Lines[section])
	}
	stats["newly missing"] += e.Summary.NewlyMissing
	stats["newly outdated"] += e.Summary.NewlyOutdated
	stats["joined"] += e.Summary.Joined
	stats["left"] += e.Summary.Left
	for _, id := range r.Order {
		a := r.Answers[id]
		if len(modelDistinct(a.Records)) < len(a.Records) {
			stats["answers with a repeated record"]++
		}
		for _, rec := range a.Records {
			if rec.DateAgreed.IsZero() {
				stats["undated records"]++
			}
		}
		if a.Direct == storage.DirectSigned {
			stats["direct-signed answers"]++
		}
	}
}

// modelCompare compares every row and count of rep with the model's, e.
func modelCompare(e *modelExpected, rep *report.Report, planRun int) []modelMismatch {
	got := map[string][]string{}
	add := func(section, line string) { got[section] = append(got[section], line) }
	for _, m := range rep.Missing {
		add("missing", fmt.Sprintf("%s since=%s", m.Customer.ID, modelFmt(m.MissingSince)))
	}
	for _, m := range rep.Outdated {
		add("outdated", fmt.Sprintf("%s latest=%s contact=%q email=%q since=%s", m.Customer.ID, modelFmt(m.LatestDateAgreed),
			m.ContactName, m.ContactEmail, modelFmt(m.OutdatedSince)))
	}
	for _, n := range rep.New {
		add("new", fmt.Sprintf("%s %s prev=%s", n.Customer.ID, modelRecordLine(n.Acceptance), modelFmt(n.PreviousDateAgreed)))
	}
	for _, n := range rep.Removed {
		add("removed", fmt.Sprintf("%s %s", n.Customer.ID, modelKeyLine(modelKeyOf(n.Acceptance))))
	}
	for _, n := range rep.Errors {
		line := fmt.Sprintf("%s http=%d code=%q msg=%q attempts=%d", n.Customer.ID, n.HTTPStatus, n.ErrorCode, n.Message, n.Attempts)
		if n.NoRelationship {
			line += " no-relationship"
		}
		add("errors", line)
	}
	for _, n := range rep.Acceptances {
		if n.Acceptance == nil {
			add("acceptances", fmt.Sprintf("%s <no record> direct=%s", n.Customer.ID, modelDirectName(n.DirectSigned)))
			continue
		}
		add("acceptances", fmt.Sprintf("%s %s direct=%s", n.Customer.ID, modelRecordLine(*n.Acceptance), modelDirectName(n.DirectSigned)))
	}
	var ms []modelMismatch
	earlier, several := map[string]bool{}, map[string]bool{}
	for _, id := range e.Lines["added-earlier"] {
		earlier[id] = true
	}
	for _, id := range e.Lines["several"] {
		several[id] = true
	}
	for _, section := range []string{"missing", "outdated", "new", "removed", "errors", "acceptances"} {
		missing, extra := modelLineDiff(e.Lines[section], got[section])
		if len(missing)+len(extra) == 0 {
			continue
		}
		byCheck := map[string]*modelMismatch{}
		for _, l := range append(slices.Clone(missing), extra...) {
			id, _, _ := strings.Cut(l, " ")
			check := section
			switch {
			case (section == "new" || section == "removed") && several[id]:
				check = section + " (several records of one type before or changing at once)"
			case section == "new" && earlier[id]:
				check = section + " (a record dated before the newest one appears beside it)"
			}
			m := byCheck[check]
			if m == nil {
				m = &modelMismatch{Check: check, PlanRun: planRun}
				byCheck[check] = m
			}
			if !slices.Contains(m.Customers, id) {
				m.Customers = append(m.Customers, id)
			}
		}
		for check, m := range byCheck {
			var b strings.Builder
			for _, l := range missing {
				if id, _, _ := strings.Cut(l, " "); slices.Contains(m.Customers, id) {
					fmt.Fprintf(&b, "      model only: %s\n", l)
				}
			}
			for _, l := range extra {
				if id, _, _ := strings.Cut(l, " "); slices.Contains(m.Customers, id) {
					fmt.Fprintf(&b, "      code only:  %s\n", l)
				}
			}
			m.Detail = b.String()
			ms = append(ms, *byCheck[check])
		}
	}
	if rep.Summary != e.Summary {
		var ids []string
		for id := range e.Answers {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		ms = append(ms, modelMismatch{Check: "summary", PlanRun: planRun, Customers: ids,
			Detail: fmt.Sprintf("code  %+v\n      model %+v\n", rep.Summary, e.Summary)})
	}
	return ms
}

// modelLineDiff is the lines only in want and only in got, as multisets.
func modelLineDiff(want, got []string) (onlyWant, onlyGot []string) {
	count := map[string]int{}
	for _, l := range want {
		count[l]++
	}
	for _, l := range got {
		count[l]--
	}
	for l, n := range count {
		for ; n > 0; n-- {
			onlyWant = append(onlyWant, l)
		}
		for ; n < 0; n++ {
			onlyGot = append(onlyGot, l)
		}
	}
	slices.Sort(onlyWant)
	slices.Sort(onlyGot)
	return onlyWant, onlyGot
}

// modelEmptyDB is the bytes of a new database with every migration applied.
func modelEmptyDB(dir string) ([]byte, error) {
	path := filepath.Join(dir, "empty.db")
	db, err := storage.Open(path, storage.Options{})
	if err != nil {
		return nil, err
	}
	if err := db.Close(); err != nil {
		return nil, err
	}
	if _, err := os.Stat(path + "-wal"); err == nil {
		return nil, fmt.Errorf("%s-wal is left after Close", path)
	}
	return os.ReadFile(path)
}
