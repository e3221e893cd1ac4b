package config

import (
	"testing"
	"time"
)

// TestConfig_Validate covers the rules the invalid fixtures do not, by
// changing one thing in Default() (Path is empty, so messages have no file).
func TestConfig_Validate(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Config)
		want   []string
	}{
		{"http to 127.0.0.1", func(c *Config) { c.PartnerCenter.BaseURL = "http://127.0.0.1:8080" }, nil},
		{"http to 127.5.6.7", func(c *Config) { c.PartnerCenter.BaseURL = "http://127.5.6.7" }, nil},
		{"http to ::1", func(c *Config) { c.PartnerCenter.BaseURL = "http://[::1]:9000/pc" }, nil},
		{"http to localhost", func(c *Config) { c.PartnerCenter.BaseURL = "http://LocalHost:1" }, nil},
		{"http to a LAN address", func(c *Config) { c.PartnerCenter.BaseURL = "http://10.0.0.1" },
			[]string{`partner_center.base_url: must use https (http is allowed only to loopback: 127.0.0.0/8, ::1, localhost), got host "10.0.0.1"`}},
		{"http to localhost look-alike", func(c *Config) { c.PartnerCenter.BaseURL = "http://localhost.evil.example" },
			[]string{`partner_center.base_url: must use https (http is allowed only to loopback: 127.0.0.0/8, ::1, localhost), got host "localhost.evil.example"`}},
		{"relative base_url", func(c *Config) { c.PartnerCenter.BaseURL = "api.partnercenter.microsoft.com" },
			[]string{"partner_center.base_url: must be an absolute URL like https://host"}},
		{"empty base_url", func(c *Config) { c.PartnerCenter.BaseURL = "" }, []string{"partner_center.base_url: must not be empty"}},
		{"base_url with query", func(c *Config) { c.PartnerCenter.BaseURL = "https://h/?a=b" },
			[]string{"partner_center.base_url: must not have a query or fragment"}},
		{"bad locale", func(c *Config) { c.PartnerCenter.Locale = "en US\r\nX: y" },
			[]string{`partner_center.locale: must be a language tag like en-US, got "en US\r\nX: y"`}},
		{"lower-case env name", func(c *Config) { c.Auth.AccessTokenEnv = "pc_token" },
			[]string{"auth.access_token_env: must be the NAME of an environment variable (A-Z, 0-9, _), not the secret itself"}},
		{"no token env in static mode", func(c *Config) { c.Auth.AccessTokenEnv = "" },
			[]string{"auth.access_token_env: must name the environment variable that holds the secret"}},
		{"refresh mode complete", func(c *Config) { setRefresh(c) }, nil},
		{"refresh mode ignores empty token env", func(c *Config) { setRefresh(c); c.Auth.AccessTokenEnv = "" }, nil},
		{"refresh mode without secret env", func(c *Config) { setRefresh(c); c.Auth.ClientSecretEnv = "" },
			[]string{"auth.client_secret_env: must name the environment variable that holds the secret"}},
		{"bad tenant", func(c *Config) { setRefresh(c); c.Auth.TenantID = "../x" },
			[]string{"auth.tenant_id: must be a tenant GUID or a domain like contoso.onmicrosoft.com"}},
		{"refresh mode by client id only", func(c *Config) { c.Auth.ClientID = "app" },
			[]string{"auth.tenant_id: required when auth.client_id is set (refresh-token mode)",
				"auth.refresh_token_file: required when auth.client_id is set (refresh-token mode)"}},
		{"refresh mode by token file only", func(c *Config) { c.Auth.RefreshTokenFile = "rt" },
			[]string{"auth.tenant_id: required when auth.refresh_token_file is set (refresh-token mode)",
				"auth.client_id: required when auth.refresh_token_file is set (refresh-token mode)"}},
		{"token_url http", func(c *Config) { setRefresh(c); c.Auth.TokenURL = "http://login.example.com/{tenant_id}/token" },
			[]string{`auth.token_url: must use https (http is allowed only to loopback: 127.0.0.0/8, ::1, localhost), got host "login.example.com"`}},
		{"token_url loopback", func(c *Config) { setRefresh(c); c.Auth.TokenURL = "http://127.0.0.1:5/{tenant_id}/token" }, nil},
		{"token_url empty", func(c *Config) { setRefresh(c); c.Auth.TokenURL = "" }, []string{"auth.token_url: must not be empty"}},
		{"file set with api source", func(c *Config) { c.Customers.File = "c.csv" },
			[]string{"customers.file: is only read when customers.source is file (it is api)"}},
		{"no types", func(c *Config) { c.Agreements.Types = nil },
			[]string{"agreements.types: must list at least one agreement type"}},
		{"type twice", func(c *Config) { c.Agreements.Types = []string{MicrosoftCustomerAgreement, MicrosoftCustomerAgreement} },
			[]string{"agreements.types[1]: MicrosoftCustomerAgreement is listed twice"}},
		{"both types, cloud required", func(c *Config) {
			c.Agreements.Types = []string{MicrosoftCloudAgreement, MicrosoftCustomerAgreement}
			c.Agreements.Required = MicrosoftCloudAgreement
		}, nil},
		{"required *", func(c *Config) { c.Agreements.Required = "*" },
			[]string{`agreements.required: must be one of agreements.types (MicrosoftCustomerAgreement), got "*"`}},
		{"current_since a date", func(c *Config) { c.Agreements.CurrentSince = "2024-01-15" }, nil},
		{"current_since empty turns the check off", func(c *Config) { c.Agreements.CurrentSince = "" }, nil},
		{"current_since not a date", func(c *Config) { c.Agreements.CurrentSince = "2023-13-01" },
			[]string{`agreements.current_since: must be a date like 2023-04-01 (YYYY-MM-DD), or empty to turn the check off, got "2023-13-01"`}},
		{"current_since a time", func(c *Config) { c.Agreements.CurrentSince = "2023-04-01T00:00:00Z" },
			[]string{`agreements.current_since: must be a date like 2023-04-01 (YYYY-MM-DD), or empty to turn the check off, got "2023-04-01T00:00:00Z"`}},
		{"max_drop percent", func(c *Config) { c.Customers.MaxDrop = "25%" }, nil},
		{"max_drop count", func(c *Config) { c.Customers.MaxDrop = "40" }, nil},
		{"max_drop over 100%", func(c *Config) { c.Customers.MaxDrop = "150%" },
			[]string{`customers.max_drop: must be a percentage like 10% or a number of customers like 25, got "150%"`}},
		{"max_drop words", func(c *Config) { c.Customers.MaxDrop = "ten" },
			[]string{`customers.max_drop: must be a percentage like 10% or a number of customers like 25, got "ten"`}},
		{"max_drop negative", func(c *Config) { c.Customers.MaxDrop = "-3" },
			[]string{`customers.max_drop: must be a percentage like 10% or a number of customers like 25, got "-3"`}},
		{"concurrency at the top", func(c *Config) { c.Fetch.Concurrency = MaxConcurrency }, nil},
		{"negative timeout", func(c *Config) { c.Fetch.Timeout = Duration{-time.Second} },
			[]string{"fetch.timeout: must be more than 0, got -1s"}},
		{"page size 1000", func(c *Config) { c.Fetch.PageSize = 1000 }, nil},
		{"empty storage path", func(c *Config) { c.Storage.Path = "" }, []string{"storage.path: must not be empty"}},
		{"empty report dir", func(c *Config) { c.Report.Dir = "" }, []string{"report.dir: must not be empty"}},
		{"format twice", func(c *Config) { c.Report.Formats = []string{"csv", "csv"} },
			[]string{"report.formats[1]: csv is listed twice"}},
		{"empty cron", func(c *Config) { c.Schedule.Cron = "" }, []string{"schedule.cron: must not be empty"}},
		{"descriptor", func(c *Config) { c.Schedule.Cron = "@daily" }, nil},
		{"upper-case level", func(c *Config) { c.Log.Level = "INFO" },
			[]string{`log.level: must be one of debug, info, warn, error, got "INFO"`}},
		{"all defaults missing report in rule order", func(c *Config) { c.Storage.Path, c.Log.Level = "", "" },
			[]string{"storage.path: must not be empty", `log.level: must be one of debug, info, warn, error, got ""`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Default()
			tt.change(&c)
			assertErrors(t, c.Validate(), tt.want)
		})
	}
}

