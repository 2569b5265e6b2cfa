#!/bin/sh
# A log file created for the scenario below /var/log is truncated, then
# deleted with unlink(2) (the unlink command; rm uses unlinkat).
# expect: Log file cleared
set -eu
f=/var/log/ft-scenario.$$.log
trap 'rm -f "$f"' EXIT
touch "$f"
: >"$f"
unlink "$f"
