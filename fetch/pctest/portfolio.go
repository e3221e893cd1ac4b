package pctest

import (
	"time"
)

// Agreement types the server knows.
const (
	TypeMCA      = "MicrosoftCustomerAgreement"
	TypeMCloudA  = "MicrosoftCloudAgreement"
	TypeAll      = "*"
	TemplateMCA  = "117a99a5-9ac6-4f4c-a8ee-35cfa5d2df6d"
	TemplateMCAv = "2b5d7e8c-1f4a-4c63-9b8e-7a0d3c9f5e21" // a second MCA template, used by some re-attestations
	TemplateMCl  = "0c2f4b1d-7e3a-4d5b-8c6f-9a1e2d3c4b5a"
	LinkMCA      = "https://aka.ms/customeragreement"
	LinkMCloudA  = "https://aka.ms/microsoftcloudagreement"
)

// Customer is one customer tenant of the partner, with its agreement records.
type Customer struct {
	ID, CompanyName, Domain, Relationship string // ID: lower-case GUID, deterministic
	Agreements                            []Agreement
	DirectSigned                          bool // answer of directSignedMicrosoftCustomerAgreementStatus
}

// Agreement is one acceptance record of a customer.
type Agreement struct {
	Type, TemplateID, FirstName, LastName, Email, Phone, AgreementLink, UserID string
	DateAgreed                                                                 time.Time // UTC, whole days or seconds
	ZoneLess                                                                   bool      // serialised as "2019-08-26T00:00:00" (true) or "2018-06-14T00:00:00.000Z" (false)
}

// HasType reports whether c has at least one record of agreement type typ.
func (c Customer) HasType(typ string) bool {
	for _, a := range c.Agreements {
		if a.Type == typ {
			return true
		}
	}
	return false
}

// Latest returns the record of type typ with the newest DateAgreed.
func (c Customer) Latest(typ string) (Agreement, bool) {
	var best Agreement
	found := false
	for _, a := range c.Agreements {
		if a.Type == typ && (!found || a.DateAgreed.After(best.DateAgreed)) {
			best, found = a, true
		}
	}
	return best, found
}

// Missing reports whether c lacks a record of type typ and is not direct-signed:
// the customers a sweep must report as missing.
func (c Customer) Missing(typ string) bool {
	return !c.HasType(typ) && !c.DirectSigned
}

// clone returns a deep copy of c.
func (c Customer) clone() Customer {
	c.Agreements = append([]Agreement(nil), c.Agreements...)
	return c
}

// filter returns the records of c whose type matches typ ("*" matches all).
func (c *Customer) filter(typ string) []Agreement {
	if typ == TypeAll {
		return c.Agreements
	}
	var out []Agreement
	for _, a := range c.Agreements {
		if a.Type == typ {
			out = append(out, a)
		}
	}
	return out
}
