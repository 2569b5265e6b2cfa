#!/bin/sh
# insmod in the container (a symlink named insmod to /bin/true stands in:
# nothing is loaded).
# container: true
# expect: Linux Kernel Module Injection Detected
set -eu
cd "$FT_SCENARIO_WORK"
ln -s /bin/true insmod
./insmod ft-scenario.ko
