#!/bin/sh
# Second stage of a web exploit: the server's shell runs curl. curl reads a
# local empty file. The shell under the server is detected too.
# requires: curl
# expect: HTTP client run by shell under server
# expect: Shell spawned by server process
set -eu
cd "$FT_SCENARIO_WORK"
ln -s "$FT_SCENARIO_BIN/spawn" nginx
./nginx sh -c 'curl -s file:///dev/null; true'
