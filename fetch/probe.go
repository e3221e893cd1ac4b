package fetch

import (
	"context"
	"encoding/json"
)

// Probe makes the one Partner Center call "mcawatch check" needs to prove
// that the base URL, the token and the partner's access work:
// GET /v1/customers?size=1, with the client's usual retries. Unlike a
// sweep's listing, a partner with no customers is no error here.
func (c *Client) Probe(ctx context.Context) error {
	return c.get(ctx, call{
		path: "/v1/customers?size=1",
		decode: func(status int, body []byte) error {
			var ans struct {
				Items []json.RawMessage `json:"items"`
			}
			return decodeJSON(status, body, &ans)
		},
	})
}
