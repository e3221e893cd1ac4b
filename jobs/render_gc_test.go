package jobs

import (
	"runtime/debug"
	"testing"
)

// gcPercent reads the collector's target (setting it to what it was).
func gcPercent() int {
	p := debug.SetGCPercent(100)
	debug.SetGCPercent(p)
	return p
}

// Writing a report lowers the collector's target and puts it back after;
// a lower target (or GOGC=off) set by the user is left alone.
func TestCollectSooner_LowersThenRestores(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	restore := collectSooner(50)
	if got := gcPercent(); got != 50 {
		t.Fatalf("while writing: GC percent %d, want 50", got)
	}
	restore()
	if got := gcPercent(); got != 100 {
		t.Fatalf("after writing: GC percent %d, want 100 back", got)
	}
	for _, user := range []int{20, -1} {
		debug.SetGCPercent(user)
		restore := collectSooner(50)
		if got := gcPercent(); got != user {
			t.Fatalf("user's GC percent %d became %d while writing", user, got)
		}
		restore()
		if got := gcPercent(); got != user {
			t.Fatalf("user's GC percent %d became %d after writing", user, got)
		}
	}
}
