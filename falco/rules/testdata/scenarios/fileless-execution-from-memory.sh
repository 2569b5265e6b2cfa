#!/bin/sh
# /bin/true is copied into an anonymous memory file and executed from it
# with fexecve (memfd_create + execveat(fd, "", AT_EMPTY_PATH)).
# expect: Fileless execution from memory
set -eu
"$FT_SCENARIO_BIN/memfd_exec" /bin/true
