package storage

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

// mustCreateV1 creates a database at schema version 1, as an mcawatch of
// that version left it: two complete runs over three customers listed in a
// different order each time. In the second run customers[0] fails, and
// customers[1] has been missing since the first.
func mustCreateV1(t *testing.T, path string, c *clock, cs []Customer) {
	t.Helper()
	raw, err := sql.Open("sqlite", dsn(path, "_pragma=foreign_keys(1)"))
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	day0, day1 := c.t.Unix(), c.t.Add(24*time.Hour).Unix()
	a := mca("2024-01-02")
	exec := func(query string, args ...any) {
		t.Helper()
		if _, err := raw.Exec(query, args...); err != nil {
			t.Fatalf("%s: %v", query, err)
		}
	}
	exec(ms[0].sql)
	exec(`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied INTEGER NOT NULL)`)
	exec(`INSERT INTO schema_migrations VALUES (1, ?, ?)`, ms[0].name, day0)
	exec(fmt.Sprintf("PRAGMA application_id = %d", applicationID))
	for _, c := range cs {
		exec(`INSERT INTO customers VALUES (?, ?, ?, ?, ?)`, customerKey(c.ID), c.ID, c.CompanyName, c.Domain, c.Relationship)
	}
	for i, started := range []int64{day0, day1} {
		runID := int64(i + 1)
		exec(`INSERT INTO runs (id, kind, started, finished, state, required, types, customers, done, errors)
			VALUES (?, 'run', ?, ?, 'complete', 'MicrosoftCustomerAgreement', '["MicrosoftCustomerAgreement"]', 3, 3, ?)`,
			runID, started, started+60, i)
		order := []int{0, 1, 2}
		if runID == 2 {
			order = []int{2, 0, 1}
		}
		for pos, ci := range order {
			c := cs[ci]
			exec(`INSERT INTO run_customers VALUES (?, ?, ?, ?, ?, ?, ?)`,
				runID, pos, customerKey(c.ID), c.ID, c.CompanyName, c.Domain, c.Relationship)
			key := resultKey(runID, int64(pos))
			switch {
			case ci == 0 && runID == 2:
				exec(`INSERT INTO results (id, run_id, position, customer_id, status, http_status, error_code, message, attempts)
					VALUES (?, ?, ?, ?, 'error', 500, '3000', 'server error', 6)`, key, runID, pos, c.ID)
			case ci == 1:
				exec(`INSERT INTO results (id, run_id, position, customer_id, status, attempts, missing_since)
					VALUES (?, ?, ?, ?, 'ok', 1, ?)`, key, runID, pos, c.ID, day0)
			default:
				exec(`INSERT INTO results (id, run_id, position, customer_id, status, attempts) VALUES (?, ?, ?, ?, 'ok', 1)`,
					key, runID, pos, c.ID)
				exec(`INSERT INTO acceptances VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, acceptanceKey(key, 0), a.Type,
					a.DateAgreed.Unix(), a.TemplateID, a.ContactName, a.ContactEmail, a.ContactPhone, a.AgreementLink, a.UserID)
			}
		}
	}
}

func TestOpen_MigratesVersion1(t *testing.T) {
	c := newClock()
	cs := testCustomers(3)
	path := filepath.Join(t.TempDir(), "mcawatch.db")
	mustCreateV1(t, path, c, cs)
	day0 := c.t
	c.t = c.t.Add(48 * time.Hour)
	db := mustOpenPath(t, path, c)

	ms, _ := migrations()
	var version, keys, oldIndex int
	if err := db.reader.QueryRow(`SELECT max(version) FROM schema_migrations`).Scan(&version); err != nil {
		t.Fatal(err)
	}
	if err := db.reader.QueryRow(`SELECT count(*) FROM run_customer_keys`).Scan(&keys); err != nil {
		t.Fatal(err)
	}
	if err := db.reader.QueryRow(`SELECT count(*) FROM sqlite_schema WHERE name = 'run_customers_customer'`).Scan(&oldIndex); err != nil {
		t.Fatal(err)
	}
	if version != len(ms) || keys != 6 || oldIndex != 0 {
		t.Fatalf("after migrating: version %d, %d customer keys, old index %d; want %d, 6, 0", version, keys, oldIndex, len(ms))
	}

	// The error's last good result and the missing streak are found in the
	// runs stored before the migration.
	snap := mustSnapshot(t, db, 2)
	want := okResult(cs[0], mca("2024-01-02"))
	if got := stateOf(t, snap, cs[0].ID); !reflect.DeepEqual(got.LastGood, &want) {
		t.Fatalf("LastGood of the failed customer = %+v, want %+v", got.LastGood, want)
	}
	if got := stateOf(t, snap, cs[1].ID).MissingSince; !got.Equal(day0) {
		t.Fatalf("MissingSince = %v, want %v", got, day0)
	}

	// A run after the migration carries the streak on from run 2.
	run := mustBegin(t, db, cs)
	mustSave(t, db, run.ID, okResult(cs[0], mca("2024-01-02")), okResult(cs[1]), okResult(cs[2], mca("2024-01-02")))
	mustFinish(t, db, run.ID, StateComplete)
	if got := stateOf(t, mustSnapshot(t, db, run.ID), cs[1].ID).MissingSince; !got.Equal(day0) {
		t.Fatalf("MissingSince in the run after migrating = %v, want %v", got, day0)
	}
	var first, last int64
	if err := db.reader.QueryRow(`SELECT first_seen, last_seen FROM customers_seen WHERE id = ?`, cs[1].ID).Scan(&first, &last); err != nil {
		t.Fatal(err)
	}
	if first != day0.Unix() || last != run.Started.Unix() {
		t.Fatalf("customers_seen = %d..%d, want %d..%d", first, last, day0.Unix(), run.Started.Unix())
	}
}

// A database written by mcawatch at schema version 2 (the fixture was made
// by that code, with its snapshots recorded beside it) migrates in place,
// and every old run reads back as it did: same results, records, last good
// results and missing streaks. Complete runs count as reported.
func TestOpen_MigratesVersion2Unchanged(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mcawatch.db")
	if err := os.WriteFile(path, readFile(t, filepath.Join("..", "testdata", "storage", "schema2.db")), 0o600); err != nil {
		t.Fatal(err)
	}
	var want []Snapshot
	if err := json.Unmarshal(readFile(t, filepath.Join("..", "testdata", "storage", "schema2-snapshots.json")), &want); err != nil {
		t.Fatal(err)
	}
	if err := probe(path); err != nil {
		t.Fatal(err)
	}
	db := mustOpenPath(t, path, newClock())
	var version int
	ms, _ := migrations()
	if err := db.reader.QueryRow(`SELECT max(version) FROM schema_migrations`).Scan(&version); err != nil || version != len(ms) {
		t.Fatalf("schema version after Open = %d (%v), want %d", version, err, len(ms))
	}
	if len(want) != 5 {
		t.Fatalf("fixture has %d snapshots, want 5", len(want))
	}
	for _, w := range want {
		got := mustSnapshot(t, db, w.Run.ID)
		if w.Run.State == StateComplete {
			w.Run.ReportDir = ReportDirUnrecorded
		}
		if !reflect.DeepEqual(got.Run, w.Run) {
			t.Errorf("run %d after migrating =\n %+v\nwant\n %+v", w.Run.ID, got.Run, w.Run)
		}
		if !reflect.DeepEqual(got.Customers, w.Customers) {
			t.Errorf("snapshot of run %d after migrating =\n %+v\nwant\n %+v", w.Run.ID, got.Customers, w.Customers)
		}
	}
	// The marker in the migration is the exported one.
	if prev, err := db.PreviousReported(5); err != nil || prev.ID != 2 || prev.ReportDir != ReportDirUnrecorded {
		t.Fatalf("PreviousReported(5) = run %d %q (%v), want run 2, reported", prev.ID, prev.ReportDir, err)
	}
	// The next run continues the streaks of the old ones.
	cs := make([]Customer, 0, 8)
	for _, s := range want[4].Customers {
		cs = append(cs, s.Result.Customer)
	}
	run := mustBegin(t, db, cs)
	var batch []Result
	for _, s := range want[4].Customers {
		r := s.Result
		if r.Status == StatusError {
			r = *s.Effective()
			if s.LastGood == nil {
				r = okResult(s.Result.Customer)
			}
		}
		batch = append(batch, r)
	}
	mustSave(t, db, run.ID, batch...)
	mustFinish(t, db, run.ID, StateComplete)
	snap := mustSnapshot(t, db, run.ID)
	for _, old := range want[4].Customers {
		got := stateOf(t, snap, old.Result.Customer.ID)
		if old.Result.Status == StatusOK && !got.MissingSince.Equal(old.MissingSince) {
			t.Errorf("customer %s MissingSince after migrating = %v, want %v carried on", old.Result.Customer.ID, got.MissingSince, old.MissingSince)
		}
	}
}
