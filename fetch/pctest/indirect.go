package pctest

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
)

// RelationshipType values of GET /v1/relationships?relationship_type=….
const (
	RelationshipIndirectProviderOf = "IsIndirectCloudSolutionProviderOf" // an indirect provider's resellers
	RelationshipIndirectResellerOf = "IsIndirectResellerOf"              // an indirect reseller's providers
)

// Reseller is one indirect reseller of the partner when the server plays an
// indirect provider (Options.Resellers > 0).
type Reseller struct {
	ID       string // partner tenant id: lower-case GUID, deterministic
	Name     string // may hold characters unsafe in file names (see SpecialResellerNames)
	MPNID    string // seven digits
	State    string // "Active"
	Location string // two-letter country code
}

// specialResellerNames are reseller names a file or folder cannot be named
// after as they stand: separators, characters Windows refuses, reserved
// device names, dots, white space at the ends, non-ASCII text and a name
// longer than 255 bytes.
var specialResellerNames = []string{
	`Contoso/IT Services`,
	`Fabrikam: Cloud & Co`,
	`Tailspin <Toys> AB`,
	`Litware\Nordic`,
	`"Quoted" Partners, Inc.`,
	`Pipe|Line Oy`,
	`What? Cloud*`,
	`CON`,
	`..`,
	` Trailing Dot Partners. `,
	`日本パートナー株式会社`,
	`Ström & Bölja IT AB`,
	strings.Repeat("Åkerlund Långnamn Distribution ", 9) + "AB",
}

// SpecialResellerNames returns the reseller names that are unsafe in file
// names; a server with at least as many resellers has every one of them.
func SpecialResellerNames() []string {
	return slices.Clone(specialResellerNames)
}

var (
	resellerPrefixes  = []string{"Adatum", "Northwind", "Proseware", "Relecloud", "First Up", "Woodgrove", "Coho", "Lamna", "Trey", "Alpine Ski", "Bölja", "Humongous"}
	resellerSuffixes  = []string{"IT", "Consultants", "Cloud Services", "Data AB", "Systems Oy", "Solutions GmbH", "Networks Ltd", "Partners", "Tech A/S"}
	resellerLocations = []string{"US", "SE", "DE", "FI", "NO", "DK", "GB", "BR", "JP"}
)

// Shares of an indirect provider's portfolio, in percent (see doc.go).
const (
	directPct    = 10 // customers reached directly, through no reseller
	twoWayPct    = 4  // customers reached through two resellers
	maxFilterLen = 512
)

// IndirectFaults configure the misbehaviour of the indirect-provider
// endpoints. The zero value is well-behaved.
type IndirectFaults struct {
	// Relationships: every GET /v1/relationships answers with this fault.
	Relationships Fault
	// Resellers: every customers page filtered to this reseller (by id,
	// any case) answers with this fault, every time. FaultMalformed answers
	// a page with a comma after its last item, as the documentation's
	// example of this call shows (testdata/recorded/customers_indirect_reseller_docs.json).
	Resellers map[string]Fault
}

// indirectState is the server's indirect-provider side: its resellers and
// which customers each reaches. Guarded by Server.mu, except faults.
type indirectState struct {
	resellers  []Reseller
	index      map[string]int // reseller id → position in resellers
	byReseller [][]string     // customer ids reached through each reseller, in listing order
	of         map[string][]int
	faults     atomic.Pointer[IndirectFaults]
}

