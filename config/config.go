package config

import (
	"log/slog"
	"net/url"
	"strings"
)

// Config is the whole mcawatch configuration: the defaults overlaid by the
// config file, plus the secrets resolved from the environment by Load.
type Config struct {
	PartnerCenter PartnerCenter `yaml:"partner_center"`
	Auth          Auth          `yaml:"auth"`
	Customers     Customers     `yaml:"customers"`
	Agreements    Agreements    `yaml:"agreements"`
	Fetch         Fetch         `yaml:"fetch"`
	Storage       Storage       `yaml:"storage"`
	Report        Report        `yaml:"report"`
	Schedule      Schedule      `yaml:"schedule"`
	Log           Log           `yaml:"log"`
	Notify        Notify        `yaml:"notify,omitempty"`
	Serve         Serve         `yaml:"serve"`

	// Path is the file the config came from ("" for the built-in defaults).
	Path string `yaml:"-"`

	// lines maps a dotted key path ("fetch.concurrency", "report.formats[1]")
	// to the line of the file where its value was set, so that Validate can
	// point at it. Keys that kept their default are absent.
	lines map[string]int
}

// PartnerCenter says where the Partner Center API is and which locale to ask for.
type PartnerCenter struct {
	// BaseURL is the API root without /v1; https, or http to loopback only.
	BaseURL string `yaml:"base_url"`
	// Locale is sent as X-Locale, e.g. en-US.
	Locale string `yaml:"locale"`
}

// Auth names where the credentials come from. The file holds only names of
// environment variables and of the refresh token file, never a secret.
type Auth struct {
	// AccessTokenEnv names the variable holding a static access token.
	AccessTokenEnv string `yaml:"access_token_env"`
	// TenantID is the partner's Entra tenant (refresh mode).
	TenantID string `yaml:"tenant_id"`
	// ClientID is the Entra application id (refresh mode).
	ClientID string `yaml:"client_id"`
	// ClientSecretEnv names the variable holding the client secret (refresh mode).
	ClientSecretEnv string `yaml:"client_secret_env"`
	// RefreshTokenFile holds the refresh token, rotated in place (refresh mode).
	// Load makes a relative path relative to the config file's folder.
	RefreshTokenFile string `yaml:"refresh_token_file"`
	// TokenURL is the token endpoint; "{tenant_id}" is replaced by TenantID.
	TokenURL string `yaml:"token_url"`

	// AccessToken is resolved by Load from the AccessTokenEnv variable.
	AccessToken string `yaml:"-"`
	// ClientSecret is resolved by Load from the ClientSecretEnv variable.
	ClientSecret string `yaml:"-"`
}

// Auth modes returned by Auth.Mode.
const (
	// ModeStatic uses an access token taken from the environment as is.
	ModeStatic = "static"
	// ModeRefresh exchanges a stored refresh token for access tokens.
	ModeRefresh = "refresh"
)

// Mode is ModeRefresh when any of tenant_id, client_id or refresh_token_file
// is set (Validate then requires all three), and ModeStatic otherwise.
func (a Auth) Mode() string {
	if a.TenantID != "" || a.ClientID != "" || a.RefreshTokenFile != "" {
		return ModeRefresh
	}
	return ModeStatic
}

// TokenEndpoint is TokenURL with "{tenant_id}" replaced by the escaped TenantID.
func (a Auth) TokenEndpoint() string {
	return strings.ReplaceAll(a.TokenURL, tenantPlaceholder, url.PathEscape(a.TenantID))
}

const tenantPlaceholder = "{tenant_id}"

