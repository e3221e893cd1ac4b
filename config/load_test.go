package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// noEnv is a getenv with nothing set.
func noEnv(string) string { return "" }

// env is a getenv over a map.
func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestLoad_invalidFixtures(t *testing.T) {
	const dir = "../testdata/config/invalid/"
	tests := []struct {
		file string
		want []string // each prefixed with dir+file
	}{
		{"unknown-key.yaml", []string{":7: fetch.concurency: unknown key (did you mean concurrency?)"}},
		{"unknown-section.yaml", []string{":1: partnercenter: unknown key (did you mean partner_center?)"}},
		{"secret-in-file.yaml", []string{":2: auth.access_token: unknown key (secrets are not read from the file: set access_token_env to the name of an environment variable)"}},
		{"secret-as-env-name.yaml", []string{":2: auth.access_token_env: must be the NAME of an environment variable (A-Z, 0-9, _), not the secret itself"}},
		{"duplicate-key.yaml", []string{":4: fetch.concurrency: duplicate key (first set on line 2)"}},
		{"wrong-type-int.yaml", []string{`:2: fetch.concurrency: must be a whole number, got "sixteen"`}},
		{"wrong-type-list.yaml", []string{`:2: report.formats: must be a list like [a, b], got "xlsx"`}},
		{"wrong-type-section.yaml", []string{`:1: fetch: this section must be a mapping of keys, got "16"`}},
		{"duration-no-unit.yaml", []string{`:2: fetch.timeout: must be a duration like 30s or 2m, got "30"`}},
		{"syntax.yaml", []string{":2: invalid YAML: did not find expected key"}},
		{"two-documents.yaml", []string{":3: only one YAML document is allowed (found a second after ---)"}},
		{"not-a-mapping.yaml", []string{":1: the config file must be a mapping of keys, got a list"}},
		{"http-base-url.yaml", []string{`:2: partner_center.base_url: must use https (http is allowed only to loopback: 127.0.0.0/8, ::1, localhost), got host "api.partnercenter.microsoft.com"`}},
		{"base-url-credentials.yaml", []string{":2: partner_center.base_url: must not contain a user name or password"}},
		{"concurrency-zero.yaml", []string{":2: fetch.concurrency: must be at least 1, got 0"}},
		{"concurrency-too-high.yaml", []string{":2: fetch.concurrency: must be at most 256, got 1000"}},
		{"max-attempts-zero.yaml", []string{":2: fetch.max_attempts: must be at least 1, got 0"}},
		{"timeout-zero.yaml", []string{":2: fetch.timeout: must be more than 0, got 0s"}},
		{"page-size-too-big.yaml", []string{":2: fetch.page_size: must be at most 1000, got 5000"}},
		{"agreement-star.yaml", []string{`:2: agreements.types[0]: "*" asks the API for every type and is not a type to track; list MicrosoftCustomerAgreement and/or MicrosoftCloudAgreement`}},
		{"agreement-unknown.yaml", []string{`:4: agreements.types[1]: must be MicrosoftCustomerAgreement or MicrosoftCloudAgreement, got "MicrosoftPartnerAgreement"`}},
		{"required-not-tracked.yaml", []string{`:2: agreements.required: must be one of agreements.types (MicrosoftCloudAgreement), got "MicrosoftCustomerAgreement"`}},
		{"source-unknown.yaml", []string{`:2: customers.source: must be api or file, got "graph"`}},
		{"source-file-without-file.yaml", []string{":2: customers.file: required when customers.source is file"}},
		{"customers-file-missing.yaml", []string{":3: customers.file: file " + dir + "no-such-customers.csv does not exist"}},
		{"formats-unknown.yaml", []string{`:2: report.formats[1]: must be xlsx or csv, got "pdf"`}},
		{"formats-empty.yaml", []string{":2: report.formats: must list at least one of xlsx, csv"}},
		{"cron-tz-no-space.yaml", []string{`:2: schedule.cron: "CRON_TZ=UTC" has a time zone but no schedule after it; write e.g. CRON_TZ=UTC 0 2 * * *`}},
		{"cron-seconds.yaml", []string{`:2: schedule.cron: "0 0 2 * * *" has 6 fields, want 5: minute hour day-of-month month day-of-week (seconds are not supported), or a descriptor like @daily`}},
		{"cron-bad-field.yaml", []string{`:2: schedule.cron: "0 25 * * *": end of range (25) above maximum (23): 25`}},
		{"cron-bad-zone.yaml", []string{`:2: schedule.cron: unknown time zone "Mars/Olympus" (use an IANA name like UTC or Europe/Stockholm)`}},
		{"log-level.yaml", []string{`:2: log.level: must be one of debug, info, warn, error, got "verbose"`}},
		{"refresh-incomplete.yaml", []string{
			":2: auth.tenant_id: required when auth.client_id is set (refresh-token mode)",
			":2: auth.refresh_token_file: required when auth.client_id is set (refresh-token mode)",
		}},
		{"many-problems.yaml", []string{
			`:2: log.level: must be one of debug, info, warn, error, got "loud"`,
			":4: fetch.concurrency: must be at least 1, got -1",
			":5: fetch.page_size: must be at least 1, got 0",
			`:7: partner_center.base_url: must use https, got scheme "ftp"`,
		}},
	}
	files, err := filepath.Glob(dir + "*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != len(tests) {
		t.Errorf("%d invalid fixtures, %d test cases: every fixture needs its expected message", len(files), len(tests))
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			path := dir + tt.file
			want := make([]string, len(tt.want))
			for i, w := range tt.want {
				want[i] = path + w
			}
			c, err := Load(path, noEnv)
			assertErrors(t, err, want)
			if c.Path != "" {
				t.Fatalf("Load() returned a config (%s) together with an error", c.Path)
			}
		})
	}
}