// generate makes n resellers and spreads customers (ids in listing order)
// across them; see doc.go. It draws from its own random streams, so the
// customers are the same with or without resellers.
func (st *indirectState) generate(seed int64, n int, customers []string) {
	st.index, st.of = map[string]int{}, map[string][]int{}
	if n <= 0 {
		return
	}
	r := newRand(seed, 11)
	special := map[int]string{}
	for k, name := range specialResellerNames {
		if n >= len(specialResellerNames) {
			special[k*n/len(specialResellerNames)] = name
		} else if 2*k+1 < n {
			special[2*k+1] = name
		}
	}
	for i := range n {
		name := special[i]
		if name == "" {
			name = resellerPrefixes[r.IntN(len(resellerPrefixes))] + " " + resellerSuffixes[r.IntN(len(resellerSuffixes))]
		}
		rs := Reseller{
			ID:       newGUID(r),
			Name:     name,
			MPNID:    strconv.Itoa(1_000_000 + r.IntN(9_000_000)),
			State:    "Active",
			Location: resellerLocations[r.IntN(len(resellerLocations))],
		}
		st.index[rs.ID] = i
		st.resellers = append(st.resellers, rs)
	}
	st.byReseller = make([][]string, n)

	// The last reseller of three or more has no customers: a listing can
	// be empty. The others are drawn skewed, u² over the range, so that a
	// few resellers are large (the first one reaches about 1/√n of the
	// customers) and most are small, as in a distributor's channel.
	pickable := n
	if n >= 3 {
		pickable = n - 1
	}
	a := newRand(seed, 12)
	pick := func() int { u := a.Float64(); return min(int(float64(pickable)*u*u), pickable-1) }
	m := len(customers)
	perm := a.Perm(m)
	direct, twoWay := share(m, directPct), 0
	if pickable >= 2 {
		twoWay = share(m, twoWayPct)
	}
	kind := make([]int, m) // 0 direct, 1 one reseller, 2 two resellers
	for k, i := range perm {
		switch {
		case k < direct:
		case k < direct+twoWay:
			kind[i] = 2
		default:
			kind[i] = 1
		}
	}
	for i, id := range customers {
		var rs []int
		switch kind[i] {
		case 1:
			rs = []int{pick()}
		case 2:
			first, second := pick(), pick()
			for second == first {
				second = pick()
			}
			rs = []int{min(first, second), max(first, second)}
		}
		if rs == nil {
			continue
		}
		st.of[id] = rs
		for _, x := range rs {
			st.byReseller[x] = append(st.byReseller[x], id)
		}
	}
}

// Resellers returns the partner's indirect resellers in listing order
// (none unless Options.Resellers > 0).
func (s *Server) Resellers() []Reseller {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return slices.Clone(s.indirect.resellers)
}

// ResellersOf returns the ids of the resellers through which the customer
// is reached, in the order of Resellers; nil for a customer reached
// directly (or unknown).
func (s *Server) ResellersOf(customerID string) []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []string
	for _, i := range s.indirect.of[lowerASCII(customerID)] {
		out = append(out, s.indirect.resellers[i].ID)
	}
	return out
}

// ResellerCustomers returns the ids of the customers reached through the
// reseller, in the order its customers listing gives them.
func (s *Server) ResellerCustomers(resellerID string) []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	i, ok := s.indirect.index[lowerASCII(resellerID)]
	if !ok {
		return nil
	}
	return s.present(s.indirect.byReseller[i])
}

// present returns the ids of ids still in the portfolio. Callers hold s.mu.
func (s *Server) present(ids []string) []string {
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if _, ok := s.byID[id]; ok {
			out = append(out, id)
		}
	}
	return out
}

// ErrUnknownReseller is returned by SetResellersOf naming a reseller the
// server does not have.
var ErrUnknownReseller = errors.New("unknown reseller")

// SetResellersOf moves a customer: from now on it is reached through
// exactly the given resellers (none: directly), and it is listed last in
// each of their customers listings. Customers move between resellers from
// one night to the next; this is how a test makes one move.
func (s *Server) SetResellersOf(customerID string, resellerIDs ...string) error {
	id := lowerASCII(customerID)
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.byID[id]; !ok {
		return fmt.Errorf("customer %s: %w", id, ErrUnknownCustomer)
	}
	st := &s.indirect
	var next []int
	for _, rid := range resellerIDs {
		i, ok := st.index[lowerASCII(rid)]
		if !ok {
			return fmt.Errorf("reseller %s: %w", rid, ErrUnknownReseller)
		}
		if !slices.Contains(next, i) {
			next = append(next, i)
		}
	}
	slices.Sort(next)
	for _, i := range st.of[id] {
		st.byReseller[i] = slices.DeleteFunc(slices.Clone(st.byReseller[i]), func(v string) bool { return v == id })
	}
	for _, i := range next {
		st.byReseller[i] = append(slices.Clone(st.byReseller[i]), id)
	}
	if next == nil {
		delete(st.of, id)
	} else {
		st.of[id] = next
	}
	return nil
}

// SetIndirectFaults replaces the faults of the indirect-provider endpoints;
// safe while serving.
func (s *Server) SetIndirectFaults(f IndirectFaults) {
	f.Resellers = lowerKeys(f.Resellers)
	s.indirect.faults.Store(&f)
}

