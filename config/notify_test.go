package config

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/mcawatch/mcawatch/report/notify"
)

const notifyBlock = `notify:
  on: [newly_missing, failed]
  webhooks:
    - {url_env: TEAMS_HOOK, format: teams}
    - url_env: SLACK_HOOK
      format: slack
  email:
    host: smtp.example.com
    port: 465
    username_env: SMTP_USER
    password_env: SMTP_PASSWORD
    from: mcawatch@example.com
    to: [compliance@example.com, cfo@example.com]
    attach: xlsx
`

func TestLoad_NotifyBlockResolvesSecretsByName(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mcawatch.yaml")
	writeFile(t, path, notifyBlock)
	secrets := map[string]string{
		"MCAWATCH_ACCESS_TOKEN": "tok", "TEAMS_HOOK": "https://example.webhook.office.com/hook/secret-1",
		"SLACK_HOOK": "https://hooks.slack.com/services/T0/B0/secret-2", "SMTP_USER": "mcawatch", "SMTP_PASSWORD": "pw-secret-3",
	}
	c, err := Load(path, env(secrets))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	n := c.Notify
	if got, want := n.Triggers(), []string{"newly_missing", "failed"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Triggers() = %v, want %v", got, want)
	}
	want := []Webhook{
		{URLEnv: "TEAMS_HOOK", Format: "teams", URL: secrets["TEAMS_HOOK"]},
		{URLEnv: "SLACK_HOOK", Format: "slack", URL: secrets["SLACK_HOOK"]},
	}
	if !reflect.DeepEqual(n.Webhooks, want) {
		t.Errorf("Webhooks = %+v, want %+v", n.Webhooks, want)
	}
	e := n.Email
	if e.Host != "smtp.example.com" || e.Port != 465 || e.Username != "mcawatch" || e.Password != "pw-secret-3" ||
		e.From != "mcawatch@example.com" || !reflect.DeepEqual(e.To, []string{"compliance@example.com", "cfo@example.com"}) || e.Attach != "xlsx" {
		t.Errorf("Email = %+v", e)
	}
	if !n.Enabled() {
		t.Error("Enabled() = false with two webhooks and an email")
	}
	if err := c.CheckNotifySecrets(); err != nil {
		t.Errorf("CheckNotifySecrets() = %v with every variable set", err)
	}
}

func TestNotify_Triggers_UnsetMeansEveryTrigger(t *testing.T) {
	if got, want := Default().Notify.Triggers(), notify.Triggers(); !reflect.DeepEqual(got, want) {
		t.Errorf("Triggers() with notify.on unset = %v, want %v", got, want)
	}
	c := mustParse(t, "notify:\n  on: []\n")
	if got := c.Notify.Triggers(); got == nil || len(got) != 0 {
		t.Errorf("Triggers() with notify.on: [] = %#v, want an empty list (never)", got)
	}
	if Default().Notify.Enabled() {
		t.Error("Enabled() with no channel = true")
	}
}

func mustParse(tb testing.TB, yml string) Config {
	tb.Helper()
	c, err := Parse(strings.NewReader(yml), "c.yaml")
	if err != nil {
		tb.Fatalf("Parse: %v", err)
	}
	return c
}

