package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/mcawatch/mcawatch/fetch"
	"github.com/mcawatch/mcawatch/report"
	"github.com/mcawatch/mcawatch/storage"
)

// ErrInterrupted is returned when a sweep was stopped before every customer
// answered; the run is kept as interrupted and can be resumed.
var ErrInterrupted = errors.New("sweep interrupted")

// ErrNothingToResume is returned by a resume when no run is interrupted.
var ErrNothingToResume = errors.New("no interrupted run to resume")

// Progress is told how a sweep advances; a terminal bar or periodic log
// lines implement it. Its methods are called from one goroutine.
type Progress interface {
	Start(total, done int)
	Add(n int)
	Finish()
}

// SweepOptions are the plain values one sweep needs.
type SweepOptions struct {
	Kind      string           // "run", "backfill" or "demo"
	Resume    bool             // continue the newest interrupted run
	Customers []fetch.Customer // the customers to sweep; nil lists them from Partner Center
	Types     []string         // agreement types tracked
	Required  string           // agreement type a customer must have accepted
	Since     time.Time        // on a first run, report acceptances dated since then as new; zero: not set
	// CurrentSince is the agreements.current_since cut-off (midnight UTC);
	// zero turns the outdated check off. The client must be built with the
	// same value.
	CurrentSince time.Time
	// MaxDrop bounds how much of the portfolio one sweep may lose
	// (nil: DefaultDropLimit); AcceptDrop lets an operator confirm a real
	// shrink. See DropError.
	MaxDrop    *DropLimit
	AcceptDrop bool
	// GroupByReseller (customers.group_by: reseller) also lists the
	// partner's indirect resellers and each one's customers, through the
	// same client, and stores each customer's reseller(s) with the run.
	GroupByReseller bool
	Report          report.WriteOptions
	// BatchSize and FlushEvery bound what a killed process can lose: results
	// are committed every BatchSize customers or FlushEvery, whichever first.
	BatchSize  int
	FlushEvery time.Duration
	Progress   Progress
	Logger     *slog.Logger
	Now        func() time.Time
	// Phase, when set, is called as each step of the sweep starts — "list",
	// "begin", "fetch" (which holds every "save" of a batch), "finish", then
	// Render's steps — and the function it returns when the step ends.
	// Benchmarks use it to time and measure the steps.
	Phase func(step string) (end func())
	// Notify, when set, tells people once the report is written and when
	// the sweep fails or is interrupted; it never changes the outcome.
	Notify *Notifier
	// Retention (storage.retention, report.keep) is applied once the
	// report is in place, while the lock is still held; the zero value
	// removes nothing. Its failure never changes the outcome.
	Retention Retention
}

// phase starts step on p, which may be nil.
func phase(p func(string) func(), step string) (end func()) {
	if p == nil {
		return func() {}
	}
	return p(step)
}

// Outcome is what a finished sweep produced.
type Outcome struct {
	Run    storage.Run
	Report *report.Report
	Folder string // the report folder
}

