#!/bin/sh
# A scratch file gets the setuid bit.
# expect: Setuid or setgid bit set on file
set -eu
cd "$FT_SCENARIO_WORK"
: >file
chmod u+s "$FT_SCENARIO_WORK/file"
