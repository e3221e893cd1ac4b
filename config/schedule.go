package config

import (
	"fmt"
	"regexp"
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
	if err := checkInterval(spec, sched); err != nil {
		return nil, fmt.Errorf("cron schedule: %w", err)
	}
	return sched, nil
}

// MinInterval is the shortest time between two scheduled sweeps. A sweep
// of a real portfolio takes minutes; robfig/cron rounds "@every 0s" (and
// 1ns, and -1s) up to one second, which would start a sweep every second.
const MinInterval = time.Minute

// checkInterval refuses an "@every" schedule shorter than MinInterval. The
// duration is read from the spec itself, because the parsed schedule has
// already rounded a zero or negative one up to a second. Five-field specs
// fire at most once a minute by construction.
func checkInterval(spec string, sched cron.Schedule) error {
	body := spec
	if strings.HasPrefix(spec, "CRON_TZ=") || strings.HasPrefix(spec, "TZ=") {
		_, body, _ = strings.Cut(spec, " ")
	}
	d, ok := sched.(cron.ConstantDelaySchedule)
	if !ok {
		return nil
	}
	every := d.Delay
	if text, found := strings.CutPrefix(strings.TrimSpace(body), "@every "); found {
		if parsed, err := time.ParseDuration(strings.TrimSpace(text)); err == nil {
			every = parsed
		}
	}
	if every < MinInterval {
		return fmt.Errorf("%q would start a sweep every %s; the shortest schedule is @every 1m (a sweep of a real portfolio takes minutes)", shorten(spec), every)
	}
	return nil
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
	fields := strings.Fields(body)
	n := len(fields)
	if !strings.HasPrefix(strings.TrimSpace(body), "@") && n != 5 {
		return fmt.Sprintf("%q has %d fields, want 5: minute hour day-of-month month day-of-week (seconds are not supported), or a descriptor like @daily", shorten(spec), n)
	}
	// The parser's own words are kept where they are readable; its
	// "failed to parse int from : strconv.Atoi…" is replaced.
	if n == 5 && strings.Contains(err.Error(), "strconv.") {
		if msg := badField(fields); msg != "" {
			return fmt.Sprintf("%q: %s", shorten(spec), msg)
		}
	}
	return fmt.Sprintf("%q: %s", shorten(spec), strings.TrimSpace(strconvText.ReplaceAllString(err.Error(), "")))
}

// cronFields names the five fields and the values each takes.
var cronFields = [5]struct{ name, values string }{
	{"minute", "0-59"},
	{"hour", "0-23"},
	{"day-of-month", "1-31"},
	{"month", "1-12 or JAN-DEC"},
	{"day-of-week", "0-6 or SUN-SAT"},
}

// strconvText is the Go-internal tail the cron parser adds to some errors.
var strconvText = regexp.MustCompile(`:? ?strconv\.\w+: parsing "[^"]*": invalid syntax`)

// badField finds the first of five fields the parser refuses on its own
// (the others set to *) and says what that field takes, instead of the
// parser's "failed to parse int from : strconv.Atoi…".
func badField(fields []string) string {
	for i, f := range fields {
		probe := []string{"*", "*", "*", "*", "*"}
		probe[i] = f
		if _, err := cron.ParseStandard(strings.Join(probe, " ")); err != nil {
			return fmt.Sprintf("the %s field %q is not valid: use %s, a range like 1-5, a list like 1,3, a step like */2, or *", cronFields[i].name, shorten(f), cronFields[i].values)
		}
	}
	return ""
}
