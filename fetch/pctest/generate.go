package pctest

import (
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// category is the agreement situation a generated customer starts in.
type category int

const (
	catSingle  category = iota // one MCA record
	catBoth                    // one MCA record and an older MicrosoftCloudAgreement record
	catSeveral                 // two or three MCA records with different dates
	catMCloudA                 // a MicrosoftCloudAgreement record only (missing the MCA)
	catNothing                 // no record at all (missing the MCA)
	catDirect                  // no record, but direct-signed
	numCategories
)

// specialNames are company names that trip up CSV, XLSX and JSON handling.
// Every kind appears at least once in a portfolio of 20 or more customers.
var specialNames = []string{
	`Nordic Cloud Partners, Inc.`,
	`"Blue Ocean" Trading AB`,
	`Åkerlund & Söner AB`,
	`Müller Bürotechnik GmbH`,
	`日本クラウド株式会社`,
	`=HYPERLINK("http://x")`,
	`+46 Foods`,
	`-Minus AB`,
	`@Home Oy`,
}

// SpecialCompanyNames returns the company names with commas, double quotes,
// non-ASCII letters and formula-like starts that every generated portfolio of
// 20 or more customers contains.
func SpecialCompanyNames() []string {
	return append([]string(nil), specialNames...)
}

var (
	namePrefixes = []string{"Contoso", "Fabrikam", "Northwind", "Tailspin", "Wingtip", "Litware", "Adatum", "Proseware", "Fourth Coffee", "Lucerne", "Margie's", "Woodgrove", "Alpine", "Coho", "Trey", "Humongous", "Lamna", "Relecloud", "Bölja", "Ström"}
	nameSuffixes = []string{"AB", "Oy", "GmbH", "Ltd", "Inc.", "A/S", "AS", "SARL", "BV", "Holding, Ltd", "& Co", "Logistics", "Health", "Bygg AB", "Consulting"}
	firstNames   = []string{"Tania", "Åsa", "Jürgen", "Zoë", "Lars", "Mikko", "Ingrid", "José", "Chen", "Aiko", "Olu", "Sara", "Niklas", "Fatima", "Pål"}
	lastNames    = []string{"Carr", "Lindström", "Müller", "O'Brien", "Virtanen", "Nakamura", "García", "Smith", "Johansson", "Okafor", "Berg", "Nguyen", "Schäfer", "Hansen"}
)

// earliestDate is the oldest dateAgreed a generated record gets.
var earliestDate = time.Date(2019, 1, 1, 0, 0, 0, 0, time.UTC)

// newRand returns the deterministic generator for a seed and a purpose.
func newRand(seed int64, stream uint64) *rand.Rand {
	return rand.New(rand.NewPCG(uint64(seed), stream))
}

// newGUID returns a random version-4 GUID in lower case.
func newGUID(r *rand.Rand) string {
	var b [16]byte
	for i := range 2 {
		v := r.Uint64()
		for j := range 8 {
			b[i*8+j] = byte(v >> (8 * j))
		}
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// categoryCounts returns how many of n customers fall in each category; see doc.go.
func categoryCounts(n int) [numCategories]int {
	var c [numCategories]int
	c[catSeveral] = share(n, 8)
	c[catMCloudA] = share(n, 6)
	c[catNothing] = share(n, 12) - c[catMCloudA]
	c[catDirect] = share(n, 3)
	c[catBoth] = share(n, 7)
	rest := n - c[catSeveral] - c[catMCloudA] - c[catNothing] - c[catDirect] - c[catBoth]
	c[catSingle] = max(rest, 0)
	return c
}

// share is pct percent of n, at least one when n >= 20.
func share(n, pct int) int {
	v := n * pct / 100
	if v == 0 && n >= 20 {
		v = 1
	}
	return v
}

// quirk is an oddity of the real service a generated customer of catSingle
// carries instead of its ordinary record.
type quirk int

const (
	quirkNone      quirk = iota
	quirkUndated         // its only MCA record has no dateAgreed and a null userId: outdated
	quirkMinDate         // its only MCA record is dated 0001-01-01T00:00:00: outdated
	quirkLowerType       // its current MCA record is typed "microsoftCustomerAgreement": accepted
	quirkOldDirect       // its only MCA record is old, but it signed directly: direct-signed
	numQuirks
)

// outdatedPct is the share, in percent, of the customers with an ordinary
// dated MCA record whose records all predate DefaultCurrentSince; with the
// undated and .NET-minimum-date quirks, about 40% of the customers with an
// MCA record must accept it again, as in a real portfolio in 2026.
const outdatedPct = 38

// plan is what generate decides for one customer before drawing its details.
type plan struct {
	cat     category
	old     bool // every MCA record dated before the cut-off
	quirk   quirk
	advisor bool // relationshipToPartner "advisor": no commerce relationship
}

// plans returns the deterministic plan of n customers: the categories with
// their exact shares, shuffled; each quirk on share(n, 1) catSingle
// customers; outdatedPct of the other MCA customers old, spread evenly over
// the listing; share(n, 2) customers without a quirk advisors, evenly spaced.
func plans(r *rand.Rand, n int) []plan {
	counts := categoryCounts(n)
	out := make([]plan, 0, n)
	for cat, k := range counts {
		for range k {
			out = append(out, plan{cat: category(cat)})
		}
	}
	r.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	left := [numQuirks]int{}
	for q := quirkNone + 1; q < numQuirks; q++ {
		left[q] = share(n, 1)
	}
	q, dated := quirkNone+1, 0
	advisors := share(n, 2)
	stride, pending := n/max(advisors, 1), false
	for i := range out {
		p := &out[i]
		if advisors > 0 && (pending || i%stride == stride-1) {
			pending = true
		}
		if p.cat == catSingle && q < numQuirks && left[q] > 0 && counts[catSingle] > int(numQuirks) {
			p.quirk = q
			if left[q]--; left[q] == 0 {
				q++
			}
			p.old = p.quirk != quirkLowerType
			continue
		}
		if pending {
			p.advisor, pending = true, false
			advisors--
		}
		if p.cat == catSingle || p.cat == catBoth || p.cat == catSeveral {
			p.old = (dated+1)*outdatedPct/100 > dated*outdatedPct/100
			dated++
		}
	}
	return out
}

// generate builds the deterministic portfolio of n customers.
func generate(seed int64, n int, today time.Time) []Customer {
	r := newRand(seed, 1)
	ps := plans(r, n)
	specialAt := map[int]string{}
	if n >= 20 {
		for k, name := range specialNames {
			specialAt[k*n/len(specialNames)] = name
		}
	}
	out := make([]Customer, n)
	for i := range n {
		out[i] = genCustomer(r, i, ps[i], specialAt[i], today)
	}
	return out
}

// dateRange is the half-open range of days [from, from+days) records are drawn from.
type dateRange struct {
	from time.Time
	days int
}

// day returns the date of day d of the range.
func (dr dateRange) day(d int) time.Time { return dr.from.AddDate(0, 0, d) }

// eras returns the ranges of old (before DefaultCurrentSince) and current
// dates before today; when one is empty (today is before the cut-off, or a
// year ago was after it), both are the whole range.
func eras(today time.Time) (old, current dateRange) {
	from := earliestDate
	if today.Sub(from) < 365*24*time.Hour {
		from = today.AddDate(-1, 0, 0)
	}
	cut := DefaultCurrentSince
	if !cut.After(from) || !cut.Before(today) || days(from, cut) < 2 || days(cut, today) < 2 {
		all := dateRange{from, max(days(from, today), 1)}
		return all, all
	}
	return dateRange{from, days(from, cut)}, dateRange{cut, days(cut, today)}
}

// genCustomer builds one customer of the given plan; name overrides the
// generated company name when not empty.
func genCustomer(r *rand.Rand, idx int, p plan, name string, today time.Time) Customer {
	if name == "" {
		name = namePrefixes[r.IntN(len(namePrefixes))] + " " + nameSuffixes[r.IntN(len(nameSuffixes))]
	}
	c := Customer{
		ID:           newGUID(r),
		CompanyName:  name,
		Domain:       fmt.Sprintf("%s%x%03x.onmicrosoft.com", slug(name), idx, r.IntN(1<<12)),
		Relationship: "reseller",
	}
	if p.advisor {
		c.Relationship = "advisor"
	}
	old, current := eras(today)
	era := current
	if p.old {
		era = old
	}
	dated := func(typ string, dr dateRange, day int) Agreement {
		return genAgreement(r, typ, c.Domain, dr.day(day))
	}
	switch p.cat {
	case catSingle:
		a := dated(TypeMCA, era, r.IntN(era.days))
		switch p.quirk {
		case quirkUndated:
			a.DateAgreed, a.UserID = time.Time{}, ""
		case quirkMinDate:
			a.DateAgreed, a.MinDate = time.Time{}, true
		case quirkLowerType:
			a.Type = "microsoftCustomerAgreement"
		case quirkOldDirect:
			c.DirectSigned = true
		}
		c.Agreements = []Agreement{a}
	case catBoth:
		mcaDay := r.IntN(era.days)
		mca := dated(TypeMCA, era, mcaDay)
		cloud := genAgreement(r, TypeMCloudA, c.Domain, old.day(r.IntN(max(1, min(old.days, days(old.from, mca.DateAgreed)+1)))))
		c.Agreements = []Agreement{cloud, mca}
	case catSeveral:
		// Re-attestations: two or three dates, increasing; an old customer's
		// all before the cut-off, a current customer's last one after it.
		k := 2 + r.IntN(2)
		dates := make([]time.Time, 0, k)
		day := r.IntN(max(1, old.days/2))
		for range k - 1 {
			dates = append(dates, old.day(day))
			day += 1 + r.IntN(max(1, (old.days-day)/k))
		}
		if p.old {
			dates = append(dates, old.day(min(day, old.days-1)))
		} else {
			dates = append(dates, current.day(r.IntN(current.days)))
		}
		for i, d := range dates {
			if i > 0 && !d.After(dates[i-1]) {
				d = dates[i-1].AddDate(0, 0, 1)
			}
			dates[i] = d
			c.Agreements = append(c.Agreements, genAgreement(r, TypeMCA, c.Domain, d))
		}
		r.Shuffle(len(c.Agreements), func(i, j int) {
			c.Agreements[i], c.Agreements[j] = c.Agreements[j], c.Agreements[i]
		})
	case catMCloudA:
		c.Agreements = []Agreement{dated(TypeMCloudA, old, r.IntN(old.days))}
	case catDirect:
		c.DirectSigned = true
	}
	return c
}

// days counts the whole days from a to b.
func days(a, b time.Time) int { return int(b.Sub(a).Hours() / 24) }

// genAgreement builds one record of type typ agreed on the given day; an MCA
// record dated from DefaultCurrentSince on is of the 2023 template.
func genAgreement(r *rand.Rand, typ, domain string, day time.Time) Agreement {
	first, last := firstNames[r.IntN(len(firstNames))], lastNames[r.IntN(len(lastNames))]
	a := Agreement{
		Type:          typ,
		TemplateID:    TemplateMCA,
		FirstName:     first,
		LastName:      last,
		Email:         slug(first) + "." + slug(last) + "@" + domain,
		AgreementLink: LinkMCA,
		DateAgreed:    day,
		ZoneLess:      r.IntN(2) == 0,
	}
	switch {
	case typ == TypeMCloudA:
		a.TemplateID, a.AgreementLink = TemplateMCl, LinkMCloudA
	case !day.Before(DefaultCurrentSince):
		a.TemplateID, a.AgreementLink = TemplateMCAv, LinkMCAv
	}
	if !a.ZoneLess && r.IntN(2) == 0 {
		a.DateAgreed = day.Add(time.Duration(r.IntN(86400)) * time.Second)
	}
	switch r.IntN(7) {
	case 0:
		// no phone number: the field is left out of the JSON
	case 1, 2:
		a.Phone = fmt.Sprintf("+46 8 %03d %02d %02d", r.IntN(1000), r.IntN(100), r.IntN(100))
	default:
		a.Phone = fmt.Sprintf("%010d", r.Int64N(1e10))
	}
	if r.IntN(5) != 0 {
		a.UserID = newGUID(r)
	}
	return a
}

// slug keeps the lower-case ASCII letters and digits of s, or "tenant" if none.
func slug(s string) string {
	var b strings.Builder
	for _, ch := range strings.ToLower(s) {
		if ch >= 'a' && ch <= 'z' || ch >= '0' && ch <= '9' {
			b.WriteRune(ch)
		}
	}
	if b.Len() == 0 {
		return "tenant"
	}
	return b.String()
}
