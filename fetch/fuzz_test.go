package fetch

import (
	"bytes"
	"encoding/json"
	"errors"
	"html"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The fuzz targets judge the parsers against an oracle written apart from
// them: the body decoded into generic values (map[string]any) and read by
// the rules of DESIGN.md, without the parsers' structs, fast path or
// helpers. A parsed body must yield exactly what the oracle finds, or be an
// error exactly when the oracle says so.

// errOracle is the oracle's "this body is an error".
var errOracle = errors.New("oracle: not a valid answer")

// errUndecided means the oracle leaves a body alone: a key spelled like a
// known key in another case, which encoding/json (and so the parser)
// matches case-insensitively and a map does not.
var errUndecided = errors.New("oracle: undecided")

// genericBody decodes body (BOM removed) into generic values, or gives
// errOracle; errUndecided when a key folds to a known one without being it.
func genericBody(body []byte, known []string) (any, error) {
	trimmed := bytes.TrimPrefix(body, utf8BOM)
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, errOracle
	}
	if len(bytes.TrimLeft(trimmed[dec.InputOffset():], " \t\r\n")) > 0 {
		return nil, errOracle // something after the value
	}
	if foldsToKnown(v, known) || hasDuplicateKey(trimmed) {
		return nil, errUndecided
	}
	return v, nil
}

// hasDuplicateKey reports whether an object of the (valid) JSON body has a
// key twice: a map keeps the last value only, while encoding/json also
// reports a type error in an earlier one.
func hasDuplicateKey(body []byte) bool {
	type frame struct {
		object  bool
		keys    map[string]bool
		wantKey bool
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	var stack []*frame
	for {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if top != nil && top.object && top.wantKey {
			if k, ok := tok.(string); ok {
				if top.keys[k] {
					return true
				}
				top.keys[k] = true
				top.wantKey = false
				continue
			}
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, &frame{object: true, keys: map[string]bool{}, wantKey: true})
			continue
		case json.Delim('['):
			stack = append(stack, &frame{})
			continue
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
		}
		// A value ended: the enclosing object wants its next key.
		if len(stack) > 0 && stack[len(stack)-1].object {
			stack[len(stack)-1].wantKey = true
		}
	}
}

// foldsToKnown reports whether any object key in v equals a known key
// case-insensitively without being it.
func foldsToKnown(v any, known []string) bool {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			for _, kn := range known {
				if k != kn && strings.EqualFold(k, kn) {
					return true
				}
			}
			if foldsToKnown(x, known) {
				return true
			}
		}
	case []any:
		for _, x := range v {
			if foldsToKnown(x, known) {
				return true
			}
		}
	}
	return false
}

// optString reads an optional string member: absent or null is "".
func optString(m map[string]any, key string) (string, bool) {
	switch v := m[key].(type) {
	case nil:
		return "", true
	case string:
		return v, true
	}
	return "", false
}

// optInt reads an optional integer member (nil when absent or null).
func optInt(m map[string]any, key string) (*int, bool) {
	switch v := m[key].(type) {
	case nil:
		return nil, true
	case json.Number:
		n, err := strconv.ParseInt(v.String(), 10, 64)
		if err != nil {
			return nil, false
		}
		i := int(n)
		return &i, true
	}
	return nil, false
}

// optObject reads an optional object member (nil when absent or null).
func optObject(m map[string]any, key string) (map[string]any, bool) {
	switch v := m[key].(type) {
	case nil:
		return nil, true
	case map[string]any:
		return v, true
	}
	return nil, false
}

// oracleDate reads dateAgreed: empty or the .NET minimum date is unknown
// (zero); otherwise RFC 3339, or the zone-less forms meaning UTC.
func oracleDate(s string) (time.Time, bool) {
	if s == "" {
		return time.Time{}, true
	}
	var t time.Time
	var err error
	if t, err = time.Parse(time.RFC3339Nano, s); err != nil {
		if t, err = time.ParseInLocation("2006-01-02T15:04:05.999999999", s, time.UTC); err != nil {
			if t, err = time.ParseInLocation("2006-01-02", s, time.UTC); err != nil {
				return time.Time{}, false
			}
		}
	}
	if strings.HasPrefix(s, "0001-01-01") {
		return time.Time{}, true
	}
	return t.UTC(), true
}

var agreementsKnownKeys = []string{
	"totalCount", "items", "primaryContact", "templateId", "dateAgreed", "type", "agreementLink", "userId",
	"firstName", "lastName", "email", "phoneNumber",
}

