package report_test

import (
	"flag"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

var (
	modelSeed = flag.Uint64("modelseed", 20261129, "seed of the model test's random histories")
	modelSeqs = flag.Int("modelseqs", 10000, "random sequences the model test drives (fewer with -short)")
)

// TestDiff_RandomRunSequences_EveryRowMatchesModel drives random sequences
// of runs (customers joining and leaving, records appearing, re-dated either
// way, removed, repeated in one answer, undated, on either side of a
// changing current_since; direct-signed answers, errors, first-seen errors;
// sweeps killed and resumed, abandoned or failed) through the real storage
// and report.Diff, and checks every row and count of every complete run's
// report, and its trend point, against an independent model. A compliance
// officer would notice any mismatch as a wrong row on the report.
//
// Sequences are groups of 1–8 customers living 3–6 runs; many share one
// database history (runs cost the same whatever their size), and each
// worker starts a new database for every history. On a mismatch the test
// shrinks the history to the fewest customers and runs that still show it
// and prints that with the seed (rerun with -modelseed).
func TestDiff_RandomRunSequences_EveryRowMatchesModel(t *testing.T) {
	target := *modelSeqs
	if testing.Short() {
		target = min(target, 500)
	}
	const workers = 2
	empty, err := modelEmptyDB(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	found := map[string]modelFound{}
	var sequences, histories int
	stats := map[string]int{}
	start := time.Now()
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for h := 0; ; h++ {
				mu.Lock()
				done := sequences >= target
				mu.Unlock()
				if done {
					return
				}
				seed := *modelSeed*1000003 + uint64(h*workers+w)
				p := modelGenerate(seed, 14, 20)
				ms, st := modelDrive(p, t.TempDir(), empty)
				mu.Lock()
				sequences += p.Sequences
				histories++
				for k, v := range st {
					stats[k] += v
				}
				for _, m := range ms {
					if _, ok := found[m.Check]; !ok {
						found[m.Check] = modelFound{plan: p, m: m}
					}
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	t.Logf("%d sequences in %d database histories in %v (seed %d)",
		sequences, histories, time.Since(start).Round(time.Millisecond), *modelSeed)
	for _, k := range slices.Sorted(maps.Keys(stats)) {
		t.Logf("  %-40s %d", k, stats[k])
	}
	if sequences < target {
		t.Errorf("only %d sequences driven, want %d", sequences, target)
	}
	for _, check := range slices.Sorted(maps.Keys(found)) {
		f := found[check]
		p, m := modelShrink(t, f.plan, f.m)
		t.Errorf("model and code disagree on %s at run #%d (history seed %d; -modelseed=%d reproduces it)\n%s"+
			"    shrunk sequence:\n%s", m.Check, m.PlanRun+1, f.plan.Seed, *modelSeed, m.Detail, indent(p.String()))
	}
}

type modelFound struct {
	plan *modelPlan
	m    modelMismatch
}

// modelShrink looks for the smallest plan that still shows a mismatch of the
// same check: one customer at a time where the mismatch names customers,
// then without each run in turn.
func modelShrink(t *testing.T, p *modelPlan, m modelMismatch) (*modelPlan, modelMismatch) {
	same := func(q *modelPlan) (modelMismatch, bool) {
		ms, _ := modelDrive(q, t.TempDir(), nil)
		for _, x := range ms {
			if x.Check == m.Check {
				return x, true
			}
		}
		return modelMismatch{}, false
	}
	runs := make([]int, 0, m.PlanRun+1)
	for i := 0; i <= m.PlanRun; i++ {
		runs = append(runs, i)
	}
	all := map[string]bool{}
	for id := range p.Customers {
		all[id] = true
	}
	best, bestM := p.only(all, runs), m
	keep := all
	for _, id := range m.Customers[:min(len(m.Customers), 12)] {
		q := p.only(map[string]bool{id: true}, runs)
		if x, ok := same(q); ok {
			best, bestM, keep = q, x, map[string]bool{id: true}
			break
		}
	}
	if len(keep) > 1 {
		return best, bestM
	}
	for i := len(runs) - 2; i >= 0; i-- {
		fewer := slices.Delete(slices.Clone(runs), i, i+1)
		q := p.only(keep, fewer)
		if x, ok := same(q); ok {
			best, bestM, runs = q, x, fewer
		}
	}
	return best, bestM
}

func indent(s string) string {
	return "    " + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n    ") + "\n"
}
