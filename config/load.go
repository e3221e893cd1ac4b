package config

import (
	"errors"
	"fmt"
	"github.com/mcawatch/mcawatch/report/notify"
	"io/fs"
	"os"
	"path/filepath"
)

// DefaultFile is the config file Load reads when no path is given, the
// MCAWATCH_CONFIG variable is empty, and the file exists.
const DefaultFile = "mcawatch.yaml"

// EnvConfig names the environment variable that can name the config file.
const EnvConfig = "MCAWATCH_CONFIG"

// Load finds, parses and validates the configuration. The file is path;
// if path is "", the file named by getenv(MCAWATCH_CONFIG); if that is
// empty too, mcawatch.yaml when it exists, else the defaults. A named file
// that does not exist is an error. Load then takes the secrets from the
// environment variables the config names, makes a relative customers.file,
// auth.refresh_token_file, and storage.path and report.dir where the file
// sets them, relative to the config file's folder, checks
// that a customers.file in use exists, and calls Validate. getenv nil means
// os.Getenv.
func Load(path string, getenv func(string) string) (Config, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	if path == "" {
		path = getenv(EnvConfig)
	}
	if path == "" {
		if _, err := os.Stat(DefaultFile); err == nil {
			path = DefaultFile
		} else if !errors.Is(err, fs.ErrNotExist) {
			return Config{}, fmt.Errorf("load config: %w", err)
		}
	}

	c := Default()
	if path != "" {
		f, err := os.Open(path)
		if err != nil {
			return Config{}, fmt.Errorf("load config: %w", err)
		}
		defer f.Close()
		if c, err = Parse(f, path); err != nil {
			return Config{}, err
		}
		dir := filepath.Dir(path)
		c.Customers.File = relativeTo(dir, c.Customers.File)
		c.Notify.ResellerContacts = relativeTo(dir, c.Notify.ResellerContacts)
		c.Auth.RefreshTokenFile = relativeTo(dir, c.Auth.RefreshTokenFile)
		// A path the file names is relative to the file, wherever cron or
		// a container starts the process; a default the file leaves alone
		// stays relative to the working directory, since the config's
		// folder may be read-only (a mounted ConfigMap).
		if c.Line("storage.path") > 0 {
			c.Storage.Path = relativeTo(dir, c.Storage.Path)
		}
		if c.Line("report.dir") > 0 {
			c.Report.Dir = relativeTo(dir, c.Report.Dir)
		}
	}

	if envName.MatchString(c.Auth.AccessTokenEnv) {
		c.Auth.AccessToken = getenv(c.Auth.AccessTokenEnv)
	}
	if envName.MatchString(c.Auth.ClientSecretEnv) {
		c.Auth.ClientSecret = getenv(c.Auth.ClientSecretEnv)
	}
	c.resolveNotify(getenv)

	p := &problems{file: c.Path}
	c.validate(p)
	c.checkCustomersFile(p)
	c.checkResellerContacts(p)
	if err := p.err(); err != nil {
		return Config{}, err
	}
	return c, nil
}

// relativeTo makes a relative file name relative to dir.
func relativeTo(dir, name string) string {
	if name == "" || filepath.IsAbs(name) {
		return name
	}
	return filepath.Join(dir, name)
}

// checkCustomersFile reports a customers.file that is in use and cannot be
// found or is a folder.
func (c Config) checkCustomersFile(p *problems) {
	if c.Customers.Source != "file" || c.Customers.File == "" {
		return
	}
	line, field := c.Line("customers.file"), "customers.file"
	switch st, err := os.Stat(c.Customers.File); {
	case errors.Is(err, fs.ErrNotExist):
		p.add(line, field, "file %s does not exist", c.Customers.File)
	case err != nil:
		p.add(line, field, "cannot read %s: %v", c.Customers.File, err)
	case st.IsDir():
		p.add(line, field, "%s is a folder, not a file", c.Customers.File)
	}
}

// checkResellerContacts reads notify.reseller_contacts when set, so a bad
// file is found before a sweep, with its own file and line.
func (c Config) checkResellerContacts(p *problems) {
	if c.Notify.ResellerContacts == "" {
		return
	}
	if _, err := notify.ReadResellerContacts(c.Notify.ResellerContacts); err != nil {
		p.add(c.Line("notify.reseller_contacts"), "notify.reseller_contacts", "%s", err.Error())
	}
}