// oracleAgreements is the oracle's reading of an agreements answer,
// keeping the records of types.
func oracleAgreements(body []byte, types []string) ([]Agreement, error) {
	v, err := genericBody(body, agreementsKnownKeys)
	if err != nil {
		return nil, err
	}
	top, ok := v.(map[string]any)
	if !ok {
		return nil, errOracle
	}
	total, ok := optInt(top, "totalCount")
	if !ok {
		return nil, errOracle
	}
	items, ok := top["items"].([]any)
	if !ok {
		return nil, errOracle // absent, null, or not an array
	}
	if total == nil && len(items) == 0 || total != nil && *total != len(items) {
		return nil, errOracle
	}
	var out []Agreement
	for _, x := range items {
		it, ok := x.(map[string]any)
		if !ok {
			return nil, errOracle
		}
		typ, ok := it["type"].(string)
		if !ok || typ == "" {
			return nil, errOracle
		}
		canonical := ""
		for _, t := range types {
			if strings.EqualFold(t, typ) {
				canonical = t
			}
		}
		if canonical == "" {
			continue
		}
		a := Agreement{Type: canonical}
		var date string
		for _, f := range []struct {
			key string
			dst *string
		}{{"templateId", &a.TemplateID}, {"dateAgreed", &date}, {"agreementLink", &a.AgreementLink}, {"userId", &a.UserID}} {
			if *f.dst, ok = optString(it, f.key); !ok {
				return nil, errOracle
			}
		}
		if a.DateAgreed, ok = oracleDate(date); !ok {
			return nil, errOracle
		}
		pc, ok := optObject(it, "primaryContact")
		if !ok {
			return nil, errOracle
		}
		for _, f := range []struct {
			key string
			dst *string
		}{{"firstName", &a.Contact.FirstName}, {"lastName", &a.Contact.LastName}, {"email", &a.Contact.Email}, {"phoneNumber", &a.Contact.Phone}} {
			if *f.dst, ok = optString(pc, f.key); !ok {
				return nil, errOracle
			}
		}
		for _, f := range []*string{&a.Contact.FirstName, &a.Contact.LastName, &a.Contact.Email, &a.Contact.Phone, &a.AgreementLink} {
			*f = html.UnescapeString(*f)
		}
		out = append(out, a)
	}
	return out, nil
}

// checkAgreementsOracle fails when parseAgreements and the oracle disagree
// on body.
func checkAgreementsOracle(t *testing.T, body []byte) {
	t.Helper()
	got, err := parseAgreements(200, body, bothTypes)
	if err != nil {
		var be *BodyError
		if !errors.As(err, &be) || len(be.Excerpt) > excerptLen {
			t.Fatalf("error %v is not a *BodyError with a short excerpt", err)
		}
	}
	want, oerr := oracleAgreements(body, bothTypes)
	if errors.Is(oerr, errUndecided) {
		return
	}
	if (err != nil) != (oerr != nil) {
		t.Fatalf("parseAgreements(%q) = %+v, %v; the oracle says error = %v (%+v)", body, got, err, oerr != nil, want)
	}
	if err != nil {
		return
	}
	if len(got) != len(want) {
		t.Fatalf("parseAgreements(%q) = %d records, the oracle finds %d:\n%+v\n%+v", body, len(got), len(want), got, want)
	}
	for i := range want {
		g, w := got[i], want[i]
		if !g.DateAgreed.Equal(w.DateAgreed) || !g.DateAgreed.IsZero() && g.DateAgreed.Location() != time.UTC {
			t.Fatalf("parseAgreements(%q) record %d dateAgreed = %v, the oracle reads %v", body, i, g.DateAgreed, w.DateAgreed)
		}
		g.DateAgreed, w.DateAgreed = time.Time{}, time.Time{}
		if g != w {
			t.Fatalf("parseAgreements(%q) record %d = %+v, the oracle reads %+v", body, i, g, w)
		}
	}
}

func TestParseAgreements_Oracle(t *testing.T) {
	for _, body := range []string{
		`{}`, `null`, ``, `[]`, `{"totalCount":null,"items":null}`, `{"totalCount":3,"items":[]}`, `{"totalCount":0,"items":[]}`,
		`{"items":[{"type":"MicrosoftCustomerAgreement"}]}`, `{"totalCount":1,"items":[null]}`, `{"totalCount":1,"items":[{"type":5}]}`,
		`{"totalCount":1,"items":[{"type":"microsoftcloudagreement","dateAgreed":"0001-01-01T00:00:00","userId":null}]}`,
		`{"totalCount":1,"items":[{"type":"X","dateAgreed":7,"primaryContact":"y"}]}`,
		`{"totalCount":1,"items":[{"type":"MicrosoftCustomerAgreement","primaryContact":{"email":null,"x":1}}]}`,
		`{"totalCount":1.0,"items":[{"type":"X"}]}`, `{"totalCount":"1","items":[{"type":"X"}]}`,
	} {
		t.Run(body, func(t *testing.T) { checkAgreementsOracle(t, []byte(body)) })
	}
}

func FuzzParseAgreements(f *testing.F) {
	for _, name := range []string{
		"agreements_seed004_valid.json", "agreements_seed004_malformed.json", "agreements_bom.json",
		"agreements_mixed.json", "agreements_truncated.json", "agreements_bad_date.json", "agreements_empty.json",
		"agreements_undated.json", "agreements_untracked_odd.json", "error_403_mca_missing.json",
	} {
		f.Add(fixture(f, name))
	}
	for _, body := range []string{`{}`, `null`, `{"totalCount":3,"items":[]}`, `{"totalCount":1,"items":[null]}`} {
		f.Add([]byte(body))
	}
	f.Fuzz(checkAgreementsOracle)
}

