#!/bin/sh
# A web server starts a shell: the usual result of remote code execution.
# A symlink named nginx to the spawn helper stands in for the server.
# expect: Shell spawned by server process
set -eu
cd "$FT_SCENARIO_WORK"
ln -s "$FT_SCENARIO_BIN/spawn" nginx
./nginx sh -c 'id >/dev/null'
