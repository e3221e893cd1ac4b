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

	"github.com/mcawatch/mcawatch/fetch"
	"github.com/mcawatch/mcawatch/storage"

	// The zone database is embedded so that CRON_TZ=Europe/Stockholm works in
	// a container without zoneinfo.
	_ "time/tzdata"
)

// version is this build's version (see buildVersion).
var version = buildVersion()

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

	// NotifySleep waits between a notification's retries; nil: a real timer.
	NotifySleep func(ctx context.Context, d time.Duration) error

	// logFormatFlag is --log-format, taken out of the arguments by Run
	// because every command accepts it; "" chooses by the terminal.
	logFormatFlag string
}

// NewMain returns a Main wired to the process.
func NewMain() *Main {
	return &Main{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv, Now: time.Now}
}

// The exit statuses, distinct so that cron and Kubernetes can tell them apart.
const (
	exitOK          = 0
	exitError       = 1   // runtime error: storage, network, an unexpected failure
	exitUsage       = 2   // bad flags, config or customers file
	exitFailOn      = 3   // --fail-on matched; the report is written
	exitAuth        = 4   // authentication failed
	exitLocked      = 5   // another sweep holds the database
	exitInterrupted = 130 // SIGINT or SIGTERM; the run is kept as interrupted
)

// statusError carries an exit status chosen where the error arose.
type statusError struct {
	code int
	msg  string
}

func (e *statusError) Error() string { return e.msg }

// usageError is a problem with the command line, the config or the
// customers file: exit status 2.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// usage marks err, if not nil, as a usage or configuration error.
func usage(err error) error {
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return err
	}
	return &usageError{err}
}

const usageText = `mcawatch reports which customers have not accepted the Microsoft Customer Agreement.

Usage:
  mcawatch demo     [--out DIR] [--customers N] [--indirect]  two sweeps against the built-in Partner Center
  mcawatch run      [--config FILE] [--out DIR] [--db FILE] [--json] [--fail-on missing|outdated|changes] [--accept-drop] [--resume] [--metrics-file F]
  mcawatch backfill [same as run] [--since DATE]
  mcawatch serve    [--config FILE] [--now]           sweeps on the configured cron schedule; /healthz, /metrics on serve.listen
  mcawatch report   [--run ID] [--against ID] [--out DIR] [--db FILE]
  mcawatch runs     [--db FILE] [--json]              lists stored runs with their missing, outdated and error counts
  mcawatch history  CUSTOMER-ID [--db FILE] [--json]  one customer's standing, acceptances and errors across the stored runs
  mcawatch prune    [--config FILE] [--db FILE] [--out DIR] [--dry-run]  applies storage.retention and report.keep now
  mcawatch bench    [--customers N,N] [--throttle R]  measures the whole job against the built-in Partner Center
  mcawatch notify   --test [--config FILE]            sends a test message to every notify channel
  mcawatch check    [--config FILE]                   checks config, database, token and one Partner Center call
  mcawatch version                                    (or --version) the version this binary was built as

Every command takes --log-format text|json (default: text on a terminal, JSON
otherwise). Run "mcawatch COMMAND -h" for a command's flags.

Exit status:
  0    success (customers that failed are on the Errors sheet)
  1    runtime error: storage, network, an unexpected failure
  2    usage or configuration error: bad flags, config, customers file
  3    --fail-on matched (the report is written)
  4    authentication failed: token refused, refresh token expired, MFA claim missing
  5    another sweep holds the database
  130  interrupted by SIGINT/SIGTERM (the run is kept as interrupted: --resume)
`

// Run runs the subcommand named by args[0] and returns the exit status.
func (m *Main) Run(ctx context.Context, args []string) int {
	format, args, err := takeLogFormat(args)
	if err != nil {
		fmt.Fprintln(m.Stderr, "mcawatch:", err)
		return exitUsage
	}
	m.logFormatFlag = format
	if len(args) == 0 {
		fmt.Fprint(m.Stderr, usageText)
		return exitUsage
	}
	if wantsHelp(args[1:]) {
		fmt.Fprint(m.Stderr, helpHeader(args[0]))
	}
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
	case "history":
		err = m.runHistory(ctx, rest)
	case "prune":
		err = m.runPrune(ctx, rest)
	case "bench":
		err = m.runBench(ctx, rest)
	case "notify":
		err = m.runNotify(ctx, rest)
	case "check":
		err = m.runCheck(ctx, rest)
	case "version", "--version", "-version":
		err = m.runVersion(ctx, rest)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(m.Stdout, usageText)
	default:
		fmt.Fprintf(m.Stderr, "mcawatch: unknown command %q\n\n%s", cmd, usageText)
		return exitUsage
	}
	code := exitCode(ctx, err)
	if code != exitOK && err.Error() != "" {
		m.printFatal(err, code)
	}
	return code
}

// exitCode maps the error a command returned to the exit status in
// DESIGN.md's table. A signal wins over the error it caused (a cancelled
// request, an interrupted run); an authentication failure wins over the
// interrupted run it leaves behind.
func exitCode(ctx context.Context, err error) int {
	var se *statusError
	var ue *usageError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.As(err, &se):
		return se.code
	case errors.As(err, &ue):
		return exitUsage
	case errors.Is(err, storage.ErrLocked):
		return exitLocked
	case ctx.Err() != nil:
		return exitInterrupted
	case errors.Is(err, fetch.ErrUnauthorized), errors.Is(err, fetch.ErrMFARequired):
		return exitAuth
	default:
		return exitError
	}
}
