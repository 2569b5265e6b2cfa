#!/bin/sh
# A non-root user runs pkexec without arguments (CVE-2021-4034). A symlink
# named pkexec to /bin/true stands in for it.
# expect: Polkit Local Privilege Escalation Vulnerability (CVE-2021-4034)
set -eu
cd "$FT_SCENARIO_WORK"
ln -s /bin/true pkexec
"$FT_SCENARIO_BIN/run_as_nobody" ./pkexec
