package notify

import (
	"strings"
	"testing"
)

// TestPayload_FailedSweepShowsNoCounts: a sweep that failed has no report,
// so no format shows a table of zero counts as if it were one.
func TestPayload_FailedSweepShowsNoCounts(t *testing.T) {
	m := Message{RunID: 12, RunKind: "run", Started: started, Finished: finished, Outcome: OutcomeFailed,
		Reason: "list customers: the token was refused"}
	for _, f := range []Format{FormatTeams, FormatSlack} {
		b, err := Payload(f, m)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(b), "Blocked for orders") {
			t.Errorf("%s payload of a failed sweep shows counts:\n%s", f, b)
		}
	}
	if text := emailText(m, ""); strings.Contains(text, "Counts") {
		t.Errorf("email text of a failed sweep shows counts:\n%s", text)
	}
	html, err := emailHTML(m, "")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(html, "Blocked for orders") {
		t.Errorf("email HTML of a failed sweep shows counts:\n%s", html)
	}
	ok := sampleMessage(1, 0)
	if text := emailText(ok, ""); !strings.Contains(text, "Blocked for orders: ") {
		t.Errorf("email text of a finished run lacks its counts:\n%s", text)
	}
}

// TestMessage_Title_SweepWithoutARun: a sweep refused before its run was
// stored (its token refused) is not called "run 0".
func TestMessage_Title_SweepWithoutARun(t *testing.T) {
	m := Message{RunKind: "run", Outcome: OutcomeFailed, Reason: "list customers: the token was refused"}
	if got, want := m.Title(), "mcawatch run failed"; got != want {
		t.Fatalf("Title()=%q, want %q", got, want)
	}
	if got, want := (Message{RunKind: "backfill", Outcome: OutcomeInterrupted}).Title(), "mcawatch backfill was interrupted"; got != want {
		t.Fatalf("Title()=%q, want %q", got, want)
	}
}