func setRefresh(c *Config) {
	c.Auth.TenantID = "11111111-2222-3333-4444-555555555555"
	c.Auth.ClientID = "app"
	c.Auth.RefreshTokenFile = "/var/lib/mcawatch/refresh-token"
}

func TestAgreements_CurrentSinceTime_MidnightUTC(t *testing.T) {
	got, err := Default().Agreements.CurrentSinceTime()
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2023, 4, 1, 0, 0, 0, 0, time.UTC); !got.Equal(want) || got.Location() != time.UTC {
		t.Fatalf("default CurrentSinceTime()=%v, want %v", got, want)
	}
	off := Agreements{CurrentSince: ""}
	if got, err := off.CurrentSinceTime(); err != nil || !got.IsZero() {
		t.Fatalf("empty CurrentSinceTime()=%v, %v, want the zero time (check off)", got, err)
	}
}

func TestCustomers_DropLimit(t *testing.T) {
	tests := []struct {
		in      string
		percent float64
		count   int
	}{
		{"", 10, 10},
		{"10%", 10, 10},
		{"2.5%", 2.5, 10},
		{"25", 0, 25},
		{"0", 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			p, n, err := Customers{MaxDrop: tt.in}.DropLimit()
			if err != nil || p != tt.percent || n != tt.count {
				t.Fatalf("DropLimit(%q)=%v, %d, %v, want %v, %d", tt.in, p, n, err, tt.percent, tt.count)
			}
		})
	}
}
