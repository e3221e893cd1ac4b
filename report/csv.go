package report

import (
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// utf8BOM is the byte-order mark report.csv_bom puts before each CSV file.
const utf8BOM = "\ufeff"

// writeCSV writes one table as dir/t.file: UTF-8, by default without a
// byte-order mark (the contract's "UTF-8"; a BOM would become part of the
// first column name for most CSV readers), with one when bom is set (Excel
// opens a double-clicked CSV file as UTF-8 only then), a header row, RFC 4180 quoting with CRLF line ends
// as RFC 4180 asks, dates in RFC 3339 UTC and empty for zero dates. Rows are
// streamed through csv.Writer's buffer, never built up in memory.
func writeCSV(dir string, t table, bom bool) error { return writeCSVFile(dir, t, bom, true) }

// writeCSVFile is writeCSV, syncing the file only when durable (a caller
// that syncs the whole file system at once passes false).
func writeCSVFile(dir string, t table, bom, durable bool) (err error) {
	path := filepath.Join(dir, t.file)
	f, err := createFile(path)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("close %s: %w", t.file, cerr)
		}
	}()
	if bom {
		if _, err := f.WriteString(utf8BOM); err != nil {
			return fmt.Errorf("write %s: %w", t.file, err)
		}
	}
	w := csv.NewWriter(f)
	w.UseCRLF = true
	if err := w.Write(t.columns); err != nil {
		return fmt.Errorf("write %s: %w", t.file, err)
	}
	cells := make([]cell, 0, len(t.columns))
	record := make([]string, len(t.columns))
	for i := 0; i < t.rows; i++ {
		cells = t.row(i, cells)
		for j, c := range cells {
			record[j] = csvField(c)
		}
		if err := w.Write(record); err != nil {
			return fmt.Errorf("write %s: %w", t.file, err)
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return fmt.Errorf("write %s: %w", t.file, err)
	}
	if !durable {
		return nil
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", t.file, err)
	}
	return nil
}

// csvField renders one cell as CSV text.
func csvField(c cell) string {
	switch c.kind {
	case kindText:
		return neutralise(lineBreaks(c.text))
	case kindDate, kindTime:
		return c.date.Format(time.RFC3339)
	case kindNumber:
		return strconv.Itoa(c.num)
	default:
		return ""
	}
}

// lineBreaks writes every line break of a cell as "\n", which the CSV
// writer turns into RFC 4180's CRLF and a reader back into "\n":
// encoding/csv with CRLF line ends drops a lone carriage return, gluing two
// lines' words together, and a reader turns CRLF into "\n" anyway.
func lineBreaks(s string) string {
	if !strings.Contains(s, "\r") {
		return s
	}
	return strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
}

// neutralise prefixes a text that a spreadsheet would read as a formula
// with a quote (OWASP CSV injection; ASVS 5.0 V1.2.10). Only text cells go
// through here: dates and numbers are never prefixed.
func neutralise(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r', '\n', 0:
		return "'" + s
	}
	return s
}

// createFile creates path with mode 0640 whatever the umask: reports hold
// contact names, emails and phone numbers.
func createFile(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o640)
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", filepath.Base(path), err)
	}
	if err := f.Chmod(0o640); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("chmod %s: %w", filepath.Base(path), err)
	}
	return f, nil
}
