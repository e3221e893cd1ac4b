package report

import (
	"cmp"
	"slices"
	"strings"

	"github.com/mcawatch/mcawatch/storage"
)

// The group ids of customers that have no reseller: reached directly, or,
// when a reseller's listing failed and nothing could be carried, unknown.
const (
	GroupDirect  = "direct"
	GroupUnknown = "unknown"
)

// ResellerRow is one line of the Resellers sheet and resellers.csv: an
// indirect reseller's customers by standing. A customer reached through two
// resellers is counted under both (and once in the Summary's totals).
type ResellerRow struct {
	ID   string // the reseller's tenant id, or GroupDirect / GroupUnknown
	Name string
	// Customers counts every customer of the reseller; Accepted (current or
	// direct-signed), Outdated, Missing and Errors split them. Blocked is
	// Missing + Outdated, NewlyBlocked those of them newly so.
	Customers, Accepted, Outdated, Missing, Errors, Blocked, NewlyBlocked int
	// Error is why the reseller's customers could not be listed this run;
	// its customers are then those carried from the last run.
	Error string
}

// grouping is what Group adds to a report: the stored assignment, each
// customer's standing and the reseller column's text per customer.
type grouping struct {
	g        *storage.Grouping
	standing map[string]storage.Standing // customer id → standing; StandingError for a failed query
	labels   map[string]string           // customer id → reseller column text
}

// Group breaks r down by indirect reseller: the Resellers sheet and
// resellers.csv, and a reseller column on Missing, Outdated, New and
// Errors. cur is the snapshot r was diffed from; g the run's stored
// assignment. A customer with no reseller is "direct", or "unknown" when a
// listing failed and nothing was carried.
func Group(r *Report, cur *storage.Snapshot, g *storage.Grouping) {
	gr := &grouping{g: g, standing: make(map[string]storage.Standing, len(cur.Customers)),
		labels: make(map[string]string, len(cur.Customers))}
	run := cur.Run
	for i := range cur.Customers {
		res := &cur.Customers[i].Result
		st := storage.StandingError
		if res.Status == storage.StatusOK {
			st = res.Standing(run.Required, run.CurrentSince)
		}
		gr.standing[res.Customer.ID] = st
	}
	r.grouping = gr
	gr.label(r)
	r.Resellers = gr.rows(r)
}

// groupsOf returns the group ids of a customer: its resellers, or direct,
// or unknown.
func (gr *grouping) groupsOf(customerID string) []string {
	if ids := gr.g.ByCustomer[customerID]; len(ids) > 0 {
		return ids
	}
	if gr.g.Complete() {
		return []string{GroupDirect}
	}
	return []string{GroupUnknown}
}

// label fills the reseller column's text of every customer: its resellers'
// names joined by "; ".
func (gr *grouping) label(r *Report) {
	names := make(map[string]string, len(gr.g.Resellers))
	for _, rs := range gr.g.Resellers {
		names[rs.ID] = cmp.Or(rs.Name, rs.ID)
	}
	for id := range gr.standing {
		groups := gr.groupsOf(id)
		parts := make([]string, len(groups))
		for i, gid := range groups {
			parts[i] = cmp.Or(names[gid], gid)
		}
		gr.labels[id] = strings.Join(parts, "; ")
	}
}

