#!/bin/sh
# The workload probes its parent, the falco-trace tracer, with kill -0 (signal
# 0 only checks that the process exists).
# expect: Signal sent to falco-trace
set -eu
kill -0 "$PPID"
