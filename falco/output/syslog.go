package output

import (
	"fmt"
	"log/syslog"
	"sync"

	"github.com/falco-trace/falco-trace/falco/rules"
)

// Syslog sends each alert to syslog with the alert's priority as severity
// (Falco priorities are the syslog levels) and facility USER.
type Syslog struct {
	mu sync.Mutex
	w  *syslog.Writer
}

// NewSyslog connects to the syslog daemon: network and raddr "" use the
// local socket (/dev/log), as syslog(3) does.
func NewSyslog(network, raddr, tag string) (*Syslog, error) {
	w, err := syslog.Dial(network, raddr, syslog.LOG_USER|syslog.LOG_INFO, tag)
	if err != nil {
		return nil, fmt.Errorf("syslog output: %w", err)
	}
	return &Syslog{w: w}, nil
}

func (s *Syslog) Name() string { return "syslog" }

func (s *Syslog) Write(a *Alert, rendered []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.w == nil {
		return ErrClosed
	}
	msg := string(rendered)
	var err error
	switch a.Priority {
	case rules.Emergency:
		err = s.w.Emerg(msg)
	case rules.Alert:
		err = s.w.Alert(msg)
	case rules.Critical:
		err = s.w.Crit(msg)
	case rules.Error:
		err = s.w.Err(msg)
	case rules.Warning:
		err = s.w.Warning(msg)
	case rules.Notice:
		err = s.w.Notice(msg)
	case rules.Informational:
		err = s.w.Info(msg)
	default:
		err = s.w.Debug(msg)
	}
	if err != nil {
		return fmt.Errorf("syslog output: %w", err)
	}
	return nil
}

// Reopen is a no-op: log/syslog reconnects by itself after a write error.
func (s *Syslog) Reopen() error { return nil }

func (s *Syslog) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.w == nil {
		return nil
	}
	err := s.w.Close()
	s.w = nil
	return err
}
