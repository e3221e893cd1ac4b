package jobs

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/mcawatch/mcawatch/storage"
)

// Resumable is the run --resume continues: the newest interrupted run,
// provided no run completed after it. ErrNothingToResume when no run is
// interrupted; an error matching storage.ErrStaleRun when the newest
// interrupted run is older than a complete run. A caller builds its client from the returned run's
// stored settings (Types, Required, CurrentSince), because a resumed run
// must finish with the configuration it started with.
func Resumable(db *storage.DB) (storage.Run, error) {
	run, err := db.Resumable()
	switch {
	case errors.Is(err, storage.ErrNotFound):
		return storage.Run{}, ErrNothingToResume
	case errors.Is(err, storage.ErrStaleRun):
		return storage.Run{}, fmt.Errorf("%w: resuming it would mix customers from different days and diff against the wrong run; start a new sweep without --resume", err)
	case err != nil:
		return storage.Run{}, err
	}
	return run, nil
}

// SettingsChanged lists, in words, the settings of opts that differ from
// those run was started with; empty when they agree.
func SettingsChanged(run storage.Run, types []string, required string, currentSince time.Time) []string {
	var out []string
	if !slices.Equal(run.Types, types) {
		out = append(out, fmt.Sprintf("agreements.types was [%s], now [%s]", strings.Join(run.Types, ", "), strings.Join(types, ", ")))
	}
	if run.Required != required {
		out = append(out, fmt.Sprintf("agreements.required was %s, now %s", run.Required, required))
	}
	if !run.CurrentSince.Equal(currentSince) {
		out = append(out, fmt.Sprintf("agreements.current_since was %s, now %s", dateOrOff(run.CurrentSince), dateOrOff(currentSince)))
	}
	return out
}

func dateOrOff(t time.Time) string {
	if t.IsZero() {
		return "off"
	}
	return t.UTC().Format(time.DateOnly)
}