// Sweep runs one sweep end to end: take the database lock, begin (or resume)
// the run, fetch every customer's acceptances while storing the results in
// batches, finish the run, diff it against the previous complete run and
// write the reports. A customer's failure is recorded, not fatal. When ctx is
// cancelled, what was fetched is kept, the run is marked interrupted and the
// error wraps ErrInterrupted.
func Sweep(ctx context.Context, db *storage.DB, client *fetch.Client, opts SweepOptions) (_ *Outcome, err error) {
	opts = sweepDefaults(opts)
	log := opts.Logger
	started := opts.Now()
	var current *storage.Run // the run worked on, once there is one
	defer func() {
		if err != nil {
			opts.Notify.Failure(ctx, db, current, opts.Kind, started, opts.Now(), err, log)
		}
	}()

	// A report folder that cannot be written is found now, not after a
	// sweep of hours whose run could then not be reported.
	if err := CheckReportDir(opts.Report.Dir); err != nil {
		return nil, err
	}
	unlock, err := db.Lock()
	if err != nil {
		return nil, err
	}
	defer func() {
		if err := unlock(); err != nil {
			log.Warn("release database lock", "err", err)
		}
	}()

	run, pending, err := beginOrResume(ctx, db, client, opts)
	if err != nil {
		return nil, err
	}
	current = &run
	log = log.With("run_id", run.ID, "correlation_id", client.CorrelationID())
	log.Info("sweep started", "kind", run.Kind, "customers", run.Customers, "pending", len(pending))

	info := runInfo(ctx, client, opts.Required, log)

	var sweepErr error
	if opts.GroupByReseller {
		endGroup := phase(opts.Phase, "group")
		sweepErr = storeGrouping(ctx, db, client, run, log)
		endGroup()
	}
	if sweepErr == nil {
		endFetch := phase(opts.Phase, "fetch")
		sweepErr = fetchAndStore(ctx, db, client, run, pending, opts, log)
		endFetch()
	}
	if sweepErr != nil {
		state := storage.StateInterrupted
		var storeErr *storeError
		if errors.As(sweepErr, &storeErr) {
			state = storage.StateFailed
		}
		if _, err := db.FinishRun(run.ID, state); err != nil {
			log.Error("mark run", "state", state, "err", err)
		}
		log.Warn("sweep stopped", "state", state, "err", sweepErr, "duration", opts.Now().Sub(started).Round(time.Millisecond))
		if state == storage.StateInterrupted {
			return nil, fmt.Errorf("run %d: %w: %w (resume with --resume)", run.ID, ErrInterrupted, sweepErr)
		}
		return nil, fmt.Errorf("run %d: %w", run.ID, sweepErr)
	}
	// The next sweep starts at the rate the server was found to allow,
	// rather than finding it again; 0 (no 429 measured one) lets it start
	// as a first sweep does.
	info.SettledRate = client.SettledRate()
	if err := db.SetRunInfo(run.ID, info); err != nil {
		log.Warn("store run info", "err", err)
	}
	endFinish := phase(opts.Phase, "finish")
	finished, err := db.FinishRun(run.ID, storage.StateComplete)
	endFinish()
	if err != nil {
		return nil, err // storage's error names the run and where it was left
	}
	run = finished

	// A resumed run reports with the --since it was started with.
	since := opts.Since
	if !run.Since.IsZero() {
		since = run.Since
	}
	opts.Report.RelationshipURL = info.RelationshipURL
	opts.Report.Phase = opts.Phase
	// The run is a baseline of later diffs only once its report is in
	// place: a failure is recorded on the run, and the next sweep reports
	// against the last run whose report exists, so this night's changes
	// are reported then.
	out, err := Render(db, run.ID, 0, RenderOptions{Since: since, Write: opts.Report})
	if err != nil {
		if ferr := db.SetReportFailed(run.ID, err.Error()); ferr != nil {
			log.Error("record report failure", "err", ferr)
		}
		return nil, err
	}
	if err := db.SetReport(run.ID, out.Folder); err != nil {
		return nil, fmt.Errorf("run %d: report written to %s but not recorded: %w", run.ID, out.Folder, err)
	}
	out.Run.ReportDir = out.Folder
	applyRetention(ctx, db, opts, log)
	s, st := out.Report.Summary, client.Stats()
	log.Info("sweep complete",
		"customers", s.Customers, "accepted", s.Accepted, "direct_signed", s.DirectSigned,
		"outdated", s.Outdated, "missing", s.Missing, "newly_outdated", s.NewlyOutdated, "new", s.New, "removed", s.Removed, "errors", s.Errors,
		"joined", s.Joined, "left", s.Left, "requests", st.Requests,
		"throttled", st.Throttled,
		"duration", opts.Now().Sub(started).Round(time.Millisecond), "report_dir", out.Folder)
	opts.Notify.Report(ctx, db, out, log)
	return out, nil
}

