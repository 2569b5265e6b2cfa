#!/bin/sh
# touch (not a shell) creates a .bashrc in the scratch directory.
# expect: Modify Shell Configuration File
set -eu
touch "$FT_SCENARIO_WORK/.bashrc"
