package storage

import (
	"reflect"
	"testing"
	"time"
)

// Retention keeps complete runs as restic's forget policy keeps snapshots.
func TestRetention_policyKeeps_LikeResticForget(t *testing.T) {
	// Complete runs, newest first: two a day on 2026-03-10 and 2026-03-09,
	// one a day back to 2026-02-25, and one on 2026-01-15.
	var runs []Run
	at := func(s string) time.Time {
		d, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	add := func(s string) {
		runs = append(runs, Run{ID: int64(100 - len(runs)), Started: at(s), State: StateComplete})
	}
	add("2026-03-10T14:00:00Z")
	add("2026-03-10T02:00:00Z")
	add("2026-03-09T14:00:00Z")
	add("2026-03-09T02:00:00Z")
	for d := 8; d >= 1; d-- {
		add(time.Date(2026, 3, d, 2, 0, 0, 0, time.UTC).Format(time.RFC3339))
	}
	for d := 28; d >= 25; d-- {
		add(time.Date(2026, 2, d, 2, 0, 0, 0, time.UTC).Format(time.RFC3339))
	}
	add("2026-01-15T02:00:00Z")
	tests := []struct {
		name string
		r    Retention
		want map[int][]string // index in runs → reasons
	}{
		{"zero keeps everything", Retention{}, nil},
		{"keep_last 3", Retention{KeepLast: 3}, map[int][]string{0: {"last"}, 1: {"last"}, 2: {"last"}}},
		{"keep_daily 3: the newest of each of the newest 3 days", Retention{KeepDaily: 3},
			map[int][]string{0: {"daily"}, 2: {"daily"}, 4: {"daily"}}},
		{"keep_weekly 3: ISO weeks from Monday (03-09, 03-02, 02-23)", Retention{KeepWeekly: 3},
			map[int][]string{0: {"weekly"}, 4: {"weekly"}, 11: {"weekly"}}},
		{"keep_monthly 5: more months than there are", Retention{KeepMonthly: 5},
			map[int][]string{0: {"monthly"}, 12: {"monthly"}, 16: {"monthly"}}},
		{"rules add up", Retention{KeepLast: 2, KeepDaily: 2, KeepMonthly: 2},
			map[int][]string{0: {"last", "daily", "monthly"}, 1: {"last"}, 2: {"daily"}, 12: {"monthly"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := policyKeeps(tt.r, runs)
			if tt.want == nil {
				if len(got) != len(runs) {
					t.Fatalf("policyKeeps(zero) kept %d of %d runs", len(got), len(runs))
				}
				return
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("policyKeeps(%+v) = %v, want %v", tt.r, got, tt.want)
			}
		})
	}
}
