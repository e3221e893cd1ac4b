package pctest

import (
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestNew_Deterministic(t *testing.T) {
	a := mustServer(t, Options{Customers: 120, Seed: 5}).Customers()
	b := mustServer(t, Options{Customers: 120, Seed: 5}).Customers()
	c := mustServer(t, Options{Customers: 120, Seed: 6}).Customers()
	if !reflect.DeepEqual(a, b) {
		t.Error("two servers with the same seed generated different portfolios")
	}
	if reflect.DeepEqual(a, c) {
		t.Error("seeds 5 and 6 generated the same portfolio")
	}
	seen := map[string]bool{}
	for _, cu := range a {
		if !isGUID(cu.ID) || strings.ToLower(cu.ID) != cu.ID || seen[cu.ID] {
			t.Errorf("customer id %q is not a fresh lower-case GUID", cu.ID)
		}
		seen[cu.ID] = true
	}
}

func TestNew_SpecialNames(t *testing.T) {
	tests := []struct {
		name string
		opts Options
	}{
		{"smallest", Options{Customers: 20}},
		{"default size", Options{Seed: 3}},
		{"large", Options{Customers: 2000, Seed: 9}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			names := map[string]bool{}
			for _, c := range mustServer(t, tt.opts).Customers() {
				names[c.CompanyName] = true
			}
			for _, want := range SpecialCompanyNames() {
				if !names[want] {
					t.Errorf("portfolio lacks %q", want)
				}
			}
		})
	}
}

func TestNew_Shares(t *testing.T) {
	tests := []struct {
		n                                              int
		single, both, several, cloudOnly, none, direct int
	}{
		{1000, 700, 70, 80, 60, 60, 30},
		{20, 15, 1, 1, 1, 1, 1},
		{500, 350, 35, 40, 30, 30, 15},
	}
	for _, tt := range tests {
		var single, both, several, cloudOnly, none, direct int
		for _, c := range generate(1, tt.n, DefaultStart) {
			mca := countType(c, TypeMCA)
			switch {
			case mca > 1:
				several++
			case mca == 1 && c.HasType(TypeMCloudA):
				both++
			case mca == 1:
				single++
			case c.DirectSigned:
				direct++
			case c.HasType(TypeMCloudA):
				cloudOnly++
			default:
				none++
			}
			for _, a := range c.Agreements {
				if !a.DateAgreed.Before(DefaultStart) || a.DateAgreed.Location().String() != "UTC" {
					t.Errorf("customer %s record dated %v, want UTC before Start", c.ID, a.DateAgreed)
				}
			}
		}
		got := []int{single, both, several, cloudOnly, none, direct}
		want := []int{tt.single, tt.both, tt.several, tt.cloudOnly, tt.none, tt.direct}
		if !slices.Equal(got, want) {
			t.Errorf("n=%d: single, both, several, cloud only, none, direct = %v, want %v", tt.n, got, want)
		}
	}
}

func TestAgreement_FormatDateAgreed(t *testing.T) {
	c := mustServer(t, Options{Customers: 50}).Customers()
	var zoneLess, zoned bool
	for _, cu := range c {
		for _, a := range cu.Agreements {
			if a.DateAgreed.IsZero() {
				continue // the undated records are checked by TestServer_QuirkyRecords
			}
			got := FormatDateAgreed(a)
			if a.ZoneLess {
				zoneLess = true
				if len(got) != 19 || !strings.HasSuffix(got, "T00:00:00") {
					t.Errorf("zone-less %v formatted %q, want a whole day like 2019-08-26T00:00:00", a.DateAgreed, got)
				}
			} else {
				zoned = true
				if len(got) != 24 || !strings.HasSuffix(got, ".000Z") {
					t.Errorf("zoned %v formatted %q, want like 2018-06-14T00:00:00.000Z", a.DateAgreed, got)
				}
			}
		}
	}
	if !zoneLess || !zoned {
		t.Errorf("zone-less present %v, zoned present %v: want both", zoneLess, zoned)
	}
}
