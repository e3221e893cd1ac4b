package pctest

import (
	"encoding/json"
	"time"
)

// Wire shapes of the Partner Center answers, spelled as the service spells them.
type (
	attributesJSON struct {
		ObjectType string `json:"objectType"`
	}
	companyProfileJSON struct {
		TenantID    string `json:"tenantId"`
		Domain      string `json:"domain"`
		CompanyName string `json:"companyName"`
	}
	customerJSON struct {
		ID                    string             `json:"id"`
		CompanyProfile        companyProfileJSON `json:"companyProfile"`
		RelationshipToPartner string             `json:"relationshipToPartner"`
		Attributes            attributesJSON     `json:"attributes"`
	}
	headerJSON struct {
		Key   string `json:"key"`
		Value string `json:"value"`
	}
	linkJSON struct {
		URI     string       `json:"uri"`
		Method  string       `json:"method"`
		Headers []headerJSON `json:"headers"`
	}
	linksJSON struct {
		Self *linkJSON `json:"self,omitempty"`
		Next *linkJSON `json:"next,omitempty"`
	}
	customerPageJSON struct {
		TotalCount int            `json:"totalCount"`
		Items      []customerJSON `json:"items"`
		Links      linksJSON      `json:"links"`
		Attributes attributesJSON `json:"attributes"`
	}
	contactJSON struct {
		FirstName   string `json:"firstName"`
		LastName    string `json:"lastName"`
		Email       string `json:"email"`
		PhoneNumber string `json:"phoneNumber,omitempty"`
	}
	agreementJSON struct {
		PrimaryContact contactJSON `json:"primaryContact"`
		TemplateID     string      `json:"templateId"`
		DateAgreed     string      `json:"dateAgreed,omitempty"`
		Type           string      `json:"type"`
		AgreementLink  string      `json:"agreementLink"`
		UserID         *string     `json:"userId"`
	}
	agreementsJSON struct {
		TotalCount int             `json:"totalCount"`
		Items      []agreementJSON `json:"items"`
		Attributes attributesJSON  `json:"attributes"`
	}
	directSignJSON struct {
		IsSigned   bool           `json:"isSigned"`
		Attributes attributesJSON `json:"attributes"`
	}
	relationshipRequestJSON struct {
		URL        string         `json:"url"`
		Attributes attributesJSON `json:"attributes"`
	}
	errorJSON struct {
		Code        string `json:"code"`
		Description string `json:"description"`
		ErrorName   string `json:"errorName,omitempty"`
		IsRetryable *bool  `json:"isRetryable,omitempty"`
	}
)

// FormatDateAgreed renders a's dateAgreed the way the service does:
// "2019-08-26T00:00:00" when ZoneLess, else "2018-06-14T00:00:00.000Z"; a
// record without a date gives "0001-01-01T00:00:00" when MinDate is set,
// else "" (the field is left out).
func FormatDateAgreed(a Agreement) string {
	if a.DateAgreed.IsZero() {
		if a.MinDate {
			return "0001-01-01T00:00:00"
		}
		return ""
	}
	t := a.DateAgreed.UTC()
	if a.ZoneLess {
		return t.Format("2006-01-02T15:04:05")
	}
	return t.Format("2006-01-02T15:04:05.000Z")
}

// customerWire converts c to its JSON shape.
func customerWire(c *Customer) customerJSON {
	return customerJSON{
		ID:                    c.ID,
		CompanyProfile:        companyProfileJSON{TenantID: c.ID, Domain: c.Domain, CompanyName: c.CompanyName},
		RelationshipToPartner: c.Relationship,
		Attributes:            attributesJSON{ObjectType: "Customer"},
	}
}

// agreementsBody renders the agreements collection answer for records.
func agreementsBody(records []Agreement) []byte {
	body := agreementsJSON{
		TotalCount: len(records),
		Items:      make([]agreementJSON, len(records)),
		Attributes: attributesJSON{ObjectType: "Collection"},
	}
	for i, a := range records {
		item := agreementJSON{
			PrimaryContact: contactJSON{FirstName: a.FirstName, LastName: a.LastName, Email: a.Email, PhoneNumber: a.Phone},
			TemplateID:     a.TemplateID,
			DateAgreed:     FormatDateAgreed(a),
			Type:           a.Type,
			AgreementLink:  a.AgreementLink,
		}
		if a.UserID != "" {
			item.UserID = &a.UserID
		}
		body.Items[i] = item
	}
	// Marshal cannot fail on strings and a *string.
	b, _ := json.Marshal(body)
	return b
}

// errorBody renders a Partner Center error; retryable nil leaves out the
// newer errorName/isRetryable fields.
func errorBody(code, description, errorName string, retryable *bool) []byte {
	// Marshal cannot fail on a struct of strings and a *bool.
	b, _ := json.Marshal(errorJSON{Code: code, Description: description, ErrorName: errorName, IsRetryable: retryable})
	return b
}

// ptr returns a pointer to v.
func ptr[T any](v T) *T { return &v }

// dayStart truncates t to midnight UTC.
func dayStart(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}
