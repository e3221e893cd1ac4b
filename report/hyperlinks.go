package report

import (
	"archive/zip"
	"bufio"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/xuri/excelize/v2"
)

// maxSheetLinks is how many hyperlinks one sheet gets: Excel's limit
// (excelize's TotalSheetHyperlinks); cells after it keep their text
// without a link.
const maxSheetLinks = excelize.TotalSheetHyperlinks

// sheetLinks names the rows [from, to) of table t written on a streamed
// sheet: addHyperlinks walks them again to link their cells, instead of
// holding every link in memory while the workbook is written.
type sheetLinks struct {
	sheet    string
	t        table
	from, to int
}

// each calls fn with the cell reference and target of each link of the
// sheet, in order, at most maxSheetLinks of them.
func (l sheetLinks) each(fn func(ref, target string) error) error {
	n := 0
	cells := make([]cell, 0, len(l.t.headers))
	for i := l.from; i < l.to; i++ {
		cells = l.t.sheetRow(i, cells)
		for j, c := range cells {
			if c.link == "" {
				continue
			}
			if n == maxSheetLinks {
				return nil
			}
			n++
			ref, err := excelize.CoordinatesToCellName(j+1, i-l.from+2)
			if err != nil {
				return err
			}
			if err := fn(ref, c.link); err != nil {
				return err
			}
		}
	}
	return nil
}

// linkID is the relationship id of a sheet's n-th link (from 1): a prefix
// of its own, so it never meets the ids excelize gives (rId1, rId2, …).
func linkID(n int) string { return fmt.Sprintf("rIdL%d", n) }

// addHyperlinks copies the workbook src to dst (mode 0640, synced), adding
// to each sheet of links its cell hyperlinks: a <hyperlinks> element in the
// sheet, after the cells where the schema wants it, and one external
// relationship a link in the sheet's relationships part. Every other part
// is copied as it is, still compressed. The sheets are rewritten as a
// stream, so memory does not grow with their size.
func addHyperlinks(src, dst string, links []sheetLinks, durable bool) (err error) {
	zr, err := zip.OpenReader(src)
	if err != nil {
		return fmt.Errorf("reopen workbook: %w", err)
	}
	defer zr.Close()
	paths, err := sheetPaths(&zr.Reader)
	if err != nil {
		return err
	}
	sheets := make(map[string]sheetLinks) // sheet part → its links
	rels := make(map[string]sheetLinks)   // sheet rels part → its links
	for _, l := range links {
		p, ok := paths[l.sheet]
		if !ok {
			return fmt.Errorf("workbook has no part for sheet %s", l.sheet)
		}
		if !hasLinks(l) {
			continue
		}
		sheets[p] = l
		rels[path.Join(path.Dir(p), "_rels", path.Base(p)+".rels")] = l
	}
	out, err := createFile(dst)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := out.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("close report.xlsx: %w", cerr)
		}
	}()
	bw := bufio.NewWriterSize(out, 1<<16)
	zw := zip.NewWriter(bw)
	// The rewritten sheets are most of the bytes: compress them fast.
	zw.RegisterCompressor(zip.Deflate, flateFast.compressor)
	for _, zf := range zr.File {
		l, isSheet := sheets[zf.Name]
		r, isRels := rels[zf.Name]
		switch {
		case isSheet:
			err = rewritePart(zw, zf, func(in io.Reader, w io.Writer) error { return insertHyperlinks(in, w, l) })
		case isRels:
			delete(rels, zf.Name)
			err = rewritePart(zw, zf, func(in io.Reader, w io.Writer) error { return insertRelationships(in, w, r) })
		default:
			err = zw.Copy(zf)
		}
		if err != nil {
			return fmt.Errorf("report.xlsx %s: %w", zf.Name, err)
		}
	}
	// A sheet with links but no relationships part yet gets one.
	for name, l := range rels {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate})
		if err != nil {
			return fmt.Errorf("report.xlsx %s: %w", name, err)
		}
		empty := strings.NewReader(xml.Header + `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"></Relationships>`)
		if err := insertRelationships(empty, w, l); err != nil {
			return fmt.Errorf("report.xlsx %s: %w", name, err)
		}
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("write report.xlsx: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write report.xlsx: %w", err)
	}
	if !durable {
		return nil
	}
	if err := out.Sync(); err != nil {
		return fmt.Errorf("sync report.xlsx: %w", err)
	}
	return nil
}

// hasLinks reports whether any cell of l is a link.
func hasLinks(l sheetLinks) bool {
	errFound := errors.New("found")
	return l.each(func(string, string) error { return errFound }) == errFound
}

// rewritePart writes part zf anew through edit.
func rewritePart(zw *zip.Writer, zf *zip.File, edit func(io.Reader, io.Writer) error) error {
	in, err := zf.Open()
	if err != nil {
		return err
	}
	defer in.Close()
	w, err := zw.CreateHeader(&zip.FileHeader{Name: zf.Name, Method: zip.Deflate, Modified: zf.Modified})
	if err != nil {
		return err
	}
	return edit(in, w)
}

