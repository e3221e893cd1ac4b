package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/mcawatch/mcawatch/config"
	"github.com/mcawatch/mcawatch/fetch"
	"github.com/mcawatch/mcawatch/jobs"
	"github.com/mcawatch/mcawatch/report"
	"github.com/mcawatch/mcawatch/storage"
)

// commonFlags are the flags every command that reads the config shares.
type commonFlags struct {
	config   string
	db       string
	out      string
	logLevel string
}

func (c *commonFlags) register(fs *flag.FlagSet, withOut bool) {
	fs.StringVar(&c.config, "config", "", "config `file` (default $MCAWATCH_CONFIG, else ./mcawatch.yaml if present)")
	fs.StringVar(&c.db, "db", "", "SQLite database `file` (overrides storage.path)")
	if withOut {
		fs.StringVar(&c.out, "out", "", "report `dir`ectory (overrides report.dir)")
	}
	fs.StringVar(&c.logLevel, "log-level", "", "log level: debug, info, warn or error (overrides log.level)")
}

// load reads the config and applies the flag overrides.
func (m *Main) load(c commonFlags) (config.Config, error) {
	cfg, err := config.Load(c.config, m.Getenv)
	if err != nil {
		return cfg, usage(err)
	}
	if c.db != "" {
		cfg.Storage.Path = c.db
	}
	if c.out != "" {
		cfg.Report.Dir = c.out
	}
	if c.logLevel != "" {
		cfg.Log.Level = c.logLevel
	}
	return cfg, nil
}

// parseArgs parses a command's flags and refuses stray arguments.
func parseArgs(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return usage(err)
	}
	if fs.NArg() > 0 {
		return usage(fmt.Errorf("%s: unexpected argument %q", fs.Name(), fs.Arg(0)))
	}
	return nil
}

// loadForSweep loads the config for a command that talks to Partner
// Center: its secrets must be present, and it logs as the config says.
func (m *Main) loadForSweep(c commonFlags) (config.Config, *slog.Logger, error) {
	cfg, err := m.load(c)
	if err != nil {
		return cfg, nil, err
	}
	if err := cfg.CheckSecrets(); err != nil {
		return cfg, nil, usage(err)
	}
	if err := cfg.CheckNotifySecrets(); err != nil {
		return cfg, nil, usage(err)
	}
	log, err := m.newLogger(cfg.Log.Level)
	return cfg, log, usage(err)
}

