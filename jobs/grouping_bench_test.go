package jobs

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/mcawatch/mcawatch/fetch"
	"github.com/mcawatch/mcawatch/fetch/pctest"
	"github.com/mcawatch/mcawatch/report"
	"github.com/mcawatch/mcawatch/storage"
)

// BenchmarkSweep_GroupByReseller is one whole grouped sweep of 100,000
// customers under 2,000 resellers through the real client, on SQLite, with
// the report: it reports the grouping's requests against the sweep's
// (grouping-%) and the time of each step. Run alone:
// go test -run=X -bench=GroupByReseller -benchtime=1x ./jobs.
func BenchmarkSweep_GroupByReseller(b *testing.B) {
	srv := pctest.New(pctest.Options{Customers: 100_000, Resellers: 2_000, Seed: 3, Token: testToken})
	b.Cleanup(srv.Close)
	for b.Loop() {
		dir := b.TempDir()
		db, err := storage.Open(filepath.Join(dir, "m.db"), storage.Options{})
		if err != nil {
			b.Fatal(err)
		}
		client, err := fetch.New(fetch.Options{BaseURL: srv.URL(), Token: fetch.StaticToken(testToken),
			Concurrency: 16, Timeout: 30 * time.Second, CurrentSince: time.Date(2023, 4, 1, 0, 0, 0, 0, time.UTC)})
		if err != nil {
			b.Fatal(err)
		}
		steps := map[string]time.Duration{}
		_, err = Sweep(context.Background(), db, client, SweepOptions{
			GroupByReseller: true, CurrentSince: time.Date(2023, 4, 1, 0, 0, 0, 0, time.UTC),
			Report: report.WriteOptions{Dir: filepath.Join(dir, "reports"), SplitByReseller: true},
			Phase: func(step string) func() {
				start := time.Now()
				return func() { steps[step] += time.Since(start) }
			},
		})
		if err != nil {
			b.Fatal(err)
		}
		run, err := db.LatestRun(storage.StateComplete)
		if err != nil {
			b.Fatal(err)
		}
		g, err := db.LoadGrouping(run.ID)
		if err != nil {
			b.Fatal(err)
		}
		all := client.Stats().Requests
		b.ReportMetric(float64(g.Requests), "grouping-requests")
		b.ReportMetric(float64(all-g.Requests), "sweep-requests")
		b.ReportMetric(100*float64(g.Requests)/float64(all-g.Requests), "grouping-%")
		for _, s := range []string{"list", "group", "fetch", "xlsx", "csv", "split"} {
			b.ReportMetric(steps[s].Seconds(), s+"-s")
		}
		db.Close()
	}
}
