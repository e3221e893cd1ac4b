package fetch

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// ListCustomers returns every customer of the partner, following the
// continuation links page by page. A link seen twice is an error, not a loop.
func (c *Client) ListCustomers(ctx context.Context) ([]Customer, error) {
	var all []Customer
	path := "/v1/customers?size=" + strconv.Itoa(c.pageSize)
	var header http.Header
	seen := map[string]bool{}
	for page := 1; ; page++ {
		var items []Customer
		var next *nextLink
		err := c.get(ctx, call{
			path:   path,
			header: header,
			decode: func(status int, body []byte) error {
				var err error
				items, next, err = parseCustomers(status, body)
				return err
			},
		})
		if err != nil {
			return nil, fmt.Errorf("list customers page %d: %w", page, err)
		}
		all = append(all, items...)
		if next == nil {
			c.log.Debug("listed customers", "pages", page, "customers", len(all))
			return all, nil
		}
		path, header, err = c.followLink(next)
		if err != nil {
			return nil, fmt.Errorf("list customers page %d: %w", page, err)
		}
		key := path + "\x00" + fmt.Sprint(next.Headers)
		if seen[key] {
			return nil, fmt.Errorf("list customers page %d: the server sent the same continuation twice", page)
		}
		seen[key] = true
	}
}

// followLink turns links.next into a path below the base URL and the
// headers to send. Link URIs are relative to the /v1 root; an absolute URI
// must point at the base URL, so the bearer token never leaves it.
func (c *Client) followLink(next *nextLink) (string, http.Header, error) {
	if next.Method != "" && !strings.EqualFold(next.Method, http.MethodGet) {
		return "", nil, fmt.Errorf("next link method %q is not GET", next.Method)
	}
	uri := next.URI
	if uri == "" {
		return "", nil, errors.New("next link without uri")
	}
	var path string
	if strings.HasPrefix(uri, "/") && !strings.HasPrefix(uri, "//") {
		path = "/v1" + uri
	} else {
		u, err := url.Parse(uri)
		if err != nil {
			return "", nil, fmt.Errorf("next link: %w", err)
		}
		if !strings.HasPrefix(u.String(), c.base+"/") {
			return "", nil, errors.New("next link points outside the base url")
		}
		path = strings.TrimPrefix(u.String(), c.base)
	}
	header := http.Header{}
	for _, h := range next.Headers {
		if h.Key == "" {
			continue
		}
		header[http.CanonicalHeaderKey(h.Key)] = []string{h.Value}
	}
	return path, header, nil
}
