package config

import (
	"net/mail"
	"slices"
	"strconv"
	"strings"

	"github.com/mcawatch/mcawatch/report/notify"
)

// Notify says whom mcawatch tells about a finished or failed sweep. It
// names secrets (webhook URLs, the SMTP password) only by environment
// variable; Load resolves them.
type Notify struct {
	// On lists the notify.on triggers (see notify.Triggers). Unset: every
	// trigger; an empty list: never, except mcawatch notify --test.
	On []string `yaml:"on,omitempty"`
	// Webhooks are posted to, in order; each names its URL by env variable.
	Webhooks []Webhook `yaml:"webhooks,omitempty"`
	// Email is sent over SMTP when its host is set.
	Email Email `yaml:"email,omitempty"`
	// ResellerContacts names a CSV file of reseller_id,email rows: after
	// each report, every reseller with an address gets its own workbook
	// by email (notify.email's server and sender). Load makes a relative
	// path relative to the config file's folder.
	ResellerContacts string `yaml:"reseller_contacts,omitempty"`
}

// Webhook is one notify.webhooks entry.
type Webhook struct {
	// URLEnv names the variable holding the webhook URL, which is a secret.
	URLEnv string `yaml:"url_env"`
	// Format is teams, slack or json.
	Format string `yaml:"format"`

	// URL is resolved by Load from the URLEnv variable.
	URL string `yaml:"-"`
}

// Email is the notify.email block.
type Email struct {
	Host        string   `yaml:"host"`
	Port        int      `yaml:"port"` // 0: 587 (STARTTLS); 465 speaks TLS from the start
	UsernameEnv string   `yaml:"username_env"`
	PasswordEnv string   `yaml:"password_env"`
	From        string   `yaml:"from"`
	To          []string `yaml:"to"`
	// Attach is "xlsx" to attach the run's workbook, or empty.
	Attach string `yaml:"attach"`

	// Username and Password are resolved by Load from their variables.
	Username string `yaml:"-"`
	Password string `yaml:"-"`
}

// Enabled reports whether any channel is configured.
func (n Notify) Enabled() bool {
	return len(n.Webhooks) > 0 || n.Email.Host != ""
}

// Triggers is notify.on as it applies: every trigger when the file did not
// set it.
func (n Notify) Triggers() []string {
	if n.On == nil {
		return notify.Triggers()
	}
	return n.On
}

// resolveNotify takes the notify secrets from the environment variables
// the config names.
func (c *Config) resolveNotify(getenv func(string) string) {
	for i := range c.Notify.Webhooks {
		if w := &c.Notify.Webhooks[i]; envName.MatchString(w.URLEnv) {
			w.URL = getenv(w.URLEnv)
		}
	}
	if e := &c.Notify.Email; e.Host != "" {
		if envName.MatchString(e.UsernameEnv) {
			e.Username = getenv(e.UsernameEnv)
		}
		if envName.MatchString(e.PasswordEnv) {
			e.Password = getenv(e.PasswordEnv)
		}
	}
}

func (c Config) validateNotify(p *problems) {
	n := c.Notify
	for i, t := range n.On {
		field := "notify.on[" + strconv.Itoa(i) + "]"
		if err := notify.ValidateTriggers([]string{t}); err != nil {
			p.add(c.Line(field), field, "must be one of %s, got %q", strings.Join(notify.Triggers(), ", "), shorten(t))
			continue
		}
		if slices.Index(n.On, t) < i {
			p.add(c.Line(field), field, "%s is listed twice", t)
		}
	}
	env := func(field string, line int, name string, required bool) {
		switch {
		case name == "" && required:
			p.add(line, field, "must name the environment variable that holds the secret")
		case name != "" && !envName.MatchString(name):
			// Not echoed: it may be the secret itself (a pasted URL).
			p.add(line, field, "must be the NAME of an environment variable (A-Z, 0-9, _), not the secret itself")
		}
	}
	for i, w := range n.Webhooks {
		prefix := "notify.webhooks[" + strconv.Itoa(i) + "]"
		// A key that is absent is pointed at by its entry's line.
		line := func(field string) int {
			if l := c.Line(field); l > 0 {
				return l
			}
			return c.Line(prefix)
		}
		env(prefix+".url_env", line(prefix+".url_env"), w.URLEnv, true)
		if _, err := notify.ParseFormat(w.Format); err != nil {
			field := prefix + ".format"
			p.add(line(field), field, "must be teams, slack or json, got %q", shorten(w.Format))
		}
	}
	c.validateEmail(p, env)
}