func TestLoad_validFixtures(t *testing.T) {
	tests := []struct {
		file string
		mode string
	}{
		{"full.yaml", ModeStatic},
		{"minimal.yaml", ModeStatic},
		{"empty.yaml", ModeStatic},
		{"refresh.yaml", ModeRefresh},
		{"file-source.yaml", ModeStatic},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			path := "../testdata/config/" + tt.file
			c, err := Load(path, noEnv)
			if err != nil {
				t.Fatalf("Load(%s)=%v", path, err)
			}
			if got, want := c.Path, path; got != want {
				t.Fatalf("Path=%q, want %q", got, want)
			}
			if got := c.Auth.Mode(); got != tt.mode {
				t.Fatalf("Mode()=%q, want %q", got, tt.mode)
			}
		})
	}
}

func TestLoad_noFileGivesDefaults(t *testing.T) {
	t.Chdir(t.TempDir())
	c, err := Load("", env(map[string]string{"MCAWATCH_ACCESS_TOKEN": "tok"}))
	if err != nil {
		t.Fatalf("Load()=%v", err)
	}
	if c.Path != "" {
		t.Fatalf("Path=%q, want \"\" for defaults", c.Path)
	}
	if c.Auth.AccessToken != "tok" {
		t.Fatalf("AccessToken not taken from MCAWATCH_ACCESS_TOKEN")
	}
	want := Default()
	want.Auth.AccessToken = "tok"
	if got := stripped(c); !reflect.DeepEqual(got, stripped(want)) {
		t.Fatalf("Load() with no file=%+v, want the defaults", got)
	}
	if err := c.CheckSecrets(); err != nil {
		t.Fatalf("CheckSecrets()=%v", err)
	}
}

func TestLoad_findsFile(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	writeFile(t, DefaultFile, "fetch:\n  concurrency: 3\n")
	writeFile(t, "other.yaml", "fetch:\n  concurrency: 5\n")
	tests := []struct {
		name, path, envFile string
		want                int
		wantPath            string
	}{
		{"mcawatch.yaml in the working folder", "", "", 3, DefaultFile},
		{"MCAWATCH_CONFIG", "", "other.yaml", 5, "other.yaml"},
		{"explicit path wins over MCAWATCH_CONFIG", DefaultFile, "other.yaml", 3, DefaultFile},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load(tt.path, env(map[string]string{EnvConfig: tt.envFile}))
			if err != nil {
				t.Fatalf("Load()=%v", err)
			}
			if c.Fetch.Concurrency != tt.want || c.Path != tt.wantPath {
				t.Fatalf("Load() read %s (concurrency %d), want %s (%d)", c.Path, c.Fetch.Concurrency, tt.wantPath, tt.want)
			}
		})
	}
}

