package pctest

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// continuationHeader is the header carrying the page token on "Next" requests.
const continuationHeader = "MS-ContinuationToken"

// continuationToken returns the token for the page starting at offset. Like
// the service's tokens it holds '+', '/', ',' and '=', so a client that
// re-encodes or trims it is caught.
func (s *Server) continuationToken(offset int) string {
	inner := base64.StdEncoding.EncodeToString([]byte(fmt.Sprintf("o%d|s%d", offset, s.opts.Seed)))
	return "+RID:~" + inner + ",#RT:1#TRC:" + strconv.Itoa(offset) + "#ISV:2#FPC:AgEAAAAMAB/AAAA="
}

// parseContinuationToken returns the offset of a token this server issued;
// any byte changed makes it invalid.
func (s *Server) parseContinuationToken(tok string) (int, bool) {
	rest, ok := strings.CutPrefix(tok, "+RID:~")
	if !ok {
		return 0, false
	}
	inner, _, ok := strings.Cut(rest, ",")
	if !ok {
		return 0, false
	}
	raw, err := base64.StdEncoding.DecodeString(inner)
	if err != nil {
		return 0, false
	}
	var off int
	var seed int64
	if _, err := fmt.Sscanf(string(raw), "o%d|s%d", &off, &seed); err != nil || off < 0 {
		return 0, false
	}
	return off, s.continuationToken(off) == tok
}

// handleCustomers serves GET /v1/customers?size=N and its "Next" pages; with
// a filter, handleFilteredCustomers answers instead.
// totalCount is the number of items on the page, as the service answers.
func (s *Server) handleCustomers(w http.ResponseWriter, r *http.Request, c *call) {
	if raw, ok, err := filterParam(r.URL.RawQuery); ok {
		if err != nil {
			writeBody(w, http.StatusBadRequest, errorBody("400", "The filter is invalid: it is not URL-encoded.", "InvalidFilter", ptr(false)))
			return
		}
		s.handleFilteredCustomers(w, r, c, raw)
		return
	}
	q := r.URL.Query()
	size := s.opts.PageSize
	if n, err := strconv.Atoi(q.Get("size")); err == nil && n > 0 {
		size = min(n, s.opts.PageSize)
	}
	offset := 0
	if q.Get("seekOperation") == "Next" {
		tok := r.Header.Get(continuationHeader)
		off, ok := s.parseContinuationToken(tok)
		if !ok {
			c.problems = append(c.problems, "continuation token missing or not sent byte for byte: "+strconv.Quote(tok))
			writeBody(w, http.StatusBadRequest, errorBody("400", "The continuation token is invalid or missing.", "InvalidContinuationToken", ptr(false)))
			return
		}
		offset = off
	}

	page := customerPageJSON{Attributes: attributesJSON{ObjectType: "Collection"}, Items: []customerJSON{}}
	s.mu.RLock()
	end := min(offset+size, len(s.order))
	for _, id := range s.order[min(offset, end):end] {
		page.Items = append(page.Items, customerWire(s.byID[id]))
	}
	more := end < len(s.order)
	s.mu.RUnlock()
	page.TotalCount = len(page.Items)
	page.Links.Self = &linkJSON{URI: "/customers?size=" + strconv.Itoa(size), Method: "GET", Headers: []headerJSON{}}
	if more {
		page.Links.Next = &linkJSON{
			URI:     "/customers?size=" + strconv.Itoa(size) + "&seekOperation=Next",
			Method:  "GET",
			Headers: []headerJSON{{Key: continuationHeader, Value: s.continuationToken(end)}},
		}
	}
	writeJSON(w, http.StatusOK, page)
}

// RelationshipURL returns the partner's invitation link as a person must
// see it: the answer of GET /v1/customers/relationshiprequests with its
// HTML escaping undone.
func (s *Server) RelationshipURL() string {
	return "https://admin.microsoft.com/Adminportal/Home?invType=ResellerRelationship&partnerId=" + s.partnerID + "&msppId=0#/partners/invitation"
}

// handleRelationshipRequest serves GET /v1/customers/relationshiprequests.
// Like the service in a recorded session
// (testdata/recorded/relationship_request_session.json), the URL's '&' are
// HTML-escaped as "&amp;".
func (s *Server) handleRelationshipRequest(w http.ResponseWriter, _ *http.Request, _ *call) {
	writeJSON(w, http.StatusOK, relationshipRequestJSON{
		URL:        strings.ReplaceAll(s.RelationshipURL(), "&", "&amp;"),
		Attributes: attributesJSON{ObjectType: "RelationshipRequest"},
	})
}
