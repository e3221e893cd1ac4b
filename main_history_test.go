package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mcawatch/mcawatch/storage"
)

const historyCustomer = "3f2c1a3e-5b7d-4c9e-8a1b-2d3e4f5a6b7c"

// historyDB writes, through storage with a clock of its own, four nightly
// runs of two customers: historyCustomer is missing on 2026-03-01 and
// 03-02, its query fails on 03-03 (503, code 3000), and it has accepted on
// 03-04 (an acceptance dated 2026-03-03 by Ada Lovelace).
func historyDB(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "history.db")
	now := time.Date(2026, 3, 1, 2, 0, 0, 0, time.UTC)
	db, err := storage.Open(path, storage.Options{Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	x := storage.Customer{ID: historyCustomer, CompanyName: "Contoso Ltd", Domain: "contoso.onmicrosoft.com", Relationship: "reseller"}
	other := storage.Customer{ID: "9e8d7c6b-5a49-4382-9171-605f4e3d2c1b", CompanyName: "Fabrikam", Domain: "fabrikam.example", Relationship: "reseller"}
	mca := storage.Acceptance{Type: "MicrosoftCustomerAgreement", DateAgreed: time.Date(2026, 3, 3, 0, 0, 0, 0, time.UTC),
		TemplateID: "117a488c-2b9c-4e3d-a1b0-7c2f5e8d9a01", ContactName: "Ada Lovelace", ContactEmail: "ada@contoso.example"}
	otherMCA := mca
	otherMCA.DateAgreed = time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	nights := []storage.Result{
		{Customer: x, Status: storage.StatusOK, Attempts: 1},
		{Customer: x, Status: storage.StatusOK, Attempts: 1},
		{Customer: x, Status: storage.StatusError, HTTPStatus: 503, ErrorCode: "3000", Message: "service unavailable", Attempts: 4},
		{Customer: x, Status: storage.StatusOK, Attempts: 1, Acceptances: []storage.Acceptance{mca}},
	}
	spec := storage.RunSpec{Kind: "run", Required: "MicrosoftCustomerAgreement", Types: []string{"MicrosoftCustomerAgreement"},
		CurrentSince: time.Date(2023, 4, 1, 0, 0, 0, 0, time.UTC)}
	for _, r := range nights {
		run, err := db.BeginRun(spec, []storage.Customer{x, other})
		if err != nil {
			t.Fatal(err)
		}
		o := storage.Result{Customer: other, Status: storage.StatusOK, Attempts: 1, Acceptances: []storage.Acceptance{otherMCA}}
		if err := db.SaveResults(run.ID, []storage.Result{r, o}); err != nil {
			t.Fatal(err)
		}
		if _, err := db.FinishRun(run.ID, storage.StateComplete); err != nil {
			t.Fatal(err)
		}
		now = now.Add(24 * time.Hour)
	}
	return path
}

// historyWorkspace runs the binary beside db with an empty config file:
// the defaults, the database given by --db.
func historyWorkspace(t *testing.T, db string) *workspace {
	t.Helper()
	w := &workspace{t: t, dir: filepath.Dir(db), config: filepath.Join(filepath.Dir(db), "mcawatch.yaml")}
	if err := os.WriteFile(w.config, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	return w
}

func TestHistory_Run_MissingThenAcceptedWithAnErrorNightBetween(t *testing.T) {
	db := historyDB(t)
	w := historyWorkspace(t, db)
	r := w.run("history", strings.ToUpper(historyCustomer), "--db", db)
	if r.code != 0 {
		t.Fatalf("history: exit %d, stderr %s", r.code, r.stderr)
	}
	want := `Customer 3f2c1a3e-5b7d-4c9e-8a1b-2d3e4f5a6b7c Contoso Ltd (contoso.onmicrosoft.com)

Standing:
  missing 2026-03-01 → 2026-03-02 (runs 1–2)
  error 2026-03-03 (run 3)
  accepted since 2026-03-04 (run 4)

Acceptances:
  MicrosoftCustomerAgreement dated 2026-03-03, template 117a488c-2b9c-4e3d-a1b0-7c2f5e8d9a01, by Ada Lovelace <ada@contoso.example>: first seen 2026-03-04 (run 4), still held

Errors:
  2026-03-03 (run 3): HTTP 503, code 3000: service unavailable (4 attempts)
`
	if r.stdout != want {
		t.Errorf("history printed\n%s\nwant\n%s", r.stdout, want)
	}
}

func TestHistory_Run_JSONIsTheStoredTimeline(t *testing.T) {
	db := historyDB(t)
	w := historyWorkspace(t, db)
	r := w.run("history", "--db", db, "--json", historyCustomer)
	if r.code != 0 {
		t.Fatalf("history --json: exit %d, stderr %s", r.code, r.stderr)
	}
	var got struct {
		Customer struct{ ID, CompanyName string }
		Spans    []struct {
			Standing string `json:"standing"`
			FromRun  int64  `json:"from_run"`
			From     string `json:"from"`
			ToRun    int64  `json:"to_run"`
			To       string `json:"to"`
			Runs     int    `json:"runs"`
			Current  bool   `json:"current"`
		} `json:"spans"`
		Records []struct {
			FirstRun int64 `json:"first_run"`
			LastRun  int64 `json:"last_run"`
			Current  bool  `json:"current"`
		} `json:"records"`
		Errors []struct {
			RunID      int64  `json:"run_id"`
			HTTPStatus int    `json:"http_status"`
			ErrorCode  string `json:"error_code"`
			Message    string `json:"message"`
			Attempts   int    `json:"attempts"`
		} `json:"errors"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
		t.Fatalf("history --json is not JSON: %v\n%s", err, r.stdout)
	}
	type span struct {
		st       string
		from, to int64
		fromDay  string
		toDay    string
		runs     int
		current  bool
	}
	want := []span{
		{"missing", 1, 2, "2026-03-01T02:00:00Z", "2026-03-02T02:00:00Z", 2, false},
		{"error", 3, 3, "2026-03-03T02:00:00Z", "2026-03-03T02:00:00Z", 1, false},
		{"accepted", 4, 4, "2026-03-04T02:00:00Z", "2026-03-04T02:00:00Z", 1, true},
	}
	if len(got.Spans) != len(want) {
		t.Fatalf("spans %+v, want %+v", got.Spans, want)
	}
	for i, s := range got.Spans {
		g := span{s.Standing, s.FromRun, s.ToRun, s.From, s.To, s.Runs, s.Current}
		if g != want[i] {
			t.Errorf("span %d = %+v, want %+v", i, g, want[i])
		}
	}
	if len(got.Records) != 1 || got.Records[0].FirstRun != 4 || got.Records[0].LastRun != 4 || !got.Records[0].Current {
		t.Errorf("records %+v, want one first and last seen in run 4, current", got.Records)
	}
	if len(got.Errors) != 1 || got.Errors[0].RunID != 3 || got.Errors[0].HTTPStatus != 503 || got.Errors[0].ErrorCode != "3000" ||
		got.Errors[0].Message != "service unavailable" || got.Errors[0].Attempts != 4 {
		t.Errorf("errors %+v, want run 3's 503 code 3000 after 4 attempts", got.Errors)
	}
}

func TestHistory_Run_ExitStatusesSayWhatIsWrong(t *testing.T) {
	db := historyDB(t)
	dir := filepath.Dir(db)
	w := historyWorkspace(t, db)
	typo := filepath.Join(dir, "typo.db")
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"unknown customer", []string{"history", "00000000-0000-0000-0000-000000000001", "--db", db}, 1, "is in no stored run of"},
		{"not a GUID", []string{"history", "contoso", "--db", db}, 2, `"contoso" is not a customer id`},
		{"no id", []string{"history", "--db", db}, 2, "name the customer"},
		{"two ids", []string{"history", historyCustomer, historyCustomer, "--db", db}, 2, "one customer id at a time"},
		{"mistyped database", []string{"history", historyCustomer, "--db", typo}, 2, "no database at " + typo},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := w.run(append(tt.args, "--log-format", "text")...)
			if r.code != tt.code || !strings.Contains(r.stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want exit %d and %q", r.code, r.stderr, tt.code, tt.want)
			}
		})
	}
	if _, err := os.Stat(typo); !os.IsNotExist(err) {
		t.Errorf("history created %s (stat: %v): a command that only reads never creates a database", typo, err)
	}
}
