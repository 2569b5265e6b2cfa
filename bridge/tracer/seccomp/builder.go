package seccomp

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sort"
	"strings"

	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// Offsets in struct seccomp_data (include/uapi/linux/seccomp.h):
// int nr; __u32 arch; __u64 instruction_pointer; __u64 args[6].
// Loads are 32-bit and native-endian; the program is for x86_64 (little
// endian), so the low half of args[i] is at offArgs + 8*i.
const (
	offNr      = 0
	offArch    = 4
	offArgs    = 16
	x32Bit     = 0x40000000 // __X32_SYSCALL_BIT
	maxInsns   = 4096       // BPF_MAXINSNS: the kernel refuses longer filters
	maxJumpOff = 255        // jt/jf are 8-bit
)

// ErrProgramTooLarge is returned when a policy needs more than the kernel's
// BPF_MAXINSNS instructions.
var ErrProgramTooLarge = errors.New("seccomp program longer than 4096 instructions")

// Build compiles the policy into a classic BPF seccomp program:
//
//	arch != AUDIT_ARCH_X86_64      -> p.ForeignArch
//	nr & 0x40000000 (x32)          -> p.X32
//	binary search over number runs -> rule action (arguments checked in the leaf)
//	anything else                  -> allow
//
// The search compares the number against run boundaries (jge), so an allowed
// hot call costs about log2(runs) comparisons instead of a scan of the list.
func Build(p *Policy) ([]unix.SockFilter, error) {
	insns, err := assemble(p)
	if err != nil {
		return nil, err
	}
	raw, err := bpf.Assemble(insns)
	if err != nil {
		return nil, fmt.Errorf("assembling seccomp program: %w", err)
	}
	prog := make([]unix.SockFilter, len(raw))
	for i, r := range raw {
		prog[i] = unix.SockFilter{Code: r.Op, Jt: r.Jt, Jf: r.Jf, K: r.K}
	}
	return prog, nil
}

// Encode serializes a program as the array of struct sock_filter the C
// tracer passes to seccomp(2): 8 bytes each, {u16 code; u8 jt; u8 jf; u32 k}
// in native byte order.
func Encode(prog []unix.SockFilter) []byte {
	out := make([]byte, 8*len(prog))
	for i, f := range prog {
		b := out[8*i:]
		binary.NativeEndian.PutUint16(b[0:], f.Code)
		b[2], b[3] = f.Jt, f.Jf
		binary.NativeEndian.PutUint32(b[4:], f.K)
	}
	return out
}

// Classic BPF opcodes this package emits (linux/filter.h, linux/bpf_common.h).
const (
	opLdAbsW = unix.BPF_LD | unix.BPF_W | unix.BPF_ABS
	opJeqK   = unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K
	opJgtK   = unix.BPF_JMP | unix.BPF_JGT | unix.BPF_K
	opJgeK   = unix.BPF_JMP | unix.BPF_JGE | unix.BPF_K
	opJsetK  = unix.BPF_JMP | unix.BPF_JSET | unix.BPF_K
	opJa     = unix.BPF_JMP | unix.BPF_JA
	opRetK   = unix.BPF_RET | unix.BPF_K
)

// Disassemble renders a program one instruction per line for debug logs,
// with absolute jump targets and named return actions. It decodes the raw
// opcodes itself: x/net/bpf's decoder turns "jt=0" jumps into negated
// pseudo-instructions, which reads badly next to the kernel's view.
func Disassemble(prog []unix.SockFilter) string {
	var sb strings.Builder
	for i, f := range prog {
		fmt.Fprintf(&sb, "%4d: ", i)
		jt, jf := i+1+int(f.Jt), i+1+int(f.Jf)
		switch f.Code {
		case opRetK:
			fmt.Fprintf(&sb, "ret %s", Action(f.K))
		case opLdAbsW:
			fmt.Fprintf(&sb, "ld [%d] ; %s", f.K, dataFieldName(f.K))
		case opJeqK:
			fmt.Fprintf(&sb, "jeq #%#x => %d, %d", f.K, jt, jf)
		case opJgtK:
			fmt.Fprintf(&sb, "jgt #%d => %d, %d", f.K, jt, jf)
		case opJgeK:
			fmt.Fprintf(&sb, "jge #%d => %d, %d", f.K, jt, jf)
		case opJsetK:
			fmt.Fprintf(&sb, "jset #%#x => %d, %d", f.K, jt, jf)
		case opJa:
			fmt.Fprintf(&sb, "ja %d", i+1+int(f.K))
		default:
			fmt.Fprintf(&sb, "%v", bpf.RawInstruction{Op: f.Code, Jt: f.Jt, Jf: f.Jf, K: f.K}.Disassemble())
		}
		sb.WriteByte('\n')
	}
	return sb.String()
}

