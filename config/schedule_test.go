package config

import (
	"strings"
	"testing"
	"time"

	"github.com/robfig/cron/v3"
)

func TestParseSchedule(t *testing.T) {
	tests := []struct {
		spec    string
		wantErr string
	}{
		{"CRON_TZ=UTC 0 2 * * *", ""},
		{"TZ=Europe/Stockholm 30 6 * * 1-5", ""},
		{"  0 2 * * *  ", ""},
		{"@daily", ""},
		{"CRON_TZ=UTC @every 6h", ""},
		{"0 0 29 2 *", ""},
		{"CRON_TZ=UTC", `cron schedule: "CRON_TZ=UTC" has a time zone but no schedule after it; write e.g. CRON_TZ=UTC 0 2 * * *`},
		{"TZ=UTC", `cron schedule: "TZ=UTC" has a time zone but no schedule after it; write e.g. TZ=UTC 0 2 * * *`},
		{"CRON_TZ=", `cron schedule: "CRON_TZ=" has a time zone but no schedule after it; write e.g. CRON_TZ=UTC 0 2 * * *`},
		{"CRON_TZ= 0 2 * * *", "cron schedule: CRON_TZ= needs a zone name, e.g. CRON_TZ=UTC"},
		{"CRON_TZ=UTC\t0 2 * * *", "cron schedule: separate the time zone from the schedule with a space"},
		{"CRON_TZ=UTC\t0", `cron schedule: "CRON_TZ=UTC\t0" has a time zone but no schedule after it; write e.g. CRON_TZ=UTC 0 2 * * *`},
		{"CRON_TZ=Nowhere/Town 0 2 * * *", `cron schedule: unknown time zone "Nowhere/Town" (use an IANA name like UTC or Europe/Stockholm)`},
		{"", "cron schedule: must not be empty"},
		{"0 2 * *", `cron schedule: "0 2 * *" has 4 fields, want 5: minute hour day-of-month month day-of-week (seconds are not supported), or a descriptor like @daily`},
		{"CRON_TZ=UTC 0 0 2 * * *", `cron schedule: "CRON_TZ=UTC 0 0 2 * * *" has 6 fields, want 5: minute hour day-of-month month day-of-week (seconds are not supported), or a descriptor like @daily`},
		{"61 * * * *", `cron schedule: "61 * * * *": end of range (61) above maximum (59): 61`},
		{"@fortnightly", `cron schedule: "@fortnightly": unrecognized descriptor: @fortnightly`},
		{"0 0 30 2 *", `cron schedule: "0 0 30 2 *" never fires (no such date)`},
		{"@every 1m", ""},
		{"CRON_TZ=UTC @every 2h", ""},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			s, err := ParseSchedule(tt.spec)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("ParseSchedule(%q)=%v, want nil", tt.spec, err)
			case tt.wantErr != "" && (err == nil || err.Error() != tt.wantErr):
				t.Fatalf("ParseSchedule(%q)=%v, want %q", tt.spec, err, tt.wantErr)
			case tt.wantErr == "" && s == nil:
				t.Fatalf("ParseSchedule(%q) returned no schedule", tt.spec)
			case tt.wantErr != "" && s != nil:
				t.Fatalf("ParseSchedule(%q) returned a schedule with an error", tt.spec)
			}
		})
	}
}

// TestParseSchedule_RefusesMoreThanOnceAMinute: robfig/cron rounds these up
// to one second, so serve would start a sweep every second.
func TestParseSchedule_RefusesMoreThanOnceAMinute(t *testing.T) {
	for _, spec := range []string{"@every 0s", "@every 1ns", "@every -1s", "@every 30s", "CRON_TZ=UTC @every 59s"} {
		t.Run(spec, func(t *testing.T) {
			s, err := ParseSchedule(spec)
			if err == nil || s != nil {
				t.Fatalf("ParseSchedule(%q)=%v, %v, want an error", spec, s, err)
			}
			if !strings.Contains(err.Error(), "the shortest schedule is @every 1m") {
				t.Fatalf("ParseSchedule(%q)=%v, want it to name the minimum", spec, err)
			}
		})
	}
}

// TestParseSchedule_NamesTheBadField: the parser's raw strconv.Atoi text is
// replaced by the field and what it takes.
func TestParseSchedule_NamesTheBadField(t *testing.T) {
	tests := []struct{ spec, want string }{
		{"0 2 * * MON-", `cron schedule: "0 2 * * MON-": the day-of-week field "MON-" is not valid: use 0-6 or SUN-SAT, a range like 1-5, a list like 1,3, a step like */2, or *`},
		{"0 2-x * * *", `cron schedule: "0 2-x * * *": the hour field "2-x" is not valid: use 0-23, a range like 1-5, a list like 1,3, a step like */2, or *`},
		{"0 2 * FOO *", `cron schedule: "0 2 * FOO *": the month field "FOO" is not valid: use 1-12 or JAN-DEC, a range like 1-5, a list like 1,3, a step like */2, or *`},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			_, err := ParseSchedule(tt.spec)
			if err == nil || err.Error() != tt.want {
				t.Fatalf("ParseSchedule(%q)=%v, want %q", tt.spec, err, tt.want)
			}
			if strings.Contains(err.Error(), "strconv") {
				t.Fatalf("ParseSchedule(%q)=%v: Go-internal text in the message", tt.spec, err)
			}
		})
	}
}

func TestParseSchedule_next(t *testing.T) {
	from := time.Date(2026, 3, 28, 23, 0, 0, 0, time.UTC)
	tests := []struct {
		spec string
		want time.Time
	}{
		{"CRON_TZ=UTC 0 2 * * *", time.Date(2026, 3, 29, 2, 0, 0, 0, time.UTC)},
		{"CRON_TZ=Asia/Tokyo 0 2 * * *", time.Date(2026, 3, 29, 17, 0, 0, 0, time.UTC)},
		{"CRON_TZ=UTC @weekly", time.Date(2026, 3, 29, 0, 0, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			s, err := ParseSchedule(tt.spec)
			if err != nil {
				t.Fatal(err)
			}
			if got := s.Next(from); !got.Equal(tt.want) {
				t.Fatalf("Next(%v)=%v, want %v", from, got.UTC(), tt.want)
			}
		})
	}
}

// TestParseSchedule_upstreamPanic pins the robfig/cron v3.0.1 trap that
// ParseSchedule guards against: its parser panics on a zone prefix with no
// space after it, where ParseSchedule returns an error.
func TestParseSchedule_upstreamPanic(t *testing.T) {
	const spec = "CRON_TZ=UTC"
	panicked := func() (p bool) {
		defer func() { p = recover() != nil }()
		_, _ = cron.ParseStandard(spec)
		return false
	}()
	if !panicked {
		t.Fatalf("cron.ParseStandard(%q) no longer panics: the guard in ParseSchedule may be revisited", spec)
	}
	if _, err := ParseSchedule(spec); err == nil {
		t.Fatalf("ParseSchedule(%q)=nil, want an error", spec)
	}
}
