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
	share := func(pct int) int {
		v := n * pct / 100
		if v == 0 && n >= 20 {
			v = 1
		}
		return v
	}
	c[catSeveral] = share(8)
	c[catMCloudA] = share(6)
	c[catNothing] = share(12) - c[catMCloudA]
	c[catDirect] = share(3)
	c[catBoth] = share(7)
	rest := n - c[catSeveral] - c[catMCloudA] - c[catNothing] - c[catDirect] - c[catBoth]
	c[catSingle] = max(rest, 0)
	return c
}

// generate builds the deterministic portfolio of n customers.
func generate(seed int64, n int, today time.Time) []Customer {
	r := newRand(seed, 1)
	counts := categoryCounts(n)
	cats := make([]category, 0, n)
	for cat, k := range counts {
		for range k {
			cats = append(cats, category(cat))
		}
	}
	r.Shuffle(len(cats), func(i, j int) { cats[i], cats[j] = cats[j], cats[i] })

	specialAt := map[int]string{}
	if n >= 20 {
		for k, name := range specialNames {
			specialAt[k*n/len(specialNames)] = name
		}
	}
	out := make([]Customer, n)
	for i := range n {
		out[i] = genCustomer(r, i, cats[i], specialAt[i], today)
	}
	return out
}

// genCustomer builds one customer of the given category; name overrides the
// generated company name when not empty.
func genCustomer(r *rand.Rand, idx int, cat category, name string, today time.Time) Customer {
	if name == "" {
		name = namePrefixes[r.IntN(len(namePrefixes))] + " " + nameSuffixes[r.IntN(len(nameSuffixes))]
	}
	c := Customer{
		ID:           newGUID(r),
		CompanyName:  name,
		Domain:       fmt.Sprintf("%s%x%03x.onmicrosoft.com", slug(name), idx, r.IntN(1<<12)),
		Relationship: "reseller",
	}
	if r.IntN(20) == 0 {
		c.Relationship = "advisor"
	}
	from := earliestDate
	if today.Sub(from) < 365*24*time.Hour {
		from = today.AddDate(-1, 0, 0)
	}
	days := int(today.Sub(from).Hours() / 24)
	dated := func(typ string, day int) Agreement {
		return genAgreement(r, typ, c.Domain, from.AddDate(0, 0, day))
	}
	switch cat {
	case catSingle:
		c.Agreements = []Agreement{dated(TypeMCA, r.IntN(days))}
	case catBoth:
		mcaDay := r.IntN(days)
		c.Agreements = []Agreement{dated(TypeMCloudA, r.IntN(mcaDay+1)), dated(TypeMCA, mcaDay)}
	case catSeveral:
		k := 2 + r.IntN(2)
		day := r.IntN(days / 2)
		for range k {
			a := dated(TypeMCA, day)
			if r.IntN(3) == 0 {
				a.TemplateID = TemplateMCAv
			}
			c.Agreements = append(c.Agreements, a)
			day += 1 + r.IntN(max(1, (days-day)/k))
		}
		r.Shuffle(len(c.Agreements), func(i, j int) {
			c.Agreements[i], c.Agreements[j] = c.Agreements[j], c.Agreements[i]
		})
	case catMCloudA:
		c.Agreements = []Agreement{dated(TypeMCloudA, r.IntN(days))}
	case catDirect:
		c.DirectSigned = true
	}
	return c
}

// genAgreement builds one record of type typ agreed on the given day.
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
	if typ == TypeMCloudA {
		a.TemplateID, a.AgreementLink = TemplateMCl, LinkMCloudA
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
