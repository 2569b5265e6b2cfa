package seccomp

import (
	"encoding/binary"
	"errors"
	"fmt"

	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// seccompData mirrors struct seccomp_data.
type seccompData struct {
	Nr   int32
	Arch uint32
	IP   uint64
	Args [6]uint64
}

const seccompDataSize = 64

// encode lays the struct out as the kernel has it in memory: native byte
// order, which is what seccomp's 32-bit loads read.
func (d seccompData) encode() []byte {
	b := make([]byte, seccompDataSize)
	binary.NativeEndian.PutUint32(b[0:], uint32(d.Nr))
	binary.NativeEndian.PutUint32(b[4:], d.Arch)
	binary.NativeEndian.PutUint64(b[8:], d.IP)
	for i, a := range d.Args {
		binary.NativeEndian.PutUint64(b[16+8*i:], a)
	}
	return b
}

func x86Call(nr uint32, args ...uint64) seccompData {
	d := seccompData{Nr: int32(nr), Arch: unix.AUDIT_ARCH_X86_64, IP: 0x401000}
	copy(d.Args[:], args)
	return d
}

// runSeccomp interprets a program the way the kernel's seccomp does for the
// opcodes this package emits: 32-bit absolute loads from seccomp_data in
// native byte order, jeq/jgt/jge/jset against constants, ja, ret constant.
// checkSeccompProgram applies the kernel's load-time checks first.
//
// Why not only x/net/bpf's VM: its loads are big-endian (packet byte order),
// seccomp's are native-endian (little-endian on x86_64). runXNetVM shows the
// two agree once each 32-bit word of the input is byte-swapped, which is
// valid only because every load is an aligned 4-byte word (checked below).
func runSeccomp(prog []unix.SockFilter, data []byte) (Action, error) {
	a, _, err := runSeccompCounting(prog, data)
	return a, err
}

// runSeccompCounting also returns the number of instructions executed.
func runSeccompCounting(prog []unix.SockFilter, data []byte) (Action, int, error) {
	steps := 0
	if err := checkSeccompProgram(prog); err != nil {
		return 0, 0, err
	}
	var acc uint32
	for pc := 0; pc < len(prog); pc++ {
		f := prog[pc]
		steps++
		switch f.Code {
		case opLdAbsW:
			acc = binary.NativeEndian.Uint32(data[f.K:])
		case opJeqK, opJgtK, opJgeK, opJsetK:
			var taken bool
			switch f.Code {
			case opJeqK:
				taken = acc == f.K
			case opJgtK:
				taken = acc > f.K
			case opJgeK:
				taken = acc >= f.K
			case opJsetK:
				taken = acc&f.K != 0
			}
			if taken {
				pc += int(f.Jt)
			} else {
				pc += int(f.Jf)
			}
		case opJa:
			pc += int(f.K)
		case opRetK:
			return Action(f.K), steps, nil
		default:
			return 0, steps, fmt.Errorf("pc %d: opcode %#x not emitted by this package", pc, f.Code)
		}
	}
	return 0, steps, errors.New("fell off the end of the program")
}

// checkSeccompProgram rejects what the kernel rejects at seccomp(2) time
// (bpf_check_classic + seccomp_check_filter) for our opcode subset.
func checkSeccompProgram(prog []unix.SockFilter) error {
	if len(prog) == 0 || len(prog) > maxInsns {
		return fmt.Errorf("program length %d not in 1..%d", len(prog), maxInsns)
	}
	if last := prog[len(prog)-1].Code; last != opRetK {
		return fmt.Errorf("last instruction %#x is not a return", last)
	}
	for pc, f := range prog {
		switch f.Code {
		case opLdAbsW:
			if f.K >= seccompDataSize || f.K&3 != 0 {
				return fmt.Errorf("pc %d: load offset %d not an aligned word of seccomp_data", pc, f.K)
			}
		case opJeqK, opJgtK, opJgeK, opJsetK:
			if pc+1+int(f.Jt) >= len(prog) || pc+1+int(f.Jf) >= len(prog) {
				return fmt.Errorf("pc %d: jump out of the program", pc)
			}
		case opJa:
			if uint64(pc)+1+uint64(f.K) >= uint64(len(prog)) {
				return fmt.Errorf("pc %d: ja out of the program", pc)
			}
		case opRetK:
		default:
			return fmt.Errorf("pc %d: opcode %#x not emitted by this package", pc, f.Code)
		}
	}
	return nil
}

// newXNetVM loads the program into golang.org/x/net/bpf's VM.
func newXNetVM(prog []unix.SockFilter) (*bpf.VM, error) {
	raw := make([]bpf.RawInstruction, len(prog))
	for i, f := range prog {
		raw[i] = bpf.RawInstruction{Op: f.Code, Jt: f.Jt, Jf: f.Jf, K: f.K}
	}
	insns, ok := bpf.Disassemble(raw)
	if !ok {
		return nil, errors.New("x/net/bpf cannot decode the program")
	}
	return bpf.NewVM(insns)
}

// runXNetVM runs the VM on the native-endian seccomp_data with every 32-bit
// word byte-swapped, so that its big-endian loads read the values the kernel
// reads.
func runXNetVM(vm *bpf.VM, data []byte) (Action, error) {
	swapped := make([]byte, len(data))
	for off := 0; off+4 <= len(data); off += 4 {
		binary.BigEndian.PutUint32(swapped[off:], binary.NativeEndian.Uint32(data[off:]))
	}
	v, err := vm.Run(swapped)
	return Action(uint32(v)), err
}
