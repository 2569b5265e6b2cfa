#!/bin/sh
# A regular file is created in /dev, then removed.
# expect: Create files below dev
set -eu
f=/dev/ft-scenario.$$
trap 'rm -f "$f"' EXIT
: >"$f"
