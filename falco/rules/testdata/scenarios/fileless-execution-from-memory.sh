#!/bin/sh
# /bin/true is copied into an anonymous memory file and executed from it
# with fexecve (memfd_create + execveat(fd, "", AT_EMPTY_PATH)).
# expect: Fileless execution from memory
# known-issue: falco-trace crashes (SIGSEGV in libsinsp sinsp_parser::parse_dirfd from parse_execve_exit) on the execveat exit event that a successful fexecve produces; reported to the tracer and bridge owners
set -eu
"$FT_SCENARIO_BIN/memfd_exec" /bin/true
