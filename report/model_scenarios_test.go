package report_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/mcawatch/mcawatch/storage"
)

// modelStep is one run of a hand-written scenario: its answers by customer
// number, in that order.
type modelStep struct {
	cut, since string // "" is zero
	exec       modelExec
	kills      []int
	batch      int
	answers    []modelAnswer // customer i answers answers[i] …
	absent     []int         // … unless i is listed here: not in the run
}

func modelOK(direct storage.DirectSign, recs ...storage.Acceptance) modelAnswer {
	return modelAnswer{OK: true, Records: recs, Direct: direct}
}

func modelErr() modelAnswer {
	return modelAnswer{HTTP: 500, Code: "3000", Message: "server error", Attempts: 6}
}

// modelRec is a record of type typ dated date ("" undated) accepted by who.
func modelRec(typ, date, who string) storage.Acceptance {
	var d time.Time
	if date != "" {
		d = modelDate(date)
	}
	return storage.Acceptance{Type: typ, DateAgreed: d, TemplateID: "117a488c-7c61-4e2c-9b3c-7e8c5b2d2a3c",
		ContactName: who, ContactEmail: who + "@contoso.example", ContactPhone: "+46 8 123 45"}
}

// modelScenario makes a plan of hand-written steps.
func modelScenario(steps []modelStep) *modelPlan {
	p := &modelPlan{Customers: map[string]storage.Customer{}, Group: map[string]int{}}
	for i, st := range steps {
		r := modelRunPlan{Start: modelFirst.Add(time.Duration(i) * 24 * time.Hour), Exec: st.exec, Kills: st.kills,
			Batch: max(st.batch, 1), Answers: map[string]modelAnswer{}}
		if st.cut != "" {
			r.CurrentSince = modelDate(st.cut)
		}
		if st.since != "" {
			r.Since = modelDate(st.since)
		}
		for c, a := range st.answers {
			if slices.Contains(st.absent, c) {
				continue
			}
			id := modelCustomerID(c)
			p.Customers[id] = storage.Customer{ID: id, CompanyName: fmt.Sprintf("Contoso %d", c), Relationship: "reseller"}
			r.Order = append(r.Order, id)
			r.Answers[id] = a
		}
		p.Runs = append(p.Runs, r)
	}
	return p
}

