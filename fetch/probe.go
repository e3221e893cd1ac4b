package fetch

import (
	"context"
	"encoding/json"
)

// Probe makes the one Partner Center call "mcawatch check" needs to prove
// that the base URL, the token and the partner's access work:
// GET /v1/customers?size=1, with the client's usual retries. It returns the
// totalCount the answer gives (-1 when it gives none). Unlike a sweep's
// listing, a partner with no customers is no error here.
func (c *Client) Probe(ctx context.Context) (totalCount int, err error) {
	totalCount = -1
	err = c.get(ctx, call{
		path: "/v1/customers?size=1",
		decode: func(status int, body []byte) error {
			var ans struct {
				TotalCount *int              `json:"totalCount"`
				Items      []json.RawMessage `json:"items"`
			}
			if err := decodeJSON(status, body, &ans); err != nil {
				return err
			}
			if ans.TotalCount != nil {
				totalCount = *ans.TotalCount
			}
			return nil
		},
	})
	return totalCount, err
}
