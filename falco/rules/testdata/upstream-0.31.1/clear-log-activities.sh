#!/bin/sh
# A log file created for the scenario directly below /var/log is truncated,
# then removed.
# expect: Clear Log Activities
set -eu
f=/var/log/ft-scenario.$$.log
trap 'rm -f "$f"' EXIT
touch "$f"
: >"$f"
