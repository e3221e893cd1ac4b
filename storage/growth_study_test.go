package storage

import (
	"database/sql"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// growthStudyEnv names the 30-night database BenchmarkDB_Growth30Nights
// keeps (growth-30.db); TestDB_GrowthStudy_AlternativeSchemas runs only
// when it is set.
const growthStudyEnv = "MCAWATCH_GROWTH_STUDY"

// TestDB_GrowthStudy_AlternativeSchemas measures what the 30 nights of the
// growth benchmark would take in two other schemas, by building each one's
// tables from the stored runs into a file of its own:
//
//   - intervals: each customer's list entry, ok state and acceptance
//     records as spans of runs (first run, last run), errors as per-run
//     rows, each run's list order as one blob of tenant ids and its
//     progress as one row per saved batch;
//   - content hashes: per run, one row per customer pointing at a shared
//     content row (names, result, records), stored once per distinct
//     content.
//
// See docs/bench/history.md; run with
//
//	MCAWATCH_GROWTH_STUDY=/tmp/growth/growth-30.db go test -run GrowthStudy -v -timeout 30m ./storage/
func TestDB_GrowthStudy_AlternativeSchemas(t *testing.T) {
	src := os.Getenv(growthStudyEnv)
	if src == "" {
		t.Skip("size study of docs/bench/history.md; set " + growthStudyEnv)
	}
	for _, alt := range []struct {
		name string
		sql  []string
	}{
		{"intervals", intervalStudy},
		{"content hashes", contentStudy},
	} {
		path := filepath.Join(t.TempDir(), "alt.db")
		raw, err := sql.Open("sqlite", dsn(path, "_pragma=journal_mode(OFF)", "_pragma=synchronous(OFF)",
			"_pragma=cache_size(-262144)", "_pragma=temp_store(FILE)"))
		if err != nil {
			t.Fatal(err)
		}
		raw.SetMaxOpenConns(1)
		start := time.Now()
		if _, err := raw.Exec(`ATTACH DATABASE ? AS src`, "file:"+src+"?mode=ro"); err != nil {
			t.Fatal(err)
		}
		for _, q := range alt.sql {
			if _, err := raw.Exec(q); err != nil {
				t.Fatalf("%s: %s: %v", alt.name, q, err)
			}
		}
		if _, err := raw.Exec(`DETACH DATABASE src`); err != nil {
			t.Fatal(err)
		}
		if _, err := raw.Exec(`VACUUM`); err != nil {
			t.Fatal(err)
		}
		rows, err := raw.Query(`SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name`)
		if err != nil {
			t.Fatal(err)
		}
		var tables []string
		for rows.Next() {
			var n string
			rows.Scan(&n)
			tables = append(tables, n)
		}
		rows.Close()
		for _, tb := range tables {
			var n int64
			raw.QueryRow(`SELECT count(*) FROM "` + tb + `"`).Scan(&n)
			t.Logf("%s: table %s: %d rows", alt.name, tb, n)
		}
		raw.Close()
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: %.1f MB for the 30 nights (built in %v)", alt.name, mb(fi.Size()), time.Since(start).Round(time.Second))
	}
}

// intervalStudy builds the interval schema's tables. Spans are merged over
// the runs in which the customer answered ok (an error in between is a
// per-run row and does not break them), as the schema would keep them.
var intervalStudy = []string{
	`CREATE TABLE list_spans (ckey INTEGER NOT NULL, customer_id TEXT NOT NULL, company_name TEXT NOT NULL,
		domain TEXT NOT NULL, relationship TEXT NOT NULL, first_run INTEGER NOT NULL, last_run INTEGER,
		PRIMARY KEY (ckey, customer_id, first_run)) WITHOUT ROWID`,
	`INSERT INTO list_spans SELECT ckey, customer_id, company_name, domain, relationship, min(run_id), max(run_id)
		FROM src.run_customers GROUP BY ckey, customer_id, company_name, domain, relationship`,
	`CREATE TABLE run_lists (run_id INTEGER PRIMARY KEY, ids BLOB NOT NULL)`,
	`INSERT INTO run_lists SELECT id, randomblob(16 * customers) FROM src.runs`,
	`CREATE TABLE run_progress (run_id INTEGER NOT NULL, from_position INTEGER NOT NULL, to_position INTEGER NOT NULL,
		PRIMARY KEY (run_id, from_position)) WITHOUT ROWID`,
	`INSERT INTO run_progress SELECT run_id, position, min(position + 499, max_position) FROM (
		SELECT run_id, position, (SELECT max(position) FROM src.run_customers m WHERE m.run_id = rc.run_id) AS max_position
		FROM src.run_customers rc WHERE position % 500 = 0)`,
	`CREATE TABLE state_spans (ckey INTEGER NOT NULL, customer_id TEXT NOT NULL, first_run INTEGER NOT NULL,
		last_run INTEGER, attempts INTEGER NOT NULL, direct_signed INTEGER NOT NULL, missing_since INTEGER,
		outdated_since INTEGER, PRIMARY KEY (ckey, customer_id, first_run)) WITHOUT ROWID`,
	`INSERT INTO state_spans
		WITH x AS (SELECT rc.ckey, r.customer_id, r.run_id, r.attempts, r.direct_signed, r.missing_since, r.outdated_since,
				row_number() OVER (PARTITION BY r.customer_id ORDER BY r.run_id) AS nth
			FROM src.results r JOIN src.run_customers rc ON rc.run_id = r.run_id AND rc.position = r.position
			WHERE r.status = 'ok'),
		y AS (SELECT *, nth - row_number() OVER (PARTITION BY customer_id, attempts, direct_signed, missing_since,
				outdated_since ORDER BY run_id) AS island FROM x)
		SELECT ckey, customer_id, min(run_id), max(run_id), attempts, direct_signed, missing_since, outdated_since
		FROM y GROUP BY customer_id, attempts, direct_signed, missing_since, outdated_since, island`,
	`CREATE TABLE error_rows (run_id INTEGER NOT NULL, ckey INTEGER NOT NULL, customer_id TEXT NOT NULL,
		http_status INTEGER NOT NULL, error_code TEXT NOT NULL, message TEXT NOT NULL, attempts INTEGER NOT NULL,
		missing_since INTEGER, outdated_since INTEGER, PRIMARY KEY (run_id, ckey, customer_id)) WITHOUT ROWID`,
	`INSERT INTO error_rows SELECT r.run_id, rc.ckey, r.customer_id, r.http_status, r.error_code, r.message, r.attempts,
		r.missing_since, r.outdated_since
		FROM src.results r JOIN src.run_customers rc ON rc.run_id = r.run_id AND rc.position = r.position
		WHERE r.status = 'error'`,
	`CREATE TABLE record_spans (ckey INTEGER NOT NULL, customer_id TEXT NOT NULL, type TEXT NOT NULL,
		date_agreed INTEGER, template_id TEXT NOT NULL, contact_name TEXT NOT NULL, contact_email TEXT NOT NULL,
		contact_phone TEXT NOT NULL, agreement_link TEXT NOT NULL, user_id TEXT NOT NULL,
		first_run INTEGER NOT NULL, last_run INTEGER)`,
	`INSERT INTO record_spans SELECT rc.ckey, r.customer_id, a.type, a.date_agreed, a.template_id, a.contact_name,
		a.contact_email, a.contact_phone, a.agreement_link, a.user_id, min(r.run_id), max(r.run_id)
		FROM src.acceptances a JOIN src.results r ON r.id = a.id >> 10
		JOIN src.run_customers rc ON rc.run_id = r.run_id AND rc.position = r.position
		GROUP BY rc.ckey, r.customer_id, a.type, a.date_agreed, a.template_id, a.contact_name, a.contact_email,
			a.contact_phone, a.agreement_link, a.user_id`,
	`CREATE INDEX record_spans_customer ON record_spans (ckey, first_run)`,
}

// contentStudy builds the content-hash schema's tables: a content is the
// customer's names, result and records; a run stores one (position, ckey,
// content) row per customer.
var contentStudy = []string{
	`CREATE TEMP TABLE answer (run_id INTEGER, position INTEGER, ckey INTEGER, body TEXT)`,
	`INSERT INTO temp.answer SELECT r.run_id, r.position, rc.ckey,
		concat_ws(char(31), r.customer_id, rc.company_name, rc.domain, rc.relationship, r.status, r.http_status,
			r.error_code, r.message, r.attempts, r.direct_signed, r.missing_since, r.outdated_since,
			(SELECT group_concat(concat_ws(char(30), a.type, a.date_agreed, a.template_id, a.contact_name,
				a.contact_email, a.contact_phone, a.agreement_link, a.user_id), char(29))
			FROM src.acceptances a WHERE a.id BETWEEN r.id * 1024 AND r.id * 1024 + 1023))
		FROM src.results r JOIN src.run_customers rc ON rc.run_id = r.run_id AND rc.position = r.position`,
	`CREATE TABLE contents (id INTEGER PRIMARY KEY, hash INTEGER NOT NULL, body TEXT NOT NULL)`,
	`INSERT INTO contents (hash, body) SELECT DISTINCT 0, body FROM temp.answer`,
	`CREATE INDEX contents_hash ON contents (hash)`,
	`UPDATE contents SET hash = id * 2654435761 % 9223372036854775807`,
	`CREATE TEMP TABLE content_ids AS SELECT id, body FROM contents`,
	`CREATE INDEX temp.content_ids_body ON content_ids (body)`,
	`CREATE TABLE run_entries (run_id INTEGER NOT NULL, position INTEGER NOT NULL, ckey INTEGER NOT NULL,
		content INTEGER NOT NULL, PRIMARY KEY (run_id, position)) WITHOUT ROWID`,
	`INSERT INTO run_entries SELECT a.run_id, a.position, a.ckey, c.id FROM temp.answer a
		JOIN temp.content_ids c ON c.body = a.body`,
	`DROP TABLE temp.answer`,
	`DROP TABLE temp.content_ids`,
}