func dataFieldName(off uint32) string {
	switch {
	case off == offNr:
		return "nr"
	case off == offArch:
		return "arch"
	case off >= offArgs && off < offArgs+48:
		half := "lo"
		if (off-offArgs)%8 != 0 {
			half = "hi"
		}
		return fmt.Sprintf("args[%d].%s", (off-offArgs)/8, half)
	}
	return "ip"
}

// run is a range of system call numbers [lo, hi] with one verdict.
type run struct {
	lo, hi uint32
	rule   Rule // Action Allow when no rule
}

// runs partitions [0, x32Bit) into maximal ranges of equal verdict. Rules
// with an argument match get a run of their own.
func (p *Policy) runs() []run {
	nrs := make([]uint32, 0, len(p.rules))
	for nr, r := range p.rules {
		if r.Action == Allow && r.Arg == nil {
			continue
		}
		nrs = append(nrs, nr)
	}
	sort.Slice(nrs, func(i, j int) bool { return nrs[i] < nrs[j] })

	var out []run
	appendRun := func(lo, hi uint32, r Rule) {
		if n := len(out); n > 0 && r.Arg == nil && out[n-1].rule.Arg == nil &&
			out[n-1].rule.Action == r.Action && out[n-1].hi+1 == lo {
			out[n-1].hi = hi
			return
		}
		out = append(out, run{lo: lo, hi: hi, rule: r})
	}
	next := uint32(0)
	for _, nr := range nrs {
		if nr >= x32Bit {
			continue // unreachable: the x32 check comes first
		}
		if nr > next {
			appendRun(next, nr-1, Rule{Action: Allow})
		}
		appendRun(nr, nr, p.rules[nr])
		next = nr + 1
	}
	if next < x32Bit {
		appendRun(next, x32Bit-1, Rule{Action: Allow})
	}
	return out
}

func assemble(p *Policy) ([]bpf.Instruction, error) {
	if p == nil {
		return nil, fmt.Errorf("%w: nil policy", ErrInvalidPolicy)
	}
	for nr, r := range p.rules {
		if err := r.validate(); err != nil {
			name, _ := Name(nr)
			return nil, fmt.Errorf("%s: %w", name, err)
		}
	}
	runs := p.runs()
	// Branch relaxation: a conditional jump whose target ends up more than
	// 255 instructions away is re-emitted in long form (through a ja, whose
	// offset is 32-bit). Jumps only grow, so this converges.
	long := map[int]bool{}
	for attempt := 0; attempt < 64; attempt++ {
		b := &builder{long: long}
		b.emitProgram(p, runs)
		insns, far, err := b.resolve()
		if err != nil {
			return nil, err
		}
		if len(far) == 0 {
			if len(insns) > maxInsns {
				return nil, fmt.Errorf("%w: %d instructions", ErrProgramTooLarge, len(insns))
			}
			return insns, nil
		}
		for _, id := range far {
			long[id] = true
		}
	}
	return nil, errors.New("seccomp program: jump relaxation did not converge")
}

func (b *builder) emitProgram(p *Policy, runs []run) {
	native, notX32 := b.newLabel(), b.newLabel()
	b.emit(bpf.LoadAbsolute{Off: offArch, Size: 4})
	b.jumpIf(bpf.JumpEqual, unix.AUDIT_ARCH_X86_64, native, next)
	b.ret(p.ForeignArch)
	b.bind(native)
	b.emit(bpf.LoadAbsolute{Off: offNr, Size: 4})
	b.jumpIf(bpf.JumpBitsSet, x32Bit, next, notX32)
	b.ret(p.X32)
	b.bind(notX32)
	b.searchTree(runs)
}

// searchTree emits a binary search over runs, which cover a contiguous range
// of numbers; the accumulator holds nr. Leaves are returns (or a short
// argument check ending in returns), so no leaf jumps far.
func (b *builder) searchTree(runs []run) {
	if len(runs) == 1 {
		b.leaf(runs[0].rule)
		return
	}
	mid := len(runs) / 2
	upper := b.newLabel()
	b.jumpIf(bpf.JumpGreaterOrEqual, runs[mid].lo, upper, next)
	b.searchTree(runs[:mid])
	b.bind(upper)
	b.searchTree(runs[mid:])
}

