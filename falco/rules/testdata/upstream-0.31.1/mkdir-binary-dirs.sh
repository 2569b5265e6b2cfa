#!/bin/sh
# A directory is created below /usr/bin, then removed.
# expect: Mkdir binary dirs
# expect: Modify binary dirs
set -eu
d=/usr/bin/ft-scenario.$$.d
mkdir "$d"
rmdir "$d"
