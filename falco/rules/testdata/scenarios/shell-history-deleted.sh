#!/bin/sh
# A shell history file in the scratch home is deleted.
# expect: Shell history deleted
set -eu
touch "$FT_SCENARIO_WORK/.bash_history"
rm -f "$FT_SCENARIO_WORK/.bash_history"
