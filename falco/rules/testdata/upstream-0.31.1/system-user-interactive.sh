#!/bin/sh
# The system user nobody starts login (a symlink named login to /bin/true).
# expect: System user interactive
set -eu
cd "$FT_SCENARIO_WORK"
ln -s /bin/true login
"$FT_SCENARIO_BIN/run_as_nobody" ./login
