package storage

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"
)

// pruneIDs is the ids and reasons of pruned or kept runs.
func pruneIDs(ps []PrunedRun) map[int64]string {
	m := map[int64]string{}
	for _, p := range ps {
		m[p.ID] = p.Reason()
	}
	return m
}

// mustSnapshots loads the snapshot of every stored run, by id.
func mustSnapshots(tb testing.TB, db *DB) map[int64]*Snapshot {
	tb.Helper()
	runs, err := db.ListRuns()
	if err != nil {
		tb.Fatal(err)
	}
	snaps := map[int64]*Snapshot{}
	for _, r := range runs {
		snaps[r.ID] = mustSnapshot(tb, db, r.ID)
	}
	return snaps
}

// mustIntact checks the database file's integrity.
func mustIntact(tb testing.TB, db *DB) {
	tb.Helper()
	var check string
	if err := db.reader.QueryRow(`PRAGMA integrity_check`).Scan(&check); err != nil || check != "ok" {
		tb.Fatalf("integrity_check = %q, %v", check, err)
	}
	var fk int
	if err := db.reader.QueryRow(`SELECT count(*) FROM pragma_foreign_key_check`).Scan(&fk); err != nil || fk != 0 {
		tb.Fatalf("foreign_key_check = %d rows, %v", fk, err)
	}
}

// prunedScenario stores nine runs, a day apart:
//
//	1 complete, reported: customers a..f and 2,000 that only it lists
//	2 complete, reported: f answers for the last time
//	3 interrupted, then overtaken (stale)
//	4 complete, reported: e answers for the last time
//	5 failed
//	6 complete, reported: e fails
//	7 complete, its report failed: e fails
//	8 interrupted, resumable: f fails
//	9 running
func prunedScenario(t *testing.T, db *DB, c *clock) (cs, onlyFirst []Customer) {
	t.Helper()
	cs = testCustomers(6)
	onlyFirst = testCustomers(2006)[6:]
	day := func() { c.t = c.t.Add(24 * time.Hour) }
	all := func(list []Customer, except map[int]Result) []Result {
		var rs []Result
		for i, cu := range list {
			if r, ok := except[i]; ok {
				rs = append(rs, r)
				continue
			}
			rs = append(rs, okResult(cu, mca("2024-01-02")))
		}
		return rs
	}
	complete := func(list []Customer, except map[int]Result, report string) int64 {
		run := mustBegin(t, db, list)
		mustSave(t, db, run.ID, all(list, except)...)
		if _, err := db.FinishRun(run.ID, StateComplete); err != nil {
			t.Fatal(err)
		}
		if report != "" {
			if err := db.SetReport(run.ID, report); err != nil {
				t.Fatal(err)
			}
		} else if err := db.SetReportFailed(run.ID, "disk full"); err != nil {
			t.Fatal(err)
		}
		day()
		return run.ID
	}
	complete(append(append([]Customer{}, cs...), onlyFirst...), nil, "r1")
	complete(cs, nil, "r2")
	run := mustBegin(t, db, cs)
	mustSave(t, db, run.ID, okResult(cs[0]))
	mustFinish(t, db, run.ID, StateInterrupted)
	day()
	complete(cs, map[int]Result{5: errResult(cs[5])}, "r4")
	run = mustBegin(t, db, cs)
	mustFinish(t, db, run.ID, StateFailed)
	day()
	complete(cs, map[int]Result{4: errResult(cs[4]), 5: errResult(cs[5])}, "r6")
	complete(cs, map[int]Result{4: errResult(cs[4]), 5: errResult(cs[5])}, "")
	run = mustBegin(t, db, cs)
	mustSave(t, db, run.ID, errResult(cs[5]))
	mustFinish(t, db, run.ID, StateInterrupted)
	day()
	mustBegin(t, db, cs)
	return cs, onlyFirst
}

