package config

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strconv"
)

// FieldError is one problem with the configuration, located at the file,
// line and dotted key path where the offending value was set. Line is 0
// when the value came from the defaults; Field is "" for problems of the
// file as a whole (YAML syntax).
type FieldError struct {
	File  string
	Line  int
	Field string
	Msg   string
}

// Error reads "mcawatch.yaml:12: fetch.concurrency: must be at least 1",
// leaving out the parts that are unknown.
func (e *FieldError) Error() string {
	var s string
	switch {
	case e.File != "" && e.Line > 0:
		s = e.File + ":" + strconv.Itoa(e.Line) + ": "
	case e.File != "":
		s = e.File + ": "
	case e.Line > 0:
		s = "line " + strconv.Itoa(e.Line) + ": "
	}
	if e.Field != "" {
		s += e.Field + ": "
	}
	return s + e.Msg
}

// FieldErrors lists the *FieldError values in err, which may be a single
// *FieldError or several joined with errors.Join (as Parse, Validate and
// Load return them).
func FieldErrors(err error) []*FieldError {
	var out []*FieldError
	var walk func(error)
	walk = func(err error) {
		if fe, ok := err.(*FieldError); ok {
			out = append(out, fe)
			return
		}
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			for _, e := range j.Unwrap() {
				walk(e)
			}
			return
		}
		if e := errors.Unwrap(err); e != nil {
			walk(e)
		}
	}
	if err != nil {
		walk(err)
	}
	return out
}

// problems collects FieldErrors for one file.
type problems struct {
	file string
	errs []*FieldError
}

func (p *problems) add(line int, field, format string, args ...any) {
	p.errs = append(p.errs, &FieldError{File: p.file, Line: line, Field: field, Msg: fmt.Sprintf(format, args...)})
}

// err joins the problems sorted by line; problems without a line (values
// from the defaults) come last, in the order they were found.
func (p *problems) err() error {
	if len(p.errs) == 0 {
		return nil
	}
	slices.SortStableFunc(p.errs, func(a, b *FieldError) int {
		if (a.Line == 0) != (b.Line == 0) {
			if a.Line == 0 {
				return 1
			}
			return -1
		}
		return cmp.Compare(a.Line, b.Line)
	})
	errs := make([]error, len(p.errs))
	for i, e := range p.errs {
		errs[i] = e
	}
	return errors.Join(errs...)
}

// shorten keeps echoed values short, so one bad line cannot flood a log.
func shorten(s string) string {
	const max = 40
	if r := []rune(s); len(r) > max {
		return string(r[:max]) + "…"
	}
	return s
}
