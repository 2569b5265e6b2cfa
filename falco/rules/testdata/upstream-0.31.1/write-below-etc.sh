#!/bin/sh
# A file is created below /etc, then removed.
# expect: Write below etc
set -eu
f=/etc/ft-scenario.$$
trap 'rm -f "$f"' EXIT
: >"$f"
