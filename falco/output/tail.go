package output

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hpcloud/tail/watch"
	"github.com/sirupsen/logrus"
	"gopkg.in/tomb.v1"
)

// TailOptions configures a Tail.
type TailOptions struct {
	// Path is the file to follow; it may not exist yet.
	Path string
	// Out receives every complete line, each with its newline.
	Out io.Writer
	// FromStart copies the existing content first; by default the
	// forwarder starts at the end of the file, like `tail -F -n0`.
	FromStart bool
	// PollInterval is the fallback check when no inotify event arrives
	// (default 250 ms). inotify events only wake the forwarder early.
	PollInterval time.Duration
	// RotateGrace is how long a rotated-away file is still read after the
	// new file appeared, for a writer that has not reopened yet
	// (default 5 s).
	RotateGrace time.Duration
	Log         *logrus.Entry
}

// Tail copies the lines appended to a file to a writer, following renames
// (logrotate's create mode: the old file is read to its end before the new
// one) and truncation (copytruncate: reading restarts at offset 0). It
// replaces `tail -F /var/log/falco.log` in container entrypoints.
//
// Known limits, shared with tail -F: lines written between our last read and
// a copytruncate are gone before we can read them; a file created and rotated
// away again within one poll interval is never seen.
type Tail struct {
	opts  TailOptions
	log   *logrus.Entry
	stop  chan struct{}
	done  chan struct{}
	err   error
	lines atomic.Uint64
	once  sync.Once
}

// tailFile is one generation of the followed path.
type tailFile struct {
	f       *os.File
	offset  int64
	partial []byte
}

// StartTail starts following opts.Path. When the file exists it is opened
// before StartTail returns, so everything appended afterwards is copied.
func StartTail(opts TailOptions) (*Tail, error) {
	if opts.Out == nil {
		return nil, errors.New("tail: no output writer")
	}
	if opts.PollInterval <= 0 {
		opts.PollInterval = 250 * time.Millisecond
	}
	if opts.RotateGrace <= 0 {
		opts.RotateGrace = 5 * time.Second
	}
	t := &Tail{opts: opts, log: opts.Log, stop: make(chan struct{}), done: make(chan struct{})}
	if t.log == nil {
		t.log = logrus.WithField("component", "tail")
	}
	t.log = t.log.WithField("file", opts.Path)
	cur, err := t.open(!opts.FromStart)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("tail: %w", err)
	}
	go t.run(cur)
	return t, nil
}

// Lines is the number of lines copied so far.
func (t *Tail) Lines() uint64 { return t.lines.Load() }

// Stop copies what is left up to the end of the file (and of a file rotated
// away from the path), writes a final unterminated line with a newline, and
// returns once the forwarder exited.
func (t *Tail) Stop() error {
	t.once.Do(func() { close(t.stop) })
	<-t.done
	return t.err
}

func (t *Tail) open(atEnd bool) (*tailFile, error) {
	f, err := os.Open(t.opts.Path)
	if err != nil {
		return nil, err
	}
	tf := &tailFile{f: f}
	if atEnd {
		if tf.offset, err = f.Seek(0, io.SeekEnd); err != nil {
			f.Close()
			return nil, err
		}
	}
	return tf, nil
}

// inotifyStarted is set once hpcloud/tail's process-wide inotify tracker
// exists.
var inotifyStarted atomic.Bool

// hints wraps one hpcloud/tail inotify watch of the path: its events only
// cut the poll interval short, correctness comes from re-checking the file.
type hints struct {
	tomb    *tomb.Tomb
	changes *watch.FileChanges
}

func (t *Tail) watchPath(offset int64) *hints {
	// The watcher tracks watches by path: a previous generation's watch
	// must be gone before a new one is registered, or its removal would
	// close the new one.
	// (watch.Events needs the package's tracker, created by the first
	// ChangeEvents call.)
	deadline := time.Now().Add(time.Second)
	for inotifyStarted.Load() && watch.Events(t.opts.Path) != nil {
		if time.Now().After(deadline) {
			return nil
		}
		time.Sleep(5 * time.Millisecond)
	}
	tb := &tomb.Tomb{}
	changes, err := watch.NewInotifyFileWatcher(t.opts.Path).ChangeEvents(tb, offset)
	inotifyStarted.Store(true)
	if err != nil {
		t.log.WithError(err).Debug("no inotify watch, polling only")
		return nil
	}
	return &hints{tomb: tb, changes: changes}
}

func (h *hints) close() {
	if h != nil {
		h.tomb.Kill(nil)
	}
}