var customersKnownKeys = []string{
	"totalCount", "items", "id", "companyProfile", "tenantId", "domain", "companyName", "relationshipToPartner",
	"links", "next", "uri", "method", "headers", "key", "value",
}

// oracleCustomers is the oracle's reading of a customers page.
func oracleCustomers(body []byte) ([]Customer, *nextLink, error) {
	v, err := genericBody(body, customersKnownKeys)
	if err != nil {
		return nil, nil, err
	}
	top, ok := v.(map[string]any)
	if !ok {
		return nil, nil, errOracle
	}
	if _, ok := optInt(top, "totalCount"); !ok {
		return nil, nil, errOracle
	}
	items, ok := top["items"].([]any)
	if !ok {
		return nil, nil, errOracle
	}
	var out []Customer
	for _, x := range items {
		it, ok := x.(map[string]any)
		if !ok && x != nil {
			return nil, nil, errOracle
		}
		var cu Customer
		var tenant string
		cp, ok1 := optObject(it, "companyProfile")
		if !ok1 {
			return nil, nil, errOracle
		}
		for _, f := range []struct {
			m   map[string]any
			key string
			dst *string
		}{{it, "id", &cu.ID}, {it, "relationshipToPartner", &cu.Relationship}, {cp, "tenantId", &tenant}, {cp, "domain", &cu.Domain}, {cp, "companyName", &cu.CompanyName}} {
			if *f.dst, ok = optString(f.m, f.key); !ok {
				return nil, nil, errOracle
			}
		}
		cu.CompanyName, cu.Domain = html.UnescapeString(cu.CompanyName), html.UnescapeString(cu.Domain)
		if cu.ID == "" {
			cu.ID = tenant
		}
		if cu.ID == "" {
			return nil, nil, errOracle
		}
		out = append(out, cu)
	}
	links, ok := optObject(top, "links")
	if !ok {
		return nil, nil, errOracle
	}
	nx, ok := optObject(links, "next")
	if !ok {
		return nil, nil, errOracle
	}
	if nx == nil {
		return out, nil, nil
	}
	next := &nextLink{}
	if next.URI, ok = optString(nx, "uri"); !ok {
		return nil, nil, errOracle
	}
	if next.Method, ok = optString(nx, "method"); !ok {
		return nil, nil, errOracle
	}
	switch hs := nx["headers"].(type) {
	case nil:
	case []any:
		for _, h := range hs {
			hm, ok := h.(map[string]any)
			if !ok && h != nil {
				return nil, nil, errOracle
			}
			var kv struct{ Key, Value string }
			if kv.Key, ok = optString(hm, "key"); !ok {
				return nil, nil, errOracle
			}
			if kv.Value, ok = optString(hm, "value"); !ok {
				return nil, nil, errOracle
			}
			next.Headers = append(next.Headers, struct {
				Key   string `json:"key"`
				Value string `json:"value"`
			}{kv.Key, kv.Value})
		}
	default:
		return nil, nil, errOracle
	}
	return out, next, nil
}

func FuzzParseCustomers(f *testing.F) {
	for _, name := range []string{"customers_page1.json", "customers_page2.json", "customers_page3.json", "agreements_truncated.json"} {
		f.Add(fixture(f, name))
	}
	for _, body := range []string{`{}`, `null`, `{"items":[null]}`, `{"items":[],"links":{"next":{"headers":[null]}}}`} {
		f.Add([]byte(body))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		items, next, err := parseCustomers(200, body)
		if err != nil {
			var be *BodyError
			if !errors.As(err, &be) {
				t.Fatalf("error %v is not a *BodyError", err)
			}
		}
		want, wantNext, oerr := oracleCustomers(body)
		if errors.Is(oerr, errUndecided) {
			return
		}
		if (err != nil) != (oerr != nil) {
			t.Fatalf("parseCustomers(%q) = %+v, %v; the oracle says error = %v", body, items, err, oerr != nil)
		}
		if err != nil {
			return
		}
		if len(items) != len(want) {
			t.Fatalf("parseCustomers(%q) = %d customers, the oracle finds %d", body, len(items), len(want))
		}
		for i := range want {
			if items[i] != want[i] {
				t.Fatalf("parseCustomers(%q) customer %d = %+v, the oracle reads %+v", body, i, items[i], want[i])
			}
		}
		if (next == nil) != (wantNext == nil) {
			t.Fatalf("parseCustomers(%q) next = %+v, the oracle reads %+v", body, next, wantNext)
		}
		if next == nil {
			return
		}
		if next.URI != wantNext.URI || next.Method != wantNext.Method || len(next.Headers) != len(wantNext.Headers) {
			t.Fatalf("parseCustomers(%q) next = %+v, the oracle reads %+v", body, next, wantNext)
		}
		for i := range wantNext.Headers {
			if next.Headers[i] != wantNext.Headers[i] {
				t.Fatalf("parseCustomers(%q) next header %d = %+v, the oracle reads %+v", body, i, next.Headers[i], wantNext.Headers[i])
			}
		}
	})
}
