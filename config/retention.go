package config

// Retention is storage.retention: how many complete runs to keep, as
// restic's forget policy keeps snapshots. Each count is 0 (no such rule)
// or more; all 0, the default, keeps every run. See storage.Retention,
// which main copies it into.
type Retention struct {
	// KeepLast keeps the newest n complete runs.
	KeepLast int `yaml:"keep_last"`
	// KeepDaily keeps the newest run of each of the newest n days (UTC)
	// that have one; KeepWeekly and KeepMonthly do the same for ISO weeks
	// and calendar months.
	KeepDaily   int `yaml:"keep_daily"`
	KeepWeekly  int `yaml:"keep_weekly"`
	KeepMonthly int `yaml:"keep_monthly"`
}

// KeepsAll reports whether r keeps every run (no rule set).
func (r Retention) KeepsAll() bool { return r == Retention{} }

// validateRetention refuses negative counts in storage.retention and
// report.keep, naming the line that set them.
func (c Config) validateRetention(p *problems) {
	r := c.Storage.Retention
	for _, k := range []struct {
		field string
		n     int
	}{
		{"storage.retention.keep_last", r.KeepLast},
		{"storage.retention.keep_daily", r.KeepDaily},
		{"storage.retention.keep_weekly", r.KeepWeekly},
		{"storage.retention.keep_monthly", r.KeepMonthly},
	} {
		if k.n < 0 {
			p.add(c.Line(k.field), k.field, "must be 0 (no such rule) or more, got %d", k.n)
		}
	}
	if c.Report.Keep < 0 {
		p.add(c.Line("report.keep"), "report.keep", "must be 0 (keep every report folder) or more, got %d", c.Report.Keep)
	}
}
