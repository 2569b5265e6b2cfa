#!/bin/sh
# The shell creates a .bash_history file, then rm deletes it: the command
# line of rm and its unlink are two
# events, each raising its rule.
# expect: Delete Bash History
# expect: Delete or rename shell history
set -eu
cd "$FT_SCENARIO_WORK"
: >>.bash_history
rm -f "$FT_SCENARIO_WORK/.bash_history"