func (t *Tail) run(cur *tailFile) {
	defer close(t.done)
	var prev *tailFile // rotated-away file still read for a grace period
	var prevUntil time.Time
	var h *hints
	if cur != nil {
		h = t.watchPath(cur.offset)
	}
	tick := time.NewTicker(t.opts.PollInterval)
	defer tick.Stop()
	defer func() {
		h.close()
		for _, tf := range []*tailFile{prev, cur} {
			if tf != nil {
				tf.f.Close()
			}
		}
	}()

	for {
		stopping := false
		select {
		case <-t.stop:
			stopping = true
		default:
		}

		if prev != nil {
			t.copyAvailable(prev)
			if stopping || time.Now().After(prevUntil) {
				t.flushPartial(prev)
				prev.f.Close()
				prev = nil
			}
		}
		if cur == nil {
			// The path did not exist yet: a file that appears is new, so
			// it is read from its start.
			if tf, err := t.open(false); err == nil {
				cur = tf
				h = t.watchPath(0)
			}
		}
		if cur != nil {
			t.copyAvailable(cur)
			switch t.checkPath(cur) {
			case pathTruncated:
				t.log.Debug("file truncated, reading from the start")
				t.flushPartial(cur)
				cur.offset = 0
				t.copyAvailable(cur)
			case pathReplaced:
				if tf, err := t.open(false); err == nil {
					t.log.Debug("file rotated, following the new file")
					// The old file may still get lines from a writer
					// that has not reopened: keep reading it a while.
					t.copyAvailable(cur)
					if prev != nil {
						t.flushPartial(prev)
						prev.f.Close()
					}
					prev, prevUntil = cur, time.Now().Add(t.opts.RotateGrace)
					cur = tf
					h.close()
					h = t.watchPath(0)
					t.copyAvailable(cur)
				}
			}
		}
		if stopping {
			if prev != nil {
				t.flushPartial(prev)
			}
			if cur != nil {
				t.flushPartial(cur)
			}
			return
		}

		var modified, truncated, deleted chan bool
		if h != nil {
			modified, truncated, deleted = h.changes.Modified, h.changes.Truncated, h.changes.Deleted
		}
		select {
		case <-t.stop:
		case <-tick.C:
		case <-modified:
		case <-truncated:
		case <-deleted:
			// The watch ends with the file: rely on polling until the
			// new file is opened.
			h.close()
			h = nil
		}
	}
}

type pathState int

const (
	pathSame pathState = iota
	pathTruncated
	pathReplaced // renamed or removed; a new file may or may not exist
)

func (t *Tail) checkPath(tf *tailFile) pathState {
	own, err := tf.f.Stat()
	if err != nil {
		return pathSame
	}
	fi, err := os.Stat(t.opts.Path)
	if err != nil || !os.SameFile(own, fi) {
		return pathReplaced
	}
	if fi.Size() < tf.offset {
		return pathTruncated
	}
	return pathSame
}

// copyAvailable writes every complete line between the file offset and EOF.
func (t *Tail) copyAvailable(tf *tailFile) {
	buf := make([]byte, 64*1024)
	for {
		n, err := tf.f.ReadAt(buf, tf.offset)
		if n > 0 {
			tf.offset += int64(n)
			t.emit(tf, buf[:n])
		}
		if err != nil || n == 0 {
			if err != nil && !errors.Is(err, io.EOF) {
				t.log.WithError(err).Warn("reading followed file")
			}
			return
		}
	}
}

func (t *Tail) emit(tf *tailFile, data []byte) {
	end := bytes.LastIndexByte(data, '\n')
	if end < 0 {
		tf.partial = append(tf.partial, data...)
		return
	}
	var out []byte
	if len(tf.partial) > 0 {
		out = append(tf.partial, data[:end+1]...)
		tf.partial = nil
	} else {
		out = data[:end+1]
	}
	tf.partial = append(tf.partial, data[end+1:]...)
	t.write(out)
}

// flushPartial writes an unterminated last line, so a line is never lost
// when its file goes away or we stop.
func (t *Tail) flushPartial(tf *tailFile) {
	if len(tf.partial) == 0 {
		return
	}
	out := append(tf.partial, '\n')
	tf.partial = nil
	t.write(out)
}

func (t *Tail) write(out []byte) {
	t.lines.Add(uint64(bytes.Count(out, []byte{'\n'})))
	if _, err := t.opts.Out.Write(out); err != nil && t.err == nil {
		t.err = fmt.Errorf("tail: writing: %w", err)
		t.log.WithError(err).Warn("copying followed file")
	}
}