// Customers says where the list of customers to sweep comes from.
type Customers struct {
	// Source is "api" (list the partner's customers) or "file".
	Source string `yaml:"source"`
	// File lists customer tenant ids when Source is "file". Load makes a
	// relative path relative to the config file's folder.
	File string `yaml:"file"`
	// MaxDrop is how much of the previous complete run's portfolio one sweep
	// may lose before it is refused: a percentage ("10%") or a number of
	// customers ("25"). Empty is the default, more than 10% and more than
	// 10 customers. See DropLimit.
	MaxDrop string `yaml:"max_drop"`
	// GroupBy is "reseller" for an indirect provider: a sweep also lists
	// the indirect resellers and each customer's reseller(s). Empty: off.
	GroupBy string `yaml:"group_by"`
}

// GroupByReseller is the customers.group_by value that groups by indirect
// reseller.
const GroupByReseller = "reseller"

// Agreement types that Partner Center knows and mcawatch can track.
const (
	MicrosoftCustomerAgreement = "MicrosoftCustomerAgreement"
	MicrosoftCloudAgreement    = "MicrosoftCloudAgreement"
)

// Agreements says which agreement types to ask for and which one a customer
// must have accepted not to be listed as missing.
type Agreements struct {
	// Types are queried for every customer.
	Types []string `yaml:"types"`
	// Required is the type whose absence makes a customer missing.
	Required string `yaml:"required"`
	// CurrentSince is the cut-off date (YYYY-MM-DD, midnight UTC) before
	// which an acceptance of Required is outdated; empty turns the check
	// off. See CurrentSinceTime.
	CurrentSince string `yaml:"current_since"`
}

// Fetch tunes the Partner Center client.
type Fetch struct {
	// Concurrency bounds the requests in flight (1..256).
	Concurrency int `yaml:"concurrency"`
	// Timeout bounds one HTTP request.
	Timeout Duration `yaml:"timeout"`
	// MaxAttempts bounds the tries of one logical request, retries included.
	MaxAttempts int `yaml:"max_attempts"`
	// PageSize is the customers asked for per page (1..1000).
	PageSize int `yaml:"page_size"`
}

// Storage says where the SQLite database is.
type Storage struct {
	// Path is the database file. Load makes a relative path the file sets
	// relative to the config file's folder.
	Path string `yaml:"path"`
	// Retention (storage.retention) is which complete runs a sweep and
	// `mcawatch prune` keep; the zero value keeps every run.
	Retention Retention `yaml:"retention"`
}

// Report says where and in which formats reports are written.
type Report struct {
	// Dir is the folder that receives one sub-folder per run. Load makes a
	// relative path the file sets relative to the config file's folder.
	Dir string `yaml:"dir"`
	// Formats is a non-empty subset of "xlsx" and "csv".
	Formats []string `yaml:"formats"`
	// CSVBOM (report.csv_bom) starts each CSV file with a UTF-8 byte-order
	// mark, so Excel reads a double-clicked file as UTF-8. Default off: the
	// contract's CSV has none.
	CSVBOM bool `yaml:"csv_bom"`
	// SplitByReseller also writes one sub-folder of reports per indirect
	// reseller; it needs customers.group_by: reseller.
	SplitByReseller bool `yaml:"split_by_reseller"`
	// Keep (report.keep) is how many report folders a sweep and
	// `mcawatch prune` leave in Dir, the newest; 0 keeps them all.
	Keep int `yaml:"keep"`
}

// Schedule is the built-in scheduler's timing.
type Schedule struct {
	// Cron is a 5-field cron spec or a descriptor such as @daily, optionally
	// prefixed by CRON_TZ=Zone (see ParseSchedule).
	Cron string `yaml:"cron"`
}

// Log sets the logging threshold.
type Log struct {
	// Level is debug, info, warn or error.
	Level string `yaml:"level"`
}

// SlogLevel is Level as a slog.Level; an unknown level (refused by
// Validate) counts as info.
func (l Log) SlogLevel() slog.Level {
	switch strings.ToLower(l.Level) {
	case "debug":
		return slog.LevelDebug
	case "warn":
		return slog.LevelWarn
	case "error":
		return slog.LevelError
	default:
		return slog.LevelInfo
	}
}
