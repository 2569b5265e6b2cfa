#!/bin/sh
# The workload issues ptrace requests against its parent (the falco-trace
# tracer process) and its grandparent (the falco-trace supervisor).
# PTRACE_PEEKUSER without being attached is refused (ESRCH), so neither is
# ever stopped.
# expect: Ptrace attach to falco-trace
set -eu
read -r _ _ _ grandparent _ <"/proc/$PPID/stat"
"$FT_SCENARIO_BIN/ptrace_peek" "$PPID"
"$FT_SCENARIO_BIN/ptrace_peek" "$grandparent"
