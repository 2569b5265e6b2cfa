package output

import (
	"bufio"
	"io"
	"sync"
)

// Stdout writes one alert per line to a writer (normally os.Stdout).
type Stdout struct {
	mu  sync.Mutex
	w   io.Writer
	buf *bufio.Writer // nil when unbuffered
}

// NewStdout returns the stdout output. With buffered set, lines are batched
// and flushed when the dispatcher's queue for this output runs empty, so a
// burst costs few write calls but an idle alert is never held back.
func NewStdout(w io.Writer, buffered bool) *Stdout {
	s := &Stdout{w: w}
	if buffered {
		s.buf = bufio.NewWriterSize(w, 64*1024)
	}
	return s
}

func (s *Stdout) Name() string { return "stdout" }

func (s *Stdout) Write(_ *Alert, rendered []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.buf != nil {
		_, err := s.buf.Write(line(rendered))
		return err
	}
	_, err := s.w.Write(line(rendered))
	return err
}

func (s *Stdout) Flush() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.buf != nil {
		return s.buf.Flush()
	}
	return nil
}

func (s *Stdout) Reopen() error { return s.Flush() }

func (s *Stdout) Close() error { return s.Flush() }
