package pctest

import (
	"strings"
	"time"
)

// Agreement types the server knows.
const (
	TypeMCA      = "MicrosoftCustomerAgreement"
	TypeMCloudA  = "MicrosoftCloudAgreement"
	TypeAll      = "*"
	TemplateMCA  = "117a99a5-9ac6-4f4c-a8ee-35cfa5d2df6d" // the MCA version before the 2023 update (versionRank 0)
	TemplateMCAv = "2b5d7e8c-1f4a-4c63-9b8e-7a0d3c9f5e21" // the 2023 MCA version (versionRank 1): records dated from DefaultCurrentSince on
	TemplateMCl  = "0c2f4b1d-7e3a-4d5b-8c6f-9a1e2d3c4b5a"
	LinkMCA      = "https://aka.ms/customeragreement"
	LinkMCAv     = "https://www.microsoft.com/licensing/docs/customeragreement" // the document of the 2023 version
	LinkMCloudA  = "https://aka.ms/microsoftcloudagreement"
)

// DefaultCurrentSince is the cut-off of the 2023 MCA update: the generator
// dates "outdated" acceptances before it and current ones on or after it,
// and Evolve re-accepts outdated customers after it.
var DefaultCurrentSince = time.Date(2023, 4, 1, 0, 0, 0, 0, time.UTC)

// The standings Expected and Customer.Standing give, spelled as in storage.
const (
	StandingAccepted     = "accepted"
	StandingDirectSigned = "direct_signed"
	StandingOutdated     = "outdated"
	StandingMissing      = "missing"
	StandingError        = "error"
)

// Customer is one customer tenant of the partner, with its agreement records.
type Customer struct {
	// ID: lower-case GUID, deterministic. Relationship is relationshipToPartner:
	// "reseller", or "advisor" for a customer the partner has no commerce
	// relationship with (its agreements and direct-sign calls answer 403, code 20002).
	ID, CompanyName, Domain, Relationship string
	Agreements                            []Agreement
	DirectSigned                          bool // answer of directSignedMicrosoftCustomerAgreementStatus
}

// Agreement is one acceptance record of a customer.
type Agreement struct {
	// Type is spelled as the service returned it; a few generated records
	// spell the MCA "microsoftCustomerAgreement" (lower-case initial), which
	// the service matches case-insensitively.
	Type, TemplateID, FirstName, LastName, Email, Phone, AgreementLink, UserID string
	// DateAgreed is UTC, whole days or seconds. The zero time is a record
	// without a usable date: its dateAgreed is left out of the JSON, or is
	// the .NET minimum date "0001-01-01T00:00:00" when MinDate is set.
	DateAgreed time.Time
	ZoneLess   bool // serialised as "2019-08-26T00:00:00" (true) or "2018-06-14T00:00:00.000Z" (false)
	MinDate    bool // with a zero DateAgreed: serialised as "0001-01-01T00:00:00"
}

// Commerce reports whether the partner has a reseller (commerce)
// relationship with c; without one, c's agreements calls answer 403 code 20002.
func (c Customer) Commerce() bool {
	return strings.EqualFold(c.Relationship, "reseller")
}

// HasType reports whether c has at least one record of agreement type typ,
// compared case-insensitively as the service does.
func (c Customer) HasType(typ string) bool {
	for _, a := range c.Agreements {
		if strings.EqualFold(a.Type, typ) {
			return true
		}
	}
	return false
}

// Latest returns the record of type typ with the newest DateAgreed (a record
// without a date is older than any dated one).
func (c Customer) Latest(typ string) (Agreement, bool) {
	var best Agreement
	found := false
	for _, a := range c.Agreements {
		if strings.EqualFold(a.Type, typ) && (!found || a.DateAgreed.After(best.DateAgreed)) {
			best, found = a, true
		}
	}
	return best, found
}

// Missing reports whether c lacks a record of type typ and is not direct-signed.
// It does not look at dates: see Standing for the outdated check.
func (c Customer) Missing(typ string) bool {
	return !c.HasType(typ) && !c.DirectSigned
}

// Standing is where c stands against the MCA with the cut-off currentSince
// (zero: no cut-off), as a correct sweep reports it when every call answers:
// StandingError for a customer without a commerce relationship; else
// StandingAccepted when an MCA record is dated on or after the cut-off;
// else StandingDirectSigned when c signed directly; else StandingOutdated
// when c has an MCA record (dated before the cut-off, or without a date);
// else StandingMissing.
func (c Customer) Standing(currentSince time.Time) string {
	if !c.Commerce() {
		return StandingError
	}
	has := false
	for _, a := range c.Agreements {
		if !strings.EqualFold(a.Type, TypeMCA) {
			continue
		}
		has = true
		if currentSince.IsZero() || !a.DateAgreed.IsZero() && !a.DateAgreed.Before(currentSince) {
			return StandingAccepted
		}
	}
	switch {
	case c.DirectSigned:
		return StandingDirectSigned
	case has:
		return StandingOutdated
	}
	return StandingMissing
}

// clone returns a deep copy of c.
func (c Customer) clone() Customer {
	c.Agreements = append([]Agreement(nil), c.Agreements...)
	return c
}

// filter returns the records of c whose type matches typ case-insensitively
// ("*" matches all).
func (c *Customer) filter(typ string) []Agreement {
	if typ == TypeAll {
		return c.Agreements
	}
	var out []Agreement
	for _, a := range c.Agreements {
		if strings.EqualFold(a.Type, typ) {
			out = append(out, a)
		}
	}
	return out
}
