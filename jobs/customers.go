package jobs

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"

	"github.com/mcawatch/mcawatch/fetch"
)

// guidPattern matches a customer tenant id as Partner Center writes it.
var guidPattern = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// maxCustomerLine bounds one line of a customers file; a longer line is not a
// customer id and is reported rather than read without limit.
const maxCustomerLine = 64 * 1024

// CustomerFileError names the file, line and field of a bad customers file.
type CustomerFileError struct {
	File string
	Line int
	Msg  string
}

func (e *CustomerFileError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}

// ReadCustomersFile reads a customers file: either one customer tenant id a
// line, or a CSV file whose header row has a customer_id column (and
// optionally company_name and domain). A UTF-8 byte-order mark, CRLF line
// ends, blank lines and surrounding spaces are accepted; a repeated id is kept
// once; any id that is not a GUID fails the whole file, naming its line.
func ReadCustomersFile(path string) ([]fetch.Customer, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("customers file: %w", err)
	}
	defer f.Close()
	return ParseCustomers(f, path)
}

// maxCustomersFile bounds a customers file: a million ids take 38 MB.
const maxCustomersFile = 64 << 20

// ParseCustomers parses a customers list read from r; name is used in errors.
func ParseCustomers(r io.Reader, name string) ([]fetch.Customer, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxCustomersFile+1))
	if err != nil {
		return nil, &CustomerFileError{File: name, Msg: err.Error()}
	}
	if len(data) > maxCustomersFile {
		return nil, &CustomerFileError{File: name, Msg: "larger than 64 MiB"}
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if isCSVHeader(data) {
		return parseCustomersCSV(bytes.NewReader(data), name)
	}
	return parseCustomerLines(bytes.NewReader(data), name)
}

// isCSVHeader reports whether the first non-blank line is a CSV header: it
// names a customer_id column, or it has several fields and the first is not
// a customer id (a header without customer_id, which parseCustomersCSV
// then reports as such rather than as "not a GUID").
func isCSVHeader(data []byte) bool {
	for len(data) > 0 {
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		if t := strings.TrimSpace(string(line)); t != "" {
			first, _, several := strings.Cut(t, ",")
			return strings.Contains(strings.ToLower(t), "customer_id") ||
				several && !guidPattern.MatchString(strings.Trim(strings.TrimSpace(first), `"`))
		}
	}
	return false
}

func parseCustomerLines(r io.Reader, name string) ([]fetch.Customer, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), maxCustomerLine)
	var out []fetch.Customer
	seen := make(map[string]bool)
	line := 0
	for sc.Scan() {
		line++
		id := strings.TrimSpace(sc.Text())
		if id == "" || strings.HasPrefix(id, "#") {
			continue
		}
		c, err := checkCustomerID(id)
		if err != nil {
			return nil, &CustomerFileError{File: name, Line: line, Msg: err.Error()}
		}
		if !seen[c.ID] {
			seen[c.ID] = true
			out = append(out, c)
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, &CustomerFileError{File: name, Line: line + 1, Msg: "line too long"}
		}
		return nil, &CustomerFileError{File: name, Msg: err.Error()}
	}
	if len(out) == 0 {
		return nil, &CustomerFileError{File: name, Msg: "no customer ids"}
	}
	return out, nil
}

func parseCustomersCSV(r io.Reader, name string) ([]fetch.Customer, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	header, err := cr.Read()
	if err != nil {
		return nil, &CustomerFileError{File: name, Line: 1, Msg: err.Error()}
	}
	col := map[string]int{"customer_id": -1, "company_name": -1, "domain": -1}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(h))
		if _, ok := col[h]; ok && col[h] < 0 {
			col[h] = i
		}
	}
	if col["customer_id"] < 0 {
		return nil, &CustomerFileError{File: name, Line: 1, Msg: fmt.Sprintf(
			"the header row has no customer_id column (it has %s); name the column of customer tenant ids customer_id", shownHeader(header))}
	}
	field := func(rec []string, key string) string {
		if i := col[key]; i >= 0 && i < len(rec) {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	var out []fetch.Customer
	seen := make(map[string]bool)
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, &CustomerFileError{File: name, Line: pe.Line, Msg: pe.Err.Error()}
			}
			return nil, &CustomerFileError{File: name, Msg: err.Error()}
		}
		id := field(rec, "customer_id")
		if id == "" && len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		c, err := checkCustomerID(id)
		if err != nil {
			line, _ := cr.FieldPos(min(col["customer_id"], len(rec)-1))
			return nil, &CustomerFileError{File: name, Line: line, Msg: "customer_id: " + err.Error()}
		}
		c.CompanyName = field(rec, "company_name")
		c.Domain = field(rec, "domain")
		if !seen[c.ID] {
			seen[c.ID] = true
			out = append(out, c)
		}
	}
	if len(out) == 0 {
		return nil, &CustomerFileError{File: name, Msg: "no customer ids"}
	}
	return out, nil
}

// shownHeader lists a header row's names, shortened, for a message.
func shownHeader(header []string) string {
	names := make([]string, 0, min(len(header), 8))
	for i, h := range header {
		if i == 8 {
			names = append(names, "…")
			break
		}
		h = strings.TrimSpace(h)
		if len(h) > 40 {
			h = h[:40] + "…"
		}
		names = append(names, strconv.Quote(h))
	}
	return strings.Join(names, ", ")
}

func checkCustomerID(id string) (fetch.Customer, error) {
	if !guidPattern.MatchString(id) {
		shown := id
		if len(shown) > 60 {
			shown = shown[:60] + "…"
		}
		return fetch.Customer{}, fmt.Errorf("%q is not a customer tenant id (a GUID)", shown)
	}
	return fetch.Customer{ID: strings.ToLower(id)}, nil
}
