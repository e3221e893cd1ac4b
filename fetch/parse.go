package fetch

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
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
	truncated := len(bytes.TrimSpace(trimmed)) == 0 ||
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
// link (nil on the last page).
func parseCustomers(status int, body []byte) ([]Customer, *nextLink, error) {
	var p customersPage
	if err := decodeJSON(status, body, &p); err != nil {
		return nil, nil, err
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
			CompanyName:  it.CompanyProfile.CompanyName,
			Domain:       it.CompanyProfile.Domain,
			Relationship: it.RelationshipToPartner,
		})
	}
	return out, p.Links.Next, nil
}

// agreementsBody is the answer of GET /v1/customers/{id}/agreements.
type agreementsBody struct {
	TotalCount int             `json:"totalCount"`
	Items      []agreementItem `json:"items"`
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

// parseAgreements parses an agreements answer, all types, in body order.
func parseAgreements(status int, body []byte) ([]Agreement, error) {
	a, ok := decodeAgreementsFast(bytes.TrimPrefix(body, utf8BOM))
	if !ok {
		a = agreementsBody{}
		if err := decodeJSON(status, body, &a); err != nil {
			return nil, err
		}
	}
	out := make([]Agreement, 0, len(a.Items))
	for i, it := range a.Items {
		d, err := parseDateAgreed(it.DateAgreed)
		if err != nil {
			return nil, newBodyError(status, body, fmt.Errorf("item %d: %w", i, err), false)
		}
		ag := Agreement{
			Type:       it.Type,
			DateAgreed: d,
			TemplateID: it.TemplateID,
			Contact: Contact{
				FirstName: it.PrimaryContact.FirstName,
				LastName:  it.PrimaryContact.LastName,
				Email:     it.PrimaryContact.Email,
				Phone:     it.PrimaryContact.PhoneNumber,
			},
			AgreementLink: it.AgreementLink,
		}
		if it.UserID != nil {
			ag.UserID = *it.UserID
		}
		out = append(out, ag)
	}
	return out, nil
}

// zoneless are the dateAgreed layouts without a zone; they mean UTC.
var zoneless = []string{"2006-01-02T15:04:05.999999999", "2006-01-02"}

// parseDateAgreed accepts RFC 3339 with or without a fraction, and the
// zone-less "2019-08-26T00:00:00" form (UTC). The result is in UTC.
func parseDateAgreed(s string) (time.Time, error) {
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

// errorBody is Partner Center's JSON error answer.
type errorBody struct {
	Code        json.RawMessage `json:"code"`
	Description string          `json:"description"`
	ErrorName   string          `json:"errorName"`
	IsRetryable bool            `json:"isRetryable"`
}

// parseAPIError turns an error answer into an *APIError, or a *BodyError
// when the body is not the JSON it should be. An empty body gives an
// APIError without code.
func parseAPIError(status int, body []byte, requestID string) error {
	e := &APIError{Status: status, RequestID: requestID}
	if len(bytes.TrimSpace(bytes.TrimPrefix(body, utf8BOM))) > 0 {
		var eb errorBody
		if err := decodeJSON(status, body, &eb); err != nil {
			return err
		}
		e.Code = rawCode(eb.Code)
		e.Description = eb.Description
		e.ErrorName = eb.ErrorName
		e.Retryable = eb.IsRetryable
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
