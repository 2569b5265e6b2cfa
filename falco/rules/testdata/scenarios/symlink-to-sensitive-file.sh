#!/bin/sh
# A symbolic link to /etc/shadow is created in the scratch directory.
# expect: Symlink to sensitive file
set -eu
ln -s /etc/shadow "$FT_SCENARIO_WORK/shadow-link"
