#!/bin/sh
# A process tries PTRACE_ATTACH on its own child.
# expect: Ptrace attach by workload
set -eu
"$FT_SCENARIO_BIN/ptrace_attach" 2>/dev/null