// runInfo asks Partner Center for the agreement's current version and the
// relationship-request link: one call each per sweep. Both are informational:
// a failure is logged and the report says "unavailable".
func runInfo(ctx context.Context, client *fetch.Client, required string, log *slog.Logger) storage.RunInfo {
	var info storage.RunInfo
	if templates, err := client.AgreementMetadata(ctx, required); err != nil {
		if ctx.Err() == nil {
			log.Warn("agreement metadata unavailable", "err", err)
		}
	} else if t, ok := fetch.CurrentTemplate(templates); ok {
		info.Agreement = storage.AgreementInfo{Type: t.AgreementType, TemplateID: t.TemplateID, VersionRank: t.VersionRank, Link: t.AgreementLink}
	}
	url, err := client.RelationshipRequestURL(ctx)
	if err != nil && ctx.Err() == nil {
		log.Warn("relationship request link unavailable", "err", err)
	}
	info.RelationshipURL = url
	return info
}

func sweepDefaults(o SweepOptions) SweepOptions {
	if o.Kind == "" {
		o.Kind = "run"
	}
	if len(o.Types) == 0 {
		o.Types = []string{"MicrosoftCustomerAgreement"}
	}
	if o.Required == "" {
		o.Required = o.Types[0]
	}
	if o.BatchSize <= 0 {
		o.BatchSize = 500
	}
	if o.FlushEvery <= 0 {
		o.FlushEvery = 2 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Progress == nil {
		o.Progress = noProgress{}
	}
	return o
}

// beginOrResume returns the run to work on and the customers still to fetch.
func beginOrResume(ctx context.Context, db *storage.DB, client *fetch.Client, opts SweepOptions) (storage.Run, []fetch.Customer, error) {
	if opts.Resume {
		defer phase(opts.Phase, "begin")()
		prev, err := Resumable(db)
		if err != nil {
			return storage.Run{}, nil, err
		}
		// One run, one configuration: a run whose settings changed since it
		// started would mix two sets of answers (false New and Removed rows).
		if changed := SettingsChanged(prev, opts.Types, opts.Required, opts.CurrentSince); len(changed) > 0 {
			return storage.Run{}, nil, fmt.Errorf("run %d was started with other settings (%s): resume it with the settings it started with",
				prev.ID, strings.Join(changed, "; "))
		}
		run, err := db.ResumeRun(prev.ID, client.CorrelationID())
		if err != nil {
			return storage.Run{}, nil, fmt.Errorf("resume run %d: %w", prev.ID, err)
		}
		pending, err := db.PendingCustomers(run.ID)
		if err != nil {
			return storage.Run{}, nil, fmt.Errorf("pending customers of run %d: %w", run.ID, err)
		}
		return run, toFetchCustomers(pending), nil
	}
	customers := opts.Customers
	if customers == nil {
		var err error
		end := phase(opts.Phase, "list")
		customers, err = client.ListCustomers(ctx)
		end()
		if err != nil {
			// Nothing is stored: a list that failed (or came back without
			// items) never becomes a run in which every customer "left".
			return storage.Run{}, nil, fmt.Errorf("list customers: %w; nothing was stored", err)
		}
	}
	if err := checkDrop(db, customers, opts); err != nil {
		return storage.Run{}, nil, err
	}
	defer phase(opts.Phase, "begin")()
	run, err := db.BeginRun(storage.RunSpec{
		Kind:          opts.Kind,
		CorrelationID: client.CorrelationID(),
		Required:      opts.Required,
		Types:         opts.Types,
		Since:         opts.Since,
		CurrentSince:  opts.CurrentSince,
	}, toStorageCustomers(customers))
	if err != nil {
		return storage.Run{}, nil, err
	}
	return run, customers, nil
}

// storeError marks a failure to store results: the run cannot go on, and
// unlike an interruption it is not worth resuming until storage is fixed.
type storeError struct{ err error }

func (e *storeError) Error() string { return "store results: " + e.err.Error() }
func (e *storeError) Unwrap() error { return e.err }

// fetchAndStore sweeps the pending customers and commits their results in
// batches. The fetch callback runs on one goroutine, so the batch needs no
// lock; a batch is committed when full or when FlushEvery has passed, which
// bounds what a killed process loses.
func fetchAndStore(ctx context.Context, db *storage.DB, client *fetch.Client, run storage.Run, pending []fetch.Customer, opts SweepOptions, log *slog.Logger) error {
	opts.Progress.Start(run.Customers, run.Customers-len(pending))
	defer opts.Progress.Finish()

	batch := make([]storage.Result, 0, opts.BatchSize)
	lastFlush := opts.Now()
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		end := phase(opts.Phase, "save")
		err := db.SaveResults(run.ID, batch)
		end()
		if err != nil {
			return &storeError{err}
		}
		log.Debug("saved batch", "results", len(batch))
		batch = batch[:0]
		lastFlush = opts.Now()
		return nil
	}
	err := client.Sweep(ctx, pending, func(r fetch.Result) error {
		batch = append(batch, toStorageResult(r))
		opts.Progress.Add(1)
		if len(batch) >= opts.BatchSize || opts.Now().Sub(lastFlush) >= opts.FlushEvery {
			return flush()
		}
		return nil
	})
	// Keep what was fetched even when the sweep stopped early.
	if ferr := flush(); ferr != nil {
		return errors.Join(err, ferr)
	}
	if err == nil && ctx.Err() != nil {
		err = ctx.Err()
	}
	return err
}

