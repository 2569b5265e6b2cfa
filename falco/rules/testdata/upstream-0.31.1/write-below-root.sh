#!/bin/sh
# A file is created in root's home directory, then removed.
# expect: Write below root
set -eu
f=/root/ft-scenario.$$
trap 'rm -f "$f"' EXIT
: >"$f"
