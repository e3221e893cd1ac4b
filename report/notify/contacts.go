package notify

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/mail"
	"os"
	"slices"
	"strings"
)

// ResellerContacts maps an indirect reseller's id (lower-case) to the
// addresses its own workbook is mailed to (notify.reseller_contacts).
type ResellerContacts map[string][]string

// ReadResellerContacts reads a reseller contacts file: a CSV file with a
// header naming the columns reseller_id and email (in any order, other
// columns ignored), one address a row; a reseller may have several rows.
// Every problem names the file and line. An empty file is an error: a
// file given on purpose with no one in it is a mistake.
func ReadResellerContacts(path string) (ResellerContacts, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reseller contacts: %w", err)
	}
	defer f.Close()
	return ParseResellerContacts(f, path)
}

// ParseResellerContacts reads a reseller contacts file from r; name is the
// file's name in errors. See ReadResellerContacts.
func ParseResellerContacts(r io.Reader, name string) (ResellerContacts, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: empty: want a header reseller_id,email and one row a reseller address", name)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	for i := range header {
		header[i] = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(header[i], "\ufeff")))
	}
	idCol, emailCol := slices.Index(header, "reseller_id"), slices.Index(header, "email")
	if idCol < 0 || emailCol < 0 {
		return nil, fmt.Errorf("%s:1: the header must name the columns reseller_id and email, got %q", name, strings.Join(header, ","))
	}
	out := ResellerContacts{}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		line, _ := cr.FieldPos(0)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		if len(rec) <= max(idCol, emailCol) {
			return nil, fmt.Errorf("%s:%d: want reseller_id and email, got %d field(s)", name, line, len(rec))
		}
		id := strings.ToLower(strings.TrimSpace(rec[idCol]))
		email := strings.TrimSpace(rec[emailCol])
		if id == "" {
			return nil, fmt.Errorf("%s:%d: empty reseller_id", name, line)
		}
		addr, err := mail.ParseAddress(email)
		if err != nil || addr.Address != email {
			return nil, fmt.Errorf("%s:%d: %q is not one email address", name, line, email)
		}
		if !slices.Contains(out[id], email) {
			out[id] = append(out[id], email)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no reseller addresses", name)
	}
	return out, nil
}