func toStorageResult(r fetch.Result) storage.Result {
	out := storage.Result{
		Customer: storage.Customer{
			ID:           strings.ToLower(r.Customer.ID),
			CompanyName:  r.Customer.CompanyName,
			Domain:       r.Customer.Domain,
			Relationship: r.Customer.Relationship,
		},
		Status:   storage.StatusOK,
		Attempts: r.Attempts,
	}
	if r.Err != nil {
		out.Status = storage.StatusError
		out.HTTPStatus, out.ErrorCode, out.Message = fetch.ErrorFields(r.Err)
		return out
	}
	if r.DirectSigned != nil {
		out.DirectSigned = storage.DirectNotSigned
		if *r.DirectSigned {
			out.DirectSigned = storage.DirectSigned
		}
	}
	for _, a := range r.Agreements {
		out.Acceptances = append(out.Acceptances, storage.Acceptance{
			Type:          a.Type,
			DateAgreed:    a.DateAgreed.UTC(),
			TemplateID:    a.TemplateID,
			ContactName:   strings.TrimSpace(a.Contact.FirstName + " " + a.Contact.LastName),
			ContactEmail:  a.Contact.Email,
			ContactPhone:  a.Contact.Phone,
			AgreementLink: a.AgreementLink,
			UserID:        a.UserID,
		})
	}
	return out
}

func toStorageCustomers(cs []fetch.Customer) []storage.Customer {
	out := make([]storage.Customer, len(cs))
	for i, c := range cs {
		out[i] = storage.Customer{ID: strings.ToLower(c.ID), CompanyName: c.CompanyName, Domain: c.Domain, Relationship: c.Relationship}
	}
	return out
}

func toFetchCustomers(cs []storage.Customer) []fetch.Customer {
	out := make([]fetch.Customer, len(cs))
	for i, c := range cs {
		out[i] = fetch.Customer{ID: c.ID, CompanyName: c.CompanyName, Domain: c.Domain, Relationship: c.Relationship}
	}
	return out
}

type noProgress struct{}

func (noProgress) Start(int, int) {}
func (noProgress) Add(int)        {}
func (noProgress) Finish()        {}
