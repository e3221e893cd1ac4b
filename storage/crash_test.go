package storage

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// crashEnv carries the database path to the child process of TestDB_Crash.
const crashEnv = "MCAWATCH_STORAGE_CRASH_DB"

// crashPauseEnv makes the child wait on its standard input after its first
// commit.
const crashPauseEnv = "MCAWATCH_STORAGE_CRASH_PAUSE"

const (
	crashCustomers = 6000
	crashBatch     = 100
)

// crashRecords is the i-th customer's two acceptance records.
func crashRecords(c Customer) Result {
	cloud := mca("2019-08-26")
	cloud.Type = "MicrosoftCloudAgreement"
	return okResult(c, cloud, mca("2024-01-02"))
}

// TestCrashChild is the child process of TestDB_Crash: it takes the lock,
// resumes the interrupted run and saves the pending customers in batches of
// crashBatch list positions, printing "committed N" after each commit.
func TestCrashChild(t *testing.T) {
	path := os.Getenv(crashEnv)
	if path == "" {
		t.Skip("helper process of TestDB_Crash; runs only when re-executed by it")
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
	run, err := db.LatestRun(StateInterrupted)
	if err != nil {
		t.Fatal(err)
	}
	if run, err = db.ResumeRun(run.ID, ""); err != nil {
		t.Fatal(err)
	}
	// With crashPauseEnv set, the child waits after its first commit until
	// the parent has checked that the child holds the lock: otherwise a
	// fast child could finish, and release it, before the parent looks.
	pause := os.Getenv(crashPauseEnv) != ""
	if err := saveInBatches(db, run.ID, func(batch int) {
		fmt.Printf("committed %d\n", batch)
		if pause {
			pause = false
			bufio.NewReader(os.Stdin).ReadString('\n')
		}
	}); err != nil {
		t.Fatal(err)
	}
	fmt.Println("done")
}

// saveInBatches saves the run's pending customers in whole batches of list
// positions and reports each committed batch number.
func saveInBatches(db *DB, runID int64, committed func(batch int)) error {
	all, err := db.RunCustomers(runID)
	if err != nil {
		return err
	}
	position := make(map[string]int, len(all))
	for i, c := range all {
		position[c.ID] = i
	}
	pending, err := db.PendingCustomers(runID)
	if err != nil {
		return err
	}
	for len(pending) > 0 {
		batchNo := position[pending[0].ID] / crashBatch
		var batch []Result
		for len(pending) > 0 && position[pending[0].ID]/crashBatch == batchNo {
			batch = append(batch, crashRecords(pending[0]))
			pending = pending[1:]
		}
		if err := db.SaveResults(runID, batch); err != nil {
			return err
		}
		committed(batchNo)
	}
	return nil
}

// TestDB_Crash kills a writing child process at random points and checks
// that the database is intact, holds exactly the committed batches, and that
// the run can be resumed to completion.
func TestDB_Crash(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 1))
	path := filepath.Join(t.TempDir(), "mcawatch.db")
	setup := mustOpenPath(t, path, nil)
	cs := testCustomers(crashCustomers)
	run := mustBegin(t, setup, cs)
	setup.Close() // leaves the run "running", owned by no live process

	reported := map[int]bool{}
	for round := 1; round <= 5; round++ {
		done := crashRound(t, path, rng, round, reported)
		checkCrashState(t, path, cs, reported)
		if done {
			break
		}
	}

	db := mustOpenPath(t, path, nil)
	unlock, err := db.Lock()
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	if _, err := db.ResumeRun(run.ID, ""); err != nil {
		t.Fatal(err)
	}
	if err := saveInBatches(db, run.ID, func(int) {}); err != nil {
		t.Fatalf("resume: %v", err)
	}
	final := mustFinish(t, db, run.ID, StateComplete)
	if final.Done != crashCustomers || final.Errors != 0 {
		t.Fatalf("resumed run done=%d errors=%d, want %d and 0", final.Done, final.Errors, crashCustomers)
	}
	snap := mustSnapshot(t, db, run.ID)
	if len(snap.Customers) != crashCustomers {
		t.Fatalf("snapshot has %d customers, want %d", len(snap.Customers), crashCustomers)
	}
	for _, s := range snap.Customers {
		if len(s.Result.Acceptances) != 2 {
			t.Fatalf("customer %s has %d records, want 2", s.Result.Customer.ID, len(s.Result.Acceptances))
		}
	}
}

