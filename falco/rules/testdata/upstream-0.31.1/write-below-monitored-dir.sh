#!/bin/sh
# A file is created below /usr/local/bin (a monitored directory), then
# removed.
# expect: Write below monitored dir
set -eu
f=/usr/local/bin/ft-scenario.$$
trap 'rm -f "$f"' EXIT
: >"$f"
