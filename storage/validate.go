package storage

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"
)

// normalizeID checks that id is a GUID (8-4-4-4-12 hex digits) and returns
// it in lower case, the one spelling stored.
func normalizeID(id string) (string, error) {
	if id == "" {
		return "", fmt.Errorf("customer %q: id is empty", id)
	}
	if len(id) != 36 {
		return "", fmt.Errorf("customer %q: id is not a GUID", id)
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return "", fmt.Errorf("customer %q: id is not a GUID", id)
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
				return "", fmt.Errorf("customer %q: id is not a GUID", id)
			}
		}
	}
	return strings.ToLower(id), nil
}

// InvalidAnswer is the ErrorCode of a result storage could not keep as it
// was given (an empty agreement type, more records than a customer can
// have, an unknown status): the customer's answer was odd, and it is stored
// as that customer's error instead of failing the batch it came in.
const InvalidAnswer = "invalid_answer"

// checkResult validates one result and returns the copy that is stored: id
// in lower case, acceptances in (type, date, template) order, dates in UTC,
// an unusable date as the zero time. A result that cannot be stored as it
// is becomes the customer's error result (code InvalidAnswer, a message
// saying what was wrong); only an id that is not a GUID, which no answer
// can bring (the run's list was checked by BeginRun), is an error.
func checkResult(r Result) (Result, error) {
	id, err := normalizeID(r.Customer.ID)
	if err != nil {
		return Result{}, err
	}
	r.Customer.ID = id
	if r.DirectSigned > DirectNotSigned {
		return invalidAnswer(r, fmt.Sprintf("direct-sign answer %d is unknown", r.DirectSigned)), nil
	}
	switch r.Status {
	case StatusOK:
	case StatusError:
		r.Acceptances = nil // an error result has no records to keep
		return r, nil
	default:
		return invalidAnswer(r, fmt.Sprintf("status %q is unknown", r.Status)), nil
	}
	if len(r.Acceptances) > maxRecords {
		return invalidAnswer(r, fmt.Sprintf("%d acceptance records, at most %d are kept", len(r.Acceptances), maxRecords)), nil
	}
	accs := make([]Acceptance, len(r.Acceptances))
	for i, a := range r.Acceptances {
		if a.Type == "" {
			return invalidAnswer(r, fmt.Sprintf("acceptance record %d has no agreement type", i+1)), nil
		}
		a.DateAgreed = usableDate(a.DateAgreed)
		accs[i] = a
	}
	sortAcceptances(accs)
	r.Acceptances = accs
	return r, nil
}

// usableDate is d in UTC, or the zero time when d is not a usable date:
// zero, or .NET's minimum date 0001-01-01 in whatever zone it came.
func usableDate(d time.Time) time.Time {
	d = d.UTC()
	if d.Year() <= 1 {
		return time.Time{}
	}
	return d
}

// invalidAnswer is r stored as its customer's error: what was wrong with
// the answer, in place of the answer.
func invalidAnswer(r Result, problem string) Result {
	return Result{Customer: r.Customer, Status: StatusError, HTTPStatus: r.HTTPStatus, ErrorCode: InvalidAnswer,
		Message: "the answer could not be stored: " + problem, Attempts: r.Attempts}
}

// sortAcceptances orders records by type, date agreed and template id.
func sortAcceptances(accs []Acceptance) {
	slices.SortStableFunc(accs, func(a, b Acceptance) int {
		return cmp.Or(
			cmp.Compare(a.Type, b.Type),
			a.DateAgreed.Compare(b.DateAgreed),
			cmp.Compare(a.TemplateID, b.TemplateID))
	})
}
