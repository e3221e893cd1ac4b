package fetch

import (
	"context"
	"fmt"
	"net/url"
)

// AgreementTemplate is one version of an agreement as the agreement
// metadata call describes it.
type AgreementTemplate struct {
	TemplateID    string
	AgreementType string // canonical spelling (see CanonicalType)
	AgreementLink string // the document to send the customer
	VersionRank   int    // higher is newer; the highest is enforced now
}

// AgreementMetadata returns the templates of agreementType
// (GET /v1/agreements?agreementType=…), with the same retries, rate and
// headers as every other call. The answer is checked like an agreements
// answer: an items array whose length is its totalCount.
func (c *Client) AgreementMetadata(ctx context.Context, agreementType string) ([]AgreementTemplate, error) {
	var out []AgreementTemplate
	err := c.get(ctx, call{
		path: "/v1/agreements?agreementType=" + url.QueryEscape(agreementType),
		decode: func(status int, body []byte) error {
			var ans struct {
				TotalCount *int `json:"totalCount"`
				Items      []struct {
					TemplateID    string `json:"templateId"`
					AgreementType string `json:"agreementType"`
					AgreementLink string `json:"agreementLink"`
					VersionRank   int    `json:"versionRank"`
				} `json:"items"`
			}
			if err := decodeJSON(status, body, &ans); err != nil {
				return err
			}
			if err := checkCount(ans.TotalCount, ans.Items == nil, len(ans.Items)); err != nil {
				return newBodyError(status, body, err, false)
			}
			out = make([]AgreementTemplate, 0, len(ans.Items))
			for i, it := range ans.Items {
				if it.TemplateID == "" {
					return newBodyError(status, body, fmt.Errorf("item %d: no templateId", i), false)
				}
				out = append(out, AgreementTemplate{
					TemplateID:    it.TemplateID,
					AgreementType: CanonicalType(it.AgreementType),
					AgreementLink: it.AgreementLink,
					VersionRank:   it.VersionRank,
				})
			}
			return nil
		},
	})
	if err != nil {
		return nil, fmt.Errorf("fetch agreement metadata %s: %w", agreementType, err)
	}
	return out, nil
}

// CurrentTemplate returns the template with the highest VersionRank (the
// version enforced now; the first of equals), and false when there is none.
func CurrentTemplate(templates []AgreementTemplate) (AgreementTemplate, bool) {
	if len(templates) == 0 {
		return AgreementTemplate{}, false
	}
	best := templates[0]
	for _, t := range templates[1:] {
		if t.VersionRank > best.VersionRank {
			best = t
		}
	}
	return best, true
}
