package storage

import (
	"context"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

func TestDB_Notified_OncePerRunAndEvent(t *testing.T) {
	c := newClock()
	db := mustOpenDB(t, c)
	cs := testCustomers(3)
	run := mustBegin(t, db, cs)

	for _, ev := range []NotificationEvent{NotifyReport, NotifyFailed} {
		if got, err := db.Notified(run.ID, ev); err != nil || got {
			t.Fatalf("Notified(%d, %s) before any = %v, %v; want false", run.ID, ev, got, err)
		}
	}
	recs := []NotificationRecord{
		{RunID: run.ID, Event: NotifyFailed, Channel: "teams webhook #1", Reasons: []string{"failed"}, Outcome: NotificationOK, Attempts: 1},
		{RunID: run.ID, Event: NotifyFailed, Channel: "email to ops@example.com", Reasons: []string{"failed"}, Outcome: "email to ops@example.com: no answer in time", Attempts: 3},
	}
	if err := db.RecordNotifications(recs); err != nil {
		t.Fatal(err)
	}
	if got, err := db.Notified(run.ID, NotifyFailed); err != nil || !got {
		t.Fatalf("Notified(failed) after recording = %v, %v; want true", got, err)
	}
	if got, err := db.Notified(run.ID, NotifyReport); err != nil || got {
		t.Fatalf("Notified(report) after a failure notice = %v, %v; want false: the report is news of its own", got, err)
	}
	got, err := db.Notifications(run.ID)
	if err != nil {
		t.Fatal(err)
	}
	for i := range recs {
		recs[i].Sent = c.t
	}
	if !reflect.DeepEqual(got, recs) {
		t.Fatalf("Notifications(%d) =\n%+v\nwant\n%+v", run.ID, got, recs)
	}
	if !got[0].OK() || got[1].OK() {
		t.Fatalf("OK() = %v, %v; want true, false", got[0].OK(), got[1].OK())
	}
}

func TestDB_RecordNotifications_WithoutARunAndAfterReopen(t *testing.T) {
	c := newClock()
	path := filepath.Join(t.TempDir(), "mcawatch.db")
	db := mustOpenPath(t, path, c)
	// A sweep refused before it stored a run (its token was refused) is
	// still recorded, under no run.
	rec := NotificationRecord{Event: NotifyFailed, Channel: "json webhook #1", Reasons: []string{"failed"}, Outcome: NotificationOK, Attempts: 1}
	if err := db.RecordNotifications([]NotificationRecord{rec}); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	again := mustOpenPath(t, path, c)
	got, err := again.Notifications(0)
	if err != nil {
		t.Fatal(err)
	}
	rec.Sent = c.t
	if len(got) != 1 || !reflect.DeepEqual(got[0], rec) {
		t.Fatalf("Notifications(0) after reopening = %+v, want [%+v]", got, rec)
	}
}

func TestDB_RecordNotifications_UnknownRunRefused(t *testing.T) {
	db := mustOpenDB(t, newClock())
	err := db.RecordNotifications([]NotificationRecord{{RunID: 99, Event: NotifyReport, Channel: "slack webhook #1", Outcome: NotificationOK, Attempts: 1}})
	if err == nil {
		t.Fatal("RecordNotifications for run 99, which does not exist: no error")
	}
	if got, _ := db.Notified(99, NotifyReport); got {
		t.Fatal("a refused record was kept")
	}
}

// TestDB_Prune_TakesARunsNotificationsAlong: a pruned run's notification
// records go with it; a kept run's stay, so it is still never re-sent.
func TestDB_Prune_TakesARunsNotificationsAlong(t *testing.T) {
	c := newClock()
	db := mustOpenDB(t, c)
	cs := testCustomers(2)
	var ids []int64
	for range 3 {
		run := mustBegin(t, db, cs)
		mustSave(t, db, run.ID, okResult(cs[0], mca("2024-01-02")), okResult(cs[1]))
		mustFinish(t, db, run.ID, StateComplete)
		ids = append(ids, run.ID)
		c.t = c.t.Add(24 * time.Hour)
		rec := NotificationRecord{RunID: run.ID, Event: NotifyReport, Channel: "json webhook #1", Reasons: []string{"errors"}, Outcome: NotificationOK, Attempts: 1}
		if err := db.RecordNotifications([]NotificationRecord{rec}); err != nil {
			t.Fatal(err)
		}
	}
	res, err := db.Prune(context.Background(), Retention{KeepLast: 1}, false)
	if err != nil {
		t.Fatalf("Prune() with notifications recorded = %v", err)
	}
	if len(res.Removed) == 0 {
		t.Fatal("Prune() removed no run: the test needs one")
	}
	removed := map[int64]bool{}
	for _, p := range res.Removed {
		removed[p.ID] = true
	}
	for _, id := range ids {
		got, err := db.Notified(id, NotifyReport)
		if err != nil {
			t.Fatal(err)
		}
		if want := !removed[id]; got != want {
			t.Errorf("Notified(run %d) after pruning = %v, want %v (removed %v)", id, got, want, removed[id])
		}
	}
}