func (b *builder) leaf(r Rule) {
	if r.Arg == nil {
		b.ret(r.Action)
		return
	}
	match := b.newLabel()
	lo := offArgs + 8*uint32(r.Arg.Index)
	b.emit(bpf.LoadAbsolute{Off: lo, Size: 4})
	if r.Arg.NonZero {
		// a 64-bit pointer is zero when both halves are
		b.jumpIf(bpf.JumpEqual, 0, next, match)
		b.emit(bpf.LoadAbsolute{Off: lo + 4, Size: 4})
		b.jumpIf(bpf.JumpEqual, 0, next, match)
	}
	for _, v := range r.Arg.Values {
		b.jumpIf(bpf.JumpEqual, v, match, next)
	}
	b.ret(Allow)
	b.bind(match)
	b.ret(r.Action)
}

// label names a position in the program; next means "the following
// instruction".
type label int

const next label = 0

// builder assembles instructions with symbolic jump targets, like gVisor's
// pkg/bpf ProgramBuilder, so that nobody counts offsets by hand.
type builder struct {
	insns  []bpf.Instruction
	labels []int // label -> instruction index; -1 while unbound
	jumps  []pendingJump
	long   map[int]bool // jump ids to emit in long form
	nJumps int
}

type pendingJump struct {
	id       int
	at       int // index of the JumpIf
	jt, jf   label
	longForm bool
	jaTrue   int // long form: index of the ja to jt
	jaFalse  int // long form: index of the ja to jf, -1 when jf is next
}

func (b *builder) newLabel() label {
	if len(b.labels) == 0 {
		b.labels = append(b.labels, -1) // slot 0 is next
	}
	b.labels = append(b.labels, -1)
	return label(len(b.labels) - 1)
}

func (b *builder) bind(l label) { b.labels[l] = len(b.insns) }

func (b *builder) emit(in bpf.Instruction) { b.insns = append(b.insns, in) }

func (b *builder) ret(a Action) { b.emit(bpf.RetConstant{Val: uint32(a)}) }

// jumpIf emits "if A <cond> value goto jt else goto jf". Only conditions that
// assemble to a single native opcode (jeq, jge, jgt, jset) are used, so jt/jf
// keep their meaning in the raw program.
func (b *builder) jumpIf(cond bpf.JumpTest, value uint32, jt, jf label) {
	j := pendingJump{id: b.nJumps, at: len(b.insns), jt: jt, jf: jf, jaFalse: -1}
	b.nJumps++
	b.emit(bpf.JumpIf{Cond: cond, Val: value})
	if b.long[j.id] {
		// jif value, 0, 1 ; ja jt ; [ja jf]
		j.longForm = true
		j.jaTrue = len(b.insns)
		b.emit(bpf.Jump{})
		if jf != next {
			j.jaFalse = len(b.insns)
			b.emit(bpf.Jump{})
		}
	}
	b.jumps = append(b.jumps, j)
}

// resolve fills in jump offsets. It returns the ids of conditional jumps that
// do not fit in 8 bits (to be re-emitted in long form).
func (b *builder) resolve() ([]bpf.Instruction, []int, error) {
	target := func(l label, from int) (int, error) {
		if l == next {
			return from + 1, nil
		}
		at := b.labels[l]
		if at < 0 {
			return 0, fmt.Errorf("seccomp program: label %d never bound", l)
		}
		if at <= from {
			return 0, fmt.Errorf("seccomp program: backward jump to label %d", l)
		}
		return at, nil
	}
	var far []int
	for _, j := range b.jumps {
		in := b.insns[j.at].(bpf.JumpIf)
		if j.longForm {
			in.SkipTrue = 0
			in.SkipFalse = 1
			t, err := target(j.jt, j.jaTrue)
			if err != nil {
				return nil, nil, err
			}
			b.insns[j.jaTrue] = bpf.Jump{Skip: uint32(t - j.jaTrue - 1)}
			if j.jaFalse >= 0 {
				f, err := target(j.jf, j.jaFalse)
				if err != nil {
					return nil, nil, err
				}
				b.insns[j.jaFalse] = bpf.Jump{Skip: uint32(f - j.jaFalse - 1)}
			}
			b.insns[j.at] = in
			continue
		}
		t, err := target(j.jt, j.at)
		if err != nil {
			return nil, nil, err
		}
		f, err := target(j.jf, j.at)
		if err != nil {
			return nil, nil, err
		}
		st, sf := t-j.at-1, f-j.at-1
		if st > maxJumpOff || sf > maxJumpOff {
			far = append(far, j.id)
			continue
		}
		in.SkipTrue, in.SkipFalse = uint8(st), uint8(sf)
		b.insns[j.at] = in
	}
	return b.insns, far, nil
}
