#!/bin/sh
# A process creates an anonymous memory file and closes it.
# expect: Memory file created for execution
set -eu
"$FT_SCENARIO_BIN/memfd_create"
