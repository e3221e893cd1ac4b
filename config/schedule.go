package config

import (
	"fmt"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// ParseSchedule parses a cron spec the way the scheduler will: five fields
// (minute hour day-of-month month day-of-week) or a descriptor (@daily,
// @every 1h), optionally prefixed by CRON_TZ=Zone or TZ=Zone and a space;
// without a zone, times are in the machine's local zone. Every problem is a
// clear error, never a panic: robfig/cron v3.0.1 panics on a zone prefix
// that no space follows, so the prefix is checked here first and the parser
// runs under recover as well.
func ParseSchedule(spec string) (sched cron.Schedule, err error) {
	spec = strings.TrimSpace(spec)
	if spec == "" {
		return nil, fmt.Errorf("cron schedule: must not be empty")
	}
	if err := checkZonePrefix(spec); err != nil {
		return nil, fmt.Errorf("cron schedule: %w", err)
	}
	defer func() {
		if r := recover(); r != nil {
			sched, err = nil, fmt.Errorf("cron schedule: %q cannot be parsed (%v)", shorten(spec), r)
		}
	}()
	sched, err = cron.ParseStandard(spec)
	if err != nil {
		return nil, fmt.Errorf("cron schedule: %s", explainCron(spec, err))
	}
	// The five-year search in Next gives up on dates that never come (30 February).
	if sched.Next(time.Now()).IsZero() {
		return nil, fmt.Errorf("cron schedule: %q never fires (no such date)", shorten(spec))
	}
	return sched, nil
}

// checkZonePrefix checks a leading CRON_TZ= or TZ= before the cron parser
// sees it: the zone must be named, and a space must separate it from the
// schedule.
func checkZonePrefix(spec string) error {
	var prefix string
	switch {
	case strings.HasPrefix(spec, "CRON_TZ="):
		prefix = "CRON_TZ="
	case strings.HasPrefix(spec, "TZ="):
		prefix = "TZ="
	default:
		return nil
	}
	zone, rest, ok := strings.Cut(spec[len(prefix):], " ")
	switch {
	case !ok || strings.TrimSpace(rest) == "":
		return fmt.Errorf("%q has a time zone but no schedule after it; write e.g. %s0 2 * * *", shorten(spec), prefix+orUTC(zone)+" ")
	case zone == "":
		return fmt.Errorf("%s needs a zone name, e.g. %sUTC", prefix, prefix)
	case strings.ContainsAny(zone, "\t\n\r"):
		return fmt.Errorf("separate the time zone from the schedule with a space")
	}
	if _, err := time.LoadLocation(zone); err != nil {
		return fmt.Errorf("unknown time zone %q (use an IANA name like UTC or Europe/Stockholm)", shorten(zone))
	}
	return nil
}

func orUTC(zone string) string {
	if zone == "" || strings.ContainsAny(zone, " \t\n\r") {
		return "UTC"
	}
	return shorten(zone)
}

// explainCron adds a hint to the cron parser's errors for the common mistake
// of a sixth (seconds) field.
func explainCron(spec string, err error) string {
	body := spec
	if strings.HasPrefix(spec, "CRON_TZ=") || strings.HasPrefix(spec, "TZ=") {
		_, body, _ = strings.Cut(spec, " ")
	}
	n := len(strings.Fields(body))
	if !strings.HasPrefix(strings.TrimSpace(body), "@") && n != 5 {
		return fmt.Sprintf("%q has %d fields, want 5: minute hour day-of-month month day-of-week (seconds are not supported), or a descriptor like @daily", shorten(spec), n)
	}
	return fmt.Sprintf("%q: %v", shorten(spec), err)
}
