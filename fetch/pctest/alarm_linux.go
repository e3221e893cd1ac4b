package pctest

import (
	"fmt"
	"os"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// alarm is a timerfd: a kernel timer with nanosecond resolution that the Go
// netpoller waits on like on a socket, so its expiry wakes the runtime at
// once instead of at the next whole millisecond.
type alarm struct {
	f  *os.File
	rc syscall.RawConn // f's descriptor, for timerfd_settime
}

// newAlarm creates a disarmed alarm.
func newAlarm() (*alarm, error) {
	fd, err := unix.TimerfdCreate(unix.CLOCK_MONOTONIC, unix.TFD_NONBLOCK|unix.TFD_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("timerfd: %w", err)
	}
	// A non-blocking descriptor makes os.NewFile register it with the
	// netpoller.
	f := os.NewFile(uintptr(fd), "pctest-hold-timerfd")
	rc, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("timerfd: %w", err)
	}
	return &alarm{f: f, rc: rc}, nil
}

// set makes the alarm go off once, d from now, replacing any earlier
// setting.
func (a *alarm) set(d time.Duration) error {
	spec := unix.ItimerSpec{Value: unix.NsecToTimespec(d.Nanoseconds())}
	// Control keeps the descriptor open while it is in use, so a
	// concurrent close cannot hand its number to another file first.
	var serr error
	if err := a.rc.Control(func(fd uintptr) { serr = unix.TimerfdSettime(int(fd), 0, &spec, nil) }); err != nil {
		return err
	}
	return serr
}

// wait blocks until the alarm goes off; it fails once the alarm is closed.
func (a *alarm) wait() error {
	var expirations [8]byte
	_, err := a.f.Read(expirations[:])
	return err
}

// close releases the alarm; a wait in progress fails.
func (a *alarm) close() { a.f.Close() }
