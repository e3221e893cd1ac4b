package report_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/mcawatch/mcawatch/storage"
)

// This file generates the random histories the model test drives through
// storage and report: a plan says, run by run, what each customer answered
// and how the sweep went (killed and resumed, abandoned, failed). The plan is
// the single source both the real code and the model read.

const (
	modelMCA  = "MicrosoftCustomerAgreement" // the required type
	modelMCLA = "MicrosoftCloudAgreement"    // tracked, not required
)

// modelExec is how one sweep of a plan goes.
type modelExec int

const (
	modelNormal     modelExec = iota // saved in batches, finished complete
	modelResumed                     // killed one or more times, resumed, complete
	modelAbandoned                   // killed and never resumed: stays interrupted
	modelFailed                      // finished failed part way
	modelUnreported                  // complete, but its report could not be written
)

func (e modelExec) String() string {
	return [...]string{"normal", "killed+resumed", "abandoned", "failed", "complete, report failed"}[e]
}

// modelAnswer is one customer's answer in one run.
type modelAnswer struct {
	OK       bool
	Records  []storage.Acceptance // as answered: identical duplicates possible
	Direct   storage.DirectSign
	HTTP     int
	Code     string
	Message  string
	Attempts int
}

// modelRunPlan is one sweep.
type modelRunPlan struct {
	Start        time.Time
	CurrentSince time.Time // zero: the outdated check is off
	Since        time.Time // backfill --since; only on a history's first run
	Exec         modelExec
	Kills        []int // numbers of saved batches after which the process dies
	Batch        int   // customers a batch
	Order        []string
	Answers      map[string]modelAnswer
}

// modelPlan is one database's history.
type modelPlan struct {
	Seed      uint64
	Customers map[string]storage.Customer
	Group     map[string]int // customer id → its sequence (group) number
	Runs      []modelRunPlan
	Sequences int // groups of customers living 3–6 runs
}

func modelDate(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t, err = time.Parse(time.DateOnly, s)
	}
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

var (
	// modelRecordDates sit on and around every cut-off and since date used.
	modelRecordDates = []time.Time{
		modelDate("2019-08-26"), modelDate("2021-06-01"), modelDate("2022-11-30"),
		modelDate("2023-03-31T23:59:59Z"), modelDate("2023-04-01"), modelDate("2024-02-10"),
		modelDate("2025-01-01"), modelDate("2025-09-15"),
	}
	modelCutoffs = []time.Time{modelDate("2023-04-01"), modelDate("2023-04-01"), modelDate("2023-04-01"),
		{}, modelDate("2021-06-01"), modelDate("2025-01-01")}
	modelSinces = []time.Time{modelDate("2021-06-01"), modelDate("2023-04-01"), modelDate("2025-01-01")}
	modelFirst  = modelDate("2026-01-05T02:00:00Z")
)

// modelCustomerID is the i-th customer's tenant id, in an order unlike i's.
func modelCustomerID(i int) string {
	return fmt.Sprintf("%08x-0000-4000-8000-%012x", uint32(i*2654435761), i)
}

// modelWorld is what Partner Center holds about one customer right now.
type modelWorld struct {
	records []storage.Acceptance // distinct (type, date) pairs
	direct  bool
	contact int
}

func (w *modelWorld) newRecord(rng *rand.Rand, typ string, date time.Time) storage.Acceptance {
	w.contact++
	tmpl := "117a488c-7c61-4e2c-9b3c-7e8c5b2d2a3c"
	if rng.IntN(3) == 0 {
		tmpl = "0c6d1b33-5b2e-4f7e-8d7a-5e1e2a3b4c5d"
	}
	return storage.Acceptance{Type: typ, DateAgreed: date, TemplateID: tmpl,
		ContactName: fmt.Sprintf("Contact %d", w.contact), ContactEmail: fmt.Sprintf("c%d@contoso.example", w.contact),
		ContactPhone: "+46 8 123 45", AgreementLink: "https://aka.ms/customeragreement", UserID: fmt.Sprintf("u-%d", w.contact)}
}

// freeDate is a date (zero: undated) no record of typ in w has yet; ok is
// false when there is none.
func (w *modelWorld) freeDate(rng *rand.Rand, typ string) (time.Time, bool) {
	var free []time.Time
	if rng.IntN(6) == 0 {
		free = append(free, time.Time{})
	}
	free = append(free, modelRecordDates...)
	free = slices.DeleteFunc(free, func(d time.Time) bool {
		return slices.ContainsFunc(w.records, func(a storage.Acceptance) bool { return a.Type == typ && a.DateAgreed.Equal(d) })
	})
	if len(free) == 0 {
		return time.Time{}, false
	}
	return free[rng.IntN(len(free))], true
}

