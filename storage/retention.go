package storage

import (
	"fmt"
	"strings"
	"time"
)

// Retention is which complete runs Prune keeps, as restic's forget policy
// keeps snapshots (storage.retention in the config). Going through the
// complete runs from the newest back:
//   - KeepLast keeps the newest n;
//   - KeepDaily keeps, for each of the newest n days (UTC) that have a
//     complete run, the newest run of that day; KeepWeekly does the same
//     for ISO weeks and KeepMonthly for calendar months.
//
// A run kept by any rule is kept. The zero value keeps every complete run;
// a negative count is an error.
type Retention struct {
	KeepLast    int
	KeepDaily   int
	KeepWeekly  int
	KeepMonthly int
}

// KeepsAll reports whether r is the zero value, which keeps every complete
// run.
func (r Retention) KeepsAll() bool { return r == Retention{} }

// validate refuses negative counts.
func (r Retention) validate() error {
	for _, k := range []struct {
		name string
		n    int
	}{{"keep_last", r.KeepLast}, {"keep_daily", r.KeepDaily}, {"keep_weekly", r.KeepWeekly}, {"keep_monthly", r.KeepMonthly}} {
		if k.n < 0 {
			return fmt.Errorf("retention %s is %d: want 0 (no such rule) or more", k.name, k.n)
		}
	}
	return nil
}

// The reasons a run is kept that are not rules of the policy.
const (
	KeepAll        = "every complete run is kept"
	KeepRunning    = "running"
	KeepResumable  = "interrupted after the newest complete run: it can be resumed"
	KeepFailedLast = "failed after the newest complete run"
)

// The reasons a run is removed.
const (
	RemoveStale     = "interrupted before the newest complete run: it can no longer be resumed"
	RemoveFailed    = "failed before the newest complete run"
	RemoveByPolicy  = "not kept by the retention policy"
	keepLastReason  = "last"
	keepDayReason   = "daily"
	keepWeekReason  = "weekly"
	keepMonthReason = "monthly"
)

// PrunedRun is one run Prune looked at: removed, or kept, and why.
type PrunedRun struct {
	ID      int64     `json:"id"`
	Kind    string    `json:"kind"`
	Started time.Time `json:"started"`
	State   RunState  `json:"state"`
	// Reasons say why the run is removed (one) or kept (every rule or
	// need that keeps it): the policy's rules read "last", "daily",
	// "weekly", "monthly"; a run a kept run needs reads "previous report
	// of run N" or "last good answer of customers in error in run N".
	Reasons []string `json:"reasons"`
}

// Reason is the reasons joined, for a line of output.
func (p PrunedRun) Reason() string { return strings.Join(p.Reasons, ", ") }

// PruneResult is what Prune removed (or, in a dry run, would remove) and
// kept, each oldest first.
type PruneResult struct {
	DryRun  bool        `json:"dry_run"`
	Removed []PrunedRun `json:"removed"`
	Kept    []PrunedRun `json:"kept"`
	// BytesBefore and BytesAfter are the size of the database file with
	// its write-ahead log before and after; equal in a dry run.
	BytesBefore int64 `json:"bytes_before"`
	BytesAfter  int64 `json:"bytes_after"`
}

// bucket is one counting rule of a policy.
type bucket struct {
	reason string
	count  int
	key    func(t time.Time, n int) int
	last   int
	used   bool
}

// policyKeeps applies r to complete runs, newest first, and returns the
// reasons each kept run is kept for, by index. As in restic, a rule keeps a
// run when the run falls into a period (day, week, month; for KeepLast,
// every run is its own period) other than that of the last run the rule
// kept, and the rule has kept fewer runs than its count.
func policyKeeps(r Retention, complete []Run) map[int][]string {
	keep := map[int][]string{}
	if r.KeepsAll() {
		for i := range complete {
			keep[i] = []string{KeepAll}
		}
		return keep
	}
	buckets := []*bucket{
		{reason: keepLastReason, count: r.KeepLast, key: func(_ time.Time, n int) int { return n }},
		{reason: keepDayReason, count: r.KeepDaily, key: func(t time.Time, _ int) int {
			y, m, d := t.Date()
			return y*10000 + int(m)*100 + d
		}},
		{reason: keepWeekReason, count: r.KeepWeekly, key: func(t time.Time, _ int) int {
			y, w := t.ISOWeek()
			return y*100 + w
		}},
		{reason: keepMonthReason, count: r.KeepMonthly, key: func(t time.Time, _ int) int {
			y, m, _ := t.Date()
			return y*100 + int(m)
		}},
	}
	for i, run := range complete {
		started := run.Started.UTC()
		for _, b := range buckets {
			if b.count == 0 {
				continue
			}
			k := b.key(started, i)
			if b.used && k == b.last {
				continue
			}
			b.last, b.used = k, true
			b.count--
			keep[i] = append(keep[i], b.reason)
		}
	}
	return keep
}