func TestConfig_Validate_NotifyNamesFileAndLine(t *testing.T) {
	tests := []struct {
		name string
		yml  string
		want []string
	}{
		{"unknown trigger", "notify:\n  on: [newly_missing, everything]\n",
			[]string{`c.yaml:2: notify.on[1]: must be one of newly_missing, newly_outdated, removed, errors, failed, got "everything"`}},
		{"trigger twice", "notify:\n  on:\n    - failed\n    - failed\n",
			[]string{`c.yaml:4: notify.on[1]: failed is listed twice`}},
		{"unknown format", "notify:\n  webhooks:\n    - {url_env: HOOK, format: discord}\n",
			[]string{`c.yaml:3: notify.webhooks[0].format: must be teams, slack or json, got "discord"`}},
		{"no format", "notify:\n  webhooks:\n    - url_env: HOOK\n",
			[]string{`c.yaml:3: notify.webhooks[0].format: must be teams, slack or json, got ""`}},
		{"a pasted URL is not echoed", "notify:\n  webhooks:\n    - format: json\n      url_env: https://hooks.example.com/T0/secret\n",
			[]string{`c.yaml:4: notify.webhooks[0].url_env: must be the NAME of an environment variable (A-Z, 0-9, _), not the secret itself`}},
		{"no url_env", "notify:\n  webhooks:\n    - format: json\n",
			[]string{`c.yaml:3: notify.webhooks[0].url_env: must name the environment variable that holds the secret`}},
		{"email without host", "notify:\n  email:\n    from: a@example.com\n    to: [b@example.com]\n",
			[]string{`c.yaml:2: notify.email.host: must name the SMTP server`}},
		{"email bad addresses", "notify:\n  email:\n    host: smtp.example.com\n    from: nobody\n    to: [ok@example.com, 'not an address']\n",
			[]string{`c.yaml:4: notify.email.from: must be an email address, got "nobody"`,
				`c.yaml:5: notify.email.to[1]: must be an email address, got "not an address"`}},
		{"email no recipient", "notify:\n  email:\n    host: smtp.example.com\n    from: a@example.com\n",
			[]string{`c.yaml:2: notify.email.to: must list at least one address`}},
		{"email attach pdf", "notify:\n  email:\n    host: smtp.example.com\n    from: a@example.com\n    to: [b@example.com]\n    attach: pdf\n",
			[]string{`c.yaml:6: notify.email.attach: must be xlsx or empty, got "pdf"`}},
		{"email attach xlsx without xlsx reports", "report:\n  formats: [csv]\nnotify:\n  email:\n    host: smtp.example.com\n    from: a@example.com\n    to: [b@example.com]\n    attach: xlsx\n",
			[]string{`c.yaml:8: notify.email.attach: xlsx needs xlsx in report.formats`}},
		{"email host with scheme", "notify:\n  email:\n    host: smtp://smtp.example.com\n    from: a@example.com\n    to: [b@example.com]\n",
			[]string{`c.yaml:3: notify.email.host: must be a host name like smtp.example.com (no scheme, port or user), got "smtp://smtp.example.com"`}},
		{"email password without user", "notify:\n  email:\n    host: smtp.example.com\n    password_env: SMTP_PASSWORD\n    from: a@example.com\n    to: [b@example.com]\n",
			[]string{`c.yaml:4: notify.email.username_env: required with notify.email.password_env (SMTP login)`}},
		{"email port", "notify:\n  email:\n    host: smtp.example.com\n    port: 70000\n    from: a@example.com\n    to: [b@example.com]\n",
			[]string{`c.yaml:4: notify.email.port: must be a port (587 for STARTTLS, 465 for TLS), got 70000`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assertErrors(t, mustParse(t, tt.yml).Validate(), tt.want)
		})
	}
}

func TestParse_NotifyUnknownKeysNamed(t *testing.T) {
	tests := []struct {
		name, yml string
		want      []string
	}{
		{"in a webhook", "notify:\n  webhooks:\n    - {url_env: HOOK, format: json, url: https://x}\n",
			[]string{`c.yaml:3: notify.webhooks[0].url: unknown key (secrets are not read from the file: set url_env to the name of an environment variable)`}},
		{"in email", "notify:\n  email:\n    host: smtp.example.com\n    security: none\n",
			[]string{`c.yaml:4: notify.email.security: unknown key (known keys: attach, from, host, password_env, port, to, username_env)`}},
		{"webhooks not a list", "notify:\n  webhooks: HOOK\n",
			[]string{`c.yaml:2: notify.webhooks: must be a list of entries like [{key: value}], got "HOOK"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(strings.NewReader(tt.yml), "c.yaml")
			assertErrors(t, err, tt.want)
		})
	}
}

func TestConfig_CheckNotifySecrets_NamesTheVariableNeverTheValue(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mcawatch.yaml")
	writeFile(t, path, notifyBlock)
	c, err := Load(path, env(map[string]string{"TEAMS_HOOK": "https://example.webhook.office.com/hook/secret-1", "SMTP_USER": "u"}))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	err = c.CheckNotifySecrets()
	assertErrors(t, err, []string{
		path + ":5: notify.webhooks[1].url_env: environment variable SLACK_HOOK is empty; set it to the webhook's URL",
		path + ":11: notify.email.password_env: environment variable SMTP_PASSWORD is empty; set it to the SMTP password",
	})
	if strings.Contains(err.Error(), "secret-1") {
		t.Fatalf("CheckNotifySecrets() = %v: holds a secret", err)
	}
}
