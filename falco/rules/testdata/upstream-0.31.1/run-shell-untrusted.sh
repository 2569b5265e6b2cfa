#!/bin/sh
# A web server (a symlink named nginx to the spawn helper) starts a shell.
# expect: Run shell untrusted
set -eu
cd "$FT_SCENARIO_WORK"
ln -s "$FT_SCENARIO_BIN/spawn" nginx
./nginx sh -c 'true'
