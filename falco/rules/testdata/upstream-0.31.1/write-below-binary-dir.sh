#!/bin/sh
# A file is created below /usr/bin, then removed.
# expect: Write below binary dir
# expect: Modify binary dirs
set -eu
f=/usr/bin/ft-scenario.$$
: >"$f"
rm -f "$f"
