package notify

import (
	"fmt"
	"strings"
)

// The notify.on values: what makes a run worth a message.
const (
	TriggerNewlyMissing  = "newly_missing"  // a customer is missing now that was not at the previous run
	TriggerNewlyOutdated = "newly_outdated" // a customer is outdated now that was not at the previous run
	TriggerRemoved       = "removed"        // an acceptance record is gone
	TriggerErrors        = "errors"         // any customer's answer was an error
	TriggerFailed        = "failed"         // the sweep failed or was interrupted
)

// Triggers lists every notify.on value, in the order messages name them.
func Triggers() []string {
	return []string{TriggerNewlyMissing, TriggerNewlyOutdated, TriggerRemoved, TriggerErrors, TriggerFailed}
}

// ValidateTriggers checks notify.on values, naming the first unknown one
// and the values allowed.
func ValidateTriggers(on []string) error {
	for _, t := range on {
		if !isTrigger(t) {
			return fmt.Errorf("unknown notify trigger %q: use %s", t, strings.Join(Triggers(), ", "))
		}
	}
	return nil
}

func isTrigger(t string) bool {
	for _, k := range Triggers() {
		if t == k {
			return true
		}
	}
	return false
}

// Reasons lists the triggers of on that m fires, in the order of
// Triggers(). A failed or interrupted sweep fires only "failed": its counts
// are not a finished report's. A test message fires nothing.
func Reasons(on []string, m Message) []string {
	if m.Test {
		return nil
	}
	fired := map[string]bool{}
	if m.Outcome == OutcomeFailed || m.Outcome == OutcomeInterrupted {
		fired[TriggerFailed] = true
	} else {
		fired[TriggerNewlyMissing] = m.Counts.NewlyMissing > 0 || len(m.NewlyMissing) > 0
		fired[TriggerNewlyOutdated] = m.Counts.NewlyOutdated > 0 || len(m.NewlyOutdated) > 0
		fired[TriggerRemoved] = m.Counts.Removed > 0 || len(m.Removed) > 0
		fired[TriggerErrors] = m.Counts.Errors > 0
	}
	want := map[string]bool{}
	for _, t := range on {
		want[t] = true
	}
	var out []string
	for _, t := range Triggers() {
		if want[t] && fired[t] {
			out = append(out, t)
		}
	}
	return out
}

// ShouldSend reports whether any trigger of on fires for m.
func ShouldSend(on []string, m Message) bool {
	return len(Reasons(on, m)) > 0
}
