package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The replay: the real binary sweeps an httptest server that answers with
// the recorded Partner Center answers of testdata/recorded (and, where no
// recording exists, the constructed bodies of testdata/fetch, named so).
// The expected report rows below are written by hand from those files.

const replayAccessToken = "replay-access-token-7d1e"

// The customers: the two of the recorded customers page, then the three of
// the constructed pages 2 and 3 of testdata/fetch.
const (
	rpDated     = "b44bb1fb-c595-45b0-9e09-d657365580bf" // agreement_created_docs.json: one record of 2018-06-14
	rpMalformed = "45c44870-ef77-4fdd-b6fe-3dacb075cff2" // agreements_mca_docs.json: not JSON
	rpThrottled = "0c5a7c2e-1111-4a3b-9c2d-000000000003" // error_429_docs.json
	rpNoCommerc = "0c5a7c2e-1111-4a3b-9c2d-000000000004" // error_403_20002_issue.json
	rpUndated   = "0c5a7c2e-1111-4a3b-9c2d-000000000005" // agreements_undated_design.json (constructed)
	mcaTemplate = "117a77b0-9360-443b-8795-c6dedc750cf9"
)

// rpToken is the continuation token added to the recorded customers page
// (the documented token format, see testdata/recorded/README.md).
const rpToken = "d19617b8-fbe5-4684-a5d8-0230972fb0cf,0705c4a9-39f7-4261-ba6d-53e24a9ce47d_a4ayc/80/OGda4BO/1o/V0etpOqiLx1JwB5S3beHW0s=,0d81c700-98b4-4b13-9129-ffd5620f72e7"

