package config

import (
	"strings"
	"testing"
)

// TestParse_CSVBOM checks report.csv_bom: off unless the file turns it on,
// and a value that is not a boolean is an error naming the key's line.
func TestParse_CSVBOM(t *testing.T) {
	tests := []struct {
		name, yaml string
		want       bool
		wantErr    bool
	}{
		{"default off", "report:\n  dir: reports\n", false, false},
		{"on", "report:\n  csv_bom: true\n", true, false},
		{"off", "report:\n  csv_bom: false\n", false, false},
		{"not a boolean", "report:\n  csv_bom: maybe\n", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse(strings.NewReader(tt.yaml), "mcawatch.yaml")
			if tt.wantErr {
				if err == nil || !strings.Contains(err.Error(), ":2:") || !strings.Contains(err.Error(), "csv_bom") {
					t.Fatalf("Parse()=%v, want an error naming line 2", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := c.Report.CSVBOM; got != tt.want {
				t.Fatalf("Report.CSVBOM=%v, want %v", got, tt.want)
			}
		})
	}
}
