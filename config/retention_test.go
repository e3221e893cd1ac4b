package config

import (
	"strings"
	"testing"
)

func TestParse_Retention_KeepsEverythingByDefault(t *testing.T) {
	c, err := Parse(strings.NewReader("storage:\n  path: x.db\n"), "mcawatch.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatalf("Validate()=%v, want nil", err)
	}
	if !c.Storage.Retention.KeepsAll() {
		t.Errorf("Storage.Retention=%+v, want every run kept", c.Storage.Retention)
	}
	if got, want := c.Report.Keep, 0; got != want {
		t.Errorf("Report.Keep=%d, want %d (every folder kept)", got, want)
	}
}

func TestParse_Retention_ReadsEveryRuleAndReportKeep(t *testing.T) {
	const yaml = `storage:
  path: x.db
  retention: {keep_last: 7, keep_daily: 31, keep_weekly: 8, keep_monthly: 24}
report:
  keep: 31
`
	c, err := Parse(strings.NewReader(yaml), "mcawatch.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatalf("Validate()=%v, want nil", err)
	}
	if got, want := c.Storage.Retention, (Retention{KeepLast: 7, KeepDaily: 31, KeepWeekly: 8, KeepMonthly: 24}); got != want {
		t.Errorf("Storage.Retention=%+v, want %+v", got, want)
	}
	if got, want := c.Report.Keep, 31; got != want {
		t.Errorf("Report.Keep=%d, want %d", got, want)
	}
}

func TestConfig_Validate_RetentionErrorsNameFileAndLine(t *testing.T) {
	tests := []struct {
		name, yaml string
		parseErr   bool
		want       []string
	}{
		{"negative keep_daily", "storage:\n  retention:\n    keep_last: 3\n    keep_daily: -1\n", false,
			[]string{"mcawatch.yaml:4: storage.retention.keep_daily: must be 0 (no such rule) or more, got -1"}},
		{"negative report.keep", "report:\n  dir: r\n  keep: -2\n", false,
			[]string{"mcawatch.yaml:3: report.keep: must be 0 (keep every report folder) or more, got -2"}},
		{"unknown rule", "storage:\n  retention:\n    keep_yearly: 2\n", true,
			[]string{"mcawatch.yaml:3: storage.retention.keep_yearly: "}},
		{"not a number", "storage:\n  retention:\n    keep_last: seven\n", true,
			[]string{`mcawatch.yaml:3: storage.retention.keep_last: must be a whole number, got "seven"`}},
		{"report.keep a word", "report:\n  keep: all\n", true,
			[]string{`mcawatch.yaml:2: report.keep: must be a whole number, got "all"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse(strings.NewReader(tt.yaml), "mcawatch.yaml")
			if tt.parseErr != (err != nil) {
				t.Fatalf("Parse() error=%v, want an error: %v", err, tt.parseErr)
			}
			if err == nil {
				err = c.Validate()
			}
			if err == nil {
				t.Fatalf("no error, want %q", tt.want)
			}
			got := FieldErrors(err)
			if len(got) != len(tt.want) {
				t.Fatalf("errors=%v, want %q", err, tt.want)
			}
			for i, w := range tt.want {
				if !strings.HasPrefix(got[i].Error(), w) {
					t.Errorf("error %d=%q, want it to start %q", i, got[i].Error(), w)
				}
			}
		})
	}
}
