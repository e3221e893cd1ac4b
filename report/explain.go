package report

import (
	"fmt"
	"net/http"
)

// explainError says in plain words what happened to a customer's query and
// what a person can do about it, for the Errors sheet; the technical detail
// (status, code, message) keeps its own columns.
func explainError(e *ErrorRow) (what, todo string) {
	const again = "Nothing now: mcawatch asks again at the next run."
	switch {
	case e.NoRelationship:
		return NoRelationshipMessage,
			"Nothing, unless you mean to sell to this customer: then send it the relationship request link on Summary."
	case e.ErrorCode == "malformed_body" || e.ErrorCode == "truncated_body" || e.ErrorCode == "body_too_large":
		return "The answer could not be read",
			again + " If it stays, send the detail to whoever runs mcawatch."
	case e.HTTPStatus == 0:
		return "No answer: the connection failed or timed out",
			again + " If many customers show this, check the network path to Partner Center."
	case e.HTTPStatus == http.StatusUnauthorized:
		return "Partner Center did not accept mcawatch's sign-in (401)",
			"Run mcawatch check; renew the refresh token if it expired."
	case e.HTTPStatus == http.StatusForbidden:
		return "Partner Center refused access to this customer (403)",
			"Check in Partner Center that you still resell to this customer and your account may see it; " + again
	case e.HTTPStatus == http.StatusNotFound:
		return "Partner Center does not know this customer (404)",
			"Check that the customer is still yours and its ID is right (customer list or customers file)."
	case e.HTTPStatus == http.StatusTooManyRequests:
		return "Throttled by Partner Center until the retries ran out (429)",
			again + " If many customers show this, lower fetch.concurrency."
	case e.HTTPStatus >= 500:
		return fmt.Sprintf("Partner Center had a server error (%d)", e.HTTPStatus), again
	default:
		return fmt.Sprintf("Partner Center answered with an error (%d)", e.HTTPStatus),
			again + " If it stays, send the detail to whoever runs mcawatch."
	}
}
