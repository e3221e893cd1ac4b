package config

import (
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

func mustParseFile(tb testing.TB, path string) Config {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	c, err := Parse(f, path)
	if err != nil {
		tb.Fatalf("Parse(%s)=%v", path, err)
	}
	return c
}

func TestParse_full(t *testing.T) {
	c := mustParseFile(t, "../testdata/config/full.yaml")
	if err := c.Validate(); err != nil {
		t.Fatalf("Validate()=%v, want nil", err)
	}
	want := Default()
	want.Path = "../testdata/config/full.yaml"
	want.PartnerCenter.Locale = "sv-SE"
	want.Auth.AccessTokenEnv = "PC_TOKEN"
	want.Agreements.Types = []string{MicrosoftCustomerAgreement, MicrosoftCloudAgreement}
	want.Fetch = Fetch{Concurrency: 8, Timeout: Duration{45 * time.Second}, MaxAttempts: 4, PageSize: 200}
	want.Storage.Path = "/var/lib/mcawatch/mcawatch.db"
	want.Report = Report{Dir: "/srv/reports", Formats: []string{"csv"}}
	want.Schedule.Cron = "CRON_TZ=Europe/Stockholm 30 6 * * 1-5"
	want.Log.Level = "debug"
	c.lines, want.lines = nil, nil
	if !reflect.DeepEqual(c, want) {
		t.Fatalf("Parse(full.yaml)=\n%+v\nwant\n%+v", c, want)
	}
}

func TestParse_lines(t *testing.T) {
	c := mustParseFile(t, "../testdata/config/full.yaml")
	tests := []struct {
		path string
		want int
	}{
		{"partner_center", 2},
		{"partner_center.locale", 4},
		{"agreements.types", 10},
		{"agreements.types[1]", 10},
		{"fetch.concurrency", 13},
		{"fetch.page_size", 16},
		{"report.formats[0]", 21},
		{"log.level", 25},
		{"auth.tenant_id", 0},
		{"no.such.key", 0},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			if got := c.Line(tt.path); got != tt.want {
				t.Fatalf("Line(%q)=%d, want %d", tt.path, got, tt.want)
			}
		})
	}
}

func TestParse_overlaysDefaults(t *testing.T) {
	tests := []struct {
		name  string
		yaml  string
		check func(Config) bool
	}{
		{"empty", "", func(c Config) bool { return reflect.DeepEqual(stripped(c), stripped(Default())) }},
		{"comment only", "# nothing\n", func(c Config) bool { return reflect.DeepEqual(stripped(c), stripped(Default())) }},
		{"one key keeps the rest", "fetch:\n  concurrency: 4\n", func(c Config) bool {
			return c.Fetch.Concurrency == 4 && c.Fetch.MaxAttempts == 6 && c.Fetch.Timeout.Duration == 30*time.Second
		}},
		{"null section keeps defaults", "fetch:\nreport: ~\n", func(c Config) bool {
			return c.Fetch.Concurrency == 16 && c.Report.Dir == "reports"
		}},
		{"null value keeps default", "fetch:\n  concurrency:\n", func(c Config) bool { return c.Fetch.Concurrency == 16 }},
		{"list replaces, not appends", "report:\n  formats: [csv]\n", func(c Config) bool {
			return reflect.DeepEqual(c.Report.Formats, []string{"csv"})
		}},
		{"block list", "report:\n  formats:\n    - xlsx\n", func(c Config) bool {
			return reflect.DeepEqual(c.Report.Formats, []string{"xlsx"})
		}},
		{"alias", "storage:\n  path: &p data.db\nreport:\n  dir: *p\n", func(c Config) bool {
			return c.Report.Dir == "data.db" && c.Line("report.dir") == 4
		}},
		{"durations", "fetch:\n  timeout: 1m30s\n", func(c Config) bool { return c.Fetch.Timeout.Duration == 90*time.Second }},
		{"byte-order mark and CRLF", "\ufefffetch:\r\n  concurrency: 5\r\n", func(c Config) bool {
			return c.Fetch.Concurrency == 5 && c.Line("fetch.concurrency") == 2
		}},
		{"hex int", "fetch:\n  concurrency: 0x10\n", func(c Config) bool { return c.Fetch.Concurrency == 16 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse(strings.NewReader(tt.yaml), "c.yaml")
			if err != nil {
				t.Fatalf("Parse()=%v", err)
			}
			if !tt.check(c) {
				t.Fatalf("Parse(%q) gave %+v", tt.yaml, c)
			}
			if c.Path != "c.yaml" {
				t.Fatalf("Path=%q, want c.yaml", c.Path)
			}
		})
	}
}

