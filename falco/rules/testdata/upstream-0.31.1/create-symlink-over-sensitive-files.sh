#!/bin/sh
# A symbolic link to /etc/shadow is created.
# expect: Create Symlink Over Sensitive Files
set -eu
ln -s /etc/shadow "$FT_SCENARIO_WORK/shadow-link"