// crashRound runs the child until it has reported a random number of
// commits, checks it holds the lock, kills it with SIGKILL and records the
// batches it reported. It reports whether the child finished the run.
func crashRound(t *testing.T, path string, rng *rand.Rand, round int, reported map[int]bool) bool {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashEnv+"="+path)
	cmd.Stderr = os.Stderr
	var resume io.WriteCloser
	if round == 1 {
		cmd.Env = append(cmd.Env, crashPauseEnv+"=1")
		var err error
		if resume, err = cmd.StdinPipe(); err != nil {
			t.Fatal(err)
		}
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() }) // if the test stops early
	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()

	killAfter := 1 + rng.IntN(10)
	seen, finished := 0, false
	for line := range lines {
		if line == "done" {
			finished = true
		}
		n, ok := strings.CutPrefix(line, "committed ")
		if !ok {
			continue
		}
		batch, err := strconv.Atoi(n)
		if err != nil {
			t.Fatalf("child printed %q", line)
		}
		if reported[batch] {
			t.Fatalf("round %d: batch %d committed twice", round, batch)
		}
		reported[batch] = true
		seen++
		if seen == 1 && round == 1 {
			checkChildHoldsLock(t, path, cmd.Process.Pid)
			resume.Close() // the child goes on
		}
		if seen == killAfter {
			time.Sleep(time.Duration(rng.IntN(2000)) * time.Microsecond)
			if err := cmd.Process.Kill(); err != nil {
				t.Fatal(err)
			}
		}
	}
	err = cmd.Wait()
	t.Logf("round %d: killed after %d commits (%d reported so far): %v", round, seen, len(reported), err)
	return finished
}

// checkChildHoldsLock checks that this process cannot take the lock the
// child holds and is told who holds it.
func checkChildHoldsLock(t *testing.T, path string, pid int) {
	t.Helper()
	db := mustOpenPath(t, path, nil)
	defer db.Close()
	_, err := db.Lock()
	if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), fmt.Sprintf("(pid %d on host ", pid)) {
		t.Fatalf("Lock() while the child sweeps = %v, want the child's pid %d", err, pid)
	}
}

// checkCrashState checks the database a killed child left behind.
func checkCrashState(t *testing.T, path string, cs []Customer, reported map[int]bool) {
	t.Helper()
	db := mustOpenPath(t, path, nil)
	defer db.Close()
	var check string
	if err := db.reader.QueryRow(`PRAGMA integrity_check`).Scan(&check); err != nil || check != "ok" {
		t.Fatalf("integrity_check = %q, %v", check, err)
	}
	unlock, err := db.Lock()
	if err != nil {
		t.Fatalf("Lock() after the holder died: %v", err)
	}
	defer unlock()
	run, err := db.LatestRun(StateInterrupted)
	if err != nil {
		t.Fatalf("the dead child's run is not interrupted: %v", err)
	}

	counts := map[string]int{}
	rows, err := db.reader.Query(`SELECT customer_id, (SELECT count(*) FROM acceptances a
		WHERE a.id BETWEEN r.id * 1024 AND r.id * 1024 + 1023) FROM results r WHERE run_id = ?`, run.ID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var records int
		if err := rows.Scan(&id, &records); err != nil {
			t.Fatal(err)
		}
		if records != 2 {
			t.Fatalf("customer %s has %d records, want 2", id, records)
		}
		counts[id]++
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	for b := 0; b*crashBatch < len(cs); b++ {
		present := 0
		for _, c := range cs[b*crashBatch : min((b+1)*crashBatch, len(cs))] {
			if counts[c.ID] > 1 {
				t.Fatalf("customer %s stored %d times", c.ID, counts[c.ID])
			}
			present += counts[c.ID]
		}
		if present != 0 && present != crashBatch {
			t.Fatalf("batch %d is partial: %d of %d customers", b, present, crashBatch)
		}
		if reported[b] && present == 0 {
			t.Fatalf("batch %d was reported committed but is absent", b)
		}
	}
}
