package report

import (
	"net/url"
	"strings"
	"time"

	"github.com/mcawatch/mcawatch/storage"
)

// cellKind says what a cell holds, so each writer can render it properly.
type cellKind uint8

const (
	kindEmpty cellKind = iota
	kindText
	kindDate // a day: yyyy-mm-dd in the workbook
	kindTime // an instant where the time matters: yyyy-mm-dd hh:mm UTC
	kindNumber
)

// cell is one value of a report row.
type cell struct {
	kind cellKind
	text string
	date time.Time // UTC
	num  int
	// link, on a sheet, makes the cell a hyperlink to this URL (a cell
	// hyperlink, never a formula); the CSV files ignore it.
	link string
}

func textCell(s string) cell {
	if s == "" {
		return cell{}
	}
	return cell{kind: kindText, text: s}
}

// dateCell is a day, shown as yyyy-mm-dd whatever its time of day.
func dateCell(t time.Time) cell {
	if t.IsZero() {
		return cell{}
	}
	return cell{kind: kindDate, date: t.UTC()}
}

// timeCell is an instant whose time matters (a run's start), shown as
// yyyy-mm-dd hh:mm in UTC; its column header says UTC.
func timeCell(t time.Time) cell {
	if t.IsZero() {
		return cell{}
	}
	return cell{kind: kindTime, date: t.UTC()}
}

func numberCell(n int) cell {
	return cell{kind: kindNumber, num: n}
}

// customerURL is the customer's account page in Partner Center.
func customerURL(id string) string {
	return "https://partner.microsoft.com/dashboard/commerce2/customers/" + url.PathEscape(id) + "/account"
}

// companyCell is the customer's company name linking to its page in Partner
// Center; a customer with no company name shows its id there instead, so
// every row has something to click.
func companyCell(c *storage.Customer) cell {
	name := c.CompanyName
	if name == "" {
		name = c.ID
	}
	out := textCell(name)
	if out.kind == kindText && c.ID != "" {
		out.link = customerURL(c.ID)
	}
	return out
}

// emailCell is a contact email as a mailto: link when it looks like one
// address (no spaces, one @ with text on both sides).
func emailCell(email string) cell {
	out := textCell(email)
	at := strings.IndexByte(email, '@')
	if at > 0 && at < len(email)-1 && strings.Count(email, "@") == 1 && !strings.ContainsAny(email, " \t\r\n,;<>\"") {
		out.link = "mailto:" + email
	}
	return out
}

// table is one list of the report as both writers see it: a CSV file with
// the contract's columns, and a sheet of report.xlsx with the same data
// arranged for people (the company first, then the customer id, headers in
// words, times in UTC, errors explained).
type table struct {
	sheet   string   // sheet name
	file    string   // CSV file name
	columns []string // the CSV header: exactly the contract's column names, in order
	headers []string // the sheet header, one per sheetRow cell
	rows    int
	// row appends the CSV cells of row i to dst[:0] and returns it, so one
	// buffer serves a whole table; sheetRow does the same for the sheet.
	row      func(i int, dst []cell) []cell
	sheetRow func(i int, dst []cell) []cell
}

// tables lists the report's tables in sheet order. A zero date (an
// acceptance without a usable date, a first acceptance's previous date) is
// an empty cell in both writers.
func tables(r *Report) []table {
	ts := plainTables(r)
	if r.grouping != nil {
		return groupedTables(r, ts)
	}
	return ts
}

