package storage

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"testing"
	"time"
)

// pruneCrashEnv carries the database path to the child process of
// TestDB_Prune_Crash, pruneKeepEnv the number of runs it keeps.
const (
	pruneCrashEnv = "MCAWATCH_STORAGE_PRUNE_CRASH_DB"
	pruneKeepEnv  = "MCAWATCH_STORAGE_PRUNE_KEEP"
)

// pruneStages are the points the child reports, in order.
var pruneStages = []string{"start", "planned", "deleting", "deleted", "vacuumed", "reclaimed"}

// TestPruneCrashChild is the child process of TestDB_Prune_Crash: it takes
// the lock and prunes to the newest complete runs, printing each stage.
func TestPruneCrashChild(t *testing.T) {
	path := os.Getenv(pruneCrashEnv)
	if path == "" {
		t.Skip("helper process of TestDB_Prune_Crash; runs only when re-executed by it")
	}
	db, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	unlock, err := db.Lock()
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	keep, err := strconv.Atoi(os.Getenv(pruneKeepEnv))
	if err != nil {
		t.Fatal(err)
	}
	db.pruneStage = func(stage string) { fmt.Println(stage) }
	fmt.Println("start")
	if _, err := db.Prune(context.Background(), Retention{KeepLast: keep}, false); err != nil {
		t.Fatal(err)
	}
	fmt.Println("done")
}

// TestDB_Prune_Crash kills a pruning child process at random points, on
// each way Prune gives space back (an incremental vacuum after removing two
// runs of eight, a VACUUM after removing most, the one-time VACUUM of a
// database made before incremental auto-vacuum), and checks that the
// database is intact and either pruned or not: the runs stored are all of
// them or exactly the kept ones, each reading back as before.
func TestDB_Prune_Crash(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 2))
	dir := t.TempDir()
	template := filepath.Join(dir, "template.db")
	c := newClock()
	db := mustOpenPath(t, template, c)
	cs := testCustomers(3000)
	for day := 0; day < 8; day++ {
		rs := benchResults(cs, day%2 == 1)
		run, _ := storeSweep(t, db, cs, rs)
		mustFinish(t, db, run.ID, StateComplete)
		if err := db.SetReport(run.ID, fmt.Sprintf("r%d", run.ID)); err != nil {
			t.Fatal(err)
		}
		c.t = c.t.Add(24 * time.Hour)
	}
	before := mustSnapshots(t, db)
	var all []int64
	for id := range before {
		all = append(all, id)
	}
	slices.Sort(all)
	kept := map[int][]int64{} // by keep_last
	for _, keep := range []int{1, 5} {
		dry, err := db.Prune(context.Background(), Retention{KeepLast: keep}, true)
		if err != nil {
			t.Fatal(err)
		}
		if len(dry.Removed) == 0 {
			t.Fatalf("the dry run of keep_last %d removes nothing", keep)
		}
		for _, k := range dry.Kept {
			kept[keep] = append(kept[keep], k.ID)
		}
	}
	db.Close()
	legacy := filepath.Join(dir, "legacy.db")
	copyFile(t, template, legacy)
	raw := mustOpenPath(t, legacy, c)
	if _, err := raw.writer.Exec(`PRAGMA auto_vacuum = 0`); err != nil {
		t.Fatal(err)
	}
	if _, err := raw.writer.Exec(`VACUUM`); err != nil {
		t.Fatal(err)
	}
	raw.Close()

	outcomes := map[string]int{}
	for round := 0; round < 9; round++ {
		path := filepath.Join(dir, fmt.Sprintf("round%d.db", round))
		from, keep := template, 1 // VACUUM
		switch round % 3 {
		case 1:
			from = legacy // the one-time VACUUM
		case 2:
			keep = 5 // incremental vacuum
		}
		copyFile(t, from, path)
		stage, finished := pruneCrashRound(t, path, keep, rng)
		db := mustOpenPath(t, path, c)
		mustIntact(t, db)
		got := mustSnapshots(t, db)
		var ids []int64
		for id, snap := range got {
			ids = append(ids, id)
			if !reflect.DeepEqual(snap, before[id]) {
				t.Fatalf("round %d (killed after %q): LoadSnapshot(%d) differs from before", round, stage, id)
			}
		}
		slices.Sort(ids)
		var outcome string
		switch {
		case reflect.DeepEqual(ids, all):
			outcome = "not pruned"
		case reflect.DeepEqual(ids, kept[keep]):
			outcome = "pruned"
		default:
			t.Fatalf("round %d (killed after %q): runs %v stored, want %v or %v", round, stage, ids, all, kept[keep])
		}
		if finished && outcome != "pruned" {
			t.Fatalf("round %d: the child finished but the runs are %s", round, outcome)
		}
		// Whatever the kill left, pruning again finishes the job.
		if _, err := db.Prune(context.Background(), Retention{KeepLast: keep}, false); err != nil {
			t.Fatalf("round %d: Prune after the kill: %v", round, err)
		}
		mustIntact(t, db)
		db.Close()
		outcomes[outcome]++
		t.Logf("round %d (keep_last %d): killed after %q: %s", round, keep, stage, outcome)
	}
	t.Logf("outcomes: %v", outcomes)
}

// pruneCrashRound runs the child until it reports a random stage, waits a
// random moment and kills it. It returns the last stage seen and whether
// the child finished first.
func pruneCrashRound(t *testing.T, path string, keep int, rng *rand.Rand) (string, bool) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestPruneCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), pruneCrashEnv+"="+path, pruneKeepEnv+"="+strconv.Itoa(keep))
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() })
	killAt := pruneStages[rng.IntN(len(pruneStages))]
	sc := bufio.NewScanner(out)
	last, finished := "", false
	for sc.Scan() {
		line := sc.Text()
		if line == "done" {
			finished = true
			break
		}
		if !slices.Contains(pruneStages, line) {
			continue
		}
		last = line
		if line == killAt {
			time.Sleep(time.Duration(rng.IntN(3000)) * time.Microsecond)
			if err := cmd.Process.Kill(); err != nil {
				t.Fatal(err)
			}
			break
		}
	}
	io.Copy(io.Discard, out)
	cmd.Wait()
	return last, finished
}

// copyFile copies a closed database file.
func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o600); err != nil {
		t.Fatal(err)
	}
}
