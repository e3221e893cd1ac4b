package config

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// CurrentSinceTime is agreements.current_since as midnight UTC of that
// day; the zero time when the check is off (an empty value). Validate
// refuses a value it cannot read.
func (a Agreements) CurrentSinceTime() (time.Time, error) {
	s := strings.TrimSpace(a.CurrentSince)
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("must be a date like %s (YYYY-MM-DD), or empty to turn the check off, got %q", DefaultCurrentSince, shorten(s))
	}
	return t.UTC(), nil
}

// The default portfolio-drop limit: a sweep that loses more than 10% of
// the previous complete run's customers, and more than 10 of them, is
// refused. The count floor keeps a small portfolio from being refused for
// losing one customer.
const (
	DefaultMaxDropPercent = 10
	DefaultMaxDropCount   = 10
)

// DropLimit is customers.max_drop: a sweep is refused when it loses more
// than count customers of the previous complete run and, when percent is
// above 0, more than percent of them. "10%" gives (10, 10): the share with
// the default floor of 10 customers; "25" gives (0, 25): a count alone.
// Empty is the default (10, 10).
func (c Customers) DropLimit() (percent float64, count int, err error) {
	s := strings.TrimSpace(c.MaxDrop)
	if s == "" {
		return DefaultMaxDropPercent, DefaultMaxDropCount, nil
	}
	bad := fmt.Errorf("must be a percentage like 10%% or a number of customers like 25, got %q", shorten(s))
	if num, ok := strings.CutSuffix(s, "%"); ok {
		p, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
		if err != nil || p < 0 || p > 100 || math.IsNaN(p) {
			return 0, 0, bad
		}
		return p, DefaultMaxDropCount, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, 0, bad
	}
	return 0, n, nil
}
