package config

import (
	"net"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Limits checked by Validate.
const (
	// MaxConcurrency bounds fetch.concurrency.
	MaxConcurrency = 256
	// MaxPageSize bounds fetch.page_size (Partner Center's largest page).
	MaxPageSize = 1000
)

var (
	// envName is stricter than POSIX on purpose: upper case only, so that a
	// secret pasted where a variable name belongs is refused rather than
	// looked up (and later named in an error).
	envName = regexp.MustCompile(`^[A-Z_][A-Z0-9_]{0,127}$`)
	locale  = regexp.MustCompile(`^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$`)
	// tenant is a GUID or a domain such as contoso.onmicrosoft.com.
	tenant = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9.-]{0,252}$`)
)

// Validate checks every value and returns all problems joined with
// errors.Join, each a *FieldError naming the key and the line where it was
// set, sorted by line. It never puts a secret value into a message. It does
// not check that files exist (Load does) nor that secrets are present
// (CheckSecrets does).
func (c Config) Validate() error {
	p := &problems{file: c.Path}
	c.validate(p)
	return p.err()
}

// validate adds the problems of every value to p.
func (c Config) validate(p *problems) {
	c.validatePartnerCenter(p)
	c.validateAuth(p)
	c.validateCustomers(p)
	c.validateAgreements(p)
	c.validateFetch(p)
	c.validateOutput(p)
	c.validateRetention(p)
	c.validateNotify(p)
	c.validateServe(p)
	if _, err := ParseSchedule(c.Schedule.Cron); err != nil {
		p.add(c.Line("schedule.cron"), "schedule.cron", "%s", strings.TrimPrefix(err.Error(), "cron schedule: "))
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		p.add(c.Line("log.level"), "log.level", "must be one of debug, info, warn, error, got %q", shorten(c.Log.Level))
	}
}

func (c Config) validatePartnerCenter(p *problems) {
	checkURL(p, c.Line("partner_center.base_url"), "partner_center.base_url", c.PartnerCenter.BaseURL)
	if !locale.MatchString(c.PartnerCenter.Locale) {
		p.add(c.Line("partner_center.locale"), "partner_center.locale", "must be a language tag like en-US, got %q", shorten(c.PartnerCenter.Locale))
	}
}

func (c Config) validateAuth(p *problems) {
	a := c.Auth
	checkEnv := func(field, name string, required bool) {
		switch {
		case name == "" && required:
			p.add(c.Line(field), field, "must name the environment variable that holds the secret")
		case name != "" && !envName.MatchString(name):
			// The value is not echoed: it may be the secret itself.
			p.add(c.Line(field), field, "must be the NAME of an environment variable (A-Z, 0-9, _), not the secret itself")
		}
	}
	refresh := a.Mode() == ModeRefresh
	checkEnv("auth.access_token_env", a.AccessTokenEnv, !refresh)
	checkEnv("auth.client_secret_env", a.ClientSecretEnv, refresh)
	if !refresh {
		return
	}
	// Mode is refresh because one of these is non-empty: name it.
	trigger := "auth.refresh_token_file"
	switch {
	case a.TenantID != "":
		trigger = "auth.tenant_id"
	case a.ClientID != "":
		trigger = "auth.client_id"
	}
	required := func(field, value string) {
		if value == "" {
			p.add(c.Line(trigger), field, "required when %s is set (refresh-token mode)", trigger)
		}
	}
	required("auth.tenant_id", a.TenantID)
	required("auth.client_id", a.ClientID)
	required("auth.refresh_token_file", a.RefreshTokenFile)
	if a.TenantID != "" && !tenant.MatchString(a.TenantID) {
		p.add(c.Line("auth.tenant_id"), "auth.tenant_id", "must be a tenant GUID or a domain like contoso.onmicrosoft.com")
	}
	if a.TokenURL == "" {
		p.add(c.Line("auth.token_url"), "auth.token_url", "must not be empty")
		return
	}
	checkURL(p, c.Line("auth.token_url"), "auth.token_url", strings.ReplaceAll(a.TokenURL, tenantPlaceholder, "tenant"))
}

// firstSet is the first of the key paths that was set in the file, or the
// first one when none was (the values came from the defaults or from code).
func firstSet(c Config, paths ...string) string {
	for _, path := range paths {
		if c.Line(path) > 0 {
			return path
		}
	}
	return paths[0]
}

func (c Config) validateCustomers(p *problems) {
	switch c.Customers.Source {
	case "api":
		if c.Customers.File != "" {
			p.add(c.Line("customers.file"), "customers.file", "is only read when customers.source is file (it is api)")
		}
	case "file":
		if c.Customers.File == "" {
			p.add(c.Line("customers.source"), "customers.file", "required when customers.source is file")
		}
	default:
		p.add(c.Line("customers.source"), "customers.source", "must be api or file, got %q", shorten(c.Customers.Source))
	}
	if _, _, err := c.Customers.DropLimit(); err != nil {
		p.add(c.Line("customers.max_drop"), "customers.max_drop", "%s", err.Error())
	}
	if g := c.Customers.GroupBy; g != "" && g != GroupByReseller {
		p.add(c.Line("customers.group_by"), "customers.group_by", "must be reseller or empty, got %q", shorten(g))
	}
	if c.Report.SplitByReseller && c.Customers.GroupBy != GroupByReseller {
		p.add(c.Line("report.split_by_reseller"), "report.split_by_reseller", "needs customers.group_by: reseller")
	}
	if c.Notify.ResellerContacts != "" {
		switch {
		case !c.Report.SplitByReseller:
			p.add(c.Line("notify.reseller_contacts"), "notify.reseller_contacts", "needs report.split_by_reseller: true (each reseller is sent its own folder's workbook)")
		case c.Notify.Email.Host == "":
			p.add(c.Line("notify.reseller_contacts"), "notify.reseller_contacts", "needs notify.email (its server and sender)")
		}
	}
}

func (c Config) validateAgreements(p *problems) {
	known := []string{MicrosoftCustomerAgreement, MicrosoftCloudAgreement}
	if len(c.Agreements.Types) == 0 {
		p.add(c.Line("agreements.types"), "agreements.types", "must list at least one agreement type")
	}
	typesOK := len(c.Agreements.Types) > 0
	for i, t := range c.Agreements.Types {
		field := "agreements.types[" + strconv.Itoa(i) + "]"
		line := c.Line(field)
		switch {
		case t == "*":
			typesOK = false
			p.add(line, field, `"*" asks the API for every type and is not a type to track; list %s and/or %s`, known[0], known[1])
		case !slices.Contains(known, t):
			typesOK = false
			p.add(line, field, "must be %s or %s, got %q", known[0], known[1], shorten(t))
		case slices.Index(c.Agreements.Types, t) < i:
			p.add(line, field, "%s is listed twice", t)
		}
	}
	if _, err := c.Agreements.CurrentSinceTime(); err != nil {
		p.add(c.Line("agreements.current_since"), "agreements.current_since", "%s", err.Error())
	}
	// With a bad type list, "required is not in it" would only repeat the problem.
	if typesOK && !slices.Contains(c.Agreements.Types, c.Agreements.Required) {
		field := firstSet(c, "agreements.required", "agreements.types")
		p.add(c.Line(field), "agreements.required", "must be one of agreements.types (%s), got %q",
			strings.Join(c.Agreements.Types, ", "), shorten(c.Agreements.Required))
	}
}

func (c Config) validateFetch(p *problems) {
	f := c.Fetch
	between := func(field string, v, lo, hi int) {
		switch {
		case v < lo:
			p.add(c.Line(field), field, "must be at least %d, got %d", lo, v)
		case hi > 0 && v > hi:
			p.add(c.Line(field), field, "must be at most %d, got %d", hi, v)
		}
	}
	between("fetch.concurrency", f.Concurrency, 1, MaxConcurrency)
	between("fetch.max_attempts", f.MaxAttempts, 1, 0)
	between("fetch.page_size", f.PageSize, 1, MaxPageSize)
	if f.Timeout.Duration <= 0 {
		p.add(c.Line("fetch.timeout"), "fetch.timeout", "must be more than 0, got %s", f.Timeout)
	}
}

func (c Config) validateOutput(p *problems) {
	if c.Storage.Path == "" {
		p.add(c.Line("storage.path"), "storage.path", "must not be empty")
	}
	if c.Report.Dir == "" {
		p.add(c.Line("report.dir"), "report.dir", "must not be empty")
	}
	if len(c.Report.Formats) == 0 {
		p.add(c.Line("report.formats"), "report.formats", "must list at least one of xlsx, csv")
	}
	for i, f := range c.Report.Formats {
		field := "report.formats[" + strconv.Itoa(i) + "]"
		switch {
		case f != "xlsx" && f != "csv":
			p.add(c.Line(field), field, "must be xlsx or csv, got %q", shorten(f))
		case slices.Index(c.Report.Formats, f) < i:
			p.add(c.Line(field), field, "%s is listed twice", f)
		}
	}
}

// checkURL requires an absolute https URL, or http to a loopback host (for
// tests and the demo). The URL is never echoed: it could carry credentials.
func checkURL(p *problems, line int, field, raw string) {
	u, err := url.Parse(raw)
	switch {
	case raw == "":
		p.add(line, field, "must not be empty")
	case err != nil || u.Host == "" || u.Opaque != "":
		p.add(line, field, "must be an absolute URL like https://host")
	case u.User != nil:
		p.add(line, field, "must not contain a user name or password")
	case u.RawQuery != "" || u.Fragment != "" || u.ForceQuery:
		p.add(line, field, "must not have a query or fragment")
	case u.Scheme == "https":
	case u.Scheme == "http" && isLoopback(u.Hostname()):
	case u.Scheme == "http":
		p.add(line, field, "must use https (http is allowed only to loopback: 127.0.0.0/8, ::1, localhost), got host %q", shorten(u.Hostname()))
	default:
		p.add(line, field, "must use https, got scheme %q", shorten(u.Scheme))
	}
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
