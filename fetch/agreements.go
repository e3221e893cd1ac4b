package fetch

import (
	"context"
	"errors"
	"fmt"
	"html"
	"net/url"
	"slices"
	"strings"
)

// Agreements returns the customer's acceptance records of the tracked types,
// grouped by type in the order of Options.Types, newest first within a type.
// It always sends agreementType (omitted means MicrosoftCloudAgreement);
// with several tracked types it asks once with "*" and filters.
func (c *Client) Agreements(ctx context.Context, customerID string) ([]Agreement, error) {
	return c.agreements(ctx, customerID, nil)
}

func (c *Client) agreements(ctx context.Context, customerID string, attempts *int) ([]Agreement, error) {
	typ := "*"
	if len(c.types) == 1 {
		typ = c.types[0]
	}
	var all []Agreement
	err := c.get(ctx, call{
		path:     "/v1/customers/" + url.PathEscape(customerID) + "/agreements?agreementType=" + url.QueryEscape(typ),
		attempts: attempts,
		decode: func(status int, body []byte) error {
			var err error
			all, err = parseAgreements(status, body, c.types)
			return err
		},
	})
	if err != nil {
		return nil, fmt.Errorf("fetch agreements %s: %w", customerID, err)
	}
	return c.tracked(all), nil
}

// tracked orders the records (all of tracked types, in their canonical
// spelling) by type then newest first; undated records come last within
// their type.
func (c *Client) tracked(out []Agreement) []Agreement {
	order := func(t string) int { return slices.Index(c.types, t) }
	slices.SortStableFunc(out, func(x, y Agreement) int {
		if ox, oy := order(x.Type), order(y.Type); ox != oy {
			return ox - oy
		}
		return y.DateAgreed.Compare(x.DateAgreed)
	})
	return out
}

// TypeMCloudA is the Microsoft Cloud Agreement's agreement type.
const TypeMCloudA = "MicrosoftCloudAgreement"

// knownTypes are the agreement types in their canonical spelling.
var knownTypes = []string{TypeMCA, TypeMCloudA}

// CanonicalType returns typ in the canonical spelling of the known type it
// names case-insensitively (microsoftCustomerAgreement →
// MicrosoftCustomerAgreement), or typ unchanged when it names none. Types
// are normalised once, here in fetch: every Agreement a Client returns
// carries the spelling of its Options.Types, canonicalised by this.
func CanonicalType(typ string) string {
	t, _ := canonicalType(typ, knownTypes)
	return t
}

// canonicalType returns the entry of types (already canonical) that typ
// names case-insensitively, and whether there is one.
func canonicalType(typ string, types []string) (string, bool) {
	for _, t := range types {
		if strings.EqualFold(t, typ) {
			return t, true
		}
	}
	return typ, false
}

// DirectSigned reports whether the customer accepted the Microsoft Customer
// Agreement directly with Microsoft.
func (c *Client) DirectSigned(ctx context.Context, customerID string) (bool, error) {
	return c.directSigned(ctx, customerID, nil)
}

func (c *Client) directSigned(ctx context.Context, customerID string, attempts *int) (bool, error) {
	var ans struct {
		IsSigned *bool `json:"isSigned"`
	}
	err := c.get(ctx, call{
		path:     "/v1/customers/" + url.PathEscape(customerID) + "/directSignedMicrosoftCustomerAgreementStatus",
		attempts: attempts,
		decode: func(status int, body []byte) error {
			if err := decodeJSON(status, body, &ans); err != nil {
				return err
			}
			if ans.IsSigned == nil {
				return newBodyError(status, body, errors.New("no isSigned field"), false)
			}
			return nil
		},
	})
	if err != nil {
		return false, fmt.Errorf("fetch direct-sign status %s: %w", customerID, err)
	}
	return *ans.IsSigned, nil
}

// RelationshipRequestURL returns the invitation link a partner sends to a
// new customer (GET /v1/customers/relationshiprequests), unescaped.
func (c *Client) RelationshipRequestURL(ctx context.Context) (string, error) {
	var ans struct {
		URL string `json:"url"`
	}
	err := c.get(ctx, call{
		path: "/v1/customers/relationshiprequests",
		decode: func(status int, body []byte) error {
			if err := decodeJSON(status, body, &ans); err != nil {
				return err
			}
			if ans.URL == "" {
				return newBodyError(status, body, errors.New("no url field"), false)
			}
			return nil
		},
	})
	if err != nil {
		return "", fmt.Errorf("fetch relationship request url: %w", err)
	}
	// The service HTML-escapes the link's query (&amp;).
	return html.UnescapeString(ans.URL), nil
}
