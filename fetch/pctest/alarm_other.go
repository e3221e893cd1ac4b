//go:build !linux

package pctest

import (
	"errors"
	"time"
)

// alarm is only available on Linux (a timerfd); elsewhere held requests
// wait on a time.Timer.
type alarm struct{}

func newAlarm() (*alarm, error) { return nil, errors.New("no high-resolution alarm on this system") }

func (*alarm) set(time.Duration) error { return errors.New("no alarm") }
func (*alarm) wait() error             { return errors.New("no alarm") }
func (*alarm) close()                  {}