// stripped drops what differs between a parsed and a default Config
// without being configuration.
func stripped(c Config) Config {
	c.Path, c.lines = "", nil
	return c
}

func TestParse_strict(t *testing.T) {
	tests := []struct {
		name, yaml string
		want       []string
	}{
		{"unknown top key", "fetchh:\n  concurrency: 2\n", []string{"c.yaml:1: fetchh: unknown key (did you mean fetch?)"}},
		{"unknown key lists known ones", "fetch:\n  speed: 2\n",
			[]string{"c.yaml:2: fetch.speed: unknown key (known keys: concurrency, max_attempts, page_size, timeout)"}},
		{"Path is not a key", "path: x\n", []string{"c.yaml:1: path: unknown key (known keys: agreements, auth, customers, fetch, log, notify, partner_center, report, schedule, serve, storage)"}},
		{"resolved secret is not a key", "auth:\n  client_secret: x\n",
			[]string{"c.yaml:2: auth.client_secret: unknown key (secrets are not read from the file: set client_secret_env to the name of an environment variable)"}},
		{"merge key", "base: &b\n  concurrency: 2\nfetch:\n  <<: *b\n",
			[]string{"c.yaml:1: base: unknown key (known keys: agreements, auth, customers, fetch, log, notify, partner_center, report, schedule, serve, storage)",
				"c.yaml:4: fetch.<<: unknown key (YAML merge keys are not supported; repeat the values)"}},
		{"duplicate section", "fetch: {}\nlog: {}\nfetch: {}\n", []string{"c.yaml:3: fetch: duplicate key (first set on line 1)"}},
		{"several problems, sorted", "log:\n  level: [a]\nfetch:\n  concurrency: 1.5\n  timeout: soon\n",
			[]string{"c.yaml:2: log.level: must be a single value, got a list",
				"c.yaml:4: fetch.concurrency: must be a whole number, got \"1.5\"",
				`c.yaml:5: fetch.timeout: must be a duration like 30s or 2m, got "soon"`}},
		{"quoted number", "fetch:\n  concurrency: \"8\"\n", []string{`c.yaml:2: fetch.concurrency: must be a whole number, got "8"`}},
		{"overflow", "fetch:\n  concurrency: 99999999999999999999999\n", []string{`c.yaml:2: fetch.concurrency: must be a whole number, got "99999999999999999999999"`}},
		{"mapping as string", "storage:\n  path: {a: b}\n", []string{"c.yaml:2: storage.path: must be a single value, got a mapping"}},
		{"list item mapping", "report:\n  formats:\n    - csv\n    - {a: b}\n", []string{"c.yaml:4: report.formats[1]: must be a single value, got a mapping"}},
		{"list item null", "report:\n  formats: [csv, ~]\n", []string{"c.yaml:2: report.formats[1]: must be a single value, got nothing"}},
		{"duration as mapping", "fetch:\n  timeout: {s: 1}\n", []string{"c.yaml:2: fetch.timeout: must be a duration like 30s or 2m"}},
		{"complex key", "? [a]\n: b\n", []string{"c.yaml:1: keys must be plain names, got a list"}},
		{"top-level scalar", "hello\n", []string{`c.yaml:1: the config file must be a mapping of keys, got "hello"`}},
		{"broken second document", "fetch: {}\n---\n[\n", []string{"c.yaml:3: invalid YAML: did not find expected node content"}},
		{"tab indentation", "fetch:\n\tconcurrency: 2\n", []string{"c.yaml:2: invalid YAML: found character that cannot start any token"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(strings.NewReader(tt.yaml), "c.yaml")
			assertErrors(t, err, tt.want)
		})
	}
}

