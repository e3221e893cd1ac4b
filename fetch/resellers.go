package fetch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"
)

// RelationshipIndirectReseller is the relationship_type that lists an
// indirect provider's indirect resellers.
const RelationshipIndirectReseller = "IsIndirectCloudSolutionProviderOf"

// Reseller is one indirect reseller of an indirect provider (a
// PartnerRelationship of GET /v1/relationships).
type Reseller struct {
	ID    string // the reseller's partner tenant id (a GUID), as listed
	Name  string // HTML-unescaped; may hold any character, '/' and ':' included
	MPNID string // Microsoft Partner Network id; a JSON number is read as its digits
	State string // relationship state as the service spells it, e.g. "Active"
}

// ResellerError is a reseller whose customers could not be listed. Its
// customers are not lost: they are still in the partner's customer list;
// only the grouping does not know them.
type ResellerError struct {
	Reseller Reseller
	Err      error
}

// Error implements error.
func (e *ResellerError) Error() string {
	return fmt.Sprintf("reseller %q: %v", e.Reseller.Name, e.Err)
}

// Unwrap returns the listing's error (an *APIError, a *BodyError, …).
func (e *ResellerError) Unwrap() error { return e.Err }

// Assignments say through which indirect resellers each customer is
// reached: the outcome of ResellerAssignments.
type Assignments struct {
	// Resellers are the resellers asked about, in the order given.
	Resellers []Reseller
	// ByCustomer maps a customer id, lower-cased, to the ids of the
	// resellers that listed it, in the order of Resellers, each once. A
	// customer absent from it is reached directly, unless Failed is not
	// empty (it may then belong to a failed reseller).
	ByCustomer map[string][]string
	// Failed are the resellers whose listing failed, in the order of
	// Resellers. Their customers are neither missing nor direct: unknown.
	Failed []ResellerError
	// Requests is the number of HTTP requests the listings took, retries
	// included.
	Requests int64
}

// ResellersOf returns the ids of the resellers through which the customer
// is reached (nil: none known). The id is compared case-insensitively.
func (a *Assignments) ResellersOf(customerID string) []string {
	return a.ByCustomer[strings.ToLower(customerID)]
}

// Complete reports whether every reseller's customers were listed: then a
// customer without a reseller is reached directly.
func (a *Assignments) Complete() bool { return len(a.Failed) == 0 }

// ListResellers returns the partner's indirect resellers
// (GET /v1/relationships?relationship_type=IsIndirectCloudSolutionProviderOf),
// following links.next if the answer has one, with the same retries, rate
// and headers as every other call. A partner that is no indirect provider
// gets an empty list. An answer without an items array, or with an item
// without an id, is an error: the list must not silently lose a reseller.
// A reseller listed twice is kept once.
func (c *Client) ListResellers(ctx context.Context) ([]Reseller, error) {
	var all []Reseller
	seen := map[string]bool{}
	_, err := c.walkPages(ctx, "list resellers", "/v1/relationships?relationship_type="+RelationshipIndirectReseller, nil,
		func(status int, body []byte) (*nextLink, error) {
			items, next, err := parseRelationships(status, body)
			if err != nil {
				return nil, err
			}
			for _, r := range items {
				if key := strings.ToLower(r.ID); !seen[key] {
					seen[key] = true
					all = append(all, r)
				}
			}
			return next, nil
		})
	if err != nil {
		return nil, err
	}
	return all, nil
}

// relationshipsPage is one page of GET /v1/relationships.
type relationshipsPage struct {
	Items []struct {
		ID    string          `json:"id"`
		Name  string          `json:"name"`
		State string          `json:"state"`
		MPNID json.RawMessage `json:"mpnId"`
	} `json:"items"`
	Links struct {
		Next *nextLink `json:"next"`
	} `json:"links"`
}

// parseRelationships parses one relationships page.
func parseRelationships(status int, body []byte) ([]Reseller, *nextLink, error) {
	var p relationshipsPage
	if err := decodeJSON(status, body, &p); err != nil {
		return nil, nil, err
	}
	if p.Items == nil {
		return nil, nil, newBodyError(status, body, errors.New("no items array"), false)
	}
	out := make([]Reseller, 0, len(p.Items))
	for i, it := range p.Items {
		if it.ID == "" {
			return nil, nil, newBodyError(status, body, fmt.Errorf("item %d: reseller without id", i), false)
		}
		out = append(out, Reseller{
			ID:    it.ID,
			Name:  html.UnescapeString(it.Name),
			MPNID: rawCode(it.MPNID),
			State: it.State,
		})
	}
	return out, p.Links.Next, nil
}

