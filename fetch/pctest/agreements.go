package pctest

import (
	"encoding/json"
	"net/http"
	"sync/atomic"
)

// bom is the UTF-8 byte-order mark some answers start with.
const bom = "\xEF\xBB\xBF"

// handleAgreements serves GET /v1/customers/{id}/agreements?agreementType=T.
func (s *Server) handleAgreements(w http.ResponseWriter, r *http.Request, c *call) {
	id := lowerASCII(r.PathValue("id"))
	typ := r.URL.Query().Get("agreementType")
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
		s.answerFault(w, r, c, f, func() []byte { return s.agreementsFor(id, typ) })
		return
	}
	body := s.agreementsFor(id, typ)
	if body == nil {
		writeCustomerNotFound(w)
		return
	}
	if s.roll(&s.boms, 2) < 0.1 {
		body = append([]byte(bom), body...)
	}
	writeBody(w, http.StatusOK, body)
}

// agreementsFor renders the customer's records of type typ, or nil when the
// customer does not exist.
func (s *Server) agreementsFor(id, typ string) []byte {
	s.mu.RLock()
	defer s.mu.RUnlock()
	c, ok := s.byID[id]
	if !ok {
		return nil
	}
	return agreementsBody(c.filter(typ))
}

// handleDirectSign serves GET /v1/customers/{id}/directSignedMicrosoftCustomerAgreementStatus.
func (s *Server) handleDirectSign(w http.ResponseWriter, r *http.Request, c *call) {
	id := lowerASCII(r.PathValue("id"))
	s.mu.RLock()
	cust, ok := s.byID[id]
	signed := ok && cust.DirectSigned
	s.mu.RUnlock()
	// Marshal cannot fail on a bool and a string.
	body, _ := json.Marshal(directSignJSON{IsSigned: signed, Attributes: attributesJSON{ObjectType: "DirectSignedMicrosoftCustomerAgreementStatus"}})
	if f := s.faults.forCustomer(id); f != "" {
		s.answerFault(w, r, c, f, func() []byte { return body })
		return
	}
	if !ok {
		writeCustomerNotFound(w)
		return
	}
	writeBody(w, http.StatusOK, body)
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