// evolve changes w the way a customer's acceptances change between sweeps.
func (w *modelWorld) evolve(rng *rand.Rand) {
	switch p := rng.IntN(20); {
	case p < 8: // nothing changes
	case p < 12: // a new record, usually of the required type
		typ := modelMCA
		if rng.IntN(4) == 0 {
			typ = modelMCLA
		}
		if len(w.records) < 5 {
			if d, ok := w.freeDate(rng, typ); ok {
				w.records = append(w.records, w.newRecord(rng, typ, d))
			}
		}
	case p < 15: // a record is re-dated, later or earlier
		if len(w.records) > 0 {
			i := rng.IntN(len(w.records))
			if d, ok := w.freeDate(rng, w.records[i].Type); ok {
				w.records[i] = w.newRecord(rng, w.records[i].Type, d)
			}
		}
	case p < 17: // a record disappears
		if len(w.records) > 0 {
			i := rng.IntN(len(w.records))
			w.records = slices.Delete(w.records, i, i+1)
		}
	default: // the customer signs directly, or that is withdrawn
		w.direct = !w.direct
	}
}

// answer is what the customer answers in a run judging by cut.
func (w *modelWorld) answer(rng *rand.Rand, errRate int) modelAnswer {
	if rng.IntN(100) < errRate {
		e := []modelAnswer{
			{HTTP: 500, Code: "3000", Message: "server error", Attempts: 6},
			{HTTP: 404, Code: "600008", Message: "customer not found", Attempts: 1},
			{HTTP: 0, Code: "", Message: "connection reset", Attempts: 6},
			{HTTP: 429, Code: "", Message: "rate limit is exceeded", Attempts: 6},
		}[rng.IntN(4)]
		return e
	}
	a := modelAnswer{OK: true, Records: slices.Clone(w.records)}
	if len(a.Records) > 0 && rng.IntN(6) == 0 { // an identical record twice in one answer
		a.Records = append(a.Records, a.Records[rng.IntN(len(a.Records))])
	}
	rng.Shuffle(len(a.Records), func(i, j int) { a.Records[i], a.Records[j] = a.Records[j], a.Records[i] })
	return a
}

// modelGenerate makes one history of runs over groups of customers: each
// group ("sequence") is 1–8 customers that live for 3–6 consecutive runs,
// joining and leaving within them, so many sequences share one database.
func modelGenerate(seed uint64, runs, groupsPerRun int) *modelPlan {
	rng := rand.New(rand.NewPCG(seed, 0x6d6f64656c))
	p := &modelPlan{Seed: seed, Customers: map[string]storage.Customer{}, Group: map[string]int{}}
	type life struct {
		id       string
		from, to int // runs [from, to)
		present  bool
		world    modelWorld
		errRate  int
		firstErr bool
	}
	var lives []*life
	next := 0
	for r := 0; r < runs; r++ {
		n := groupsPerRun/2 + rng.IntN(groupsPerRun+1)
		if r == 0 {
			n = groupsPerRun * 2
		}
		for g := 0; g < n; g++ {
			span := 3 + rng.IntN(4)
			if r+span > runs {
				continue
			}
			p.Sequences++
			size := 1 + rng.IntN(2)
			if rng.IntN(8) == 0 {
				size = 1 + rng.IntN(8)
			}
			for k := 0; k < size; k++ {
				id := modelCustomerID(next)
				p.Customers[id] = storage.Customer{ID: id, CompanyName: fmt.Sprintf("Contoso %d", next),
					Domain: fmt.Sprintf("contoso%d.onmicrosoft.com", next), Relationship: "reseller"}
				p.Group[id] = p.Sequences
				next++
				l := &life{id: id, from: r, to: r + span, errRate: []int{0, 10, 25}[rng.IntN(3)], firstErr: rng.IntN(6) == 0}
				for range rng.IntN(3) {
					if d, ok := l.world.freeDate(rng, modelMCA); ok {
						l.world.records = append(l.world.records, l.world.newRecord(rng, modelMCA, d))
					}
				}
				if rng.IntN(4) == 0 {
					if d, ok := l.world.freeDate(rng, modelMCLA); ok {
						l.world.records = append(l.world.records, l.world.newRecord(rng, modelMCLA, d))
					}
				}
				l.world.direct = rng.IntN(5) == 0
				lives = append(lives, l)
			}
		}
		run := modelRunPlan{Start: modelFirst.Add(time.Duration(r) * 24 * time.Hour), Answers: map[string]modelAnswer{}}
		switch {
		case r == 0:
			run.CurrentSince = modelCutoffs[rng.IntN(len(modelCutoffs))]
			if rng.IntN(2) == 0 {
				run.Since = modelSinces[rng.IntN(len(modelSinces))]
			}
		case rng.IntN(6) == 0:
			run.CurrentSince = modelCutoffs[rng.IntN(len(modelCutoffs))]
		default:
			run.CurrentSince = p.Runs[r-1].CurrentSince
		}
		switch x := rng.IntN(20); {
		case x < 13:
			run.Exec = modelNormal
		case x < 16:
			run.Exec = modelResumed
		case x < 17:
			run.Exec = modelUnreported
		case x < 19:
			run.Exec = modelAbandoned
		default:
			run.Exec = modelFailed
		}
		for _, l := range lives {
			if r < l.from || r >= l.to {
				continue
			}
			switch {
			case r == l.from:
				l.present = true
			case l.present && rng.IntN(8) == 0:
				l.present = false // leaves the portfolio
			case !l.present && rng.IntN(2) == 0:
				l.present = true // comes back
			}
			if r > l.from {
				l.world.evolve(rng)
			}
			if !l.present {
				continue
			}
			errRate := l.errRate
			if r == l.from && l.firstErr {
				errRate = 100
			}
			run.Answers[l.id] = l.world.answer(rng, errRate)
			if a := run.Answers[l.id]; a.OK {
				a.Direct = modelDirectAnswer(a.Records, l.world.direct, run.CurrentSince)
				run.Answers[l.id] = a
			}
			run.Order = append(run.Order, l.id)
		}
		rng.Shuffle(len(run.Order), func(i, j int) { run.Order[i], run.Order[j] = run.Order[j], run.Order[i] })
		// One to four batches: every batch is a transaction, and those are
		// what a run costs under the race detector.
		run.Batch = max(1, (len(run.Order)+rng.IntN(len(run.Order)+1))/(1+rng.IntN(4)))
		batches := (len(run.Order) + run.Batch - 1) / run.Batch
		switch run.Exec {
		case modelResumed:
			for range 1 + rng.IntN(2) {
				run.Kills = append(run.Kills, rng.IntN(batches+1))
			}
			slices.Sort(run.Kills)
		case modelAbandoned, modelFailed:
			run.Kills = []int{rng.IntN(batches + 1)}
		}
		p.Runs = append(p.Runs, run)
	}
	return p
}

