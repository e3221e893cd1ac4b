// Command mcawatch finds which of a Microsoft CSP partner's customers have
// not accepted the Microsoft Customer Agreement, and which acceptances are
// new or re-dated, and writes it as Excel and CSV reports.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	// The zone database is embedded so that CRON_TZ=Europe/Stockholm works in
	// a container without zoneinfo.
	_ "time/tzdata"
)

// version is stamped by the build (-ldflags "-X main.version=…").
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := NewMain().Run(ctx, os.Args[1:])
	stop()
	os.Exit(code)
}

// Main holds what the subcommands share: the process's streams, environment
// and clock, so tests can run the whole program in-process.
type Main struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	Getenv func(string) string
	Now    func() time.Time
}

// NewMain returns a Main wired to the process.
func NewMain() *Main {
	return &Main{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv, Now: time.Now}
}

// exitError carries an exit status other than 1.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

const usage = `mcawatch reports which customers have not accepted the Microsoft Customer Agreement.

Usage:
  mcawatch demo     [--out DIR] [--customers N]       a whole sweep against the built-in Partner Center
  mcawatch run      [--config FILE] [--out DIR] [--db FILE] [--json] [--fail-on missing|changes]
  mcawatch backfill [same as run] [--since DATE] [--resume]
  mcawatch serve    [--config FILE]                   sweeps on the configured cron schedule
  mcawatch report   [--run ID] [--against ID] [--out DIR] [--db FILE]
  mcawatch runs     [--db FILE]                       lists stored runs
  mcawatch bench    [--customers N,N] [--throttle R]  measures the whole job against the built-in Partner Center
  mcawatch version

Run "mcawatch COMMAND -h" for a command's flags.
Exit status: 0 success, 1 error, 3 when --fail-on matched.
`

// Run runs the subcommand named by args[0] and returns the exit status.
func (m *Main) Run(ctx context.Context, args []string) int {
	if len(args) == 0 {
		fmt.Fprint(m.Stderr, usage)
		return 1
	}
	var err error
	switch cmd, rest := args[0], args[1:]; cmd {
	case "demo":
		err = m.runDemo(ctx, rest)
	case "run", "backfill":
		err = m.runSweep(ctx, cmd, rest)
	case "serve":
		err = m.runServe(ctx, rest)
	case "report":
		err = m.runReport(ctx, rest)
	case "runs":
		err = m.runRuns(ctx, rest)
	case "bench":
		err = m.runBench(ctx, rest)
	case "version":
		fmt.Fprintln(m.Stdout, "mcawatch", version)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(m.Stdout, usage)
	default:
		fmt.Fprintf(m.Stderr, "mcawatch: unknown command %q\n\n%s", cmd, usage)
		return 1
	}
	var ee *exitError
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ee):
		if ee.msg != "" {
			fmt.Fprintln(m.Stderr, "mcawatch:", ee.msg)
		}
		return ee.code
	default:
		fmt.Fprintln(m.Stderr, "mcawatch:", err)
		return 1
	}
}