// openStore loads the config and opens its database, for the commands that
// only read stored runs.
func (m *Main) openStore(c commonFlags) (config.Config, *storage.DB, error) {
	cfg, err := m.load(c)
	if err != nil {
		return cfg, nil, err
	}
	log, err := m.newLogger(cfg.Log.Level)
	if err != nil {
		return cfg, nil, usage(err)
	}
	db, err := openDB(cfg, log, true)
	return cfg, db, err
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// tokenSource builds the Partner Center credentials the config asks for.
func tokenSource(cfg config.Config) (fetch.TokenSource, error) {
	if cfg.Auth.Mode() == "refresh" {
		return fetch.NewRefreshTokenSource(fetch.RefreshConfig{
			TokenURL:     cfg.Auth.TokenEndpoint(),
			TenantID:     cfg.Auth.TenantID,
			ClientID:     cfg.Auth.ClientID,
			ClientSecret: cfg.Auth.ClientSecret,
			Store:        fetch.NewFileTokenStore(cfg.Auth.RefreshTokenFile),
		})
	}
	return fetch.StaticToken(cfg.Auth.AccessToken), nil
}

// agreementSettings are the settings a run is judged by; a resumed run
// keeps those it was started with.
type agreementSettings struct {
	types        []string
	required     string
	currentSince time.Time
}

// newClient builds a Partner Center client for one sweep.
func newClient(cfg config.Config, log *slog.Logger, set agreementSettings, initialRate float64) (*fetch.Client, error) {
	ts, err := tokenSource(cfg)
	if err != nil {
		return nil, err
	}
	return fetch.New(fetch.Options{
		BaseURL:      cfg.PartnerCenter.BaseURL,
		Token:        ts,
		Timeout:      cfg.Fetch.Timeout.Duration,
		MaxAttempts:  cfg.Fetch.MaxAttempts,
		Concurrency:  cfg.Fetch.Concurrency,
		PageSize:     cfg.Fetch.PageSize,
		Locale:       cfg.PartnerCenter.Locale,
		Version:      version,
		Types:        set.types,
		Required:     set.required,
		CurrentSince: set.currentSince,
		InitialRate:  initialRate,
		Logger:       log,
	})
}

// sweepSetup is what a sweep needs, prepared from the config.
type sweepSetup struct {
	customers []fetch.Customer
	client    *fetch.Client
	db        *storage.DB
	settings  agreementSettings
	maxDrop   jobs.DropLimit
	notify    *jobs.Notifier // nil: no notify channel configured
	groupBy   bool           // customers.group_by: reseller
	retention jobs.Retention // storage.retention and report.keep
}

// options are the SweepOptions the setup fixes.
func (s *sweepSetup) options() jobs.SweepOptions {
	return jobs.SweepOptions{
		Customers:       s.customers,
		Types:           s.settings.types,
		Required:        s.settings.required,
		CurrentSince:    s.settings.currentSince,
		MaxDrop:         &s.maxDrop,
		Notify:          s.notify,
		GroupByReseller: s.groupBy,
		Retention:       s.retention,
	}
}

// prepareSweep reads the customers file (unless resuming, which sweeps the
// stored run's list), opens the database and builds the client. The file is
// read first so a bad one changes nothing and costs no request. A resumed
// run is judged by the settings it was started with, whatever the config
// says now; a new sweep's request rate starts where the newest run's
// settled.
func prepareSweep(cfg config.Config, log *slog.Logger, resume bool) (*sweepSetup, error) {
	s := &sweepSetup{}
	if cfg.Customers.Source == "file" && !resume {
		var err error
		if s.customers, err = jobs.ReadCustomersFile(cfg.Customers.File); err != nil {
			return nil, usage(err)
		}
	}
	currentSince, err := cfg.Agreements.CurrentSinceTime()
	if err != nil {
		return nil, usage(fmt.Errorf("agreements.current_since: %w", err))
	}
	percent, count, err := cfg.Customers.DropLimit()
	if err != nil {
		return nil, usage(fmt.Errorf("customers.max_drop: %w", err))
	}
	s.maxDrop = jobs.DropLimit{Percent: percent, Count: count}
	s.groupBy = cfg.Customers.GroupBy == config.GroupByReseller
	s.retention = retention(cfg)
	s.settings = agreementSettings{types: cfg.Agreements.Types, required: cfg.Agreements.Required, currentSince: currentSince}
	if s.notify, err = newNotifier(cfg); err != nil {
		return nil, err
	}
	if s.db, err = openDB(cfg, log, false); err != nil {
		return nil, err
	}
	ok := false
	defer func() {
		if !ok {
			s.db.Close()
		}
	}()
	var rate float64
	if last, err := s.db.LatestRun(storage.StateComplete); err == nil {
		rate = last.SettledRate
	}
	if resume {
		run, err := resumable(s.db)
		if err != nil {
			return nil, err
		}
		stored := agreementSettings{types: run.Types, required: run.Required, currentSince: run.CurrentSince}
		if changed := jobs.SettingsChanged(run, s.settings.types, s.settings.required, s.settings.currentSince); len(changed) > 0 {
			log.Warn("resuming with the settings the run was started with; the config's apply from the next run",
				"run_id", run.ID, "changed", strings.Join(changed, "; "))
		}
		s.settings = stored
		if run.SettledRate > 0 {
			rate = run.SettledRate
		}
	}
	if s.client, err = newClient(cfg, log, s.settings, rate); err != nil {
		return nil, err
	}
	ok = true
	return s, nil
}

// resumable finds the run --resume will continue. The database lock is
// taken for the look, because taking it marks the runs of a killed process
// interrupted; jobs.Sweep takes it again and checks the run's settings.
func resumable(db *storage.DB) (storage.Run, error) {
	unlock, err := db.Lock()
	if err != nil {
		return storage.Run{}, err
	}
	run, err := jobs.Resumable(db)
	if uerr := unlock(); err == nil && uerr != nil {
		return storage.Run{}, fmt.Errorf("release database lock: %w", uerr)
	}
	return run, err
}

// openDB opens the configured database. readOnly never creates one: the
// commands that only read name the missing file instead.
func openDB(cfg config.Config, log *slog.Logger, readOnly bool) (*storage.DB, error) {
	db, err := storage.Open(cfg.Storage.Path, storage.Options{ReadOnly: readOnly, Logger: log})
	if readOnly && errors.Is(err, fs.ErrNotExist) {
		return nil, usage(fmt.Errorf("no database at %s: check --db or storage.path (a command that only reads never creates one)", cfg.Storage.Path))
	}
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	return db, nil
}

func writeOptions(cfg config.Config) report.WriteOptions {
	return report.WriteOptions{Dir: cfg.Report.Dir, Formats: cfg.Report.Formats, CSVBOM: cfg.Report.CSVBOM,
		SplitByReseller: cfg.Report.SplitByReseller}
}

// parseFailOn checks a --fail-on value.
func parseFailOn(v string) (string, error) {
	switch v = strings.TrimSpace(v); v {
	case "", "missing", "outdated", "changes":
		return v, nil
	}
	return "", usage(fmt.Errorf("--fail-on %q: want missing, outdated or changes", v))
}

// failOn returns the exit error --fail-on asks for, if the report has such rows.
func failOn(mode string, s report.Summary) error {
	switch {
	case mode == "missing" && s.Missing > 0:
		return &statusError{code: exitFailOn, msg: fmt.Sprintf("%d customers are missing an acceptance (--fail-on missing)", s.Missing)}
	case mode == "outdated" && s.Missing+s.Outdated > 0:
		return &statusError{code: exitFailOn, msg: fmt.Sprintf("%d customers are blocked for orders: %d missing an acceptance, %d with an outdated one (--fail-on outdated)", s.Missing+s.Outdated, s.Missing, s.Outdated)}
	case mode == "changes" && s.Changed():
		return &statusError{code: exitFailOn, msg: fmt.Sprintf("changes since the previous run: %d new, %d removed, %d newly missing, %d newly outdated (--fail-on changes)", s.New, s.Removed, s.NewlyMissing, s.NewlyOutdated)}
	}
	return nil
}
