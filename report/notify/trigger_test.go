package notify

import (
	"strings"
	"testing"
)

func TestReasons_FiresOnlyTheConfiguredTriggersThatHappened(t *testing.T) {
	all := Triggers()
	quiet := sampleMessage(0, 0)
	quiet.Removed, quiet.Counts.Removed, quiet.Counts.Errors = nil, 0, 0
	failed := Message{RunID: 9, RunKind: "run", Outcome: OutcomeFailed, Reason: "token was refused",
		Counts: Counts{Errors: 3, NewlyMissing: 1}}
	interrupted := Message{RunID: 9, RunKind: "backfill", Outcome: OutcomeInterrupted, Reason: "SIGTERM"}
	errorsOnly := quiet
	errorsOnly.Counts.Errors = 1
	tests := []struct {
		name string
		on   []string
		m    Message
		want string
	}{
		{"everything happened", all, sampleMessage(2, 1), "newly_missing,newly_outdated,removed,errors"},
		{"only newly outdated configured", []string{"newly_outdated"}, sampleMessage(2, 1), "newly_outdated"},
		{"nothing changed", all, quiet, ""},
		{"an error alone", all, errorsOnly, "errors"},
		{"an error, errors not configured", []string{"newly_missing", "failed"}, errorsOnly, ""},
		{"failed sweep: only failed fires, whatever its counts", all, failed, "failed"},
		{"interrupted sweep is failed too", []string{"failed"}, interrupted, "failed"},
		{"failed sweep, failed not configured", []string{"newly_missing", "errors"}, failed, ""},
		{"no triggers configured", nil, sampleMessage(2, 1), ""},
		{"a test message fires nothing", all, TestMessage(started), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := strings.Join(Reasons(tt.on, tt.m), ",")
			if got != tt.want {
				t.Fatalf("Reasons()=%q, want %q", got, tt.want)
			}
			if got, want := ShouldSend(tt.on, tt.m), tt.want != ""; got != want {
				t.Fatalf("ShouldSend()=%v, want %v", got, want)
			}
		})
	}
}

func TestValidateTriggers_NamesTheUnknownValue(t *testing.T) {
	if err := ValidateTriggers(Triggers()); err != nil {
		t.Fatalf("ValidateTriggers(all)=%v, want nil", err)
	}
	err := ValidateTriggers([]string{"newly_missing", "missing"})
	if err == nil || !strings.Contains(err.Error(), `"missing"`) || !strings.Contains(err.Error(), "newly_outdated") {
		t.Fatalf("ValidateTriggers()=%v, want it to name \"missing\" and the values allowed", err)
	}
}

func TestMessage_Title_SaysWhatHappened(t *testing.T) {
	quiet := sampleMessage(0, 0)
	quiet.Removed, quiet.Counts.Removed, quiet.Counts.Errors = nil, 0, 0
	tests := []struct {
		name string
		m    Message
		want string
	}{
		{"changes", sampleMessage(3, 0), "mcawatch run 42: 3 newly missing, 1 removed, 2 errors"},
		{"quiet night", quiet, "mcawatch run 42: 250 blocked for orders, nothing new"},
		{"failed", Message{RunID: 7, RunKind: "backfill", Outcome: OutcomeFailed}, "mcawatch backfill 7 failed"},
		{"interrupted", Message{RunID: 7, Outcome: OutcomeInterrupted}, "mcawatch run 7 was interrupted"},
		{"test", TestMessage(started), "mcawatch: test message"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.m.Title(); got != tt.want {
				t.Fatalf("Title()=%q, want %q", got, tt.want)
			}
		})
	}
}

func TestPayload_FailedSweepSaysWhyInEveryFormat(t *testing.T) {
	m := Message{RunID: 12, RunKind: "run", Started: started, Finished: finished, Outcome: OutcomeFailed,
		Reason: "authentication failed: the refresh token has expired"}
	for _, f := range []Format{FormatTeams, FormatSlack, FormatJSON} {
		t.Run(string(f), func(t *testing.T) {
			b, err := Payload(f, m)
			if err != nil {
				t.Fatal(err)
			}
			for _, want := range []string{"mcawatch run 12 failed", "the refresh token has expired"} {
				if !strings.Contains(string(b), want) {
					t.Fatalf("payload lacks %q:\n%s", want, b)
				}
			}
		})
	}
	text := emailText(m, "No workbook was written for this run, so none is attached.")
	if !strings.Contains(text, "The run failed: authentication failed: the refresh token has expired. No report was written for this run.") {
		t.Fatalf("email text:\n%s", text)
	}
}