// indirectFaults returns the faults in force.
func (s *Server) indirectFaults() IndirectFaults {
	if f := s.indirect.faults.Load(); f != nil {
		return *f
	}
	return IndirectFaults{}
}

// relationshipJSON is one PartnerRelationship on the wire.
type relationshipJSON struct {
	ID               string         `json:"id"`
	Name             string         `json:"name"`
	RelationshipType string         `json:"relationshipType"`
	State            string         `json:"state"`
	MPNID            string         `json:"mpnId"`
	Location         string         `json:"location"`
	Attributes       attributesJSON `json:"attributes"`
}

// relationshipsJSON is the relationships collection answer.
type relationshipsJSON struct {
	TotalCount int                `json:"totalCount"`
	Items      []relationshipJSON `json:"items"`
	Attributes attributesJSON     `json:"attributes"`
}

// handleRelationships serves GET /v1/relationships?relationship_type=T.
// Like the documentation's example, the whole list comes in one answer (the
// SDKs type it as a plain collection, without continuation), and
// relationshipType is spelled is_indirect_cloud_solution_provider_of. T is
// matched case-insensitively; a partner is no indirect reseller here, so
// IsIndirectResellerOf lists nothing; a missing or other T gets 400.
func (s *Server) handleRelationships(w http.ResponseWriter, r *http.Request, c *call) {
	if f := s.indirectFaults().Relationships; f != "" {
		s.answerFault(w, r, c, f, nil)
		return
	}
	typ := queryValue(r.URL.RawQuery, "relationship_type")
	ans := relationshipsJSON{Items: []relationshipJSON{}, Attributes: attributesJSON{ObjectType: "Collection"}}
	switch {
	case strings.EqualFold(typ, RelationshipIndirectProviderOf):
		s.mu.RLock()
		for _, rs := range s.indirect.resellers {
			ans.Items = append(ans.Items, relationshipJSON{
				ID: rs.ID, Name: rs.Name, RelationshipType: "is_indirect_cloud_solution_provider_of",
				State: rs.State, MPNID: rs.MPNID, Location: rs.Location,
				Attributes: attributesJSON{ObjectType: "PartnerRelationship"},
			})
		}
		s.mu.RUnlock()
	case strings.EqualFold(typ, RelationshipIndirectResellerOf):
	default:
		writeBody(w, http.StatusBadRequest, errorBody("400", "Invalid relationship type: "+strconv.Quote(typ), "InvalidRelationshipType", ptr(false)))
		return
	}
	ans.TotalCount = len(ans.Items)
	writeJSON(w, http.StatusOK, ans)
}

// CustomerFilter is the filter of GET /v1/customers?filter=…, as the
// service reads it from the URL-decoded query value: a JSON object whose
// keys are matched case-insensitively (other keys are ignored).
type CustomerFilter struct {
	Field    string // CompanyName, Domain or IndirectReseller, as spelled here
	Value    string // a prefix, matched case-insensitively
	Operator string // "starts_with", the only operator of the customers listing
}

// Filter fields ParseCustomerFilter accepts.
const (
	FieldCompanyName      = "CompanyName"
	FieldDomain           = "Domain"
	FieldIndirectReseller = "IndirectReseller"
)

// ErrBadFilter is wrapped by every ParseCustomerFilter error; the server
// answers it 400.
var ErrBadFilter = errors.New("invalid filter")

