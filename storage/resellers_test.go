package storage

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestDB_CustomerResellers_FollowsACustomerBetweenResellersRunByRun(t *testing.T) {
	c := newClock()
	db := mustOpenDB(t, c)
	cs := testCustomers(3)
	a, b := "aaaaaaaa-0000-0000-0000-000000000001", "bbbbbbbb-0000-0000-0000-000000000002"
	nights := []*Grouping{
		{Resellers: []Reseller{{ID: a, Name: "Adatum"}, {ID: b, Name: "Bölja"}},
			ByCustomer: map[string][]string{cs[0].ID: {a, b}, cs[1].ID: {a}}, Requests: 3},
		{Resellers: []Reseller{{ID: a, Name: "Adatum"}, {ID: b, Name: "Bölja"}},
			ByCustomer: map[string][]string{cs[0].ID: {b}}},
		{Resellers: []Reseller{{ID: a, Name: "Adatum", Error: "HTTP 500"}, {ID: b, Name: "Bölja"}},
			ByCustomer: map[string][]string{cs[0].ID: {a}}, Carried: map[string]bool{cs[0].ID: true}},
	}
	var runs []int64
	for _, g := range nights {
		run, err := db.BeginRun(spec, cs)
		if err != nil {
			t.Fatal(err)
		}
		if err := db.SaveGrouping(run.ID, g); err != nil {
			t.Fatal(err)
		}
		runs = append(runs, run.ID)
		c.t = c.t.Add(24 * time.Hour)
	}
	got, err := db.CustomerResellers(strings.ToUpper(cs[0].ID))
	if err != nil {
		t.Fatal(err)
	}
	ids := func(rr RunResellers) []string {
		var out []string
		for _, r := range rr.Resellers {
			out = append(out, r.ID)
		}
		return out
	}
	if len(got) != 3 || !slices.Equal(ids(got[0]), []string{a, b}) || !slices.Equal(ids(got[1]), []string{b}) ||
		!slices.Equal(ids(got[2]), []string{a}) || !got[2].Carried || got[2].Resellers[0].Error == "" {
		t.Fatalf("CustomerResellers()=%+v, want [a b], [b], [a carried with its error]", got)
	}
	// cs[2] is direct in complete runs and unknown in the run whose listing failed.
	got, err = db.CustomerResellers(cs[2].ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[0].Unknown || got[1].Unknown || !got[2].Unknown || len(got[2].Resellers) != 0 {
		t.Fatalf("CustomerResellers(direct)=%+v, want direct, direct, unknown", got)
	}
	g, err := db.LoadGrouping(runs[0])
	if err != nil {
		t.Fatal(err)
	}
	if g.Requests != 3 || !slices.Equal(g.ByCustomer[cs[0].ID], []string{a, b}) || !g.Complete() {
		t.Fatalf("LoadGrouping()=%+v", g)
	}
	latest, err := db.LatestGrouping(runs[2])
	if err != nil || !slices.Equal(latest.ByCustomer[cs[0].ID], []string{b}) {
		t.Fatalf("LatestGrouping(%d)=%+v, %v; want run %d's", runs[2], latest, err, runs[1])
	}
	if _, err := db.LatestGrouping(runs[0]); !errors.Is(err, ErrNotFound) {
		t.Fatalf("LatestGrouping(first)=%v, want ErrNotFound", err)
	}
	if err := db.SaveGrouping(runs[0], &Grouping{ByCustomer: map[string][]string{cs[0].ID: {"nobody"}}}); err == nil {
		t.Fatal("SaveGrouping with an unlisted reseller: no error")
	}
}