// TestDiff_ModelScenarios_ReportSaysWhatTheRulesSay runs hand-written
// histories through the real storage and Diff: the last run's rows are
// written out here by hand, checked against the model (so the model itself
// is checked), and the code is checked against the model on every run. The
// re-attestation seen only by a run whose report failed and the error
// customer in the trend across a new cut-off are regressions: the code once
// got both wrong.
func TestDiff_ModelScenarios_ReportSaysWhatTheRulesSay(t *testing.T) {
	const cut = "2023-04-01"
	c0 := modelCustomerID(0)
	none := storage.DirectNotAsked
	not := storage.DirectNotSigned
	tests := []struct {
		name  string
		steps []modelStep
		want  map[string][]string // the last run's rows by section, by hand
	}{{
		name: "a record repeated in one answer is one row",
		steps: []modelStep{
			{cut: cut, answers: []modelAnswer{modelOK(none, modelRec(modelMCA, "2024-02-10", "ada"))}},
			{cut: cut, answers: []modelAnswer{modelOK(none, modelRec(modelMCA, "2024-02-10", "ada"), modelRec(modelMCA, "2025-09-15", "bo"), modelRec(modelMCA, "2025-09-15", "bo"))}},
		},
		want: map[string][]string{
			"new": {c0 + ` MCA 2025-09-15T00:00:00Z 117a488c-7c61-4e2c-9b3c-7e8c5b2d2a3c contact="bo" email="bo@contoso.example" phone="+46 8 123 45" prev=2024-02-10T00:00:00Z`},
			"acceptances": {
				c0 + ` MCA 2024-02-10T00:00:00Z 117a488c-7c61-4e2c-9b3c-7e8c5b2d2a3c contact="ada" email="ada@contoso.example" phone="+46 8 123 45" direct=not-asked`,
				c0 + ` MCA 2025-09-15T00:00:00Z 117a488c-7c61-4e2c-9b3c-7e8c5b2d2a3c contact="bo" email="bo@contoso.example" phone="+46 8 123 45" direct=not-asked`,
			},
		},
	}, {
		name: "a re-date to an earlier date is one New row with the date it had, and nothing Removed",
		steps: []modelStep{
			{cut: cut, answers: []modelAnswer{modelOK(none, modelRec(modelMCA, "2025-09-15", "ada"))}},
			{cut: cut, answers: []modelAnswer{modelOK(none, modelRec(modelMCA, "2024-02-10", "ada"))}},
		},
		want: map[string][]string{
			"new":         {c0 + ` MCA 2024-02-10T00:00:00Z 117a488c-7c61-4e2c-9b3c-7e8c5b2d2a3c contact="ada" email="ada@contoso.example" phone="+46 8 123 45" prev=2025-09-15T00:00:00Z`},
			"acceptances": {c0 + ` MCA 2024-02-10T00:00:00Z 117a488c-7c61-4e2c-9b3c-7e8c5b2d2a3c contact="ada" email="ada@contoso.example" phone="+46 8 123 45" direct=not-asked`},
		},
	}, {
		name: "re-accepting moves an outdated customer to New, off Outdated",
		steps: []modelStep{
			{cut: cut, answers: []modelAnswer{modelOK(not, modelRec(modelMCA, "2019-08-26", "ada"))}},
			{cut: cut, answers: []modelAnswer{modelOK(none, modelRec(modelMCA, "2025-09-15", "ada"))}},
		},
		want: map[string][]string{
			"new":         {c0 + ` MCA 2025-09-15T00:00:00Z 117a488c-7c61-4e2c-9b3c-7e8c5b2d2a3c contact="ada" email="ada@contoso.example" phone="+46 8 123 45" prev=2019-08-26T00:00:00Z`},
			"acceptances": {c0 + ` MCA 2025-09-15T00:00:00Z 117a488c-7c61-4e2c-9b3c-7e8c5b2d2a3c contact="ada" email="ada@contoso.example" phone="+46 8 123 45" direct=not-asked`},
		},
	}, {
		name: "a customer seen first with an error has its first good answer as baseline",
		steps: []modelStep{
			{cut: cut, answers: []modelAnswer{modelOK(not), modelErr()}},
			{cut: cut, answers: []modelAnswer{modelOK(not), modelOK(none, modelRec(modelMCA, "2019-08-26", "ada"), modelRec(modelMCA, "2025-09-15", "bo"))}},
		},
		want: map[string][]string{
			"missing": {c0 + " since=2026-01-05T02:00:00Z"},
			"acceptances": {
				modelCustomerID(1) + ` MCA 2019-08-26T00:00:00Z 117a488c-7c61-4e2c-9b3c-7e8c5b2d2a3c contact="ada" email="ada@contoso.example" phone="+46 8 123 45" direct=not-asked`,
				modelCustomerID(1) + ` MCA 2025-09-15T00:00:00Z 117a488c-7c61-4e2c-9b3c-7e8c5b2d2a3c contact="bo" email="bo@contoso.example" phone="+46 8 123 45" direct=not-asked`,
			},
		},
	}, {
		name: "an undated record alone is outdated with an empty date, and its streak runs through an error",
		steps: []modelStep{
			{cut: cut, answers: []modelAnswer{modelOK(not, modelRec(modelMCA, "", "ada"))}},
			{cut: cut, answers: []modelAnswer{modelErr()}},
			{cut: cut, answers: []modelAnswer{modelOK(not, modelRec(modelMCA, "", "ada"))}},
		},
		want: map[string][]string{
			"outdated":    {c0 + ` latest=- contact="ada" email="ada@contoso.example" since=2026-01-05T02:00:00Z`},
			"acceptances": {c0 + ` MCA - 117a488c-7c61-4e2c-9b3c-7e8c5b2d2a3c contact="ada" email="ada@contoso.example" phone="+46 8 123 45" direct=not-signed`},
		},
	}, {
		name: "leaving the portfolio breaks a missing streak",
		steps: []modelStep{
			{cut: cut, answers: []modelAnswer{modelOK(not), modelOK(not)}},
			{cut: cut, answers: []modelAnswer{modelOK(not), modelOK(not)}, absent: []int{0}},
			{cut: cut, answers: []modelAnswer{modelOK(not), modelOK(not)}},
		},
		want: map[string][]string{
			"missing": {c0 + " since=2026-01-07T02:00:00Z", modelCustomerID(1) + " since=2026-01-05T02:00:00Z"},
		},
	}, {
		name: "a backfill killed and resumed reports the New rows of its --since",
		steps: []modelStep{
			{cut: cut, since: "2024-01-01", exec: modelResumed, kills: []int{1, 1}, batch: 1, answers: []modelAnswer{
				modelOK(none, modelRec(modelMCA, "2019-08-26", "ada"), modelRec(modelMCA, "2025-09-15", "bo")),
				modelOK(not, modelRec(modelMCA, "2022-11-30", "cy")),
				modelOK(none, modelRec(modelMCA, "2024-02-10", "di")),
			}},
		},
		want: map[string][]string{
			"new": {
				c0 + ` MCA 2025-09-15T00:00:00Z 117a488c-7c61-4e2c-9b3c-7e8c5b2d2a3c contact="bo" email="bo@contoso.example" phone="+46 8 123 45" prev=2019-08-26T00:00:00Z`,
				modelCustomerID(2) + ` MCA 2024-02-10T00:00:00Z 117a488c-7c61-4e2c-9b3c-7e8c5b2d2a3c contact="di" email="di@contoso.example" phone="+46 8 123 45" prev=-`,
			},
			"outdated": {modelCustomerID(1) + ` latest=2022-11-30T00:00:00Z contact="cy" email="cy@contoso.example" since=2026-01-05T02:00:00Z`},
			"acceptances": {
				c0 + ` MCA 2019-08-26T00:00:00Z 117a488c-7c61-4e2c-9b3c-7e8c5b2d2a3c contact="ada" email="ada@contoso.example" phone="+46 8 123 45" direct=not-asked`,
				c0 + ` MCA 2025-09-15T00:00:00Z 117a488c-7c61-4e2c-9b3c-7e8c5b2d2a3c contact="bo" email="bo@contoso.example" phone="+46 8 123 45" direct=not-asked`,
				modelCustomerID(1) + ` MCA 2022-11-30T00:00:00Z 117a488c-7c61-4e2c-9b3c-7e8c5b2d2a3c contact="cy" email="cy@contoso.example" phone="+46 8 123 45" direct=not-signed`,
				modelCustomerID(2) + ` MCA 2024-02-10T00:00:00Z 117a488c-7c61-4e2c-9b3c-7e8c5b2d2a3c contact="di" email="di@contoso.example" phone="+46 8 123 45" direct=not-asked`,
			},
		},
	}, {
		name: "a re-attestation seen only by a run whose report failed is reported when the customer answers again after an error",
		steps: []modelStep{
			{cut: cut, answers: []modelAnswer{modelOK(not, modelRec(modelMCA, "2019-08-26", "ada"))}},
			{cut: cut, exec: modelUnreported, answers: []modelAnswer{modelOK(none, modelRec(modelMCA, "2025-09-15", "ada"))}},
			{cut: cut, answers: []modelAnswer{modelErr()}},
			{cut: cut, answers: []modelAnswer{modelOK(none, modelRec(modelMCA, "2025-09-15", "ada"))}},
		},
		want: map[string][]string{
			"new":         {c0 + ` MCA 2025-09-15T00:00:00Z 117a488c-7c61-4e2c-9b3c-7e8c5b2d2a3c contact="ada" email="ada@contoso.example" phone="+46 8 123 45" prev=2019-08-26T00:00:00Z`},
			"acceptances": {c0 + ` MCA 2025-09-15T00:00:00Z 117a488c-7c61-4e2c-9b3c-7e8c5b2d2a3c contact="ada" email="ada@contoso.example" phone="+46 8 123 45" direct=not-asked`},
		},
	}, {
		name: "an older record appearing beside a newer one shows the newest date the type had",
		steps: []modelStep{
			{cut: cut, answers: []modelAnswer{modelOK(none, modelRec(modelMCA, "2024-02-10", "ada"))}},
			{cut: cut, answers: []modelAnswer{modelOK(none, modelRec(modelMCA, "2024-02-10", "ada"), modelRec(modelMCA, "2019-08-26", "bo"))}},
		},
		want: map[string][]string{
			"new": {c0 + ` MCA 2019-08-26T00:00:00Z 117a488c-7c61-4e2c-9b3c-7e8c5b2d2a3c contact="bo" email="bo@contoso.example" phone="+46 8 123 45" prev=2024-02-10T00:00:00Z`},
			"acceptances": {
				c0 + ` MCA 2019-08-26T00:00:00Z 117a488c-7c61-4e2c-9b3c-7e8c5b2d2a3c contact="bo" email="bo@contoso.example" phone="+46 8 123 45" direct=not-asked`,
				c0 + ` MCA 2024-02-10T00:00:00Z 117a488c-7c61-4e2c-9b3c-7e8c5b2d2a3c contact="ada" email="ada@contoso.example" phone="+46 8 123 45" direct=not-asked`,
			},
		},
	}, {
		name: "the older of two records re-dated shows the newest date the type had",
		steps: []modelStep{
			{cut: cut, answers: []modelAnswer{modelOK(none, modelRec(modelMCA, "2019-08-26", "ada"), modelRec(modelMCA, "2025-09-15", "bo"))}},
			{cut: cut, answers: []modelAnswer{modelOK(none, modelRec(modelMCA, "2022-11-30", "ada"), modelRec(modelMCA, "2025-09-15", "bo"))}},
		},
		want: map[string][]string{
			"new": {c0 + ` MCA 2022-11-30T00:00:00Z 117a488c-7c61-4e2c-9b3c-7e8c5b2d2a3c contact="ada" email="ada@contoso.example" phone="+46 8 123 45" prev=2025-09-15T00:00:00Z`},
			"acceptances": {
				c0 + ` MCA 2022-11-30T00:00:00Z 117a488c-7c61-4e2c-9b3c-7e8c5b2d2a3c contact="ada" email="ada@contoso.example" phone="+46 8 123 45" direct=not-asked`,
				c0 + ` MCA 2025-09-15T00:00:00Z 117a488c-7c61-4e2c-9b3c-7e8c5b2d2a3c contact="bo" email="bo@contoso.example" phone="+46 8 123 45" direct=not-asked`,
			},
		},
	}, {
		name: "a customer in error counts in the trend by its last good answer judged by the run's own cut-off",
		steps: []modelStep{
			{cut: "2025-01-01", answers: []modelAnswer{modelOK(not, modelRec(modelMCA, "2024-02-10", "ada"))}},
			{cut: cut, answers: []modelAnswer{modelErr()}},
		},
		want: map[string][]string{
			"errors": {c0 + ` http=500 code="3000" msg="server error" attempts=6`},
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := modelScenario(tt.steps)
			o := newModelOracle(p)
			e := o.expect(len(o.reported) - 1)
			for _, section := range []string{"missing", "outdated", "new", "removed", "errors", "acceptances"} {
				onlyWant, onlyModel := modelLineDiff(tt.want[section], e.Lines[section])
				if len(onlyWant)+len(onlyModel) > 0 {
					t.Errorf("model's %s rows differ from the hand-written ones:\n  by hand only: %q\n  model only:   %q", section, onlyWant, onlyModel)
				}
			}
			ms, _ := modelDrive(p, t.TempDir(), nil)
			for _, m := range ms {
				t.Errorf("code and model disagree on %s at run #%d:\n%s", m.Check, m.PlanRun+1, m.Detail)
			}
		})
	}
}
