#!/bin/sh
# A uniquely named file is created below /usr/local/lib and removed.
# expect: Write below library directory
set -eu
f=/usr/local/lib/ft-scenario.$$.so
trap 'rm -f "$f"' EXIT
: >"$f"
