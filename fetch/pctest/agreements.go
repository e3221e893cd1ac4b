package pctest

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
)

// bom is the UTF-8 byte-order mark some answers start with.
const bom = "\xEF\xBB\xBF"

// handleAgreements serves GET /v1/customers/{id}/agreements?agreementType=T.
func (s *Server) handleAgreements(w http.ResponseWriter, r *http.Request, c *call) {
	id := lowerASCII(r.PathValue("id"))
	typ := queryValue(r.URL.RawQuery, "agreementType")
	switch typ {
	case "":
		// The service falls back to MicrosoftCloudAgreement, which silently
		// hides MCA records: a client must always send the type.
		c.problems = append(c.problems, "agreementType missing (answered with MicrosoftCloudAgreement records only)")
		typ = TypeMCloudA
	case TypeMCA, TypeMCloudA, TypeAll:
	default:
		writeBody(w, http.StatusBadRequest, errorBody("400", "Invalid agreement type: "+typ, "InvalidAgreementType", ptr(false)))
		return
	}
	if f := s.faults.forAgreements(id, s.roll(&s.rolls, 1)); f != "" {
		s.answerFault(w, r, c, f, func() []byte { body, _ := s.agreementsFor(id, typ); return body })
		return
	}
	body, status := s.agreementsFor(id, typ)
	switch status {
	case http.StatusNotFound:
		writeCustomerNotFound(w)
		return
	case http.StatusForbidden:
		writeBody(w, status, body)
		return
	}
	if s.roll(&s.boms, 2) < 0.1 {
		body = append([]byte(bom), body...)
	}
	writeBody(w, http.StatusOK, body)
}

// agreementsFor returns the customer's records of type typ (one of
// TypeMCA, TypeMCloudA, TypeAll) rendered with status 200; status 404 and a
// nil body when the customer does not exist; status 403 and noCommerceBody
// when the partner has no commerce relationship with it. The caller must not
// modify the answer: it is shared.
//
// A rendered answer is kept for the next request about the same customer
// and type. It is valid as long as the portfolio holds the same *Customer:
// every change stores a new one (see update), so a changed customer is
// rendered afresh and a stale answer is never served.
func (s *Server) agreementsFor(id, typ string) ([]byte, int) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	c, ok := s.byID[id]
	if !ok {
		return nil, http.StatusNotFound
	}
	if !c.Commerce() {
		return noCommerceBody, http.StatusForbidden
	}
	var ra *renderedAgreements
	if v, ok := s.rendered.Load(id); ok && v.(*renderedAgreements).c == c {
		ra = v.(*renderedAgreements)
	} else {
		ra = &renderedAgreements{c: c}
		s.rendered.Store(id, ra)
	}
	slot := &ra.bodies[agreementTypeIndex(typ)]
	if b := slot.Load(); b != nil {
		return *b, http.StatusOK
	}
	b := agreementsBody(c.filter(typ))
	slot.Store(&b)
	return b, http.StatusOK
}

// renderedAgreements are the agreements answers rendered for one version of
// a customer, by agreementTypeIndex; nil until first asked.
type renderedAgreements struct {
	c      *Customer
	bodies [3]atomic.Pointer[[]byte]
}

// agreementTypeIndex numbers the agreement types handleAgreements answers.
func agreementTypeIndex(typ string) int {
	switch typ {
	case TypeMCA:
		return 0
	case TypeMCloudA:
		return 1
	default:
		return 2
	}
}

// directSignBodies are the two direct-sign answers, by IsSigned.
var directSignBodies = map[bool][]byte{false: directSignBody(false), true: directSignBody(true)}

// directSignBody renders the direct-sign status answer.
func directSignBody(signed bool) []byte {
	// Marshal cannot fail on a bool and a string.
	body, _ := json.Marshal(directSignJSON{IsSigned: signed, Attributes: attributesJSON{ObjectType: "DirectSignedMicrosoftCustomerAgreementStatus"}})
	return body
}

// handleDirectSign serves GET /v1/customers/{id}/directSignedMicrosoftCustomerAgreementStatus.
func (s *Server) handleDirectSign(w http.ResponseWriter, r *http.Request, c *call) {
	id := lowerASCII(r.PathValue("id"))
	s.mu.RLock()
	cust, ok := s.byID[id]
	signed := ok && cust.DirectSigned
	commerce := ok && cust.Commerce()
	s.mu.RUnlock()
	body := directSignBodies[signed]
	if f := s.faults.forCustomer(id); f != "" {
		s.answerFault(w, r, c, f, func() []byte { return body })
		return
	}
	switch {
	case !ok:
		writeCustomerNotFound(w)
		return
	case !commerce:
		writeBody(w, http.StatusForbidden, noCommerceBody)
		return
	}
	writeBody(w, http.StatusOK, body)
}

// noCommerceBody is the service's 403 answer about a customer the partner
// has no commerce (reseller) relationship with, as recorded in
// microsoft/Partner-Smart-Office issue 12: the code is a JSON number.
var noCommerceBody = []byte(`{"code":20002,"description":"No relationship between caller and account.","data":[],"source":"PartnerFD"}`)

// queryValue returns the first value of key in the raw query, as
// url.ParseQuery(raw).Get(key) would, without building the map: a pair with
// a ';' or a bad escape is skipped.
func queryValue(raw, key string) string {
	for raw != "" {
		var pair string
		pair, raw, _ = strings.Cut(raw, "&")
		if pair == "" || strings.Contains(pair, ";") {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		k, err := url.QueryUnescape(k)
		if err != nil || k != key {
			continue
		}
		if v, err = url.QueryUnescape(v); err == nil {
			return v
		}
	}
	return ""
}

// writeCustomerNotFound answers the service's 404 for an unknown customer.
func writeCustomerNotFound(w http.ResponseWriter) {
	writeBody(w, http.StatusNotFound, errorBody("600008", "The requested customer was not found.", "CustomerNotFound", ptr(false)))
}

// roll draws the next number of a seeded sequence, uniform in [0,1). The
// sequence is fixed per Seed; which request gets which number depends on
// arrival order.
func (s *Server) roll(counter *atomic.Uint64, stream uint64) float64 {
	n := counter.Add(1)
	x := splitmix64(uint64(s.opts.Seed)*0x9E3779B97F4A7C15 ^ stream<<56 ^ n)
	return float64(x>>11) / (1 << 53)
}

// splitmix64 is a fast, well-mixing hash of x.
func splitmix64(x uint64) uint64 {
	x += 0x9E3779B97F4A7C15
	x = (x ^ x>>30) * 0xBF58476D1CE4E5B9
	x = (x ^ x>>27) * 0x94D049BB133111EB
	return x ^ x>>31
}
