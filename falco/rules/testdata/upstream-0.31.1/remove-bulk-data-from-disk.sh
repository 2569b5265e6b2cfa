#!/bin/sh
# shred destroys a scratch file.
# requires: shred
# expect: Remove Bulk Data from Disk
set -eu
cd "$FT_SCENARIO_WORK"
echo data >victim
shred -u victim
