#!/bin/sh
# A database server (a symlink named mysqld to the spawn helper) starts id.
# expect: DB program spawned process
set -eu
cd "$FT_SCENARIO_WORK"
ln -s "$FT_SCENARIO_BIN/spawn" mysqld
./mysqld id >/dev/null
