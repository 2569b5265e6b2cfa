#!/bin/sh
# A process running as nobody calls userfaultfd().
# expect: Unprivileged Delegation of Page Faults Handling to a Userspace Process
set -eu
"$FT_SCENARIO_BIN/userfaultfd_nobody"
