#!/bin/sh
# finit_module is called on an invalid file descriptor (refused: nothing is
# loaded).
# expect: Kernel module load attempted
set -eu
"$FT_SCENARIO_BIN/kmod_load"
