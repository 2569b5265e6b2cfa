#!/bin/sh
# netcat is executed. A symlink named nc to /bin/true stands in for it, so
# that the scenario needs no netcat and opens no socket.
# expect: Network tool executed
set -eu
cd "$FT_SCENARIO_WORK"
ln -s /bin/true nc
./nc -l -p 4444
