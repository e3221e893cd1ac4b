package fetch

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"strconv"
	"strings"
	"time"
)

// utf8BOM is the byte-order mark some Partner Center bodies start with.
var utf8BOM = []byte("\xEF\xBB\xBF")

// excerptLen bounds BodyError.Excerpt.
const excerptLen = 120

// decodeJSON unmarshals a body into v, tolerating a leading BOM. A failure is
// a *BodyError; one whose JSON ends early is marked truncated.
func decodeJSON(status int, body []byte, v any) error {
	trimmed := bytes.TrimPrefix(body, utf8BOM)
	err := json.Unmarshal(trimmed, v)
	if err == nil {
		return nil
	}
	var se *json.SyntaxError
	// An empty body is malformed, not cut short: when the connection
	// drops before the announced length, readLimited fails first.
	truncated := len(bytes.TrimSpace(trimmed)) > 0 &&
		errors.As(err, &se) && se.Offset >= int64(len(trimmed))
	return newBodyError(status, body, err, truncated)
}

func newBodyError(status int, body []byte, err error, truncated bool) *BodyError {
	ex := body
	if len(ex) > excerptLen {
		ex = ex[:excerptLen]
	}
	return &BodyError{Status: status, Excerpt: strings.ToValidUTF8(string(ex), "?"), Err: err, truncated: truncated}
}

// customersPage is one page of GET /v1/customers.
type customersPage struct {
	TotalCount int `json:"totalCount"`
	Items      []struct {
		ID             string `json:"id"`
		CompanyProfile struct {
			TenantID    string `json:"tenantId"`
			Domain      string `json:"domain"`
			CompanyName string `json:"companyName"`
		} `json:"companyProfile"`
		RelationshipToPartner string `json:"relationshipToPartner"`
	} `json:"items"`
	Links struct {
		Next *nextLink `json:"next"`
	} `json:"links"`
}

// nextLink is links.next of a customers page.
type nextLink struct {
	URI     string `json:"uri"`
	Method  string `json:"method"`
	Headers []struct {
		Key   string `json:"key"`
		Value string `json:"value"`
	} `json:"headers"`
}

// parseCustomers parses one customers page into its customers and its next
// link (nil on the last page). Company names and domains are
// HTML-unescaped, as the service escapes text.
func parseCustomers(status int, body []byte) ([]Customer, *nextLink, error) {
	var p customersPage
	if err := decodeJSON(status, body, &p); err != nil {
		return nil, nil, err
	}
	if p.Items == nil {
		// {} or null is not "no customers": a sweep must not conclude
		// that every customer left.
		return nil, nil, newBodyError(status, body, errors.New("no items array"), false)
	}
	out := make([]Customer, 0, len(p.Items))
	for _, it := range p.Items {
		id := it.ID
		if id == "" {
			id = it.CompanyProfile.TenantID
		}
		if id == "" {
			return nil, nil, newBodyError(status, body, errors.New("customer without id"), false)
		}
		out = append(out, Customer{
			ID:           id,
			CompanyName:  html.UnescapeString(it.CompanyProfile.CompanyName),
			Domain:       html.UnescapeString(it.CompanyProfile.Domain),
			Relationship: it.RelationshipToPartner,
		})
	}
	return out, p.Links.Next, nil
}

// agreementsBody is the answer of GET /v1/customers/{id}/agreements.
type agreementsBody struct {
	TotalCount *int            `json:"totalCount"` // nil when absent or null
	Items      []agreementItem `json:"items"`      // nil when absent or null
}

// agreementItem is one record of an agreements answer.
type agreementItem struct {
	PrimaryContact agreementContact `json:"primaryContact"`
	TemplateID     string           `json:"templateId"`
	DateAgreed     string           `json:"dateAgreed"`
	Type           string           `json:"type"`
	AgreementLink  string           `json:"agreementLink"`
	UserID         *string          `json:"userId"`
}

// agreementContact is an agreement record's primaryContact.
type agreementContact struct {
	FirstName   string `json:"firstName"`
	LastName    string `json:"lastName"`
	Email       string `json:"email"`
	PhoneNumber string `json:"phoneNumber"`
}

// readable returns the contact HTML-unescaped (the service sends
// O&#39;Brien).
func (pc agreementContact) readable() Contact {
	return Contact{
		FirstName: html.UnescapeString(pc.FirstName),
		LastName:  html.UnescapeString(pc.LastName),
		Email:     html.UnescapeString(pc.Email),
		Phone:     html.UnescapeString(pc.PhoneNumber),
	}
}

// lenientItem is one record as encoding/json reads it when the fast
// decoder declined the body: every field kept raw, so that a record of an
// untracked type is skipped whatever its other fields hold, and a tracked
// record's odd field fails only its own customer.
type lenientItem struct {
	PrimaryContact json.RawMessage `json:"primaryContact"`
	TemplateID     json.RawMessage `json:"templateId"`
	DateAgreed     json.RawMessage `json:"dateAgreed"`
	Type           json.RawMessage `json:"type"`
	AgreementLink  json.RawMessage `json:"agreementLink"`
	UserID         json.RawMessage `json:"userId"`
}

