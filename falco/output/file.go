package output

import (
	"fmt"
	"os"
	"sync"
)

// File appends one alert per line to a file. Without keep-alive the file is
// opened and closed for every alert (Falco's default), so an external log
// rotation is followed without a signal; with keep-alive it stays open until
// Reopen (SIGUSR1) or Close.
type File struct {
	mu        sync.Mutex
	path      string
	keepAlive bool
	f         *os.File
	closed    bool
}

// NewFile returns the file output. The file is opened (and created, mode
// 0644) immediately, so a bad path is reported at startup.
func NewFile(path string, keepAlive bool) (*File, error) {
	o := &File{path: path, keepAlive: keepAlive}
	f, err := o.open()
	if err != nil {
		return nil, err
	}
	if keepAlive {
		o.f = f
	} else if err := f.Close(); err != nil {
		return nil, fmt.Errorf("file output %s: %w", path, err)
	}
	return o, nil
}

func (o *File) open() (*os.File, error) {
	f, err := os.OpenFile(o.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("file output: %w", err)
	}
	return f, nil
}

func (o *File) Name() string { return "file" }

func (o *File) Write(_ *Alert, rendered []byte) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed {
		return ErrClosed
	}
	f := o.f
	if f == nil {
		var err error
		if f, err = o.open(); err != nil {
			return err
		}
		if o.keepAlive {
			o.f = f
		}
	}
	// One write call per line, so concurrent appenders never interleave
	// inside a line (O_APPEND).
	_, err := f.Write(line(rendered))
	if !o.keepAlive {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		return fmt.Errorf("file output %s: %w", o.path, err)
	}
	return nil
}

// Reopen closes the kept-alive file; the next alert opens the path again,
// creating a new file after a rotation.
func (o *File) Reopen() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.closeFile()
}

func (o *File) Close() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.closed = true
	return o.closeFile()
}

func (o *File) closeFile() error {
	if o.f == nil {
		return nil
	}
	err := o.f.Close()
	o.f = nil
	if err != nil {
		return fmt.Errorf("file output %s: %w", o.path, err)
	}
	return nil
}
