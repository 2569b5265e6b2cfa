#!/bin/sh
# The workload issues a ptrace request against its parent, the falco-trace
# tracer. PTRACE_PEEKUSER without being attached is refused (ESRCH), so the
# tracer is never stopped.
# expect: Ptrace attach to falco-trace
set -eu
"$FT_SCENARIO_BIN/ptrace_peek" "$PPID"