// parseAgreements parses an agreements answer and returns its records of
// the types in types, in body order, each typed in the canonical spelling
// (see canonicalType). Records of other types are skipped unread.
//
// The answer must say what it holds: an items array, and a totalCount
// equal to its length. A body without items ({}, null, empty), or whose
// totalCount disagrees with its items, is a *BodyError, never "no
// acceptances". A body with records but no totalCount is accepted (the
// records speak for themselves); one with no records and no totalCount is
// not, because "no acceptances" is the answer that puts a customer on
// Missing and it must not come from a body that says nothing.
//
// Text a person reads (contact names, email, phone, the agreement link) is
// HTML-unescaped: the service sends O&#39;Brien and &amp; in links.
//
// A record without a usable date (dateAgreed absent, null, empty, or the
// .NET minimum date 0001-01-01T00:00:00) is an acceptance with a zero
// DateAgreed. A record without a readable type fails the customer: it
// might be a tracked one.
func parseAgreements(status int, body []byte, types []string) ([]Agreement, error) {
	trimmed := bytes.TrimPrefix(body, utf8BOM)
	a, ok := decodeAgreementsFast(trimmed)
	if !ok {
		return parseAgreementsLenient(status, body, types)
	}
	if err := checkCount(a.TotalCount, a.Items == nil, len(a.Items)); err != nil {
		return nil, newBodyError(status, body, err, false)
	}
	out := make([]Agreement, 0, len(a.Items))
	for i, it := range a.Items {
		if it.Type == "" {
			return nil, newBodyError(status, body, fmt.Errorf("item %d: no type", i), false)
		}
		typ, tracked := canonicalType(it.Type, types)
		if !tracked {
			continue
		}
		d, err := parseDateAgreed(it.DateAgreed)
		if err != nil {
			return nil, newBodyError(status, body, fmt.Errorf("item %d: %w", i, err), false)
		}
		ag := Agreement{
			Type:          typ,
			DateAgreed:    d,
			TemplateID:    it.TemplateID,
			Contact:       it.PrimaryContact.readable(),
			AgreementLink: html.UnescapeString(it.AgreementLink),
		}
		if it.UserID != nil {
			ag.UserID = *it.UserID
		}
		out = append(out, ag)
	}
	return out, nil
}

// parseAgreementsLenient is parseAgreements through encoding/json, one
// record at a time.
func parseAgreementsLenient(status int, body []byte, types []string) ([]Agreement, error) {
	var a struct {
		TotalCount *int              `json:"totalCount"`
		Items      []json.RawMessage `json:"items"`
	}
	if err := decodeJSON(status, body, &a); err != nil {
		return nil, err
	}
	if err := checkCount(a.TotalCount, a.Items == nil, len(a.Items)); err != nil {
		return nil, newBodyError(status, body, err, false)
	}
	out := make([]Agreement, 0, len(a.Items))
	for i, raw := range a.Items {
		ag, tracked, err := lenientRecord(raw, types)
		if err != nil {
			return nil, newBodyError(status, body, fmt.Errorf("item %d: %w", i, err), false)
		}
		if tracked {
			out = append(out, ag)
		}
	}
	return out, nil
}

// lenientRecord reads one raw record; tracked is false for a record of an
// untracked type, whose other fields are not looked at.
func lenientRecord(raw json.RawMessage, types []string) (ag Agreement, tracked bool, err error) {
	if t := bytes.TrimSpace(raw); len(t) == 0 || t[0] != '{' {
		return ag, false, errors.New("not an object")
	}
	var it lenientItem
	if err := json.Unmarshal(raw, &it); err != nil {
		return ag, false, err
	}
	var typ string
	if json.Unmarshal(it.Type, &typ) != nil || typ == "" {
		return ag, false, errors.New("no type")
	}
	if ag.Type, tracked = canonicalType(typ, types); !tracked {
		return ag, false, nil
	}
	var date string
	var contact agreementContact
	for _, f := range []struct {
		name string
		raw  json.RawMessage
		dst  any
	}{
		{"templateId", it.TemplateID, &ag.TemplateID},
		{"dateAgreed", it.DateAgreed, &date},
		{"agreementLink", it.AgreementLink, &ag.AgreementLink},
		{"userId", it.UserID, &ag.UserID},
		{"primaryContact", it.PrimaryContact, &contact},
	} {
		if len(f.raw) == 0 {
			continue
		}
		if err := json.Unmarshal(f.raw, f.dst); err != nil {
			return ag, false, fmt.Errorf("%s: %w", f.name, err)
		}
	}
	if ag.DateAgreed, err = parseDateAgreed(date); err != nil {
		return ag, false, err
	}
	ag.AgreementLink = html.UnescapeString(ag.AgreementLink)
	ag.Contact = contact.readable()
	return ag, true, nil
}

