#!/bin/sh
# The workload probes its parent (the falco-trace tracer process) and its
# grandparent (the falco-trace supervisor) with kill -0: signal 0 only checks
# that a process exists.
# expect: Signal sent to falco-trace
set -eu
read -r _ _ _ grandparent _ <"/proc/$PPID/stat"
kill -0 "$PPID" "$grandparent"
