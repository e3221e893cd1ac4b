package report

import (
	"time"

	"github.com/mcawatch/mcawatch/storage"
)

// cellKind says what a cell holds, so each writer can render it properly.
type cellKind uint8

const (
	kindEmpty cellKind = iota
	kindText
	kindDate
	kindNumber
)

// cell is one value of a report row.
type cell struct {
	kind cellKind
	text string
	date time.Time // UTC
	num  int
}

func textCell(s string) cell {
	if s == "" {
		return cell{}
	}
	return cell{kind: kindText, text: s}
}

func dateCell(t time.Time) cell {
	if t.IsZero() {
		return cell{}
	}
	return cell{kind: kindDate, date: t.UTC()}
}

func numberCell(n int) cell {
	return cell{kind: kindNumber, num: n}
}

// table is one list of the report as both writers see it: a sheet of
// report.xlsx and a CSV file with the same columns.
type table struct {
	sheet   string   // sheet name
	file    string   // CSV file name
	columns []string // the CSV header: exactly the contract's column names, in order
	headers []string // the xlsx header: the same columns, named for people
	rows    int
	// row appends the cells of row i to dst[:0] and returns it, so one
	// buffer serves a whole table.
	row func(i int, dst []cell) []cell
}

// tables lists the report's tables in sheet order. A zero date (an
// acceptance without a usable date, a first acceptance's previous date) is
// an empty cell in both writers.
func tables(r *Report) []table {
	return []table{
		{
			sheet: "Missing", file: "missing.csv",
			columns: []string{"customer_id", "company_name", "domain", "missing_since"},
			headers: []string{"Customer ID", "Company", "Domain", "Missing since"},
			rows:    len(r.Missing),
			row: func(i int, dst []cell) []cell {
				m := &r.Missing[i]
				return append(dst[:0], textCell(m.Customer.ID), textCell(m.Customer.CompanyName),
					textCell(m.Customer.Domain), dateCell(m.MissingSince))
			},
		},
		{
			sheet: "Outdated", file: "outdated.csv",
			columns: []string{"customer_id", "company_name", "domain", "latest_date_agreed",
				"contact_name", "contact_email", "outdated_since"},
			headers: []string{"Customer ID", "Company", "Domain", "Latest date agreed", "Contact", "Contact email", "Outdated since"},
			rows:    len(r.Outdated),
			row: func(i int, dst []cell) []cell {
				o := &r.Outdated[i]
				return append(dst[:0], textCell(o.Customer.ID), textCell(o.Customer.CompanyName),
					textCell(o.Customer.Domain), dateCell(o.LatestDateAgreed), textCell(o.ContactName),
					textCell(o.ContactEmail), dateCell(o.OutdatedSince))
			},
		},
		{
			sheet: "New", file: "new.csv",
			columns: []string{"customer_id", "company_name", "agreement_type", "date_agreed",
				"previous_date_agreed", "template_id", "contact_name", "contact_email", "contact_phone"},
			headers: []string{"Customer ID", "Company", "Agreement type", "Date agreed", "Previous date agreed",
				"Template ID", "Contact", "Contact email", "Contact phone"},
			rows: len(r.New),
			row: func(i int, dst []cell) []cell {
				n := &r.New[i]
				a := &n.Acceptance
				return append(dst[:0], textCell(n.Customer.ID), textCell(n.Customer.CompanyName),
					textCell(a.Type), dateCell(a.DateAgreed), dateCell(n.PreviousDateAgreed),
					textCell(a.TemplateID), textCell(a.ContactName), textCell(a.ContactEmail),
					textCell(a.ContactPhone))
			},
		},
		{
			sheet: "Removed", file: "removed.csv",
			columns: []string{"customer_id", "company_name", "agreement_type", "date_agreed", "template_id"},
			headers: []string{"Customer ID", "Company", "Agreement type", "Date agreed", "Template ID"},
			rows:    len(r.Removed),
			row: func(i int, dst []cell) []cell {
				m := &r.Removed[i]
				a := &m.Acceptance
				return append(dst[:0], textCell(m.Customer.ID), textCell(m.Customer.CompanyName),
					textCell(a.Type), dateCell(a.DateAgreed), textCell(a.TemplateID))
			},
		},
		{
			sheet: "Errors", file: "errors.csv",
			columns: []string{"customer_id", "company_name", "http_status", "error_code", "message", "attempts"},
			headers: []string{"Customer ID", "Company", "HTTP status", "Error code", "Message", "Attempts"},
			rows:    len(r.Errors),
			row: func(i int, dst []cell) []cell {
				e := &r.Errors[i]
				status := cell{}
				if e.HTTPStatus != 0 {
					// 0 means no HTTP answer at all (a transport error):
					// an empty cell says that better than a zero.
					status = numberCell(e.HTTPStatus)
				}
				return append(dst[:0], textCell(e.Customer.ID), textCell(e.Customer.CompanyName),
					status, textCell(e.ErrorCode), textCell(e.Message), numberCell(e.Attempts))
			},
		},
		{
			sheet: "Acceptances", file: "acceptances.csv",
			columns: []string{"customer_id", "company_name", "agreement_type", "date_agreed", "template_id",
				"contact_name", "contact_email", "contact_phone", "direct_signed"},
			headers: []string{"Customer ID", "Company", "Agreement type", "Date agreed", "Template ID",
				"Contact", "Contact email", "Contact phone", "Direct-signed"},
			rows: len(r.Acceptances),
			row: func(i int, dst []cell) []cell {
				m := &r.Acceptances[i]
				dst = append(dst[:0], textCell(m.Customer.ID), textCell(m.Customer.CompanyName))
				if a := m.Acceptance; a != nil {
					dst = append(dst, textCell(a.Type), dateCell(a.DateAgreed), textCell(a.TemplateID),
						textCell(a.ContactName), textCell(a.ContactEmail), textCell(a.ContactPhone))
				} else {
					dst = append(dst, cell{}, cell{}, cell{}, cell{}, cell{}, cell{})
				}
				return append(dst, textCell(directSignedText(m.DirectSigned)))
			},
		},
	}
}

// directSignedText renders the direct-sign answer: "true" or "false" where
// it was asked, empty where it was not.
func directSignedText(d storage.DirectSign) string {
	switch d {
	case storage.DirectSigned:
		return "true"
	case storage.DirectNotSigned:
		return "false"
	default:
		return ""
	}
}
