package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"strings"

	"github.com/mcawatch/mcawatch/fetch"
	"github.com/mcawatch/mcawatch/storage"
)

// storeGrouping lists run's reseller assignment (see groupByReseller) and
// stores it with the run; a resumed run that has one keeps it. A failure
// to store it is logged: the report is then not broken down, which costs
// less than the night.
func storeGrouping(ctx context.Context, db *storage.DB, client *fetch.Client, run storage.Run, log *slog.Logger) error {
	if _, err := db.LoadGrouping(run.ID); err == nil {
		return nil
	}
	stored, err := db.RunCustomers(run.ID)
	if err != nil {
		return &storeError{fmt.Errorf("customers of run %d: %w", run.ID, err)}
	}
	g, err := groupByReseller(ctx, db, client, toFetchCustomers(stored), log)
	if err != nil || g == nil {
		return err
	}
	if err := db.SaveGrouping(run.ID, g); err != nil {
		log.Error("store reseller assignment", "err", err)
	}
	return nil
}

// groupByReseller lists the partner's indirect resellers and each one's
// customers through the sweep's own client (so the same adaptive rate, and
// the requests count in its stats), and says through which reseller(s) each
// customer is reached.
//
// A reseller whose listing failed is that reseller's error, never a
// customer's: a customer listed by no reseller while some listing failed is
// not called direct. It keeps the failed resellers the last grouped run
// gave it (carried), or stays without one, which the report calls
// "unknown". When the reseller list itself cannot be read, the last run's
// resellers are carried whole, each with that error; with no earlier run
// there is nothing to group by and the result is nil (the sweep goes on).
// Only an authentication failure or the end of ctx is returned as an error.
func groupByReseller(ctx context.Context, db *storage.DB, client *fetch.Client, customers []fetch.Customer, log *slog.Logger) (*storage.Grouping, error) {
	prev, err := db.LatestGrouping(math.MaxInt64)
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		log.Warn("previous reseller assignment unavailable", "err", err)
	}
	resellers, err := client.ListResellers(ctx)
	if err != nil {
		if ctx.Err() != nil || isAuthFailure(err) {
			return nil, fmt.Errorf("list resellers: %w", err)
		}
		log.Warn("reseller list unavailable", "err", err)
		if prev == nil {
			return nil, nil
		}
		g := &storage.Grouping{ByCustomer: map[string][]string{}, Carried: map[string]bool{}}
		for _, r := range prev.Resellers {
			g.Resellers = append(g.Resellers, storage.Reseller{ID: r.ID, Name: r.Name, Error: "reseller list unavailable: " + describeErr(err)})
		}
		carry(g, prev, customers)
		return g, nil
	}
	a, err := client.ResellerAssignments(ctx, resellers)
	if err != nil {
		return nil, err
	}
	g := &storage.Grouping{ByCustomer: make(map[string][]string, len(a.ByCustomer)), Carried: map[string]bool{}, Requests: a.Requests}
	failed := make(map[string]string, len(a.Failed))
	for _, f := range a.Failed {
		failed[strings.ToLower(f.Reseller.ID)] = describeErr(f.Err)
	}
	for _, r := range resellers {
		id := strings.ToLower(r.ID)
		g.Resellers = append(g.Resellers, storage.Reseller{ID: id, Name: r.Name, Error: failed[id]})
	}
	for cust, ids := range a.ByCustomer {
		low := make([]string, len(ids))
		for i, id := range ids {
			low[i] = strings.ToLower(id)
		}
		g.ByCustomer[cust] = low
	}
	if len(a.Failed) > 0 && prev != nil {
		carry(g, prev, customers)
	}
	if len(a.Failed) > 0 {
		log.Warn("some resellers' customers could not be listed", "failed", len(a.Failed), "resellers", len(resellers))
	}
	return g, nil
}

// carry gives each customer the resellers prev assigned it that failed in
// g: whether they still reach it is not known this run, and the last
// answer is the best guess.
func carry(g, prev *storage.Grouping, customers []fetch.Customer) {
	failed := map[string]bool{}
	for _, r := range g.Resellers {
		if r.Error != "" {
			failed[r.ID] = true
		}
	}
	for _, c := range customers {
		id := strings.ToLower(c.ID)
		for _, rid := range prev.ByCustomer[id] {
			if failed[rid] && !slices.Contains(g.ByCustomer[id], rid) {
				g.ByCustomer[id] = append(g.ByCustomer[id], rid)
				g.Carried[id] = true
			}
		}
	}
	order := make(map[string]int, len(g.Resellers))
	for i, r := range g.Resellers {
		order[r.ID] = i
	}
	for id := range g.Carried {
		slices.SortFunc(g.ByCustomer[id], func(a, b string) int { return order[a] - order[b] })
	}
}

// isAuthFailure reports whether err is one no further request can get
// past.
func isAuthFailure(err error) bool {
	return errors.Is(err, fetch.ErrUnauthorized) || errors.Is(err, fetch.ErrMFARequired) || errors.Is(err, fetch.ErrNoToken)
}

// describeErr is a listing's failure as one readable line: the HTTP status
// and error code when there was an answer, then the message.
func describeErr(err error) string {
	status, code, msg := fetch.ErrorFields(err)
	var b strings.Builder
	if status != 0 {
		fmt.Fprintf(&b, "HTTP %d", status)
	}
	if code != "" {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "(%s)", code)
	}
	if msg != "" {
		if b.Len() > 0 {
			b.WriteString(": ")
		}
		b.WriteString(msg)
	}
	if b.Len() == 0 {
		return err.Error()
	}
	return b.String()
}
