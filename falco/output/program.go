package output

import (
	"errors"
	"fmt"
	"io"
	"os/exec"
	"sync"
	"time"
)

// Program pipes one alert per line into a shell command (`sh -c program`),
// like Falco's popen(program, "w"). Without keep-alive the command is started
// for every alert, receives one line and EOF, and is waited for; with
// keep-alive one process receives every line until Reopen or Close.
type Program struct {
	mu        sync.Mutex
	command   string
	keepAlive bool
	stdout    io.Writer
	stderr    io.Writer
	// CloseTimeout bounds the wait for the command to exit after its stdin
	// is closed; then it is killed. Set before the first Write.
	CloseTimeout time.Duration

	cmd    *exec.Cmd
	stdin  io.WriteCloser
	closed bool
}

// NewProgram returns the program output. stdout and stderr are the
// command's (normally the process's own, as with popen).
func NewProgram(command string, keepAlive bool, stdout, stderr io.Writer) *Program {
	return &Program{command: command, keepAlive: keepAlive, stdout: stdout, stderr: stderr, CloseTimeout: 5 * time.Second}
}

func (p *Program) Name() string { return "program" }

func (p *Program) start() error {
	cmd := exec.Command("/bin/sh", "-c", p.command)
	cmd.Stdout, cmd.Stderr = p.stdout, p.stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return fmt.Errorf("program output: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("program output: starting %q: %w", p.command, err)
	}
	p.cmd, p.stdin = cmd, stdin
	return nil
}

// stop closes the command's stdin and waits for it to exit.
func (p *Program) stop() error {
	if p.cmd == nil {
		return nil
	}
	cmd := p.cmd
	closeErr := p.stdin.Close()
	p.cmd, p.stdin = nil, nil
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(p.CloseTimeout):
		_ = cmd.Process.Kill()
		err = fmt.Errorf("program output: %q did not exit within %s after its input closed, killed: %w",
			p.command, p.CloseTimeout, <-done)
	}
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		err = fmt.Errorf("program output: %q: %w", p.command, err)
	}
	if err == nil && closeErr != nil && !errors.Is(closeErr, io.ErrClosedPipe) {
		err = fmt.Errorf("program output: %w", closeErr)
	}
	return err
}

func (p *Program) Write(_ *Alert, rendered []byte) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return ErrClosed
	}
	if p.cmd == nil {
		if err := p.start(); err != nil {
			return err
		}
	}
	_, err := p.stdin.Write(line(rendered))
	if err != nil {
		// The command exited (EPIPE): reap it; the next alert starts a
		// new one.
		_ = p.stop()
		return fmt.Errorf("program output: writing to %q: %w", p.command, err)
	}
	if !p.keepAlive {
		return p.stop()
	}
	return nil
}

func (p *Program) Reopen() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stop()
}

func (p *Program) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	return p.stop()
}
