#!/bin/sh
# A process running as nobody calls setuid(0) (refused).
# expect: Non sudo setuid
set -eu
"$FT_SCENARIO_BIN/setuid_root"