// ResellerFilter returns the URL-encoded filter query value that selects
// one indirect reseller's customers:
// {"Field":"IndirectReseller","Value":"<id>","Operator":"starts_with"}.
func ResellerFilter(resellerID string) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	// Encode cannot fail on a struct of strings.
	_ = enc.Encode(struct {
		Field    string `json:"Field"`
		Value    string `json:"Value"`
		Operator string `json:"Operator"`
	}{"IndirectReseller", resellerID, "starts_with"})
	return url.QueryEscape(strings.TrimSuffix(b.String(), "\n"))
}

// ListResellerCustomers returns the customers of one indirect reseller
// (GET /v1/customers?size=N&filter=…, see ResellerFilter), paged exactly like
// ListCustomers. A page without items is an error, never "no customers"; a
// reseller with no customers answers an empty items array.
func (c *Client) ListResellerCustomers(ctx context.Context, resellerID string) ([]Customer, error) {
	return c.listResellerCustomers(ctx, resellerID, nil)
}

// listResellerCustomers is ListResellerCustomers counting its HTTP requests
// in *attempts (when not nil).
func (c *Client) listResellerCustomers(ctx context.Context, resellerID string, attempts *int) ([]Customer, error) {
	if resellerID == "" {
		return nil, errors.New("list customers of reseller: empty reseller id")
	}
	path := "/v1/customers?size=" + strconv.Itoa(c.pageSize) + "&filter=" + ResellerFilter(resellerID)
	return c.listCustomers(ctx, "list customers of reseller "+resellerID, path, attempts)
}

// ResellerAssignments lists the customers of each reseller, at most
// Options.Concurrency resellers at a time through the client's adaptive
// rate, and says which resellers each customer is reached through.
//
// One reseller's failure (after the usual retries) is recorded in
// Assignments.Failed and the others go on: it never fails the call and never
// makes a customer missing. The call fails only when ctx ends or on an auth
// failure no listing can get past (ErrUnauthorized, ErrMFARequired,
// ErrNoToken).
func (c *Client) ResellerAssignments(ctx context.Context, resellers []Reseller) (*Assignments, error) {
	start := time.Now()
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)

	// Each reseller's outcome goes to its own slot, so the result is the
	// same whatever order the listings finish in.
	lists := make([][]Customer, len(resellers))
	errs := make([]error, len(resellers))
	var requests atomic.Int64
	var next atomic.Int64
	var g errgroup.Group
	for range min(c.concurrency, len(resellers)) {
		g.Go(func() error {
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= len(resellers) {
					return nil
				}
				n := 0
				cs, err := c.listResellerCustomers(ctx, resellers[i].ID, &n)
				requests.Add(int64(n))
				if isFatal(err) {
					cancel(err)
					return err
				}
				lists[i], errs[i] = cs, err
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, fmt.Errorf("reseller assignments: %w", err)
	}
	if ctx.Err() != nil {
		return nil, fmt.Errorf("reseller assignments: %w", context.Cause(ctx))
	}

	a := &Assignments{Resellers: slices.Clone(resellers), ByCustomer: map[string][]string{}}
	for i, r := range resellers {
		if errs[i] != nil {
			a.Failed = append(a.Failed, ResellerError{Reseller: r, Err: errs[i]})
			continue
		}
		for _, cu := range lists[i] {
			key := strings.ToLower(cu.ID)
			if ids := a.ByCustomer[key]; !slices.Contains(ids, r.ID) {
				a.ByCustomer[key] = append(ids, r.ID)
			}
		}
	}
	a.Requests = requests.Load()
	c.log.Debug("reseller assignments", "resellers", len(resellers), "failed", len(a.Failed),
		"customers", len(a.ByCustomer), "requests", a.Requests, "duration", time.Since(start).Round(time.Millisecond))
	return a, nil
}