// rows counts each group's customers; sorted by blocked customers (most
// first), then name and id.
func (gr *grouping) rows(r *Report) []ResellerRow {
	newly := map[string]bool{}
	for _, m := range r.Missing {
		if m.Newly {
			newly[m.Customer.ID] = true
		}
	}
	for _, o := range r.Outdated {
		if o.Newly {
			newly[o.Customer.ID] = true
		}
	}
	at := map[string]int{}
	var out []ResellerRow
	for _, rs := range gr.g.Resellers {
		at[rs.ID] = len(out)
		out = append(out, ResellerRow{ID: rs.ID, Name: rs.Name, Error: rs.Error})
	}
	for id, st := range gr.standing {
		for _, gid := range gr.groupsOf(id) {
			i, ok := at[gid]
			if !ok {
				i = len(out)
				at[gid] = i
				out = append(out, ResellerRow{ID: gid, Name: gid})
			}
			row := &out[i]
			row.Customers++
			switch st {
			case storage.StandingAccepted, storage.StandingDirectSigned:
				row.Accepted++
			case storage.StandingOutdated:
				row.Outdated++
			case storage.StandingMissing:
				row.Missing++
			default:
				row.Errors++
			}
			if newly[id] {
				row.NewlyBlocked++
			}
		}
	}
	for i := range out {
		out[i].Blocked = out[i].Missing + out[i].Outdated
	}
	slices.SortFunc(out, func(a, b ResellerRow) int {
		return cmp.Or(cmp.Compare(b.Blocked, a.Blocked), compareFold(a.Name, b.Name), strings.Compare(a.ID, b.ID))
	})
	return out
}

// Grouped reports whether r is broken down by reseller (see Group).
func (r *Report) Grouped() bool { return r.grouping != nil }

// resellerLabel is the reseller column's text for a customer.
func (r *Report) resellerLabel(customerID string) string {
	return r.grouping.labels[customerID]
}

// resellerTable is the Resellers sheet and resellers.csv.
func resellerTable(r *Report) table {
	row := func(i int, dst []cell) []cell {
		x := &r.Resellers[i]
		return append(dst[:0], textCell(x.ID), textCell(x.Name), numberCell(x.Customers), numberCell(x.Accepted),
			numberCell(x.Outdated), numberCell(x.Missing), numberCell(x.Errors), numberCell(x.Blocked),
			numberCell(x.NewlyBlocked), textCell(x.Error))
	}
	return table{
		sheet: "Resellers", file: "resellers.csv",
		columns: []string{"reseller_id", "reseller_name", "customers", "accepted", "outdated", "missing",
			"errors", "blocked", "newly_blocked", "error"},
		headers: []string{"Reseller ID", "Reseller", "Customers", "Accepted", "Outdated", "Missing",
			"Errors", "Blocked for orders", "Newly blocked", "Listing failed"},
		rows:     len(r.Resellers),
		row:      row,
		sheetRow: row,
	}
}

// withResellerColumn adds the trailing reseller column to t; id gives row
// i's customer id.
func withResellerColumn(r *Report, t table, id func(i int) string) table {
	t.columns = append(slices.Clone(t.columns), "reseller")
	t.headers = append(slices.Clone(t.headers), "Reseller")
	row, sheetRow := t.row, t.sheetRow
	t.row = func(i int, dst []cell) []cell { return append(row(i, dst), textCell(r.resellerLabel(id(i)))) }
	t.sheetRow = func(i int, dst []cell) []cell { return append(sheetRow(i, dst), textCell(r.resellerLabel(id(i)))) }
	return t
}

// groupedTables is tables(r) of a grouped report: the Resellers table
// first, and the reseller column on Missing, Outdated, New and Errors. An
// ungrouped report's files stay exactly the contract's.
func groupedTables(r *Report, ts []table) []table {
	out := make([]table, 0, len(ts)+1)
	out = append(out, resellerTable(r))
	for _, t := range ts {
		switch t.sheet {
		case "Missing":
			t = withResellerColumn(r, t, func(i int) string { return r.Missing[i].Customer.ID })
		case "Outdated":
			t = withResellerColumn(r, t, func(i int) string { return r.Outdated[i].Customer.ID })
		case "New":
			t = withResellerColumn(r, t, func(i int) string { return r.New[i].Customer.ID })
		case "Errors":
			t = withResellerColumn(r, t, func(i int) string { return r.Errors[i].Customer.ID })
		}
		out = append(out, t)
	}
	return out
}
