#!/bin/sh
# A uniquely named file is created below /usr/local/bin and removed.
# expect: Write below binary directory
set -eu
f=/usr/local/bin/ft-scenario.$$
trap 'rm -f "$f"' EXIT
: >"$f"