func TestLoad_namedFileMissing(t *testing.T) {
	t.Chdir(t.TempDir())
	tests := []struct {
		name, path, envFile string
	}{
		{"flag", "nope.yaml", ""},
		{"MCAWATCH_CONFIG", "", "nope.yaml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(tt.path, env(map[string]string{EnvConfig: tt.envFile}))
			if err == nil || !strings.Contains(err.Error(), "load config: open nope.yaml: no such file or directory") {
				t.Fatalf("Load(missing)=%v, want an open error naming nope.yaml", err)
			}
		})
	}
}

// TestLoad_relativePaths is the relative-path rule: paths the config file
// names are relative to its folder, so a cron job or a container started
// from another folder finds the database and reports beside the config.
func TestLoad_relativePaths(t *testing.T) {
	dir := t.TempDir()
	sub := filepath.Join(dir, "etc", "mcawatch")
	if err := os.MkdirAll(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(sub, "customers.csv"), "customer_id\n")
	abs := filepath.Join(dir, "abs-token")
	writeFile(t, filepath.Join(sub, "mcawatch.yaml"), `
customers:
  source: file
  file: customers.csv
auth:
  tenant_id: contoso.onmicrosoft.com
  client_id: app
  refresh_token_file: `+abs+`
storage:
  path: data/mcawatch.db
report:
  dir: out
`)
	writeFile(t, filepath.Join(sub, "rel.yaml"), "auth:\n  tenant_id: t\n  client_id: c\n  refresh_token_file: secrets/rt\n")
	t.Chdir(dir)

	c, err := Load("etc/mcawatch/mcawatch.yaml", noEnv)
	if err != nil {
		t.Fatalf("Load()=%v", err)
	}
	checks := []struct{ name, got, want string }{
		{"customers.file relative to the config folder", c.Customers.File, filepath.Join("etc", "mcawatch", "customers.csv")},
		{"absolute refresh_token_file untouched", c.Auth.RefreshTokenFile, abs},
		{"storage.path relative to the config folder", c.Storage.Path, filepath.Join("etc", "mcawatch", "data", "mcawatch.db")},
		{"report.dir relative to the config folder", c.Report.Dir, filepath.Join("etc", "mcawatch", "out")},
	}
	for _, ck := range checks {
		if ck.got != ck.want {
			t.Errorf("%s: got %q, want %q", ck.name, ck.got, ck.want)
		}
	}
	c, err = Load("etc/mcawatch/rel.yaml", noEnv)
	if err != nil {
		t.Fatalf("Load(rel.yaml)=%v", err)
	}
	if got, want := c.Auth.RefreshTokenFile, filepath.Join("etc", "mcawatch", "secrets", "rt"); got != want {
		t.Fatalf("refresh_token_file=%q, want %q", got, want)
	}
	// Defaults the file leaves alone stay relative to the working folder:
	// the config's folder may be a read-only mount.
	if got, want := c.Storage.Path, "mcawatch.db"; got != want {
		t.Fatalf("default storage.path=%q, want %q", got, want)
	}
	if got, want := c.Report.Dir, "reports"; got != want {
		t.Fatalf("default report.dir=%q, want %q", got, want)
	}
}

func TestLoad_customersFileIsFolder(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "customers"), 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "c.yaml")
	writeFile(t, path, "customers:\n  source: file\n  file: customers\n")
	_, err := Load(path, noEnv)
	assertErrors(t, err, []string{path + ":3: customers.file: " + filepath.Join(dir, "customers") + " is a folder, not a file"})
}

func writeFile(tb testing.TB, path, content string) {
	tb.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		tb.Fatal(err)
	}
}
