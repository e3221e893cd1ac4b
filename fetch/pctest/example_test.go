package pctest_test

import (
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/mcawatch/mcawatch/fetch/pctest"
)

// A client lists the customers page by page, sending back each page's
// continuation token unchanged.
func ExampleNew() {
	s := pctest.New(pctest.Options{Customers: 25, PageSize: 10})
	defer s.Close()

	path, token, total := "/v1/customers?size=10", "", 0
	for path != "" {
		req, _ := http.NewRequest(http.MethodGet, s.URL()+path, nil)
		req.Header.Set("Authorization", "Bearer "+pctest.DefaultToken)
		req.Header.Set("Accept", "application/json")
		req.Header.Set("MS-RequestId", "94e4e214-6b06-4fb7-96d1-94d559f9b47f")
		req.Header.Set("MS-CorrelationId", "02971f0f-1029-47b2-9fdb-1932f0987470")
		req.Header.Set("X-Locale", "en-US")
		req.Header.Set("MS-PartnerCenter-Application", "mcawatch/example")
		if token != "" {
			req.Header.Set("MS-ContinuationToken", token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			fmt.Println(err)
			return
		}
		var page struct {
			Items []struct{ ID string }
			Links struct {
				Next *struct {
					URI     string
					Headers []struct{ Key, Value string }
				}
			}
		}
		err = json.NewDecoder(resp.Body).Decode(&page)
		resp.Body.Close()
		if err != nil {
			fmt.Println(err)
			return
		}
		total += len(page.Items)
		path, token = "", ""
		if next := page.Links.Next; next != nil {
			path, token = "/v1"+next.URI, next.Headers[0].Value
		}
	}
	st := s.Stats()
	fmt.Println(total, "customers in", st.CustomerPages, "pages,", st.Violations, "violations")
	// Output: 25 customers in 3 pages, 0 violations
}