// checkCount checks an answer's totalCount against its items (see
// parseAgreements).
func checkCount(total *int, noItems bool, n int) error {
	switch {
	case noItems:
		return errors.New("no items array")
	case total == nil && n == 0:
		return errors.New("no totalCount and no items")
	case total != nil && *total != n:
		return fmt.Errorf("totalCount %d but %d items", *total, n)
	}
	return nil
}

// zoneless are the dateAgreed layouts without a zone; they mean UTC.
var zoneless = []string{"2006-01-02T15:04:05.999999999", "2006-01-02"}

// parseDateAgreed accepts RFC 3339 with or without a fraction, and the
// zone-less "2019-08-26T00:00:00" form (UTC). The result is in UTC. An
// empty string and the .NET minimum date (0001-01-01, any time, zone or
// fraction) mean "no usable date": the zero time, without error.
func parseDateAgreed(s string) (time.Time, error) {
	if s == "" || strings.HasPrefix(s, "0001-01-01") {
		t, err := parseDate(s)
		if s == "" || err == nil {
			return time.Time{}, nil
		}
		return t, err
	}
	return parseDate(s)
}

// parseDate is parseDateAgreed without the "no usable date" cases.
func parseDate(s string) (time.Time, error) {
	// No string matches both RFC 3339 and a zone-less layout, so the order
	// of the attempts only matters for speed: about half the answers carry
	// no zone, and a failed attempt costs an error value. A zone shows as
	// Z or an offset after the date.
	zoned := len(s) <= len("2006-01-02") || strings.ContainsAny(s[len("2006-01-02"):], "Zz+-")
	if zoned {
		if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
			return t.UTC(), nil
		}
	}
	for _, layout := range zoneless {
		if t, err := time.ParseInLocation(layout, s, time.UTC); err == nil {
			return t, nil
		}
	}
	if !zoned {
		if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("dateAgreed %q is not a date", clip(s, 40))
}

// errorBody is Partner Center's JSON error answer: {code, description, …},
// or the throttling answer {"statusCode":429,"message":…}.
type errorBody struct {
	Code        json.RawMessage `json:"code"`
	Description json.RawMessage `json:"description"`
	Message     json.RawMessage `json:"message"`
	ErrorName   json.RawMessage `json:"errorName"`
	IsRetryable json.RawMessage `json:"isRetryable"`
}

// parseAPIError turns an error answer into an *APIError. A body that is not
// the JSON error it should be (a gateway's HTML page, an empty body) still
// gives an *APIError for its HTTP status, without code: a 502 is a server
// error whatever its body says. Text is HTML-unescaped, as the service
// escapes some of it (We&#39;re sorry…).
func parseAPIError(status int, body []byte, requestID string) error {
	e := &APIError{Status: status, RequestID: requestID}
	trimmed := bytes.TrimSpace(bytes.TrimPrefix(body, utf8BOM))
	var eb errorBody
	if len(trimmed) > 0 && trimmed[0] == '{' && json.Unmarshal(trimmed, &eb) == nil {
		e.Code = rawCode(eb.Code)
		e.Description = readableText(rawText(eb.Description))
		if e.Description == "" {
			e.Description = readableText(rawText(eb.Message))
		}
		e.ErrorName = readableText(rawText(eb.ErrorName))
		var retryable bool
		e.Retryable = json.Unmarshal(eb.IsRetryable, &retryable) == nil && retryable
	} else if len(trimmed) > 0 {
		e.Description = pageTitle(trimmed)
	}
	switch {
	case status == 429 || status >= 500:
		e.Retryable = true
	case status >= 400 && status < 500:
		// 4xx is the customer's (or the token's) answer; Partner Center's
		// isRetryable hint is not trusted for 400/401/403/404.
		if status == 400 || status == 401 || status == 403 || status == 404 {
			e.Retryable = false
		}
	}
	return e
}

// rawText reads a JSON string; anything else gives "".
func rawText(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return ""
	}
	return s
}

// readableText makes service text fit for a person: HTML entities
// unescaped (the service sends We&#39;re sorry…), white space collapsed.
func readableText(s string) string {
	return strings.Join(strings.Fields(html.UnescapeString(s)), " ")
}

// pageTitle returns the <title> (else the first <h1>) of an HTML page, or
// "" when body is no page or has neither.
func pageTitle(body []byte) string {
	s := string(body[:min(len(body), 4096)])
	lower := strings.ToLower(s)
	for _, tag := range []string{"title", "h1"} {
		i := strings.Index(lower, "<"+tag)
		if i < 0 {
			continue
		}
		j := strings.IndexByte(lower[i:], '>')
		if j < 0 {
			continue
		}
		start := i + j + 1
		end := strings.Index(lower[start:], "</"+tag)
		if end < 0 {
			continue
		}
		if t := readableText(strings.ToValidUTF8(s[start:start+end], "")); t != "" {
			return clip(t, 100)
		}
	}
	return ""
}

// rawCode renders a code that may be a JSON number or string.
func rawCode(raw json.RawMessage) string {
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return n.String()
	}
	return clip(strconv.Quote(string(raw)), 40)
}
