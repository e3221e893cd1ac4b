package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeConfig writes a config file and the files beside it into a new
// folder and returns the config's path.
func writeConfig(t *testing.T, yaml string, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(dir, "mcawatch.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

const resellerEmail = `notify:
  email:
    host: smtp.example.com
    from: mcawatch@example.com
    to: [compliance@example.com]
`

func TestLoad_GroupByReseller_KeysAndTheirErrors(t *testing.T) {
	tests := []struct {
		name, yaml string
		files      map[string]string
		wantErr    string // "" for none; else a part of the error
	}{
		{"off by default", "report:\n  dir: r\n", nil, ""},
		{"group, split and contacts", "customers:\n  group_by: reseller\nreport:\n  split_by_reseller: true\n" + resellerEmail +
			"  reseller_contacts: resellers.csv\n",
			map[string]string{"resellers.csv": "reseller_id,email\nAAAA-1,a@example.com\naaaa-1,b@example.com\n"}, ""},
		{"unknown grouping", "customers:\n  group_by: distributor\n", nil, `mcawatch.yaml:2: customers.group_by: must be reseller`},
		{"split without grouping", "report:\n  split_by_reseller: true\n", nil, "mcawatch.yaml:2: report.split_by_reseller: needs customers.group_by"},
		{"contacts without split", "customers:\n  group_by: reseller\n" + resellerEmail + "  reseller_contacts: resellers.csv\n",
			map[string]string{"resellers.csv": "reseller_id,email\nr1,a@example.com\n"}, "notify.reseller_contacts: needs report.split_by_reseller"},
		{"contacts: a bad address names its line", "customers:\n  group_by: reseller\nreport:\n  split_by_reseller: true\n" + resellerEmail +
			"  reseller_contacts: resellers.csv\n",
			map[string]string{"resellers.csv": "reseller_id,email\nr1,a@example.com\nr2,not an address\n"}, `resellers.csv:3: "not an address" is not one email address`},
		{"contacts: no such file", "customers:\n  group_by: reseller\nreport:\n  split_by_reseller: true\n" + resellerEmail +
			"  reseller_contacts: nowhere.csv\n", nil, "nowhere.csv"},
		{"contacts: header without email", "customers:\n  group_by: reseller\nreport:\n  split_by_reseller: true\n" + resellerEmail +
			"  reseller_contacts: resellers.csv\n",
			map[string]string{"resellers.csv": "reseller_id,mail\nr1,a@example.com\n"}, "resellers.csv:1: the header must name the columns reseller_id and email"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeConfig(t, tt.yaml, tt.files)
			c, err := Load(path, func(string) string { return "token" })
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Load()=%v, want an error with %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tt.files != nil {
				if got, want := c.Notify.ResellerContacts, filepath.Join(filepath.Dir(path), "resellers.csv"); got != want {
					t.Fatalf("Notify.ResellerContacts=%q, want %q (relative to the config's folder)", got, want)
				}
				if c.Customers.GroupBy != GroupByReseller || !c.Report.SplitByReseller {
					t.Fatalf("GroupBy=%q SplitByReseller=%v", c.Customers.GroupBy, c.Report.SplitByReseller)
				}
			}
		})
	}
}
