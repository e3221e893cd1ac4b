package fetch

import (
	"errors"
	"testing"
)

func FuzzParseAgreements(f *testing.F) {
	for _, name := range []string{
		"agreements_seed004_valid.json", "agreements_seed004_malformed.json", "agreements_bom.json",
		"agreements_mixed.json", "agreements_truncated.json", "agreements_bad_date.json", "agreements_empty.json",
		"error_403_mca_missing.json",
	} {
		f.Add(fixture(f, name))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		got, err := parseAgreements(200, body, bothTypes)
		if err != nil {
			var be *BodyError
			if !errors.As(err, &be) {
				t.Fatalf("error %v is not a *BodyError", err)
			}
			if len(be.Excerpt) > excerptLen {
				t.Fatalf("excerpt is %d bytes", len(be.Excerpt))
			}
			return
		}
		for _, a := range got {
			if a.DateAgreed.Location().String() != "UTC" {
				t.Fatalf("dateAgreed %v not UTC", a.DateAgreed)
			}
		}
	})
}

func FuzzParseCustomers(f *testing.F) {
	for _, name := range []string{"customers_page1.json", "customers_page2.json", "customers_page3.json", "agreements_truncated.json"} {
		f.Add(fixture(f, name))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		items, _, err := parseCustomers(200, body)
		if err != nil {
			var be *BodyError
			if !errors.As(err, &be) {
				t.Fatalf("error %v is not a *BodyError", err)
			}
			return
		}
		for _, c := range items {
			if c.ID == "" {
				t.Fatal("customer without id accepted")
			}
		}
	})
}
