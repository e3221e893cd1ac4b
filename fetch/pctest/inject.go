package pctest

import (
	"bufio"
	"net"
	"net/http"
	"strconv"
)

// malformedBody is the response example of seeds/004: not valid JSON
// (commas missing after "email" and a broken "phoneNumber key).
const malformedBody = `{
    "totalCount": 2,
    "items":
    [
        {
            "primaryContact":
            {
                "firstName":"Tania",
                "lastName":"Carr",
                "email":"SomeEmail@example.com"
                "phoneNumber":"1234567890"
            },
            "templateId":"aaaabbbb-0000-cccc-1111-dddd2222eeee",
            "dateAgreed":"2019-08-26T00:00:00",
            "type":"MicrosoftCustomerAgreement",
            "agreementLink":"https://aka.ms/customeragreement"
        },
        {
            "primaryContact":
            {
                "firstName":"Tania",
                "lastName":"Carr",
                "email":"SomeEmail@example.com"
                "phoneNumber:"1234567890"
            },
            "templateId":"aaaabbbb-0000-cccc-1111-dddd2222eeee",
            "dateAgreed":"2019-08-27T00:00:00",
            "type":"MicrosoftCustomerAgreement",
            "agreementLink":"https://aka.ms/customeragreement"
        }
    ]
}`

// answerFault answers with the injected fault f; body renders the normal
// answer, which FaultTruncated cuts in half.
func (s *Server) answerFault(w http.ResponseWriter, r *http.Request, c *call, f Fault, body func() []byte) {
	if f == Fault429 {
		c.throttled = true
		s.writeThrottled(w, 1)
		return
	}
	s.stats.faults.Add(1)
	switch f {
	case Fault500:
		writeBody(w, http.StatusInternalServerError, errorBody("500", "An unexpected error occurred. Please retry.", "InternalServerError", ptr(true)))
	case Fault503:
		writeBody(w, http.StatusServiceUnavailable, errorBody("503", "The service is temporarily unavailable. Please retry.", "ServiceUnavailable", ptr(true)))
	case Fault403:
		writeBody(w, http.StatusForbidden, errorBody("2000", "Forbidden: the partner has no delegated access to this customer.", "Forbidden", ptr(false)))
	case Fault404:
		writeCustomerNotFound(w)
	case FaultMalformed:
		writeBody(w, http.StatusOK, []byte(malformedBody))
	case FaultTimeout:
		s.holdUntilGivenUp(w, r)
	case FaultReset:
		if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
			if tcp, ok := conn.(*net.TCPConn); ok {
				// Linger 0 turns the close into a TCP reset.
				_ = tcp.SetLinger(0)
			}
			_ = conn.Close()
		}
	case FaultTruncated:
		writeTruncated(w, body())
	default:
		writeBody(w, http.StatusInternalServerError, errorBody("500", "unknown injected fault "+strconv.Quote(string(f)), "InternalServerError", ptr(true)))
	}
}

// holdUntilGivenUp keeps the request open until the client or the server
// gives up, or maxHold passes; then it answers 504.
func (s *Server) holdUntilGivenUp(w http.ResponseWriter, r *http.Request) {
	if !s.hold(r, maxHold) {
		return
	}
	writeBody(w, http.StatusGatewayTimeout, errorBody("504", "The upstream service did not answer in time.", "GatewayTimeout", ptr(true)))
}

// writeTruncated announces the whole body in Content-Length, sends half of
// it and closes the connection.
func writeTruncated(w http.ResponseWriter, body []byte) {
	if body == nil {
		body = []byte(`{"totalCount":0,"items":[],"attributes":{"objectType":"Collection"}}`)
	}
	conn, rw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return
	}
	defer conn.Close()
	writeRaw(rw, len(body), body[:len(body)/2])
}

// writeRaw writes a 200 status line, headers announcing n body bytes, and part.
func writeRaw(rw *bufio.ReadWriter, n int, part []byte) {
	_, _ = rw.WriteString("HTTP/1.1 200 OK\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: " +
		strconv.Itoa(n) + "\r\nConnection: close\r\n\r\n")
	_, _ = rw.Write(part)
	_ = rw.Flush()
}
