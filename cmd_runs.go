package main

import (
	"context"
	"flag"
	"fmt"
	"text/tabwriter"
	"time"
)

// runRuns is "mcawatch runs": a table of the stored runs, newest first.
func (m *Main) runRuns(_ context.Context, args []string) error {
	fs := flag.NewFlagSet("runs", flag.ContinueOnError)
	fs.SetOutput(m.Stderr)
	var c commonFlags
	c.register(fs, false)
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
	tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RUN\tKIND\tSTATE\tSTARTED (UTC)\tDURATION\tCUSTOMERS\tDONE\tERRORS")
	for _, r := range runs {
		dur := "-"
		if !r.Finished.IsZero() {
			dur = r.Finished.Sub(r.Started).Round(time.Second).String()
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%d\t%d\t%d\n", r.ID, r.Kind, r.State,
			r.Started.UTC().Format("2006-01-02 15:04:05"), dur, r.Customers, r.Done, r.Errors)
	}
	return tw.Flush()
}
