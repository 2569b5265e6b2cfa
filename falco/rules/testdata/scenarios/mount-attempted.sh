#!/bin/sh
# A mount of a file system type that does not exist is attempted (refused).
# expect: Mount attempted
set -eu
mkdir -p "$FT_SCENARIO_WORK/mnt"
"$FT_SCENARIO_BIN/mount_attempt" "$FT_SCENARIO_WORK/mnt"
