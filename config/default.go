package config

import "time"

// DefaultCurrentSince is agreements.current_since unless the file says
// otherwise: Microsoft's partner communications on the 2023 update of the
// Microsoft Customer Agreement ask customers whose acceptance is dated
// before it to accept again.
const DefaultCurrentSince = "2023-04-01"

// Default is the configuration used when there is no config file, and the
// base that a file overlays.
func Default() Config {
	return Config{
		PartnerCenter: PartnerCenter{
			BaseURL: "https://api.partnercenter.microsoft.com",
			Locale:  "en-US",
		},
		Auth: Auth{
			AccessTokenEnv:  "MCAWATCH_ACCESS_TOKEN",
			ClientSecretEnv: "MCAWATCH_CLIENT_SECRET",
			TokenURL:        "https://login.microsoftonline.com/" + tenantPlaceholder + "/oauth2/token",
		},
		Customers:  Customers{Source: "api"},
		Agreements: Agreements{Types: []string{MicrosoftCustomerAgreement}, Required: MicrosoftCustomerAgreement, CurrentSince: DefaultCurrentSince},
		Fetch: Fetch{
			Concurrency: 16,
			Timeout:     Duration{30 * time.Second},
			MaxAttempts: 6,
			PageSize:    500,
		},
		Storage:  Storage{Path: "mcawatch.db"},
		Report:   Report{Dir: "reports", Formats: []string{"xlsx", "csv"}},
		Schedule: Schedule{Cron: "CRON_TZ=UTC 0 2 * * *"},
		Log:      Log{Level: "info"},
	}
}

// Line is the line of the config file where the value at the dotted key
// path (e.g. "fetch.concurrency", "report.formats[1]") was set, or 0 when
// it kept its default.
func (c Config) Line(path string) int {
	return c.lines[path]
}
