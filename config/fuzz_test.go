package config

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse checks that no YAML makes Parse or Validate panic, and that
// every error either returns is made of *FieldError values.
func FuzzParse(f *testing.F) {
	for _, pattern := range []string{"../testdata/config/*.yaml", "../testdata/config/invalid/*.yaml"} {
		files, err := filepath.Glob(pattern)
		if err != nil {
			f.Fatal(err)
		}
		for _, name := range files {
			b, err := os.ReadFile(name)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
	f.Add([]byte("a: &a [*a]\n"))
	f.Add([]byte("fetch: &f {concurrency: 2}\nreport: *f\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(bytes.NewReader(data), "fuzz.yaml")
		if err != nil {
			if len(FieldErrors(err)) == 0 {
				t.Fatalf("Parse error %q holds no FieldError", err)
			}
			return
		}
		if err := c.Validate(); err != nil && len(FieldErrors(err)) == 0 {
			t.Fatalf("Validate error %q holds no FieldError", err)
		}
	})
}

// FuzzParseSchedule checks that no spec makes ParseSchedule panic.
func FuzzParseSchedule(f *testing.F) {
	for _, s := range []string{"CRON_TZ=UTC", "CRON_TZ=UTC 0 2 * * *", "TZ= ", "@every 1s", "0 0 30 2 *", "*/0 * * * *"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		s, err := ParseSchedule(spec)
		if (s == nil) == (err == nil) {
			t.Fatalf("ParseSchedule(%q)=(%v, %v): want exactly one of schedule and error", spec, s, err)
		}
	})
}
