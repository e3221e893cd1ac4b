package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/mcawatch/mcawatch/config"
	"github.com/mcawatch/mcawatch/fetch"
	"github.com/mcawatch/mcawatch/jobs"
	"github.com/mcawatch/mcawatch/storage"
)

// checkStep is one line of "mcawatch check": what was checked, and when it
// failed, what is wrong, what to do and the exit status it earns.
type checkStep struct {
	name string
	ok   string // shown after "ok"
	err  error
	fix  string
	code int
}

// runCheck is "mcawatch check": the config, the database, the report
// folder, the token and one Partner Center call, each said ok or what is
// wrong and what to do. No sweep runs; a refresh token is exchanged only
// once it is sure the new one can be saved. The exit status is the first
// failed step's: 2 for the config, 4 for the credentials, 1 otherwise.
func (m *Main) runCheck(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	fs.SetOutput(m.Stderr)
	var c commonFlags
	c.register(fs, true)
	if err := parseArgs(fs, args); err != nil {
		return err
	}
	var steps []checkStep
	report := func(s checkStep) bool {
		steps = append(steps, s)
		if s.err == nil {
			fmt.Fprintf(m.Stdout, "%-14s ok  %s\n", s.name, s.ok)
			return true
		}
		fmt.Fprintf(m.Stdout, "%-14s FAIL %v\n", s.name, s.err)
		if s.fix != "" {
			fmt.Fprintf(m.Stdout, "%-14s      %s\n", "", s.fix)
		}
		return false
	}
	skip := func(names ...string) {
		for _, n := range names {
			fmt.Fprintf(m.Stdout, "%-14s skipped\n", n)
		}
	}

	cfg, err := m.load(c)
	if !report(checkConfig(cfg, err)) {
		skip("database", "reports", "token", "partner center")
		return checkResult(steps)
	}
	log, err := m.newLogger("error")
	if err != nil {
		return usage(err)
	}
	report(checkDatabase(cfg.Storage.Path))
	report(checkReports(cfg.Report.Dir))

	tok, ts := checkToken(ctx, cfg)
	if !report(tok) {
		skip("partner center")
		return checkResult(steps)
	}
	report(checkPartnerCenter(ctx, cfg, ts, log))
	return checkResult(steps)
}

// checkResult is nil when every step passed, else an error carrying the
// first failed step's exit status.
func checkResult(steps []checkStep) error {
	failed := 0
	code := exitOK
	for _, s := range steps {
		if s.err != nil {
			failed++
			if code == exitOK {
				code = s.code
			}
		}
	}
	if failed == 0 {
		return nil
	}
	return &statusError{code: code, msg: fmt.Sprintf("check: %d of %d steps failed", failed, len(steps))}
}

func checkConfig(cfg config.Config, err error) checkStep {
	s := checkStep{name: "config", code: exitUsage}
	if err != nil {
		s.err = err
		s.fix = "fix what the message names: the config file (--config, $MCAWATCH_CONFIG or ./mcawatch.yaml) or the key at its line"
		return s
	}
	s.ok = cfg.Path
	if cfg.Path == "" {
		s.ok = "no config file: the defaults, token from $" + cfg.Auth.AccessTokenEnv
	}
	return s
}

// checkDatabase opens the database without creating it, checks its schema
// and that it can be written, and that no sweep holds its lock.
func checkDatabase(path string) checkStep {
	s := checkStep{name: "database", code: exitError}
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		dir := filepath.Dir(path)
		if err := writableDir(dir); err != nil {
			s.err = fmt.Errorf("no database at %s yet, and its folder cannot take one: %w", path, err)
			s.fix = "create the folder " + dir + " or make it writable by this user, or set storage.path / --db"
			return s
		}
		s.ok = path + " does not exist yet: the first run creates it"
		return s
	}
	db, err := storage.Open(path, storage.Options{})
	if err != nil {
		s.err = err
		s.fix = "point storage.path (or --db) at an mcawatch database, or at a new file; a read-only file needs write access"
		return s
	}
	defer db.Close()
	unlock, err := db.Lock()
	if err != nil {
		s.err = err
		if errors.Is(err, storage.ErrLocked) {
			s.code = exitLocked
			s.fix = "a sweep is running on this database: wait for it, or stop it (its run is kept for --resume)"
		} else {
			s.fix = "make the database's folder writable by this user"
		}
		return s
	}
	if err := unlock(); err != nil {
		s.err = err
		return s
	}
	s.ok = db.Path() + " (schema ok, writable, lock free)"
	return s
}

// checkReports checks that the report folder takes a report; a folder that
// does not exist yet is not created, only its parent checked.
func checkReports(dir string) checkStep {
	s := checkStep{name: "reports", code: exitError}
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		parent := filepath.Dir(dir)
		if err := writableDir(parent); err != nil {
			s.err = fmt.Errorf("report folder %s does not exist and %s cannot take it: %w", dir, parent, err)
			s.fix = "create " + dir + " writable by this user, or set report.dir / --out"
			return s
		}
		s.ok = dir + " does not exist yet: the first run creates it"
		return s
	}
	if err := jobs.CheckReportDir(dir); err != nil {
		s.err = err
		s.fix = "create " + dir + " or make it writable by this user, or set report.dir / --out"
		return s
	}
	s.ok = dir + " is writable"
	return s
}

