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
	return c.listCustomers(ctx, "list customers", "/v1/customers?size="+strconv.Itoa(c.pageSize), nil)
}

// listCustomers walks a customers listing (the whole portfolio, one
// reseller's customers) from its first page at path; what names the
// listing in errors and logs; attempts (when not nil) counts its requests.
func (c *Client) listCustomers(ctx context.Context, what, path string, attempts *int) ([]Customer, error) {
	var all []Customer
	pages, err := c.walkPages(ctx, what, path, attempts, func(status int, body []byte) (*nextLink, error) {
		items, next, err := parseCustomers(status, body)
		if err != nil {
			return nil, err
		}
		all = append(all, items...)
		return next, nil
	})
	if err != nil {
		return nil, err
	}
	c.log.Debug("listed customers", "listing", what, "pages", pages, "customers", len(all))
	return all, nil
}

// walkPages GETs path and every page after it, following links.next with
// its continuation headers (sent back byte for byte), until a page has no
// next link; decode reads one page and returns its next link. It returns
// the number of pages read; attempts (when not nil) counts every HTTP
// request, retries included. A link seen twice is an error, not a loop.
func (c *Client) walkPages(ctx context.Context, what, path string, attempts *int, decode func(status int, body []byte) (*nextLink, error)) (int, error) {
	var header http.Header
	seen := map[string]bool{}
	for page := 1; ; page++ {
		var next *nextLink
		err := c.get(ctx, call{
			path:     path,
			header:   header,
			attempts: attempts,
			decode: func(status int, body []byte) error {
				var err error
				next, err = decode(status, body)
				return err
			},
		})
		if err != nil {
			return page, fmt.Errorf("%s page %d: %w", what, page, err)
		}
		if next == nil {
			return page, nil
		}
		path, header, err = c.followLink(next)
		if err != nil {
			return page, fmt.Errorf("%s page %d: %w", what, page, err)
		}
		key := path + "\x00" + fmt.Sprint(next.Headers)
		if seen[key] {
			return page, fmt.Errorf("%s page %d: the server sent the same continuation twice", what, page)
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
