package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/mcawatch/mcawatch/fetch"
	"github.com/mcawatch/mcawatch/fetch/pctest"
	"github.com/mcawatch/mcawatch/jobs"
	"github.com/mcawatch/mcawatch/report"
	"github.com/mcawatch/mcawatch/storage"
)

// runDemo is "mcawatch demo": two whole sweeps against the built-in Partner
// Center on loopback, with portfolio changes between them, writing real
// reports. No config, no credentials, no network.
func (m *Main) runDemo(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(m.Stderr)
	out := fs.String("out", "mcawatch-demo", "`dir`ectory for the demo database and reports")
	n := fs.Int("customers", 500, "customers in the generated portfolio")
	logLevel := fs.String("log-level", "warn", "log level: debug, info, warn or error")
	indirect := fs.Bool("indirect", false, "play an indirect provider: customers reached through indirect resellers, the report grouped by reseller and split into one folder per reseller")
	if err := parseArgs(fs, args); err != nil {
		return err
	}
	if *n < 1 || *n > 1_000_000 {
		return fmt.Errorf("demo: --customers %d: want 1 to 1000000", *n)
	}
	log, err := m.newLogger(*logLevel)
	if err != nil {
		return err
	}

	resellers := 0
	if *indirect {
		resellers = demoResellers(*n)
	}
	srv := newDemoServerWith(*n, resellers)
	defer srv.Close()

	if err := os.MkdirAll(*out, 0o750); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	dbPath := filepath.Join(*out, "demo.db")
	for _, suffix := range []string{"", "-wal", "-shm", ".lock"} {
		if err := os.Remove(dbPath + suffix); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("demo: remove the previous demo database: %w", err)
		}
	}
	db, err := storage.Open(dbPath, storage.Options{})
	if err != nil {
		return fmt.Errorf("open database: %w", err)
	}
	defer db.Close()

	sweep := func() (*jobs.Outcome, error) {
		client, err := fetch.New(fetch.Options{
			BaseURL: srv.URL(),
			Token:   fetch.StaticToken(demoToken),
			// The demo runs with the default cut-off, as a new user's config would.
			CurrentSince: demoCurrentSince,
			Version:      version,
			Logger:       log,
		})
		if err != nil {
			return nil, err
		}
		return jobs.Sweep(ctx, db, client, jobs.SweepOptions{
			Kind:            "demo",
			CurrentSince:    demoCurrentSince,
			GroupByReseller: *indirect,
			Report:          report.WriteOptions{Dir: filepath.Join(*out, "reports"), SplitByReseller: *indirect},
			Logger:          log,
			Now:             m.Now,
		})
	}
	started := m.Now()
	first, err := sweep()
	if err != nil {
		return err
	}
	changes := evolveDemo(srv, *n)
	second, err := sweep()
	if err != nil {
		return err
	}
	s := second.Report.Summary
	st := srv.Stats()
	fmt.Fprintf(m.Stdout, `mcawatch demo: two sweeps of %d customers against the built-in Partner Center (%s)
  between the sweeps: %d accepted, %d accepted the current agreement again, %d re-dated, %d lost their agreement, %d joined, %d left
  second sweep: %d accepted (%d direct-signed), %d outdated, %d missing, %d new or re-dated, %d removed, %d errors, %d joined, %d left
  blocked for orders: %d customers: %d missing (never accepted the Microsoft Customer Agreement), %d outdated (accepted it before %s: they must accept the current version)
  Partner Center answered %d requests, %d of them 429 (throttled); every failure was retried or reported
  first report:  %s
  second report: %s  (open report.xlsx; the CSV files hold the same rows)
%s
`, *n, m.Now().Sub(started).Round(time.Millisecond),
		len(changes.Accepted), len(changes.Reaccepted), len(changes.Redated), len(changes.Removed), len(changes.Joined), len(changes.Left),
		s.Accepted, s.DirectSigned, s.Outdated, s.Missing, s.New, s.Removed, s.Errors, s.Joined, s.Left,
		s.Blocked, s.Missing, s.Outdated, demoCurrentSince.Format(time.DateOnly),
		st.Requests, st.Throttled, first.Folder, second.Folder, second.Folder)
	if *indirect {
		printResellers(m, second)
	}
	return nil
}

// demoResellers is how many indirect resellers the --indirect demo's
// provider has: one per 50 customers, and at least enough for every name
// that is unsafe in a folder name.
func demoResellers(customers int) int {
	return max(len(pctest.SpecialResellerNames()), customers/50)
}

// printResellers says how the --indirect demo's report is broken down.
func printResellers(m *Main, out *jobs.Outcome) {
	rows := out.Report.Resellers
	fmt.Fprintf(m.Stdout, "  by reseller: %d groups on the Resellers sheet (resellers.csv), one folder per reseller in %s\n",
		len(rows), filepath.Join(out.Folder, report.SplitDir))
	if len(rows) > 0 && rows[0].Blocked > 0 {
		fmt.Fprintf(m.Stdout, "  most blocked: %s (%s) with %d of %d customers blocked for orders\n",
			rows[0].Name, rows[0].ID, rows[0].Blocked, rows[0].Customers)
	}
}

const demoToken = "mcawatch-demo-token"

// demoCurrentSince is the demo's agreements.current_since: the default.
var demoCurrentSince = time.Date(2023, 4, 1, 0, 0, 0, 0, time.UTC)

// newDemoServer is the demo's Partner Center: a generated portfolio of n
// customers with some throttling, a little noise and three customers that
// always fail, so every sheet of the report has something to show. It is
// deterministic, so tests can build the same one and know what the demo
// must report.
func newDemoServer(n int) *pctest.Server { return newDemoServerWith(n, 0) }

// newDemoServerWith is newDemoServer playing an indirect provider with
// resellers resellers (0: a direct partner). The customers are the same
// either way.
func newDemoServerWith(n, resellers int) *pctest.Server {
	srv := pctest.New(pctest.Options{Customers: n, Seed: 1, Token: demoToken, Resellers: resellers})
	faults := pctest.Faults{
		Latency:  2 * time.Millisecond,
		Throttle: 600,
		Rates:    map[pctest.Fault]float64{pctest.Fault503: 0.01, pctest.FaultReset: 0.005},
	}
	if cs := srv.Customers(); len(cs) >= 20 {
		faults.Customers = map[string]pctest.Fault{
			cs[7].ID:  pctest.Fault403,
			cs[11].ID: pctest.Fault404,
			cs[13].ID: pctest.FaultMalformed,
		}
	}
	srv.SetFaults(faults)
	return srv
}

// evolveDemo makes the portfolio changes between the demo's two sweeps.
func evolveDemo(srv *pctest.Server, n int) pctest.Changes {
	return srv.Evolve(2, max(1, n/100))
}