// sheetPaths maps each sheet name to its part ("xl/worksheets/sheet2.xml"),
// read from the workbook and its relationships.
func sheetPaths(zr *zip.Reader) (map[string]string, error) {
	var wb struct {
		Sheets []struct {
			Name string `xml:"name,attr"`
			RID  string `xml:"http://schemas.openxmlformats.org/officeDocument/2006/relationships id,attr"`
		} `xml:"sheets>sheet"`
	}
	var rels struct {
		Rels []struct {
			ID     string `xml:"Id,attr"`
			Target string `xml:"Target,attr"`
		} `xml:"Relationship"`
	}
	if err := readXMLPart(zr, "xl/workbook.xml", &wb); err != nil {
		return nil, err
	}
	if err := readXMLPart(zr, "xl/_rels/workbook.xml.rels", &rels); err != nil {
		return nil, err
	}
	targets := make(map[string]string, len(rels.Rels))
	for _, r := range rels.Rels {
		t := r.Target
		if strings.HasPrefix(t, "/") {
			t = strings.TrimPrefix(t, "/")
		} else {
			t = path.Join("xl", t)
		}
		targets[r.ID] = t
	}
	out := make(map[string]string, len(wb.Sheets))
	for _, s := range wb.Sheets {
		out[s.Name] = targets[s.RID]
	}
	return out, nil
}

// readXMLPart decodes one small part of the package.
func readXMLPart(zr *zip.Reader, name string, v any) error {
	f, err := zr.Open(name)
	if err != nil {
		return fmt.Errorf("workbook part %s: %w", name, err)
	}
	defer f.Close()
	if err := xml.NewDecoder(f).Decode(v); err != nil {
		return fmt.Errorf("workbook part %s: %w", name, err)
	}
	return nil
}

// Where <hyperlinks> goes in a worksheet: after </sheetData> and whatever
// the schema puts between (protection, filters, merged cells, validation),
// before the first of these.
var afterHyperlinks = []string{"<printOptions", "<pageMargins", "<pageSetup", "<headerFooter",
	"<rowBreaks", "<colBreaks", "<customProperties", "<cellWatches", "<ignoredErrors", "<smartTags",
	"<drawing", "<legacyDrawing", "<picture", "<oleObjects", "<controls", "<webPublishItems",
	"<tableParts", "<extLst", "</worksheet>"}

const sheetDataEnd = "</sheetData>"

// insertHyperlinks copies a worksheet part from in to w with l's
// <hyperlinks> element added. The cells are copied as they stream by; only
// the short tail after </sheetData> is held to find the insertion point.
// "</sheetData>" cannot occur inside a cell, whose text has "<" escaped.
func insertHyperlinks(in io.Reader, w io.Writer, l sheetLinks) error {
	br := bufio.NewReaderSize(in, 1<<16)
	bw := bufio.NewWriterSize(w, 1<<16)
	matched := 0
	for {
		b, err := br.ReadByte()
		if err == io.EOF {
			return fmt.Errorf("sheet %s: no %s", l.sheet, sheetDataEnd)
		}
		if err != nil {
			return err
		}
		if err := bw.WriteByte(b); err != nil {
			return err
		}
		switch {
		case b == sheetDataEnd[matched]:
			matched++
		case b == sheetDataEnd[0]:
			matched = 1
		default:
			matched = 0
		}
		if matched == len(sheetDataEnd) {
			break
		}
	}
	tail, err := io.ReadAll(br)
	if err != nil {
		return err
	}
	at := len(tail)
	for _, tag := range afterHyperlinks {
		if i := bytes.Index(tail, []byte(tag)); i >= 0 && i < at {
			at = i
		}
	}
	bw.Write(tail[:at])
	bw.WriteString(`<hyperlinks xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">`)
	n := 0
	err = l.each(func(ref, _ string) error {
		n++
		_, err := fmt.Fprintf(bw, `<hyperlink ref="%s" r:id="%s"/>`, ref, linkID(n))
		return err
	})
	if err != nil {
		return err
	}
	bw.WriteString(`</hyperlinks>`)
	bw.Write(tail[at:])
	return bw.Flush()
}

// insertRelationships copies a relationships part from in to w with one
// external hyperlink relationship for each of l's links, ids as
// insertHyperlinks gives them.
func insertRelationships(in io.Reader, w io.Writer, l sheetLinks) error {
	b, err := io.ReadAll(in) // a sheet's own relationships: a few lines
	if err != nil {
		return err
	}
	const end = "</Relationships>"
	i := bytes.LastIndex(b, []byte(end))
	if i < 0 {
		return errors.New("no </Relationships>")
	}
	bw := bufio.NewWriter(w)
	bw.Write(b[:i])
	n := 0
	err = l.each(func(_, target string) error {
		n++
		bw.WriteString(`<Relationship Id="`)
		bw.WriteString(linkID(n))
		bw.WriteString(`" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink" Target="`)
		if err := xml.EscapeText(bw, []byte(target)); err != nil {
			return err
		}
		_, err := bw.WriteString(`" TargetMode="External"/>`)
		return err
	})
	if err != nil {
		return err
	}
	bw.Write(b[i:])
	return bw.Flush()
}
