package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"

	"github.com/mcawatch/mcawatch/storage"
)

// customerIDPattern is a customer tenant id as Partner Center writes it.
var customerIDPattern = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// runHistory is "mcawatch history CUSTOMER-ID": one customer's standing
// across the stored complete runs, collapsed into spans, its acceptance
// records with when each first and last appeared, and its errors. It only
// reads: a missing database is a usage error naming the path (exit 2), an
// id that is not a GUID too; a customer no stored run lists is exit 1,
// since the command was right and the database answered "not here".
func (m *Main) runHistory(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("history", flag.ContinueOnError)
	fs.SetOutput(m.Stderr)
	var c commonFlags
	c.register(fs, false)
	asJSON := fs.Bool("json", false, "print the history as one JSON object")
	// The id may come before the flags or after them.
	var id string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		id, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return usage(err)
	}
	rest := fs.Args()
	if id == "" && len(rest) > 0 {
		id, rest = rest[0], rest[1:]
	}
	switch {
	case len(rest) > 0:
		return usage(fmt.Errorf("history: unexpected argument %q (one customer id at a time)", rest[0]))
	case id == "":
		return usage(errors.New("history: name the customer: mcawatch history CUSTOMER-ID"))
	case !customerIDPattern.MatchString(id):
		return usage(fmt.Errorf("history: %q is not a customer id: want its tenant GUID, like 0f2c1a3e-5b7d-4c9e-8a1b-2d3e4f5a6b7c", id))
	}
	cfg, db, err := m.openStore(c)
	if err != nil {
		return err
	}
	defer db.Close()
	h, err := db.History(ctx, id)
	if errors.Is(err, storage.ErrNotFound) {
		return fmt.Errorf("customer %s is in no stored run of %s: check the id, or the database (--db)", strings.ToLower(id), cfg.Storage.Path)
	}
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(m.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(h)
	}
	printHistory(m.Stdout, h)
	return nil
}

// standingWords are the standings as the text output says them.
var standingWords = map[storage.Standing]string{
	storage.StandingAccepted:     "accepted",
	storage.StandingDirectSigned: "direct-signed",
	storage.StandingOutdated:     "outdated",
	storage.StandingMissing:      "missing",
	storage.StandingError:        "error",
	storage.StandingNotListed:    "not listed",
}

func day(t time.Time) string { return t.UTC().Format(time.DateOnly) }

// runRange is "run 4" or "runs 1–3".
func runRange(from, to int64) string {
	if from == to {
		return fmt.Sprintf("run %d", from)
	}
	return fmt.Sprintf("runs %d–%d", from, to)
}

// printHistory writes h for a person: who the customer is, its standing
// span by span ("missing 2026-03-01 → 2026-03-09", "accepted since
// 2026-03-10"), its acceptance records and its errors.
func printHistory(w io.Writer, h storage.History) {
	c := h.Customer
	fmt.Fprintf(w, "Customer %s", c.ID)
	if c.CompanyName != "" {
		fmt.Fprintf(w, " %s", c.CompanyName)
	}
	if c.Domain != "" {
		fmt.Fprintf(w, " (%s)", c.Domain)
	}
	fmt.Fprintln(w)

	fmt.Fprintln(w, "\nStanding:")
	if len(h.Spans) == 0 {
		fmt.Fprintln(w, "  no complete run lists it yet")
	}
	for _, s := range h.Spans {
		word := standingWords[s.Standing]
		if word == "" {
			word = string(s.Standing)
		}
		switch {
		case s.Current:
			fmt.Fprintf(w, "  %s since %s (%s)\n", word, day(s.From), runRange(s.FromRun, s.ToRun))
		case s.FromRun == s.ToRun:
			fmt.Fprintf(w, "  %s %s (%s)\n", word, day(s.From), runRange(s.FromRun, s.ToRun))
		default:
			fmt.Fprintf(w, "  %s %s → %s (%s)\n", word, day(s.From), day(s.To), runRange(s.FromRun, s.ToRun))
		}
	}

	fmt.Fprintln(w, "\nAcceptances:")
	if len(h.Records) == 0 {
		fmt.Fprintln(w, "  none seen")
	}
	for _, r := range h.Records {
		a := r.Acceptance
		dated := "undated"
		if !a.DateAgreed.IsZero() {
			dated = "dated " + day(a.DateAgreed)
		}
		fmt.Fprintf(w, "  %s %s", a.Type, dated)
		if a.TemplateID != "" {
			fmt.Fprintf(w, ", template %s", a.TemplateID)
		}
		if contact := contactText(a); contact != "" {
			fmt.Fprintf(w, ", by %s", contact)
		}
		fmt.Fprintf(w, ": first seen %s (run %d)", day(r.FirstSeen), r.FirstRun)
		if r.Current {
			fmt.Fprintln(w, ", still held")
		} else {
			fmt.Fprintf(w, ", last seen %s (run %d)\n", day(r.LastSeen), r.LastRun)
		}
	}

	fmt.Fprintln(w, "\nErrors:")
	if len(h.Errors) == 0 {
		fmt.Fprintln(w, "  none")
	}
	for _, e := range h.Errors {
		fmt.Fprintf(w, "  %s (run %d): HTTP %d", day(e.Started), e.RunID, e.HTTPStatus)
		if e.ErrorCode != "" {
			fmt.Fprintf(w, ", code %s", e.ErrorCode)
		}
		if e.Message != "" {
			fmt.Fprintf(w, ": %s", e.Message)
		}
		fmt.Fprintf(w, " (%d attempts)\n", e.Attempts)
	}
}

// contactText is "Name <email>", or whichever of the two is known.
func contactText(a storage.Acceptance) string {
	switch {
	case a.ContactEmail == "":
		return a.ContactName
	case a.ContactName == "":
		return a.ContactEmail
	}
	return a.ContactName + " <" + a.ContactEmail + ">"
}
