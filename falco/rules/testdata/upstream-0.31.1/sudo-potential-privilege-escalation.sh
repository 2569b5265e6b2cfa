#!/bin/sh
# A non-root user runs sudoedit with the arguments of CVE-2021-3156. A
# symlink named sudoedit to /bin/true stands in for sudo: nothing is edited.
# expect: Sudo Potential Privilege Escalation
set -eu
cd "$FT_SCENARIO_WORK"
ln -s /bin/true sudoedit
"$FT_SCENARIO_BIN/run_as_nobody" ./sudoedit -s '\'
