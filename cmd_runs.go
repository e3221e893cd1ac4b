package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/mcawatch/mcawatch/storage"
)

// runJSON is one run in `runs --json`. The standing counts are null for a
// run that is not complete: its customers were never judged.
type runJSON struct {
	ID          int64      `json:"id"`
	Kind        string     `json:"kind"`
	State       string     `json:"state"`
	Started     time.Time  `json:"started"`
	Finished    *time.Time `json:"finished"`
	Customers   int        `json:"customers"`
	Done        int        `json:"done"`
	Errors      int        `json:"errors"`
	Accepted    *int       `json:"accepted"`
	Outdated    *int       `json:"outdated"`
	Missing     *int       `json:"missing"`
	ReportDir   string     `json:"report_dir,omitempty"`
	ReportErr   string     `json:"report_error,omitempty"`
	Correlation string     `json:"correlation_id"`
}

// runRuns is "mcawatch runs": a table of the stored runs, newest first,
// with each complete run's missing, outdated and error counts; --json
// prints them as a JSON array.
func (m *Main) runRuns(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("runs", flag.ContinueOnError)
	fs.SetOutput(m.Stderr)
	var c commonFlags
	c.register(fs, false)
	asJSON := fs.Bool("json", false, "print the runs as a JSON array, newest first")
	if err := parseArgs(fs, args); err != nil {
		return err
	}
	_, db, err := m.openStore(c)
	if err != nil {
		return err
	}
	defer db.Close()
	runs, err := db.ListRuns()
	if err != nil {
		return err
	}
	counts, err := db.RunCounts(ctx)
	if err != nil {
		return err
	}
	if *asJSON {
		out := make([]runJSON, 0, len(runs))
		for _, r := range runs {
			out = append(out, runAsJSON(r, counts[r.ID]))
		}
		enc := json.NewEncoder(m.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RUN\tKIND\tSTATE\tSTARTED (UTC)\tDURATION\tCUSTOMERS\tDONE\tMISSING\tOUTDATED\tERRORS")
	for _, r := range runs {
		dur := "-"
		if !r.Finished.IsZero() {
			dur = r.Finished.Sub(r.Started).Round(time.Second).String()
		}
		missing, outdated := "-", "-"
		if n := counts[r.ID]; n.Judged {
			missing, outdated = strconv.Itoa(n.Missing), strconv.Itoa(n.Outdated)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%d\t%d\t%s\t%s\t%d\n", r.ID, r.Kind, r.State,
			r.Started.UTC().Format("2006-01-02 15:04:05"), dur, r.Customers, r.Done, missing, outdated, r.Errors)
	}
	return tw.Flush()
}

// runAsJSON is r with its counts n, for `runs --json`.
func runAsJSON(r storage.Run, n storage.RunCounts) runJSON {
	j := runJSON{ID: r.ID, Kind: r.Kind, State: string(r.State), Started: r.Started.UTC(), Customers: r.Customers,
		Done: r.Done, Errors: r.Errors, ReportDir: r.ReportDir, ReportErr: r.ReportError, Correlation: r.CorrelationID}
	if !r.Finished.IsZero() {
		f := r.Finished.UTC()
		j.Finished = &f
	}
	if n.Judged {
		j.Accepted, j.Outdated, j.Missing = &n.Accepted, &n.Outdated, &n.Missing
	}
	return j
}
