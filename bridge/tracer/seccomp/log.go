package seccomp

import (
	"github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"
)

// LogProgram logs a one-line summary of the policy and, at debug level, the
// disassembled program (style rule R11).
func LogProgram(log *logrus.Entry, p *Policy, prog []unix.SockFilter) {
	if !log.Logger.IsLevelEnabled(logrus.DebugLevel) {
		return
	}
	log.WithFields(logrus.Fields{
		"traced":       len(p.Names(Trace)),
		"rules":        len(p.rules),
		"foreign_arch": p.ForeignArch.String(),
		"x32":          p.X32.String(),
		"instructions": len(prog),
	}).Debug("seccomp policy")
	log.Debugf("seccomp program:\n%s", Disassemble(prog))
}
