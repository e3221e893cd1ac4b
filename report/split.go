package report

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/sync/errgroup"

	"github.com/mcawatch/mcawatch/storage"
)

// SplitDir is the sub-folder of a report folder that holds one folder per
// indirect reseller (report.split_by_reseller).
const SplitDir = "resellers"

// maxNameBytes bounds the reseller-name part of a folder name: with the id
// in front the name stays far below every file system's 255-byte limit and
// Windows' 260-character paths.
const maxNameBytes = 60

// ResellerFolderName is the name of a reseller's folder: its id, then a
// form of its name that is safe on Windows and Linux alike (no separators,
// no characters Windows refuses, no control characters, no dots or spaces
// at the end, at most maxNameBytes bytes). The id in front makes the name
// unique and never a reserved device name such as CON.
func ResellerFolderName(id, name string) string {
	safeID := safeName(id, 64)
	safe := safeName(name, maxNameBytes)
	switch {
	case safeID == "":
		return cmpOr(safe, "reseller")
	case safe == "":
		return safeID
	default:
		return safeID + " " + safe
	}
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// safeName replaces every character a file name may not hold with '_',
// trims dots and spaces from both ends and cuts the result to at most max
// bytes on a character boundary.
func safeName(s string, max int) string {
	var b strings.Builder
	for _, r := range s {
		if r < 0x20 || r == 0x7f || r == utf8.RuneError || strings.ContainsRune(`/\:*?"<>|`, r) {
			b.WriteByte('_')
			continue
		}
		b.WriteRune(r)
	}
	out := strings.Trim(b.String(), " .")
	if len(out) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(out[cut]) {
			cut--
		}
		out = strings.TrimRight(out[:cut], " .")
	}
	return out
}

// folderNames are the folder names of resellers, in order: each
// ResellerFolderName, with "-2", "-3", … on a name already taken (file
// systems that ignore case included).
func folderNames(resellers []storage.Reseller) []string {
	used := make(map[string]bool, len(resellers))
	out := make([]string, len(resellers))
	for i, rs := range resellers {
		name := ResellerFolderName(rs.ID, rs.Name)
		for n := 2; used[strings.ToLower(name)]; n++ {
			name = ResellerFolderName(rs.ID, rs.Name) + "-" + strconv.Itoa(n)
		}
		used[strings.ToLower(name)] = true
		out[i] = name
	}
	return out
}

// ResellerFolders returns, for a report broken down by reseller (Group),
// each reseller's folder relative to the report folder by reseller id:
// where Write with SplitByReseller puts its workbook and CSV files. Nil for
// a report that is not grouped.
func (r *Report) ResellerFolders() map[string]string {
	if r.grouping == nil {
		return nil
	}
	names := folderNames(r.grouping.g.Resellers)
	out := make(map[string]string, len(names))
	for i, rs := range r.grouping.g.Resellers {
		out[rs.ID] = filepath.Join(SplitDir, names[i])
	}
	return out
}

