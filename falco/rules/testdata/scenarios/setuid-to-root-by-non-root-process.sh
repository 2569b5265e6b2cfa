#!/bin/sh
# A process drops to nobody, then calls setuid(0) (refused with EPERM).
# expect: Setuid to root by non-root process
set -eu
"$FT_SCENARIO_BIN/setuid_root"