// Prune with keep_last 1 removes the runs nothing needs and keeps, beside
// the newest complete run, the runs that keep every kept run reading back
// exactly as before: the baseline of its report, the last good answers of
// customers in error, a resumable run and a running one.
func TestDB_Prune_KeepsWhatThePolicyAndKeptRunsNeed(t *testing.T) {
	c := newClock()
	db := mustOpenDB(t, c)
	_, onlyFirst := prunedScenario(t, db, c)
	before := mustSnapshots(t, db)
	ctx := context.Background()

	dry, err := db.Prune(ctx, Retention{KeepLast: 1}, true)
	if err != nil {
		t.Fatalf("Prune(dry run): %v", err)
	}
	if got := mustSnapshots(t, db); !reflect.DeepEqual(got, before) {
		t.Fatalf("a dry run changed the stored runs")
	}
	res, err := db.Prune(ctx, Retention{KeepLast: 1}, false)
	if err != nil {
		t.Fatalf("Prune: %v", err)
	}
	wantRemoved := map[int64]string{1: RemoveByPolicy, 3: RemoveStale, 5: RemoveFailed}
	wantKept := map[int64]string{
		2: "last good answer of customers in error in run 8",
		4: "last good answer of customers in error in run 7",
		6: "previous report of run 7",
		7: "last",
		8: KeepResumable,
		9: KeepRunning,
	}
	for name, r := range map[string]PruneResult{"dry run": dry, "prune": res} {
		if got := pruneIDs(r.Removed); !reflect.DeepEqual(got, wantRemoved) {
			t.Errorf("Prune(%s) removed %v, want %v", name, got, wantRemoved)
		}
		if got := pruneIDs(r.Kept); !reflect.DeepEqual(got, wantKept) {
			t.Errorf("Prune(%s) kept %v, want %v", name, got, wantKept)
		}
	}
	if res.Removed[0].ID != 1 || res.Kept[0].ID != 2 || !res.Removed[0].Started.Equal(newClock().t) {
		t.Errorf("Prune() lists = %+v / %+v, want oldest first with their start", res.Removed, res.Kept)
	}
	if res.BytesAfter >= res.BytesBefore || dry.BytesAfter != dry.BytesBefore {
		t.Errorf("Prune() bytes %d → %d (dry run %d → %d), want the space of run 1 given back", res.BytesBefore,
			res.BytesAfter, dry.BytesBefore, dry.BytesAfter)
	}
	mustIntact(t, db)
	after := mustSnapshots(t, db)
	for id, snap := range after {
		if !reflect.DeepEqual(snap, before[id]) {
			t.Errorf("LoadSnapshot(%d) after Prune differs from before", id)
		}
	}
	if len(after) != len(wantKept) {
		t.Errorf("%d runs stored after Prune, want %d", len(after), len(wantKept))
	}
	if _, err := db.LoadSnapshot(1); !errors.Is(err, ErrNotFound) {
		t.Errorf("LoadSnapshot(1) after Prune = %v, want ErrNotFound", err)
	}
	var gone, customers int
	if err := db.reader.QueryRow(`SELECT count(*) FROM customers WHERE id = ?`, onlyFirst[0].ID).Scan(&gone); err != nil {
		t.Fatal(err)
	}
	if err := db.reader.QueryRow(`SELECT count(*) FROM customers_seen WHERE first_seen IS NOT NULL`).Scan(&customers); err != nil {
		t.Fatal(err)
	}
	if gone != 0 || customers != 6 {
		t.Errorf("after Prune: customer only run 1 listed stored %d times, %d customers seen; want 0 and 6", gone, customers)
	}

	// Pruning again removes nothing; the resumed run completes against
	// the kept ones.
	again, err := db.Prune(ctx, Retention{KeepLast: 1}, false)
	if err != nil || len(again.Removed) != 0 {
		t.Fatalf("Prune() again removed %v (%v), want nothing", again.Removed, err)
	}
}

// A zero Retention keeps every complete run, but a run that can no longer be
// resumed is removed, as Resumable says.
func TestDB_Prune_ZeroRetentionRemovesOnlyStaleRuns(t *testing.T) {
	c := newClock()
	db := mustOpenDB(t, c)
	prunedScenario(t, db, c)
	res, err := db.Prune(context.Background(), Retention{}, false)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := pruneIDs(res.Removed), map[int64]string{3: RemoveStale, 5: RemoveFailed}; !reflect.DeepEqual(got, want) {
		t.Fatalf("Prune(zero) removed %v, want %v", got, want)
	}
	if len(res.Kept) != 7 {
		t.Fatalf("Prune(zero) kept %v, want 7 runs", pruneIDs(res.Kept))
	}
	if _, err := db.Prune(context.Background(), Retention{KeepDaily: -1}, false); err == nil {
		t.Fatal("Prune(keep_daily -1) succeeded, want an error")
	}
}

