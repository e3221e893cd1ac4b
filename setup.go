package main

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

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
		return cfg, err
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
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%s: unexpected argument %q", fs.Name(), fs.Arg(0))
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
		return cfg, nil, err
	}
	log, err := newLogger(m.Stderr, cfg.Log.Level)
	return cfg, log, err
}

// openStore loads the config and opens its database, for the commands that
// only read stored runs.
func (m *Main) openStore(c commonFlags) (config.Config, *storage.DB, error) {
	cfg, err := m.load(c)
	if err != nil {
		return cfg, nil, err
	}
	db, err := openDB(cfg)
	return cfg, db, err
}

// newLogger writes to stderr: text on a terminal, JSON otherwise, so a
// person reads it easily and a log collector parses it reliably.
func newLogger(w io.Writer, level string) (*slog.Logger, error) {
	var lv slog.Level
	if level == "" {
		level = "info"
	}
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("log level %q: want debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: lv}
	if isTerminal(w) {
		return slog.New(slog.NewTextHandler(w, opts)), nil
	}
	return slog.New(slog.NewJSONHandler(w, opts)), nil
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

// newClient builds a Partner Center client for one sweep.
func newClient(cfg config.Config, log *slog.Logger) (*fetch.Client, error) {
	ts, err := tokenSource(cfg)
	if err != nil {
		return nil, err
	}
	return fetch.New(fetch.Options{
		BaseURL:     cfg.PartnerCenter.BaseURL,
		Token:       ts,
		Timeout:     cfg.Fetch.Timeout.Duration,
		MaxAttempts: cfg.Fetch.MaxAttempts,
		Concurrency: cfg.Fetch.Concurrency,
		PageSize:    cfg.Fetch.PageSize,
		Locale:      cfg.PartnerCenter.Locale,
		Version:     version,
		Types:       cfg.Agreements.Types,
		Required:    cfg.Agreements.Required,
		Logger:      log,
	})
}

// prepareSweep reads the customers file (unless resuming, which sweeps the
// stored run's list), then builds the client and opens the database. The
// file is read first so a bad one changes nothing and costs no request.
func prepareSweep(cfg config.Config, log *slog.Logger, resume bool) ([]fetch.Customer, *fetch.Client, *storage.DB, error) {
	var customers []fetch.Customer
	if cfg.Customers.Source == "file" && !resume {
		var err error
		if customers, err = jobs.ReadCustomersFile(cfg.Customers.File); err != nil {
			return nil, nil, nil, err
		}
	}
	client, err := newClient(cfg, log)
	if err != nil {
		return nil, nil, nil, err
	}
	db, err := openDB(cfg)
	if err != nil {
		return nil, nil, nil, err
	}
	return customers, client, db, nil
}

func openDB(cfg config.Config) (*storage.DB, error) {
	db, err := storage.Open(cfg.Storage.Path, storage.Options{})
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	return db, nil
}

func writeOptions(cfg config.Config) report.WriteOptions {
	return report.WriteOptions{Dir: cfg.Report.Dir, Formats: cfg.Report.Formats}
}

// parseFailOn checks a --fail-on value.
func parseFailOn(v string) (string, error) {
	switch v = strings.TrimSpace(v); v {
	case "", "missing", "changes":
		return v, nil
	}
	return "", fmt.Errorf("--fail-on %q: want missing or changes", v)
}

// failOn returns the exit error --fail-on asks for, if the report has such rows.
func failOn(mode string, s report.Summary) error {
	switch {
	case mode == "missing" && s.Missing > 0:
		return &exitError{code: 3, msg: fmt.Sprintf("%d customers are missing an acceptance (--fail-on missing)", s.Missing)}
	case mode == "changes" && (s.New > 0 || s.Removed > 0 || s.NewlyMissing > 0):
		return &exitError{code: 3, msg: fmt.Sprintf("changes since the previous run: %d new, %d removed, %d newly missing (--fail-on changes)", s.New, s.Removed, s.NewlyMissing)}
	}
	return nil
}