// plainTables are the contract's tables, without grouping.
func plainTables(r *Report) []table {
	return []table{
		{
			sheet: "Missing", file: "missing.csv",
			columns: []string{"customer_id", "company_name", "domain", "missing_since"},
			headers: []string{"Company", "Customer ID", "Domain", "Missing since (UTC)"},
			rows:    len(r.Missing),
			row: func(i int, dst []cell) []cell {
				m := &r.Missing[i]
				return append(dst[:0], textCell(m.Customer.ID), textCell(m.Customer.CompanyName),
					textCell(m.Customer.Domain), timeCell(m.MissingSince))
			},
			sheetRow: func(i int, dst []cell) []cell {
				m := &r.Missing[i]
				return append(dst[:0], companyCell(&m.Customer), textCell(m.Customer.ID),
					textCell(m.Customer.Domain), timeCell(m.MissingSince))
			},
		},
		{
			sheet: "Outdated", file: "outdated.csv",
			columns: []string{"customer_id", "company_name", "domain", "latest_date_agreed",
				"contact_name", "contact_email", "outdated_since"},
			headers: []string{"Company", "Customer ID", "Domain", "Last accepted on", "Contact",
				"Contact email", "Outdated since (UTC)"},
			rows: len(r.Outdated),
			row: func(i int, dst []cell) []cell {
				o := &r.Outdated[i]
				return append(dst[:0], textCell(o.Customer.ID), textCell(o.Customer.CompanyName),
					textCell(o.Customer.Domain), dateCell(o.LatestDateAgreed), textCell(o.ContactName),
					textCell(o.ContactEmail), timeCell(o.OutdatedSince))
			},
			sheetRow: func(i int, dst []cell) []cell {
				o := &r.Outdated[i]
				return append(dst[:0], companyCell(&o.Customer), textCell(o.Customer.ID),
					textCell(o.Customer.Domain), dateCell(o.LatestDateAgreed), textCell(o.ContactName),
					emailCell(o.ContactEmail), timeCell(o.OutdatedSince))
			},
		},
		{
			sheet: "New", file: "new.csv",
			columns: []string{"customer_id", "company_name", "agreement_type", "date_agreed",
				"previous_date_agreed", "template_id", "contact_name", "contact_email", "contact_phone"},
			headers: []string{"Company", "Customer ID", "Agreement", "Accepted on", "Previously accepted on",
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
			sheetRow: func(i int, dst []cell) []cell {
				n := &r.New[i]
				a := &n.Acceptance
				return append(dst[:0], companyCell(&n.Customer), textCell(n.Customer.ID),
					textCell(a.Type), dateCell(a.DateAgreed), dateCell(n.PreviousDateAgreed),
					textCell(a.TemplateID), textCell(a.ContactName), emailCell(a.ContactEmail),
					textCell(a.ContactPhone))
			},
		},
		{
			sheet: "Removed", file: "removed.csv",
			columns: []string{"customer_id", "company_name", "agreement_type", "date_agreed", "template_id"},
			headers: []string{"Company", "Customer ID", "Agreement", "Accepted on", "Template ID"},
			rows:    len(r.Removed),
			row: func(i int, dst []cell) []cell {
				m := &r.Removed[i]
				a := &m.Acceptance
				return append(dst[:0], textCell(m.Customer.ID), textCell(m.Customer.CompanyName),
					textCell(a.Type), dateCell(a.DateAgreed), textCell(a.TemplateID))
			},
			sheetRow: func(i int, dst []cell) []cell {
				m := &r.Removed[i]
				a := &m.Acceptance
				return append(dst[:0], companyCell(&m.Customer), textCell(m.Customer.ID),
					textCell(a.Type), dateCell(a.DateAgreed), textCell(a.TemplateID))
			},
		},
		{
			sheet: "Errors", file: "errors.csv",
			columns: []string{"customer_id", "company_name", "http_status", "error_code", "message", "attempts"},
			headers: []string{"Company", "Customer ID", "What happened", "What to do", "HTTP status",
				"Error code", "Attempts", "Detail"},
			rows: len(r.Errors),
			row: func(i int, dst []cell) []cell {
				e := &r.Errors[i]
				return append(dst[:0], textCell(e.Customer.ID), textCell(e.Customer.CompanyName),
					statusCell(e.HTTPStatus), textCell(e.ErrorCode), textCell(e.Message), numberCell(e.Attempts))
			},
			sheetRow: func(i int, dst []cell) []cell {
				e := &r.Errors[i]
				what, todo := explainError(e)
				return append(dst[:0], companyCell(&e.Customer), textCell(e.Customer.ID),
					textCell(what), textCell(todo), statusCell(e.HTTPStatus), textCell(e.ErrorCode),
					numberCell(e.Attempts), textCell(e.Message))
			},
		},
		{
			sheet: "Acceptances", file: "acceptances.csv",
			columns: []string{"customer_id", "company_name", "agreement_type", "date_agreed", "template_id",
				"contact_name", "contact_email", "contact_phone", "direct_signed"},
			headers: []string{"Company", "Customer ID", "Agreement", "Accepted on", "Template ID",
				"Contact", "Contact email", "Contact phone", "Signed directly"},
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
			sheetRow: func(i int, dst []cell) []cell {
				m := &r.Acceptances[i]
				dst = append(dst[:0], companyCell(&m.Customer), textCell(m.Customer.ID))
				if a := m.Acceptance; a != nil {
					dst = append(dst, textCell(a.Type), dateCell(a.DateAgreed), textCell(a.TemplateID),
						textCell(a.ContactName), emailCell(a.ContactEmail), textCell(a.ContactPhone))
				} else {
					dst = append(dst, cell{}, cell{}, cell{}, cell{}, cell{}, cell{})
				}
				return append(dst, textCell(directSignedWords(m.DirectSigned)))
			},
		},
	}
}

// statusCell is an HTTP status, or an empty cell for 0: no HTTP answer at
// all (a transport error), which an empty cell says better than a zero.
func statusCell(status int) cell {
	if status == 0 {
		return cell{}
	}
	return numberCell(status)
}

// directSignedText renders the direct-sign answer for the CSV contract:
// "true" or "false" where it was asked, empty where it was not.
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

// directSignedWords renders the direct-sign answer for people: "yes" or
// "no" where it was asked, empty where it was not.
func directSignedWords(d storage.DirectSign) string {
	switch d {
	case storage.DirectSigned:
		return "yes"
	case storage.DirectNotSigned:
		return "no"
	default:
		return ""
	}
}