// writableDir checks that dir takes a new file.
func writableDir(dir string) error {
	f, err := os.CreateTemp(dir, ".mcawatch-check-*")
	if err != nil {
		return err
	}
	f.Close()
	return os.Remove(f.Name())
}

// checkToken gets an access token as a sweep would. In refresh mode the
// token file must exist and be readable and its folder writable before the
// one exchange, because the exchange uses the stored refresh token up.
func checkToken(ctx context.Context, cfg config.Config) (checkStep, fetch.TokenSource) {
	s := checkStep{name: "token", code: exitAuth}
	if err := cfg.CheckSecrets(); err != nil {
		s.err, s.code = err, exitUsage
		s.fix = "export the variable in the environment mcawatch runs in (a systemd EnvironmentFile, a Kubernetes Secret)"
		return s, nil
	}
	if cfg.Auth.Mode() == config.ModeRefresh {
		file := cfg.Auth.RefreshTokenFile
		b, err := os.ReadFile(file)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			s.err = fmt.Errorf("refresh token file %s does not exist", file)
			s.fix = "consent once with MFA (the secure application model) and store the refresh token in " + file + ", mode 0600"
			return s, nil
		case err != nil:
			s.err = fmt.Errorf("refresh token file %s cannot be read: %w", file, err)
			s.fix = "make " + file + " readable by this user (mode 0600, owned by it)"
			return s, nil
		case strings.TrimSpace(string(b)) == "":
			s.err = fmt.Errorf("refresh token file %s is empty", file)
			s.fix = "store the refresh token from the partner's MFA consent in " + file
			return s, nil
		}
		if err := writableDir(filepath.Dir(file)); err != nil {
			s.err = fmt.Errorf("the folder of %s is not writable, so a rotated refresh token could not be saved (nothing was exchanged): %w", file, err)
			s.fix = "make " + filepath.Dir(file) + " writable by this user: Entra returns a new refresh token at each exchange"
			s.code = exitError
			return s, nil
		}
	}
	ts, err := tokenSource(cfg)
	if err != nil {
		s.err, s.code = err, exitUsage
		s.fix = "check the auth section of the config"
		return s, nil
	}
	if _, err := ts.Token(ctx); err != nil {
		s.err = err
		switch {
		case errors.Is(err, fetch.ErrUnauthorized):
			s.fix = "the refresh token was refused (expired after 90 days unused, revoked, or for another app): consent again with MFA and store the new one"
		default:
			s.code = exitError
			s.fix = "the token endpoint could not be reached or kept failing: check auth.token_url, the network and a proxy"
		}
		return s, nil
	}
	if cfg.Auth.Mode() == config.ModeRefresh {
		s.ok = "refresh token exchanged; the new one is saved in " + cfg.Auth.RefreshTokenFile
	} else {
		s.ok = "access token from $" + cfg.Auth.AccessTokenEnv
	}
	return s, ts
}

// checkPartnerCenter makes one call, GET /v1/customers?size=1.
func checkPartnerCenter(ctx context.Context, cfg config.Config, ts fetch.TokenSource, log *slog.Logger) checkStep {
	s := checkStep{name: "partner center", code: exitError}
	client, err := fetch.New(fetch.Options{
		BaseURL:     cfg.PartnerCenter.BaseURL,
		Token:       ts,
		Timeout:     cfg.Fetch.Timeout.Duration,
		MaxAttempts: min(cfg.Fetch.MaxAttempts, 3),
		Concurrency: 1,
		Locale:      cfg.PartnerCenter.Locale,
		Version:     version,
		Logger:      log,
	})
	if err != nil {
		s.err, s.code = err, exitUsage
		s.fix = "fix partner_center.base_url"
		return s
	}
	if err := client.Probe(ctx); err != nil {
		s.err = err
		var api *fetch.APIError
		switch {
		case errors.Is(err, fetch.ErrUnauthorized), errors.Is(err, fetch.ErrMFARequired):
			s.code = exitAuth
			s.fix = "Partner Center refused the token: it must be an App+User token of the partner tenant, with MFA (consent again)"
		case errors.As(err, &api) && api.Status == http.StatusForbidden:
			s.code = exitAuth
			s.fix = "the signed-in user lacks a Partner Center role that can read customers (Admin agent or Sales agent)"
		case errors.As(err, &api) && api.Status == http.StatusNotFound:
			s.code = exitUsage
			s.fix = "partner_center.base_url does not look like Partner Center: use https://api.partnercenter.microsoft.com (without /v1)"
		default:
			s.fix = "check partner_center.base_url, the network and a proxy"
		}
		return s
	}
	s.ok = fmt.Sprintf("GET %s/v1/customers?size=1 answered", cfg.PartnerCenter.BaseURL)
	return s
}
