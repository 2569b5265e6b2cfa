#!/bin/sh
# shred overwrites and deletes a scratch file.
# requires: shred
# expect: Data destruction tool executed
set -eu
cd "$FT_SCENARIO_WORK"
echo data >victim
shred -u victim
