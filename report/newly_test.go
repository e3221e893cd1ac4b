package report

import (
	"testing"
	"time"

	"github.com/mcawatch/mcawatch/storage"
)

// TestDiff_NewlyMarksTheRowsCounted checks that the rows marked Newly are
// exactly the customers Summary counts as newly missing and newly
// outdated, so a notification can name them.
func TestDiff_NewlyMarksTheRowsCounted(t *testing.T) {
	cut := time.Date(2023, 4, 1, 0, 0, 0, 0, time.UTC)
	stillMissing := customer(1, "Still Missing")
	nowMissing := customer(2, "Now Missing")
	stillOld := customer(3, "Still Old")
	nowOld := customer(4, "Now Old")
	joinedMissing := customer(5, "Joined Missing")
	old := record(mca, "2020-05-01", "t0")
	current := record(mca, "2024-05-01", "t1")

	prev := snapshot(1, day1,
		missingState(stillMissing, day1),
		okState(nowMissing, storage.DirectNotAsked, current),
		okState(stillOld, storage.DirectNotSigned, old),
		okState(nowOld, storage.DirectNotAsked, current),
	)
	prev.Run.CurrentSince = cut
	cur := snapshot(2, day2,
		missingState(stillMissing, day1),
		missingState(nowMissing, time.Time{}),
		okState(stillOld, storage.DirectNotSigned, old),
		okState(nowOld, storage.DirectNotSigned, old),
		missingState(joinedMissing, time.Time{}),
	)
	cur.Run.CurrentSince = cut
	r := Diff(prev, cur, DiffOptions{})

	newly := map[string]bool{}
	for _, m := range r.Missing {
		newly[m.Customer.CompanyName] = m.Newly
	}
	for _, o := range r.Outdated {
		newly[o.Customer.CompanyName] = o.Newly
	}
	want := map[string]bool{"Still Missing": false, "Now Missing": true, "Joined Missing": true, "Still Old": false, "Now Old": true}
	for name, w := range want {
		if got, ok := newly[name]; !ok || got != w {
			t.Errorf("%s: Newly = %v (listed %v), want %v", name, got, ok, w)
		}
	}
	if got, want := r.Summary.NewlyMissing, 2; got != want {
		t.Errorf("Summary.NewlyMissing = %d, want %d", got, want)
	}
	if got, want := r.Summary.NewlyOutdated, 1; got != want {
		t.Errorf("Summary.NewlyOutdated = %d, want %d", got, want)
	}
}
