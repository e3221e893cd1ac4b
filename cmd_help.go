package main

import (
	"fmt"
	"io"
	"log/slog"
	"math"
	"strings"
)

// commandHelp is each command's one-line description and one example, the
// first two lines of its -h. Every command the dispatcher knows has one
// (main_test checks it through the real binary).
var commandHelp = map[string]struct{ what, example string }{
	"demo":     {"Runs a whole sweep against a built-in Partner Center, twice, and writes real reports: no credentials, no network.", "mcawatch demo --out ./demo-reports   (an indirect provider: mcawatch demo --indirect)"},
	"run":      {"Runs one sweep now: lists the customers, asks each for its agreements, stores the answers and writes the reports.", "mcawatch run --config /etc/mcawatch/mcawatch.yaml --fail-on outdated"},
	"backfill": {"Runs one long sweep with progress, resumable after an interruption; --since reports older acceptances as new.", "mcawatch backfill --config mcawatch.yaml --since 2026-01-01"},
	"serve":    {"Runs sweeps on the configured cron schedule until SIGINT or SIGTERM, with /healthz and /metrics on serve.listen.", "mcawatch serve --config /etc/mcawatch/mcawatch.yaml --now"},
	"report":   {"Writes the reports of a stored run again, into a folder of their own; no network.", "mcawatch report --run 12 --against 10 --out ./rerun"},
	"runs":     {"Lists the stored runs with each one's missing, outdated and error counts; --json for scripts.", "mcawatch runs --db /var/lib/mcawatch/mcawatch.db --json"},
	"history":  {"Shows one customer's standing and acceptances across the stored runs.", "mcawatch history 0f2c1a3e-5b7d-4c9e-8a1b-2d3e4f5a6b7c"},
	"prune":    {"Applies storage.retention and report.keep now and prints each run and report folder it removes; --dry-run changes nothing.", "mcawatch prune --config mcawatch.yaml --dry-run"},
	"notify":   {"Sends a test message to every configured notify channel and says which worked.", "mcawatch notify --test --config mcawatch.yaml"},
	"check":    {"Checks the config, the database, the token and one Partner Center call, and says what to fix; no sweep.", "mcawatch check --config /etc/mcawatch/mcawatch.yaml"},
	"bench":    {"Measures the whole job against the built-in Partner Center.", "mcawatch bench --customers 1000,10000 --throttle 50"},
	"version":  {"Prints the version this binary was built as.", "mcawatch version"},
}

// helpHeader is the start of a command's -h: what it does and an example.
// The flag package prints the flags after it.
func helpHeader(cmd string) string {
	h, ok := commandHelp[cmd]
	if !ok {
		return ""
	}
	return fmt.Sprintf("%s\nExample: %s\n\n", h.what, h.example)
}

// wantsHelp reports whether args ask for -h before any "--".
func wantsHelp(args []string) bool {
	for _, a := range args {
		switch a {
		case "--":
			return false
		case "-h", "-help", "--help", "--h":
			return true
		}
	}
	return false
}

// Log formats for --log-format.
const (
	logText = "text"
	logJSON = "json"
)

// takeLogFormat removes --log-format (every command takes it) from args
// and returns its value, "" when it is absent.
func takeLogFormat(args []string) (format string, rest []string, err error) {
	rest = make([]string, 0, len(args))
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			rest = append(rest, args[i:]...)
			break
		}
		name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(a, "-") || name != "log-format" {
			rest = append(rest, a)
			continue
		}
		if !hasValue {
			if i+1 >= len(args) {
				return "", nil, fmt.Errorf("--log-format: want text or json")
			}
			i++
			value = args[i]
		}
		switch value {
		case logText, logJSON:
			format = value
		default:
			return "", nil, fmt.Errorf("--log-format %q: want text or json", value)
		}
	}
	return format, rest, nil
}

// logFormat is the format chosen for this process: --log-format, else text
// on a terminal and JSON otherwise, so a person reads it easily and a log
// collector parses it reliably.
func (m *Main) logFormat() string {
	if m.logFormatFlag != "" {
		return m.logFormatFlag
	}
	if isTerminal(m.Stderr) {
		return logText
	}
	return logJSON
}

// newLogger is the process's logger on stderr at level, in logFormat.
func (m *Main) newLogger(level string) (*slog.Logger, error) {
	return newLoggerFormat(m.Stderr, level, m.logFormat())
}

// newLoggerFormat writes to w at level in format. In JSON every duration
// is a number of seconds under a key ending in _s ("duration_s":12.57), which
// log collectors can compare and sum; text keeps the readable 12.57s.
func newLoggerFormat(w io.Writer, level, format string) (*slog.Logger, error) {
	var lv slog.Level
	if level == "" {
		level = "info"
	}
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("log level %q: want debug, info, warn or error", level)
	}
	if format == logText {
		return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: lv})), nil
	}
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: lv, ReplaceAttr: secondsAttr})), nil
}

// secondsAttr turns a duration attribute into seconds, its key suffixed _s.
func secondsAttr(_ []string, a slog.Attr) slog.Attr {
	if a.Value.Kind() != slog.KindDuration {
		return a
	}
	key := a.Key
	if !strings.HasSuffix(key, "_s") {
		key += "_s"
	}
	secs := a.Value.Duration().Seconds()
	return slog.Float64(key, math.Round(secs*1000)/1000)
}

// printFatal prints the error that ends the process: one line of text, or
// one JSON record when the log stream is JSON, so a collector reading the
// stream never meets a line it cannot parse.
func (m *Main) printFatal(err error, code int) {
	if m.logFormat() == logJSON {
		log := slog.New(slog.NewJSONHandler(m.Stderr, &slog.HandlerOptions{ReplaceAttr: secondsAttr}))
		log.Error("mcawatch: "+err.Error(), "exit_status", code)
		return
	}
	fmt.Fprintln(m.Stderr, "mcawatch:", err)
}