// A database made before incremental auto-vacuum is rebuilt once by the
// first Prune that removes something, and stays as it read.
func TestDB_Prune_OldDatabaseIsVacuumedOnce(t *testing.T) {
	path := copyFixture(t, "schema3.db")
	db := mustOpenPath(t, path, newClock())
	var mode int
	if err := db.writer.QueryRow(`PRAGMA auto_vacuum`).Scan(&mode); err != nil || mode != 0 {
		t.Fatalf("auto_vacuum of the old file = %d (%v), want 0", mode, err)
	}
	before := mustSnapshots(t, db)
	res, err := db.Prune(context.Background(), Retention{KeepLast: 1}, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Removed) == 0 {
		t.Fatal("Prune() removed nothing from the fixture")
	}
	if err := db.writer.QueryRow(`PRAGMA auto_vacuum`).Scan(&mode); err != nil || mode != autoVacuumIncremental {
		t.Fatalf("auto_vacuum after Prune = %d (%v), want %d", mode, err, autoVacuumIncremental)
	}
	mustIntact(t, db)
	for id, snap := range mustSnapshots(t, db) {
		if !reflect.DeepEqual(snap, before[id]) {
			t.Errorf("LoadSnapshot(%d) after Prune differs from before", id)
		}
	}
}

// A new database hands freed pages back without a rebuild.
func TestOpen_NewDatabaseUsesIncrementalVacuum(t *testing.T) {
	db := mustOpenDB(t, newClock())
	var mode int
	if err := db.writer.QueryRow(`PRAGMA auto_vacuum`).Scan(&mode); err != nil || mode != autoVacuumIncremental {
		t.Fatalf("auto_vacuum of a new database = %d (%v), want %d", mode, err, autoVacuumIncremental)
	}
}

// When some customer fails every night, each run's errors carry answers
// from the run before: Prune keeps those answers for the runs it keeps, but
// does not follow the chain back through every run.
func TestDB_Prune_CustomersFailingEachNightDoNotKeepEveryRun(t *testing.T) {
	c := newClock()
	db := mustOpenDB(t, c)
	cs := testCustomers(8)
	for night := 0; night < 8; night++ {
		run := mustBegin(t, db, cs)
		var rs []Result
		for i, cu := range cs {
			if i == night {
				rs = append(rs, errResult(cu))
				continue
			}
			rs = append(rs, okResult(cu, mca("2024-01-02")))
		}
		mustSave(t, db, run.ID, rs...)
		mustFinish(t, db, run.ID, StateComplete)
		c.t = c.t.Add(24 * time.Hour)
	}
	res, err := db.Prune(context.Background(), Retention{KeepLast: 2}, false)
	if err != nil {
		t.Fatal(err)
	}
	want := map[int64]string{
		5: "last good answer of customers in error in run 6",
		6: "previous report of run 7",
		7: "last",
		8: "last",
	}
	if got := pruneIDs(res.Kept); !reflect.DeepEqual(got, want) {
		t.Fatalf("Prune(keep_last 2) kept %v, want %v", got, want)
	}
	if len(res.Removed) != 4 {
		t.Fatalf("Prune(keep_last 2) removed %v, want runs 1 to 4", pruneIDs(res.Removed))
	}
}

// Removing a few runs of many hands their pages back by an incremental
// vacuum: the file shrinks, and nothing is left on the free list.
func TestDB_Prune_FewRunsRemovedShrinkTheFile(t *testing.T) {
	c := newClock()
	db := mustOpenDB(t, c)
	cs := testCustomers(2000)
	for night := 0; night < 8; night++ {
		run, _ := storeSweep(t, db, cs, benchResults(cs, false))
		mustFinish(t, db, run.ID, StateComplete)
		c.t = c.t.Add(24 * time.Hour)
	}
	checkpointedSize(t, db)
	res, err := db.Prune(context.Background(), Retention{KeepLast: 6}, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Removed) != 1 {
		t.Fatalf("Prune(keep_last 6) removed %v, want run 1 (run 2 is the baseline of run 3)", pruneIDs(res.Removed))
	}
	var free int
	if err := db.writer.QueryRow(`PRAGMA freelist_count`).Scan(&free); err != nil {
		t.Fatal(err)
	}
	if free != 0 || res.BytesAfter >= res.BytesBefore*15/16 {
		t.Fatalf("after Prune: %d free pages, %d → %d bytes; want none free and about an eighth given back", free,
			res.BytesBefore, res.BytesAfter)
	}
}
