#!/bin/sh
# The docker client in the container (a symlink named docker to /bin/true
# stands in).
# container: true
# expect: The docker client is executed in a container
set -eu
cd "$FT_SCENARIO_WORK"
ln -s /bin/true docker
./docker ps
