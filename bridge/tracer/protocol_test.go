package tracer

import (
	"encoding/binary"
	"errors"
	"testing"

	"golang.org/x/sys/unix"

	ctracer "github.com/falco-trace/falco-trace/cgo/tracer"
)

func TestEncodeOptions(t *testing.T) {
	filter := []unix.SockFilter{{Code: 0x20, K: 4}, {Code: 0x06, Jt: 1, Jf: 2, K: 0x7fff0000}}
	tests := []struct {
		name    string
		opts    Options
		wantLen int
		wantErr error
	}{
		{"launch", Options{Mode: Launch, Command: []string{"sh", "-c", "x"}, Filter: filter, Syscalls: []uint32{257, 59}, DropOnFull: true},
			ctracer.OptsSize + len("sh\x00-c\x00x\x00") + 16, nil},
		{"attach ignores command", Options{Mode: Attach, PID: 42, Command: []string{"ignored"}}, ctracer.OptsSize, nil},
		{"launch without command", Options{Mode: Launch}, 0, ErrProtocol},
		{"argument with NUL", Options{Mode: Launch, Command: []string{"a\x00b"}}, 0, ErrProtocol},
		{"attach without pid", Options{Mode: Attach}, 0, ErrNoProcess},
		{"unknown mode", Options{Mode: 9, Command: []string{"x"}}, 0, ErrProtocol},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := encodeOptions(&tc.opts)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("%s: error %v, want %v", tc.name, err, tc.wantErr)
			}
			if err != nil {
				return
			}
			if len(b) != tc.wantLen {
				t.Errorf("%s: %d bytes, want %d", tc.name, len(b), tc.wantLen)
			}
			le := binary.LittleEndian
			if le.Uint32(b[0:]) != ctracer.OptsMagic || le.Uint32(b[8:]) != uint32(tc.opts.Mode) ||
				int32(le.Uint32(b[12:])) != int32(tc.opts.PID) {
				t.Errorf("%s: bad header % x", tc.name, b[:32])
			}
			if tc.opts.Mode != Launch {
				return
			}
			if got := le.Uint32(b[28:]); got != uint32(len(filter)) {
				t.Errorf("%s: filter_len %d", tc.name, got)
			}
			if le.Uint32(b[16:])&ctracer.OptDropOnFull == 0 {
				t.Errorf("%s: drop-on-full flag missing", tc.name)
			}
			interest := b[32:ctracer.OptsSize]
			for _, nr := range []uint32{257, 59} {
				if interest[nr/8]&(1<<(nr%8)) == 0 {
					t.Errorf("%s: syscall %d not in the interest bitmap", tc.name, nr)
				}
			}
			if interest[2/8]&(1<<2) != 0 {
				t.Errorf("%s: syscall 2 in the bitmap but not requested", tc.name)
			}
			last := b[len(b)-8:]
			if le.Uint16(last[0:]) != 0x06 || last[2] != 1 || last[3] != 2 || le.Uint32(last[4:]) != 0x7fff0000 {
				t.Errorf("%s: last instruction encoded as % x", tc.name, last)
			}
		})
	}
}

func TestDecodeStatus(t *testing.T) {
	b := make([]byte, ctracer.StatusSize)
	le := binary.LittleEndian
	le.PutUint32(b[0:], ctracer.StatusError)
	le.PutUint32(b[4:], 1234)
	le.PutUint32(b[8:], ctracer.ErrPtraceDenied)
	le.PutUint32(b[12:], uint32(unix.EPERM))
	le.PutUint64(b[16:], 7)
	le.PutUint64(b[24:], 9)
	copy(b[32:], "ptrace(PTRACE_SEIZE): Operation not permitted")
	st := decodeStatus(b)
	want := Status{Kind: ctracer.StatusError, PID: 1234, Code: ctracer.ErrPtraceDenied, Errno: int32(unix.EPERM), N1: 7, N2: 9,
		Msg: "ptrace(PTRACE_SEIZE): Operation not permitted"}
	if st != want {
		t.Errorf("decoded %+v, want %+v", st, want)
	}
	if ctracer.StatusSize != 256 || ctracer.OptsSize != 96 {
		t.Errorf("wire sizes %d/%d, want 256/96 (tracer.h changed?)", ctracer.StatusSize, ctracer.OptsSize)
	}
}

// TestEncodeAttachSeccomp: attach sends a filter only with AttachSeccomp
// (flag set), and the default attach filter refuses nothing.
func TestEncodeAttachSeccomp(t *testing.T) {
	filter := []unix.SockFilter{{Code: 0x20, K: 4}, {Code: 0x06, K: 0x7fff0000}}
	attachFilter, err := AttachFilter()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name          string
		opts          Options
		wantFlag      bool
		wantFilterLen int
	}{
		{"attach ignores a filter without AttachSeccomp", Options{Mode: Attach, PID: 42, Filter: filter}, false, 0},
		{"attach with AttachSeccomp and a filter", Options{Mode: Attach, PID: 42, Filter: filter, AttachSeccomp: true}, true, len(filter)},
		{"attach with AttachSeccomp, default filter", Options{Mode: Attach, PID: 42, AttachSeccomp: true}, true, len(attachFilter)},
		{"launch ignores AttachSeccomp", Options{Mode: Launch, Command: []string{"x"}, Filter: filter, AttachSeccomp: true}, false, len(filter)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := encodeOptions(&tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			le := binary.LittleEndian
			if got := le.Uint32(b[16:])&ctracer.OptAttachSeccomp != 0; got != tc.wantFlag {
				t.Errorf("%s: attach-seccomp flag %v, want %v", tc.name, got, tc.wantFlag)
			}
			if got := int(le.Uint32(b[28:])); got != tc.wantFilterLen {
				t.Errorf("%s: filter_len %d, want %d", tc.name, got, tc.wantFilterLen)
			}
			if got := len(b) - ctracer.OptsSize - int(le.Uint32(b[24:])); got != 8*tc.wantFilterLen {
				t.Errorf("%s: %d filter bytes, want %d", tc.name, got, 8*tc.wantFilterLen)
			}
		})
	}
	for i, ins := range attachFilter {
		if ins.Code&0x07 == unix.BPF_RET && ins.K&unix.SECCOMP_RET_ACTION_FULL != unix.SECCOMP_RET_ALLOW &&
			ins.K&unix.SECCOMP_RET_ACTION_FULL != unix.SECCOMP_RET_TRACE {
			t.Errorf("attach filter instruction %d returns %#x: it must only allow or trace", i, ins.K)
		}
	}
}
