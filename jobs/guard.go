package jobs

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/mcawatch/mcawatch/fetch"
	"github.com/mcawatch/mcawatch/storage"
)

// ErrPortfolioDrop is wrapped by a *DropError: the customer list lost
// more of the portfolio than customers.max_drop allows.
var ErrPortfolioDrop = errors.New("the customer list shrank suspiciously")

// DropLimit bounds how much of the previous complete run's portfolio one
// sweep may lose: it is refused when more than Count customers are gone
// and, when Percent is above 0, more than Percent of them. A list of zero
// customers is always refused. The zero DropLimit refuses any loss.
type DropLimit struct {
	Percent float64
	Count   int
}

// DefaultDropLimit is the limit when none is given: more than 10% and more
// than 10 customers.
var DefaultDropLimit = DropLimit{Percent: 10, Count: 10}

// String reads like the config value.
func (l DropLimit) String() string {
	if l.Percent > 0 {
		return fmt.Sprintf("more than %g%% and more than %d customers", l.Percent, l.Count)
	}
	return fmt.Sprintf("more than %d customers", l.Count)
}

// exceeded reports whether losing lost of from customers is beyond l.
func (l DropLimit) exceeded(lost, from int) bool {
	if lost <= l.Count {
		return false
	}
	return l.Percent <= 0 || float64(lost)*100 > l.Percent*float64(from)
}

// DropError is a sweep refused before it stored anything because its
// customer list shrank: From customers in the previous complete run (0 if
// there is none), To now, Lost of the previous ones gone.
type DropError struct {
	From, To, Lost int
	PreviousRun    int64
	Limit          DropLimit
}

func (e *DropError) Error() string {
	var b strings.Builder
	if e.To == 0 {
		fmt.Fprintf(&b, "the customer list shrank from %d to 0 customers: Partner Center listed none", e.From)
	} else {
		fmt.Fprintf(&b, "the customer list shrank from %d to %d customers: %d of run %d's customers are gone, beyond customers.max_drop (%s)",
			e.From, e.To, e.Lost, e.PreviousRun, e.Limit)
	}
	b.WriteString("; nothing was stored. If the portfolio really shrank, confirm with --accept-drop")
	return b.String()
}

// Unwrap makes errors.Is(err, ErrPortfolioDrop) true.
func (e *DropError) Unwrap() error { return ErrPortfolioDrop }

// checkDrop compares the listed customers with the previous complete run's
// and refuses a suspicious shrink. It runs before BeginRun, so a refused
// sweep leaves no run behind and the next good run is diffed against the
// last good one (no old acceptances shown as New).
func checkDrop(db *storage.DB, customers []fetch.Customer, opts SweepOptions) error {
	if opts.AcceptDrop {
		return nil
	}
	limit := DefaultDropLimit
	if opts.MaxDrop != nil {
		limit = *opts.MaxDrop
	}
	prev, err := db.LatestRun(storage.StateComplete)
	switch {
	case errors.Is(err, storage.ErrNotFound):
		if len(customers) == 0 {
			return &DropError{Limit: limit}
		}
		return nil
	case err != nil:
		return fmt.Errorf("previous complete run: %w", err)
	}
	if len(customers) == 0 {
		return &DropError{From: prev.Customers, PreviousRun: prev.ID, Limit: limit}
	}
	before, err := db.RunCustomers(prev.ID)
	if err != nil {
		return err
	}
	now := make(map[string]struct{}, len(customers))
	for _, c := range customers {
		now[strings.ToLower(c.ID)] = struct{}{}
	}
	lost := 0
	for _, c := range before {
		if _, ok := now[c.ID]; !ok {
			lost++
		}
	}
	if limit.exceeded(lost, len(before)) {
		return &DropError{From: len(before), To: len(customers), Lost: lost, PreviousRun: prev.ID, Limit: limit}
	}
	return nil
}

// CheckReportDir makes sure reports can be written to dir before a sweep
// spends hours fetching: it creates the folder and a temporary file in it,
// then removes the file.
func CheckReportDir(dir string) error {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("report folder %s cannot be created: %w", dir, err)
	}
	f, err := os.CreateTemp(dir, ".mcawatch-probe-*")
	if err != nil {
		return fmt.Errorf("report folder %s is not writable: %w", dir, err)
	}
	name := f.Name()
	cerr := f.Close()
	if err := os.Remove(name); err != nil {
		return fmt.Errorf("report folder %s: remove %s: %w", dir, filepath.Base(name), err)
	}
	if cerr != nil {
		return fmt.Errorf("report folder %s is not writable: %w", dir, cerr)
	}
	return nil
}