// ParseCustomerFilter reads a customers filter, the query value after URL
// decoding. It must be one JSON object with string Field, Value and
// Operator (keys in any case); Field one of CompanyName, Domain and
// IndirectReseller (any case; returned as spelled by the constants),
// Operator "starts_with" (any case), and Value not empty and at most 512
// bytes. IndirectCloudSolutionProvider, valid for an indirect reseller, is
// refused: this server plays the provider.
func ParseCustomerFilter(raw string) (CustomerFilter, error) {
	var f struct {
		Field, Value, Operator *string
	}
	dec := json.NewDecoder(strings.NewReader(raw))
	if t := strings.TrimSpace(raw); !strings.HasPrefix(t, "{") {
		return CustomerFilter{}, fmt.Errorf("%w: not a JSON object", ErrBadFilter)
	}
	if err := dec.Decode(&f); err != nil {
		return CustomerFilter{}, fmt.Errorf("%w: %v", ErrBadFilter, err)
	}
	if _, err := dec.Token(); err == nil {
		return CustomerFilter{}, fmt.Errorf("%w: text after the JSON object", ErrBadFilter)
	}
	if f.Field == nil || f.Value == nil || f.Operator == nil {
		return CustomerFilter{}, fmt.Errorf("%w: Field, Value and Operator are required", ErrBadFilter)
	}
	out := CustomerFilter{Value: *f.Value, Operator: "starts_with"}
	for _, name := range []string{FieldCompanyName, FieldDomain, FieldIndirectReseller} {
		if strings.EqualFold(*f.Field, name) {
			out.Field = name
		}
	}
	switch {
	case out.Field == "":
		return CustomerFilter{}, fmt.Errorf("%w: field %q cannot filter customers", ErrBadFilter, *f.Field)
	case !strings.EqualFold(*f.Operator, "starts_with"):
		return CustomerFilter{}, fmt.Errorf("%w: operator %q is not supported (only starts_with)", ErrBadFilter, *f.Operator)
	case out.Value == "":
		return CustomerFilter{}, fmt.Errorf("%w: empty value", ErrBadFilter)
	case len(out.Value) > maxFilterLen:
		return CustomerFilter{}, fmt.Errorf("%w: value longer than %d bytes", ErrBadFilter, maxFilterLen)
	}
	return out, nil
}

// key identifies the filter in its continuation tokens.
func (f CustomerFilter) key() uint64 {
	h := fnv.New64a()
	h.Write([]byte(f.Field + "\x00" + strings.ToLower(f.Value)))
	return h.Sum64()
}

// filterParam returns the filter query value of raw, whether there is one,
// and an error when its escaping is broken (url.Values would drop it and
// list every customer).
func filterParam(raw string) (string, bool, error) {
	for raw != "" {
		var pair string
		pair, raw, _ = strings.Cut(raw, "&")
		k, v, _ := strings.Cut(pair, "=")
		if k, err := url.QueryUnescape(k); err != nil || k != "filter" {
			continue
		}
		v, err := url.QueryUnescape(v)
		return v, true, err
	}
	return "", false, nil
}

// filterToken is the continuation token of the filtered listing at offset:
// in the form of the full listing's tokens, and tied to the filter.
func (s *Server) filterToken(offset int, key uint64) string {
	inner := base64.StdEncoding.EncodeToString(fmt.Appendf(nil, "o%d|s%d|f%016x", offset, s.opts.Seed, key))
	return "+RID:~" + inner + ",#RT:2#TRC:" + strconv.Itoa(offset) + "#ISV:2#FPC:AgEAAAAMAB/AAAA="
}

// parseFilterToken returns the offset of a token issued for the filter.
func (s *Server) parseFilterToken(tok string, key uint64) (int, bool) {
	rest, ok := strings.CutPrefix(tok, "+RID:~")
	if !ok {
		return 0, false
	}
	inner, _, _ := strings.Cut(rest, ",")
	raw, err := base64.StdEncoding.DecodeString(inner)
	if err != nil {
		return 0, false
	}
	var off int
	var seed int64
	var k uint64
	if _, err := fmt.Sscanf(string(raw), "o%d|s%d|f%016x", &off, &seed, &k); err != nil || off < 0 {
		return 0, false
	}
	return off, s.filterToken(off, key) == tok
}