// modelDirectAnswer is the direct-sign answer a sweep stores: only customers
// without a current acceptance of the required type are asked.
func modelDirectAnswer(recs []storage.Acceptance, signed bool, cut time.Time) storage.DirectSign {
	for _, a := range recs {
		if a.Type == modelMCA && (cut.IsZero() || !a.DateAgreed.IsZero() && !a.DateAgreed.Before(cut)) {
			return storage.DirectNotAsked
		}
	}
	if signed {
		return storage.DirectSigned
	}
	return storage.DirectNotSigned
}

// only is the plan restricted to the customers in keep and the runs in runs
// (indexes into p.Runs), for shrinking a failure.
func (p *modelPlan) only(keep map[string]bool, runs []int) *modelPlan {
	q := &modelPlan{Seed: p.Seed, Customers: map[string]storage.Customer{}, Group: p.Group}
	for id := range keep {
		q.Customers[id] = p.Customers[id]
	}
	for k, i := range runs {
		r := p.Runs[i]
		r.Answers = map[string]modelAnswer{}
		r.Order = nil
		for _, id := range p.Runs[i].Order {
			if keep[id] {
				r.Order = append(r.Order, id)
				r.Answers[id] = p.Runs[i].Answers[id]
			}
		}
		if k == 0 && i != 0 {
			r.Since = time.Time{}
		}
		batches := (len(r.Order) + r.Batch - 1) / r.Batch
		r.Kills = nil
		for _, b := range p.Runs[i].Kills {
			r.Kills = append(r.Kills, min(b, batches))
		}
		q.Runs = append(q.Runs, r)
	}
	return q
}

// String is the plan written for a person reading a failure.
func (p *modelPlan) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "history seed %d, %d runs, %d customers\n", p.Seed, len(p.Runs), len(p.Customers))
	for i, r := range p.Runs {
		fmt.Fprintf(&b, "  run #%d started %s current_since=%s since=%s %s kills-after-batches=%v batch=%d\n",
			i+1, modelFmt(r.Start), modelFmt(r.CurrentSince), modelFmt(r.Since), r.Exec, r.Kills, r.Batch)
		ids := slices.Clone(r.Order)
		slices.Sort(ids)
		for _, id := range ids {
			a := r.Answers[id]
			if !a.OK {
				fmt.Fprintf(&b, "    %s (sequence %d) error http=%d code=%q msg=%q attempts=%d\n", id, p.Group[id], a.HTTP, a.Code, a.Message, a.Attempts)
				continue
			}
			fmt.Fprintf(&b, "    %s (sequence %d) ok direct=%s records:", id, p.Group[id], modelDirectName(a.Direct))
			if len(a.Records) == 0 {
				b.WriteString(" none")
			}
			for _, rec := range a.Records {
				fmt.Fprintf(&b, " [%s %s %s %s]", modelShortType(rec.Type), modelFmt(rec.DateAgreed), rec.TemplateID[:4], rec.ContactName)
			}
			b.WriteString("\n")
		}
	}
	return b.String()
}

func modelShortType(t string) string {
	switch t {
	case modelMCA:
		return "MCA"
	case modelMCLA:
		return "MCLA"
	}
	return t
}

func modelDirectName(d storage.DirectSign) string {
	return [...]string{"not-asked", "signed", "not-signed"}[d]
}

// modelFmt is a time in a comparison line: RFC 3339 UTC, "-" for zero.
func modelFmt(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}