// splitReports breaks r into one report per indirect reseller, in the order
// the run listed them, each holding only that reseller's customers. A
// customer of two resellers is in both. Customers reached directly or of
// unknown reseller are in none.
func splitReports(r *Report) ([]storage.Reseller, []*Report) {
	gr := r.grouping
	resellers := gr.g.Resellers
	subs := make([]*Report, len(resellers))
	at := make(map[string]int, len(resellers))
	for i, rs := range resellers {
		at[rs.ID] = i
		subs[i] = &Report{Run: r.Run, Previous: r.Previous, grouping: &grouping{
			g:        &storage.Grouping{Resellers: []storage.Reseller{rs}, ByCustomer: map[string][]string{}},
			standing: map[string]storage.Standing{},
			labels:   map[string]string{},
		}}
	}
	into := func(customerID string, add func(sub *Report)) {
		for _, gid := range gr.g.ByCustomer[customerID] {
			if i, ok := at[gid]; ok {
				add(subs[i])
			}
		}
	}
	for id, st := range gr.standing {
		into(id, func(sub *Report) {
			rs := sub.grouping.g.Resellers[0]
			sub.grouping.standing[id] = st
			sub.grouping.labels[id] = cmpOr(rs.Name, rs.ID)
			sub.grouping.g.ByCustomer[id] = []string{rs.ID}
		})
	}
	for _, m := range r.Missing {
		into(m.Customer.ID, func(sub *Report) { sub.Missing = append(sub.Missing, m) })
	}
	for _, o := range r.Outdated {
		into(o.Customer.ID, func(sub *Report) { sub.Outdated = append(sub.Outdated, o) })
	}
	for _, n := range r.New {
		into(n.Customer.ID, func(sub *Report) { sub.New = append(sub.New, n) })
	}
	for _, x := range r.Removed {
		into(x.Customer.ID, func(sub *Report) { sub.Removed = append(sub.Removed, x) })
	}
	for _, e := range r.Errors {
		into(e.Customer.ID, func(sub *Report) { sub.Errors = append(sub.Errors, e) })
	}
	for _, a := range r.Acceptances {
		into(a.Customer.ID, func(sub *Report) { sub.Acceptances = append(sub.Acceptances, a) })
	}
	for _, sub := range subs {
		sub.Summary = subSummary(sub)
		sub.Resellers = sub.grouping.rows(sub)
	}
	return resellers, subs
}

// subSummary counts a reseller's report from its customers' standings and
// rows. Joined and Left are the portfolio's, not a reseller's, and stay 0.
func subSummary(sub *Report) Summary {
	var s Summary
	for _, st := range sub.grouping.standing {
		s.Customers++
		switch st {
		case storage.StandingAccepted:
			s.Accepted++
		case storage.StandingDirectSigned:
			s.Accepted++
			s.DirectSigned++
		}
	}
	s.Missing, s.Outdated = len(sub.Missing), len(sub.Outdated)
	s.Blocked = s.Missing + s.Outdated
	s.New, s.Removed = len(sub.New), len(sub.Removed)
	for _, e := range sub.Errors {
		if e.NoRelationship {
			s.NoRelationship++
		}
	}
	s.Errors = len(sub.Errors) - s.NoRelationship
	for _, m := range sub.Missing {
		if m.Newly {
			s.NewlyMissing++
		}
	}
	for _, o := range sub.Outdated {
		if o.Newly {
			s.NewlyOutdated++
		}
	}
	return s
}

// writeSplit writes, inside the report's temporary folder dir, one folder
// per reseller under SplitDir with its own workbook and CSV files. The
// portfolio's trend is not a reseller's business and is left out.
func writeSplit(dir string, r *Report, opts WriteOptions, formats []string) error {
	resellers, subs := splitReports(r)
	base := filepath.Join(dir, SplitDir)
	if err := os.Mkdir(base, 0o750); err != nil {
		return fmt.Errorf("create %s: %w", SplitDir, err)
	}
	sub := opts
	sub.Trend = nil
	sub.splitPart = true
	names := folderNames(resellers)
	// Each reseller's workbook is small and costs mostly excelize's fixed
	// work: they are written side by side, one a processor, and the
	// files synced to disk together at the end instead of one by one.
	var g errgroup.Group
	g.SetLimit(runtime.GOMAXPROCS(0))
	for i, rs := range resellers {
		folder := filepath.Join(base, names[i])
		g.Go(func() error {
			if err := os.Mkdir(folder, 0o750); err != nil {
				return fmt.Errorf("create reseller folder: %w", err)
			}
			if slices.Contains(formats, FormatXLSX) {
				if err := writeXLSX(folder, subs[i], sub); err != nil {
					return fmt.Errorf("reseller %s: %w", rs.ID, err)
				}
			}
			if slices.Contains(formats, FormatCSV) {
				for _, t := range tables(subs[i]) {
					if err := writeCSVFile(folder, t, opts.CSVBOM, false); err != nil {
						return fmt.Errorf("reseller %s: %w", rs.ID, err)
					}
				}
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	return syncTree(base)
}