// handleFilteredCustomers serves GET /v1/customers?size=N&filter=F and its
// "Next" pages: the customers F selects, paged like the full listing
// (size capped by Options.PageSize, links.next relative to /v1 carrying the
// filter, a continuation token valid only with the same filter). A filter
// that cannot be read gets 400, never the full list.
func (s *Server) handleFilteredCustomers(w http.ResponseWriter, r *http.Request, c *call, rawFilter string) {
	f, err := ParseCustomerFilter(rawFilter)
	if err != nil {
		writeBody(w, http.StatusBadRequest, errorBody("400", "The filter is invalid: "+err.Error(), "InvalidFilter", ptr(false)))
		return
	}
	q := r.URL.Query()
	size := s.opts.PageSize
	if n, err := strconv.Atoi(q.Get("size")); err == nil && n > 0 {
		size = min(n, s.opts.PageSize)
	}
	key := f.key()
	offset := 0
	if q.Get("seekOperation") == "Next" {
		tok := r.Header.Get(continuationHeader)
		off, ok := s.parseFilterToken(tok, key)
		if !ok {
			c.problems = append(c.problems, "continuation token missing, not sent byte for byte or of another filter: "+strconv.Quote(tok))
			writeBody(w, http.StatusBadRequest, errorBody("400", "The continuation token is invalid or missing.", "InvalidContinuationToken", ptr(false)))
			return
		}
		offset = off
	}

	s.mu.RLock()
	ids, fault := s.filtered(f)
	page := customerPageJSON{Attributes: attributesJSON{ObjectType: "Collection"}, Items: []customerJSON{}}
	end := min(offset+size, len(ids))
	for _, id := range ids[min(offset, end):end] {
		if cu, ok := s.byID[id]; ok {
			page.Items = append(page.Items, customerWire(cu))
		}
	}
	s.mu.RUnlock()
	if fault != "" {
		s.answerResellerFault(w, r, c, fault, page)
		return
	}
	page.TotalCount = len(page.Items)
	escaped := url.QueryEscape(rawFilter)
	page.Links.Self = &linkJSON{URI: "/customers?size=" + strconv.Itoa(size) + "&filter=" + escaped, Method: "GET", Headers: []headerJSON{}}
	if end < len(ids) {
		page.Links.Next = &linkJSON{
			URI:     "/customers?size=" + strconv.Itoa(size) + "&filter=" + escaped + "&seekOperation=Next",
			Method:  "GET",
			Headers: []headerJSON{{Key: continuationHeader, Value: s.filterToken(end, key)}},
		}
	}
	writeJSON(w, http.StatusOK, page)
}

// filtered returns the ids f selects, in the order its listing gives them,
// and the fault forced on a reseller it selects ("" for none). Customers
// that left are still in the list (skipped when rendered), so that offsets
// stay put. Callers hold s.mu.
func (s *Server) filtered(f CustomerFilter) ([]string, Fault) {
	prefix := strings.ToLower(f.Value)
	matches := func(v string) bool { return strings.HasPrefix(strings.ToLower(v), prefix) }
	switch f.Field {
	case FieldIndirectReseller:
		faults := s.indirectFaults().Resellers
		var fault Fault
		var hit []int
		if i, ok := s.indirect.index[prefix]; ok && isGUID(prefix) {
			// A whole GUID starts no other GUID: the common case needs no scan.
			hit = []int{i}
		} else {
			for i, rs := range s.indirect.resellers {
				// Reseller ids are lower-case GUIDs already.
				if strings.HasPrefix(rs.ID, prefix) {
					hit = append(hit, i)
				}
			}
		}
		for _, i := range hit {
			if ff := faults[s.indirect.resellers[i].ID]; ff != "" && fault == "" {
				fault = ff
			}
		}
		if len(hit) == 1 {
			return s.indirect.byReseller[hit[0]], fault
		}
		seen := map[string]bool{}
		var out []string
		for _, i := range hit {
			for _, id := range s.indirect.byReseller[i] {
				if !seen[id] {
					seen[id] = true
					out = append(out, id)
				}
			}
		}
		return out, fault
	default:
		var out []string
		for _, id := range s.order {
			cu := s.byID[id]
			if f.Field == FieldCompanyName && matches(cu.CompanyName) || f.Field == FieldDomain && matches(cu.Domain) {
				out = append(out, id)
			}
		}
		return out, ""
	}
}

// answerResellerFault answers a reseller's customers page with fault f;
// FaultMalformed gives page with a comma after its last item, as in the
// documentation's example of this call.
func (s *Server) answerResellerFault(w http.ResponseWriter, r *http.Request, c *call, f Fault, page customerPageJSON) {
	page.TotalCount = len(page.Items)
	// Marshal cannot fail on these wire types.
	body, _ := json.Marshal(page)
	if f != FaultMalformed {
		s.answerFault(w, r, c, f, func() []byte { return body })
		return
	}
	s.stats.faults.Add(1)
	items, _ := json.Marshal(page.Items)
	broken := fmt.Sprintf(`{"totalCount":%d,"items":%s, ],"attributes":{"objectType":"Collection"}}`, page.TotalCount, items[:len(items)-1])
	writeBody(w, http.StatusOK, []byte(broken))
}
