package jobs

import (
	"log/slog"
	"time"
)

// LogProgress reports a sweep's progress as a log line every Every, for runs
// whose output is not a terminal (cron mail, journald, a CronJob's log).
type LogProgress struct {
	Logger *slog.Logger
	Every  time.Duration
	Now    func() time.Time

	total, done int
	started     time.Time
	last        time.Time
	startDone   int
}

// Start begins counting; done customers were finished by an earlier attempt.
func (p *LogProgress) Start(total, done int) {
	if p.Now == nil {
		p.Now = time.Now
	}
	if p.Every <= 0 {
		p.Every = 10 * time.Second
	}
	p.total, p.done, p.startDone = total, done, done
	p.started = p.Now()
	p.last = p.started
}

// Add counts n more customers and logs when Every has passed.
func (p *LogProgress) Add(n int) {
	p.done += n
	if now := p.Now(); now.Sub(p.last) >= p.Every {
		p.last = now
		p.log(now)
	}
}

// Finish logs the final count.
func (p *LogProgress) Finish() { p.log(p.Now()) }

func (p *LogProgress) log(now time.Time) {
	elapsed := now.Sub(p.started)
	rate := 0.0
	if elapsed > 0 {
		rate = float64(p.done-p.startDone) / elapsed.Seconds()
	}
	attrs := []any{"done", p.done, "total", p.total, "per_second", int(rate + 0.5)}
	if rate > 0 && p.done < p.total {
		eta := time.Duration(float64(p.total-p.done) / rate * float64(time.Second))
		attrs = append(attrs, "eta", eta.Round(time.Second))
	}
	p.Logger.Info("sweep progress", attrs...)
}
