// Package tracer compiles the C ptrace+seccomp tracer (ptrace.c, ring.c, glue.c) and
// the Debian driver fillers (drv_*.c, built with -DUDIG) into every binary that imports
// it. The tracer runs in a re-executed copy of the binary (see tracer.h and
// bridge/tracer); this file only carries the build flags and the protocol constants
// that the Go supervisor needs.
package tracer

/*
#cgo CFLAGS: -O2 -Wall -DUDIG -I/usr/include/falcosecurity-libs/driver -I/usr/src/scap-0.1.1dev+git20220316.e5c53d64
#include "tracer.h"
*/
import "C"

// Protocol constants shared with tracer.h.
const (
	EnvMarker   = C.FT_ENV_MARKER
	EnvRing     = C.FT_ENV_RING
	CtrlFD      = C.FT_CTRL_FD
	StatusFD    = C.FT_STATUS_FD
	OptsMagic   = C.FT_OPTS_MAGIC
	OptsVersion = C.FT_OPTS_VERSION

	ModeLaunch = C.FT_MODE_LAUNCH
	ModeAttach = C.FT_MODE_ATTACH

	OptDropOnFull = C.FT_OPT_DROP_ON_FULL
	OptPinCPU     = C.FT_OPT_PIN_CPU
	OptPlaceAuto  = C.FT_OPT_PLACE_AUTO
	OptVerbose    = C.FT_OPT_VERBOSE
	// OptAttachSeccomp: attach mode installs the filter sent with the options
	// into each attached process (inject.c).
	OptAttachSeccomp = C.FT_OPT_ATTACH_SECCOMP

	InterestBits = C.FT_INTEREST_BITS

	StatusStarted    = C.FT_ST_STARTED
	StatusAttached   = C.FT_ST_ATTACHED
	StatusError      = C.FT_ST_ERROR
	StatusExecFailed = C.FT_ST_EXEC_FAILED
	StatusExit       = C.FT_ST_EXIT
	StatusDetached   = C.FT_ST_DETACHED
	StatusLog        = C.FT_ST_LOG
	StatusStats      = C.FT_ST_STATS

	ErrPtraceDenied = C.FT_ERR_PTRACE_DENIED
	ErrNoProcess    = C.FT_ERR_NO_PROCESS
	ErrRing         = C.FT_ERR_RING
	ErrProtocol     = C.FT_ERR_PROTOCOL
	ErrSeccomp      = C.FT_ERR_SECCOMP
	ErrInternal     = C.FT_ERR_INTERNAL

	// OptsSize and StatusSize are the wire sizes of struct ft_opts and struct ft_status.
	OptsSize   = C.sizeof_struct_ft_opts
	StatusSize = C.sizeof_struct_ft_status
)