func (c Config) validateEmail(p *problems, env func(field string, line int, name string, required bool)) {
	e := c.Notify.Email
	set := false
	for _, k := range []string{"host", "port", "username_env", "password_env", "from", "to", "attach"} {
		if c.Line("notify.email."+k) > 0 {
			set = true
		}
	}
	if !set && e.Host == "" {
		return
	}
	line := func(field string) int {
		if l := c.Line(field); l > 0 {
			return l
		}
		return c.Line("notify.email")
	}
	if strings.TrimSpace(e.Host) == "" {
		p.add(line("notify.email.host"), "notify.email.host", "must name the SMTP server")
	} else if strings.ContainsAny(e.Host, "/:@ ") {
		p.add(line("notify.email.host"), "notify.email.host", "must be a host name like smtp.example.com (no scheme, port or user), got %q", shorten(e.Host))
	}
	if e.Port < 0 || e.Port > 65535 {
		p.add(line("notify.email.port"), "notify.email.port", "must be a port (587 for STARTTLS, 465 for TLS), got %d", e.Port)
	}
	env("notify.email.username_env", line("notify.email.username_env"), e.UsernameEnv, false)
	env("notify.email.password_env", line("notify.email.password_env"), e.PasswordEnv, false)
	if e.PasswordEnv != "" && e.UsernameEnv == "" {
		p.add(line("notify.email.password_env"), "notify.email.username_env", "required with notify.email.password_env (SMTP login)")
	}
	if _, err := mail.ParseAddress(e.From); err != nil {
		p.add(line("notify.email.from"), "notify.email.from", "must be an email address, got %q", shorten(e.From))
	}
	if len(e.To) == 0 {
		p.add(line("notify.email.to"), "notify.email.to", "must list at least one address")
	}
	for i, to := range e.To {
		field := "notify.email.to[" + strconv.Itoa(i) + "]"
		if _, err := mail.ParseAddress(to); err != nil {
			p.add(line(field), field, "must be an email address, got %q", shorten(to))
		}
	}
	switch e.Attach {
	case "", "xlsx":
		if e.Attach == "xlsx" && !slices.Contains(c.Report.Formats, "xlsx") {
			p.add(line("notify.email.attach"), "notify.email.attach", "xlsx needs xlsx in report.formats")
		}
	default:
		p.add(line("notify.email.attach"), "notify.email.attach", "must be xlsx or empty, got %q", shorten(e.Attach))
	}
}

// CheckNotifySecrets reports, as *FieldError values, each secret a
// configured notification channel needs that Load found empty in the
// environment: a webhook URL, the SMTP username or password. The message
// names the variable, never a value. main calls it for the commands that
// send notifications.
func (c Config) CheckNotifySecrets() error {
	p := &problems{file: c.Path}
	for i, w := range c.Notify.Webhooks {
		field := "notify.webhooks[" + strconv.Itoa(i) + "].url_env"
		if w.URL == "" && envName.MatchString(w.URLEnv) {
			p.add(c.Line(field), field, "environment variable %s is empty; set it to the webhook's URL", w.URLEnv)
		}
	}
	e := c.Notify.Email
	if e.Host != "" {
		if e.UsernameEnv != "" && e.Username == "" && envName.MatchString(e.UsernameEnv) {
			p.add(c.Line("notify.email.username_env"), "notify.email.username_env", "environment variable %s is empty; set it to the SMTP user name", e.UsernameEnv)
		}
		if e.PasswordEnv != "" && e.Password == "" && envName.MatchString(e.PasswordEnv) {
			p.add(c.Line("notify.email.password_env"), "notify.email.password_env", "environment variable %s is empty; set it to the SMTP password", e.PasswordEnv)
		}
	}
	return p.err()
}