func TestParse_tooLarge(t *testing.T) {
	big := "# " + strings.Repeat("x", maxFileSize) + "\n"
	_, err := Parse(strings.NewReader(big), "big.yaml")
	assertErrors(t, err, []string{"big.yaml: file is larger than 1048576 bytes"})
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }

func TestParse_readError(t *testing.T) {
	_, err := Parse(failingReader{}, "c.yaml")
	if err == nil || err.Error() != "read config c.yaml: disk on fire" {
		t.Fatalf("Parse(failing reader)=%v, want read config c.yaml: disk on fire", err)
	}
}

// assertErrors checks that err holds exactly the FieldErrors want, in order.
func assertErrors(tb testing.TB, err error, want []string) {
	tb.Helper()
	if len(want) == 0 {
		if err != nil {
			tb.Fatalf("err=%v, want nil", err)
		}
		return
	}
	fes := FieldErrors(err)
	got := make([]string, len(fes))
	for i, fe := range fes {
		got[i] = fe.Error()
	}
	if !reflect.DeepEqual(got, want) {
		tb.Fatalf("errors:\n  %s\nwant:\n  %s\n(err=%v)", strings.Join(got, "\n  "), strings.Join(want, "\n  "), err)
	}
	if err.Error() != strings.Join(want, "\n") {
		tb.Fatalf("err.Error()=%q, want the messages joined by newlines", err.Error())
	}
}

func TestParse_roundTrip(t *testing.T) {
	want := mustParseFile(t, "../testdata/config/full.yaml")
	b, err := yaml.Marshal(want)
	if err != nil {
		t.Fatalf("Marshal()=%v", err)
	}
	got, err := Parse(strings.NewReader(string(b)), want.Path)
	if err != nil {
		t.Fatalf("Parse(Marshal(full.yaml))=%v\n%s", err, b)
	}
	if !reflect.DeepEqual(stripped(got), stripped(want)) {
		t.Fatalf("round trip changed the config:\n%+v\nwant\n%+v", got, want)
	}
	if strings.Contains(string(b), "access_token:") || strings.Contains(string(b), "client_secret:") {
		t.Fatalf("marshalled config holds secret keys:\n%s", b)
	}
}

// TestParse_CurrentSince: an explicit empty value turns the check off, a
// missing key keeps the default, and a bad date names its line.
func TestParse_CurrentSince(t *testing.T) {
	tests := []struct {
		name, yaml, want, wantErr string
	}{
		{"default", "agreements:\n  required: MicrosoftCustomerAgreement\n", DefaultCurrentSince, ""},
		{"unquoted date", "agreements:\n  current_since: 2024-02-29\n", "2024-02-29", ""},
		{"explicit empty", "agreements:\n  current_since: \"\"\n", "", ""},
		{"bad date", "log:\n  level: info\nagreements:\n  current_since: April 2023\n", "",
			`x.yaml:4: agreements.current_since: must be a date like 2023-04-01 (YYYY-MM-DD), or empty to turn the check off, got "April 2023"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse(strings.NewReader(tt.yaml), "x.yaml")
			if err == nil {
				err = c.Validate()
			}
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("Parse+Validate=%v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := c.Agreements.CurrentSince; got != tt.want {
				t.Fatalf("CurrentSince=%q, want %q", got, tt.want)
			}
		})
	}
}