// testdataFile reads testdata/<dir>/<name>.
func testdataFile(t *testing.T, dir, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// newReplayServer serves the recorded answers on loopback.
func newReplayServer(t *testing.T) *httptest.Server {
	t.Helper()
	rec := func(name string) []byte { return testdataFile(t, "recorded", name) }
	con := func(name string) []byte { return testdataFile(t, "fetch", name) }
	page1 := strings.Replace(string(rec("customers_docs.json")), `"links": {`,
		`"links": {"next": {"uri": "/customers?size=40&seekOperation=Next", "method": "GET", "headers": [{"key": "MS-ContinuationToken", "value": "`+rpToken+`"}]},`, 1)
	pages := map[string][]byte{
		"":                            []byte(page1),
		rpToken:                       con("customers_page2.json"),
		"BBEAAAD/////AQ,,+/==page3+=": con("customers_page3.json"),
	}
	type answer struct {
		status     int
		retryAfter string
		body       []byte
	}
	agreements := map[string]answer{
		rpDated:     {status: http.StatusOK, body: []byte(`{"totalCount":1,"items":[` + string(rec("agreement_created_docs.json")) + `],"attributes":{"objectType":"Collection"}}`)},
		rpMalformed: {status: http.StatusOK, body: rec("agreements_mca_docs.json")},
		// The recorded 429 came with Retry-After: 57; the sweep would rightly
		// hold every request of the partner that long, so the binary replay
		// leaves the header out (fetch/replay_test.go serves it).
		rpThrottled: {status: http.StatusTooManyRequests, body: rec("error_429_docs.json")},
		rpNoCommerc: {status: http.StatusForbidden, body: rec("error_403_20002_issue.json")},
		rpUndated:   {status: http.StatusOK, body: con("agreements_undated_design.json")},
	}
	write := func(w http.ResponseWriter, a answer) {
		w.Header().Set("Content-Type", "application/json")
		if a.retryAfter != "" {
			w.Header().Set("Retry-After", a.retryAfter)
		}
		w.WriteHeader(a.status)
		_, _ = w.Write(a.body)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/customers", func(w http.ResponseWriter, r *http.Request) {
		tok := ""
		if r.URL.Query().Get("seekOperation") == "Next" {
			tok = r.Header.Get("MS-ContinuationToken")
		}
		body, ok := pages[tok]
		if !ok {
			write(w, answer{status: http.StatusBadRequest, body: []byte(`{"code":"400","description":"The continuation token is invalid."}`)})
			return
		}
		write(w, answer{status: http.StatusOK, body: body})
	})
	mux.HandleFunc("GET /v1/customers/{id}/agreements", func(w http.ResponseWriter, r *http.Request) {
		a, ok := agreements[r.PathValue("id")]
		if !ok {
			a = answer{status: http.StatusNotFound, body: []byte(`{"code":"600008","description":"The requested customer was not found."}`)}
		}
		write(w, a)
	})
	mux.HandleFunc("GET /v1/customers/{id}/directSignedMicrosoftCustomerAgreementStatus", func(w http.ResponseWriter, _ *http.Request) {
		write(w, answer{status: http.StatusOK, body: con("direct_signed_false_design.json")})
	})
	mux.HandleFunc("GET /v1/customers/relationshiprequests", func(w http.ResponseWriter, _ *http.Request) {
		write(w, answer{status: http.StatusOK, body: rec("relationship_request_session.json")})
	})
	mux.HandleFunc("GET /v1/agreements", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("agreementType") == "MicrosoftCustomerAgreement" {
			write(w, answer{status: http.StatusOK, body: rec("agreement_metadata_mca_docs.json")})
			return
		}
		write(w, answer{status: http.StatusOK, body: rec("agreement_metadata_session.json")})
	})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+replayAccessToken {
			write(w, answer{status: http.StatusUnauthorized, body: []byte(`{"code":"900401","description":"Authorization token is missing or invalid."}`)})
			return
		}
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestReplay_Run_RecordedAnswers runs `mcawatch run --json` against the
// recorded answers and checks every CSV of the report cell by cell.
func TestReplay_Run_RecordedAnswers(t *testing.T) {
	srv := newReplayServer(t)
	t.Setenv("MCAWATCH_ACCESS_TOKEN", replayAccessToken)
	dir := t.TempDir()
	w := &workspace{t: t, dir: dir, config: filepath.Join(dir, "mcawatch.yaml"), db: filepath.Join(dir, "mcawatch.db")}
	// One attempt a request: the recorded 429 asks for 57 seconds, which a
	// test must not wait.
	cfg := "partner_center:\n  base_url: " + srv.URL + "\nauth:\n  access_token_env: MCAWATCH_ACCESS_TOKEN\n" +
		"fetch:\n  concurrency: 2\n  timeout: 5s\n  max_attempts: 1\n" +
		"storage:\n  path: " + w.db + "\nreport:\n  dir: " + filepath.Join(dir, "reports") + "\n"
	if err := os.WriteFile(w.config, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	started := time.Now().UTC().Add(-time.Second)
	r := w.run("run", "--json")
	if r.code != 0 {
		t.Fatalf("run --json exit %d:\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	var out struct {
		RunID     int64  `json:"run_id"`
		ReportDir string `json:"report_dir"`
		Missing   *int   `json:"missing"`
		Outdated  *int   `json:"outdated"`
	}
	if err := json.Unmarshal([]byte(r.lastLine()), &out); err != nil {
		t.Fatalf("--json output %q: %v", r.lastLine(), err)
	}
	if out.Missing == nil || *out.Missing != 0 || out.Outdated == nil || *out.Outdated != 1 {
		t.Errorf("--json = %s, want missing 0 and outdated 1", r.lastLine())
	}
	folder := out.ReportDir

	t.Run("missing.csv", func(t *testing.T) {
		_, rows := readCSV(t, filepath.Join(folder, "missing.csv"))
		compareRows(t, "missing.csv", rows, nil)
	})
	t.Run("new.csv and removed.csv: a first run is the baseline", func(t *testing.T) {
		for _, f := range []string{"new.csv", "removed.csv"} {
			_, rows := readCSV(t, filepath.Join(folder, f))
			compareRows(t, f, rows, nil)
		}
	})
	t.Run("outdated.csv", func(t *testing.T) {
		header, rows := readCSV(t, filepath.Join(folder, "outdated.csv"))
		wantHeader := []string{"customer_id", "company_name", "domain", "latest_date_agreed", "contact_name", "contact_email", "outdated_since"}
		if strings.Join(header, ",") != strings.Join(wantHeader, ",") {
			t.Fatalf("header %v, want %v", header, wantHeader)
		}
		if len(rows) != 1 {
			t.Fatalf("rows %v, want the one customer whose only acceptance is of 2018", rows)
		}
		since, err := time.Parse(time.RFC3339, rows[0][6])
		if err != nil || since.Before(started) || since.After(time.Now().Add(time.Second)) {
			t.Errorf("outdated_since %q, want this run's start in RFC 3339 UTC", rows[0][6])
		}
		compareRows(t, "outdated.csv", [][]string{rows[0][:6]},
			[][]string{{rpDated, "companyName", "domain", "2018-06-14T00:00:00Z", "Tania Carr", "someone@example.com"}})
	})
	t.Run("acceptances.csv", func(t *testing.T) {
		_, rows := readCSV(t, filepath.Join(folder, "acceptances.csv"))
		compareRows(t, "acceptances.csv", rows, [][]string{
			{rpDated, "companyName", mca, "2018-06-14T00:00:00Z", mcaTemplate, "Tania Carr", "someone@example.com", "1234567890", "false"},
			{rpUndated, "Tailspin Toys", mca, "", mcaTemplate, "Sean O'Brien", "sean.obrien@contoso.example", "'+353 1 555 0100", ""},
			{rpUndated, "Tailspin Toys", mca, "", "aaaabbbb-0000-cccc-1111-dddd2222eeee", "Åsa Lindström", "asa.lindstrom@contoso.example", "", ""},
			{rpUndated, "Tailspin Toys", mca, "2023-05-02T00:00:00Z", mcaTemplate, "Tania Carr", "tania.carr@contoso.example", "1234567890", ""},
		})
	})
	t.Run("errors.csv", func(t *testing.T) {
		_, rows := readCSV(t, filepath.Join(folder, "errors.csv"))
		want := map[string]struct {
			cells []string // customer_id, company_name, http_status, error_code
			text  string   // what the message must say
		}{
			rpMalformed: {[]string{rpMalformed, "companyName", "200", "malformed_body"}, ""},
			rpThrottled: {[]string{rpThrottled, `'=HYPERLINK("x")`, "429", "http_429"}, "Rate limit is exceeded. Try again in 57 seconds."},
			rpNoCommerc: {[]string{rpNoCommerc, "Northwind Traders", "403", "no_relationship"}, "no reseller relationship"},
		}
		if len(rows) != len(want) {
			t.Errorf("%d rows, want %d: %v", len(rows), len(want), rows)
		}
		for _, row := range rows {
			if len(row) != 6 {
				t.Fatalf("row %v: %d cells, want 6", row, len(row))
			}
			wr, ok := want[row[0]]
			if !ok {
				t.Errorf("unexpected error row %v", row)
				continue
			}
			if got := strings.Join(row[:4], "|"); got != strings.Join(wr.cells, "|") {
				t.Errorf("row %v: cells %s, want %s", row, got, strings.Join(wr.cells, "|"))
			}
			msg := row[4]
			if !strings.Contains(msg, wr.text) {
				t.Errorf("%s: message %q does not say %q", row[0], msg, wr.text)
			}
			for _, bad := range []string{"&#39;", "&amp;", `{"`, `"primaryContact"`, "SomeEmail@example.com"} {
				if strings.Contains(msg, bad) {
					t.Errorf("%s: message %q contains %q: not text a person reads", row[0], msg, bad)
				}
			}
			if row[5] != "1" {
				t.Errorf("%s: attempts %q, want 1 (max_attempts: 1)", row[0], row[5])
			}
		}
	})
}
