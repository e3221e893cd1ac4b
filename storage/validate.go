package storage

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
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

// checkResult validates one result and returns the copy that is stored: id
// in lower case, acceptances in (type, date, template) order, dates in UTC.
func checkResult(r Result) (Result, error) {
	id, err := normalizeID(r.Customer.ID)
	if err != nil {
		return Result{}, err
	}
	r.Customer.ID = id
	if r.DirectSigned > DirectNotSigned {
		return Result{}, fmt.Errorf("customer %q: direct_signed %d is unknown", id, r.DirectSigned)
	}
	switch r.Status {
	case StatusOK:
	case StatusError:
		if len(r.Acceptances) > 0 {
			return Result{}, fmt.Errorf("customer %q: an error result has %d acceptances", id, len(r.Acceptances))
		}
		return r, nil
	default:
		return Result{}, fmt.Errorf("customer %q: status %q is unknown", id, r.Status)
	}
	if len(r.Acceptances) > maxRecords {
		return Result{}, fmt.Errorf("customer %q: %d acceptances, at most %d are kept", id, len(r.Acceptances), maxRecords)
	}
	accs := make([]Acceptance, len(r.Acceptances))
	for i, a := range r.Acceptances {
		switch {
		case a.Type == "":
			return Result{}, fmt.Errorf("customer %q: acceptance %d: type is empty", id, i+1)
		case a.DateAgreed.IsZero():
			return Result{}, fmt.Errorf("customer %q: acceptance %d: date_agreed is zero", id, i+1)
		}
		a.DateAgreed = a.DateAgreed.UTC()
		accs[i] = a
	}
	sortAcceptances(accs)
	r.Acceptances = accs
	return r, nil
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
