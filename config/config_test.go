package config

import (
	"log/slog"
	"testing"
	"time"
)

func TestDefault(t *testing.T) {
	c := Default()
	if err := c.Validate(); err != nil {
		t.Fatalf("Default().Validate()=%v, want nil", err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"base_url", c.PartnerCenter.BaseURL, "https://api.partnercenter.microsoft.com"},
		{"locale", c.PartnerCenter.Locale, "en-US"},
		{"access_token_env", c.Auth.AccessTokenEnv, "MCAWATCH_ACCESS_TOKEN"},
		{"client_secret_env", c.Auth.ClientSecretEnv, "MCAWATCH_CLIENT_SECRET"},
		{"token_url", c.Auth.TokenURL, "https://login.microsoftonline.com/{tenant_id}/oauth2/token"},
		{"mode", c.Auth.Mode(), ModeStatic},
		{"source", c.Customers.Source, "api"},
		{"types", len(c.Agreements.Types), 1},
		{"types[0]", c.Agreements.Types[0], MicrosoftCustomerAgreement},
		{"required", c.Agreements.Required, MicrosoftCustomerAgreement},
		{"concurrency", c.Fetch.Concurrency, 16},
		{"timeout", c.Fetch.Timeout.Duration, 30 * time.Second},
		{"max_attempts", c.Fetch.MaxAttempts, 6},
		{"page_size", c.Fetch.PageSize, 500},
		{"storage", c.Storage.Path, "mcawatch.db"},
		{"report.dir", c.Report.Dir, "reports"},
		{"formats", len(c.Report.Formats), 2},
		{"cron", c.Schedule.Cron, "CRON_TZ=UTC 0 2 * * *"},
		{"level", c.Log.Level, "info"},
		{"path", c.Path, ""},
		{"line", c.Line("fetch.concurrency"), 0},
	}
	for _, tt := range checks {
		if tt.got != tt.want {
			t.Errorf("Default() %s=%v, want %v", tt.name, tt.got, tt.want)
		}
	}
}

func TestDefault_independentSlices(t *testing.T) {
	a := Default()
	a.Report.Formats[0] = "pdf"
	a.Agreements.Types[0] = "*"
	if b := Default(); b.Report.Formats[0] != "xlsx" || b.Agreements.Types[0] != MicrosoftCustomerAgreement {
		t.Fatalf("Default() shares slices between calls: %v %v", b.Report.Formats, b.Agreements.Types)
	}
}

func TestAuth_Mode(t *testing.T) {
	tests := []struct {
		name string
		auth Auth
		want string
	}{
		{"nothing", Auth{}, ModeStatic},
		{"token env only", Auth{AccessTokenEnv: "X"}, ModeStatic},
		{"tenant", Auth{TenantID: "t"}, ModeRefresh},
		{"client", Auth{ClientID: "c"}, ModeRefresh},
		{"refresh file", Auth{RefreshTokenFile: "f"}, ModeRefresh},
		{"all three", Auth{TenantID: "t", ClientID: "c", RefreshTokenFile: "f"}, ModeRefresh},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.auth.Mode(); got != tt.want {
				t.Fatalf("Mode()=%q, want %q", got, tt.want)
			}
		})
	}
}

func TestAuth_TokenEndpoint(t *testing.T) {
	tests := []struct {
		name, tenant, url, want string
	}{
		{"default", "contoso.onmicrosoft.com", Default().Auth.TokenURL, "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/token"},
		{"escaped", "a/b", Default().Auth.TokenURL, "https://login.microsoftonline.com/a%2Fb/oauth2/token"},
		{"no placeholder", "t", "https://login.example.com/token", "https://login.example.com/token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := Auth{TenantID: tt.tenant, TokenURL: tt.url}
			if got := a.TokenEndpoint(); got != tt.want {
				t.Fatalf("TokenEndpoint()=%q, want %q", got, tt.want)
			}
		})
	}
}

func TestLog_SlogLevel(t *testing.T) {
	tests := []struct {
		level string
		want  slog.Level
	}{
		{"debug", slog.LevelDebug},
		{"info", slog.LevelInfo},
		{"warn", slog.LevelWarn},
		{"error", slog.LevelError},
		{"", slog.LevelInfo},
	}
	for _, tt := range tests {
		t.Run(tt.level, func(t *testing.T) {
			if got := (Log{Level: tt.level}).SlogLevel(); got != tt.want {
				t.Fatalf("SlogLevel()=%v, want %v", got, tt.want)
			}
		})
	}
}

func TestFieldError_Error(t *testing.T) {
	tests := []struct {
		name string
		err  FieldError
		want string
	}{
		{"all", FieldError{"mcawatch.yaml", 12, "fetch.concurrency", "must be at least 1"}, "mcawatch.yaml:12: fetch.concurrency: must be at least 1"},
		{"default value", FieldError{"mcawatch.yaml", 0, "fetch.concurrency", "must be at least 1"}, "mcawatch.yaml: fetch.concurrency: must be at least 1"},
		{"no file", FieldError{"", 0, "fetch.concurrency", "must be at least 1"}, "fetch.concurrency: must be at least 1"},
		{"line, no file", FieldError{"", 3, "log.level", "bad"}, "line 3: log.level: bad"},
		{"whole file", FieldError{"c.yaml", 2, "", "invalid YAML: x"}, "c.yaml:2: invalid YAML: x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.err.Error(); got != tt.want {
				t.Fatalf("Error()=%q, want %q", got, tt.want)
			}
		})
	}
}
